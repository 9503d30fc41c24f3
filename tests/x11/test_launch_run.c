/* Launched apps in `xtars run` and `xtars task` (issue 18), with real
 * processes on private Xvfbs: an app that is missing or exits with an error
 * before the first step fails the run with one line quoting what it printed;
 * its output is kept in launch-N.log; one that exits later is noted in the
 * step where it happened; and the first step waits for the app's window. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"

static char *slurp(const char *dir, const char *name)
{
    struct xtars_buf b;
    char path[1200], err[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (xtars_buf_read_file(&b, path, 1 << 26, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static const char *tdir(const char *name)
{
    static char path[2][700];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", xt_tmpdir(), name);
    return path[which];
}

/* Lines of text that contain needle. */
static int lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* `xtars run` on a private 320x240 Xvfb with the given extra options
 * (NULL-terminated), against endpoint. */
static struct xt_result run_with(const char *endpoint, const char *out, const char *const *extra)
{
    const char *argv[40];
    int argc = 0;

    argv[argc++] = "@xtars";
    argv[argc++] = "run";
    argv[argc++] = "--quiet";
    argv[argc++] = "--xvfb";
    argv[argc++] = "320x240";
    argv[argc++] = "--out";
    argv[argc++] = out;
    argv[argc++] = "--endpoint";
    argv[argc++] = endpoint;
    argv[argc++] = "--set";
    argv[argc++] = "retries=0";
    argv[argc++] = "--set";
    argv[argc++] = "policy=none";
    for (int i = 0; extra[i]; i++)
        argv[argc++] = extra[i];
    argv[argc++] = "Use the app";
    argv[argc] = NULL;
    return xt_run(argv, NULL, NULL);
}

/* One error line naming the command and quoting the shell's complaint;
 * exit 1 (runtime error, README's table); no model call; the trajectory
 * records the error and keeps the app's output, linked from the report. */
TEST(missing_app_fails_the_run_before_any_model_call)
{
    struct xt_mserver server;
    struct xt_result r;
    char *log, *run, *report;

    xt_mserver_start(&server, "[\"Action: finished(content='no')\"]", NULL);
    r = run_with(server.endpoint, tdir("missing"),
                 (const char *const[]){"--launch", "xclockk", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "xtars: error: launch: 'xclockk' exited with status 127: \"");
    ASSERT_STR_CONTAINS(r.err, "xclockk: not found\"\n");
    ASSERT_EQ(lines_with(r.err, "error"), 1);
    ASSERT_EQ(lines_with(r.out, "\n"), 0);
    log = slurp(tdir("missing"), "launch-1.log");
    ASSERT_STR_CONTAINS(log, "xclockk: not found");
    run = slurp(tdir("missing"), "run.json");
    ASSERT_STR_CONTAINS(run, "\"status\": \"error\"");
    ASSERT_STR_CONTAINS(run, "launch: 'xclockk' exited with status 127");
    report = slurp(tdir("missing"), "report.html");
    ASSERT_STR_CONTAINS(report, "<a href=\"launch-1.log\">launch-1.log</a>");
    {
        cJSON *requests = xt_mserver_requests(&server);
        ASSERT_EQ(cJSON_GetArraySize(requests), 0);
        cJSON_Delete(requests);
    }
    xt_mserver_stop(&server);
    free(log), free(run), free(report);
    xt_result_free(&r);
}

TEST(failing_app_is_quoted_by_its_last_stderr_line)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_mserver_start(&server, "[\"Action: finished(content='no')\"]", NULL);
    r = run_with(server.endpoint, tdir("exit3"),
                 (const char *const[]){"--launch", "echo starting; echo 'myapp: cannot open display "
                                                   "settings' >&2; exit 3", NULL});
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "exited with status 3: \"myapp: cannot open display settings\"\n");
    ASSERT_STR_CONTAINS(r.err, "launch: 'echo starting;");
    xt_mserver_stop(&server);
    xt_result_free(&r);
}

/* Runs xclient launched after `sleep delay` (with --wait-for wait_for
 * unless NULL) and a model that clicks it once; checks that the click
 * reached it, that is, that the first step waited for its window. */
