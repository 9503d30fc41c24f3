/* report.c: the HTML run report. Everything a reader needs is in one file
 * that opens offline: images are embedded as data URLs, the chart is inline
 * SVG, there is no script. Text from the model and the trajectory is
 * untrusted and always HTML-escaped. Never prints. */
#include "agent/config/config_internal.h"
#include "agent/base/files.h"
#include "agent/record/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/reply/action_json.h"
#include "agent/base/base64.h"
#include "xtars/buf.h"
#include "xtars/config.h"
#include "agent/record/draw.h"
#include "xtars/image.h"
#include "xtars/trajectory.h"

#define REPORT_MAX (1u << 30)
#define IMAGE_FILE_MAX (64u << 20)

static void html(struct xtars_buf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': xtars_buf_puts(b, "&amp;"); break;
        case '<': xtars_buf_puts(b, "&lt;"); break;
        case '>': xtars_buf_puts(b, "&gt;"); break;
        case '"': xtars_buf_puts(b, "&quot;"); break;
        case '\'': xtars_buf_puts(b, "&#39;"); break;
        default: xtars_buf_putc(b, *p);
        }
    }
}

static const char style[] =
    "<style>\n"
    ":root{--bg:#f5f6fa;--card:#fff;--ink:#1d2230;--muted:#6b7280;--line:#e3e6ee;"
    "--ok:#1f9d55;--bad:#d64545;--warn:#c07c00;--accent:#3056d3}\n"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'DejaVu Sans',sans-serif;background:var(--bg);color:var(--ink)}\n"
    "main{max-width:1180px;margin:0 auto;padding:28px 20px 60px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:18px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}\n"
    ".muted{color:var(--muted)}.badge{display:inline-block;padding:2px 10px;border-radius:99px;"
    "font-size:13px;font-weight:600;color:#fff}\n"
    ".finished{background:var(--ok)}.failed,.error,.model_error,.parse_errors,.stuck,.diverged"
    "{background:var(--bad)}.running,.stopped,.call_user,.max_steps{background:var(--warn)}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:12px 0 0}"
    "dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;word-break:break-word}\n"
    ".step header{display:flex;justify-content:space-between;align-items:baseline;gap:12px}\n"
    ".step img{width:100%;height:auto;border:1px solid var(--line);border-radius:6px;margin:12px 0}\n"
    ".thought{white-space:pre-wrap;margin:8px 0}.actions{margin:8px 0;padding-left:20px}"
    ".actions code{background:#eef1f8;padding:1px 6px;border-radius:4px}\n"
    ".err{color:var(--bad)}.note{color:var(--warn)}pre{white-space:pre-wrap;background:#f0f2f7;"
    "padding:12px;border-radius:6px;font-size:13px;overflow:auto}\n"
    ".timing{font-size:13px;color:var(--muted)}.legend span{display:inline-block;margin-right:14px}"
    ".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#6b7280}\n"
    "figure.diff{margin:12px 0}figure.diff figcaption{color:var(--bad);font-size:13px}\n"
    "</style>\n";

static const char *const phase_names[] = {"capture", "encode", "model", "execute", "settle"};
static const char *const phase_colors[] = {"#7aa2f7", "#9ece6a", "#bb9af7", "#f7768e", "#e0af68"};

static void phases(const struct xtars_traj_step *s, double out[5])
{
    out[0] = s->capture_ms, out[1] = s->encode_ms, out[2] = s->model_ms;
    out[3] = s->exec_ms, out[4] = s->settle_ms;
}

