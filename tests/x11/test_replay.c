/* Replays on private Xvfbs: a run recorded with `xtars run` and the scripted
 * model, replayed on a fresh server, gives the recording X client the very
 * same events; points scale with the screen; verification passes on an
 * unchanged screen and stops with a diff image when the window moved (or
 * hands the step to the model); a truncated steps.jsonl replays its complete
 * steps; imported OSWorld and UI-TARS-desktop runs replay; an exported run
 * imported back replays like the original. Expected coordinates are worked
 * out by hand from docs/replay.md and docs/coordinates.md. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "tty.h"
#include "xclient_ctl.h"
#include "xfixture.h"
#include "xtars/image.h"
#include "xdraw.h"

/* Six steps: click, type, drag, hotkey, scroll, finished (uitars-1.5 numbers
 * in the 644x476 image of a 640x480 screen). */
static const char *const script_all =
    "[\"Thought: focus the window\\nAction: click(start_box='(100,80)')\","
    " \"Action: type(content='hello')\","
    " \"Action: drag(start_box='(50,50)', end_box='(200,120)')\","
    " \"Action: hotkey(key='ctrl a')\","
    " \"Action: scroll(start_box='(300,200)', direction='down')\","
    " \"Action: finished(content='done')\"]";

static const char *path_in(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/%s", xt_tmpdir(), name);
    return p;
}

static const char *file_in(const char *dir, const char *name)
{
    static char paths[4][2100];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 2100, "%s/%s", dir, name);
    return p;
}

/* Records `script` with `xtars run` on a fresh WxH Xvfb, the xclient at
 * geometry; returns the client's events. */
static cJSON *record(const char *dir, int w, int h, const char *geometry, const char *script,
                     const char *family)
{
    struct xt_mserver server;
    struct xt_client client;
    struct xt_result r;
    const char *display = xt_x_start(w, h, NULL);
    cJSON *events;

    xt_mserver_start(&server, script, NULL);
    xt_client_start(&client, geometry);
    r = xt_run((const char *const[]){"@xtars", "run", "--display", display, "--endpoint", server.endpoint,
                                     "--family", family, "--out", dir, "--quiet", "do the task", NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("xtars run exited %d: %s", r.status, r.err);
    xt_result_free(&r);
    events = xt_client_events(&client);
    xt_client_stop(&client);
    xt_mserver_stop(&server);
    xt_x_stop();
    return events;
}

/* Replays dir with extra options on a fresh WxH Xvfb; returns the events. */
static cJSON *replay(const char *dir, int w, int h, const char *geometry, const char *const *extra,
                     struct xt_result *r)
{
    const char *argv[32];
    struct xt_client client;
    const char *display = xt_x_start(w, h, NULL);
    int n = 0;
    cJSON *events;

    xt_client_start(&client, geometry);
    argv[n++] = "@xtars", argv[n++] = "replay", argv[n++] = "--display", argv[n++] = display;
    for (int i = 0; extra && extra[i] && n < 28; i++)
        argv[n++] = extra[i];
    argv[n++] = dir;
    argv[n] = NULL;
    *r = xt_run(argv, NULL, NULL);
    events = xt_client_events(&client);
    xt_client_stop(&client);
    xt_x_stop();
    return events;
}

/* The events without their server timestamps, as one comparable string. */
static char *without_times(const cJSON *events)
{
    cJSON *copy = cJSON_Duplicate(events, 1), *event;
    char *text;

    cJSON_ArrayForEach(event, copy)
        cJSON_DeleteItemFromObject(event, "time");
    text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return text;
}

static void same_events(const cJSON *a, const cJSON *b)
{
    char *x = without_times(a), *y = without_times(b);
    ASSERT_STR_EQ(x, y);
    free(x);
    free(y);
}

static void press_at(const cJSON *events, int n, int root_x, int root_y)
{
    const cJSON *press = xt_events_nth(events, "button_press", n);

    if (press == NULL)
        FAIL("no button_press number %d", n);
    ASSERT_EQ(xt_event_int(press, "root_x"), root_x);
    ASSERT_EQ(xt_event_int(press, "root_y"), root_y);
}

/* steps.jsonl of dir as a cJSON array (caller deletes). */
static cJSON *steps_of(const char *dir)
{
    struct xtars_buf text;
    cJSON *steps = cJSON_CreateArray();
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&text, file_in(dir, "steps.jsonl"), 64u << 20, err) != XTARS_OK)
        FAIL("%s", err);
    for (char *line = text.data, *nl; line && *line; line = nl + 1) {
        cJSON *step;
        nl = strchr(line, '\n');
        ASSERT(nl != NULL);
        *nl = '\0';
        step = cJSON_Parse(line);
        ASSERT(step != NULL);
        cJSON_AddItemToArray(steps, step);
    }
    xtars_buf_cleanup(&text);
    return steps;
}

