/* xtars/launch.h: applications started for a run (`--launch CMD`, task
 * `setup` entries): each runs as `/bin/sh -c CMD` in its own process group
 * on a given display, and is stopped with its whole group when freed, so a
 * run leaves no process behind.
 *
 * Ownership: xtars_launch_start() returns a handle; xtars_launch_free()
 * terminates the group (SIGTERM, then SIGKILL after a grace period), reaps
 * the shell and every member of the group that is the caller's child, and
 * frees the handle. It accepts NULL. A caller that is a child subreaper
 * (prctl PR_SET_CHILD_SUBREAPER, as the xtars CLI is) inherits the apps the
 * shell started, so those are reaped too and none outlives the free.
 */
#ifndef XTARS_LAUNCH_H
#define XTARS_LAUNCH_H

#include <sys/types.h>

#include "agent/base/spawn.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_launch;

/* Starts `command` with DISPLAY=display (NULL: inherit) in directory cwd
 * (NULL: inherit). With wait_for non-NULL, waits until the command's stdout
 * prints a line containing it (its other output is discarded), for at most
 * timeout_ms; otherwise stdout and stderr go to /dev/null and it returns at
 * once. Errors: ECHILD naming the command when it cannot start, exits
 * early, or does not print wait_for in time. */
xtars_err xtars_launch_start(const char *command, const char *display, const char *cwd,
                             const char *wait_for, int timeout_ms, struct xtars_launch **out,
                             char *err);

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

/* Nonzero while the command's shell is still running. */
int xtars_launch_running(struct xtars_launch *launch);

void xtars_launch_free(struct xtars_launch *launch);

#ifdef __cplusplus
}
#endif
#endif