/* Stacked horizontal bars, one per step, scaled to the slowest step. */
static void timing_chart(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    double longest = 1, p[5];
    int row = 18, width = 1000, label = 60, height = run->step_count * row + 30;

    for (int i = 0; i < run->step_count; i++) {
        double sum = 0;
        phases(&run->steps[i], p);
        for (int k = 0; k < 5; k++)
            sum += p[k] > 0 ? p[k] : 0;
        if (sum > longest)
            longest = sum;
    }
    xtars_buf_puts(b, "<div class=\"legend timing\">");
    for (int k = 0; k < 5; k++)
        xtars_buf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>", phase_colors[k],
                         phase_names[k]);
    xtars_buf_printf(b, "</div>\n<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
                        "aria-label=\"time per step\">\n", width, height);
    for (int i = 0; i < run->step_count; i++) {
        double x = label;
        phases(&run->steps[i], p);
        xtars_buf_printf(b, "<text x=\"0\" y=\"%d\">step %d</text>", i * row + 13, run->steps[i].step);
        for (int k = 0; k < 5; k++) {
            double w = (p[k] > 0 ? p[k] : 0) / longest * (width - label - 10);
            xtars_buf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"%s\">"
                                "<title>%s %.1f ms</title></rect>",
                             x, i * row + 3, w, phase_colors[k], phase_names[k], p[k]);
            x += w;
        }
        xtars_buf_putc(b, '\n');
    }
    xtars_buf_printf(b, "<text x=\"%d\" y=\"%d\">longest step: %.0f ms</text>\n</svg>\n", label,
                     height - 8, longest);
}

static void header_card(struct xtars_buf *b, const struct xtars_traj_run *run)
{
    double total = 0;
    const char *status = run->status ? run->status : "unknown";
    int abandoned = xtars_traj_abandoned(run);

    for (int i = 0; i < run->step_count; i++)
        total += run->steps[i].total_ms;
    xtars_buf_puts(b, "<section class=\"card\"><h1>");
    html(b, run->instruction && run->instruction[0] ? run->instruction : "(no instruction)");
    xtars_buf_puts(b, "</h1><span class=\"badge ");
    html(b, abandoned ? "error" : status);
    xtars_buf_puts(b, "\">");
    html(b, abandoned ? "interrupted" : status);
    xtars_buf_puts(b, "</span>");
    if (abandoned) /* killed (SIGKILL, OOM, power) before it could write its end */
        xtars_buf_printf(b, " <span>the xtars that recorded this run (pid %ld) is gone without "
                            "having recorded how the run ended; every step it completed is "
                            "below</span>", run->recorder_pid);
    else if (run->message && run->message[0]) {
        xtars_buf_puts(b, " <span>");
        html(b, run->message);
        xtars_buf_puts(b, "</span>");
    }
    xtars_buf_puts(b, "<dl class=\"facts\"><dt>model</dt><dd>");
    html(b, run->model ? run->model : "-");
    xtars_buf_puts(b, "</dd><dt>endpoint</dt><dd>");
    html(b, run->endpoint ? run->endpoint : "-");
    xtars_buf_printf(b, "</dd><dt>family</dt><dd>%s</dd><dt>screen</dt><dd>%dx%d, target %dx%d+%d+%d, "
                        "sent %dx%d</dd><dt>steps</dt><dd>%d</dd><dt>time in steps</dt><dd>%.1f s</dd>"
                        "<dt>tokens</dt><dd>%ld prompt, %ld completion</dd><dt>source</dt><dd>",
                     xtars_family_name(run->family), run->screen_width, run->screen_height,
                     run->target_width, run->target_height, run->target_x, run->target_y,
                     run->sent_width, run->sent_height, run->step_count, total / 1000.0,
                     run->prompt_tokens, run->completion_tokens);
    html(b, run->source ? run->source : "-");
    xtars_buf_puts(b, "</dd><dt>started</dt><dd>");
    html(b, run->started_at ? run->started_at : "-");
    xtars_buf_puts(b, "</dd><dt>ended</dt><dd>");
    html(b, run->ended_at ? run->ended_at : "-");
    xtars_buf_puts(b, "</dd></dl>");
    if (run->warning[0]) {
        xtars_buf_puts(b, "<p class=\"err\">");
        html(b, run->warning);
        xtars_buf_puts(b, "</p>");
    }
    xtars_buf_puts(b, "</section>\n<section class=\"card\"><h2>Time per step</h2>\n");
    timing_chart(b, run);
    xtars_buf_puts(b, "</section>\n");
}

/* Appends <img alt="ALT" src="data:..."> for an image file's bytes:
 * decoded, passed to annotate (may be NULL) and re-encoded as JPEG (small
 * reports), or the file as it is (raw_mime) when it cannot be decoded.
 * Returns 1 if an image went in. */
