/* The HTML report: one self-contained file whose Content-Security-Policy
 * allows exactly its own inline style and script (by SHA-256, checked here
 * against the bytes in the file), nothing from outside, every recorded text
 * escaped (hostile thoughts, replies, typed text, check commands, notes),
 * the screenshots embedded byte for byte as recorded, steps in words,
 * checks and waits as what they are, and no model facts for runs that asked
 * no model. The same report in a real browser: tests/unit/test_report_browser.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "agent/base/base64.h"
#include "agent/base/files.h"
#include "agent/base/sha256.h"
#include "agent/record/html.h"
#include "agent/record/report.h"
#include "agent/record/report_internal.h"
#include "agent/record/traj_file.h"
#include "agent/record/traj_write.h"
#include "xtars/buf.h"
#include "xtars/image.h"

#define HOSTILE "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)>"

static const char *tmp(const char *name)
{
    static char path[4][1024];
    static int which;
    which = (which + 1) % 4;
    snprintf(path[which], sizeof path[which], "%s/%s", xt_tmpdir(), name);
    return path[which];
}

/* A 64x40 PNG with a gradient, written as step-NNNN.png. */
static void write_png(struct xtars_traj *t, const char *name, int shade)
{
    struct xtars_image img;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    xtars_buf_init(&png, 1 << 20);
    ASSERT_EQ(xtars_image_alloc(&img, 64, 40, err), XTARS_OK);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 64; x++)
            memset(img.pixels + (size_t)y * img.stride + (size_t)x * 4, (x * 4 + shade) & 255, 4);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &png, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_write_file(t, name, png.data, png.len, err), XTARS_OK);
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&png);
}

static void add_step(struct xtars_traj *t, struct xtars_traj_step *s)
{
    char err[XTARS_ERRLEN];
    static int ok[4] = {1, 1, 1, 1};

    s->replayable = 1;
    if (s->similarity == 0)
        s->similarity = -1;
    if (s->action_ok == NULL)
        s->action_ok = ok;
    ASSERT_EQ(xtars_traj_record_step(t, s, 0, err), XTARS_OK);
}

/* A task: a model step with hostile text, a literal drag, a failed action,
 * a check and a wait (both recorded as note steps, as the task runner does). */
static const char *write_task_run(const char *name, int with_model)
{
    const char *dir = tmp(name);
    struct xtars_traj *t;
    struct xtars_traj_run run;
    struct xtars_traj_step s;
    struct xtars_action click = {.type = XTARS_ACTION_CLICK, .has_point = 1, .x = 560, .y = 318,
                                 .model_x = 564, .model_y = 323};
    struct xtars_action typed[2] = {
        {.type = XTARS_ACTION_TYPE, .text = "Ada " HOSTILE "\n"},
        {.type = XTARS_ACTION_HOTKEY, .key_count = 2, .keys = {"ctrl", "s"}}};
    struct xtars_action drag = {.type = XTARS_ACTION_DRAG, .has_point = 1, .x = 10, .y = 10,
                                .has_end = 1, .x2 = 200, .y2 = 80};
    char *notes[2] = {"check passed: grep -q '" HOSTILE "' form.json"}, *errors[1] = {HOSTILE};
    char *wait_note[1] = {"wait passed: 1000 ms"};
    int failed[1] = {0};
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    memset(&run, 0, sizeof run);
    run.source = "task";
    run.instruction = "sign-up " HOSTILE;
    run.model = with_model ? "ui-tars-1.5-7b" : "never-asked-model";
    run.endpoint = "http://127.0.0.1:9/v1";
    run.status = "failed";
    run.message = "step 3 " HOSTILE;
    run.screen_width = 640, run.screen_height = 400;
    run.target_width = 640, run.target_height = 400;
    run.sent_width = 64, run.sent_height = 40;
    run.config = "{\"history_images\": 2}";
    ASSERT_EQ(xtars_traj_record_run(t, &run, err), XTARS_OK);

    memset(&s, 0, sizeof s);
    s.step = 1, s.screenshot = "step-0001.png", s.total_ms = 100;
    write_png(t, s.screenshot, 0);
    s.model_called = with_model, s.prompt_tokens = 1480, s.completion_tokens = 31;
    s.latency_ms = 812, s.attempts = 1, s.finish_reason = "stop";
    s.reply = "Thought: " HOSTILE "\nAction: click(start_box='(564,323)')";
    s.thought = with_model ? HOSTILE : NULL;
    s.actions = &click, s.action_count = 1, s.screen_changed = 1;
    add_step(t, &s);

    memset(&s, 0, sizeof s);
    s.step = 2, s.screenshot = "step-0002.png", s.total_ms = 50;
    write_png(t, s.screenshot, 60);
    s.reply = "type(content='Ada')";
    s.actions = typed, s.action_count = 2, s.screen_changed = 1;
    add_step(t, &s);

    memset(&s, 0, sizeof s);
    s.step = 3, s.screenshot = "step-0003.png", s.total_ms = 70;
    write_png(t, s.screenshot, 120);
    s.actions = &drag, s.action_count = 1, s.action_ok = failed, s.action_errors = errors;
    s.parse_error = with_model ? "parse: " HOSTILE : NULL;
    add_step(t, &s);

    memset(&s, 0, sizeof s);
    s.step = 4, s.notes = notes, s.note_count = 1, s.settled = 1;
    add_step(t, &s);

    memset(&s, 0, sizeof s);
    s.step = 5, s.notes = wait_note, s.note_count = 1, s.settled = 1;
    add_step(t, &s);
    xtars_traj_close(t);
    return dir;
}

