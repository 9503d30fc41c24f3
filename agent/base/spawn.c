/* spawn.c: start child processes (fork + execve) and wait for or stop them.
 * The parent does everything that allocates (environment, PATH search)
 * before fork(); between fork() and execve() the child may make only
 * async-signal-safe calls: no malloc, no stdio, no setenv, no execvp. A
 * child's failure before exec travels back over a close-on-exec pipe and
 * becomes the caller's error. Never prints, never exits the parent. */
#include "agent/base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The step of the child that failed, as reported over the pipe. */
enum step { STEP_GROUP = 1, STEP_DEATHSIG, STEP_OPEN, STEP_DUP, STEP_CHDIR, STEP_KEEP, STEP_EXEC };

struct report {
    int step;
    int index;  /* which stdio or keep fd */
    int error;  /* errno */
};

static const char *const stdio_names[3] = {"stdin", "stdout", "stderr"};

/* ---- before fork: the parent ---- */

static int same_name(const char *entry, const char *name)
{
    size_t n = strlen(name);

    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* 1 when a later change of o names the same variable as change i. */
static int overridden(const struct xtars_spawn_options *o, int i)
{
    for (int j = i + 1; j < o->env_count; j++)
        if (strcmp(o->env[j].name, o->env[i].name) == 0)
            return 1;
    return 0;
}

static int changed(const struct xtars_spawn_options *o, const char *entry)
{
    for (int i = 0; i < o->env_count; i++)
        if (same_name(entry, o->env[i].name))
            return 1;
    return 0;
}

/* The child's environment: the parent's without the changed names, then the
 * values set. *text owns the new "NAME=value" strings. environ itself when
 * nothing changes. */
static char **build_env(const struct xtars_spawn_options *o, char **text)
{
    size_t count = 0, bytes = 0, n = 0, used = 0;
    char **envp;

    *text = NULL;
    if (o->env_count == 0)
        return environ;
    while (environ[count])
        count++;
    for (int i = 0; i < o->env_count; i++)
        if (o->env[i].value)
            bytes += strlen(o->env[i].name) + strlen(o->env[i].value) + 2;
    envp = malloc((count + (size_t)o->env_count + 1) * sizeof *envp);
    *text = malloc(bytes + 1);
    if (envp == NULL || *text == NULL) {
        free(envp);
        free(*text);
        *text = NULL;
        return NULL;
    }
    for (size_t k = 0; k < count; k++)
        if (!changed(o, environ[k]))
            envp[n++] = environ[k];
    for (int i = 0; i < o->env_count; i++) {
        if (o->env[i].value == NULL || overridden(o, i))
            continue;
        envp[n++] = *text + used;
        used += (size_t)sprintf(*text + used, "%s=%s", o->env[i].name, o->env[i].value) + 1;
    }
    envp[n] = NULL;
    return envp;
}

/* The child's PATH: the last change to it, else the parent's. */
static const char *child_path(const struct xtars_spawn_options *o)
{
    for (int i = o->env_count - 1; i >= 0; i--)
        if (strcmp(o->env[i].name, "PATH") == 0)
            return o->env[i].value;
    return getenv("PATH");
}

/* Like execvp's search, done before fork. Returns 0 or an errno. */
static int find_program(const char *program, const char *search_path, char *out, size_t size)
{
    const char *dir = search_path ? search_path : "/bin:/usr/bin";
    int error = ENOENT;

    if (strchr(program, '/'))
        return snprintf(out, size, "%s", program) < (int)size ? 0 : ENAMETOOLONG;
    if (program[0] == '\0')
        return ENOENT;
    for (;;) {
        const char *end = strchrnul(dir, ':');
        int len = (int)(end - dir);
        struct stat st;

        /* An empty element means the current directory, as in execvp. */
        if (snprintf(out, size, "%.*s%s%s", len, dir, len ? "/" : "", program) < (int)size) {
            if (access(out, X_OK) != 0) {
                if (errno == EACCES)
                    error = EACCES;
            } else if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
                return 0;
            }
        }
        if (*end == '\0')
            return error;
        dir = end + 1;
    }
}

xtars_err xtars_spawn_find(const char *program, const char *search_path, char *out,
                           size_t size, char *err)
{
    int error = find_program(program, search_path ? search_path : getenv("PATH"), out, size);

    if (error == 0)
        return XTARS_OK;
    out[0] = '\0';
    return xtars_error(err, XTARS_ECHILD, "spawn: cannot execute '%.200s': %s", program,
                       strerror(error));
}

/* ---- after fork: the child, async-signal-safe calls only ---- */