static int embed_image(struct xtars_buf *b, const struct xtars_buf *file, const char *raw_mime,
                       void (*annotate)(struct xtars_image *img, const void *ctx),
                       const void *ctx, const char *alt)
{
    struct xtars_buf encoded;
    struct xtars_image img;
    char err[XTARS_ERRLEN];
    const char *mime = "image/jpeg";
    int ok = 0;

    xtars_image_init(&img);
    xtars_buf_init(&encoded, IMAGE_FILE_MAX);
    if (xtars_image_decode(file->data, file->len, &img, err) == XTARS_OK) {
        if (annotate)
            annotate(&img, ctx);
        ok = xtars_image_encode_jpeg(&img, 85, &encoded, err) == XTARS_OK;
    }
    if (!ok) { /* show what was recorded, unannotated */
        xtars_buf_reset(&encoded);
        ok = xtars_buf_append(&encoded, file->data, file->len) == XTARS_OK;
        mime = raw_mime;
    }
    xtars_buf_puts(b, "<img alt=\"");
    html(b, alt);
    xtars_buf_printf(b, "\" src=\"data:%s;base64,", mime);
    xtars_base64_encode(b, encoded.data, encoded.len);
    xtars_buf_puts(b, "\">");
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&encoded);
    return ok;
}

struct annotation {
    const struct xtars_traj_run *run;
    const struct xtars_traj_step *step;
};

/* Draws the step's actions into its screenshot. */
static void draw_actions(struct xtars_image *img, const void *ctx)
{
    const struct annotation *a = ctx;
    struct xtars_draw_map map = {a->run->target_x, a->run->target_y, a->run->target_width,
                                 a->run->target_height};

    for (int i = 0; i < a->step->action_count; i++)
        xtars_draw_action(img, &map, &a->step->actions[i],
                          a->step->action_count > 1 ? i + 1 : 0);
}

/* Embeds the step's screenshot with its actions drawn in; the recorded file
 * as it is when it cannot be decoded, a note when it is missing. Returns 1 if
 * an image went in. */
