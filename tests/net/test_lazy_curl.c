/* libcurl is loaded on first model use only (issue 22): the commands that
 * never talk to a model do not open libcurl.so or its dependencies, which the
 * dynamic loader's own trace (LD_DEBUG=files: one "file=NAME" line per shared
 * object opened) shows; `xtars model-check` loads it and still works against
 * the scripted model server. */
#include <stdio.h>
#include <string.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xfixture.h"

static const char *const trace_env[] = {"LD_DEBUG=files", NULL};

/* Runs xtars with the loader trace on; fails the test on a bad exit. */
static struct xt_result traced(const char *const *argv, const char *const *env, int want_status)
{
    struct xt_result r = xt_run(argv, env, NULL);

    if (r.status != want_status)
        FAIL("%s %s: exit %d, want %d; stderr: %.2000s", argv[1], argv[2] ? argv[2] : "",
             r.status, want_status, r.err);
    /* The trace is there at all (else the absence below proves nothing). */
    ASSERT_STR_CONTAINS(r.err, "file=libc.so.6");
    return r;
}

static void assert_no_curl(const char *const *argv, int want_status)
{
    struct xt_result r = traced(argv, trace_env, want_status);

    if (strstr(r.err, "file=libcurl") != NULL)
        FAIL("xtars %s opened libcurl", argv[1]);
    /* One of libcurl's dependencies, never needed by the rest of xtars. */
    ASSERT(strstr(r.err, "file=libgnutls") == NULL && strstr(r.err, "file=libssl") == NULL);
    xt_result_free(&r);
}

TEST(commands_without_a_model_do_not_load_libcurl)
{
    assert_no_curl((const char *const[]){"@xtars", "version", NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "version", "--json", NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "help", NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "help", "run", NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "act", "--dry-run", "--screen", "1280x800",
                                         "click(start_box='(100,200)')", NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "screenshot", "--display", ":none", "-o",
                                         "/dev/null", NULL}, 1);
}

TEST(parse_does_not_load_libcurl)
{
    const char *const argv[] = {"@xtars", "parse", "--family", "pixels", "--screen", "640x480", "-", NULL};
    struct xt_result r = xt_run(argv, trace_env, "Thought: go\nAction: click(start_box='(5,6)')");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"type\":\"click\"");
    ASSERT_STR_CONTAINS(r.err, "file=libc.so.6");
    ASSERT(strstr(r.err, "file=libcurl") == NULL);
    xt_result_free(&r);
}

TEST(model_check_loads_libcurl_and_works)
{
    struct xt_mserver s;
    struct xt_result r;
    char endpoint[96];
    const char *env[] = {"LD_DEBUG=files", "XTARS_API_KEY=k", endpoint, "no_proxy=127.0.0.1", NULL};

    xt_mserver_start(&s, "[{\"reply\": \"Thought: ok\\nAction: finished(content='done')\"}]", NULL);
    snprintf(endpoint, sizeof endpoint, "XTARS_ENDPOINT=%s", s.endpoint);
    r = traced((const char *const[]){"@xtars", "model-check", "--set", "retries=0", NULL}, env, 0);
    xt_mserver_stop(&s);
    ASSERT_STR_CONTAINS(r.err, "file=libcurl.so.4");
    ASSERT_STR_CONTAINS(r.out, "\nreply      Thought: ok\nAction: finished(content='done')\n");
    xt_result_free(&r);
}

/* The trajectory commands and the screen commands, on a private Xvfb: import
 * a UI-TARS-desktop run, report and export it, replay it without verify,
 * take a screenshot, click. */
TEST(trajectory_and_screen_commands_do_not_load_libcurl)
{
    char run[600], replayed[600], exported[600], shot[600], display[64];
    const char *env[] = {display, "LD_DEBUG=files", NULL};

    snprintf(display, sizeof display, "DISPLAY=%s", xt_x_start(640, 480, NULL));
    snprintf(run, sizeof run, "%s/run", xt_tmpdir());
    snprintf(replayed, sizeof replayed, "%s/replayed", xt_tmpdir());
    snprintf(exported, sizeof exported, "%s/exported", xt_tmpdir());
    snprintf(shot, sizeof shot, "%s/shot.png", xt_tmpdir());
    assert_no_curl((const char *const[]){"@xtars", "import", "--from", "uitars-desktop",
                                         XT_SOURCE_DIR "/tests/data/import/uitars-desktop/basic.json",
                                         "-o", run, NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "report", run, NULL}, 0);
    assert_no_curl((const char *const[]){"@xtars", "export", "--to", "osworld", run, "-o",
                                         exported, NULL}, 0);
    {
        struct xt_result r = traced((const char *const[]){"@xtars", "replay", "--dry-run",
                                                          "--quiet", "--out", replayed, run, NULL},
                                    env, 0);
        ASSERT(strstr(r.err, "file=libcurl") == NULL);
        xt_result_free(&r);
        r = traced((const char *const[]){"@xtars", "screenshot", "-o", shot, NULL}, env, 0);
        ASSERT(strstr(r.err, "file=libcurl") == NULL);
        xt_result_free(&r);
        r = traced((const char *const[]){"@xtars", "act", "--family", "pixels",
                                         "click(start_box='(10,10)')", NULL}, env, 0);
        ASSERT(strstr(r.err, "file=libcurl") == NULL);
        xt_result_free(&r);
    }
    xt_x_stop();
}
