/* launch.c: start and stop the applications a run drives. Each gets its own
 * process group so stopping it also stops whatever it spawned; nothing may
 * outlive the run. Never prints. */
#include "agent/run/launch.h"
#include "agent/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct xtars_launch {
    pid_t pid;
    int exited;
    int status;
};

xtars_err xtars_launch_shell(const char *command, const char *display, const char *cwd,
                             const struct xtars_spawn_stdio stdio[3], int death_signal,
                             pid_t *pid, char *err)
{
    const char *argv[] = {"sh", "-c", command, NULL};
    const struct xtars_spawn_env env[] = {{"DISPLAY", display}};
    const struct xtars_spawn_options o = {
        .argv = argv,
        .file = "/bin/sh",
        .name = command,
        .env = env,
        .env_count = display ? 1 : 0,
        .cwd = cwd,
        .stdio = {stdio[0], stdio[1], stdio[2]},
        .group = XTARS_SPAWN_NEW_GROUP,
        .death_signal = death_signal,
    };

    return xtars_spawn(&o, pid, err);
}

/* Reads the child's stdout until a line contains wait_for. */
static xtars_err wait_ready(struct xtars_launch *l, int fd, const char *command,
                            const char *wait_for, int timeout_ms, char *err)
{
    char text[8192];
    size_t used = 0;
    double deadline = xtars_clock_ms() + timeout_ms;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        double left = deadline - xtars_clock_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
            return xtars_error(err, XTARS_ECHILD, "launch: '%.200s' did not print '%.60s' within %d ms",
                               command, wait_for, timeout_ms);
        n = read(fd, text + used, sizeof text - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            waitpid(l->pid, &l->status, 0);
            l->exited = 1;
            return xtars_error(err, XTARS_ECHILD, "launch: '%.200s' exited (status %d) before printing '%.60s'",
                               command, xtars_spawn_exit_code(l->status), wait_for);
        }
        used += (size_t)n;
        text[used] = '\0';
        if (strstr(text, wait_for))
            return XTARS_OK;
        if (used > sizeof text / 2) { /* keep the tail: the marker may straddle reads */
            memmove(text, text + used - 256, 256);
            used = 256;
        }
    }
}

xtars_err xtars_launch_start(const char *command, const char *display, const char *cwd,
                             const char *wait_for, int timeout_ms, struct xtars_launch **out,
                             char *err)
{
    struct xtars_launch *l;
    int fds[2] = {-1, -1};
    struct xtars_spawn_stdio stdio[3] = {{XTARS_SPAWN_DEVNULL, NULL, -1},
                                         {XTARS_SPAWN_DEVNULL, NULL, -1},
                                         {XTARS_SPAWN_DEVNULL, NULL, -1}};
    xtars_err rc = XTARS_OK;

    *out = NULL;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return xtars_error(err, XTARS_ENOMEM, "launch: out of memory");
    if (wait_for && pipe2(fds, O_CLOEXEC) != 0) {
        free(l);
        return xtars_error(err, XTARS_ECHILD, "launch: pipe: %s", strerror(errno));
    }
    if (wait_for)
        stdio[1] = (struct xtars_spawn_stdio){XTARS_SPAWN_FD, NULL, fds[1]};
    /* Returns once the shell runs, so a kill of its group cannot miss it. */
    rc = xtars_launch_shell(command, display, cwd, stdio, SIGTERM, &l->pid, err);
    if (fds[1] >= 0)
        close(fds[1]);
    if (rc == XTARS_OK && wait_for)
        rc = wait_ready(l, fds[0], command, wait_for, timeout_ms > 0 ? timeout_ms : 10000, err);
    if (fds[0] >= 0)
        close(fds[0]); /* later output goes to a closed pipe: the app gets EPIPE, not a hang */
    if (rc != XTARS_OK) {
        xtars_launch_free(l);
        return rc;
    }
    *out = l;
    return XTARS_OK;
}

pid_t xtars_launch_pid(const struct xtars_launch *launch) { return launch->pid; }

int xtars_launch_running(struct xtars_launch *l)
{
    if (l->exited)
        return 0;
    if (waitpid(l->pid, &l->status, WNOHANG) == l->pid)
        l->exited = 1;
    return !l->exited;
}

/* Reaps every member of the group that is our child: the shell, and the
 * apps it started once they are orphaned to us (the CLI makes xtars a child
 * subreaper). Returns 1 when none is left, 0 if some still run. */
static int reap_group(struct xtars_launch *l, int block)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-l->pid, &status, block ? 0 : WNOHANG);
        if (pid == l->pid) {
            l->exited = 1;
            l->status = status;
        } else if (pid < 0 && errno == EINTR) {
            continue;
        } else if (pid <= 0) {
            return pid < 0; /* ECHILD: nobody left to wait for */
        }
    }
}

void xtars_launch_free(struct xtars_launch *l)
{
    double deadline;

    if (l == NULL)
        return;
    if (l->pid > 0) {
        /* SIGTERM first, so apps can save and exit; the whole group gets
         * the grace period, not only the shell. */
        kill(-l->pid, SIGTERM);
        deadline = xtars_clock_ms() + 1500;
        while (!reap_group(l, 0) && xtars_clock_ms() < deadline)
            usleep(5000);
        kill(-l->pid, SIGKILL); /* whatever ignored SIGTERM or was not ours to wait for */
        reap_group(l, 1);
    }
    free(l);
}