static char *run_json(const char *dir)
{
    struct xtars_buf text;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&text, file_in(dir, "run.json"), 1 << 24, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&text, NULL);
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    if (!cJSON_IsNumber(item))
        FAIL("no number '%s'", key);
    return item->valuedouble;
}

TEST(replay_gives_the_client_the_same_events)
{
    const char *rec = path_in("rec"), *out = path_in("replay");
    const char *opts[] = {"--verify", "--out", out, "--quiet", NULL};
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script_all, "uitars-1.5");
    cJSON *replayed = replay(rec, 640, 480, "400x300+0+0", opts, &r), *steps, *step;
    char *run, *text;
    int i = 0;

    if (r.status != 0)
        FAIL("replay exited %d: %s", r.status, r.err);
    /* (100,80) in 644x476 -> floor(100*640/644), floor(80*480/476) = (99, 80). */
    press_at(recorded, 0, 99, 80);
    ASSERT_GE(xt_events_count(recorded, "button_press"), 7); /* click, drag, 5 wheel notches */
    text = xt_events_text(replayed);
    ASSERT_STR_CONTAINS(text, "hello");
    free(text);
    same_events(recorded, replayed);
    /* The replay's own record: every step verified identical, numbered after the recording. */
    steps = steps_of(out);
    ASSERT_EQ(cJSON_GetArraySize(steps), 6);
    cJSON_ArrayForEach(step, steps) {
        ASSERT_NEAR(number(step, "similarity"), 1.0, 0);
        ASSERT_EQ((int)number(step, "recorded_step"), ++i);
        ASSERT(cJSON_IsNull(cJSON_GetObjectItem(step, "model")));
    }
    run = run_json(out);
    ASSERT_STR_CONTAINS(run, "\"source\": \"replay\"");
    ASSERT_STR_CONTAINS(run, "\"status\": \"finished\"");
    ASSERT_STR_CONTAINS(run, "\"message\": \"done\"");
    ASSERT_STR_CONTAINS(run, "\"replay_of\": ");
    ASSERT_STR_CONTAINS(run, "\"instruction\": \"do the task\"");
    free(run);
    cJSON_Delete(steps);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

TEST(points_scale_with_the_screen)
{
    const char *rec = path_in("rec"), *opts[] = {"--quiet", "--out", path_in("big"), NULL};
    const char *script = "[\"Action: click(start_box='(100,80)')\","
                         " \"Action: drag(start_box='(10,10)', end_box='(50,30)')\","
                         " \"Action: finished()\"]";
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "640x480+0+0", script, "pixels");
    cJSON *replayed = replay(rec, 1280, 960, "1280x960+0+0", opts, &r);
    const cJSON *release;

    ASSERT_EQ(r.status, 0);
    press_at(recorded, 0, 100, 80);
    press_at(recorded, 1, 10, 10);
    /* The pixel under the doubled centre: 100.5 * 2 = 201, 80.5 * 2 = 161; 10.5 * 2 = 21. */
    press_at(replayed, 0, 201, 161);
    press_at(replayed, 1, 21, 21);
    release = xt_events_nth(replayed, "button_release", 1);
    ASSERT_EQ(xt_event_int(release, "root_x"), 101); /* 50.5 * 2 */
    ASSERT_EQ(xt_event_int(release, "root_y"), 61);  /* 30.5 * 2 */
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

