/* report_step.c: one step of the report: what kind of step it was and how
 * it went, the screenshot exactly as recorded with the actions overlaid,
 * the actions in words, notes, the model call and what was sent, the raw
 * reply; checks and waits as what they are. Never prints. */
#include "agent/record/report_internal.h"
#include "agent/base/files.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/base64.h"
#include "xtars/image.h"

#define IMAGE_FILE_MAX (64u << 20)

/* Embeds data as an image only when it is one: a PNG or JPEG that decodes
 * (checked by the caller when `decoded`, else here). Anything else in a
 * trajectory directory (a crafted file named like a screenshot) is named,
 * never embedded. Returns 1 when embedded. */
int report_embed_bytes(struct xtars_buf *b, const void *data, size_t len, const char *attrs,
                       int decoded)
{
    const unsigned char *p = data;
    const char *mime = NULL;

    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        mime = "image/png";
    else if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        mime = "image/jpeg";
    if (mime != NULL && !decoded) {
        struct xtars_image img;
        char err[XTARS_ERRLEN];
        xtars_image_init(&img);
        if (xtars_image_decode(data, len, &img, err) != XTARS_OK)
            mime = NULL;
        xtars_image_cleanup(&img);
    }
    if (mime == NULL) {
        xtars_buf_puts(b, "<p class=\"err\">not embedded: the file is not a PNG or JPEG image "
                          "that decodes</p>");
        return 0;
    }
    xtars_buf_printf(b, "<img %s src=\"data:%s;base64,", attrs, mime);
    xtars_base64_encode(b, data, len);
    xtars_buf_puts(b, "\">");
    return 1;
}

/* The screenshot file as recorded, with the overlay; a note when missing. */
static void step_figure(struct xtars_buf *b, const struct xtars_traj_run *run,
                        const struct xtars_traj_step *s, const struct report_shot *shot)
{
    struct xtars_buf file;
    char path[4400], err[XTARS_ERRLEN], attrs[160];
    double x, y;

    snprintf(path, sizeof path, "%s/%s", run->dir, s->screenshot);
    if (xtars_buf_read_file_nofollow(&file, path, IMAGE_FILE_MAX, err) != XTARS_OK) {
        xtars_buf_puts(b, "<p class=\"err\">screenshot missing: ");
        report_html(b, err);
        xtars_buf_puts(b, "</p>");
        return;
    }
    xtars_buf_puts(b, "<figure class=\"shot\"><div class=\"stage\"");
    if (report_action_point(run, s, &x, &y))
        xtars_buf_printf(b, " data-point=\"%.2f,%.2f\"", x, y);
    xtars_buf_puts(b, ">");
    if (shot->width > 0)
        snprintf(attrs, sizeof attrs, "class=\"full\" width=\"%d\" height=\"%d\" loading=\"lazy\" "
                                      "alt=\"step %d screenshot\"", shot->width, shot->height, s->step);
    else
        snprintf(attrs, sizeof attrs, "class=\"full\" loading=\"lazy\" alt=\"step %d screenshot\"",
                 s->step);
    report_embed_bytes(b, file.data, file.len, attrs, shot->width > 0);
    report_overlay(b, run, s, shot->width, shot->height);
    xtars_buf_puts(b, "</div><figcaption>the screen the model was shown (");
    report_html(b, s->screenshot);
    xtars_buf_printf(b, ", %dx%d); click to zoom</figcaption></figure>\n", shot->width,
                     shot->height);
    xtars_buf_cleanup(&file);
}

/* The diff image `xtars replay --verify` wrote for a step that diverged. */
static void step_diff(struct xtars_buf *b, const struct xtars_traj_run *run,
                      const struct xtars_traj_step *s)
{
    struct xtars_buf file;
    char path[4400], err[XTARS_ERRLEN], attrs[80];

    snprintf(path, sizeof path, "%s/diff-%04d.png", run->dir, s->step);
    if (access(path, F_OK) != 0)
        return;
    if (xtars_buf_read_file_nofollow(&file, path, IMAGE_FILE_MAX, err) != XTARS_OK) {
        xtars_buf_puts(b, "<p class=\"err\">diff image unreadable: ");
        report_html(b, err);
        xtars_buf_puts(b, "</p>");
        return;
    }
    xtars_buf_printf(b, "<figure class=\"shot diff\"><figcaption class=\"err\">divergence: recorded "
                        "| live | difference (diff-%04d.png)</figcaption>", s->step);
    snprintf(attrs, sizeof attrs, "class=\"diff\" loading=\"lazy\" alt=\"step %d difference\"",
             s->step);
    report_embed_bytes(b, file.data, file.len, attrs, 0);
    xtars_buf_puts(b, "</figure>\n");
    xtars_buf_cleanup(&file);
}

