/* export.c: an xtars trajectory -> an OSWorld result directory (traj.jsonl
 * with pyautogui code, and the screenshot after each action as a
 * screen-sized PNG). It lives beside the loop rather than in the core
 * because screenshots may need decoding, resizing and re-encoding. It never
 * overwrites an existing traj.jsonl and never prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "agent/base/files.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "agent/interop/import.h"
#include "agent/base/json.h"
#include "xtars/trajectory.h"

#define IMAGE_MAX (64u << 20)
#define TRAJ_MAX (256u << 20)
#define EXPORT_PNG_LEVEL 6

struct exporter {
    const struct xtars_traj_run *run;
    const char *out_dir;
    struct xtars_buf lines;      /* traj.jsonl being built */
    int step_num;
    double clock_ms;             /* when the current step began, ms since the epoch */
    int default_wait_ms, default_scroll;
    struct xtars_export_stats *stats;
    char last_png[300];          /* the PNG written last: each is written once */
};

/* "2026-11-29T08:47:01.123Z" -> ms since the epoch (UTC); 0 when unknown. */
static double parse_iso(const char *iso)
{
    struct tm tm;
    int ms = 0;

    memset(&tm, 0, sizeof tm);
    if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900, tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1000.0 + ms;
}

/* OSWorld's action_timestamp, strftime("%Y%m%d@%H%M%S"). */
static void osworld_stamp(double ms, char *out, size_t size)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;

    if (gmtime_r(&seconds, &tm) == NULL || strftime(out, size, "%Y%m%d@%H%M%S", &tm) == 0)
        snprintf(out, size, "19700101@000000");
}

/* The step's screenshot as a PNG of the target size, into out_dir/name. */
static xtars_err write_png(struct exporter *ex, const char *screenshot, const char *name, char *err)
{
    struct xtars_buf file, png;
    struct xtars_image img, resized;
    char path[8500];
    int w = ex->run->target_width, h = ex->run->target_height;
    xtars_err rc;

    if (strcmp(ex->last_png, name) == 0)
        return XTARS_OK;
    snprintf(path, sizeof path, "%s/%s", ex->run->dir, screenshot);
    if ((rc = xtars_buf_read_file(&file, path, IMAGE_MAX, err)) != XTARS_OK)
        return rc;
    xtars_image_init(&img);
    xtars_image_init(&resized);
    xtars_buf_init(&png, IMAGE_MAX * 2);
    rc = xtars_image_decode(file.data, file.len, &img, err);
    if (rc == XTARS_OK && (img.width != w || img.height != h))
        rc = xtars_image_resize(&img, w, h, &resized, err);
    if (rc == XTARS_OK)
        rc = xtars_image_encode_png(resized.pixels ? &resized : &img, EXPORT_PNG_LEVEL, &png, err);
    snprintf(path, sizeof path, "%s/%s", ex->out_dir, name);
    if (rc == XTARS_OK)
        rc = xtars_write_file_atomic(path, png.data, png.len, err);
    if (rc == XTARS_OK) {
        ex->stats->screenshots++;
        snprintf(ex->last_png, sizeof ex->last_png, "%s", name);
    }
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&resized);
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&file);
    return rc;
}

/* The screenshot taken after step i acted: the next step's, else its own. */
static const char *after_screenshot(const struct xtars_traj_run *run, int i)
{
    for (int j = i + 1; j < run->step_count; j++)
        if (run->steps[j].screenshot)
            return run->steps[j].screenshot;
    return run->steps[i].screenshot;
}

/* One traj.jsonl line (and its PNG) for step i. */
static xtars_err add_line(struct exporter *ex, int i, const char *code, int done, char *err)
{
    const char *shot = after_screenshot(ex->run, i);
    char stamp[32], name[300] = "";
    xtars_err rc = XTARS_OK;

    osworld_stamp(ex->clock_ms, stamp, sizeof stamp);
    if (shot) {
        snprintf(name, sizeof name, "step_%d_%s.png", ex->step_num, stamp);
        rc = write_png(ex, shot, name, err);
    }
    if (rc != XTARS_OK)
        return rc;
    xtars_buf_printf(&ex->lines, "{\"step_num\": %d, \"action_timestamp\": \"%s\", \"action\": ",
                     ex->step_num, stamp);
    xtars_json_put_string(&ex->lines, code);
    xtars_buf_puts(&ex->lines, ", \"response\": ");
    xtars_json_put_string(&ex->lines, ex->run->steps[i].reply);
    xtars_buf_printf(&ex->lines, ", \"reward\": 0, \"done\": %s, \"info\": {}, \"screenshot_file\": ",
                     done ? "true" : "false");
    xtars_json_put_string(&ex->lines, name[0] ? name : NULL);
    rc = xtars_buf_puts(&ex->lines, "}\n");
    if (rc == XTARS_OK)
        ex->stats->lines++;
    return rc == XTARS_OK ? XTARS_OK : xtars_error(err, rc, "traj.jsonl: too large");
}

