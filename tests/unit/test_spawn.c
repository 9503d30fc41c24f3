/* The one process spawner: errors that name the program and the failed step,
 * environment changes, stdio redirection, process groups, the death signal,
 * kept descriptors, signal dispositions, waiting and stopping. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "agent/base/spawn.h"

static const char *tmp(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof paths[0], "%s/%s", xt_tmpdir(), name);
    return p;
}

static const char *slurp(const char *path)
{
    static char text[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        FAIL("cannot read %s: %s", path, strerror(errno));
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

/* A script file at path with the given mode; returns path. */
static const char *write_script(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        FAIL("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
    ASSERT_EQ(chmod(path, mode), 0);
    return path;
}

/* Runs sh -c script with stdout into path (truncated) and waits; returns the
 * exit code. */
static int run_sh(const char *script, struct xtars_spawn_options *o, const char *path)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    char err[XTARS_ERRLEN];
    pid_t pid;
    int status;

    o->argv = argv;
    o->stdio[1] = (struct xtars_spawn_stdio){XTARS_SPAWN_TRUNCATE, path, -1};
    if (xtars_spawn(o, &pid, err) != XTARS_OK)
        FAIL("spawn failed: %s", err);
    ASSERT_EQ(xtars_spawn_wait(pid, 10000, &status), 1);
    return xtars_spawn_exit_code(status);
}

/* No child of this process is left, not even a zombie. */
static void assert_no_children(void)
{
    ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    ASSERT_EQ(errno, ECHILD);
}

TEST(missing_program_is_named)
{
    const char *argv[] = {"xtars-no-such-program-xyz", "-v", NULL};
    struct xtars_spawn_options o = {.argv = argv};
    char err[XTARS_ERRLEN];
    pid_t pid = 1;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    ASSERT_EQ(pid, 0);
    ASSERT_STR_EQ(err, "spawn: cannot execute 'xtars-no-such-program-xyz': No such file or directory");
    /* A path is not searched; execve in the child fails and says so. */
    argv[0] = "/nonexistent-dir/xclockk";
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "spawn: cannot execute '/nonexistent-dir/xclockk': No such file or directory");
    assert_no_children();
}

TEST(exec_failure_in_the_child_is_reported)
{
    const char *script = write_script(tmp("not-executable.sh"), "#!/bin/sh\nexit 0\n", 0644);
    const char *argv[] = {script, NULL};
    struct xtars_spawn_options o = {.argv = argv};
    char err[XTARS_ERRLEN], expected[600];
    pid_t pid;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    snprintf(expected, sizeof expected, "spawn: cannot execute '%s': Permission denied", script);
    ASSERT_STR_EQ(err, expected);
    o.name = "my app";
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    snprintf(expected, sizeof expected, "spawn: 'my app': cannot execute '%s': Permission denied",
             script);
    ASSERT_STR_EQ(err, expected);
    assert_no_children();
}

TEST(environment_set_and_unset_reach_the_child)
{
    struct xtars_spawn_env env[] = {
        {"XT_SET", "hello world"}, {"XT_GONE", NULL}, {"XT_TWICE", "first"}, {"XT_TWICE", "second"},
    };
    struct xtars_spawn_options o = {.env = env, .env_count = 4};
    const char *out = tmp("env.txt");

    setenv("XT_GONE", "still here", 1);
    setenv("XT_KEPT", "kept", 1);
    setenv("XT_SET", "old", 1);
    ASSERT_EQ(run_sh("echo \"$XT_SET|${XT_GONE-unset}|$XT_KEPT|$XT_TWICE\"", &o, out), 0);
    ASSERT_STR_EQ(slurp(out), "hello world|unset|kept|second\n");
    ASSERT_STR_EQ(getenv("XT_GONE"), "still here"); /* the parent's is untouched */
    ASSERT_STR_EQ(getenv("XT_SET"), "old");
}

