/* Launched applications: readiness by a printed marker, clear errors, and a
 * whole process group stopped on free (nothing outlives a run). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "test.h"
#include "agent/run/launch.h"

/* A process counts as gone when it no longer exists or is a zombie. */
static int gone(pid_t pid)
{
    char path[64], state = '?';
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 1;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
        state = '?';
    fclose(f);
    return state == 'Z' || state == 'X';
}

/* The old positional form, over the options struct; no log file. */
static xtars_err start(const char *cmd, const char *display, const char *cwd, const char *wait_for,
                       int timeout_ms, struct xtars_launch **out, char *err)
{
    struct xtars_launch_options o = {display, cwd, NULL, wait_for, timeout_ms};
    return xtars_launch_start(cmd, &o, out, err);
}

TEST(waits_for_marker_and_stops_the_whole_group)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN], cmd[512], pidfile[300];
    FILE *f;
    int grandchild = 0;

    snprintf(pidfile, sizeof pidfile, "%s/pid", xt_tmpdir());
    snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > %s; echo starting; echo 'app ready'; wait",
             pidfile);
    ASSERT_EQ(start(cmd, ":42", NULL, "ready", 5000, &l, err), XTARS_OK);
    ASSERT(xtars_launch_running(l));
    f = fopen(pidfile, "r");
    ASSERT(f != NULL);
    ASSERT_EQ(fscanf(f, "%d", &grandchild), 1);
    fclose(f);
    ASSERT(!gone(grandchild));
    xtars_launch_free(l);
    usleep(50000);
    ASSERT(gone(grandchild));
}

TEST(display_and_cwd_are_set)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(start("echo \"$DISPLAY $(pwd)\"", ":42", "/tmp", ":42 /tmp", 5000, &l, err),
              XTARS_OK);
    xtars_launch_free(l);
}

TEST(early_exit_and_timeout_are_errors)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(start("exit 3", NULL, NULL, "ready", 5000, &l, err), XTARS_ECHILD);
    ASSERT(l == NULL);
    ASSERT_STR_EQ(err, "launch: 'exit 3' exited with status 3 without printing anything (while "
                       "waiting for 'ready')");
    ASSERT_EQ(start("sleep 5", NULL, NULL, "ready", 200, &l, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "launch: 'sleep 5' did not print 'ready' within 200 ms");
    ASSERT_EQ(start("no-such-program-xyz", NULL, NULL, "ready", 5000, &l, err),
              XTARS_ECHILD);
    ASSERT_STR_CONTAINS(err, "launch: 'no-such-program-xyz' exited with status 127: \"");
    ASSERT_STR_CONTAINS(err, "no-such-program-xyz: not found\" (while waiting for 'ready')");
}

/* A directory that does not exist fails the start with an error naming it
 * (the shell used to exit 126, unnoticed when there was no marker). */
TEST(missing_directory_is_an_error_naming_it)
{
    struct xtars_launch *l = (struct xtars_launch *)1;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(start("sleep 300", NULL, "/nonexistent-dir", NULL, 0, &l, err),
              XTARS_ECHILD);
    ASSERT(l == NULL);
    ASSERT_STR_EQ(err, "spawn: 'sleep 300': cannot change directory to '/nonexistent-dir': "
                       "No such file or directory");
}

TEST(without_marker_returns_at_once)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN];
    pid_t pid;

    ASSERT_EQ(start("sleep 300", NULL, NULL, NULL, 0, &l, err), XTARS_OK);
    pid = xtars_launch_pid(l);
    ASSERT(xtars_launch_running(l));
    xtars_launch_free(l);
    ASSERT(gone(pid));
    xtars_launch_free(NULL);
}

/* Waits (bounded) until the command has exited. */
static void wait_exit(struct xtars_launch *l)
{
    for (int i = 0; i < 500 && xtars_launch_running(l); i++)
        usleep(10000);
}

static void read_text(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, size - 1, f) : 0;

    out[n] = '\0';
    if (f)
        fclose(f);
}

/* stdout and stderr both land in the log, in the order written; the last
 * line is what a failure quotes. */
