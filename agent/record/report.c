/* report.c: the HTML run report (docs/trajectory.md, "The report"). One
 * file that opens offline: screenshots embedded as recorded (data: URLs),
 * small JPEG thumbnails for the step list, inline SVG for the timeline and
 * the markers, one inline style and one inline script allowed by hash in
 * its Content-Security-Policy. Text from the model and the trajectory is
 * untrusted and always HTML-escaped. Never prints. */
#include "agent/config/config_internal.h"
#include "agent/record/report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/base64.h"
#include "agent/base/files.h"
#include "agent/record/html.h"
#include "agent/record/report_internal.h"
#include "xtars/buf.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "xtars/trajectory.h"

#define REPORT_MAX (1u << 30)
#define IMAGE_FILE_MAX (64u << 20)

static const char *const phase_names[] = {"capture", "encode", "model", "execute", "settle"};

/* The model is worth naming when it was asked something, or when asking
 * it is what failed. Literal-action tasks and replays never asked it. */
static int used_model(const struct xtars_traj_run *run)
{
    for (int i = 0; i < run->step_count; i++)
        if (run->steps[i].model_called)
            return 1;
    return run->status && strcmp(run->status, "model_error") == 0;
}

/* An integer of the recorded config (0 when absent). */
static int config_int(const struct xtars_traj_run *run, const char *key)
{
    cJSON *root = run->config ? cJSON_Parse(run->config) : NULL;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    int value = cJSON_IsNumber(item) ? item->valueint : 0;

    cJSON_Delete(root);
    return value;
}

static void fact(struct xtars_buf *b, const char *name, const char *value)
{
    xtars_buf_printf(b, "<span>%s <b>", name);
    report_html(b, value && value[0] ? value : "-");
    xtars_buf_puts(b, "</b></span>");
}

/* The head holds the script too: it runs before the steps arrive and takes
 * each as the parser leaves it, so a long run's report is usable at once.
 * data-sections tells it how many there will be. */
static void head(struct xtars_buf *b, const struct xtars_traj_run *run, int sections)
{
    xtars_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\" data-sections=\"%d\"><head>"
                        "<meta charset=\"utf-8\">\n", sections);
    xtars_buf_puts(b, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "img-src data:; style-src ");
    report_csp_hash(b, report_css);
    xtars_buf_puts(b, "; script-src ");
    report_csp_hash(b, report_js);
    xtars_buf_puts(b, "; base-uri 'none'; form-action 'none'\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>xtars ");
    report_html(b, run->source ? run->source : "run");
    xtars_buf_puts(b, ": ");
    report_html(b, run->instruction);
    xtars_buf_printf(b, "</title>\n<style>%s</style>\n<script>%s</script>\n</head>\n<body>\n", report_css,
                     report_js);
}

static void status_line(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    const char *status = run->status ? run->status : "unknown";
    int abandoned = xtars_traj_abandoned(run);

    xtars_buf_puts(b, "<span class=\"badge ");
    report_html(b, abandoned ? "error" : status);
    xtars_buf_puts(b, "\">");
    report_html(b, abandoned ? "interrupted" : status);
    xtars_buf_puts(b, "</span>");
    if (abandoned) /* killed (SIGKILL, OOM, power) before it could write its end */
        xtars_buf_printf(b, " <span>the xtars that recorded this run (pid %ld) is gone without "
                            "having recorded how the run ended; every step it completed is "
                            "below</span>", run->recorder_pid);
    else if (run->message && run->message[0]) {
        xtars_buf_puts(b, " <span>");
        report_html(b, run->message);
        xtars_buf_puts(b, "</span>");
    }
}

/* A task's instructions (recorded with the first step of each), each
 * linking to the step it started at. */
static void instructions(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    int shown = 0;

    for (int i = 0; i < run->step_count; i++) {
        const struct xtars_traj_step *s = &run->steps[i];
        if (!s->instruction || (run->instruction && strcmp(run->instruction, s->instruction) == 0))
            continue;
        xtars_buf_puts(b, shown++ ? "" : "<ol class=\"instructions\">");
        xtars_buf_printf(b, "<li><a href=\"#step-%d\" data-step=\"step-%d\">step %d</a> ", s->step,
                         s->step, s->step);
        report_html(b, s->instruction);
        xtars_buf_puts(b, "</li>");
    }
    if (shown)
        xtars_buf_puts(b, "</ol>\n");
}

