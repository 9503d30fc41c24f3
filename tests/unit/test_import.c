/* Importing other tools' runs and exporting ours, on the hand-written
 * fixtures in tests/data/import (written from the formats in
 * UITARS-FORMAT.md section 5): OSWorld screenshots moved to the step they
 * precede, the screen size from the PNGs, untranslatable code kept and
 * marked, UI-TARS-desktop boxes turned into pixels, bad input reported; and
 * export -> import giving back the same actions and pixels. No X needed. */
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "agent/base/files.h"
#include "test.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "agent/interop/import.h"
#include "xtars/trajectory.h"

#define OSWORLD "import/osworld/basic"
#define DESKTOP "import/uitars-desktop/basic.json"

static const char *tmp(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/%s", xt_tmpdir(), name);
    return p;
}

static struct xtars_buf slurp(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 64u << 20, err) != XTARS_OK)
        FAIL("%s", err);
    return b;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void same_bytes(const char *a, const char *b)
{
    struct xtars_buf x = slurp(a), y = slurp(b);

    ASSERT_EQ(x.len, y.len);
    ASSERT_MEM_EQ(x.data, y.data, x.len);
    xtars_buf_cleanup(&x);
    xtars_buf_cleanup(&y);
}

/* The colour of pixel (0,0) of a PNG file, as 0xRRGGBB. */
static unsigned long colour_of(const char *path)
{
    struct xtars_buf b = slurp(path);
    struct xtars_image img;
    char err[XTARS_ERRLEN];
    unsigned long rgb;

    xtars_image_init(&img);
    if (xtars_image_decode(b.data, b.len, &img, err) != XTARS_OK)
        FAIL("%s: %s", path, err);
    rgb = (unsigned long)img.pixels[2] << 16 | (unsigned long)img.pixels[1] << 8 | img.pixels[0];
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&b);
    return rgb;
}

static void load(const char *dir, struct xtars_traj_run *run)
{
    char err[XTARS_ERRLEN];

    if (xtars_traj_load(dir, run, err) != XTARS_OK)
        FAIL("%s", err);
}

static const char *in_dir(const char *dir, const char *name)
{
    static char paths[4][8192];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 8192, "%s/%s", dir, name);
    return p;
}

TEST(osworld_fixture_becomes_a_trajectory)
{
    struct xtars_import_options opts = {.instruction = "Type hello"};
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], fixture[4096];
    const char *out = tmp("osworld");
    static const char *const before[] = {NULL, "step_1_20250301@101500.png",
                                         "step_2_20250301@101502.png", "step_3_20250301@101505.png",
                                         "step_4_20250301@101506.png"};

    snprintf(fixture, sizeof fixture, "%s", xt_data_path(OSWORLD));
    ASSERT_EQ(xtars_import_osworld(fixture, out, &opts, &stats, err), XTARS_OK);
    ASSERT_EQ(stats.steps, 5);
    ASSERT_EQ(stats.not_replayable, 1);
    ASSERT_EQ(stats.screenshots, 4);
    ASSERT_EQ(stats.width, 640);
    ASSERT_STR_EQ(stats.warning, "");
    load(out, &run);
    ASSERT_STR_EQ(run.source, "import-osworld");
    ASSERT_STR_EQ(run.instruction, "Type hello");
    ASSERT_STR_EQ(run.status, "finished");
    ASSERT_STR_EQ(run.message, "OSWorld result: 1.0");
    ASSERT_EQ(run.family, XTARS_FAMILY_PIXELS);
    ASSERT_EQ(run.screen_width, 640);
    ASSERT_EQ(run.target_height, 480);
    ASSERT_EQ(run.sent_width, 640);
    ASSERT_EQ(run.step_count, 5);
    /* Each step shows the screen before its action: OSWorld's previous file. */
    ASSERT(run.steps[0].screenshot == NULL);
    for (int i = 1; i < 5; i++)
        same_bytes(in_dir(out, run.steps[i].screenshot), in_dir(fixture, before[i]));
    ASSERT_EQ(run.steps[0].action_count, 1);
    ASSERT_EQ(run.steps[0].actions[0].type, XTARS_ACTION_CLICK);
    ASSERT_EQ(run.steps[0].actions[0].x, 100);
    ASSERT_EQ(run.steps[0].actions[0].y, 80);
    ASSERT_STR_EQ(run.steps[0].thought, "Click the window to focus it.");
    ASSERT_NEAR(run.steps[0].total_ms, 2000, 0); /* 10:15:00 -> 10:15:02 */
    ASSERT_NEAR(run.steps[3].total_ms, 4000, 0);
    ASSERT_NEAR(run.steps[4].total_ms, 0, 0);
    ASSERT_STR_EQ(run.steps[1].actions[0].text, "hello");
    ASSERT_EQ(run.steps[2].replayable, 0);
    ASSERT_EQ(run.steps[2].action_count, 0);
    ASSERT_STR_CONTAINS(run.steps[2].notes[0], "not replayable: pyautogui: statement 2: 'x ,...'");
    ASSERT_STR_CONTAINS(run.steps[2].source_action, "locateCenterOnScreen('button.png')");
    ASSERT_EQ(run.steps[3].actions[0].type, XTARS_ACTION_HOTKEY);
    ASSERT_STR_EQ(run.steps[3].actions[0].keys[1], "a");
    ASSERT_EQ(run.steps[4].actions[0].type, XTARS_ACTION_FINISHED);
    ASSERT_EQ(run.steps[1].replayable, 1);
    xtars_traj_run_cleanup(&run);
    /* The directory now holds a run: never overwritten. */
    ASSERT_EQ(xtars_import_osworld(fixture, out, &opts, &stats, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "a run is already recorded there");
}