static void step_actions(struct xtars_buf *b, const struct xtars_traj_step *s)
{
    if (s->action_count == 0)
        return;
    xtars_buf_puts(b, "<ol class=\"actions\">");
    for (int i = 0; i < s->action_count; i++) {
        xtars_buf_puts(b, "<li>");
        report_action_words(b, &s->actions[i]);
        if (!s->action_ok[i] || s->action_errors[i]) {
            xtars_buf_puts(b, " <span class=\"err\">failed: ");
            report_html(b, s->action_errors[i] ? s->action_errors[i] : "no reason recorded");
            xtars_buf_puts(b, "</span>");
        } else if (s->action_ms && s->action_ms[i] > 0) {
            xtars_buf_printf(b, " <span class=\"t\">%.0f ms</span>", s->action_ms[i]);
        }
        xtars_buf_puts(b, "</li>");
    }
    xtars_buf_puts(b, "</ol>\n");
}

/* The step whose screenshot is the file name, or 0. */
static int step_of_shot(const struct xtars_traj_run *run, const char *name)
{
    for (int i = 0; name && i < run->step_count; i++)
        if (run->steps[i].screenshot && strcmp(run->steps[i].screenshot, name) == 0)
            return run->steps[i].step;
    return 0;
}

/* The prompt (the first message's text) of a recorded request, or NULL;
 * *root is to be freed with cJSON_Delete. */
static const char *request_prompt(const char *request, cJSON **root)
{
    const cJSON *first;

    *root = request ? cJSON_Parse(request) : NULL;
    first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*root, "messages"), 0);
    first = cJSON_GetObjectItemCaseSensitive(first, "content");
    return cJSON_IsString(first) ? first->valuestring : NULL;
}

/* Where the prompt is shown in full: the nearest earlier step with a
 * recorded prompt, if it is the same one (then wherever that one points),
 * else this step. A prompt is shown once per instruction, then referred to;
 * each step parses only its neighbour's request. */
static int prompt_shown_at(const struct xtars_traj_run *run, int index, const char *prompt,
                           const struct report_shot *shots)
{
    for (int i = index - 1; i >= 0; i--) {
        cJSON *root;
        const char *earlier = request_prompt(run->steps[i].model_request, &root);
        int same = earlier && strcmp(earlier, prompt) == 0;
        cJSON_Delete(root);
        if (earlier)
            return same && shots[i].prompt_shown ? shots[i].prompt_shown : run->steps[index].step;
    }
    return run->steps[index].step;
}

/* One user message's image parts: each screenshot by name, linked to its step. */
static void request_images(struct xtars_buf *b, const struct xtars_traj_run *run,
                           const cJSON *content)
{
    const cJSON *part;

    cJSON_ArrayForEach(part, content) {
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(part, "image_url"), "url");
        const char *name = cJSON_IsString(url) ? url->valuestring : NULL;
        int step = step_of_shot(run, name);

        if (step > 0)
            xtars_buf_printf(b, "screenshot of <a href=\"#step-%d\">step %d</a> (", step, step);
        else
            xtars_buf_puts(b, "screenshot (");
        report_html(b, name && name[0] ? name : "not named");
        xtars_buf_puts(b, ") ");
    }
}

