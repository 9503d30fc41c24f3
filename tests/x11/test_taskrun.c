/* `xtars task` end to end: the shipped examples (each with its scripted model
 * replies), failing and bad task files, one fresh Xvfb per file, the report
 * rendered in headless Chromium, and `make demo` itself. */
#include <stdio.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"

static char *slurp(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1 << 26, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static const char *example(const char *name, const char *file)
{
    static char path[2][700];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/examples/%s/%s", XT_SOURCE_DIR, name, file);
    return path[which];
}

/* Runs `xtars task` on files against a server started on the example's
 * script (NULL: no model). */
static struct xt_result run_task(const char *script_example, const char *const *files, int nfiles,
                                 struct xt_mserver *server)
{
    const char *argv[32];
    char endpoint[160];
    int argc = 0;

    argv[argc++] = "@xtars";
    argv[argc++] = "task";
    argv[argc++] = "--quiet";
    argv[argc++] = "--out";
    argv[argc++] = xt_tmpdir();
    if (script_example) {
        char *script = slurp(example(script_example, "script.json"));
        xt_mserver_start(server, script, NULL);
        free(script);
        snprintf(endpoint, sizeof endpoint, "%s", server->endpoint);
        argv[argc++] = "--endpoint";
        argv[argc++] = endpoint;
    }
    for (int i = 0; i < nfiles; i++)
        argv[argc++] = files[i];
    argv[argc] = NULL;
    return xt_run(argv, NULL, NULL);
}

/* The value of "key": "..." in a JSON line (test helper, no escapes). */
static char *json_field(const char *line, const char *key)
{
    static char value[1024];
    char pattern[64];
    const char *p;
    size_t n;

    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    p = strstr(line, pattern);
    ASSERT(p != NULL);
    p += strlen(pattern);
    n = strcspn(p, "\"");
    ASSERT(n < sizeof value);
    memcpy(value, p, n);
    value[n] = '\0';
    return value;
}

/* Opens the report in headless Chromium with a probe appended that counts
 * the step sections and the images that really decoded, and fails on any
 * console message (Chromium logs them as "INFO:CONSOLE:<line>"). */
static void check_report_in_chromium(const char *report, int steps, int images)
{
    char probe[800], html[800], expect[128], url[900], *text, *copy, *csp;
    FILE *f;
    struct xt_result r;

    if (access("/usr/bin/chromium", X_OK) != 0)
        FAIL("chromium is not installed (make deps installs it)");
    snprintf(html, sizeof html, "%s/probe.html", xt_tmpdir());
    text = slurp(report);
    f = fopen(html, "w");
    ASSERT(f != NULL);
    /* the report's CSP admits only its own script: the probe's copy drops it
     * (tests/unit/test_report_browser.c checks the report with it) */
    csp = strstr(text, "<meta http-equiv=\"Content-Security-Policy\"");
    ASSERT(csp != NULL);
    fwrite(text, 1, (size_t)(csp - text), f);
    csp = strchr(csp, '>') + 1;
    copy = strstr(csp, "</body>");
    ASSERT(copy != NULL);
    fwrite(csp, 1, (size_t)(copy - csp), f);
    fputs("<script>window.addEventListener('load', function () {"
          "var s = document.querySelectorAll('section.step').length;"
          "var im = Array.prototype.slice.call(document.images);"
          "var ok = im.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;"
          "document.title = 'probe steps=' + s + ' images=' + im.length + ' decoded=' + ok;"
          "});</script></body></html>\n", f);
    fclose(f);
    free(text);
    snprintf(url, sizeof url, "file://%s", html);
    snprintf(probe, sizeof probe, "--user-data-dir=%s/chromium-profile", xt_tmpdir());
    r = xt_run((const char *const[]){"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                     "--disable-quic", "--no-first-run",
                                     "--disable-background-networking", "--disable-component-update",
                                     "--disable-sync", "--enable-logging=stderr", "--v=0",
                                     "--virtual-time-budget=10000", probe,
                                     "--dump-dom", url, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    snprintf(expect, sizeof expect, "<title>probe steps=%d images=%d decoded=%d</title>", steps,
             images, images);
    ASSERT_STR_CONTAINS(r.out, expect);
    if (strstr(r.err, ":CONSOLE"))
        FAIL("the report logged to the console:\n%s", r.err);
    xt_result_free(&r);
}

TEST(demo_task_passes_and_its_report_renders)
{
    struct xt_mserver server;
    const char *files[] = {example("demo", "task.json")};
    struct xt_result r = run_task("demo", files, 1, &server);
    char report[1200], *form;

    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"passed\": true, \"steps_passed\": 2, \"steps_failed\": 0");
    ASSERT_STR_CONTAINS(r.err, "[1/2] PASS instruction");
    ASSERT_STR_CONTAINS(r.err, "[2/2] PASS check the form was submitted with the right values");
    snprintf(report, sizeof report, "%s", json_field(r.out, "report"));
    {
        char path[1300];
        snprintf(path, sizeof path, "%s/work/form.json", json_field(r.out, "trajectory"));
        form = slurp(path);
        ASSERT_STR_EQ(form, "{\"name\": \"Ada Lovelace\", \"email\": \"ada@example.org\", "
                            "\"subscribe\": true}\n");
        free(form);
    }
    /* 7 agent steps with screenshots, the check's step and the screen after
     * the last action; 8 thumbnails (the last one of that screen) */
    check_report_in_chromium(report, 9, 16);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(xterm_example_passes)
{
    struct xt_mserver server;
    const char *files[] = {example("xterm", "task.json")};
    struct xt_result r = run_task("xterm", files, 1, &server);

    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"passed\": true");
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* The GUI test example: the agent fills the form, a model asserts the
 * confirmation and reads the email back, a shell check compares it. */
TEST(gui_test_example_passes)
{
    struct xt_mserver server;
    const char *files[] = {example("gui-test", "task.json")};
    struct xt_result r = run_task("gui-test", files, 1, &server);
    char report[1200];

    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"passed\": true, \"steps_passed\": 4, \"steps_failed\": 0");
    ASSERT_STR_CONTAINS(r.err, "[2/4] PASS assert the confirmation is shown: Below the form it says "
                               "'Thanks, Ada Lovelace!'");
    ASSERT_STR_CONTAINS(r.err, "[4/4] PASS check the form saved the email the screen shows");
    snprintf(report, sizeof report, "%s", json_field(r.out, "report"));
    /* 7 agent steps, the assert, the query, the check and the screen after
     * the last action; screenshots of 9 steps, that screen, and thumbnails
     * of the 9 and of that screen */
    check_report_in_chromium(report, 11, 20);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(literal_actions_need_no_model)
{
    const char *files[] = {example("literal", "task.json")};
    struct xt_result r = run_task(NULL, files, 1, NULL);

    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"steps_passed\": 7");
    xt_result_free(&r);
}

static const char *write_task(const char *name, const char *text)
{
    static char path[4][700];
    static int which;
    FILE *f;

    which = (which + 1) % 4;
    snprintf(path[which], sizeof path[which], "%s/%s", xt_tmpdir(), name);
    f = fopen(path[which], "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    return path[which];
}

TEST(a_failed_check_fails_the_task_and_skips_the_rest)
{
    const char *files[] = {write_task("fail.json",
                                      "{\"name\": \"fails\", \"screen\": \"320x240\", \"steps\": ["
                                      "{\"check\": \"true\"}, {\"check\": \"exit 3\"}, {\"wait\": 1}]}")};
    struct xt_result r = run_task(NULL, files, 1, NULL);

    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.out, "\"passed\": false, \"steps_passed\": 1, \"steps_failed\": 1, "
                               "\"steps_skipped\": 1, \"exit_code\": 4");
    ASSERT_STR_CONTAINS(r.err, "[2/3] FAIL check exit 3: exit status 3");
    xt_result_free(&r);
}

TEST(check_timeout_fails)
{
    const char *files[] = {write_task("slow.json",
                                      "{\"name\": \"slow\", \"screen\": \"320x240\", \"steps\": ["
                                      "{\"check\": \"sleep 30\", \"timeout_ms\": 300}]}")};
    struct xt_result r = run_task(NULL, files, 1, NULL);

    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "FAIL check sleep 30: timed out after 300 ms");
    xt_result_free(&r);
}

/* Each file gets its own new X server: a root property set by the first
 * task is not there for the second. Setup files land in the work dir. */
TEST(several_files_each_on_a_fresh_xvfb)
{
    const char *files[] = {
        write_task("a.json", "{\"name\": \"a\", \"screen\": \"320x240\", \"setup\": [{\"file\": \"note.txt\","
                             " \"content\": \"from setup\\n\"}], \"steps\": [{\"check\": \"grep -q 'from setup'"
                             " note.txt && xprop -root -f XTARS_MARK 8s -set XTARS_MARK seen\"}]}"),
        write_task("b.json", "{\"name\": \"b\", \"screen\": \"320x240\", \"steps\": [{\"check\": "
                             "\"! xprop -root XTARS_MARK | grep -q seen\"}]}")};
    struct xt_result r = run_task(NULL, files, 2, NULL);

    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "{\"task\": \"a\"");
    ASSERT_STR_CONTAINS(r.out, "{\"task\": \"b\"");
    xt_result_free(&r);
}

