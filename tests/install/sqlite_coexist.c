/*
 * sqlite_coexist: an application that links its own SQLite *and* libtapis_auth (which bundles
 * another SQLite for its sqlite store). scripts/test-install.sh links it every way a site might:
 * the shared and the static libtapis_auth, with the system's shared and static SQLite, each
 * library first and last on the command line. In every case:
 *   1. sqlite3_libversion() and sqlite3_sourceid() are the application's SQLite — the one whose
 *      header it was compiled with (SQLITE_VERSION, SQLITE_SOURCE_ID) — not the bundled copy;
 *   2. the application's SQLite opens the database file libtapis_auth's sqlite store wrote and
 *      reads its tables;
 *   3. libtapis_auth's sqlite store, in the same process, restores the session from that file
 *      and hands out an access token.
 * Usage: sqlite_coexist DB   (DB: a database written by `tapis-auth --store sqlite login`)
 * Prints "sqlite_coexist: ok (application SQLite X; token N bytes)" and exits 0, else exits 1.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "tapis_auth.h"

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "sqlite_coexist: %s: %s\n", what, detail ? detail : "(null)");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) return fail("usage", "sqlite_coexist DB");
    const char *db_path = argv[1];

    /* 1. The application's SQLite is the one it was compiled against. */
    if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0)
        return fail("sqlite3_libversion() is not the application's SQLite " SQLITE_VERSION, sqlite3_libversion());
    if (strcmp(sqlite3_sourceid(), SQLITE_SOURCE_ID) != 0)
        return fail("sqlite3_sourceid() is not the application's SQLite", sqlite3_sourceid());
    if (sqlite3_libversion_number() != SQLITE_VERSION_NUMBER)
        return fail("sqlite3_libversion_number() differs from SQLITE_VERSION_NUMBER", sqlite3_libversion());

    /* 2. It reads the database the library's store wrote. */
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return fail("application SQLite cannot open the store's database", sqlite3_errmsg(db));
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1, &q, NULL) != SQLITE_OK)
        return fail("application SQLite cannot query the store's database", sqlite3_errmsg(db));
    if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) < 1)
        return fail("the store's database has no tables", db_path);
    sqlite3_finalize(q);
    sqlite3_close(db);

    /* 3. libtapis_auth's own SQLite serves its store in the same process. */
    tapis_auth_options *opts = tapis_auth_options_new();
    tapis_auth_session *session = NULL;
    tapis_auth_error *err = NULL;
    char *token = NULL;
    tapis_auth_status st = tapis_auth_options_set_use_environment(opts, false, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_options_set_store(opts, "sqlite", db_path, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_session_restore(opts, &session, &err);
    if (st == TAPIS_AUTH_OK) st = tapis_auth_access_token(session, 60, &token, &err);
    if (st != TAPIS_AUTH_OK) return fail(tapis_auth_status_name(st), tapis_auth_error_message(err));
    size_t token_len = strlen(token);

    /* ... and the application's SQLite is still its own afterwards. */
    if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0)
        return fail("after the library's store ran, sqlite3_libversion() changed", sqlite3_libversion());

    printf("sqlite_coexist: ok (application SQLite %s; token %zu bytes)\n",
           sqlite3_libversion(), token_len);
    tapis_auth_string_free(token);
    tapis_auth_session_free(session);
    tapis_auth_options_free(opts);
    return 0;
}