static int step_image(struct xtars_buf *b, const struct xtars_traj_run *run,
                      const struct xtars_traj_step *s)
{
    struct annotation a = {run, s};
    struct xtars_buf file;
    char path[4400], err[XTARS_ERRLEN], alt[64];
    int ok;

    if (s->screenshot == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/%s", run->dir, s->screenshot);
    if (xtars_buf_read_file(&file, path, IMAGE_FILE_MAX, err) != XTARS_OK) {
        xtars_buf_puts(b, "<p class=\"err\">screenshot missing: ");
        html(b, err);
        xtars_buf_puts(b, "</p>");
        return 0;
    }
    snprintf(alt, sizeof alt, "step %d screenshot", s->step);
    ok = embed_image(b, &file, run->image_format ? "image/jpeg" : "image/png", draw_actions, &a,
                     alt);
    xtars_buf_puts(b, "\n");
    xtars_buf_cleanup(&file);
    return ok;
}

/* The diff image `xtars replay --verify` wrote for a step that diverged
 * (recorded | live | difference), when it is there. */
static void step_diff(struct xtars_buf *b, const struct xtars_traj_run *run,
                      const struct xtars_traj_step *s)
{
    struct xtars_buf file;
    char path[4400], err[XTARS_ERRLEN], alt[64];

    snprintf(path, sizeof path, "%s/diff-%04d.png", run->dir, s->step);
    if (access(path, F_OK) != 0)
        return;
    if (xtars_buf_read_file(&file, path, IMAGE_FILE_MAX, err) != XTARS_OK) {
        xtars_buf_puts(b, "<p class=\"err\">diff image unreadable: ");
        html(b, err);
        xtars_buf_puts(b, "</p>");
        return;
    }
    xtars_buf_printf(b, "<figure class=\"diff\"><figcaption>divergence: recorded | live | "
                        "difference (diff-%04d.png)</figcaption>", s->step);
    snprintf(alt, sizeof alt, "step %d difference", s->step);
    embed_image(b, &file, "image/png", NULL, NULL, alt);
    xtars_buf_puts(b, "</figure>\n");
    xtars_buf_cleanup(&file);
}

static void step_actions(struct xtars_buf *b, const struct xtars_traj_step *s)
{
    struct xtars_buf call;

    if (s->action_count == 0)
        return;
    xtars_buf_init(&call, 1 << 16);
    xtars_buf_puts(b, "<ol class=\"actions\">");
    for (int i = 0; i < s->action_count; i++) {
        xtars_buf_reset(&call);
        xtars_action_to_json(&s->actions[i], &call);
        xtars_buf_puts(b, "<li><code>");
        html(b, call.data);
        xtars_buf_puts(b, "</code>");
        if (!s->action_ok[i] || s->action_errors[i]) {
            xtars_buf_puts(b, " <span class=\"err\">");
            html(b, s->action_errors[i] ? s->action_errors[i] : "failed");
            xtars_buf_puts(b, "</span>");
        }
        xtars_buf_puts(b, "</li>");
    }
    xtars_buf_puts(b, "</ol>\n");
    xtars_buf_cleanup(&call);
}

static int step_card(struct xtars_buf *b, const struct xtars_traj_run *run,
                     const struct xtars_traj_step *s)
{
    int image;

    xtars_buf_printf(b, "<section class=\"card step\" id=\"step-%d\"><header><h2>Step %d</h2>"
                        "<span class=\"timing\">capture %.1f ms &middot; encode %.1f ms &middot; "
                        "model %.0f ms &middot; execute %.0f ms &middot; settle %.0f ms%s</span>"
                        "</header>\n",
                     s->step, s->step, s->capture_ms, s->encode_ms, s->model_ms, s->exec_ms,
                     s->settle_ms, s->screen_changed ? "" : " &middot; no visible change");
    if (s->similarity >= 0)
        xtars_buf_printf(b, "<p class=\"timing\">similarity to the recorded screen: %.3f</p>",
                         s->similarity);
    if (s->thought) {
        xtars_buf_puts(b, "<p class=\"thought\">");
        html(b, s->thought);
        xtars_buf_puts(b, "</p>\n");
    }
    image = step_image(b, run, s);
    step_diff(b, run, s);
    step_actions(b, s);
    if (s->parse_error) {
        xtars_buf_puts(b, "<p class=\"err\">reply not understood: ");
        html(b, s->parse_error);
        xtars_buf_puts(b, "</p>");
    }
    for (int i = 0; i < s->note_count; i++) {
        xtars_buf_puts(b, "<p class=\"note\">");
        html(b, s->notes[i]);
        xtars_buf_puts(b, "</p>");
    }
    if (s->reply) {
        xtars_buf_puts(b, "<details><summary>raw reply</summary><pre>");
        html(b, s->reply);
        xtars_buf_puts(b, "</pre></details>");
    }
    xtars_buf_puts(b, "</section>\n");
    return image;
}

/* ---- launched apps' output (kept apart: the report's own cards are above) -- */

/* A line linking the launch-N.log files the run's apps wrote, if any. */
static void launch_logs(struct xtars_buf *b, const char *dir)
{
    char path[4400];
    int shown = 0;

    for (int n = 1; n <= 64; n++) {
        snprintf(path, sizeof path, "%s/launch-%d.log", dir, n);
        if (access(path, F_OK) != 0)
            continue;
        xtars_buf_puts(b, shown++ ? ", " : "<p class=\"muted\">Output of the launched apps: ");
        xtars_buf_printf(b, "<a href=\"launch-%d.log\">launch-%d.log</a>", n, n);
    }
    if (shown)
        xtars_buf_puts(b, "</p>\n");
}

xtars_err xtars_report_write(const char *dir, const char *out_path, struct xtars_report_stats *stats,
                             char *err)
{
    struct xtars_traj_run run;
    struct xtars_buf b;
    char path[4400];
    int images = 0;
    xtars_err rc;

    if ((rc = xtars_traj_load(dir, &run, err)) != XTARS_OK)
        return rc;
    xtars_buf_init(&b, REPORT_MAX);
    xtars_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>xtars run: ");
    html(&b, run.instruction);
    xtars_buf_puts(&b, "</title>\n");
    xtars_buf_puts(&b, style);
    xtars_buf_puts(&b, "</head><body><main>\n");
    header_card(&b, &run);
    for (int i = 0; i < run.step_count; i++)
        images += step_card(&b, &run, &run.steps[i]);
    launch_logs(&b, dir);
    rc = xtars_buf_puts(&b, "<p class=\"muted\">Written by xtars.</p></main></body></html>\n");
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
    xtars_buf_cleanup(&b);
    xtars_traj_run_cleanup(&run);
    return rc;
}