static void request_message(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                            const cJSON *m, int first, struct report_shot *shots)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    const cJSON *reply_of = cJSON_GetObjectItemCaseSensitive(m, "reply_of_step");
    int same;

    xtars_buf_puts(b, "<li><span class=\"role\">");
    report_html(b, cJSON_IsString(role) ? role->valuestring : "?");
    xtars_buf_puts(b, "</span> ");
    if (cJSON_IsNumber(reply_of) && reply_of->valuedouble >= 1 && reply_of->valuedouble <= 1e7) {
        xtars_buf_printf(b, "<span title=\"sent back as the history does: a Reflection: "
                            "section left out, uitars-1.5 coordinates in box tokens\">the reply "
                            "of <a href=\"#step-%d\">step %d</a></span>", reply_of->valueint,
                         reply_of->valueint);
    } else if (cJSON_IsArray(content)) {
        request_images(b, run, content);
    } else if (cJSON_IsString(content)) {
        same = first ? prompt_shown_at(run, index, content->valuestring, shots) : 0;
        if (first)
            shots[index].prompt_shown = same;
        if (same > 0 && same != run->steps[index].step) {
            xtars_buf_printf(b, "the prompt, as in <a href=\"#step-%d\">step %d</a>", same, same);
        } else {
            xtars_buf_puts(b, first ? "the prompt<pre>" : "<pre>");
            report_html(b, content->valuestring);
            xtars_buf_puts(b, "</pre>");
        }
    }
    xtars_buf_puts(b, "</li>");
}

/* What the model was sent, as recorded (the request's "messages" with
 * screenshots by name and earlier replies by step). */
static int step_request_recorded(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                                 struct report_shot *shots)
{
    cJSON *root = cJSON_Parse(run->steps[index].model_request ? run->steps[index].model_request : "");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(root, "messages"), *m;
    const char *params[] = {"temperature", "top_p", "max_tokens"};
    int n = 0;

    if (!cJSON_IsArray(messages)) {
        cJSON_Delete(root);
        return 0;
    }
    xtars_buf_printf(b, "<details class=\"request\"><summary>request sent (%d messages)</summary>"
                        "<p class=\"t\">", cJSON_GetArraySize(messages));
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, params[i]);
        if (cJSON_IsNumber(v))
            xtars_buf_printf(b, "%s %g &middot; ", params[i], v->valuedouble);
    }
    xtars_buf_printf(b, "%s</p><ol class=\"msgs\">",
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "stream")) ? "streamed"
                                                                                   : "not streamed");
    cJSON_ArrayForEach(m, messages)
        request_message(b, run, index, m, n++ == 0, shots);
    xtars_buf_puts(b, "</ol></details>");
    cJSON_Delete(root);
    return 1;
}

/* What the model was sent. Older trajectories do not record the request;
 * what it held follows from the run's config: the prompt with the
 * instruction, then the last history_images screenshots, each earlier
 * reply as text. */
static void step_request(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                         struct report_shot *shots, int history_images)
{
    int first = index;

    if (step_request_recorded(b, run, index, shots))
        return;
    while (first > 0 && run->steps[first - 1].model_called)
        first--;
    xtars_buf_puts(b, "<details class=\"request\"><summary>request sent</summary><p class=\"t\">"
                      "The request is not recorded in this trajectory; from the run's config it "
                      "held the prompt with the instruction, ");
    if (history_images > 0) {
        int from = index - history_images + 1 > first ? index - history_images + 1 : first;
        xtars_buf_printf(b, "the last %d screenshots (history_images):", history_images);
        for (int i = from; i <= index; i++)
            if (run->steps[i].screenshot)
                xtars_buf_printf(b, " <a href=\"#step-%d\">step %d</a>", run->steps[i].step,
                                 run->steps[i].step);
    } else {
        xtars_buf_puts(b, "the latest screenshots");
    }
    xtars_buf_printf(b, ", and the model's %d earlier repl%s of this run as text.</p></details>",
                     index - first, index - first == 1 ? "y" : "ies");
}

static void step_model(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                       struct report_shot *shots, int history_images)
{
    const struct xtars_traj_step *s = &run->steps[index];

    if (!s->model_called) {
        if (s->model_request) /* sent, but no answer came (the notes say why) */
            step_request_recorded(b, run, index, shots);
        return;
    }
    xtars_buf_printf(b, "<dl class=\"kv model\"><dt>tokens</dt><dd>%ld prompt, %ld completion</dd>"
                        "<dt>latency</dt><dd>%.0f ms",
                     s->prompt_tokens, s->completion_tokens, s->latency_ms);
    if (s->attempts > 1)
        xtars_buf_printf(b, " (%d attempts)", s->attempts);
    xtars_buf_puts(b, "</dd>");
    if (s->finish_reason) {
        xtars_buf_puts(b, "<dt>finish reason</dt><dd>");
        report_html(b, s->finish_reason);
        xtars_buf_puts(b, "</dd>");
    }
    xtars_buf_puts(b, "</dl>\n");
    step_request(b, run, index, shots, history_images);
}