/* A copy of the fixture's PNGs with a traj.jsonl of our own. */
static const char *osworld_dir(const char *name, const char *traj)
{
    const char *dir = tmp(name);
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_mkdir_p(dir, err), XTARS_OK);
    for (int i = 1; i <= 2; i++) {
        static const char *const files[] = {"", "step_1_20250301@101500.png", "step_2_20250301@101502.png"};
        struct xtars_buf png = slurp(in_dir(xt_data_path(OSWORLD), files[i]));
        ASSERT_EQ(xtars_write_file_atomic(in_dir(dir, files[i]), png.data, png.len, err), XTARS_OK);
        xtars_buf_cleanup(&png);
    }
    put_file(in_dir(dir, "traj.jsonl"), traj);
    return dir;
}

TEST(osworld_truncated_line_and_the_final_screen)
{
    const char *dir = osworld_dir("cut", "{\"step_num\": 1, \"action\": \"pyautogui.moveTo(10, 10)\", "
                                         "\"screenshot_file\": \"step_1_20250301@101500.png\"}\n"
                                         "{\"step_num\": 2, \"action\": \"pyautogui.dragTo(20, 30)\", "
                                         "\"screenshot_file\": \"step_2_20250301@101502.png\"}\n"
                                         "{\"step_num\": 3, \"action\": \"pyautogui.cl");
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];
    const char *out = tmp("cut-out");

    ASSERT_EQ(xtars_import_osworld(dir, out, NULL, &stats, err), XTARS_OK);
    ASSERT_STR_EQ(stats.warning, "traj.jsonl line 3: incomplete; using the 2 lines before it");
    load(out, &run);
    ASSERT_EQ(run.step_count, 3); /* 2 lines + the screen after the last action */
    ASSERT_STR_EQ(run.status, "max_steps");
    ASSERT_EQ(run.steps[1].actions[0].type, XTARS_ACTION_DRAG); /* the pointer carried over */
    ASSERT_EQ(run.steps[1].actions[0].x, 10);
    ASSERT_EQ(run.steps[1].actions[0].y2, 30);
    ASSERT_EQ(run.steps[2].action_count, 0);
    ASSERT_STR_EQ(run.steps[2].notes[0], "the screen after the last OSWorld action");
    same_bytes(in_dir(out, run.steps[2].screenshot), in_dir(dir, "step_2_20250301@101502.png"));
    ASSERT_STR_CONTAINS(run.instruction, "imported from OSWorld");
    xtars_traj_run_cleanup(&run);
}

