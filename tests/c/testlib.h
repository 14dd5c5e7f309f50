/*
 * Shared by the C test programs: pass/fail counters and checks, and a tiny HTTP client for
 * the test server's /_test/ endpoints. Header-only (each test program is one file).
 */
#ifndef TAPIS_AUTH_TESTLIB_H
#define TAPIS_AUTH_TESTLIB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tapis_auth.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) {                                                                            \
            passed++;                                                                          \
        } else {                                                                               \
            failed++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

/* Checks status == want and, when there is an error object, that its status matches too. */
#define CHECK_STATUS(got, want, err)                                                           \
    CHECK((got) == (want), "status %u (%s), want %u (%s): %s", (unsigned)(got),                \
          tapis_auth_status_name(got), (unsigned)(want), tapis_auth_status_name(want),         \
          tapis_auth_error_message(err))

/* The test server's port (set by main from TAPIS_TEST_URL). */
static unsigned short server_port;

/* --- tiny HTTP client for the test server's /_test/ endpoints ----------------------------- */
static int http_post(const char *path, const char *json, char *resp, size_t resp_len) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(server_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, strlen(json), json);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < resp_len && (r = read(fd, resp + got, resp_len - 1 - got)) > 0) got += (size_t)r;
    resp[got] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) return -1;
    return status;
}

#endif