/* The code of a step that is not replayable: its OSWorld original, or a
 * comment saying why (OSWorld runs a comment as a no-op). */
static void unreplayable_code(const struct xtars_traj_run *run, const struct xtars_traj_step *s,
                              struct xtars_buf *code)
{
    if (s->source_action && run->source && strcmp(run->source, "import-osworld") == 0) {
        xtars_buf_puts(code, s->source_action);
        return;
    }
    xtars_buf_printf(code, "# xtars: step %d was not replayable", s->step);
    if (s->note_count)
        xtars_buf_printf(code, ": %.300s", s->notes[0]);
    for (size_t i = 0; i < code->len; i++)
        if (code->data[i] == '\n' || code->data[i] == '\r')
            code->data[i] = ' ';
}

static xtars_err export_step(struct exporter *ex, int i, char *err)
{
    const struct xtars_traj_step *s = &ex->run->steps[i];
    struct xtars_buf code;
    const char *terminal = NULL;
    int origin_x = ex->run->target_x, origin_y = ex->run->target_y;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&code, 4u << 20);
    if (!s->replayable) {
        unreplayable_code(ex->run, s, &code);
    } else if (s->action_count == 1 && s->actions[0].type == XTARS_ACTION_WAIT && s->actions[0].ms == 0) {
        xtars_buf_puts(&code, "WAIT");
    } else {
        for (int a = 0; rc == XTARS_OK && a < s->action_count && !terminal; a++) {
            enum xtars_action_type type = s->actions[a].type;
            if (type == XTARS_ACTION_FINISHED || type == XTARS_ACTION_CALL_USER) {
                terminal = type == XTARS_ACTION_FINISHED ? "DONE" : "FAIL";
                continue;
            }
            if (code.len)
                xtars_buf_putc(&code, '\n');
            rc = xtars_pyautogui_from_action(&s->actions[a], origin_x, origin_y, ex->default_wait_ms,
                                             ex->default_scroll, &code);
        }
    }
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "step %d: cannot write its actions as pyautogui code", s->step);
    if (rc == XTARS_OK && (code.len || terminal))
        ex->step_num++;
    if (rc == XTARS_OK && code.len)
        rc = add_line(ex, i, code.data, 0, err);
    if (rc == XTARS_OK && terminal)
        rc = add_line(ex, i, terminal, 1, err);
    xtars_buf_cleanup(&code);
    ex->clock_ms += s->total_ms > 0 ? s->total_ms : 0;
    return rc;
}

xtars_err xtars_export_osworld(const char *dir, const char *out_dir, struct xtars_export_stats *stats,
                               char *err)
{
    struct xtars_traj_run run;
    struct xtars_config defaults;
    struct exporter ex;
    char path[8200];
    xtars_err rc;

    memset(stats, 0, sizeof *stats);
    if ((rc = xtars_traj_load(dir, &run, err)) != XTARS_OK)
        return rc;
    snprintf(stats->warning, sizeof stats->warning, "%s", run.warning);
    snprintf(path, sizeof path, "%s/traj.jsonl", out_dir);
    rc = xtars_mkdir_p(out_dir, err);
    if (rc == XTARS_OK && access(path, F_OK) == 0)
        rc = xtars_error(err, XTARS_EIO, "%s: already holds an OSWorld run (traj.jsonl)", out_dir);
    memset(&ex, 0, sizeof ex);
    xtars_config_defaults(&defaults);
    ex.run = &run, ex.out_dir = out_dir, ex.stats = stats;
    ex.default_wait_ms = defaults.wait_ms, ex.default_scroll = defaults.scroll_amount;
    ex.clock_ms = parse_iso(run.started_at);
    xtars_buf_init(&ex.lines, TRAJ_MAX);
    for (int i = 0; rc == XTARS_OK && i < run.step_count; i++)
        rc = export_step(&ex, i, err);
    if (rc == XTARS_OK)
        rc = xtars_write_file_atomic(path, ex.lines.data ? ex.lines.data : "", ex.lines.len, err);
    xtars_buf_cleanup(&ex.lines);
    xtars_traj_run_cleanup(&run);
    return rc;
}