TEST(moved_window_diverges_with_a_diff_image)
{
    const char *rec = path_in("rec"), *out = path_in("moved");
    const char *opts[] = {"--verify", "--out", out, NULL};
    const char *script = "[\"Action: click(start_box='(100,80)')\", \"Action: finished()\"]";
    struct xt_result r;
    struct xtars_buf png;
    struct xtars_image diff;
    char err[XTARS_ERRLEN], *run;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script, "pixels");
    cJSON *replayed = replay(rec, 640, 480, "400x300+200+150", opts, &r), *steps;

    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "step 1 diverged from recorded step 1: similarity 0.");
    ASSERT_STR_CONTAINS(r.err, "diff image (recorded | live | difference): ");
    ASSERT_STR_CONTAINS(r.err, "/moved/diff-0001.png");
    ASSERT_EQ(xt_events_count(replayed, "button_press"), 0); /* the recorded click was not made */
    ASSERT_EQ(xtars_buf_read_file(&png, file_in(out, "diff-0001.png"), 1 << 26, err), XTARS_OK);
    xtars_image_init(&diff);
    ASSERT_EQ(xtars_image_decode(png.data, png.len, &diff, err), XTARS_OK);
    ASSERT_EQ(diff.width, 3 * 644 + 2 * 8); /* three 644x476 panels, 8 apart */
    ASSERT_EQ(diff.height, 24 + 476);
    steps = steps_of(out);
    ASSERT_EQ(cJSON_GetArraySize(steps), 1);
    ASSERT(number(cJSON_GetArrayItem(steps, 0), "similarity") < 0.99);
    run = run_json(out);
    ASSERT_STR_CONTAINS(run, "\"status\": \"diverged\"");
    free(run);
    /* The report shows the diff image in the step that diverged. */
    xtars_buf_cleanup(&png);
    ASSERT_EQ(xtars_buf_read_file(&png, file_in(out, "report.html"), 1 << 28, err), XTARS_OK);
    ASSERT_STR_CONTAINS(png.data, "<figure class=\"shot diff\"><figcaption class=\"err\">divergence: "
                                  "recorded | live | difference (diff-0001.png)</figcaption><img "
                                  "class=\"diff\" loading=\"lazy\" alt=\"step 1 difference\" "
                                  "src=\"data:image/png;base64,");
    cJSON_Delete(steps);
    xtars_image_cleanup(&diff);
    xtars_buf_cleanup(&png);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

/* Replays dir with --verify on a fresh 640x480 Xvfb whose root shows one
 * white rectangle the recording did not have. */
static void replay_with_mark(const char *dir, const char *out, int x, int y, int w, int h,
                             struct xt_result *r)
{
    struct xt_client client;
    const char *display = xt_x_start(640, 480, NULL);
    Display *dpy;
    GC gc;

    xt_client_start(&client, "400x300+0+0");
    dpy = xd_open();
    gc = XCreateGC(dpy, DefaultRootWindow(dpy), 0, NULL);
    XSetForeground(dpy, gc, 0xffffff);
    XFillRectangle(dpy, DefaultRootWindow(dpy), gc, x, y, (unsigned)w, (unsigned)h);
    XSync(dpy, False);
    XFreeGC(dpy, gc);
    *r = xt_run((const char *const[]){"@xtars", "replay", "--display", display, "--verify", "--out", out,
                                      "--quiet", dir, NULL}, NULL, NULL);
    XCloseDisplay(dpy);
    xt_client_stop(&client);
    xt_x_stop();
}

/* The default --verify on a real screen: a caret-sized change passes, a
 * changed line of text (under 1% of the screen, so the similarity stays
 * above 0.99) stops the replay. The recorded image is 644x476, a grid of
 * 81x60 cells of 7.93 rows each: live rows 393..398 (recorded 389.7..394.7)
 * fall inside cell row 49 (388.7..396.7). */
TEST(verify_catches_a_changed_line_but_not_a_caret)
{
    const char *rec = path_in("textrec"), *caret = path_in("caret"), *line = path_in("line");
    const char *script = "[\"Action: click(start_box='(100,80)')\", \"Action: finished()\"]";
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script, "pixels"), *steps;

    replay_with_mark(rec, caret, 500, 380, 2, 15, &r);
    if (r.status != 0)
        FAIL("a caret made the replay fail (%d): %s", r.status, r.err);
    xt_result_free(&r);
    replay_with_mark(rec, line, 300, 393, 240, 6, &r);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "step 1 diverged from recorded step 1: a changed region of ");
    ASSERT_STR_CONTAINS(r.err, "is larger than 64x64 (similarity 0.99");
    steps = steps_of(line);
    ASSERT(number(cJSON_GetArrayItem(steps, 0), "similarity") > 0.99);
    cJSON_Delete(steps);
    xt_result_free(&r);
    cJSON_Delete(recorded);
}

