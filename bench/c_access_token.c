/*
 * Cost of one tapis_auth_access_token call from C on a valid cached token (the hot path: no
 * I/O, no lock), plus the buffer variant and the free. Needs a session the library can restore
 * (bench/c_access_token.sh logs in against the test server first).
 * Prints ns per call; no timed assertions.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tapis_auth.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 1000000;
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    if (tapis_auth_session_restore(NULL, &s, &err) != TAPIS_AUTH_OK) {
        fprintf(stderr, "restore: %s\n", tapis_auth_error_message(err));
        return 1;
    }
    char *tok = NULL;
    if (tapis_auth_access_token(s, 60, &tok, NULL) != TAPIS_AUTH_OK) return 1; /* warm up */
    tapis_auth_string_free(tok);

    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        tapis_auth_access_token(s, 60, &tok, NULL);
        tapis_auth_string_free(tok);
    }
    double t1 = now_ns();
    char buf[4096];
    size_t needed = 0;
    for (long i = 0; i < iters; i++) tapis_auth_access_token_buf(s, 60, buf, sizeof buf, &needed, NULL);
    double t2 = now_ns();
    printf("tapis_auth_access_token + tapis_auth_string_free: %.1f ns/call\n", (t1 - t0) / (double)iters);
    printf("tapis_auth_access_token_buf:                      %.1f ns/call\n", (t2 - t1) / (double)iters);
    printf("(%ld iterations, token %zu bytes)\n", iters, needed - 1);
    tapis_auth_session_free(s);
    return 0;
}