/* Where the step's actions or answer came from: a task cache, a screen
 * verified against a recording, the model. */
static void step_origin(struct xtars_buf *b, const struct xtars_traj_step *s)
{
    if (s->origin && strcmp(s->origin, "cache") == 0)
        xtars_buf_puts(b, "<span class=\"badge origin cached\" title=\"replayed or answered from "
                          "the task cache, without the model\">cached</span>");
    if (s->similarity >= 0 && (s->action_count > 0 || s->origin))
        xtars_buf_printf(b, "<span class=\"badge origin verified\" title=\"the live screen matched "
                            "the recorded one\">verified %.3f</span>", s->similarity);
    if (s->model_called)
        xtars_buf_puts(b, "<span class=\"badge origin model\" title=\"the model was asked\">"
                          "model</span>");
}

static void step_header(struct xtars_buf *b, const struct xtars_traj_step *s,
                        const struct report_class *c)
{
    static const char *const outcome_words[] = {"passed", "failed", "note"};
    int input = 0;

    for (int i = 0; i < s->action_count; i++)
        input |= s->actions[i].type != XTARS_ACTION_WAIT &&
                 s->actions[i].type != XTARS_ACTION_FINISHED &&
                 s->actions[i].type != XTARS_ACTION_CALL_USER;
    xtars_buf_printf(b, "<section class=\"step %s %s\" id=\"step-%d\"><header><h2>Step %d</h2>"
                        "<span class=\"badge kind\">%s</span><span class=\"badge %s\">%s</span>",
                     report_kind_name(c->kind), report_outcome_name(c->outcome), s->step, s->step,
                     c->kind == REPORT_ACTION     ? "literal action"
                     : c->kind == REPORT_QUESTION ? s->judge
                                                  : report_kind_name(c->kind),
                     report_outcome_name(c->outcome), outcome_words[c->outcome]);
    step_origin(b, s);
    if (c->kind == REPORT_MODEL || c->kind == REPORT_ACTION || c->kind == REPORT_REPLAY ||
        c->kind == REPORT_QUESTION) {
        xtars_buf_printf(b, "<span class=\"t\">capture %.0f ms &middot; encode %.0f ms",
                         s->capture_ms, s->encode_ms);
        if (s->model_called)
            xtars_buf_printf(b, " &middot; model %.0f ms", s->model_ms);
        xtars_buf_printf(b, " &middot; execute %.0f ms &middot; settle %.0f ms%s</span>", s->exec_ms,
                         s->settle_ms, input && !s->screen_changed ? " &middot; no visible change"
                                                                   : "");
    }
    xtars_buf_puts(b, "<span class=\"nav nojs-hide\"><button class=\"prev\" type=\"button\" "
                      "title=\"previous step (left, k)\">&larr;</button> <button class=\"next\" "
                      "type=\"button\" title=\"next step (right, j)\">&rarr;</button></span>"
                      "</header>\n");
}

/* A check as recorded: its command, how it ended, its output. */
static void check_body(struct xtars_buf *b, const struct xtars_traj_step *s,
                       const struct report_class *c)
{
    xtars_buf_puts(b, "<div class=\"check\"><p>The task ran this shell check:</p><code>");
    report_html(b, s->check_command);
    xtars_buf_puts(b, "</code><p>");
    if (s->check_exit_status >= 0)
        xtars_buf_printf(b, "It exited with status <b>%d</b>", s->check_exit_status);
    else
        xtars_buf_puts(b, "It did not exit");
    if (s->check_error && (s->check_exit_status < 0 || strncmp(s->check_error, "exit status", 11))) {
        xtars_buf_puts(b, " (");
        report_html(b, s->check_error);
        xtars_buf_puts(b, ")");
    }
    xtars_buf_puts(b, c->outcome == REPORT_PASS ? ": passed.</p>" : ": failed.</p>");
    if (s->check_output && s->check_output[0]) {
        xtars_buf_puts(b, "<p class=\"t\">its output (stdout and stderr, the last 4 KB at "
                          "most):</p><pre class=\"output\">");
        report_html(b, s->check_output);
        xtars_buf_puts(b, "</pre>");
    } else {
        xtars_buf_puts(b, "<p class=\"t\">It printed nothing.</p>");
    }
    xtars_buf_puts(b, "</div>\n");
}

