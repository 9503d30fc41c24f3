/* `xtars replay --dry-run` without a display (issue 17 point 6), as a user
 * runs it: the OSWorld fixture (tests/data/import/osworld/basic: a click at
 * (100,80), type 'hello', an untranslatable step, ctrl+a, DONE on a 640x480
 * screen) imported, then replayed with an empty DISPLAY. The events it
 * would send, points scaled onto --screen as a live replay scales them, the
 * recorded screenshots as the replay's own, the refusals, and the report. */
#include <cjson/cJSON.h>

#include "run.h"
#include "test.h"
#include "xtars/buf.h"
#include "xtars/image.h"

static const char *const no_display[] = {"DISPLAY=", NULL};

/* What the fixture's replayable steps send, in the dry-run log format
 * (docs/actions.md): written from the recorded actions, with the default
 * click_delay_ms (30) and clear_modifiers (on). */
#define CLICK_AT(x, y) "clear_modifiers\nmove " x " " y "\npause 30\nbutton 1 down\nbutton 1 up\n"
#define REST "clear_modifiers\ntype \"hello\"\nclear_modifiers\nkey ctrl down\nkey a down\n" \
             "key a up\nkey ctrl up\n"

static const char *imported(void)
{
    static char path[1024];
    struct xt_result r;

    if (path[0])
        return path;
    snprintf(path, sizeof path, "%s", xt_tmp_path("imported"));
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "osworld",
                                     xt_data_path("import/osworld/basic"), "-o", path, NULL},
               no_display, NULL);
    if (r.status != 0)
        FAIL("import exited %d: %s", r.status, r.err);
    xt_result_free(&r);
    return path;
}

static const char *in_dir(const char *dir, const char *name)
{
    static char paths[4][2048];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, 2048, "%s/%s", dir, name);
    return p;
}

/* steps.jsonl as a JSON array. */
static cJSON *steps_of(const char *dir)
{
    char *text = xt_slurp(in_dir(dir, "steps.jsonl")), *line = text, *end;
    cJSON *steps = cJSON_CreateArray();

    for (; *line; line = end + 1) {
        cJSON *step;
        end = strchr(line, '\n');
        ASSERT(end != NULL);
        *end = '\0';
        step = cJSON_Parse(line);
        if (step == NULL)
            FAIL("not JSON: %s", line);
        cJSON_AddItemToArray(steps, step);
    }
    free(text);
    return steps;
}

static cJSON *json_file(const char *path)
{
    char *text = xt_slurp(path);
    cJSON *json = cJSON_Parse(text);

    if (json == NULL)
        FAIL("%s is not JSON", path);
    free(text);
    return json;
}

static int number(const cJSON *o, const char *key, const char *key2)
{
    const cJSON *item = cJSON_GetObjectItem(o, key);

    if (key2)
        item = cJSON_GetObjectItem(item, key2);
    ASSERT(cJSON_IsNumber(item));
    return (int)cJSON_GetNumberValue(item);
}

static void same_file(const char *a, const char *b)
{
    struct xtars_buf x, y;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_buf_read_file(&x, a, 1 << 24, err), XTARS_OK);
    ASSERT_EQ(xtars_buf_read_file(&y, b, 1 << 24, err), XTARS_OK);
    ASSERT_EQ(x.len, y.len);
    ASSERT_MEM_EQ(x.data, y.data, x.len);
    xtars_buf_cleanup(&x);
    xtars_buf_cleanup(&y);
}

static struct xt_result replay(const char *out, const char *opt1, const char *opt2)
{
    const char *argv[12];
    int n = 0;

    argv[n++] = "@xtars";
    argv[n++] = "replay";
    argv[n++] = "--dry-run";
    argv[n++] = "--out";
    argv[n++] = out;
    if (opt1)
        argv[n++] = opt1;
    if (opt2)
        argv[n++] = opt2;
    argv[n++] = imported();
    argv[n] = NULL;
    return xt_run(argv, no_display, NULL);
}

TEST(dry_replay_needs_no_display_and_shows_the_recorded_screens)
{
    const char *out = xt_tmp_path("dry");
    struct xt_result r = replay(out, NULL, NULL);
    cJSON *steps, *run;
    struct xtars_buf png;
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    if (r.status != 0)
        FAIL("replay exited %d:\n%s", r.status, r.err);
    ASSERT_STR_EQ(r.out, CLICK_AT("100", "80") REST);
    ASSERT_STR_CONTAINS(r.err, "dry run without a display: acting on 640x480+0+0 (the recorded "
                               "screen)");
    ASSERT_STR_CONTAINS(r.err, "step 1/5  click (100,80)  note: no display: the recorded step has "
                               "no screenshot, a blank frame stands in");
    ASSERT_STR_CONTAINS(r.err, "step 3/5  -  note: skipped: recorded step 3 is not replayable");
    ASSERT_STR_CONTAINS(r.err, "replay finished after 5 steps\n");
    steps = steps_of(out);
    ASSERT_EQ(cJSON_GetArraySize(steps), 5);
    for (int i = 0; i < 5; i++) {
        const cJSON *step = cJSON_GetArrayItem(steps, i);
        const char *shot = cJSON_GetStringValue(cJSON_GetObjectItem(step, "screenshot"));
        ASSERT_EQ(number(step, "recorded_step", NULL), i + 1);
        ASSERT(shot != NULL);
        if (i > 0) { /* the imported step's screenshot, byte for byte */
            char recorded[32];
            snprintf(recorded, sizeof recorded, "step-%04d.png", i + 1);
            same_file(in_dir(out, shot), in_dir(imported(), recorded));
            ASSERT_EQ(number(step, "sent", "width"), 640);
        }
    }
    /* Step 1 was recorded without a screenshot: a grey frame of the size the
     * model would get for 640x480 (smart_resize: 23x17 blocks of 28). */
    ASSERT_EQ(xtars_buf_read_file(&png, in_dir(out, "step-0001.png"), 1 << 24, err), XTARS_OK);
    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_decode(png.data, png.len, &img, err), XTARS_OK);
    ASSERT_EQ(img.width, 644);
    ASSERT_EQ(img.height, 476);
    ASSERT_EQ(img.pixels[0], 0x50);
    ASSERT_EQ(img.pixels[(size_t)img.stride * 475 + 4 * 643 + 2], 0x50);
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&png);
    run = json_file(in_dir(out, "run.json"));
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(run, "dry_run")));
    ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(run, "status")), "finished");
    ASSERT_EQ(number(run, "target", "width"), 640);
    ASSERT_EQ(number(run, "screen", "height"), 480);
    cJSON_Delete(run);
    cJSON_Delete(steps);
    xt_result_free(&r);
}