TEST(path_of_the_child_is_searched)
{
    const char *dir = xt_tmpdir();
    const char *prog = write_script(tmp("xt-hello"), "#!/bin/sh\nexit 7\n", 0755);
    const char *argv[] = {"xt-hello", NULL};
    struct xtars_spawn_env env[] = {{"PATH", dir}};
    struct xtars_spawn_options o = {.argv = argv, .env = env, .env_count = 1};
    char err[XTARS_ERRLEN], found[600];
    pid_t pid;
    int status;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(xtars_spawn_wait(pid, 10000, &status), 1);
    ASSERT_EQ(xtars_spawn_exit_code(status), 7);
    ASSERT_EQ(xtars_spawn_find("xt-hello", dir, found, sizeof found, err), XTARS_OK);
    ASSERT_STR_EQ(found, prog);
    ASSERT_EQ(xtars_spawn_find("xt-hello", "/nonexistent", found, sizeof found, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "spawn: cannot execute 'xt-hello': No such file or directory");
}

TEST(stdout_to_a_file_truncated_or_appended)
{
    struct xtars_spawn_options o = {0};
    const char *out = tmp("out.txt");
    const char *argv[] = {"sh", "-c", "echo two; echo err >&2", NULL};
    char err[XTARS_ERRLEN];
    pid_t pid;
    int status;

    ASSERT_EQ(run_sh("echo one", &o, out), 0);
    ASSERT_EQ(run_sh("echo one", &o, out), 0);
    ASSERT_STR_EQ(slurp(out), "one\n");
    o.argv = argv;
    o.stdio[1] = (struct xtars_spawn_stdio){XTARS_SPAWN_APPEND, out, -1};
    o.stdio[2] = (struct xtars_spawn_stdio){XTARS_SPAWN_APPEND, out, -1};
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(xtars_spawn_wait(pid, 10000, &status), 1);
    ASSERT_STR_EQ(slurp(out), "one\ntwo\nerr\n");
}

TEST(stdin_from_dev_null)
{
    struct xtars_spawn_options o = {0};
    const char *out = tmp("in.txt");
    int fds[2];

    /* This process's stdin becomes a pipe holding data: a child that
     * inherited it would read the data. */
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], "data\n", 5), 5);
    close(fds[1]);
    ASSERT_EQ(dup2(fds[0], 0), 0);
    close(fds[0]);
    o.stdio[0].kind = XTARS_SPAWN_DEVNULL;
    ASSERT_EQ(run_sh("cat; echo end", &o, out), 0);
    ASSERT_STR_EQ(slurp(out), "end\n");
    o.stdio[0].kind = XTARS_SPAWN_INHERIT;
    ASSERT_EQ(run_sh("cat; echo end", &o, out), 0);
    ASSERT_STR_EQ(slurp(out), "data\nend\n");
}

TEST(redirect_open_failure_names_the_path)
{
    const char *argv[] = {"true", NULL};
    struct xtars_spawn_options o = {.argv = argv};
    char err[XTARS_ERRLEN];
    pid_t pid = 1;

    o.stdio[2] = (struct xtars_spawn_stdio){XTARS_SPAWN_TRUNCATE, "/nonexistent-dir/log.txt", -1};
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    ASSERT_EQ(pid, 0);
    ASSERT_STR_EQ(err, "spawn: 'true': cannot open '/nonexistent-dir/log.txt' for stderr: "
                       "No such file or directory");
    o.stdio[2].kind = XTARS_SPAWN_INHERIT;
    o.stdio[1] = (struct xtars_spawn_stdio){XTARS_SPAWN_FD, NULL, 1000};
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "spawn: 'true': cannot redirect stdout: Bad file descriptor");
    o.stdio[1].kind = XTARS_SPAWN_INHERIT;
    o.cwd = "/nonexistent-dir";
    o.name = "true in nowhere";
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "spawn: 'true in nowhere': cannot change directory to '/nonexistent-dir': "
                       "No such file or directory");
    assert_no_children();
}

TEST(cwd_is_set)
{
    struct xtars_spawn_options o = {.cwd = "/"};
    const char *out = tmp("cwd.txt");

    ASSERT_EQ(run_sh("pwd", &o, out), 0);
    ASSERT_STR_EQ(slurp(out), "/\n");
}

TEST(process_group_and_session_are_new_when_asked)
{
    const char *argv[] = {"sleep", "30", NULL};
    struct xtars_spawn_options o = {.argv = argv};
    char err[XTARS_ERRLEN];
    pid_t pid;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(getpgid(pid), getpgrp());
    xtars_spawn_stop(pid, 0, 0, NULL);
    o.group = XTARS_SPAWN_NEW_GROUP;
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(getpgid(pid), pid);
    ASSERT_EQ(getsid(pid), getsid(0));
    xtars_spawn_stop(pid, 1, 1000, NULL);
    o.group = XTARS_SPAWN_NEW_SESSION;
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(getsid(pid), pid);
    ASSERT_EQ(getpgid(pid), pid);
    xtars_spawn_stop(pid, 1, 1000, NULL);
    assert_no_children();
}

