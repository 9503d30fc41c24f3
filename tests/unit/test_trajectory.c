/* Trajectory writing: atomic run.json, whole-line steps, no overwrite, and a
 * full disk (simulated with RLIMIT_FSIZE) that loses nothing already written. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "agent/record/traj_file.h"
#include "agent/base/files.h"
#include "xtars/buf.h"
#include "xtars/config.h"
#include "agent/record/report.h"
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

/* The reserve for run.json's last rewrite exists while the run is recorded
 * and is gone after close. */
TEST(reserve_is_held_while_recording_and_removed_on_close)
{
    struct xtars_traj *t;
    struct stat st;
    char err[XTARS_ERRLEN], path[1200];
    const char *dir = subdir("reserve");

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/%s", dir, XTARS_TRAJ_RESERVE_NAME);
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT_EQ(st.st_size, XTARS_TRAJ_RESERVE);
    ASSERT_INT_OP((long long)st.st_blocks * 512, >=, XTARS_TRAJ_RESERVE); /* allocated, not sparse */
    ASSERT_EQ(xtars_traj_write_run(t, "{}", 2, err), XTARS_OK);
    ASSERT_EQ(stat(path, &st), 0); /* a write that fits leaves it alone */
    xtars_traj_close(t);
    ASSERT(stat(path, &st) != 0);
}

static const char *run_json =
    "{\"format\": \"xtars-trajectory\", \"version\": 1, \"source\": \"run\", \"instruction\": \"do it\","
    " \"model\": \"m\", \"endpoint\": \"http://127.0.0.1:1/v1\", \"family\": \"uitars-1.0\","
    " \"screen\": {\"width\": 1280, \"height\": 800}, \"target\": {\"x\": 0, \"y\": 0, \"width\": 1280,"
    " \"height\": 800}, \"sent\": {\"width\": 1288, \"height\": 812}, \"image_format\": \"png\","
    " \"status\": \"finished\", \"message\": \"done\", \"steps\": 2,"
    " \"usage\": {\"prompt_tokens\": 10, \"completion_tokens\": 4}}";

static const char *step1 =
    "{\"step\": 1, \"screenshot\": \"step-0001.png\", \"sent\": {\"width\": 1288, \"height\": 812},"
    " \"timings\": {\"capture_ms\": 1.5, \"model_ms\": 300}, \"reply\": \"Action: click(point='<point>500 500</point>')\","
    " \"thought\": null, \"actions\": [{\"type\": \"click\", \"x\": 640, \"y\": 400, \"model_x\": 500,"
    " \"model_y\": 500}], \"results\": [{\"ok\": true, \"ms\": 31, \"error\": null}],"
    " \"screen_changed\": false, \"notes\": [\"hello\"]}";

static void write_traj(const char *dir, const char *steps)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_run(t, run_json, strlen(run_json), err), XTARS_OK);
    xtars_traj_close(t);
    {
        char path[1200];
        FILE *f;
        snprintf(path, sizeof path, "%s/steps.jsonl", dir);
        f = fopen(path, "w");
        fputs(steps, f);
        fclose(f);
    }
}

TEST(load_reads_run_and_steps)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], steps[4096];
    const char *dir = subdir("load");

    snprintf(steps, sizeof steps, "%s\n{\"step\": 2, \"actions\": [{\"type\": \"finished\", \"text\": \"done\"}]}\n",
             step1);
    write_traj(dir, steps);
    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(run.instruction, "do it");
    ASSERT_EQ(run.family, XTARS_FAMILY_UITARS10);
    ASSERT_EQ(run.screen_width, 1280);
    ASSERT_EQ(run.sent_height, 812);
    ASSERT_STR_EQ(run.status, "finished");
    ASSERT_EQ(run.prompt_tokens, 10);
    ASSERT_EQ(run.step_count, 2);
    ASSERT_STR_EQ(run.warning, "");
    ASSERT_STR_EQ(run.steps[0].screenshot, "step-0001.png");
    ASSERT_EQ(run.steps[0].action_count, 1);
    ASSERT_EQ(run.steps[0].actions[0].type, XTARS_ACTION_CLICK);
    ASSERT_EQ(run.steps[0].actions[0].x, 640);
    ASSERT_NEAR(run.steps[0].actions[0].model_x, 500, 0);
    ASSERT_EQ(run.steps[0].action_ok[0], 1);
    ASSERT_NEAR(run.steps[0].model_ms, 300, 0);
    ASSERT_EQ(run.steps[0].screen_changed, 0);
    ASSERT_EQ(run.steps[0].note_count, 1);
    ASSERT_STR_EQ(run.steps[0].notes[0], "hello");
    ASSERT_NEAR(run.steps[0].similarity, -1, 0);
    ASSERT_EQ(run.steps[1].actions[0].type, XTARS_ACTION_FINISHED);
    ASSERT_STR_EQ(run.steps[1].actions[0].text, "done");
    xtars_traj_run_cleanup(&run);
    xtars_traj_run_cleanup(&run);
}

TEST(truncated_or_bad_line_keeps_complete_steps)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], steps[4096];

    snprintf(steps, sizeof steps, "%s\n{\"step\": 2, \"actions\": [{\"type\": \"cli", step1);
    write_traj(subdir("cut"), steps);
    ASSERT_EQ(xtars_traj_load(subdir("cut"), &run, err), XTARS_OK);
    ASSERT_EQ(run.step_count, 1);
    ASSERT_STR_EQ(run.warning, "steps.jsonl line 2 is incomplete (the run was killed while writing "
                               "it); using the 1 complete steps");
    xtars_traj_run_cleanup(&run);
    snprintf(steps, sizeof steps, "%s\n{\"step\": 2, \"actions\": [{\"type\": \"clik\"}]}\n%s\n", step1, step1);
    write_traj(subdir("bad"), steps);
    ASSERT_EQ(xtars_traj_load(subdir("bad"), &run, err), XTARS_OK);
    ASSERT_EQ(run.step_count, 1);
    ASSERT_STR_CONTAINS(run.warning, "steps.jsonl line 2: action: ");
    ASSERT_STR_CONTAINS(run.warning, "using the 1 steps before it");
    xtars_traj_run_cleanup(&run);
}

