/*
 * password_login: log in with username and password (read from the first line of stdin, so it
 * never appears in `ps`), create an OAuth client so the session can refresh, and save the
 * session in the default JSON cache (TAPIS_CACHE_DIR / AGAVE_CACHE_DIR / ~/.agave).
 *
 *   printf '%s\n' "$PASSWORD" | password_login BASE_URL USERNAME
 */
#include <stdio.h>
#include <string.h>

#include "tapis_auth.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL USERNAME  (password on stdin)\n", argv[0]);
        return 64;
    }
    char password[512] = "";
    if (!fgets(password, sizeof password, stdin)) {
        fprintf(stderr, "password_login: no password on stdin\n");
        return 64;
    }
    password[strcspn(password, "\r\n")] = '\0';

    tapis_auth_error *err = NULL;
    tapis_auth_session *session = NULL;
    tapis_auth_options *opts = tapis_auth_options_new();
    tapis_auth_status st = tapis_auth_options_set_base_url(opts, argv[1], &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_username(opts, argv[2], &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_password(opts, password, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_persist(opts, true, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_use_environment(opts, false, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_session_open(opts, &session, &err);
    tapis_auth_options_free(opts); /* wipes the library's copy of the password */
    volatile char *p = password;   /* wipe ours */
    for (size_t i = 0; i < sizeof password; i++) p[i] = 0;
    if (st == TAPIS_AUTH_OK) st = tapis_auth_login_password(session, true, &err);

    tapis_auth_whoami *who = NULL;
    if (st == TAPIS_AUTH_OK) st = tapis_auth_session_whoami(session, &who, &err);
    if (st == TAPIS_AUTH_OK) {
        printf("logged in as %s at %s (client %s)\n", tapis_auth_whoami_username(who), tapis_auth_whoami_base_url(who),
               tapis_auth_whoami_client_id(who) ? tapis_auth_whoami_client_id(who) : "none");
    } else {
        fprintf(stderr, "password_login: %s: %s\n", tapis_auth_status_name(st), tapis_auth_error_message(err));
    }
    tapis_auth_whoami_free(who);
    tapis_auth_error_free(err);
    tapis_auth_session_free(session);
    return st == TAPIS_AUTH_OK ? 0 : (tapis_auth_status_is_login_required(st) ? 2 : 1);
}