TEST(output_goes_to_the_log_and_a_failure_quotes_its_last_line)
{
    struct xtars_launch *l;
    struct xtars_launch_options o = {0};
    char err[XTARS_ERRLEN], log[300], text[256], how[512];

    snprintf(log, sizeof log, "%s/launch-1.log", xt_tmpdir());
    o.log_path = log;
    ASSERT_EQ(xtars_launch_start("echo to stdout; echo 'app: bad option --x' >&2; exit 3", &o, &l, err),
              XTARS_OK);
    wait_exit(l);
    ASSERT(!xtars_launch_running(l));
    ASSERT(xtars_launch_failed(l));
    xtars_launch_describe_exit(l, how, sizeof how);
    ASSERT_STR_EQ(how, "launch: 'echo to stdout; echo 'app: bad option --x' >&2; exit 3' exited with "
                       "status 3: \"app: bad option --x\"");
    read_text(log, text, sizeof text);
    ASSERT_STR_EQ(text, "to stdout\napp: bad option --x\n");
    xtars_launch_free(l);
    read_text(log, text, sizeof text); /* the log outlives the handle */
    ASSERT_STR_EQ(text, "to stdout\napp: bad option --x\n");
}

TEST(exit_status_zero_and_signals_are_described)
{
    struct xtars_launch *l;
    struct xtars_launch_options o = {0};
    char err[XTARS_ERRLEN], how[512];

    ASSERT_EQ(xtars_launch_start("true", &o, &l, err), XTARS_OK);
    wait_exit(l);
    ASSERT(!xtars_launch_failed(l));
    xtars_launch_describe_exit(l, how, sizeof how);
    ASSERT_STR_EQ(how, "launch: 'true' exited with status 0");
    xtars_launch_free(l);
    ASSERT_EQ(xtars_launch_start("kill -9 $$", &o, &l, err), XTARS_OK);
    wait_exit(l);
    ASSERT(xtars_launch_failed(l));
    xtars_launch_describe_exit(l, how, sizeof how);
    ASSERT_STR_CONTAINS(how, "launch: 'kill -9 $$' was killed by signal 9 (");
    ASSERT_STR_CONTAINS(how, ") without printing anything");
    xtars_launch_free(l);
    ASSERT_EQ(xtars_launch_start("sleep 300", &o, &l, err), XTARS_OK);
    xtars_launch_describe_exit(l, how, sizeof how);
    ASSERT_STR_EQ(how, "launch: 'sleep 300' is running");
    xtars_launch_free(l);
}

/* The marker may come on stderr, split over two writes, after a lot of
 * output: the app never blocks on a full pipe, as nothing is a pipe. */
TEST(marker_on_stderr_split_and_after_much_output)
{
    struct xtars_launch *l;
    struct xtars_launch_options o = {0};
    char err[XTARS_ERRLEN];

    o.wait_for = "ready now";
    o.timeout_ms = 10000;
    ASSERT_EQ(xtars_launch_start("head -c 300000 /dev/zero | tr '\\0' x; printf 'rea' >&2; "
                                 "sleep 0.1; printf 'dy now\\n' >&2; sleep 300",
                                 &o, &l, err), XTARS_OK);
    ASSERT(xtars_launch_running(l));
    xtars_launch_free(l);
}

TEST(last_line_is_cleaned_and_cut)
{
    struct xtars_launch *l;
    struct xtars_launch_options o = {0};
    char err[XTARS_ERRLEN], line[12];

    ASSERT_EQ(xtars_launch_start("printf 'first\\n\\tsecond\\033[1mbold\\r\\n\\n  \\n'", &o, &l, err),
              XTARS_OK);
    wait_exit(l);
    xtars_launch_last_line(l, line, sizeof line);
    ASSERT_STR_EQ(line, "second [1mb");
    xtars_launch_free(l);
    ASSERT_EQ(xtars_launch_start("exit 0", &o, &l, err), XTARS_OK);
    wait_exit(l);
    xtars_launch_last_line(l, line, sizeof line);
    ASSERT_STR_EQ(line, "");
    xtars_launch_free(l);
}