TEST(unknown_version_and_foreign_files_are_refused)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], path[1200];
    FILE *f;
    const char *dir = subdir("v9");

    ASSERT_EQ(xtars_mkdir_p(dir, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/run.json", dir);
    f = fopen(path, "w");
    fputs("{\"format\": \"xtars-trajectory\", \"version\": 9}", f);
    fclose(f);
    ASSERT_EQ(xtars_traj_load(dir, &run, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "trajectory format version 9 is not supported (this xtars reads version 1)");
    f = fopen(path, "w"); /* not "version -1", which nobody wrote */
    fputs("{\"format\": \"xtars-trajectory\", \"version\": \"1\"}", f);
    fclose(f);
    ASSERT_EQ(xtars_traj_load(dir, &run, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "run.json: 'version' must be a number (this xtars reads version 1)");
    f = fopen(path, "w");
    fputs("{\"hello\": 1}", f);
    fclose(f);
    ASSERT_EQ(xtars_traj_load(dir, &run, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "run.json: not an xtars trajectory");
    ASSERT_EQ(xtars_traj_load(subdir("nothing-here"), &run, err), XTARS_EIO);
}

/* A run.json left at "running" by a recorder that is gone (SIGKILL, OOM) is
 * told apart from one still being recorded, and the report says so. */
static void write_recorded(const char *dir, const char *status, long pid, const char *host,
                           const char *ns)
{
    struct xtars_traj *t;
    char err[XTARS_ERRLEN], text[2048];

    snprintf(text, sizeof text,
             "{\"format\": \"xtars-trajectory\", \"version\": 1, \"source\": \"run\", "
             "\"recorder\": {\"pid\": %ld, \"host\": \"%s\", \"pid_ns\": \"%s\"}, "
             "\"instruction\": \"do it\", \"screen\": {\"width\": 640, \"height\": 480}, "
             "\"status\": \"%s\", \"message\": null, \"steps\": 0}",
             pid, host, ns, status);
    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_run(t, text, strlen(text), err), XTARS_OK);
    xtars_traj_close(t);
}

static int abandoned(const char *dir)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];
    int gone;

    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("%s", err);
    gone = xtars_traj_abandoned(&run);
    xtars_traj_run_cleanup(&run);
    return gone;
}

TEST(a_running_record_whose_recorder_is_gone_is_abandoned)
{
    char host[256], ns[64], *report;
    long self;
    pid_t dead = fork();
    struct xtars_report_stats stats;

    ASSERT(dead >= 0);
    if (dead == 0)
        _exit(0);
    ASSERT_EQ(waitpid(dead, NULL, 0), dead); /* reaped: no such pid now */
    xtars_traj_recorder(&self, host, sizeof host, ns, sizeof ns);
    ASSERT_EQ(self, (long)getpid());
    ASSERT(host[0] != '\0' && strncmp(ns, "pid:[", 5) == 0);
    write_recorded(subdir("gone"), "running", dead, host, ns);
    ASSERT_EQ(abandoned(subdir("gone")), 1);
    {   /* dead but not yet reaped by its parent: gone too */
        pid_t zombie = fork();
        ASSERT(zombie >= 0);
        if (zombie == 0)
            _exit(0);
        for (int i = 0; i < 200; i++) { /* until it has exited */
            char path[64], line[256];
            FILE *f;
            snprintf(path, sizeof path, "/proc/%d/stat", (int)zombie);
            f = fopen(path, "r");
            if (f && fgets(line, sizeof line, f) && strstr(line, ") Z ")) {
                fclose(f);
                break;
            }
            if (f)
                fclose(f);
            usleep(5000);
        }
        write_recorded(subdir("zombie"), "running", zombie, host, ns);
        ASSERT_EQ(abandoned(subdir("zombie")), 1);
        waitpid(zombie, NULL, 0);
    }
    write_recorded(subdir("alive"), "running", self, host, ns);
    ASSERT_EQ(abandoned(subdir("alive")), 0);
    write_recorded(subdir("ended"), "finished", dead, host, ns);
    ASSERT_EQ(abandoned(subdir("ended")), 0);
    write_recorded(subdir("elsewhere"), "running", dead, "another-host", ns);
    ASSERT_EQ(abandoned(subdir("elsewhere")), 0);
    write_recorded(subdir("container"), "running", dead, host, "pid:[1]");
    ASSERT_EQ(abandoned(subdir("container")), 0);
    /* The report says it. */
    ASSERT_EQ(xtars_report_write(subdir("gone"), NULL, &stats, NULL), XTARS_OK);
    report = slurp(subdir("gone"), "report.html");
    ASSERT_STR_CONTAINS(report, "<span class=\"badge error\">interrupted</span>");
    ASSERT_STR_CONTAINS(report, "is gone without having recorded how the run ended");
    free(report);
    ASSERT_EQ(xtars_report_write(subdir("alive"), NULL, &stats, NULL), XTARS_OK);
    report = slurp(subdir("alive"), "report.html");
    ASSERT_STR_CONTAINS(report, "<span class=\"badge running\">running</span>");
    free(report);
}