/* A check or a wait: the command or the time, and how it ended. */
static void note_body(struct xtars_buf *b, const struct xtars_traj_step *s,
                      const struct report_class *c)
{
    if (c->kind == REPORT_CHECK && s->check_command) {
        check_body(b, s, c);
    } else if (c->kind == REPORT_CHECK) {
        xtars_buf_puts(b, "<div class=\"check\"><p>The task ran this shell check ");
        xtars_buf_puts(b, c->outcome == REPORT_PASS ? "and it exited 0 (passed):"
                                                    : "and it failed (a non-zero exit status, "
                                                      "a time-out or a start failure):");
        xtars_buf_puts(b, "</p><code>");
        report_html(b, c->subject);
        xtars_buf_puts(b, "</code><p class=\"t\">Its output is not recorded in this "
                          "trajectory.</p></div>\n");
    } else {
        xtars_buf_puts(b, "<p>The task waited ");
        report_html(b, c->subject);
        xtars_buf_puts(b, c->outcome == REPORT_PASS ? ".</p>\n" : " (interrupted).</p>\n");
    }
    for (int i = 1; i < s->note_count; i++) {
        xtars_buf_puts(b, "<p class=\"note\">");
        report_html(b, s->notes[i]);
        xtars_buf_puts(b, "</p>");
    }
}

void report_step_section(struct xtars_buf *b, const struct xtars_traj_run *run, int index,
                         struct report_shot *shots, int history_images)
{
    const struct report_shot *shot = &shots[index];
    const struct xtars_traj_step *s = &run->steps[index];
    struct report_class c;

    report_classify(run, s, &c);
    step_header(b, s, &c);
    if (c.kind == REPORT_CHECK || c.kind == REPORT_WAIT) {
        note_body(b, s, &c);
        xtars_buf_puts(b, "</section>\n");
        return;
    }
    if (s->instruction && !(run->instruction && strcmp(run->instruction, s->instruction) == 0)) {
        xtars_buf_puts(b, "<p class=\"instr\"><span class=\"badge kind\">instruction</span> ");
        report_html(b, s->instruction);
        xtars_buf_puts(b, "</p>\n");
    }
    xtars_buf_printf(b, "<div class=\"body%s\"><div>", s->screenshot ? "" : " noshot");
    if (s->screenshot)
        step_figure(b, run, s, shot);
    step_diff(b, run, s);
    xtars_buf_puts(b, "</div><div class=\"detail\">");
    if (s->recorded_step > 0)
        xtars_buf_printf(b, "<p class=\"t\">replays recorded step %d</p>", s->recorded_step);
    if (s->similarity >= 0)
        xtars_buf_printf(b, "<p class=\"t\">similarity of the live screen to the recorded one: "
                            "%.3f</p>", s->similarity);
    if (s->thought) {
        xtars_buf_puts(b, "<div class=\"thought\">");
        report_html(b, s->thought);
        xtars_buf_puts(b, "</div>\n");
    }
    step_actions(b, s);
    if (s->parse_error) {
        xtars_buf_puts(b, "<p class=\"err\">The reply was not understood: ");
        report_html(b, s->parse_error);
        xtars_buf_puts(b, "</p>");
    }
    for (int i = 0; i < s->note_count; i++) {
        xtars_buf_puts(b, "<p class=\"note\">");
        report_html(b, s->notes[i]);
        xtars_buf_puts(b, "</p>");
    }
    if (s->source_action) {
        xtars_buf_puts(b, "<details><summary>action as the other tool recorded it</summary><pre>");
        report_html(b, s->source_action);
        xtars_buf_puts(b, "</pre></details>");
    }
    step_model(b, run, index, shots, history_images);
    if (s->request) {
        xtars_buf_puts(b, "<details><summary>question as sent with the screenshot</summary><pre>");
        report_html(b, s->request);
        xtars_buf_puts(b, "</pre></details>");
    }
    if (s->reply) {
        xtars_buf_printf(b, "<details><summary>%s</summary><pre>",
                         c.kind == REPORT_QUESTION ? (s->model_called ? "the model's answer"
                                                                      : "the cached answer")
                         : s->model_called || c.kind == REPORT_MODEL ? "raw reply"
                                                                     : "the call as written");
        report_html(b, s->reply);
        xtars_buf_puts(b, "</pre></details>");
    }
    xtars_buf_puts(b, "</div></div></section>\n");
}
