/* agent/base/spawn.h: the one process spawner. Every child process xtars
 * starts (Xvfb, launched apps, task checks, batch tasks) goes through
 * xtars_spawn(), so all of them get the same care: everything that allocates
 * happens before fork(); the child makes only async-signal-safe calls; a
 * death signal is re-checked against the parent's pid; and every failure
 * before exec (open, dup2, chdir, setpgid, prctl, execve) comes back to the
 * caller as an error naming the program and the step.
 *
 * Ownership: the options and every string they point to stay the caller's;
 * xtars_spawn() frees what it allocates before it returns. On success the
 * child is the caller's to reap (xtars_spawn_wait(), xtars_spawn_stop() or
 * waitpid()); on failure no child is left behind (it has been reaped).
 */
#ifndef XTARS_SPAWN_H
#define XTARS_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one of the child's stdin, stdout, stderr is. */
enum xtars_spawn_stdio_kind {
    XTARS_SPAWN_INHERIT = 0,  /* the parent's, unchanged */
    XTARS_SPAWN_DEVNULL,      /* /dev/null, read-write */
    XTARS_SPAWN_TRUNCATE,     /* path, created (0644 less umask) or truncated */
    XTARS_SPAWN_APPEND,       /* path, created (0644 less umask) or appended to */
    XTARS_SPAWN_FD,           /* fd, duplicated (it may be close-on-exec) */
};

struct xtars_spawn_stdio {
    enum xtars_spawn_stdio_kind kind;
    const char *path;  /* TRUNCATE, APPEND; relative to the parent's directory, not cwd */
    int fd;            /* FD: a descriptor of the parent, before any redirection */
};

enum xtars_spawn_group {
    XTARS_SPAWN_SAME_GROUP = 0,  /* stays in the parent's process group */
    XTARS_SPAWN_NEW_GROUP,       /* setpgid(0, 0): its own group, pgid = pid */
    XTARS_SPAWN_NEW_SESSION,     /* setsid(): its own session and group */
};

/* One change to the inherited environment: value NULL removes name. When a
 * name appears twice, the later change wins. */
struct xtars_spawn_env {
    const char *name;
    const char *value;
};

struct xtars_spawn_options {
    const char *const *argv;            /* NULL-terminated; argv[0] names the program */
    const char *file;                   /* executable; NULL: argv[0], searched on PATH
                                           (the child's PATH) when it has no '/' */
    const char *name;                   /* the program in error messages; NULL: argv[0] */
    const struct xtars_spawn_env *env;  /* env_count changes, applied in order */
    int env_count;
    const char *cwd;                    /* NULL: the parent's */
    struct xtars_spawn_stdio stdio[3];  /* stdin, stdout, stderr; zeroed: inherit */
    enum xtars_spawn_group group;
    int death_signal;                   /* PR_SET_PDEATHSIG; 0: none. Linux sends it when
                                           the calling *thread* ends, so spawn from a
                                           thread that lives as long as the child */
    int default_signals;                /* nonzero: every signal, ignored ones too, back to
                                           SIG_DFL (caught ones always are) */
    const int *keep_fds;                /* keep_fd_count fds above 2 left open across exec */
    int keep_fd_count;
};

/* Starts the program described by o and sets *pid_out to its pid once it has
 * executed (or 0 on failure). The child's signal mask is always empty.
 * Errors: EINVAL (no argv, a keep fd below 3), ENOMEM, ECHILD naming the
 * program and the failed step, e.g. "spawn: cannot execute 'xclockk': No such
 * file or directory", "spawn: 'sh': cannot open '/x/out.txt' for stdout:
 * Permission denied". */
xtars_err xtars_spawn(const struct xtars_spawn_options *o, pid_t *pid_out, char *err);

/* Finds the executable `program` would run: itself when it contains '/',
 * else the first executable regular file of that name in search_path (NULL:
 * $PATH, or "/bin:/usr/bin" without one). Writes it to out (size bytes).
 * Errors: ECHILD "spawn: cannot execute 'NAME': No such file or directory"
 * (or Permission denied when only non-executable candidates exist). */
xtars_err xtars_spawn_find(const char *program, const char *search_path, char *out,
                           size_t size, char *err);

/* Waits for child pid at most timeout_ms (negative: no limit). Returns 1
 * when it was reaped (its wait status in *status, which may be NULL), 0 when
 * it still runs at the deadline, -1 on a waitpid error (errno set). */
int xtars_spawn_wait(pid_t pid, int timeout_ms, int *status);

/* Stops child pid and reaps it: SIGTERM, up to grace_ms for it to exit,
 * then SIGKILL (at once when grace_ms <= 0). With group nonzero the signals
 * go to its whole process group (pid must lead one). *status may be NULL. */
void xtars_spawn_stop(pid_t pid, int group, int grace_ms, int *status);

/* A wait status as one number: the exit code, or 128 + the signal. */
int xtars_spawn_exit_code(int status);

#ifdef __cplusplus
}
#endif
#endif