static void header(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    const char *source = run->source ? run->source : "run";
    int task = strcmp(source, "task") == 0, replay = strcmp(source, "replay") == 0;
    char text[128];
    double total = 0;

    for (int i = 0; i < run->step_count; i++)
        total += run->steps[i].total_ms;
    xtars_buf_puts(b, "<header class=\"top\"><div class=\"title\"><h1>");
    xtars_buf_puts(b, task ? "Task " : replay ? "Replay" : "Run");
    if (task)
        report_html(b, run->instruction);
    xtars_buf_puts(b, "</h1>");
    status_line(b, run);
    xtars_buf_puts(b, "</div>\n");
    if (!task && run->instruction && run->instruction[0]) {
        xtars_buf_puts(b, "<p class=\"instruction\">");
        report_html(b, run->instruction);
        xtars_buf_puts(b, "</p>\n");
    }
    instructions(b, run);
    xtars_buf_puts(b, "<div class=\"facts\">");
    fact(b, "source", source);
    if (run->replay_of)
        fact(b, "replay of", run->replay_of);
    if (run->imported_from)
        fact(b, "imported from", run->imported_from);
    if (used_model(run)) {
        fact(b, "model", run->model);
        fact(b, "endpoint", run->endpoint);
        fact(b, "family", xtars_family_name(run->family));
        snprintf(text, sizeof text, "%ld prompt, %ld completion", run->prompt_tokens,
                 run->completion_tokens);
        fact(b, "tokens", text);
    }
    snprintf(text, sizeof text, "%d, %.1f s", run->step_count, total / 1000.0);
    fact(b, "steps", text);
    snprintf(text, sizeof text, "%dx%d (target %dx%d+%d+%d, sent %dx%d)%s", run->screen_width,
             run->screen_height, run->target_width, run->target_height, run->target_x,
             run->target_y, run->sent_width, run->sent_height, run->dry_run ? ", dry run" : "");
    fact(b, "screen", text);
    fact(b, "started", run->started_at);
    fact(b, "ended", run->ended_at);
    xtars_buf_puts(b, "</div>\n");
    if (run->warning[0]) {
        xtars_buf_puts(b, "<p class=\"err\">");
        report_html(b, run->warning);
        xtars_buf_puts(b, "</p>");
    }
}

/* Play, the marker toggle (CSS alone handles it, so it also works without
 * the script), the position and the keys. */
static void controls(struct xtars_buf *b)
{
    xtars_buf_puts(b, "<div class=\"controls\"><span class=\"nojs-hide\"><button id=\"play\" "
                      "type=\"button\" title=\"walk through the steps (p)\">Play</button></span>"
                      "<label><input type=\"checkbox\" id=\"markers\" checked> markers "
                      "(<kbd>m</kbd>)</label><span class=\"nojs-hide\">step&nbsp;<b id=\"position\">"
                      "</b></span><span class=\"nojs-hide\"><kbd>&larr;</kbd> <kbd>&rarr;</kbd> or "
                      "<kbd>k</kbd> <kbd>j</kbd> move, <kbd>p</kbd> plays</span></div>\n");
}

static double step_weight(const struct xtars_traj_step *s, double floor_ms)
{
    return s->total_ms > floor_ms ? s->total_ms : floor_ms;
}

/* One bar across the page: a segment per step, as wide as the step took
 * (with a floor so instant steps stay visible), its outcome on top and its
 * phases below; each segment links to its step. */
static void timeline(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    double sum = 0, floor_ms, x = 0, scale, gap;
    struct report_class c;
    char words[200];

    if (run->step_count == 0)
        return;
    for (int i = 0; i < run->step_count; i++)
        sum += run->steps[i].total_ms > 0 ? run->steps[i].total_ms : 0;
    floor_ms = sum > 0 ? sum * 0.008 : 1;
    sum = 0;
    for (int i = 0; i < run->step_count; i++)
        sum += step_weight(&run->steps[i], floor_ms);
    scale = 1000.0 / sum;
    gap = run->step_count < 250 ? 1000.0 / run->step_count * 0.06 : 0;
    xtars_buf_puts(b, "<div class=\"timeline\"><svg viewBox=\"0 0 1000 30\" "
                      "preserveAspectRatio=\"none\" role=\"img\" aria-label=\"steps over time\">");
    for (int i = 0; i < run->step_count; i++) {
        const struct xtars_traj_step *s = &run->steps[i];
        double w = step_weight(s, floor_ms) * scale, p[5] = {s->capture_ms, s->encode_ms,
                                                             s->model_ms, s->exec_ms, s->settle_ms};
        double inner = w - (gap < w * 0.3 ? gap : w * 0.3), px = x, phase_sum = 0;
        report_classify(run, s, &c);
        xtars_buf_printf(b, "<a href=\"#step-%d\" data-step=\"step-%d\"><title>Step %d (%s, %s): ",
                         s->step, s->step, s->step, report_kind_name(c.kind),
                         report_outcome_name(c.outcome));
        words[0] = '\0';
        if (s->action_count)
            report_action_text(&s->actions[0], words, sizeof words);
        else if (c.subject)
            snprintf(words, sizeof words, "%s", c.subject);
        report_html(b, words);
        xtars_buf_printf(b, " &middot; %.0f ms</title><rect class=\"o o-%s\" x=\"%.2f\" y=\"0\" "
                            "width=\"%.2f\" height=\"9\"/>",
                         s->total_ms, report_outcome_name(c.outcome), x, inner);
        for (int k = 0; k < 5; k++)
            phase_sum += p[k] > 0 ? p[k] : 0;
        for (int k = 0; k < 5 && phase_sum > 0; k++) {
            double pw = (p[k] > 0 ? p[k] : 0) / phase_sum * inner;
            if (pw > 0.01)
                xtars_buf_printf(b, "<rect class=\"p%d\" x=\"%.2f\" y=\"11\" width=\"%.2f\" "
                                    "height=\"19\"/>", k, px, pw);
            px += pw;
        }
        xtars_buf_puts(b, "</a>");
        x += w;
    }
    xtars_buf_puts(b, "</svg><div class=\"legend\">");
    for (int k = 0; k < 5; k++)
        xtars_buf_printf(b, "<span><i class=\"p%d\"></i>%s</span>", k, phase_names[k]);
    xtars_buf_puts(b, "<span><i class=\"o-pass\"></i>passed</span><span><i class=\"o-note\"></i>"
                      "note</span><span><i class=\"o-fail\"></i>failed</span></div></div>\n");
}

