/*
 * C test suite for libtapis_auth: every exported function, NULL and invalid-UTF-8 arguments,
 * buffer-too-small, out-params untouched on error, and 8 pthreads sharing one session.
 *
 * Needs a running tapis-auth-testserver: TAPIS_TEST_URL=http://127.0.0.1:PORT and an empty
 * writable directory TAPIS_TEST_DIR. Prints "c-tests: N passed, M failed" and exits non-zero
 * on any failure. Compiled with -std=c11 -Wall -Wextra -Werror (and under ASan+UBSan, valgrind).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tapis_auth.h"
#include "testlib.h"

static const char *BAD_UTF8 = "\xff\xfe-not-utf8";
static const char *PASSWORD = "testpass";
static char base_url[256];
static char dir[512];

/* --- helpers ------------------------------------------------------------------------------ */
static tapis_auth_options *make_options(const char *subdir) {
    tapis_auth_options *o = tapis_auth_options_new();
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, subdir);
    tapis_auth_error *err = NULL;
    CHECK(o != NULL, "options_new");
    CHECK_STATUS(tapis_auth_options_set_store(o, "json", path, &err), TAPIS_AUTH_OK, err);
    CHECK(err == NULL, "err set on success");
    CHECK_STATUS(tapis_auth_options_set_use_environment(o, false, NULL), TAPIS_AUTH_OK, NULL);
    return o;
}