static void click_delayed_app(const char *name, const char *delay, const char *wait_for)
{
    struct xt_mserver server;
    struct xt_result r;
    char launch[1200], events[700], *text;

    snprintf(events, sizeof events, "%s/%s.jsonl", xt_tmpdir(), name);
    snprintf(launch, sizeof launch, "sleep %s; exec %s/tests/xclient --geometry 200x100+0+0 --out %s",
             delay, XT_BINARY_DIR, events);
    xt_mserver_start(&server, "[\"Action: click(start_box='(50,50)')\","
                              "\"Action: finished(content='clicked')\"]", NULL);
    r = run_with(server.endpoint, tdir(name),
                 (const char *const[]){"--set", "family=pixels", "--launch", launch,
                                       wait_for ? "--wait-for" : NULL, wait_for, NULL});
    ASSERT_EQ(r.status, 0);
    text = slurp(xt_tmpdir(), strrchr(events, '/') + 1);
    ASSERT_STR_CONTAINS(text, "\"type\":\"button_press\"");
    xt_mserver_stop(&server);
    free(text);
    xt_result_free(&r);
}

/* xclient maps its window two seconds after it is launched. Without the
 * wait for windows the first step (at 0.8 s: 0.5 s, then 0.3 s of a still
 * screen) would click an empty screen; with it the click reaches the app.
 * Its stdout ("ready WINDOW") is kept in launch-1.log. */
TEST(first_step_waits_for_the_window_and_the_output_is_kept)
{
    char *log;

    click_delayed_app("window", "2", NULL);
    log = slurp(tdir("window"), "launch-1.log");
    ASSERT_STR_CONTAINS(log, "ready ");
    free(log);
}

/* --wait-for belongs to the --launch before it: the app is ready when it
 * prints the text. xclient, started a second late, gets the click; an app
 * with no window at all is ready without the 10 s wait for one (and its
 * warning). Misplaced, --wait-for is a usage error. */
TEST(wait_for_waits_for_printed_text)
{
    struct xt_mserver server;
    struct xt_result r;

    click_delayed_app("waitfor", "1", "ready");
    xt_mserver_start(&server, "[\"Action: finished(content='ok')\"]", NULL);
    r = run_with(server.endpoint, tdir("nowindow"),
                 (const char *const[]){"--launch", "sleep 0.5; echo service-up; sleep 60", "--wait-for",
                                       "service-up", NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT(strstr(r.err, "mapped no window") == NULL);
    xt_mserver_stop(&server);
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "run", "--wait-for", "ready", "--launch", "x", "go",
                                     NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars run: --wait-for TEXT goes after the --launch CMD whose output "
                         "prints TEXT\n");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "run", "--launch", "echo starting; exit 4", "--wait-for",
                                     "never", "--xvfb", "320x240", "--endpoint", "http://127.0.0.1:9/v1",
                                     "--out", tdir("never"), "go", NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "launch: 'echo starting; exit 4' exited with status 4: \"starting\" "
                               "(while waiting for 'never')\n");
    xt_result_free(&r);
}

/* The app stays up through step 1 (a click) and exits with an error one
 * second after the click, while step 2's reply is delayed 3 s: step 2 is
 * noted, step 1 is not, and the run itself goes on to finish. */
TEST(app_exiting_later_is_noted_in_its_step)
{
    struct xt_mserver server;
    struct xt_result r;
    char launch[1600], events[700], *steps, *second;

    snprintf(events, sizeof events, "%s/events3.jsonl", xt_tmpdir());
    snprintf(launch, sizeof launch,
             "%s/tests/xclient --geometry 200x100+0+0 --out %s & "
             "while ! grep -q button_press %s 2>/dev/null; do sleep 0.05; done; sleep 1; "
             "echo 'worker: lost the connection' >&2; exit 5",
             XT_BINARY_DIR, events, events);
    xt_mserver_start(&server, "[\"Action: click(start_box='(50,50)')\","
                              "{\"reply\": \"Action: finished(content='done')\", \"delay_ms\": 3000}]",
                     NULL);
    r = run_with(server.endpoint, tdir("later"),
                 (const char *const[]){"--set", "family=pixels", "--set", "settle_timeout_ms=300",
                                       "--launch", launch, NULL});
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.err, "exited with status 5: \"worker: lost the connection\"");
    steps = slurp(tdir("later"), "steps.jsonl");
    second = strchr(steps, '\n');
    ASSERT(second != NULL);
    *second++ = '\0';
    ASSERT(strstr(steps, "exited with status") == NULL);
    ASSERT_STR_CONTAINS(second, "exited with status 5: \\\"worker: lost the connection\\\"");
    xt_mserver_stop(&server);
    free(steps);
    xt_result_free(&r);
}