static char *report_of(const char *dir)
{
    struct xtars_report_stats stats;
    char err[XTARS_ERRLEN], path[1200];

    if (xtars_report_write(dir, NULL, &stats, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_EQ(stats.steps, 5);
    ASSERT_EQ(stats.images, 3);
    snprintf(path, sizeof path, "%s/report.html", dir);
    return xt_slurp(path);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* "'sha256-...'" of the text between open and close. */
static void hash_between(const char *html, const char *open, const char *close, char *out)
{
    const char *a = strstr(html, open), *b;
    unsigned char digest[XTARS_SHA256_LEN];
    struct xtars_buf enc;

    ASSERT(a != NULL);
    a += strlen(open);
    b = strstr(a, close);
    ASSERT(b != NULL);
    xtars_sha256(a, (size_t)(b - a), digest);
    xtars_buf_init(&enc, 1024);
    ASSERT_EQ(xtars_base64_encode(&enc, digest, sizeof digest), XTARS_OK);
    sprintf(out, "'sha256-%s'", enc.data);
    xtars_buf_cleanup(&enc);
}

TEST(sha256_matches_the_fips_vectors)
{
    static const struct { const char *in, *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"}};
    unsigned char d[XTARS_SHA256_LEN];
    char hex[65];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        xtars_sha256(v[i].in, strlen(v[i].in), d);
        for (int k = 0; k < 32; k++)
            sprintf(hex + 2 * k, "%02x", d[k]);
        ASSERT_STR_EQ(hex, v[i].hex);
    }
}

TEST(csp_allows_only_the_pages_own_style_and_script)
{
    char *html = report_of(write_task_run("csp", 1));
    char style[80], script[80], csp[400];

    hash_between(html, "<style>", "</style>", style);
    hash_between(html, "<script>", "</script>", script);
    snprintf(csp, sizeof csp, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                              "'none'; img-src data:; style-src %s; script-src %s; base-uri 'none'; "
                              "form-action 'none'\">", style, script);
    ASSERT_STR_CONTAINS(html, csp);
    ASSERT_EQ(count(html, "<script"), 1);
    ASSERT_EQ(count(html, "</script"), 1);
    ASSERT_EQ(count(html, "<style"), 1);
    ASSERT_EQ(count(html, " style=\""), 0); /* attributes would need 'unsafe-inline' */
    free(html);
}

TEST(nothing_is_loaded_from_outside)
{
    char *html = report_of(write_task_run("offline", 1));

    ASSERT_EQ(count(html, "src=\""), count(html, "src=\"data:image/"));
    ASSERT_EQ(count(html, "href=\""), count(html, "href=\"#"));
    ASSERT_EQ(count(html, "url("), count(html, "url(#"));
    ASSERT_EQ(count(html, "@import"), 0);
    ASSERT_EQ(count(html, "<link"), 0);
    ASSERT_EQ(count(html, "<iframe"), 0);
    free(html);
}

TEST(every_recorded_text_is_escaped)
{
    char *html = report_of(write_task_run("hostile", 1));

    ASSERT_EQ(count(html, "alert("), count(html, "&lt;script&gt;alert(1)&lt;/script&gt;") +
                                         count(html, "&lt;img src=x onerror=alert(2)&gt;"));
    ASSERT_EQ(count(html, "<img src=x"), 0);
    ASSERT_EQ(count(html, "<script>alert"), 0);
    /* title, instruction, message, thought, reply, typed text, failed
     * action, parse error, check command: all there, escaped */
    ASSERT_GE(count(html, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;"
                          "&lt;img src=x onerror=alert(2)&gt;"), 8);
    free(html);
}

TEST(screenshots_are_embedded_exactly_as_recorded)
{
    const char *dir = write_task_run("bytes", 1);
    char *html = report_of(dir), path[1200], needle[64], err[XTARS_ERRLEN];

    for (int i = 1; i <= 3; i++) {
        struct xtars_buf file, decoded;
        const char *p, *end;
        snprintf(needle, sizeof needle, "alt=\"step %d screenshot\" src=\"data:image/png;base64,", i);
        p = strstr(html, needle);
        ASSERT(p != NULL);
        p += strlen(needle);
        end = strchr(p, '"');
        xtars_buf_init(&decoded, 1 << 22);
        ASSERT_EQ(xtars_base64_decode(&decoded, p, (size_t)(end - p), err), XTARS_OK);
        snprintf(path, sizeof path, "%s/step-%04d.png", dir, i);
        ASSERT_EQ(xtars_buf_read_file(&file, path, 1 << 22, err), XTARS_OK);
        ASSERT_EQ(decoded.len, file.len);
        ASSERT_MEM_EQ(decoded.data, file.data, file.len);
        xtars_buf_cleanup(&file);
        xtars_buf_cleanup(&decoded);
    }
    /* thumbnails are small JPEGs, one per screenshot */
    ASSERT_EQ(count(html, "alt=\"\" loading=\"lazy\" src=\"data:image/jpeg;base64,"), 3);
    free(html);
}

TEST(steps_in_words_with_markers_as_an_overlay)
{
    char *html = report_of(write_task_run("words", 1));

    ASSERT_STR_CONTAINS(html, "<span class=\"words\" title=\"model coordinates (564, 323)\">"
                              "click at (560, 318)</span>");
    ASSERT_STR_CONTAINS(html, "type &#39;Ada &lt;/script&gt;");
    ASSERT_STR_CONTAINS(html, "&gt;&#39; \u23ce</span>");
    ASSERT_STR_CONTAINS(html, "hotkey ctrl+s");
    ASSERT_STR_CONTAINS(html, "drag (10, 10) -&gt; (200, 80)");
    /* the click lands at 560/640 of 64 px = 56 px, as a ring in an SVG */
    ASSERT_STR_CONTAINS(html, "<svg class=\"marks\" viewBox=\"0 0 64 40\"");
    ASSERT_STR_CONTAINS(html, "<circle class=\"ring\" cx=\"56.0\" cy=\"31.8\"");
    ASSERT_STR_CONTAINS(html, "data-point=\"87.50,79.50\"");
    ASSERT_STR_CONTAINS(html, "<input type=\"checkbox\" id=\"markers\" checked>");
    free(html);
}

TEST(outcomes_checks_and_waits_are_what_they_are)
{
    char *html = report_of(write_task_run("kinds", 1));

    ASSERT_STR_CONTAINS(html, "<section class=\"step model pass\" id=\"step-1\">");
    ASSERT_STR_CONTAINS(html, "<section class=\"step action pass\" id=\"step-2\">");
    ASSERT_STR_CONTAINS(html, "<section class=\"step action fail\" id=\"step-3\">");
    ASSERT_STR_CONTAINS(html, "<section class=\"step check pass\" id=\"step-4\">");
    ASSERT_STR_CONTAINS(html, "<section class=\"step wait pass\" id=\"step-5\">");
    ASSERT_STR_CONTAINS(html, "The task waited 1000 ms.");
    ASSERT_STR_CONTAINS(html, "The reply was not understood: parse: &lt;/script&gt;");
    /* a check or a wait has no capture/model timings to show */
    ASSERT(strstr(strstr(html, "id=\"step-4\""), "capture ") == NULL);
    /* the step list and timeline link every step */
    for (int i = 1; i <= 5; i++) {
        char link[64];
        snprintf(link, sizeof link, "<a href=\"#step-%d\" data-step=\"step-%d\"", i, i);
        ASSERT_EQ(count(html, link), 2);
    }
    ASSERT_STR_CONTAINS(html, "<dt>tokens</dt><dd>1480 prompt, 31 completion</dd>");
    ASSERT_STR_CONTAINS(html, "the last 2 screenshots (history_images): <a href=\"#step-1\">");
    free(html);
}

TEST(a_run_that_asked_no_model_names_none)
{
    char *html = report_of(write_task_run("literal", 0));

    ASSERT_EQ(count(html, "never-asked-model"), 0);
    ASSERT_EQ(count(html, "127.0.0.1:9"), 0);
    ASSERT_EQ(count(html, "tokens"), 0);
    ASSERT_EQ(count(html, "raw reply"), 0);
    ASSERT_STR_CONTAINS(html, "the call as written");
    free(html);
}

TEST(the_screen_after_the_last_action_is_shown_when_recorded)
{
    const char *dir = write_task_run("final", 1);
    char path[1200], err[XTARS_ERRLEN], *html;
    struct xtars_buf png;

    snprintf(path, sizeof path, "%s/step-0001.png", dir);
    ASSERT_EQ(xtars_buf_read_file(&png, path, 1 << 22, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/final.png", dir);
    ASSERT_EQ(xtars_write_file_atomic(path, png.data, png.len, err), XTARS_OK);
    xtars_buf_cleanup(&png);
    ASSERT_EQ(xtars_report_write(dir, NULL, NULL, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/report.html", dir);
    html = xt_slurp(path);
    ASSERT_STR_CONTAINS(html, "<section class=\"step final\" id=\"final\">");
    ASSERT_STR_CONTAINS(html, "<a href=\"#final\" data-step=\"final\">");
    free(html);
}

/* A cached task run (xtars task --cache): a step replayed from the cache, a
 * question answered from it, one the model answered, and a wait_until
 * answer that did not hold yet. */
TEST(cached_verified_and_model_steps_are_marked)
{
    const char *dir = tmp("cached");
    struct xtars_traj *t;
    struct xtars_traj_run run;
    struct xtars_traj_step s;
    struct xtars_action click = {.type = XTARS_ACTION_CLICK, .has_point = 1, .x = 5, .y = 5};
    char *held[1] = {"assert holds: it says Thanks, Ada"}, *read[1] = {"query passed: ${e} = \"a@b\""};
    char *waiting[1] = {"wait_until does not hold: the dialog is still open"};
    char err[XTARS_ERRLEN], path[1200], *html;
    struct xtars_report_stats stats;

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    memset(&run, 0, sizeof run);
    run.source = "task", run.instruction = "cached", run.status = "finished";
    run.screen_width = 640, run.screen_height = 400, run.target_width = 640, run.target_height = 400;
    ASSERT_EQ(xtars_traj_record_run(t, &run, err), XTARS_OK);
    memset(&s, 0, sizeof s);
    s.step = 1, s.screenshot = "step-0001.png", s.actions = &click, s.action_count = 1;
    s.origin = "cache", s.similarity = 0.9987, s.recorded_step = 1, s.reply = "Action: click()";
    write_png(t, s.screenshot, 0);
    add_step(t, &s);
    memset(&s, 0, sizeof s);
    s.step = 2, s.screenshot = "step-0002.png", s.judge = "assert", s.origin = "cache";
    s.similarity = 1, s.request = "Decide whether <this> holds", s.reply = "{\"pass\": true}";
    s.notes = held, s.note_count = 1;
    write_png(t, s.screenshot, 30);
    add_step(t, &s);
    memset(&s, 0, sizeof s);
    s.step = 3, s.screenshot = "step-0003.png", s.judge = "query", s.model_called = 1;
    s.attempts = 1, s.reply = "\"a@b\"", s.notes = read, s.note_count = 1;
    write_png(t, s.screenshot, 60);
    add_step(t, &s);
    memset(&s, 0, sizeof s);
    s.step = 4, s.screenshot = "step-0004.png", s.judge = "wait_until", s.model_called = 1;
    s.attempts = 1, s.reply = "{\"pass\": false}", s.notes = waiting, s.note_count = 1;
    write_png(t, s.screenshot, 90);
    add_step(t, &s);
    xtars_traj_close(t);

    ASSERT_EQ(xtars_report_write(dir, NULL, &stats, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/report.html", dir);
    html = xt_slurp(path);
    ASSERT_STR_CONTAINS(html, "<section class=\"step replay pass\" id=\"step-1\"><header><h2>Step 1"
                              "</h2><span class=\"badge kind\">replay</span><span class=\"badge pass\">"
                              "passed</span><span class=\"badge origin cached\"");
    ASSERT_STR_CONTAINS(html, ">verified 0.999</span>");
    ASSERT_STR_CONTAINS(html, "<section class=\"step question pass\" id=\"step-2\"><header><h2>Step 2"
                              "</h2><span class=\"badge kind\">assert</span>");
    ASSERT_STR_CONTAINS(html, ">verified 1.000</span>");
    ASSERT_STR_CONTAINS(html, "<summary>the cached answer</summary>");
    ASSERT_STR_CONTAINS(html, "Decide whether &lt;this&gt; holds");
    ASSERT_STR_CONTAINS(html, "<section class=\"step question pass\" id=\"step-3\"><header><h2>Step 3"
                              "</h2><span class=\"badge kind\">query</span>");
    ASSERT_STR_CONTAINS(html, "<summary>the model's answer</summary>");
    /* a wait_until answer that does not hold yet is a note, not a failure */
    ASSERT_STR_CONTAINS(html, "<section class=\"step question note\" id=\"step-4\">");
    ASSERT_EQ(count(html, "badge origin cached"), 2);
    ASSERT_EQ(count(html, "badge origin verified"), 2);
    ASSERT_EQ(count(html, "badge origin model"), 2);
    free(html);
}

/* HOSTILE inside a JSON string (its '"' escaped) */
#define JSON_HOSTILE "</script><script>alert(1)</script>\\\"'><img src=x onerror=alert(2)>"

/* A task whose steps record what newer trajectories hold: the instruction
 * each instruction step started with, the request sent (screenshots by
 * name, earlier replies by step), a check's exit status and output; with
 * a final.png and a launched app's log. Hostile text in all of them. */
static const char *write_recorded_run(const char *name)
{
    const char *dir = tmp(name);
    struct xtars_traj *t;
    struct xtars_traj_run run;
    struct xtars_traj_step s;
    struct xtars_action click = {.type = XTARS_ACTION_CLICK, .has_point = 1, .x = 10, .y = 10};
    char *check_note[1] = {"check failed: grep -q '" HOSTILE "' out.txt"};
    char err[XTARS_ERRLEN], path[1200];
    struct xtars_buf png;
    const char *prompt = "You are a GUI agent. </pre>" JSON_HOSTILE;

    ASSERT_EQ(xtars_traj_open(dir, &t, err), XTARS_OK);
    memset(&run, 0, sizeof run);
    run.source = "task";
    run.instruction = "form task";
    run.status = "failed";
    run.screen_width = run.target_width = 640, run.screen_height = run.target_height = 400;
    run.sent_width = 64, run.sent_height = 40;
    ASSERT_EQ(xtars_traj_record_run(t, &run, err), XTARS_OK);

    for (int i = 1; i <= 3; i++) {
        char shot[32], request[1024];
        memset(&s, 0, sizeof s);
        snprintf(shot, sizeof shot, "step-%04d.png", i);
        s.step = i, s.screenshot = shot, s.total_ms = 100, s.model_called = 1;
        write_png(t, shot, i * 40);
        s.reply = "Action: click(start_box='(10,10)')";
        s.actions = &click, s.action_count = 1, s.screen_changed = 1;
        s.instruction = i == 1 ? "fill in " HOSTILE : NULL;
        snprintf(request, sizeof request,
                 "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"},%s"
                 "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                 "\"%s\"}}]}%s],\"temperature\":0,\"top_p\":0.7,\"max_tokens\":1000}",
                 prompt, i >= 2 ? "{\"role\":\"assistant\",\"reply_of_step\":1}," : "", shot,
                 i >= 2 ? ",{\"role\":\"user\",\"content\":\"note " JSON_HOSTILE "\"}" : "");
        s.model_request = request;
        add_step(t, &s);
    }
    memset(&s, 0, sizeof s);
    s.step = 4, s.notes = check_note, s.note_count = 1, s.settled = 1;
    s.check_command = "grep -q '" HOSTILE "' out.txt";
    s.check_exit_status = 1, s.check_error = "exit status 1";
    s.check_output = "grep: out.txt: " HOSTILE "\n";
    add_step(t, &s);
    xtars_traj_close(t);

    snprintf(path, sizeof path, "%s/step-0001.png", dir);
    ASSERT_EQ(xtars_buf_read_file(&png, path, 1 << 22, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/final.png", dir);
    ASSERT_EQ(xtars_write_file_atomic(path, png.data, png.len, err), XTARS_OK);
    xtars_buf_cleanup(&png);
    snprintf(path, sizeof path, "%s/launch-1.log", dir);
    ASSERT_EQ(xtars_write_file_atomic(path, "app output\n", 11, err), XTARS_OK);
    return dir;
}

static char *report_to(const char *dir, const char *out)
{
    char err[XTARS_ERRLEN], path[1200];

    if (xtars_report_write(dir, out, NULL, err) != XTARS_OK)
        FAIL("%s", err);
    snprintf(path, sizeof path, "%s/report.html", dir);
    return xt_slurp(out ? out : path);
}

TEST(the_request_sent_is_shown_with_images_and_replies_by_reference)
{
    char *html = report_to(write_recorded_run("request"), NULL);
    const char *step2 = strstr(html, "id=\"step-2\"");

    ASSERT_STR_CONTAINS(html, "<summary>request sent (2 messages)</summary>");
    ASSERT_STR_CONTAINS(html, "temperature 0 &middot; top_p 0.7 &middot; max_tokens 1000 &middot; "
                              "not streamed");
    /* the prompt in full at step 1, escaped; then referred to */
    ASSERT_STR_CONTAINS(html, "the prompt<pre>You are a GUI agent. &lt;/pre&gt;&lt;/script&gt;&lt;script&gt;"
                              "alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)"
                              "&gt;</pre>");
    ASSERT(step2 != NULL);
    ASSERT_STR_CONTAINS(step2, "the prompt, as in <a href=\"#step-1\">step 1</a>");
    ASSERT_STR_CONTAINS(step2, "\">the reply of <a href=\"#step-1\">step 1</a></span>");
    ASSERT_STR_CONTAINS(step2, "screenshot of <a href=\"#step-2\">step 2</a> (step-0002.png)");
    ASSERT_STR_CONTAINS(step2, "<pre>note &lt;/script&gt;&lt;script&gt;alert(1)");
    /* step 3 points to where the prompt is shown, not to step 2's reference */
    ASSERT_STR_CONTAINS(strstr(html, "id=\"step-3\""), "the prompt, as in <a href=\"#step-1\">");
    ASSERT_EQ(count(html, "the prompt<pre>"), 1);
    /* images by reference: the screenshots are embedded once each */
    ASSERT_EQ(count(html, "alt=\"step 1 screenshot\""), 1);
    free(html);
}

TEST(instructions_and_checks_are_shown_as_recorded)
{
    char *html = report_to(write_recorded_run("instr"), NULL);

    ASSERT_STR_CONTAINS(html, "<ol class=\"instructions\"><li><a href=\"#step-1\" "
                              "data-step=\"step-1\">step 1</a> fill in &lt;/script&gt;");
    ASSERT_STR_CONTAINS(html, "<p class=\"instr\"><span class=\"badge kind\">instruction</span> "
                              "fill in &lt;/script&gt;");
    ASSERT_EQ(count(html, "<p class=\"instr\">"), 1); /* step 2 continues the same one */
    ASSERT_STR_CONTAINS(html, "<section class=\"step check fail\" id=\"step-4\">");
    ASSERT_STR_CONTAINS(html, "<code>grep -q &#39;&lt;/script&gt;");
    ASSERT_STR_CONTAINS(html, "It exited with status <b>1</b>: failed.</p>");
    ASSERT_STR_CONTAINS(html, "<pre class=\"output\">grep: out.txt: &lt;/script&gt;&lt;script&gt;");
    ASSERT_EQ(count(html, "<script>alert"), 0);
    ASSERT_EQ(count(html, "<img src=x"), 0);
    free(html);
}

TEST(the_final_screen_has_a_real_thumbnail)
{
    char *html = report_to(write_recorded_run("finalthumb"), NULL);
    const char *end = strstr(html, "<a href=\"#final\" data-step=\"final\">");

    ASSERT(end != NULL);
    ASSERT(strncmp(end + strlen("<a href=\"#final\" data-step=\"final\">"),
                   "<img alt=\"\" loading=\"lazy\" src=\"data:image/jpeg;base64,", 55) == 0);
    ASSERT_EQ(count(html, "alt=\"\" loading=\"lazy\" src=\"data:image/jpeg;base64,"), 4);
    free(html);
}

/* The launched apps' logs are linked relative to the report file, where
 * -o puts it: beside them, or in another directory. */
TEST(launch_logs_are_linked_relative_to_the_report_file)
{
    const char *dir = write_recorded_run("logs");
    char out[1200], *html;

    html = report_to(dir, NULL);
    ASSERT_STR_CONTAINS(html, "<a href=\"launch-1.log\">launch-1.log</a>");
    free(html);
    snprintf(out, sizeof out, "%s/elsewhere", xt_tmpdir());
    ASSERT(mkdir(out, 0755) == 0);
    snprintf(out, sizeof out, "%s/elsewhere/r.html", xt_tmpdir());
    html = report_to(dir, out);
    ASSERT_STR_CONTAINS(html, "<a href=\"../logs/launch-1.log\">launch-1.log</a>");
    free(html);
}

TEST(relative_dir_between_real_directories)
{
    char a[1100], b[1100], out[1200];

    snprintf(a, sizeof a, "%s/rel-a", xt_tmpdir());
    snprintf(b, sizeof b, "%s/rel-a/b/c", xt_tmpdir());
    ASSERT(mkdir(a, 0755) == 0);
    snprintf(out, sizeof out, "%s/rel-a/b", xt_tmpdir());
    ASSERT(mkdir(out, 0755) == 0);
    ASSERT(mkdir(b, 0755) == 0);
    xtars_html_relative_dir(a, b, out, sizeof out);
    ASSERT_STR_EQ(out, "b/c");
    xtars_html_relative_dir(b, a, out, sizeof out);
    ASSERT_STR_EQ(out, "../..");
    xtars_html_relative_dir(a, a, out, sizeof out);
    ASSERT_STR_EQ(out, ".");
    snprintf(out, sizeof out, "%s/rel-a/b/../b/c/", xt_tmpdir()); /* resolved first */
    xtars_html_relative_dir(out, a, out + 600, 600);
    ASSERT_STR_EQ(out + 600, "../..");
    xtars_html_relative_dir("/nonexistent-dir-x", a, out, sizeof out);
    ASSERT_STR_EQ(out, a);
}
