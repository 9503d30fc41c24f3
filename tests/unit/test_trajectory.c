/* Trajectory writing: atomic run.json, whole-line steps, no overwrite, and a
 * full disk (simulated with RLIMIT_FSIZE) that loses nothing already written. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test.h"
#include "xtars/buf.h"
#include "xtars/trajectory.h"

static char *slurp(const char *dir, const char *name)
{
    struct xtars_buf b;
    char path[1024], err[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (xtars_buf_read_file(&b, path, 1 << 24, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static const char *subdir(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", xt_tmpdir(), name);
    return path;
}

TEST(writes_run_steps_and_files)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN], *text;
    const char *dir = subdir("a/b/run1");

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    ASSERT_STR_EQ(xtars_traj_dir(t), dir);
    ASSERT_EQ(xtars_traj_write_run(t, "{\"status\":\"running\"}", 20, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_append_step(t, "{\"step\":1}", 10, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_append_step(t, "{\"step\":2}", 10, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_file(t, "step-0001.png", "PNG", 3, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_run(t, "{\"status\":\"finished\"}", 21, err), XTARS_OK);
    xtars_traj_close(t);
    text = slurp(dir, "run.json");
    ASSERT_STR_EQ(text, "{\"status\":\"finished\"}");
    free(text);
    text = slurp(dir, "steps.jsonl");
    ASSERT_STR_EQ(text, "{\"step\":1}\n{\"step\":2}\n");
    free(text);
    text = slurp(dir, "step-0001.png");
    ASSERT_STR_EQ(text, "PNG");
    free(text);
    xtars_traj_close(NULL);
}

TEST(refuses_to_overwrite_a_recorded_run)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN];
    const char *dir = subdir("once");

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_run(t, "{}", 2, err), XTARS_OK);
    xtars_traj_close(t);
    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_EIO);
    ASSERT(t == NULL);
    ASSERT_STR_CONTAINS(err, "a run is already recorded there");
}

TEST(rejects_bad_names_and_newlines)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_traj_open(subdir("names"), &t, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_file(t, "../escape.png", "x", 1, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_traj_write_file(t, "", "x", 1, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_traj_append_step(t, "{}\n{}", 5, err), XTARS_EINVAL);
    xtars_traj_close(t);
}

TEST(unwritable_directory_is_a_clear_error)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN];

    if (geteuid() == 0) {
        /* root ignores permissions; a path under a regular file fails for everyone */
        FILE *f = fopen(subdir("plainfile"), "w");
        fclose(f);
        ASSERT_EQ(xtars_traj_open(subdir("plainfile/run"), &t, err), XTARS_EIO);
        ASSERT_STR_CONTAINS(err, "plainfile/run: cannot create directory: Not a directory");
        return;
    }
    mkdir(subdir("ro"), 0555);
    ASSERT_EQ(xtars_traj_open(subdir("ro/run"), &t, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "cannot create directory: Permission denied");
}

TEST(full_disk_keeps_complete_lines_and_old_run_json)
{
    struct xtars_traj *t;
    struct rlimit limit;
    char err[XTARS_ERRLEN], big[4096], *text;
    const char *dir = subdir("full");

    signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_run(t, "{\"v\":1}", 7, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_append_step(t, "{\"step\":1}", 10, err), XTARS_OK);
    limit.rlim_cur = limit.rlim_max = 2000; /* files may not grow past 2000 bytes */
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    memset(big, 'x', sizeof big);
    big[0] = '"';
    big[sizeof big - 1] = '"';
    ASSERT_EQ(xtars_traj_append_step(t, big, sizeof big, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "steps.jsonl: cannot append step: File too large");
    ASSERT_EQ(xtars_traj_write_run(t, big, sizeof big, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "run.json: cannot write");
    xtars_traj_close(t);
    text = slurp(dir, "steps.jsonl");
    ASSERT_STR_EQ(text, "{\"step\":1}\n");
    free(text);
    text = slurp(dir, "run.json");
    ASSERT_STR_EQ(text, "{\"v\":1}");
    free(text);
}