/* --screen: the points land where a live replay on a screen of that size
 * puts them (docs/replay.md: x' = X + floor((x + 0.5) * W' / W)). */
TEST(screen_scales_points_as_a_live_replay_does)
{
    const char *out = xt_tmp_path("scaled"), *placed = xt_tmp_path("placed");
    struct xt_result r = replay(out, "--screen", "1280x960");
    cJSON *run;

    if (r.status != 0)
        FAIL("replay exited %d:\n%s", r.status, r.err);
    ASSERT_STR_EQ(r.out, CLICK_AT("201", "161") REST); /* 100.5 * 2, 80.5 * 2 */
    ASSERT_STR_CONTAINS(r.err, "acting on 1280x960+0+0 (--screen)");
    xt_result_free(&r);
    r = replay(placed, "--screen", "320x240+10+20");
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, CLICK_AT("60", "60") REST); /* 10 + 100.5 / 2, 20 + 80.5 / 2 */
    run = json_file(in_dir(placed, "run.json"));
    ASSERT_EQ(number(run, "target", "x"), 10);
    ASSERT_EQ(number(run, "target", "y"), 20);
    ASSERT_EQ(number(run, "screen", "width"), 330);
    cJSON_Delete(run);
    xt_result_free(&r);
}

TEST(a_range_quiet_and_an_ignored_monitor)
{
    struct xt_result r = replay(xt_tmp_path("range"), "--from=2", "--quiet");

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, REST);
    ASSERT(strstr(r.err, "step 1/") == NULL);
    xt_result_free(&r);
    r = replay(xt_tmp_path("monitor"), "--monitor=1", "--quiet");
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.err, "monitor '1' ignored: a dry run without a display has no monitors");
    ASSERT_STR_EQ(r.out, CLICK_AT("100", "80") REST);
    xt_result_free(&r);
}

TEST(what_needs_a_display_is_refused)
{
    struct {
        const char *opt1, *opt2, *message;
        int dry, code;
    } cases[] = {
        {"--verify", NULL, "--verify compares the live screen with the recording, and a dry run "
                           "without a display has none (replay on a display, e.g. --xvfb 640x480, "
                           "or drop --verify)", 1, 2},
        {"--threshold", "0.9", "--verify compares the live screen", 1, 2},
        {"--launch", "xterm", "--launch needs a display (give --display or --xvfb WxH)", 1, 2},
        {"--screen", "640x480x", "--screen must be WxH or WxH+X+Y (e.g. 1920x1080), not "
                                 "'640x480x'", 1, 2},
        {"--screen", "640x480", "--screen is for --dry-run", 0, 2},
        {NULL, NULL, "no X display", 0, 1},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10];
        int n = 0;
        struct xt_result r;

        argv[n++] = "@xtars";
        argv[n++] = "replay";
        if (cases[i].dry)
            argv[n++] = "--dry-run";
        if (cases[i].opt1)
            argv[n++] = cases[i].opt1;
        if (cases[i].opt2)
            argv[n++] = cases[i].opt2;
        argv[n++] = "--out";
        argv[n++] = xt_tmp_path(cases[i].opt1 ? cases[i].opt1 + 2 : "none");
        argv[n++] = imported();
        argv[n] = NULL;
        r = xt_run(argv, no_display, NULL);
        if (r.status != cases[i].code)
            FAIL("case %zu (%s) exited %d, not %d:\n%s", i, cases[i].message, r.status,
                 cases[i].code, r.err);
        ASSERT_STR_CONTAINS(r.err, cases[i].message);
        ASSERT_STR_EQ(r.out, "");
        xt_result_free(&r);
    }
}

TEST(report_of_a_dry_replay)
{
    const char *out = xt_tmp_path("reported");
    struct xt_result r = replay(out, "--no-report", NULL);
    char *html;

    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "report", out, NULL}, no_display, NULL);
    if (r.status != 0)
        FAIL("report exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "(5 steps, 5 images,");
    html = xt_slurp(in_dir(out, "report.html"));
    ASSERT_STR_CONTAINS(html, "dry run");
    ASSERT_STR_CONTAINS(html, "no display: the recorded step has no screenshot, a blank frame "
                              "stands in");
    free(html);
    xt_result_free(&r);
}