/* The step list: a thumbnail and a line per step, linking to it; the
 * screen after the last action (final, a file name or NULL) last, its
 * thumbnail in thumbs[step_count]. */
static void filmstrip(struct xtars_buf *b, const struct xtars_traj_run *run,
                      const struct report_shot *shots, const struct report_thumb *thumbs,
                      const char *final)
{
    struct report_class c;
    char words[300];

    xtars_buf_puts(b, "<nav class=\"film\" aria-label=\"steps\">\n");
    for (int i = 0; i < run->step_count; i++) {
        const struct xtars_traj_step *s = &run->steps[i];
        report_classify(run, s, &c);
        xtars_buf_printf(b, "<a href=\"#step-%d\" data-step=\"step-%d\" class=\"%s\">", s->step,
                         s->step, report_outcome_name(c.outcome));
        if (s->screenshot)
            report_thumb_html(b, &shots[i], &thumbs[i]);
        else
            xtars_buf_printf(b, "<span class=\"nothumb\">%s</span>", report_kind_name(c.kind));
        words[0] = '\0';
        if (c.subject)
            snprintf(words, sizeof words, "%s %s", report_kind_name(c.kind), c.subject);
        else if (s->action_count)
            report_action_text(&s->actions[0], words, sizeof words);
        else if (s->parse_error)
            snprintf(words, sizeof words, "reply not understood");
        xtars_buf_printf(b, "<span><span class=\"n\">%d</span> <span class=\"s\">", s->step);
        report_html(b, words);
        if (s->action_count > 1)
            xtars_buf_printf(b, " (+%d)", s->action_count - 1);
        xtars_buf_puts(b, "</span></span></a>\n");
    }
    if (final) {
        xtars_buf_puts(b, "<a href=\"#final\" data-step=\"final\">");
        report_thumb_html(b, &shots[run->step_count], &thumbs[run->step_count]);
        xtars_buf_puts(b, "<span><span class=\"n\">end</span> <span class=\"s\">the screen after "
                          "the last action</span></span></a>\n");
    }
    xtars_buf_puts(b, "</nav>\n");
}

/* The name of the screen after the final action, when the run saved one. */
static const char *final_shot(const struct xtars_traj_run *run, char *path, size_t size)
{
    static const char *const names[] = {"final.png", "final.jpg"};

    for (int i = 0; i < 2; i++) {
        snprintf(path, size, "%s/%s", run->dir, names[i]);
        if (access(path, R_OK) == 0)
            return names[i];
    }
    return NULL;
}

/* The final screen's section; shot: what its thumbnail found (decoded when
 * its width is set, so it is not decoded again here). */
