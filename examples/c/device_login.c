/*
 * device_login: log in with the OAuth device-code flow (Tapis v3), printing the code for the
 * user, then print the new token's expiry. The session is saved in the default JSON cache.
 *
 *   device_login BASE_URL CLIENT_ID [CLIENT_KEY]
 */
#include <stdio.h>
#include <time.h>

#include "tapis_auth.h"

static int fail(tapis_auth_status st, tapis_auth_error *err) {
    fprintf(stderr, "device_login: %s: %s\n", tapis_auth_status_name(st), tapis_auth_error_message(err));
    tapis_auth_error_free(err);
    return tapis_auth_status_is_login_required(st) ? 2 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s BASE_URL CLIENT_ID [CLIENT_KEY]\n", argv[0]);
        return 64;
    }
    tapis_auth_error *err = NULL;
    tapis_auth_options *opts = tapis_auth_options_new();
    tapis_auth_status st = tapis_auth_options_set_base_url(opts, argv[1], &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_client_id(opts, argv[2], &err);
    if (st == TAPIS_AUTH_OK && argc > 3) st = tapis_auth_options_set_client_key(opts, argv[3], &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_persist(opts, true, &err);
    tapis_auth_session *session = NULL;
    if (st == TAPIS_AUTH_OK) st = tapis_auth_session_open(opts, &session, &err);
    tapis_auth_options_free(opts);
    if (st != TAPIS_AUTH_OK) return fail(st, err);

    tapis_auth_device *dev = NULL;
    st = tapis_auth_device_start(session, &dev, &err);
    if (st != TAPIS_AUTH_OK) {
        tapis_auth_session_free(session);
        return fail(st, err);
    }
    time_t deadline = (time_t)tapis_auth_device_expires_at(dev);
    printf("To log in, open %s and enter the code %s (valid until %s", tapis_auth_device_verification_uri(dev),
           tapis_auth_device_user_code(dev), ctime(&deadline));
    fflush(stdout);

    st = tapis_auth_device_wait(dev, 900, &err); /* polls at the server's interval */
    tapis_auth_device_free(dev);
    int64_t expires = 0;
    if (st == TAPIS_AUTH_OK) st = tapis_auth_expires_at(session, &expires, &err);
    tapis_auth_session_free(session);
    if (st != TAPIS_AUTH_OK) return fail(st, err);
    printf("logged in; the access token expires at %lld (Unix time)\n", (long long)expires);
    return 0;
}
