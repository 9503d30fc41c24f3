/* xtars/launch.h: applications started for a run (`--launch CMD`, task
 * `setup` entries): each runs as `/bin/sh -c CMD` in its own process group
 * on a given display, with its stdout and stderr kept in one log file, and
 * is stopped with its whole group when freed, so a run leaves no process
 * behind.
 *
 * Ownership: xtars_launch_start() returns a handle; xtars_launch_free()
 * terminates the group (SIGTERM, then SIGKILL after a grace period), reaps
 * the shell and every member of the group that is the caller's child, closes
 * the log and frees the handle. It accepts NULL. The log file itself stays
 * (an unnamed temporary one disappears). A caller that is a child subreaper
 * (prctl PR_SET_CHILD_SUBREAPER, as the xtars CLI is) inherits the apps the
 * shell started, so those are reaped too and none outlives the free.
 */
#ifndef XTARS_LAUNCH_H
#define XTARS_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

#include "agent/base/spawn.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_launch;

/* How long a launch may take to print its wait_for text by default. */
#define XTARS_LAUNCH_WAIT_MS 15000

struct xtars_launch_options {
    const char *display;   /* DISPLAY for the command; NULL: inherited */
    const char *cwd;       /* its directory; NULL: inherited */
    const char *log_path;  /* its stdout and stderr, created or truncated; NULL: an unnamed
                              temporary file (still read for messages and wait_for) */
    const char *wait_for;  /* NULL: return once it runs; else wait until its output (stdout or
                              stderr) contains this text */
    int timeout_ms;        /* for wait_for; <= 0: XTARS_LAUNCH_WAIT_MS */
};

/* Starts `command` as described by o. Errors: EINVAL (empty command),
 * ENOMEM, EIO (the log cannot be created, naming it), ECHILD naming the
 * command when it cannot start, exits before printing wait_for (quoting
 * the last line it printed, xtars_launch_describe_exit()) or does not print
 * it in time. *out is NULL on failure, and nothing is left running. */
xtars_err xtars_launch_start(const char *command, const struct xtars_launch_options *o,
                             struct xtars_launch **out, char *err);

/* Starts `/bin/sh -c command` in its own process group (pgid = *pid) with
 * DISPLAY=display (NULL: inherit), in cwd (NULL: inherit), with the given
 * stdin, stdout and stderr and death signal (0: none): what a launched app
 * and a task's shell check have in common. The caller reaps *pid. Errors as
 * xtars_spawn(), naming the command. */
xtars_err xtars_launch_shell(const char *command, const char *display, const char *cwd,
                             const struct xtars_spawn_stdio stdio[3], int death_signal,
                             pid_t *pid, char *err);

/* The shell's pid (also the process group id). */
pid_t xtars_launch_pid(const struct xtars_launch *launch);

/* The command as given. */
const char *xtars_launch_command(const struct xtars_launch *launch);

/* Nonzero while the command's shell is still running (it is reaped, without
 * blocking, once it has exited). */
int xtars_launch_running(struct xtars_launch *launch);

/* Nonzero when the command has exited with a status other than 0 or was
 * killed by a signal (only meaningful once xtars_launch_running() said 0). */
int xtars_launch_failed(const struct xtars_launch *launch);

/* The last non-empty line the command printed (stdout or stderr, whichever
 * came last), control characters shown as spaces, cut to fit size; "" when
 * it printed nothing. */
void xtars_launch_last_line(const struct xtars_launch *launch, char *out, size_t size);

/* One line on how the command ended, for errors and step notes:
 *   launch: 'CMD' exited with status 3: "last line it printed"
 *   launch: 'CMD' was killed by signal 9 (Killed) without printing anything
 *   launch: 'CMD' exited with status 0
 * or "launch: 'CMD' is running" while it runs. */
void xtars_launch_describe_exit(struct xtars_launch *launch, char *out, size_t size);

void xtars_launch_free(struct xtars_launch *launch);

#ifdef __cplusplus
}
#endif
#endif