static tapis_auth_session *login(const char *subdir, bool create_client) {
    tapis_auth_options *o = make_options(subdir);
    tapis_auth_error *err = NULL;
    tapis_auth_session *s = NULL;
    CHECK_STATUS(tapis_auth_options_set_base_url(o, base_url, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_username(o, "testuser", NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_password(o, PASSWORD, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_persist(o, true, NULL), TAPIS_AUTH_OK, NULL);
    tapis_auth_status st = tapis_auth_session_open(o, &s, &err);
    CHECK_STATUS(st, TAPIS_AUTH_OK, err);
    tapis_auth_error_free(err);
    err = NULL;
    tapis_auth_options_free(o);
    if (s == NULL) return NULL;
    st = tapis_auth_login_password(s, create_client, &err);
    CHECK_STATUS(st, TAPIS_AUTH_OK, err);
    tapis_auth_error_free(err);
    return s;
}

/* --- tests -------------------------------------------------------------------------------- */
static void test_version_and_status(void) {
    const char *v = tapis_auth_version();
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", TAPIS_AUTH_VERSION_MAJOR, TAPIS_AUTH_VERSION_MINOR,
             TAPIS_AUTH_VERSION_PATCH);
    CHECK(v != NULL && strcmp(v, want) == 0, "version %s, header %s", v ? v : "(null)", want);
    CHECK(TAPIS_AUTH_VERSION_NUMBER == TAPIS_AUTH_VERSION_MAJOR * 10000 + TAPIS_AUTH_VERSION_MINOR * 100 + TAPIS_AUTH_VERSION_PATCH, "version number");
    CHECK(TAPIS_AUTH_OK == 0, "OK is 0");
    CHECK(strcmp(tapis_auth_status_name(TAPIS_AUTH_OK), "TAPIS_AUTH_OK") == 0, "name");
    CHECK(strcmp(tapis_auth_status_name(TAPIS_AUTH_ERR_LOGIN_REQUIRED), "TAPIS_AUTH_ERR_LOGIN_REQUIRED") == 0, "name");
    CHECK(strcmp(tapis_auth_status_name(12345), "TAPIS_AUTH_UNKNOWN_STATUS") == 0, "unknown name");
    CHECK(tapis_auth_status_is_login_required(TAPIS_AUTH_ERR_LOGIN_REQUIRED), "lr");
    CHECK(tapis_auth_status_is_login_required(TAPIS_AUTH_ERR_REFRESH_REJECTED), "lr");
    CHECK(!tapis_auth_status_is_login_required(TAPIS_AUTH_OK), "lr");
    CHECK(tapis_auth_status_is_pending(TAPIS_AUTH_PENDING), "pending");
    CHECK(!tapis_auth_status_is_pending(TAPIS_AUTH_ERR_LOGIN_FAILED), "pending");
    CHECK(tapis_auth_status_is_network(TAPIS_AUTH_ERR_CONNECT), "net");
    CHECK(!tapis_auth_status_is_network(TAPIS_AUTH_ERR_SERVER), "net");
    CHECK(tapis_auth_status_is_server(TAPIS_AUTH_ERR_SERVER), "server");
    CHECK(tapis_auth_status_is_storage(TAPIS_AUTH_ERR_CORRUPT_CACHE), "storage");
    CHECK(tapis_auth_status_is_usage(TAPIS_AUTH_ERR_INVALID_ARGUMENT), "usage");
    CHECK(tapis_auth_status_is_usage(TAPIS_AUTH_ERR_PANIC), "usage");
    CHECK(!tapis_auth_status_is_usage(TAPIS_AUTH_OK), "usage");
}

static void test_error_null_and_free(void) {
    CHECK(tapis_auth_error_status(NULL) == TAPIS_AUTH_OK, "status of NULL");
    CHECK(strcmp(tapis_auth_error_message(NULL), "") == 0, "message of NULL");
    CHECK(tapis_auth_error_http_status(NULL) == 0, "http of NULL");
    CHECK(!tapis_auth_error_is_retryable(NULL), "retryable of NULL");
    tapis_auth_error_free(NULL);
    tapis_auth_string_free(NULL);
    tapis_auth_session_free(NULL);
    tapis_auth_options_free(NULL);
    tapis_auth_device_free(NULL);
    tapis_auth_whoami_free(NULL);
    tapis_auth_profile_free(NULL);
    passed++;
}

static void test_options(void) {
    tapis_auth_options *o = tapis_auth_options_new();
    tapis_auth_error *err = NULL;
    CHECK(o != NULL, "new");
    /* Every setter accepts a value and NULL (reset). */
    CHECK_STATUS(tapis_auth_options_set_base_url(o, "https://tacc.tapis.io", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_base_url(o, NULL, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_tenant(o, "tacc", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_tenant(o, NULL, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_platform(o, "v3", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_platform(o, "agave-v2", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_platform(o, NULL, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_profile(o, "p1", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_username(o, "u", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_password(o, "secret-pw", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_client_id(o, "cid", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_client_key(o, "ckey", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_access_token(o, "at", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_refresh_token(o, "rt", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_store(o, "memory", NULL, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_persist(o, true, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_use_environment(o, false, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_min_valid(o, 120, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_connect_timeout_ms(o, 5000, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_timeout_ms(o, 20000, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_max_tries(o, 2, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_ca_file(o, "/etc/ssl/certs/ca.pem", &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_ca_file(o, NULL, &err), TAPIS_AUTH_OK, err);
    CHECK_STATUS(tapis_auth_options_set_allow_insecure_http(o, true, &err), TAPIS_AUTH_OK, err);
    CHECK(err == NULL, "err stays NULL on success");

    /* NULL builder. */
    tapis_auth_status st = tapis_auth_options_set_base_url(NULL, "x", &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err != NULL && tapis_auth_error_status(err) == TAPIS_AUTH_ERR_INVALID_ARGUMENT, "err object");
    CHECK(err != NULL && strstr(tapis_auth_error_message(err), "opts") != NULL, "names opts: %s", tapis_auth_error_message(err));
    CHECK(tapis_auth_error_http_status(err) == 0, "no http status");
    tapis_auth_error_free(err);
    err = NULL;
    /* err == NULL is allowed on failure too. */
    CHECK_STATUS(tapis_auth_options_set_min_valid(NULL, 1, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);

    /* Invalid UTF-8: message names the argument and never echoes the value. */
    struct {
        tapis_auth_status (*fn)(tapis_auth_options *, const char *, tapis_auth_error **);
        const char *arg;
    } setters[] = {
        {tapis_auth_options_set_base_url, "base_url"},   {tapis_auth_options_set_tenant, "tenant_id"},
        {tapis_auth_options_set_platform, "platform"},   {tapis_auth_options_set_profile, "profile"},
        {tapis_auth_options_set_username, "username"},   {tapis_auth_options_set_password, "password"},
        {tapis_auth_options_set_client_id, "client_id"}, {tapis_auth_options_set_client_key, "client_key"},
        {tapis_auth_options_set_access_token, "access_token"},
        {tapis_auth_options_set_refresh_token, "refresh_token"},
        {tapis_auth_options_set_ca_file, "path"},
    };
    for (size_t i = 0; i < sizeof setters / sizeof setters[0]; i++) {
        st = setters[i].fn(o, BAD_UTF8, &err);
        CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
        CHECK(err && strstr(tapis_auth_error_message(err), setters[i].arg) != NULL, "names %s: %s",
              setters[i].arg, tapis_auth_error_message(err));
        CHECK(err && strstr(tapis_auth_error_message(err), "not-utf8") == NULL, "echoes value");
        tapis_auth_error_free(err);
        err = NULL;
    }
    st = tapis_auth_options_set_store(o, BAD_UTF8, NULL, &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(tapis_auth_error_message(err), "kind") != NULL, "names kind");
    tapis_auth_error_free(err);
    err = NULL;
    st = tapis_auth_options_set_store(o, "json", BAD_UTF8, &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    tapis_auth_error_free(err);
    err = NULL;
    st = tapis_auth_options_set_store(o, NULL, NULL, &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    tapis_auth_error_free(err);
    err = NULL;
    /* Out-of-range values. */
    CHECK_STATUS(tapis_auth_options_set_platform(o, "v4", NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_store(o, "floppy", NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_min_valid(o, -1, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_connect_timeout_ms(o, 0, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_timeout_ms(o, 0, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_max_tries(o, 0, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_persist(NULL, true, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_use_environment(NULL, true, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_options_set_allow_insecure_http(NULL, true, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    tapis_auth_options_free(o);
}

static void test_restore_without_credentials(void) {
    tapis_auth_options *o = make_options("empty");
    tapis_auth_session *sentinel = (tapis_auth_session *)(uintptr_t)0x1234;
    tapis_auth_session *s = sentinel;
    tapis_auth_error *err = NULL;
    tapis_auth_status st = tapis_auth_session_restore(o, &s, &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_LOGIN_REQUIRED, err);
    CHECK(tapis_auth_status_is_login_required(st), "predicate");
    CHECK(s == sentinel, "out untouched on error");
    CHECK(err && strlen(tapis_auth_error_message(err)) > 0, "message");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK_STATUS(tapis_auth_session_restore(o, NULL, &err), TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(tapis_auth_error_message(err), "out") != NULL, "names out");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK_STATUS(tapis_auth_session_open(o, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);

    /* An open (empty) session: token calls report login-required, out-params untouched. */
    CHECK_STATUS(tapis_auth_session_open(o, &s, &err), TAPIS_AUTH_OK, err);
    char *tok = (char *)(uintptr_t)0x5678;
    CHECK_STATUS(tapis_auth_access_token(s, 0, &tok, &err), TAPIS_AUTH_ERR_LOGIN_REQUIRED, err);
    CHECK(tok == (char *)(uintptr_t)0x5678, "token_out untouched");
    tapis_auth_error_free(err);
    err = NULL;
    int64_t exp = 77;
    tapis_auth_status est = tapis_auth_expires_at(s, &exp, NULL);
    CHECK(est != TAPIS_AUTH_OK && exp == 77, "expires_at on empty session: %u", (unsigned)est);
    tapis_auth_session_free(s);
    tapis_auth_options_free(o);
}

static void test_wrong_password(void) {
    tapis_auth_options *o = make_options("wrongpw");
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    const char *pw = "Wrong-Password-123";
    tapis_auth_options_set_base_url(o, base_url, NULL);
    tapis_auth_options_set_username(o, "testuser", NULL);
    tapis_auth_options_set_password(o, pw, NULL);
    CHECK_STATUS(tapis_auth_session_open(o, &s, &err), TAPIS_AUTH_OK, err);
    tapis_auth_options_free(o);
    tapis_auth_status st = tapis_auth_login_password(s, false, &err);
    CHECK(tapis_auth_status_is_login_required(st), "wrong password: %u %s", (unsigned)st, tapis_auth_error_message(err));
    CHECK(err && strstr(tapis_auth_error_message(err), pw) == NULL, "password leaked: %s", tapis_auth_error_message(err));
    CHECK_STATUS(st, TAPIS_AUTH_ERR_INVALID_CREDENTIALS, err);
    CHECK(tapis_auth_error_status(err) == st, "error object carries the status");
    uint16_t http = tapis_auth_error_http_status(err);
    CHECK(http == 400 || http == 401, "wrong password: HTTP status %u", (unsigned)http);
    CHECK(!tapis_auth_error_is_retryable(err), "a wrong password is not retryable");
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);
}

/* A server failing a refresh (a grant is sent once: it is not safe to repeat): a classified, retryable error carrying the HTTP
 * status; the stored credentials keep working afterwards. */
static void test_server_fault(tapis_auth_session *s) {
    char resp[1024];
    int http = http_post("/_test/faults",
                         "{\"endpoint\":\"v3.tokens\",\"grant\":\"refresh_token\",\"kind\":\"status\","
                         "\"status\":503,\"count\":1}",
                         resp, sizeof resp);
    CHECK(http == 200, "queue fault: %d %s", http, resp);
    tapis_auth_error *err = NULL;
    tapis_auth_status st = tapis_auth_refresh(s, &err);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_SERVER, err);
    CHECK(tapis_auth_status_is_server(st), "503 is a server error");
    CHECK(err && tapis_auth_error_http_status(err) == 503, "HTTP status %u",
          (unsigned)tapis_auth_error_http_status(err));
    CHECK(err && tapis_auth_error_is_retryable(err), "a 503 is retryable");
    tapis_auth_error_free(err);
    err = NULL;
    char *tok = NULL;
    CHECK_STATUS(tapis_auth_access_token(s, 0, &tok, &err), TAPIS_AUTH_OK, err);
    tapis_auth_string_free(tok);
    CHECK_STATUS(tapis_auth_refresh(s, &err), TAPIS_AUTH_OK, err);
    tapis_auth_error_free(err);
}

static void test_null_session_args(tapis_auth_session *s) {
    tapis_auth_error *err = NULL;
    char *tok = NULL;
    char buf[8];
    size_t needed = 0;
    int64_t when = 0;
    CHECK_STATUS(tapis_auth_access_token(NULL, 0, &tok, &err), TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(tapis_auth_error_message(err), "session"), "names session");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK_STATUS(tapis_auth_access_token(s, 0, NULL, &err), TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(tapis_auth_error_message(err), "token_out"), "names token_out");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK_STATUS(tapis_auth_access_token(s, -5, &tok, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK(tok == NULL, "untouched");
    CHECK_STATUS(tapis_auth_access_token_buf(NULL, 0, buf, sizeof buf, &needed, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_access_token_buf(s, 0, buf, sizeof buf, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_access_token_buf(s, 0, NULL, 5, &needed, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK(needed == 0, "needed untouched on invalid argument");
    CHECK_STATUS(tapis_auth_refresh(NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_expires_at(NULL, &when, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_expires_at(s, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_logout(NULL, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_login_password(NULL, false, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    tapis_auth_whoami *w = NULL;
    CHECK_STATUS(tapis_auth_session_whoami(NULL, &w, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_session_whoami(s, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK(tapis_auth_whoami_profile(NULL) == NULL && tapis_auth_whoami_username(NULL) == NULL &&
          tapis_auth_whoami_tenant_id(NULL) == NULL && tapis_auth_whoami_base_url(NULL) == NULL &&
          tapis_auth_whoami_platform(NULL) == NULL && tapis_auth_whoami_client_id(NULL) == NULL &&
          tapis_auth_whoami_source(NULL) == NULL && tapis_auth_whoami_expires_at(NULL) == 0 &&
          tapis_auth_whoami_refresh_expires_at(NULL) == 0 && !tapis_auth_whoami_has_refresh_token(NULL),
          "whoami accessors on NULL");
    tapis_auth_profile *prof = NULL;
    CHECK_STATUS(tapis_auth_session_profile(NULL, &prof, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_session_profile(s, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK(prof == NULL && tapis_auth_profile_username(NULL) == NULL && tapis_auth_profile_email(NULL) == NULL &&
          tapis_auth_profile_first_name(NULL) == NULL && tapis_auth_profile_last_name(NULL) == NULL &&
          tapis_auth_profile_full_name(NULL) == NULL,
          "profile accessors on NULL");
    char *cid = NULL, *ckey = NULL;
    CHECK_STATUS(tapis_auth_client_create(NULL, NULL, NULL, NULL, &cid, &ckey, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_client_create(s, NULL, NULL, NULL, NULL, &ckey, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_client_create(s, NULL, NULL, NULL, &cid, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_client_create(s, BAD_UTF8, NULL, NULL, &cid, &ckey, &err), TAPIS_AUTH_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(tapis_auth_error_message(err), "client_id"), "names client_id");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK(cid == NULL && ckey == NULL, "untouched");
    tapis_auth_device *d = NULL;
    CHECK_STATUS(tapis_auth_device_start(NULL, &d, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_device_start(s, NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_device_poll(NULL, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(tapis_auth_device_wait(NULL, 1, NULL), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    CHECK(tapis_auth_device_user_code(NULL) == NULL && tapis_auth_device_verification_uri(NULL) == NULL &&
          tapis_auth_device_expires_at(NULL) == 0 && tapis_auth_device_next_poll_at(NULL) == 0,
          "device accessors on NULL");
}

static void test_tokens(tapis_auth_session *s) {
    tapis_auth_error *err = NULL;
    char *tok = NULL;
    CHECK_STATUS(tapis_auth_access_token(s, 60, &tok, &err), TAPIS_AUTH_OK, err);
    CHECK(err == NULL, "err NULL on success");
    CHECK(tok != NULL && strlen(tok) > 20, "token");
    size_t len = tok ? strlen(tok) : 0;

    /* Size query. */
    size_t needed = 0;
    CHECK_STATUS(tapis_auth_access_token_buf(s, 60, NULL, 0, &needed, &err), TAPIS_AUTH_ERR_BUFFER_TOO_SMALL, err);
    CHECK(needed == len + 1, "needed %zu, want %zu", needed, len + 1);
    tapis_auth_error_free(err);
    err = NULL;
    /* Too small by one: nothing copied. */
    char *buf = malloc(len + 1);
    memset(buf, 'X', len + 1);
    needed = 0;
    CHECK_STATUS(tapis_auth_access_token_buf(s, 60, buf, len, &needed, &err), TAPIS_AUTH_ERR_BUFFER_TOO_SMALL, err);
    CHECK(needed == len + 1, "needed");
    CHECK(err && strstr(tapis_auth_error_message(err), "buffer") != NULL, "msg");
    size_t untouched = 0;
    for (size_t i = 0; i < len + 1; i++) untouched += buf[i] == 'X';
    CHECK(untouched == len + 1, "buffer written on BUFFER_TOO_SMALL");
    tapis_auth_error_free(err);
    err = NULL;
    /* Exact size. */
    needed = 0;
    CHECK_STATUS(tapis_auth_access_token_buf(s, 60, buf, len + 1, &needed, &err), TAPIS_AUTH_OK, err);
    CHECK(needed == len + 1 && tok && strcmp(buf, tok) == 0, "buf token equals owned token");
    free(buf);
    tapis_auth_string_free(tok);

    int64_t exp = 0;
    CHECK_STATUS(tapis_auth_expires_at(s, &exp, &err), TAPIS_AUTH_OK, err);
    CHECK(exp > (int64_t)time(NULL) + 60, "expiry %lld", (long long)exp);
    CHECK_STATUS(tapis_auth_refresh(s, &err), TAPIS_AUTH_OK, err);
    int64_t exp2 = 0;
    CHECK_STATUS(tapis_auth_expires_at(s, &exp2, &err), TAPIS_AUTH_OK, err);
    CHECK(exp2 >= exp, "refresh moved expiry: %lld -> %lld", (long long)exp, (long long)exp2);
}

static void test_whoami_and_client(tapis_auth_session *s, char *client_id, size_t client_id_len) {
    tapis_auth_whoami *w = NULL;
    tapis_auth_error *err = NULL;
    CHECK_STATUS(tapis_auth_session_whoami(s, &w, &err), TAPIS_AUTH_OK, err);
    if (!w) return;
    CHECK(strcmp(tapis_auth_whoami_profile(w), "default") == 0, "profile %s", tapis_auth_whoami_profile(w));
    CHECK(tapis_auth_whoami_username(w) && strcmp(tapis_auth_whoami_username(w), "testuser") == 0, "username");
    CHECK(strstr(tapis_auth_whoami_base_url(w), "127.0.0.1") != NULL, "base url %s", tapis_auth_whoami_base_url(w));
    CHECK(strcmp(tapis_auth_whoami_platform(w), "tapis-v3") == 0, "platform %s", tapis_auth_whoami_platform(w));
    CHECK(tapis_auth_whoami_source(w) != NULL, "source");
    CHECK(tapis_auth_whoami_expires_at(w) > (int64_t)time(NULL), "expires");
    CHECK(tapis_auth_whoami_has_refresh_token(w), "refresh token");
    CHECK(tapis_auth_whoami_refresh_expires_at(w) >= 0, "refresh expiry");
    (void)tapis_auth_whoami_tenant_id(w);
    const char *cid = tapis_auth_whoami_client_id(w);
    CHECK(cid != NULL, "client id after create_client login");
    if (cid) snprintf(client_id, client_id_len, "%s", cid);
    tapis_auth_whoami_free(w);

    /* The server confirms who the token belongs to. */
    tapis_auth_profile *p = NULL;
    CHECK_STATUS(tapis_auth_session_profile(s, &p, &err), TAPIS_AUTH_OK, err);
    if (p) {
        CHECK(strcmp(tapis_auth_profile_username(p), "testuser") == 0, "profile username %s", tapis_auth_profile_username(p));
        CHECK(tapis_auth_profile_email(p) && strcmp(tapis_auth_profile_email(p), "testuser@example.org") == 0, "email");
        CHECK(tapis_auth_profile_last_name(p) != NULL, "last name");
        tapis_auth_profile_free(p);
    }

    char *new_id = NULL, *new_key = NULL;
    tapis_auth_status st = tapis_auth_client_create(s, NULL, NULL, "made by the C tests", &new_id, &new_key, &err);
    CHECK_STATUS(st, TAPIS_AUTH_OK, err);
    CHECK(new_id && strlen(new_id) > 0, "client id");
    tapis_auth_string_free(new_id);
    tapis_auth_string_free(new_key);
    tapis_auth_error_free(err);
}

/* --- threads ------------------------------------------------------------------------------ */
#define NTHREADS 8
#define NCALLS 200
struct thread_arg {
    tapis_auth_session *s;
    int ok;
};

static void *worker(void *p) {
    struct thread_arg *a = p;
    char buf[4096];
    for (int i = 0; i < NCALLS; i++) {
        char *tok = NULL;
        tapis_auth_error *err = NULL;
        if (tapis_auth_access_token(a->s, 30, &tok, &err) == TAPIS_AUTH_OK && tok && strlen(tok) > 20) a->ok++;
        tapis_auth_string_free(tok);
        tapis_auth_error_free(err);
        size_t needed = 0;
        if (tapis_auth_access_token_buf(a->s, 30, buf, sizeof buf, &needed, NULL) == TAPIS_AUTH_OK && needed == strlen(buf) + 1)
            a->ok++;
        if (i % 50 == 0) {
            int64_t e = 0;
            if (tapis_auth_expires_at(a->s, &e, NULL) == TAPIS_AUTH_OK && e > 0) a->ok++;
            if (tapis_auth_refresh(a->s, NULL) == TAPIS_AUTH_OK) a->ok++;
        }
    }
    return NULL;
}

static void test_threads(tapis_auth_session *s) {
    pthread_t t[NTHREADS];
    struct thread_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i].s = s;
        args[i].ok = 0;
        CHECK(pthread_create(&t[i], NULL, worker, &args[i]) == 0, "pthread_create");
    }
    int total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        total += args[i].ok;
    }
    int want = NTHREADS * (NCALLS * 2 + (NCALLS / 50) * 2);
    CHECK(total == want, "threads: %d of %d calls succeeded", total, want);
}

/* --- restore from the cache, default restore, device login, logout ------------------------ */
static void test_restore_from_cache(const char *subdir) {
    /* A cache file others can read is reported once when read, left as it is (reads never
     * change modes), and made private by the next write (a refresh). */
    char cfg[760];
    snprintf(cfg, sizeof cfg, "%s/%s/config.json", dir, subdir);
    CHECK(chmod(cfg, 0644) == 0, "chmod config.json 0644");
    tapis_auth_options *o = make_options(subdir);
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    CHECK_STATUS(tapis_auth_session_restore(o, &s, &err), TAPIS_AUTH_OK, err);
    tapis_auth_options_free(o);
    char *tok = NULL;
    if (s) CHECK_STATUS(tapis_auth_access_token(s, 0, &tok, &err), TAPIS_AUTH_OK, err);
    char *warnings = NULL;
    CHECK_STATUS(tapis_auth_session_take_warnings(s, &warnings, &err), TAPIS_AUTH_OK, err);
    CHECK(warnings != NULL && strstr(warnings, "config.json") && strstr(warnings, "644"),
          "take_warnings names the loose file and its mode");
    CHECK(warnings == NULL || tok == NULL || strstr(warnings, tok) == NULL,
          "warnings carry no token");
    tapis_auth_string_free(warnings);
    warnings = (char *)1;
    CHECK_STATUS(tapis_auth_session_take_warnings(s, &warnings, &err), TAPIS_AUTH_OK, err);
    CHECK(warnings == NULL, "each warning is reported once");
    CHECK_STATUS(tapis_auth_session_take_warnings(s, NULL, &err), TAPIS_AUTH_ERR_INVALID_ARGUMENT, NULL);
    tapis_auth_error_free(err);
    err = NULL;
    struct stat st;
    CHECK(stat(cfg, &st) == 0 && (st.st_mode & 0777) == 0644, "a read left config.json as it was");
    if (s) CHECK_STATUS(tapis_auth_refresh(s, &err), TAPIS_AUTH_OK, err);
    CHECK(stat(cfg, &st) == 0 && (st.st_mode & 0777) == 0600, "a refresh made config.json 0600");
    warnings = NULL;
    CHECK_STATUS(tapis_auth_session_take_warnings(s, &warnings, &err), TAPIS_AUTH_OK, err);
    CHECK(warnings != NULL && strstr(warnings, "changed to mode 600"), "the write says so");
    tapis_auth_string_free(warnings);
    tapis_auth_error_free(err);
    err = NULL;
    tapis_auth_string_free(tok);
    tapis_auth_session_free(s);

    /* opts == NULL: environment first, then the default cache (TAPIS_CACHE_DIR). */
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, subdir);
    setenv("TAPIS_CACHE_DIR", path, 1);
    s = NULL;
    CHECK_STATUS(tapis_auth_session_restore(NULL, &s, &err), TAPIS_AUTH_OK, err);
    tok = NULL;
    if (s) CHECK_STATUS(tapis_auth_access_token(s, 0, &tok, &err), TAPIS_AUTH_OK, err);
    tapis_auth_string_free(tok);
    tapis_auth_session_free(s);
    unsetenv("TAPIS_CACHE_DIR");
    tapis_auth_error_free(err);
}

static void test_device_login(const char *client_id) {
    tapis_auth_options *o = make_options("device");
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    tapis_auth_options_set_base_url(o, base_url, NULL);
    tapis_auth_options_set_client_id(o, client_id, NULL);
    CHECK_STATUS(tapis_auth_session_open(o, &s, &err), TAPIS_AUTH_OK, err);
    tapis_auth_options_free(o);
    if (!s) return;
    tapis_auth_device *d = NULL;
    tapis_auth_status st = tapis_auth_device_start(s, &d, &err);
    CHECK_STATUS(st, TAPIS_AUTH_OK, err);
    if (!d) {
        tapis_auth_error_free(err);
        tapis_auth_session_free(s);
        return;
    }
    const char *code = tapis_auth_device_user_code(d);
    CHECK(code && strlen(code) > 0, "user code");
    CHECK(tapis_auth_device_verification_uri(d) && strlen(tapis_auth_device_verification_uri(d)) > 0, "uri");
    CHECK(tapis_auth_device_expires_at(d) > (int64_t)time(NULL), "deadline");
    st = tapis_auth_device_poll(d, &err);
    CHECK_STATUS(st, TAPIS_AUTH_PENDING, err);
    CHECK(err && tapis_auth_error_status(err) == TAPIS_AUTH_PENDING, "pending err object");
    tapis_auth_error_free(err);
    err = NULL;
    CHECK(tapis_auth_device_next_poll_at(d) > 0, "next poll");

    char body[256], resp[4096];
    snprintf(body, sizeof body, "{\"user_code\":\"%s\",\"username\":\"testuser\"}", code);
    int http = http_post("/_test/device/approve", body, resp, sizeof resp);
    CHECK(http == 200, "approve: HTTP %d", http);
    st = tapis_auth_device_wait(d, 60, &err);
    CHECK_STATUS(st, TAPIS_AUTH_OK, err);
    tapis_auth_error_free(err);
    err = NULL;
    CHECK_STATUS(tapis_auth_device_poll(d, &err), TAPIS_AUTH_OK, err);
    char *tok = NULL;
    CHECK_STATUS(tapis_auth_access_token(s, 0, &tok, &err), TAPIS_AUTH_OK, err);
    tapis_auth_string_free(tok);
    /* The device handle outlives the session handle safely. */
    tapis_auth_session_free(s);
    CHECK(tapis_auth_device_user_code(d) != NULL, "device after session free");
    tapis_auth_device_free(d);
    tapis_auth_error_free(err);
}

static void test_logout(tapis_auth_session *s, const char *subdir) {
    tapis_auth_error *err = NULL;
    bool deleted = false;
    CHECK_STATUS(tapis_auth_logout(s, &deleted, &err), TAPIS_AUTH_OK, err);
    CHECK(deleted, "deleted");
    char *tok = NULL;
    tapis_auth_status st = tapis_auth_access_token(s, 0, &tok, &err);
    CHECK(tapis_auth_status_is_login_required(st), "after logout: %s", tapis_auth_status_name(st));
    CHECK(tok == NULL, "untouched");
    tapis_auth_error_free(err);
    err = NULL;
    tapis_auth_options *o = make_options(subdir);
    tapis_auth_session *s2 = NULL;
    CHECK_STATUS(tapis_auth_session_restore(o, &s2, &err), TAPIS_AUTH_ERR_LOGIN_REQUIRED, err);
    CHECK(s2 == NULL, "untouched");
    tapis_auth_options_free(o);
    tapis_auth_error_free(err);
}

int main(void) {
    const char *url = getenv("TAPIS_TEST_URL");
    const char *d = getenv("TAPIS_TEST_DIR");
    if (!url || !d) {
        fprintf(stderr, "set TAPIS_TEST_URL and TAPIS_TEST_DIR\n");
        return 2;
    }
    snprintf(base_url, sizeof base_url, "%s", url);
    snprintf(dir, sizeof dir, "%s", d);
    const char *colon = strrchr(url, ':');
    server_port = colon ? (unsigned short)atoi(colon + 1) : 0;

    test_version_and_status();
    test_error_null_and_free();
    test_options();
    test_restore_without_credentials();
    test_wrong_password();
    tapis_auth_session *s = login("main", true);
    char client_id[256] = "";
    if (s) {
        test_null_session_args(s);
        test_tokens(s);
        test_whoami_and_client(s, client_id, sizeof client_id);
        test_threads(s);
        test_server_fault(s);
        test_restore_from_cache("main");
        if (client_id[0]) test_device_login(client_id);
        test_logout(s, "main");
        tapis_auth_session_free(s);
    }
    printf("c-tests: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