static void write_task(const char *name, const char *json)
{
    FILE *f = fopen(tdir(name), "w");
    ASSERT(f != NULL);
    fputs(json, f);
    fclose(f);
}

/* A task whose setup app is missing no longer passes: exit 1, one line
 * naming the file, the setup and the command, the steps skipped. */
TEST(task_with_a_missing_app_fails)
{
    struct xt_result r;

    write_task("missing.json", "{\"name\": \"missing app\", \"setup\": [{\"launch\": \"xclockk\"}],"
                               " \"steps\": [{\"check\": \"true\"}]}");
    r = xt_run((const char *const[]){"@xtars", "task", "--quiet", "--out", tdir("tasks"),
                                     tdir("missing.json"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "setup: launch: 'xclockk' exited with status 127: \"");
    ASSERT_STR_CONTAINS(r.err, "FAIL missing app: 0 passed, 0 failed, 1 skipped");
    ASSERT_STR_CONTAINS(r.out, "\"passed\": false");
    ASSERT(strstr(r.err, "PASS") == NULL);
    xt_result_free(&r);
}

/* An app that exits during a task's wait step is noted in that step. */
TEST(task_app_exiting_during_a_step_is_noted)
{
    struct xt_result r;
    char *line, dir[1200], *steps;

    write_task("later.json",
               "{\"name\": \"later\", \"setup\": [{\"launch\": \"echo up; sleep 3; echo 'gone: bye' >&2; "
               "exit 6\", \"wait_for\": \"up\"}], \"steps\": [{\"wait\": 6000}, {\"check\": \"true\"}]}");
    r = xt_run((const char *const[]){"@xtars", "task", "--quiet", "--out", tdir("tasks2"),
                                     tdir("later.json"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    line = strstr(r.out, "\"trajectory\": \"");
    ASSERT(line != NULL);
    line += strlen("\"trajectory\": \"");
    snprintf(dir, sizeof dir, "%.*s", (int)strcspn(line, "\""), line);
    steps = slurp(dir, "steps.jsonl");
    ASSERT_STR_CONTAINS(steps, "\"wait passed: 6000 ms\", \"launch: 'echo up; sleep 3; echo 'gone: bye' "
                               ">&2; exit 6' exited with status 6: \\\"gone: bye\\\"\"");
    free(steps);
    steps = slurp(dir, "launch-1.log");
    ASSERT_STR_EQ(steps, "up\ngone: bye\n");
    free(steps);
    xt_result_free(&r);
}

/* An app that prints the API key it inherited: neither its log in the
 * trajectory nor the error line quoting it holds the key. */
TEST(app_log_and_error_line_hold_no_secret)
{
    static const char key[] = "sk-launch-planted-9d2f7c1e";
    struct xt_result r;
    char *log;

    r = xt_run((const char *const[]){"@xtars", "run", "--xvfb", "320x240", "--out", tdir("secret"),
                                     "--endpoint", "http://127.0.0.1:9/v1", "--launch",
                                     "echo \"using key $XTARS_API_KEY\" >&2; exit 2", "go", NULL},
               (const char *const[]){"XTARS_API_KEY=sk-launch-planted-9d2f7c1e", NULL}, NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "exited with status 2: \"using key [redacted]\"");
    ASSERT(strstr(r.err, key) == NULL);
    log = slurp(tdir("secret"), "launch-1.log");
    ASSERT_STR_EQ(log, "using key [redacted]\n");
    free(log);
    log = slurp(tdir("secret"), "run.json");
    ASSERT(strstr(log, key) == NULL);
    free(log);
    xt_result_free(&r);
}
