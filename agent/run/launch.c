/* launch.c: start and stop the applications a run drives. Each gets its own
 * process group so stopping it also stops whatever it spawned; nothing may
 * outlive the run. Its output goes to a log file, never to a pipe: an app
 * that prints a lot must never block on us. Never prints. */
#include "agent/run/launch.h"
#include "agent/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct xtars_launch {
    pid_t pid;
    int exited;
    int status;   /* wait status, once exited */
    int log_fd;   /* stdout and stderr of the command, O_APPEND; read with pread() */
    char *command;
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

/* Opens the log both the command's stdout and stderr are appended to; we
 * read it back with pread() (for wait_for and the last line), so our offset
 * never matters. */
static xtars_err open_log(const char *path, int *fd, char *err)
{
    FILE *tmp;

    if (path) {
        /* in a trajectory directory: never through a link left there */
        *fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (*fd < 0)
            return xtars_error(err, XTARS_EIO, "launch: cannot create '%.300s': %s", path,
                               strerror(errno));
        return XTARS_OK;
    }
    tmp = tmpfile(); /* unnamed: gone with its last descriptor */
    *fd = tmp ? fcntl(fileno(tmp), F_DUPFD_CLOEXEC, 3) : -1;
    if (tmp)
        fclose(tmp);
    if (*fd < 0 || fcntl(*fd, F_SETFL, O_APPEND) != 0)
        return xtars_error(err, XTARS_EIO, "launch: cannot create a temporary log: %s",
                           strerror(errno));
    return XTARS_OK;
}

/* Scans the log from *scanned on for text; keeps the last bytes of what it
 * has seen so that a marker split across two writes is still found. */
static int log_contains(const struct xtars_launch *l, const char *text, char *window,
                        size_t window_size, size_t *kept, off_t *scanned)
{
    size_t need = strlen(text);

    for (;;) {
        ssize_t n = pread(l->log_fd, window + *kept, window_size - *kept, *scanned);
        if (n <= 0)
            return 0;
        *scanned += n;
        *kept += (size_t)n;
        if (memmem(window, *kept, text, need))
            return 1;
        if (*kept > need) { /* keep need - 1 bytes: the start of a marker still to come */
            memmove(window, window + *kept - (need - 1), need - 1);
            *kept = need - 1;
        }
    }
}

/* Polls the log until it contains wait_for, the command exits, or time runs out. */
static xtars_err wait_ready(struct xtars_launch *l, const char *wait_for, int timeout_ms,
                            char *err)
{
    char window[8192];
    size_t kept = 0;
    off_t scanned = 0;
    double deadline = xtars_clock_ms() + timeout_ms;

    if (strlen(wait_for) >= sizeof window / 2)
        return xtars_error(err, XTARS_EINVAL, "launch: the text to wait for is too long");
    for (;;) {
        int running = xtars_launch_running(l); /* before the scan: a last line is not missed */
        if (log_contains(l, wait_for, window, sizeof window, &kept, &scanned))
            return XTARS_OK;
        if (!running) {
            char how[XTARS_ERRLEN];
            xtars_launch_describe_exit(l, how, sizeof how);
            return xtars_error(err, XTARS_ECHILD, "%s (while waiting for '%.60s')", how, wait_for);
        }
        if (xtars_clock_ms() >= deadline)
            return xtars_error(err, XTARS_ECHILD, "launch: '%.200s' did not print '%.60s' within %d ms",
                               l->command, wait_for, timeout_ms);
        xtars_clock_sleep_ms(20);
    }
}

xtars_err xtars_launch_start(const char *command, const struct xtars_launch_options *o,
                             struct xtars_launch **out, char *err)
{
    struct xtars_launch *l;
    struct xtars_spawn_stdio stdio[3] = {{XTARS_SPAWN_DEVNULL, NULL, -1}};
    xtars_err rc;