TEST(death_signal_kills_the_child_when_its_parent_dies)
{
    int fds[2], status;
    pid_t middle, child = 0;

    /* As a subreaper this process inherits the orphan and can see how it died. */
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ASSERT_EQ(pipe(fds), 0);
    middle = fork();
    ASSERT(middle >= 0);
    if (middle == 0) {
        const char *argv[] = {"sleep", "30", NULL};
        struct xtars_spawn_options o = {.argv = argv, .death_signal = SIGTERM};
        char err[XTARS_ERRLEN];
        pid_t pid = 0;
        if (xtars_spawn(&o, &pid, err) != XTARS_OK)
            _exit(1);
        if (write(fds[1], &pid, sizeof pid) != (ssize_t)sizeof pid)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    ASSERT_EQ(read(fds[0], &child, sizeof child), (ssize_t)sizeof child);
    ASSERT_EQ(xtars_spawn_wait(middle, 10000, &status), 1);
    ASSERT_EQ(xtars_spawn_exit_code(status), 0);
    if (xtars_spawn_wait(child, 5000, &status) != 1) {
        kill(child, SIGKILL);
        FAIL("the child outlived its parent");
    }
    ASSERT(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(kept_fd_survives_exec)
{
    const char *out = tmp("keep.txt");
    char script[64], got[16] = "";
    int fds[2];
    struct xtars_spawn_options o = {.keep_fds = fds + 1, .keep_fd_count = 1};

    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    snprintf(script, sizeof script, "echo hi >&%d", fds[1]);
    ASSERT_EQ(run_sh(script, &o, out), 0);
    close(fds[1]);
    ASSERT_EQ(read(fds[0], got, sizeof got - 1), 3);
    ASSERT_STR_EQ(got, "hi\n");
    close(fds[0]);
    /* Without keep_fds the close-on-exec pipe is gone in the shell. */
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    snprintf(script, sizeof script, "echo hi >&%d", fds[1]);
    o.keep_fd_count = 0;
    ASSERT_NE(run_sh(script, &o, out), 0);
}

TEST(signals_are_unblocked_and_reset_when_asked)
{
    const char *argv[] = {"sleep", "30", NULL};
    struct xtars_spawn_options o = {.argv = argv};
    char err[XTARS_ERRLEN];
    sigset_t block;
    pid_t pid;
    int status;

    /* A blocked signal in the parent is not blocked in the child. */
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, NULL), 0);
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    kill(pid, SIGUSR2);
    ASSERT_EQ(xtars_spawn_wait(pid, 5000, &status), 1);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2);
    /* An ignored signal stays ignored unless default_signals is set. */
    signal(SIGUSR1, SIG_IGN);
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    kill(pid, SIGUSR1);
    ASSERT_EQ(xtars_spawn_wait(pid, 300, &status), 0);
    xtars_spawn_stop(pid, 0, 0, &status);
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
    o.default_signals = 1;
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    kill(pid, SIGUSR1);
    ASSERT_EQ(xtars_spawn_wait(pid, 5000, &status), 1);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
}

TEST(wait_times_out_and_stop_terminates)
{
    const char *argv[] = {"sh", "-c", "trap '' TERM; sleep 30", NULL};
    struct xtars_spawn_options o = {.argv = argv, .group = XTARS_SPAWN_NEW_GROUP};
    char err[XTARS_ERRLEN];
    pid_t pid;
    int status;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(xtars_spawn_wait(pid, 50, &status), 0);
    /* It ignores SIGTERM: the grace ends in SIGKILL, for the whole group. */
    xtars_spawn_stop(pid, 1, 200, &status);
    ASSERT(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
    ASSERT_EQ(xtars_spawn_exit_code(status), 128 + SIGKILL);
    /* The sleep went with it (once its new parent has reaped it). */
    for (int i = 0; i < 200 && kill(-pid, 0) == 0; i++)
        usleep(10000);
    ASSERT_EQ(kill(-pid, 0), -1);
    /* One that heeds SIGTERM ends by it, within the grace. */
    argv[2] = "exec sleep 30";
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    xtars_spawn_stop(pid, 1, 5000, &status);
    ASSERT_EQ(xtars_spawn_exit_code(status), 128 + SIGTERM);
    argv[2] = "exit 3";
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_OK);
    ASSERT_EQ(xtars_spawn_wait(pid, -1, &status), 1);
    ASSERT_EQ(xtars_spawn_exit_code(status), 3);
}

TEST(bad_options_are_errors)
{
    const char *argv[] = {"true", NULL};
    int low = 2;
    struct xtars_spawn_env bad_env[] = {{"A=B", "c"}};
    struct xtars_spawn_options o = {.argv = NULL};
    char err[XTARS_ERRLEN];
    pid_t pid;

    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_EINVAL);
    o.argv = argv;
    o.keep_fds = &low;
    o.keep_fd_count = 1;
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "spawn: 'true': cannot keep fd 2 (0-2 are stdio)");
    o.keep_fd_count = 0;
    o.env = bad_env;
    o.env_count = 1;
    ASSERT_EQ(xtars_spawn(&o, &pid, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "spawn: bad environment variable name 'A=B'");
    assert_no_children();
}