TEST(ask_model_takes_the_diverged_steps)
{
    const char *rec = path_in("rec"), *out = path_in("asked");
    const char *record_script = "[\"Action: click(start_box='(100,80)')\", "
                                "\"Action: type(content='hi')\", \"Action: finished()\"]";
    const char *model_script = "[\"Action: click(start_box='(300,250)')\", "
                               "\"Action: type(content='yo')\", \"Action: finished(content='ok')\"]";
    struct xt_mserver server;
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", record_script, "pixels"), *replayed, *steps;
    const cJSON *step;
    char *text;
    int i = 0;

    xt_mserver_start(&server, model_script, NULL);
    {
        const char *opts[] = {"--verify", "--on-diverge", "ask-model", "--endpoint", server.endpoint,
                              "--family", "pixels", "--out", out, "--quiet", NULL};
        replayed = replay(rec, 640, 480, "400x300+200+150", opts, &r);
    }
    xt_mserver_stop(&server);
    if (r.status != 0)
        FAIL("replay exited %d: %s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "replay finished after 3 steps: ok");
    press_at(replayed, 0, 300, 250);
    text = xt_events_text(replayed);
    ASSERT_STR_EQ(text, "yo");
    free(text);
    steps = steps_of(out);
    ASSERT_EQ(cJSON_GetArraySize(steps), 3);
    cJSON_ArrayForEach(step, steps) {
        char *notes = cJSON_PrintUnformatted(cJSON_GetObjectItem(step, "notes"));
        ASSERT(number(step, "similarity") < 0.99);
        ASSERT_EQ((int)number(step, "recorded_step"), ++i);
        ASSERT(cJSON_IsObject(cJSON_GetObjectItem(step, "model")));
        ASSERT_STR_CONTAINS(notes, "; the model took this step");
        free(notes);
    }
    cJSON_Delete(steps);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

TEST(truncated_steps_replay_the_complete_ones)
{
    const char *rec = path_in("rec"), *out = path_in("cut");
    const char *opts[] = {"--out", out, "--quiet", NULL};
    const char *script = "[\"Action: click(start_box='(100,80)')\", \"Action: type(content='hello')\","
                         " \"Action: hotkey(key='ctrl a')\", \"Action: finished(content='all')\"]";
    struct xtars_buf steps;
    struct xt_result r;
    char err[XTARS_ERRLEN], *run, *text;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script, "pixels"), *replayed;

    /* A run killed while writing its last line. */
    ASSERT_EQ(xtars_buf_read_file(&steps, file_in(rec, "steps.jsonl"), 1 << 24, err), XTARS_OK);
    ASSERT_EQ(truncate(file_in(rec, "steps.jsonl"), (off_t)steps.len - 20), 0);
    xtars_buf_cleanup(&steps);
    replayed = replay(rec, 640, 480, "400x300+0+0", opts, &r);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.err, "steps.jsonl line 4 is incomplete (the run was killed while writing "
                               "it); using the 3 complete steps");
    press_at(replayed, 0, 100, 80);
    text = xt_events_text(replayed);
    ASSERT_STR_EQ(text, "hello\x01"); /* ctrl+a gives "\x01" */
    free(text);
    run = run_json(out);
    ASSERT_STR_CONTAINS(run, "\"message\": \"replayed 3 steps; steps.jsonl line 4 is incomplete");
    free(run);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

TEST(dry_run_range_and_speed)
{
    const char *rec = path_in("rec");
    const char *dry[] = {"--dry-run", "--quiet", "--out", path_in("dry"), NULL};
    const char *range[] = {"--from", "2", "--to", "3", "--speed", "50", "--quiet", "--out",
                           path_in("range"), NULL};
    const char *script = "[\"Action: click(start_box='(100,80)')\", \"Action: type(content='hello')\","
                         " \"Action: hotkey(key='ctrl a')\", \"Action: finished(content='all')\"]";
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script, "pixels"), *replayed, *steps;
    char *text;

    replayed = replay(rec, 640, 480, "400x300+0+0", dry, &r);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "move 100 80\n");
    ASSERT_STR_CONTAINS(r.out, "button 1 down\n");
    ASSERT_STR_CONTAINS(r.out, "type \"hello\"\n");
    ASSERT_EQ(xt_events_count(replayed, "button_press"), 0);
    ASSERT_EQ(xt_events_count(replayed, "key_press"), 0);
    cJSON_Delete(replayed);
    xt_result_free(&r);
    replayed = replay(rec, 640, 480, "400x300+0+0", range, &r);
    ASSERT_EQ(r.status, 0);
    ASSERT_EQ(xt_events_count(replayed, "button_press"), 0);
    text = xt_events_text(replayed);
    ASSERT_STR_EQ(text, "hello\x01");
    free(text);
    steps = steps_of(path_in("range"));
    ASSERT_EQ(cJSON_GetArraySize(steps), 2);
    ASSERT_EQ((int)number(cJSON_GetArrayItem(steps, 0), "recorded_step"), 2);
    ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 1), "settled"))); /* paced */
    cJSON_Delete(steps);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

