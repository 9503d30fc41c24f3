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

TEST(waits_for_marker_and_stops_the_whole_group)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN], cmd[512], pidfile[300];
    FILE *f;
    int grandchild = 0;

    snprintf(pidfile, sizeof pidfile, "%s/pid", xt_tmpdir());
    snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > %s; echo starting; echo 'app ready'; wait",
             pidfile);
    ASSERT_EQ(xtars_launch_start(cmd, ":42", NULL, "ready", 5000, &l, err), XTARS_OK);
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

    ASSERT_EQ(xtars_launch_start("echo \"$DISPLAY $(pwd)\"", ":42", "/tmp", ":42 /tmp", 5000, &l, err),
              XTARS_OK);
    xtars_launch_free(l);
}

TEST(early_exit_and_timeout_are_errors)
{
    struct xtars_launch *l;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_launch_start("exit 3", NULL, NULL, "ready", 5000, &l, err), XTARS_ECHILD);
    ASSERT(l == NULL);
    ASSERT_STR_EQ(err, "launch: 'exit 3' exited (status 3) before printing 'ready'");
    ASSERT_EQ(xtars_launch_start("sleep 5", NULL, NULL, "ready", 200, &l, err), XTARS_ECHILD);
    ASSERT_STR_EQ(err, "launch: 'sleep 5' did not print 'ready' within 200 ms");
    ASSERT_EQ(xtars_launch_start("no-such-program-xyz", NULL, NULL, "ready", 5000, &l, err),
              XTARS_ECHILD);
    ASSERT_STR_CONTAINS(err, "exited (status 127)");
}

/* A directory that does not exist fails the start with an error naming it
 * (the shell used to exit 126, unnoticed when there was no marker). */
TEST(missing_directory_is_an_error_naming_it)
{
    struct xtars_launch *l = (struct xtars_launch *)1;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_launch_start("sleep 300", NULL, "/nonexistent-dir", NULL, 0, &l, err),
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

    ASSERT_EQ(xtars_launch_start("sleep 300", NULL, NULL, NULL, 0, &l, err), XTARS_OK);
    pid = xtars_launch_pid(l);
    ASSERT(xtars_launch_running(l));
    xtars_launch_free(l);
    ASSERT(gone(pid));
    xtars_launch_free(NULL);
}
