/*
 * get_token: restore a session (TAPIS_* environment first, then the default JSON cache
 * TAPIS_CACHE_DIR / AGAVE_CACHE_DIR / ~/.agave) and print an access token valid for at least
 * five more minutes. Exit status: 0 ok, 2 login required, 1 other error.
 *
 *   cc -std=c11 get_token.c $(pkg-config --cflags --libs tapis_auth) -o get_token
 */
#include <stdio.h>

#include "tapis_auth.h"

int main(void) {
    tapis_auth_session *session = NULL;
    tapis_auth_error *err = NULL;
    char *token = NULL;
    int rc = 0;

    tapis_auth_status st = tapis_auth_session_restore(NULL, &session, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_access_token(session, 300, &token, &err);
    if (st != TAPIS_AUTH_OK) {
        fprintf(stderr, "get_token: %s: %s\n", tapis_auth_status_name(st), tapis_auth_error_message(err));
        rc = tapis_auth_status_is_login_required(st) ? 2 : 1;
    } else {
        printf("%s\n", token);
    }
    tapis_auth_string_free(token); /* wipes the token; NULL is fine */
    tapis_auth_error_free(err);
    tapis_auth_session_free(session);
    return rc;
}
