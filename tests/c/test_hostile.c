/*
 * A C host against a hostile neighbour and a hostile server, linked against the *installed*
 * library (scripts/test-bindings.sh builds it with pkg-config from the install prefix):
 *
 * - a 1 TiB sparse config.json planted in the cache: refused (TAPIS_AUTH_ERR_UNSAFE_CACHE)
 *   instead of aborting the host on allocation failure inside tapis_auth_session_restore;
 * - a FIFO in place of config.json: refused at once instead of hanging the host;
 * - a token endpoint that streams an endless body: refused at the size limit
 *   (TAPIS_AUTH_ERR_MALFORMED_RESPONSE) instead of growing the host without bound.
 *
 * Needs TAPIS_TEST_URL (a running tapis-auth-testserver) and an empty writable TAPIS_TEST_DIR.
 * Prints "c-hostile: N passed, M failed" and, for the endless body, the host's peak RSS and
 * the time to fail (bench/hostile_body.sh measures the same with /usr/bin/time). A hang is
 * ended by alarm() and counts as a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapis_auth.h"
#include "testlib.h"

static char dir[512];
static char base_url[256];

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "FAIL: the library hung (alarm)\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

/* Restores from a cache directory holding `config.json` as made by `plant`. */
static void restore_refused(const char *name, int (*plant)(const char *path)) {
    char cache[700], cfg[760];
    snprintf(cache, sizeof cache, "%s/%s", dir, name);
    snprintf(cfg, sizeof cfg, "%s/config.json", cache);
    CHECK(mkdir(cache, 0700) == 0, "mkdir %s", cache);
    CHECK(plant(cfg) == 0, "plant %s", cfg);
    tapis_auth_options *o = tapis_auth_options_new();
    tapis_auth_error *err = NULL;
    tapis_auth_session *s = NULL;
    CHECK_STATUS(tapis_auth_options_set_store(o, "json", cache, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_use_environment(o, false, NULL), TAPIS_AUTH_OK, NULL);
    alarm(20);
    tapis_auth_status st = tapis_auth_session_restore(o, &s, &err);
    alarm(0);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_UNSAFE_CACHE, err);
    CHECK(tapis_auth_status_is_storage(st), "%s: a storage status", name);
    const char *msg = tapis_auth_error_message(err);
    CHECK(strstr(msg, "config.json") != NULL, "%s: the message names the file: %s", name, msg);
    CHECK(s == NULL, "%s: no session", name);
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);
    tapis_auth_options_free(o);
}

static int plant_sparse_terabyte(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return -1;
    int r = ftruncate(fd, (off_t)1 << 40);
    close(fd);
    return r;
}

static int plant_fifo(const char *path) { return mkfifo(path, 0600); }

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A password login whose token endpoint streams an endless body. */
static void endless_token_body(void) {
    char resp[4096];
    int code = http_post("/_test/faults",
                         "{\"endpoint\":\"v3.tokens\",\"kind\":\"endless_body\",\"count\":1}", resp,
                         sizeof resp);
    CHECK(code == 200, "inject the endless body: HTTP %d", code);
    char cache[700];
    snprintf(cache, sizeof cache, "%s/endless", dir);
    tapis_auth_options *o = tapis_auth_options_new();
    tapis_auth_error *err = NULL;
    tapis_auth_session *s = NULL;
    CHECK_STATUS(tapis_auth_options_set_store(o, "json", cache, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_use_environment(o, false, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_base_url(o, base_url, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_platform(o, "v3", NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_username(o, "testuser", NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_password(o, "testpass", NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_client_id(o, "test-client", NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_client_key(o, "test-client-key", NULL), TAPIS_AUTH_OK, NULL);
    /* One try, and a 20 s limit: without a size cap the body would be read until then. */
    CHECK_STATUS(tapis_auth_options_set_max_tries(o, 1, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_options_set_timeout_ms(o, 20000, NULL), TAPIS_AUTH_OK, NULL);
    CHECK_STATUS(tapis_auth_session_open(o, &s, &err), TAPIS_AUTH_OK, err);
    tapis_auth_options_free(o);
    if (s == NULL) return;
    double t0 = now_s();
    alarm(60);
    tapis_auth_status st = tapis_auth_login_password(s, false, &err);
    alarm(0);
    double took = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECK_STATUS(st, TAPIS_AUTH_ERR_MALFORMED_RESPONSE, err);
    const char *msg = tapis_auth_error_message(err);
    CHECK(strstr(msg, "bytes") != NULL && strstr(msg, "testpass") == NULL,
          "the message says why, and never quotes the request: %s", msg);
    printf("endless-body: failed after %.0f ms; peak RSS of this host %ld KiB\n", took * 1000.0,
           ru.ru_maxrss);
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);
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
    signal(SIGALRM, on_alarm);

    restore_refused("sparse", plant_sparse_terabyte);
    restore_refused("fifo", plant_fifo);
    endless_token_body();
    printf("c-hostile: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