static int final_section(struct xtars_buf *b, const struct xtars_traj_run *run, const char *name,
                         const struct report_shot *shot)
{
    struct xtars_buf file;
    char path[4400], err[XTARS_ERRLEN];

    if (name == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/%s", run->dir, name);
    if (xtars_buf_read_file_nofollow(&file, path, IMAGE_FILE_MAX, err) != XTARS_OK)
        return 0;
    xtars_buf_puts(b, "<section class=\"step final\" id=\"final\"><header><h2>The screen after "
                      "the last action</h2></header><figure class=\"shot\"><div class=\"stage\">");
    report_embed_bytes(b, file.data, file.len, "class=\"full\" loading=\"lazy\" alt=\"final screen\"",
                       shot->width > 0);
    xtars_buf_puts(b, "</div><figcaption>");
    report_html(b, name);
    xtars_buf_puts(b, "</figcaption></figure></section>\n");
    xtars_buf_cleanup(&file);
    return 1;
}

/* ---- launched apps' output (kept apart: the report's own cards are above) -- */

/* A line linking the launch-N.log files the run's apps wrote, if any, by
 * paths relative to the report file (out_path, NULL: in dir), so that they
 * work wherever -o put it and as long as both move together. */
static void launch_logs(struct xtars_buf *b, const char *dir, const char *out_path)
{
    char path[4400], out_dir[4096], rel[4096] = ".";
    const char *slash = out_path ? strrchr(out_path, '/') : NULL;
    int shown = 0;

    if (out_path) {
        if (slash)
            snprintf(out_dir, sizeof out_dir, "%.*s", slash == out_path ? 1 : (int)(slash - out_path),
                     out_path);
        else
            snprintf(out_dir, sizeof out_dir, ".");
        xtars_html_relative_dir(out_dir, dir, rel, sizeof rel);
    }
    for (int n = 1; n <= 64; n++) {
        snprintf(path, sizeof path, "%s/launch-%d.log", dir, n);
        if (access(path, F_OK) != 0)
            continue;
        xtars_buf_puts(b, shown++ ? ", " : "<p class=\"muted\">Output of the launched apps: ");
        xtars_buf_puts(b, "<a href=\"");
        if (strcmp(rel, ".") != 0) {
            xtars_html_href(b, rel);
            xtars_buf_putc(b, '/');
        }
        xtars_buf_printf(b, "launch-%d.log\">launch-%d.log</a>", n, n);
    }
    if (shown)
        xtars_buf_puts(b, "</p>\n");
}

xtars_err xtars_report_write(const char *dir, const char *out_path, struct xtars_report_stats *stats,
                             char *err)
{
    struct xtars_traj_run run;
    struct report_shot *shots = NULL;
    struct report_thumb *thumbs = NULL;
    const char **names = NULL;
    struct xtars_buf b;
    char path[4400];
    const char *final;
    int images = 0, history_images;
    xtars_err rc;

    if ((rc = xtars_traj_load(dir, &run, err)) != XTARS_OK)
        return rc;
    shots = calloc((size_t)run.step_count + 1, sizeof *shots);
    thumbs = calloc((size_t)run.step_count + 1, sizeof *thumbs);
    names = calloc((size_t)run.step_count + 1, sizeof *names);
    if (shots == NULL || thumbs == NULL || names == NULL) {
        free(shots);
        free(thumbs);
        free(names);
        xtars_traj_run_cleanup(&run);
        return xtars_error(err, XTARS_ENOMEM, "report: out of memory");
    }
    history_images = config_int(&run, "history_images");
    final = final_shot(&run, path, sizeof path);
    for (int i = 0; i < run.step_count; i++)
        names[i] = run.steps[i].screenshot;
    names[run.step_count] = final;
    report_thumbs_make(run.dir, names, run.step_count + 1, shots, thumbs);
    xtars_buf_init(&b, REPORT_MAX);
    head(&b, &run, run.step_count + (final != NULL));
    header(&b, &run);
    controls(&b);
    timeline(&b, &run);
    xtars_buf_puts(&b, "</header>\n<div class=\"layout\">\n");
    filmstrip(&b, &run, shots, thumbs, final);
    xtars_buf_puts(&b, "<main>\n");
    for (int i = 0; i < run.step_count; i++) {
        report_step_section(&b, &run, i, shots, history_images);
        images += shots[i].present;
    }
    images += final_section(&b, &run, final, &shots[run.step_count]);
    if (run.step_count == 0)
        xtars_buf_puts(&b, "<p class=\"muted\">No step was recorded.</p>");
    launch_logs(&b, dir, out_path);
    xtars_buf_puts(&b, "<p id=\"js-errors\" hidden></p></main></div>\n<footer>Written by xtars. "
                       "Keys: left/right or k/j move between steps, p plays, m toggles the "
                       "markers.</footer>\n");
    rc = xtars_buf_puts(&b, "</body></html>\n");
    if (rc != XTARS_OK) {
        rc = xtars_error(err, rc, "report: too large or out of memory");
    } else {
        snprintf(path, sizeof path, "%s/report.html", dir);
        rc = xtars_write_file_atomic(out_path ? out_path : path, b.data, b.len, err);
    }
    if (stats) {
        stats->steps = run.step_count;
        stats->images = images;
        stats->bytes = (long)b.len;
    }
    free(shots);
    report_thumbs_free(thumbs, run.step_count + 1);
    free(names);
    xtars_buf_cleanup(&b);
    xtars_traj_run_cleanup(&run);
    return rc;
}
