/* An MPI refresh storm (scripts/storm-nodes.sh --mpi): every rank points TAPIS_CACHE_DIR at the
 * view of the shared cache its "node" has (argv[1] with "%d" replaced by rank % nodes), all
 * ranks start together after a barrier and ask for a token valid 60 s. A rank that holds its
 * token goes straight into the next barrier, where Open MPI busy-polls: the ranks still waiting
 * compete for the cores with ranks that spin, as in a real job.
 * Rank 0 prints: MPI ranks=<n> ok=<n> failed=<n> max_ms=<slowest rank> distinct_tokens=<n>
 * Usage: storm_mpi CACHE_DIR_PATTERN NODES */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapis_auth.h>

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3) {
        if (rank == 0) fprintf(stderr, "usage: storm_mpi CACHE_DIR_PATTERN NODES\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int nodes = atoi(argv[2]);
    char dir[4096];
    snprintf(dir, sizeof dir, argv[1], nodes > 0 ? rank % nodes : 0);
    setenv("TAPIS_CACHE_DIR", dir, 1);

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    tapis_auth_session *s = NULL;
    tapis_auth_error *err = NULL;
    char *token = NULL;
    tapis_auth_status st = tapis_auth_session_restore(NULL, &s, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_access_token(s, 60, &token, &err);
    double ms = (MPI_Wtime() - t0) * 1e3;
    if (st != TAPIS_AUTH_OK)
        fprintf(stderr, "rank %d: %s: %s\n", rank, tapis_auth_status_name(st),
                tapis_auth_error_message(err));
    unsigned long long h = st == TAPIS_AUTH_OK ? (unsigned long long)fnv1a(token) : 0;
    tapis_auth_string_free(token);
    tapis_auth_error_free(err);
    tapis_auth_session_free(s);

    int ok = st == TAPIS_AUTH_OK, oks = 0;
    double max_ms = 0;
    MPI_Reduce(&ok, &oks, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&ms, &max_ms, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    unsigned long long *all = rank == 0 ? malloc(sizeof *all * (size_t)size) : NULL;
    MPI_Gather(&h, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        int distinct = 0;
        for (int i = 0; i < size; i++) {
            if (all[i] == 0) continue;
            int seen = 0;
            for (int j = 0; j < i; j++) seen |= all[j] == all[i];
            distinct += !seen;
        }
        printf("MPI ranks=%d ok=%d failed=%d max_ms=%.0f distinct_tokens=%d\n", size, oks,
               size - oks, max_ms, distinct);
        free(all);
    }
    MPI_Finalize();
    return 0;
}