_Noreturn static void fail(int report_fd, int step, int index)
{
    struct report r = {step, index, errno};
    ssize_t unused = write(report_fd, &r, sizeof r);

    (void)unused;
    _exit(127);
}

/* Caught signals go back to default (the parent's handlers must not run
 * here), ignored ones too when asked; then nothing stays blocked. */
static void reset_signals(int ignored_too)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0)
            continue;
        if (sa.sa_handler == SIG_DFL || (sa.sa_handler == SIG_IGN && !ignored_too))
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The fd stdio slot i should become, or -1 to inherit. Kept above 2 so one
 * slot's dup2 cannot overwrite another slot's source. */
static int open_stdio(const struct xtars_spawn_stdio *s, int i, int report_fd)
{
    int fd = -1, flags = O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC;

    switch (s->kind) {
    case XTARS_SPAWN_INHERIT: return -1;
    case XTARS_SPAWN_FD:
        fd = s->fd;
        errno = EBADF;
        break;
    case XTARS_SPAWN_DEVNULL: fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC); break;
    case XTARS_SPAWN_TRUNCATE: fd = open(s->path, flags | O_TRUNC, 0644); break;
    case XTARS_SPAWN_APPEND: fd = open(s->path, flags | O_APPEND, 0644); break;
    }
    if (fd < 0)
        fail(report_fd, s->kind == XTARS_SPAWN_FD ? STEP_DUP : STEP_OPEN, i);
    if (fd < 3 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
        fail(report_fd, STEP_DUP, i);
    return fd;
}

static void setup_stdio(const struct xtars_spawn_options *o, int report_fd)
{
    int fds[3];

    for (int i = 0; i < 3; i++)
        fds[i] = open_stdio(&o->stdio[i], i, report_fd);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0 && dup2(fds[i], i) < 0)
            fail(report_fd, STEP_DUP, i);
}

_Noreturn static void child(const struct xtars_spawn_options *o, const char *file,
                            char *const *envp, pid_t parent, int report_fd)
{
    reset_signals(o->default_signals);
    if ((o->group == XTARS_SPAWN_NEW_GROUP && setpgid(0, 0) != 0) ||
        (o->group == XTARS_SPAWN_NEW_SESSION && setsid() < 0))
        fail(report_fd, STEP_GROUP, 0);
    if (o->death_signal) {
        if (prctl(PR_SET_PDEATHSIG, o->death_signal) != 0)
            fail(report_fd, STEP_DEATHSIG, 0);
        /* The parent may have died before prctl: then the signal never comes. */
        if (getppid() != parent) {
            kill(getpid(), o->death_signal);
            _exit(128 + o->death_signal);
        }
    }
    setup_stdio(o, report_fd);
    if (o->cwd && chdir(o->cwd) != 0)
        fail(report_fd, STEP_CHDIR, 0);
    for (int i = 0; i < o->keep_fd_count; i++)
        if (fcntl(o->keep_fds[i], F_SETFD, 0) != 0)
            fail(report_fd, STEP_KEEP, i);
    execve(file, (char *const *)o->argv, envp);
    fail(report_fd, STEP_EXEC, 0);
}

/* ---- back in the parent ---- */

static xtars_err child_error(const struct xtars_spawn_options *o, const char *file,
                             const struct report *r, char *err)
{
    const char *name = o->name ? o->name : o->argv[0], *what = strerror(r->error);
    const struct xtars_spawn_stdio *s = &o->stdio[r->index < 3 ? r->index : 0];

    switch (r->step) {
    case STEP_GROUP:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot start a new process %s: %s",
                           name, o->group == XTARS_SPAWN_NEW_SESSION ? "session" : "group", what);
    case STEP_DEATHSIG:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot set the death signal: %s",
                           name, what);
    case STEP_OPEN:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot open '%.200s' for %s: %s",
                           name, s->path ? s->path : "/dev/null", stdio_names[r->index], what);
    case STEP_DUP:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot redirect %s: %s", name,
                           stdio_names[r->index], what);
    case STEP_CHDIR:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot change directory to "
                           "'%.200s': %s", name, o->cwd, what);
    case STEP_KEEP:
        return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot keep fd %d open: %s", name,
                           o->keep_fds[r->index], what);
    default:
        if (o->name)
            return xtars_error(err, XTARS_ECHILD, "spawn: '%.200s': cannot execute '%.200s': %s",
                               o->name, file, what);
        return xtars_error(err, XTARS_ECHILD, "spawn: cannot execute '%.200s': %s", o->argv[0], what);
    }
}