TEST(osworld_bad_input)
{
    struct xtars_import_options opts = {.width = 800, .height = 600};
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];
    const char *dir;

    ASSERT_EQ(xtars_import_osworld(tmp("nothing"), tmp("o1"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "not an OSWorld result directory (no traj.jsonl)");
    dir = osworld_dir("nosize", "{\"action\": \"WAIT\"}\n{\"action\": {\"action_type\": \"CLICK\"}}\n");
    ASSERT_EQ(xtars_import_osworld(dir, tmp("o2"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "no screenshot gives the screen size (use --size WxH)");
    ASSERT_EQ(xtars_import_osworld(dir, tmp("o3"), &opts, &stats, err), XTARS_OK);
    load(tmp("o3"), &run);
    ASSERT_EQ(run.screen_width, 800);
    ASSERT_EQ(run.steps[0].actions[0].type, XTARS_ACTION_WAIT);
    ASSERT_EQ(run.steps[0].actions[0].ms, 0); /* WAIT: the executor's default wait */
    ASSERT_EQ(run.steps[1].replayable, 0);
    ASSERT_STR_CONTAINS(run.steps[1].notes[0], "computer_13 action object");
    xtars_traj_run_cleanup(&run);
    dir = osworld_dir("badname", "{\"action\": \"WAIT\", \"screenshot_file\": \"../../etc/passwd\"}\n");
    ASSERT_EQ(xtars_import_osworld(dir, tmp("o4"), &opts, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "no usable lines: traj.jsonl line 1: bad screenshot_file name");
    dir = osworld_dir("empty", "\n\n");
    ASSERT_EQ(xtars_import_osworld(dir, tmp("o5"), &opts, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "no usable lines");
}

/* Screenshot names come from the crafted traj.jsonl: a symbolic link (to a
 * file outside the directory) is not followed and a FIFO does not block the
 * import (the alarm fails the test if it does). */
TEST(osworld_screenshots_are_not_followed_out_of_the_directory)
{
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];
    const char *dir = osworld_dir("links",
                                  "{\"action\": \"WAIT\", \"screenshot_file\": \"step_1_20250301@101500.png\"}\n"
                                  "{\"action\": \"WAIT\", \"screenshot_file\": \"link.png\"}\n"
                                  "{\"action\": \"WAIT\", \"screenshot_file\": \"fifo.png\"}\n");
    const char *out = tmp("links-out");

    ASSERT_EQ(symlink(xt_data_path(OSWORLD "/step_2_20250301@101502.png"), in_dir(dir, "link.png")), 0);
    ASSERT_EQ(mkfifo(in_dir(dir, "fifo.png"), 0600), 0);
    alarm(30);
    ASSERT_EQ(xtars_import_osworld(dir, out, NULL, &stats, err), XTARS_OK);
    alarm(0);
    ASSERT_STR_CONTAINS(stats.warning, "link.png: is a symbolic link (not followed here)");
    load(out, &run);
    ASSERT_EQ(run.step_count, 4);
    ASSERT(run.steps[1].screenshot != NULL);
    ASSERT(run.steps[2].screenshot == NULL); /* the link's */
    ASSERT(run.steps[3].screenshot == NULL); /* the FIFO's */
    xtars_traj_run_cleanup(&run);
}

TEST(osworld_check_on_memory)
{
    struct xtars_buf text = slurp(xt_data_path(OSWORLD "/traj.jsonl"));
    struct xtars_import_stats stats;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_import_osworld_check(text.data, text.len, 640, 480, &stats, err), XTARS_OK);
    ASSERT_EQ(stats.steps, 5);
    ASSERT_EQ(stats.not_replayable, 1);
    const char *outside = "{\"action\": \"pyautogui.click(700, 1)\"}";
    ASSERT_EQ(xtars_import_osworld_check(outside, strlen(outside), 640, 480, &stats, err), XTARS_OK);
    ASSERT_EQ(stats.not_replayable, 1); /* outside the 640x480 screen */
    xtars_buf_cleanup(&text);
}

TEST(uitars_desktop_fixture_becomes_a_trajectory)
{
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];
    const char *out = tmp("desktop");

    ASSERT_EQ(xtars_import_uitars_desktop(xt_data_path(DESKTOP), out, NULL, &stats, err), XTARS_OK);
    ASSERT_EQ(stats.steps, 3);
    ASSERT_EQ(stats.screenshots, 3);
    ASSERT_EQ(stats.not_replayable, 0);
    load(out, &run);
    ASSERT_STR_EQ(run.source, "import-uitars-desktop");
    ASSERT_STR_EQ(run.instruction, "Type hello into the window and submit it");
    ASSERT_STR_EQ(run.model, "ui-tars-1.5-7b");
    ASSERT_STR_EQ(run.status, "finished");
    ASSERT_STR_EQ(run.started_at, "2025-03-01T10:00:00.000Z");
    ASSERT_EQ(run.screen_width, 640);
    ASSERT_EQ(run.screen_height, 480);
    /* Screenshots: the human messages', in order (grey 10, 90, 170). */
    ASSERT_EQ(colour_of(in_dir(out, run.steps[0].screenshot)), 0x0a0a0aUL);
    ASSERT_EQ(colour_of(in_dir(out, run.steps[1].screenshot)), 0x5a5a5aUL);
    ASSERT_EQ(colour_of(in_dir(out, run.steps[2].screenshot)), 0xaaaaaaUL);
    /* [0.15625, 0.1666667] of 640x480: (100, 80). */
    ASSERT_EQ(run.steps[0].actions[0].type, XTARS_ACTION_CLICK);
    ASSERT_EQ(run.steps[0].actions[0].x, 100);
    ASSERT_EQ(run.steps[0].actions[0].y, 80);
    ASSERT_STR_EQ(run.steps[0].thought, "Click the window first.");
    ASSERT_NEAR(run.steps[0].model_ms, 812, 0);
    ASSERT_NEAR(run.steps[0].total_ms, 3000, 0);
    /* The TypeScript parser leaves "\n" escaped; it is a newline (Enter). */
    ASSERT_STR_EQ(run.steps[1].actions[0].text, "hello\n");
    ASSERT_EQ(run.steps[2].action_count, 2);
    ASSERT_STR_EQ(run.steps[2].actions[0].keys[0], "ctrl");
    ASSERT_EQ(run.steps[2].actions[1].type, XTARS_ACTION_FINISHED);
    ASSERT_STR_EQ(run.steps[2].actions[1].text, "typed and submitted");
    ASSERT_STR_CONTAINS(run.steps[2].source_action, "hotkey(key='ctrl a')\n\nfinished(content=");
    xtars_traj_run_cleanup(&run);
}

static const char *desktop_file(const char *name, const char *conversations, const char *extra)
{
    const char *path = tmp(name);
    char text[8192];

    snprintf(text, sizeof text, "{%s\"instruction\": \"x\", \"status\": \"end\", \"conversations\": [%s]}",
             extra, conversations);
    put_file(path, text);
    return path;
}

TEST(uitars_desktop_bad_input)
{
    static const char *const ctx = "\"screenshotContext\": {\"size\": {\"width\": 800, \"height\": 600}}";
    struct xtars_import_stats stats;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], conv[2048];
    const char *file;

    file = desktop_file("v2.json", "", "\"version\": \"v2\", ");
    ASSERT_EQ(xtars_import_uitars_desktop(file, tmp("d1"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "GUIAgentData version 'v2' is not supported (xtars reads v1)");
    put_file(tmp("notgui.json"), "{\"status\": \"end\"}");
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("notgui.json"), tmp("d2"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "not a UI-TARS-desktop GUIAgentData file (no 'conversations' array)");
    put_file(tmp("broken.json"), "{\"conversations\": [");
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("broken.json"), tmp("d3"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "not valid JSON");
    /* No screenshot: the size from screenshotContext; odd actions kept, marked. */
    snprintf(conv, sizeof conv,
             "{\"from\": \"gpt\", \"value\": \"a\", %s, \"predictionParsed\": [{\"action_type\": \"click\", "
             "\"action_inputs\": {\"start_box\": \"[0.5, 0.5]\"}}]},"
             "{\"from\": \"gpt\", \"value\": \"b\", \"predictionParsed\": [{\"action_type\": \"open_app\", "
             "\"action_inputs\": {}}]},"
             "{\"from\": \"gpt\", \"value\": \"c\", \"predictionParsed\": [{\"action_type\": \"click\", "
             "\"action_inputs\": {\"start_box\": \"[1.5, 0.2]\"}}]},"
             "{\"from\": \"gpt\", \"value\": \"d\"}", ctx);
    file = desktop_file("odd.json", conv, "");
    ASSERT_EQ(xtars_import_uitars_desktop(file, tmp("d4"), NULL, &stats, err), XTARS_OK);
    ASSERT_EQ(stats.steps, 4);
    ASSERT_EQ(stats.not_replayable, 2);
    load(tmp("d4"), &run);
    ASSERT_EQ(run.screen_width, 800);
    ASSERT_EQ(run.steps[0].actions[0].x, 400);
    ASSERT_EQ(run.steps[0].actions[0].y, 300);
    ASSERT_STR_CONTAINS(run.steps[1].notes[0], "not replayable: parse: unknown action 'open_app'");
    ASSERT_STR_CONTAINS(run.steps[2].notes[0], "click: a box is not 0..1 fractions");
    ASSERT_EQ(run.steps[3].action_count, 0);
    ASSERT_STR_EQ(run.steps[3].notes[0], "no parsed prediction in this message");
    ASSERT_EQ(run.steps[3].replayable, 1);
    xtars_traj_run_cleanup(&run);
    ASSERT_EQ(xtars_import_uitars_desktop_check("[]", 2, &stats, err), XTARS_EFORMAT);
    {
        /* A buffer of only blanks and no NUL: nothing is read past its end
         * while looking for an HTML report (ASan and valgrind builds tell). */
        char *blanks = malloc(3);
        ASSERT(blanks != NULL);
        memcpy(blanks, " \n\t", 3);
        ASSERT_EQ(xtars_import_uitars_desktop_check(blanks, 3, &stats, err), XTARS_EFORMAT);
        ASSERT_STR_CONTAINS(err, "not valid JSON");
        free(blanks);
    }
}

/* Each member the importer reads is capped at 1 MiB as read, but a byte
 * that is not UTF-8 is written as U+FFFD (3 bytes): an instruction and a
 * model name of 1,000,000 such bytes each make 2 x 3,000,002 bytes of
 * run.json, over its 4 MiB. The error names the input and its fields, not
 * run.json, exits 2 (bad input), and leaves no output directory behind. */
TEST(uitars_desktop_members_too_large_for_run_json_name_the_input)
{
    static const char conv[] = "\"conversations\": [{\"from\": \"gpt\", \"value\": \"Action: wait()\", "
                               "\"screenshotContext\": {\"size\": {\"width\": 800, \"height\": 600}}}]}";
    const char *file = tmp("wide.json"), *out = tmp("wide-run");
    char *junk = malloc(1000000), err[XTARS_ERRLEN], want[1200];
    struct xtars_import_stats stats;
    struct xt_result r;
    struct stat st;
    FILE *f = fopen(file, "w");

    ASSERT(f != NULL && junk != NULL);
    memset(junk, 0xff, 1000000);
    fputs("{\"version\": \"v1\", \"instruction\": \"", f);
    fwrite(junk, 1, 1000000, f);
    fputs("\", \"modelName\": \"", f);
    fwrite(junk, 1, 1000000, f);
    fprintf(f, "\", %s", conv);
    fclose(f);
    free(junk);
    snprintf(want, sizeof want, "%s: 'instruction' and 'modelName' are too large for run.json together "
             "(3000002 and 3000002 bytes once written; run.json holds at most 4194304)", file);
    ASSERT_EQ(xtars_import_uitars_desktop(file, out, NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_EQ(err, want);
    ASSERT(stat(out, &st) != 0);
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop", file, "--out", out,
                                     NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, want);
    xt_result_free(&r);
    ASSERT(stat(out, &st) != 0);
    /* one of them alone fits, at three times its input */
    f = fopen(file, "w");
    ASSERT(f != NULL);
    fputs("{\"version\": \"v1\", \"instruction\": \"", f);
    for (int i = 0; i < 1000000; i++)
        fputc(0xff, f);
    fprintf(f, "\", \"modelName\": \"m\", %s", conv);
    fclose(f);
    ASSERT_EQ(xtars_import_uitars_desktop(file, out, NULL, &stats, err), XTARS_OK);
}

TEST(export_then_import_gives_the_same_run)
{
    const char *first = tmp("first"), *exported = tmp("exported"), *second = tmp("second");
    struct xtars_traj_run a, b;
    struct xtars_buf traj;
    struct xt_result r;
    char err[XTARS_ERRLEN];
    struct xtars_import_stats stats;

    ASSERT_EQ(xtars_import_osworld(xt_data_path(OSWORLD), first, NULL, &stats, err), XTARS_OK);
    r = xt_run((const char *const[]){"@xtars", "export", "--to", "osworld", first, "-o", exported, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"lines\": 5, \"screenshots\": 5}");
    xt_result_free(&r);
    traj = slurp(in_dir(exported, "traj.jsonl"));
    /* The recorded code as OSWorld wrote it, microsecond stamps, and the
     * DONE line as DesktopEnv.step() records it. */
    ASSERT_STR_CONTAINS(traj.data, "{\"step_num\": 1, \"action_timestamp\": \"20250301@101500000000\", "
                                   "\"action\": \"import pyautogui\\nimport time\\n'''\\nObservation:");
    ASSERT_STR_CONTAINS(traj.data, "\"screenshot_file\": \"step_1_20250301@101500000000.png\"");
    ASSERT_STR_CONTAINS(traj.data, "\"action\": \"import pyautogui\\nx, y = pyautogui.locateCenterOnScreen");
    ASSERT_STR_CONTAINS(traj.data, "\"action\": \"DONE\", \"response\": \"Thought: The text is typed and "
                                   "selected.\\nAction: finished(content='done')\", \"reward\": 0, \"done\": true, "
                                   "\"info\": {\"done\": true}");
    xtars_buf_cleanup(&traj);
    traj = slurp(in_dir(exported, "result.txt"));
    ASSERT_STR_EQ(traj.data, "1.0\n");
    xtars_buf_cleanup(&traj);
    /* The PNG after step 1 is OSWorld's step 1 file, re-encoded: same pixels. */
    ASSERT_EQ(colour_of(in_dir(exported, "step_1_20250301@101500000000.png")), 0xc82828UL);
    ASSERT_EQ(colour_of(in_dir(exported, "step_4_20250301@101506000000.png")), 0xc8c828UL);
    ASSERT_EQ(xtars_import_osworld(exported, second, NULL, &stats, err), XTARS_OK);
    load(first, &a);
    load(second, &b);
    ASSERT_EQ(a.step_count, b.step_count);
    for (int i = 0; i < a.step_count; i++) {
        ASSERT_EQ(a.steps[i].action_count, b.steps[i].action_count);
        ASSERT_EQ(a.steps[i].replayable, b.steps[i].replayable);
        for (int k = 0; k < a.steps[i].action_count; k++) {
            ASSERT_EQ(a.steps[i].actions[k].type, b.steps[i].actions[k].type);
            ASSERT_EQ(a.steps[i].actions[k].x, b.steps[i].actions[k].x);
            ASSERT_EQ(a.steps[i].actions[k].y, b.steps[i].actions[k].y);
        }
        ASSERT_NEAR(a.steps[i].total_ms, b.steps[i].total_ms, 0);
        if (i > 0)
            ASSERT_EQ(colour_of(in_dir(first, a.steps[i].screenshot)),
                      colour_of(in_dir(second, b.steps[i].screenshot)));
    }
    xtars_traj_run_cleanup(&a);
    xtars_traj_run_cleanup(&b);
    /* import -> export -> import: the same steps, byte for byte. */
    same_bytes(in_dir(first, "steps.jsonl"), in_dir(second, "steps.jsonl"));
    r = xt_run((const char *const[]){"@xtars", "export", "--to", "osworld", first, "-o", exported, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "already holds an OSWorld run (traj.jsonl)");
    xt_result_free(&r);
}

/* An OSWorld run as current OSWorld writes it: two actions of one reply
 * under one step_num, a computer_13 object with an object response (newer
 * agents), FAIL; json.dumps escaping. Import keeps each as it was, export
 * writes it back the same, and importing that gives the same trajectory. */
TEST(osworld_replies_objects_and_round_trip)
{
    static const char traj[] =
        "{\"step_num\": 1, \"action_timestamp\": \"20250301@101500123456\", \"action\": "
        "\"pyautogui.click(10, 20)\", \"response\": \"Thought: t\\u00e9l\\u00e9\\nAction: click()\", "
        "\"reward\": 0, \"done\": false, \"info\": {}, \"screenshot_file\": \"step_1_20250301@101500.png\"}\n"
        "{\"step_num\": 1, \"action_timestamp\": \"20250301@101501000000\", \"action\": \"import pyperclip\\n"
        "pyperclip.copy('\\u5317\\u4eac')\\npyautogui.hotkey('ctrl', 'v')\", \"response\": \"Thought: "
        "t\\u00e9l\\u00e9\\nAction: click()\", \"reward\": 0, \"done\": false, \"info\": {}, "
        "\"screenshot_file\": \"step_1_20250301@101500.png\"}\n"
        "{\"step_num\": 2, \"action_timestamp\": \"20250301@101502000000\", \"action\": {\"action_type\": "
        "\"CLICK\", \"x\": 5, \"y\": 6}, \"response\": {\"thought\": \"press it\", \"state_correct\": true}, "
        "\"reward\": 0, \"done\": false, \"info\": {}, \"screenshot_file\": \"step_2_20250301@101502.png\"}\n"
        "{\"step_num\": 3, \"action_timestamp\": \"20250301@101503000000\", \"action\": \"FAIL\", "
        "\"response\": \"Action: call_user()\", \"reward\": 0, \"done\": true, \"info\": {\"fail\": true}, "
        "\"screenshot_file\": \"step_2_20250301@101502.png\"}\n";
    const char *dir = osworld_dir("replies", traj), *first = tmp("replies-1"), *second = tmp("replies-2");
    const char *exported = tmp("replies-x"), *again = tmp("replies-y");
    struct xtars_import_stats stats;
    struct xtars_export_stats xstats;
    struct xtars_traj_run run;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_import_osworld(dir, first, NULL, &stats, err), XTARS_OK);
    ASSERT_STR_EQ(stats.warning, "");
    load(first, &run);
    ASSERT_EQ(run.step_count, 3);
    ASSERT_STR_EQ(run.status, "call_user");
    ASSERT_EQ(run.steps[0].action_count, 2); /* one reply, two actions */
    ASSERT_EQ(run.steps[0].actions[0].type, XTARS_ACTION_CLICK);
    ASSERT_STR_EQ(run.steps[0].actions[1].text, "\xe5\x8c\x97\xe4\xba\xac");
    ASSERT_STR_EQ(run.steps[0].thought, "t\xc3\xa9l\xc3\xa9");
    ASSERT_STR_CONTAINS(run.steps[0].source_action, "[\"pyautogui.click(10, 20)\",");
    ASSERT_NEAR(run.steps[0].total_ms, 1877, 0); /* 10:15:00.123(456) -> 10:15:02 */
    ASSERT_EQ(run.steps[1].replayable, 0);
    ASSERT_STR_EQ(run.steps[1].source_action, "{\"action_type\":\"CLICK\",\"x\":5,\"y\":6}");
    ASSERT_STR_EQ(run.steps[1].reply, "{\"thought\":\"press it\",\"state_correct\":true}");
    ASSERT_EQ(run.steps[1].note_count, 2);
    ASSERT_STR_EQ(run.steps[1].notes[1], XTARS_IMPORT_RESPONSE_OBJECT);
    ASSERT_EQ(run.steps[2].actions[0].type, XTARS_ACTION_CALL_USER);
    xtars_traj_run_cleanup(&run);

    ASSERT_EQ(xtars_export_osworld(first, exported, &xstats, err), XTARS_OK);
    ASSERT_EQ(xstats.lines, 4);
    out = slurp(in_dir(exported, "traj.jsonl"));
    ASSERT_STR_CONTAINS(out.data, "{\"step_num\": 1, \"action_timestamp\": \"20250301@101500123000\", "
                                  "\"action\": \"pyautogui.click(10, 20)\", \"response\": \"Thought: "
                                  "t\\u00e9l\\u00e9\\nAction: click()\", \"reward\": 0, \"done\": false, "
                                  "\"info\": {}, \"screenshot_file\": \"step_1_20250301@101500123000.png\"}\n"
                                  "{\"step_num\": 1, ");
    ASSERT_STR_CONTAINS(out.data, "pyperclip.copy('\\u5317\\u4eac')");
    ASSERT_STR_CONTAINS(out.data, "{\"step_num\": 2, \"action_timestamp\": \"20250301@101502000000\", "
                                  "\"action\": {\"action_type\": \"CLICK\", \"x\": 5, \"y\": 6}, \"response\": "
                                  "{\"thought\": \"press it\", \"state_correct\": true}, ");
    ASSERT_STR_CONTAINS(out.data, "\"action\": \"FAIL\", \"response\": \"Action: call_user()\", \"reward\": 0, "
                                  "\"done\": true, \"info\": {\"fail\": true}");
    xtars_buf_cleanup(&out);
    ASSERT(access(in_dir(exported, "result.txt"), F_OK) != 0); /* no result recorded */
    ASSERT_EQ(xtars_import_osworld(exported, second, NULL, &stats, err), XTARS_OK);
    same_bytes(in_dir(first, "steps.jsonl"), in_dir(second, "steps.jsonl"));
    ASSERT_EQ(xtars_export_osworld(second, again, &xstats, err), XTARS_OK);
    same_bytes(in_dir(exported, "traj.jsonl"), in_dir(again, "traj.jsonl"));
}

/* A run of xtars's own (here from UI-TARS-desktop) with several actions in
 * one reply: one line per action under one step_num, non-ASCII text pasted,
 * finished() as DONE with info {"done": true}. */
TEST(export_writes_a_reply_as_osworld_does)
{
    static const char json[] =
        "{\"instruction\": \"x\", \"status\": \"end\", \"conversations\": [{\"from\": \"gpt\", \"value\": "
        "\"Action: click(start_box='(0.5,0.5)')\", \"screenshotContext\": {\"size\": {\"width\": 800, "
        "\"height\": 600}}, \"timing\": {\"start\": 1740823200000, \"cost\": 250}, \"predictionParsed\": "
        "[{\"action_type\": \"click\", \"action_inputs\": {\"start_box\": \"[0.5, 0.5]\"}}, "
        "{\"action_type\": \"type\", \"action_inputs\": {\"content\": \"\xe5\x8c\x97\xe4\xba\xac\\\\n\"}}, "
        "{\"action_type\": \"finished\", \"action_inputs\": {}}]}]}";
    const char *file = tmp("reply.json"), *run_dir = tmp("reply-run"), *exported = tmp("reply-x");
    struct xtars_import_stats stats;
    struct xtars_export_stats xstats;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    put_file(file, json);
    ASSERT_EQ(xtars_import_uitars_desktop(file, run_dir, NULL, &stats, err), XTARS_OK);
    ASSERT_EQ(xtars_export_osworld(run_dir, exported, &xstats, err), XTARS_OK);
    ASSERT_EQ(xstats.lines, 3);
    out = slurp(in_dir(exported, "traj.jsonl"));
    ASSERT_STR_EQ(out.data,
                  "{\"step_num\": 1, \"action_timestamp\": \"20250301@100000250000\", \"action\": "
                  "\"pyautogui.click(400, 300)\", \"response\": \"Action: click(start_box='(0.5,0.5)')\", "
                  "\"reward\": 0, \"done\": false, \"info\": {}, \"screenshot_file\": null}\n"
                  "{\"step_num\": 1, \"action_timestamp\": \"20250301@100000250000\", \"action\": "
                  "\"import pyperclip\\npyperclip.copy('\\u5317\\u4eac')\\npyautogui.hotkey('ctrl', 'v')\\n"
                  "pyautogui.press('enter')\", \"response\": \"Action: click(start_box='(0.5,0.5)')\", "
                  "\"reward\": 0, \"done\": false, \"info\": {}, \"screenshot_file\": null}\n"
                  "{\"step_num\": 1, \"action_timestamp\": \"20250301@100000250000\", \"action\": \"DONE\", "
                  "\"response\": \"Action: click(start_box='(0.5,0.5)')\", \"reward\": 0, \"done\": true, "
                  "\"info\": {\"done\": true}, \"screenshot_file\": null}\n");
    xtars_buf_cleanup(&out);
}

/* UI-TARS-desktop's only built-in export is its HTML report: the run's JSON
 * inside <script type="ui_tars_web_dump" type="application/json">. */
TEST(uitars_desktop_html_report)
{
    struct xtars_buf json = slurp(xt_data_path(DESKTOP));
    struct xtars_import_stats stats;
    struct xtars_traj_run a, b;
    char err[XTARS_ERRLEN];
    FILE *f = fopen(tmp("report.html"), "w");

    ASSERT(f != NULL);
    fprintf(f, "<!DOCTYPE html><html><head><script type=\"ui_tars_web_dump\" type=\"application/json\">"
               "</script></head><body><script type=\"ui_tars_web_dump\" type=\"application/json\">%s\n"
               "</script></body></html>", json.data);
    fclose(f);
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("report.html"), tmp("html-run"), NULL, &stats, err), XTARS_OK);
    ASSERT_EQ(xtars_import_uitars_desktop(xt_data_path(DESKTOP), tmp("json-run"), NULL, &stats, err),
              XTARS_OK);
    load(tmp("html-run"), &a);
    load(tmp("json-run"), &b);
    ASSERT_EQ(a.step_count, 3);
    ASSERT_STR_EQ(a.instruction, b.instruction);
    xtars_traj_run_cleanup(&a);
    xtars_traj_run_cleanup(&b);
    same_bytes(in_dir(tmp("html-run"), "steps.jsonl"), in_dir(tmp("json-run"), "steps.jsonl"));
    put_file(tmp("other.html"), "<html><body>hello</body></html>");
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("other.html"), tmp("html-2"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "an HTML file without a UI-TARS-desktop report in it");
    /* A report cut off inside its dump (or inside the tag) says so, not "no report". */
    f = fopen(tmp("cut.html"), "w");
    ASSERT(f != NULL);
    fprintf(f, "<html><body><script type=\"ui_tars_web_dump\" type=\"application/json\">%.200s",
            json.data);
    fclose(f);
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("cut.html"), tmp("html-3"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "cut.html: the <script type=\"ui_tars_web_dump\"> at byte 12 is not "
                             "closed (truncated file?)");
    put_file(tmp("cut2.html"), "<html><script type=\"ui_tars_web_dump\" type=\"appl");
    ASSERT_EQ(xtars_import_uitars_desktop(tmp("cut2.html"), tmp("html-4"), NULL, &stats, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "cut2.html: the <script type=\"ui_tars_web_dump\"> at byte 6 is not closed");
    xtars_buf_cleanup(&json);
}

TEST(cli_errors)
{
    struct xt_result r;
    const char *dir = tmp("v2run");
    char err[XTARS_ERRLEN];

    r = xt_run((const char *const[]){"@xtars", "import", "x", "-o", tmp("c1"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--from is required (valid: osworld, uitars-desktop)");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop", tmp("none.json"),
                                     "-o", tmp("c2"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2); /* a missing input is a usage error, as in every command */
    ASSERT_STR_CONTAINS(r.err, "none.json: no such file");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop",
                                     xt_data_path(DESKTOP), "-o", tmp("c3"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"steps\": 3, \"not_replayable\": 0, \"screenshots\": 3, \"width\": 640");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "export", "--to", "gym", tmp("c3"), "-o", tmp("c4"), NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 2);
    xt_result_free(&r);
    /* Unknown trajectory versions are refused before any display is needed. */
    ASSERT_EQ(xtars_mkdir_p(dir, err), XTARS_OK);
    put_file(in_dir(dir, "run.json"), "{\"format\": \"xtars-trajectory\", \"version\": 2}");
    r = xt_run((const char *const[]){"@xtars", "replay", dir, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "trajectory format version 2 is not supported (this xtars reads version 1)");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "replay", tmp("missing"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "missing: no such directory");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "replay", "--from", "3", "--to", "2", dir, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--from 3 is after --to 2");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "replay", "--on-diverge", "pray", dir, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--on-diverge takes stop or ask-model, not 'pray'");
    xt_result_free(&r);
}

TEST(image_sizes_from_headers)
{
    struct xtars_image img;
    struct xtars_buf png, jpeg;
    char err[XTARS_ERRLEN];
    int w, h, is_jpeg;

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, 37, 21, err), XTARS_OK);
    memset(img.pixels, 128, img.capacity);
    xtars_buf_init(&png, 1 << 20);
    xtars_buf_init(&jpeg, 1 << 20);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &png, err), XTARS_OK);
    ASSERT_EQ(xtars_image_encode_jpeg(&img, 80, &jpeg, err), XTARS_OK);
    ASSERT_EQ(xtars_image_probe(png.data, png.len, &w, &h, &is_jpeg), XTARS_OK);
    ASSERT_EQ(w, 37);
    ASSERT_EQ(h, 21);
    ASSERT_EQ(is_jpeg, 0);
    ASSERT_EQ(xtars_image_probe(jpeg.data, jpeg.len, &w, &h, &is_jpeg), XTARS_OK);
    ASSERT_EQ(w, 37);
    ASSERT_EQ(h, 21);
    ASSERT_EQ(is_jpeg, 1);
    /* Cut before the frame header (after SOI and APP0), or not an image at all. */
    ASSERT_EQ(xtars_image_probe(jpeg.data, 24, &w, &h, &is_jpeg), XTARS_EFORMAT);
    ASSERT_EQ(w, 0);
    ASSERT_EQ(xtars_image_probe(png.data, 20, &w, &h, &is_jpeg), XTARS_EFORMAT);
    ASSERT_EQ(xtars_image_probe("GIF89a....................", 26, &w, &h, &is_jpeg), XTARS_EFORMAT);
    xtars_buf_cleanup(&png);
    xtars_buf_cleanup(&jpeg);
    xtars_image_cleanup(&img);
}
