/* mserver.h: run xtars-model-server (the scripted model server) from a test:
 * start it with a script, learn its port, read the requests it recorded, and
 * stop it with SIGTERM. */
#ifndef XTARS_TEST_MSERVER_H
#define XTARS_TEST_MSERVER_H

#include <cjson/cJSON.h>
#include <sys/types.h>

struct xt_mserver {
    pid_t pid;
    int port;
    char endpoint[64];   /* http://127.0.0.1:PORT/v1 */
    char url[96];        /* endpoint + /chat/completions */
    char log[600];       /* the server's request log (JSON lines) */
};

/* Writes script_json to a file and starts the server on it. The server
 * compares Bearer keys with $XT_EXPECTED_KEY when that is set in `env`
 * ("NAME=VALUE" strings, NULL-terminated, may be NULL). Aborts the test if
 * the server does not report a port. */
void xt_mserver_start(struct xt_mserver *s, const char *script_json, const char *const *env);

/* Sends SIGTERM and checks that the server exited 0. */
void xt_mserver_stop(struct xt_mserver *s);

/* A TCP port on 127.0.0.1 that was free a moment ago and has no listener
 * (bound, read back, closed): for "connection refused" and for servers the
 * test starts itself. */
int xt_free_port(void);

/* The recorded requests, in arrival order, as a cJSON array (caller deletes). */
cJSON *xt_mserver_requests(const struct xt_mserver *s);

#endif