TEST(bad_task_file_exits_2_naming_it)
{
    const char *files[] = {write_task("bad.json", "{\"name\": \"x\", \"steps\": [{\"wiat\": 5}]}")};
    struct xt_result r = run_task(NULL, files, 1, NULL);

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "bad.json line 1: steps[0]: unknown key 'wiat' (did you mean 'wait'?)");
    xt_result_free(&r);
}

/* `make demo`'s own script, as a newcomer runs it. */
TEST(make_demo_script_passes)
{
    char script[800], build[800], out[800];
    struct xt_result r;

    snprintf(script, sizeof script, "%s/examples/demo/run.sh", XT_SOURCE_DIR);
    snprintf(build, sizeof build, "%s", XT_BINARY_DIR);
    snprintf(out, sizeof out, "XTARS_DEMO_OUT=%s/demo-runs", xt_tmpdir());
    r = xt_run((const char *const[]){script, build, NULL}, (const char *const[]){out, NULL}, NULL);
    if (r.status != 0)
        FAIL("demo exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "xtars demo: PASS. Open the report: /");
    ASSERT_STR_CONTAINS(r.err, "/report.html");
    xt_result_free(&r);
}

/* examples/replay: record a run with the scripted model, replay it with
 * --verify on a fresh Xvfb, and get the same form submitted. */
TEST(replay_example_passes)
{
    char script[800], out[800];
    struct xt_result r;

    snprintf(script, sizeof script, "%s/examples/replay/run.sh", XT_SOURCE_DIR);
    snprintf(out, sizeof out, "%s/replay-example", xt_tmpdir());
    r = xt_run((const char *const[]){script, XT_BINARY_DIR, out, NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("replay example exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "replay finished after 7 steps");
    ASSERT_STR_CONTAINS(r.err, "replay example: PASS");
    xt_result_free(&r);
}