static void import_fixture(const char *from, const char *path, const char *out)
{
    struct xt_result r = xt_run((const char *const[]){"@xtars", "import", "--from", from, path, "-o",
                                                      out, NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("import exited %d: %s", r.status, r.err);
    xt_result_free(&r);
}

TEST(imported_osworld_run_replays)
{
    const char *imported = path_in("osworld"), *opts[] = {"--quiet", "--out", path_in("r"), NULL};
    struct xt_result r;
    cJSON *events, *steps;
    char *text, *notes;

    import_fixture("osworld", xt_data_path("import/osworld/basic"), imported);
    events = replay(imported, 640, 480, "640x480+0+0", opts, &r);
    ASSERT_EQ(r.status, 0);
    press_at(events, 0, 100, 80);
    text = xt_events_text(events);
    ASSERT_STR_EQ(text, "hello\x01");
    free(text);
    steps = steps_of(path_in("r"));
    ASSERT_EQ(cJSON_GetArraySize(steps), 5);
    notes = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 2), "notes"));
    ASSERT_STR_CONTAINS(notes, "skipped: recorded step 3 is not replayable");
    free(notes);
    cJSON_Delete(steps);
    cJSON_Delete(events);
    xt_result_free(&r);
}

TEST(imported_uitars_desktop_run_replays)
{
    const char *imported = path_in("desktop"), *opts[] = {"--quiet", "--out", path_in("r"), NULL};
    struct xt_result r;
    cJSON *events;
    char *text;

    import_fixture("uitars-desktop", xt_data_path("import/uitars-desktop/basic.json"), imported);
    events = replay(imported, 640, 480, "640x480+0+0", opts, &r);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.err, "replay finished after 3 steps: typed and submitted");
    press_at(events, 0, 100, 80);
    text = xt_events_text(events);
    ASSERT_STR_EQ(text, "hello\n\x01");
    free(text);
    cJSON_Delete(events);
    xt_result_free(&r);
}

TEST(exported_run_imported_back_replays_the_same)
{
    const char *rec = path_in("rec"), *exported = path_in("exported"), *back = path_in("back");
    const char *opts[] = {"--quiet", "--out", path_in("r"), NULL};
    struct xt_result r;
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script_all, "uitars-1.5"), *replayed;

    r = xt_run((const char *const[]){"@xtars", "export", "--to", "osworld", rec, "-o", exported, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"lines\": 6");
    xt_result_free(&r);
    import_fixture("osworld", exported, back);
    replayed = replay(back, 640, 480, "400x300+0+0", opts, &r);
    ASSERT_EQ(r.status, 0);
    same_events(recorded, replayed);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
    xt_result_free(&r);
}

TEST(step_asks_on_the_terminal_before_each_step)
{
    const char *rec = path_in("rec"), *out = path_in("stepped");
    const char *script = "[\"Action: click(start_box='(100,80)')\", \"Action: type(content='hello')\","
                         " \"Action: finished()\"]";
    cJSON *recorded = record(rec, 640, 480, "400x300+0+0", script, "pixels"), *replayed;
    const char *display = xt_x_start(640, 480, NULL);
    struct xt_client client;
    struct xt_tty tty;
    char *run;

    xt_client_start(&client, "400x300+0+0");
    xt_tty_start(&tty, (const char *const[]){"@xtars", "replay", "--display", display, "--step",
                                             "--quiet", "--no-report", "--out", out, rec, NULL},
                 NULL);
    xt_tty_expect(&tty, "xtars: recorded step 1 (1 action) - Enter to replay it, q to stop: ");
    xt_tty_type(&tty, "\n");
    xt_tty_expect(&tty, "xtars: recorded step 2 (1 action) - Enter to replay it, q to stop: ");
    xt_tty_type(&tty, "q\n");
    xt_tty_expect(&tty, "replay stopped after 1 step: stopped before recorded step 2");
    ASSERT_EQ(xt_tty_finish(&tty), 4);
    replayed = xt_client_events(&client);
    xt_client_stop(&client);
    press_at(replayed, 0, 100, 80);
    ASSERT_EQ(xt_events_count(replayed, "key_press"), 0);
    run = run_json(out);
    ASSERT_STR_CONTAINS(run, "\"status\": \"stopped\"");
    free(run);
    xtars_buf_cleanup(&tty.seen);
    cJSON_Delete(recorded);
    cJSON_Delete(replayed);
}
