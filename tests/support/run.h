/* run.h: run a program (usually the xtars binary) from a test and capture its
 * exit status, stdout and stderr. */
#ifndef XTARS_TEST_RUN_H
#define XTARS_TEST_RUN_H

#include <stddef.h>

struct xt_result {
    int status;   /* exit code, or 128+signal */
    char *out;    /* stdout, NUL-terminated, caller frees via xt_result_free */
    char *err;    /* stderr */
};

/* Runs argv (argv[0] searched on PATH; the token "@xtars" is replaced by the
 * path in $XTARS_BIN) with `stdin_text` (may be NULL) on standard input and
 * each "NAME=VALUE" in env (NULL-terminated, may be NULL) added to the
 * environment. Aborts the test if the program cannot be started. */
struct xt_result xt_run(const char *const *argv, const char *const *env, const char *stdin_text);

void xt_result_free(struct xt_result *r);

#endif