    *out = NULL;
    if (command == NULL || command[0] == '\0')
        return xtars_error(err, XTARS_EINVAL, "launch: the command is empty");
    l = calloc(1, sizeof *l);
    if (l == NULL || (l->command = strdup(command)) == NULL) {
        free(l);
        return xtars_error(err, XTARS_ENOMEM, "launch: out of memory");
    }
    l->log_fd = -1;
    if ((rc = open_log(o->log_path, &l->log_fd, err)) != XTARS_OK) {
        xtars_launch_free(l);
        return rc;
    }
    stdio[1] = stdio[2] = (struct xtars_spawn_stdio){XTARS_SPAWN_FD, NULL, l->log_fd};
    /* Returns once the shell runs, so a kill of its group cannot miss it. */
    rc = xtars_launch_shell(command, o->display, o->cwd, stdio, SIGTERM, &l->pid, err);
    if (rc == XTARS_OK && o->wait_for)
        rc = wait_ready(l, o->wait_for, o->timeout_ms > 0 ? o->timeout_ms : XTARS_LAUNCH_WAIT_MS,
                        err);
    if (rc != XTARS_OK) {
        xtars_launch_free(l);
        return rc;
    }
    *out = l;
    return XTARS_OK;
}

pid_t xtars_launch_pid(const struct xtars_launch *launch) { return launch->pid; }

const char *xtars_launch_command(const struct xtars_launch *launch) { return launch->command; }

int xtars_launch_running(struct xtars_launch *l)
{
    if (l->exited)
        return 0;
    if (waitpid(l->pid, &l->status, WNOHANG) == l->pid)
        l->exited = 1;
    return !l->exited;
}

int xtars_launch_failed(const struct xtars_launch *l)
{
    return l->exited && !(WIFEXITED(l->status) && WEXITSTATUS(l->status) == 0);
}

void xtars_launch_last_line(const struct xtars_launch *l, char *out, size_t size)
{
    char tail[4096];
    struct stat st;
    off_t from;
    ssize_t n;
    size_t end, start, j = 0;

    out[0] = '\0';
    if (size == 0 || l->log_fd < 0 || fstat(l->log_fd, &st) != 0)
        return;
    from = st.st_size > (off_t)sizeof tail ? st.st_size - (off_t)sizeof tail : 0;
    n = pread(l->log_fd, tail, sizeof tail, from);
    if (n <= 0)
        return;
    end = (size_t)n;
    while (end > 0 && (unsigned char)tail[end - 1] <= ' ') /* trailing newlines and blanks */
        end--;
    start = end;
    while (start > 0 && tail[start - 1] != '\n')
        start--;
    while (start < end && (tail[start] == ' ' || tail[start] == '\t' || tail[start] == '\r'))
        start++;
    for (size_t i = start; i < end && j + 1 < size; i++) {
        unsigned char c = (unsigned char)tail[i];
        out[j++] = c < ' ' || c == 0x7f ? ' ' : (char)c;
    }
    while (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0x80) /* no cut UTF-8 sequence */
        j--;
    if (j > 0 && (unsigned char)out[j - 1] >= 0xC0)
        j--;
    out[j] = '\0';
}

void xtars_launch_describe_exit(struct xtars_launch *l, char *out, size_t size)
{
    char last[201], how[64];

    if (xtars_launch_running(l)) {
        snprintf(out, size, "launch: '%.200s' is running", l->command);
        return;
    }
    if (WIFSIGNALED(l->status))
        snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(l->status),
                 strsignal(WTERMSIG(l->status)));
    else
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(l->status));
    if (!xtars_launch_failed(l)) {
        snprintf(out, size, "launch: '%.200s' %s", l->command, how);
        return;
    }
    xtars_launch_last_line(l, last, sizeof last);
    if (last[0])
        snprintf(out, size, "launch: '%.200s' %s: \"%s\"", l->command, how, last);
    else
        snprintf(out, size, "launch: '%.200s' %s without printing anything", l->command, how);
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
    if (l->log_fd >= 0)
        close(l->log_fd);
    free(l->command);
    free(l);
}
