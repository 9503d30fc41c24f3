/* tty.h: run a program (usually the xtars binary) on a pseudo-terminal
 * from a test, for what xtars asks a person there (the action policy's
 * confirmation, `replay --step`), and read what it writes. */
#ifndef XTARS_TEST_TTY_H
#define XTARS_TEST_TTY_H

#include <sys/types.h>

#include "xtars/buf.h"

struct xt_tty {
    pid_t pid;
    int master;
    struct xtars_buf seen;  /* everything read from the terminal so far */
};

/* Starts argv (argv[0] searched on PATH; "@xtars" is $XTARS_BIN) in a new
 * session whose controlling terminal, stdin, stdout and stderr are a new
 * pty, with each "NAME=VALUE" of env (NULL-terminated, may be NULL) set. */
void xt_tty_start(struct xt_tty *t, const char *const *argv, const char *const *env);

/* Reads the terminal until text has appeared (fails the test after 20 s or
 * when the terminal closes first, showing what was seen). */
void xt_tty_expect(struct xt_tty *t, const char *text);

/* Types text on the terminal, as a person would. */
void xt_tty_type(struct xt_tty *t, const char *text);

/* Waits for the program and returns its exit code (128+signal); reads what
 * it wrote until then into seen; closes the terminal. */
int xt_tty_finish(struct xt_tty *t);

#endif
