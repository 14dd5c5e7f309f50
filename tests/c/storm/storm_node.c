/* One process of a multi-node refresh storm (scripts/storm-nodes.sh): waits for a start file,
 * restores the session from TAPIS_CACHE_DIR (the "node's" view of the shared cache), asks for a
 * token valid for MIN_VALID seconds (argv[2], default 60) and prints one line:
 *   RESULT <status name> <milliseconds from start to answer> <token hash> <answer time, ms since the epoch>
 * The token itself is never printed: a hash (FNV-1a) tells whether all processes hold the same
 * one. Exit status 0 on success, 1 on a library error, 2 on bad usage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tapis_auth.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double epoch_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: storm_node START_FILE [MIN_VALID]\n");
        return 2;
    }
    long min_valid = argc > 2 ? atol(argv[2]) : 60;
    /* Wait for the start file (up to 60 s), polling every millisecond. */
    for (int i = 0; i < 60000 && access(argv[1], F_OK) != 0; i++) usleep(1000);
    double t0 = now_ms();
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    char *token = NULL;
    tapis_auth_status st = tapis_auth_session_restore(NULL, &s, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_access_token(s, min_valid, &token, &err);
    double t1 = now_ms(), done = epoch_ms();
    if (st == TAPIS_AUTH_OK) {
        printf("RESULT %s %.1f %016llx %.0f\n", tapis_auth_status_name(st), t1 - t0,
               (unsigned long long)fnv1a(token), done);
    } else {
        printf("RESULT %s %.1f - %.0f\n", tapis_auth_status_name(st), t1 - t0, done);
        fprintf(stderr, "%s: %s\n", tapis_auth_status_name(st), tapis_auth_error_message(err));
    }
    tapis_auth_string_free(token);
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);
    return st == TAPIS_AUTH_OK ? 0 : 1;
}