/* Waits for the child's report: end-of-file when it executed. */
static xtars_err await_exec(const struct xtars_spawn_options *o, const char *file, pid_t pid,
                            int report_fd, char *err)
{
    struct report r;
    ssize_t n;

    do
        n = read(report_fd, &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof r)
        return XTARS_OK;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (r.step < STEP_GROUP || r.step > STEP_EXEC || r.index < 0 ||
        (r.step == STEP_KEEP ? r.index >= o->keep_fd_count : r.index > 2))
        r.step = STEP_EXEC; /* cannot happen; keeps child_error's indexes in range */
    return child_error(o, file, &r, err);
}

static xtars_err check_options(const struct xtars_spawn_options *o, char *err)
{
    if (o->argv == NULL || o->argv[0] == NULL)
        return xtars_error(err, XTARS_EINVAL, "spawn: no program given");
    for (int i = 0; i < o->keep_fd_count; i++)
        if (o->keep_fds[i] < 3)
            return xtars_error(err, XTARS_EINVAL, "spawn: '%.200s': cannot keep fd %d (0-2 are "
                               "stdio)", o->name ? o->name : o->argv[0], o->keep_fds[i]);
    for (int i = 0; i < o->env_count; i++)
        if (o->env[i].name == NULL || o->env[i].name[0] == '\0' || strchr(o->env[i].name, '='))
            return xtars_error(err, XTARS_EINVAL, "spawn: bad environment variable name '%.100s'",
                               o->env[i].name ? o->env[i].name : "(null)");
    return XTARS_OK;
}

/* A pipe whose ends are above 2, so no stdio dup2 in the child closes them. */
static int report_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 3) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            close(fds[i]);
            fds[i] = moved;
        }
    }
    if (fds[0] < 0 || fds[1] < 0) {
        if (fds[0] >= 0)
            close(fds[0]);
        if (fds[1] >= 0)
            close(fds[1]);
        return -1;
    }
    return 0;
}

/* fork() with every signal blocked, so no handler of ours runs in the child
 * before reset_signals(). */
static pid_t fork_child(const struct xtars_spawn_options *o, const char *file, char **envp,
                        int report_fd)
{
    sigset_t all, old;
    pid_t parent = getpid(), pid;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        child(o, file, envp, parent, report_fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid;
}

xtars_err xtars_spawn(const struct xtars_spawn_options *o, pid_t *pid_out, char *err)
{
    char file[PATH_MAX], *env_text = NULL, **envp = NULL;
    int fds[2] = {-1, -1}, error;
    pid_t pid;
    xtars_err rc;

    *pid_out = 0;
    if ((rc = check_options(o, err)) != XTARS_OK)
        return rc;
    error = find_program(o->file ? o->file : o->argv[0], child_path(o), file, sizeof file);
    if (error != 0)
        return xtars_error(err, XTARS_ECHILD, "spawn: cannot execute '%.200s': %s",
                           o->file ? o->file : o->argv[0], strerror(error));
    if ((envp = build_env(o, &env_text)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "spawn: out of memory");
    if (report_pipe(fds) != 0) {
        rc = xtars_error(err, XTARS_ECHILD, "spawn: pipe: %s", strerror(errno));
        goto out;
    }
    pid = fork_child(o, file, envp, fds[1]);
    error = errno;
    close(fds[1]);
    if (pid < 0) {
        rc = xtars_error(err, XTARS_ECHILD, "spawn: cannot fork for '%.200s': %s",
                         o->name ? o->name : o->argv[0], strerror(error));
        goto out;
    }
    if ((rc = await_exec(o, file, pid, fds[0], err)) == XTARS_OK)
        *pid_out = pid;
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (envp != environ)
        free(envp);
    free(env_text);
    return rc;
}

/* ---- waiting ---- */

int xtars_spawn_wait(pid_t pid, int timeout_ms, int *status)
{
    struct timespec start, now;
    int local, nap_ms = 1;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t got = waitpid(pid, status ? status : &local, timeout_ms < 0 ? 0 : WNOHANG);
        if (got == pid)
            return 1;
        if (got < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (got == 0) {
            long elapsed = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
            if (elapsed >= timeout_ms)
                return 0;
            usleep((useconds_t)(nap_ms < timeout_ms - elapsed ? nap_ms : timeout_ms - elapsed) * 1000);
            nap_ms = nap_ms < 10 ? nap_ms * 2 : 10;
        }
    }
}

void xtars_spawn_stop(pid_t pid, int group, int grace_ms, int *status)
{
    pid_t target = group ? -pid : pid;

    if (pid <= 0)
        return;
    if (grace_ms > 0) {
        kill(target, SIGTERM);
        if (xtars_spawn_wait(pid, grace_ms, status) != 0)
            return;
    }
    kill(target, SIGKILL);
    xtars_spawn_wait(pid, -1, status);
}

int xtars_spawn_exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}
