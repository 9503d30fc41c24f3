/* export.c: an xtars trajectory -> an OSWorld result directory (traj.jsonl
 * with pyautogui code, and the screenshot after each action as a
 * screen-sized PNG). It lives beside the loop rather than in the core
 * because screenshots may need decoding, resizing and re-encoding. It never
 * overwrites an existing traj.jsonl and never prints. */
#include <cjson/cJSON.h>
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
    int imported;                /* an OSWorld import: its steps' recorded actions are written */
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

/* OSWorld's action_timestamp, strftime("%Y%m%d@%H%M%S%f"): microseconds
 * included, as current OSWorld writes them (in UTC here: xtars records UTC,
 * and import reads it back the same way). */
static void osworld_stamp(double ms, char *out, size_t size)
{
    time_t seconds = (time_t)(ms / 1000);
    long micro = (long)((ms - (double)seconds * 1000.0) * 1000.0 + 0.5);
    struct tm tm;
    char date[32];

    if (micro > 999999)
        micro = 999999;
    if (micro < 0 || gmtime_r(&seconds, &tm) == NULL || strftime(date, sizeof date, "%Y%m%d@%H%M%S", &tm) == 0)
        snprintf(out, size, "19700101@000000000000");
    else
        snprintf(out, size, "%s%06ld", date, micro);
}

/* A JSON value as Python's json.dumps() writes it: ", " and ": " between
 * items, strings with ensure_ascii. */
static void put_dumps(struct xtars_buf *b, const cJSON *v)
{
    const cJSON *item;

    if (cJSON_IsString(v)) {
        xtars_json_put_string_ascii(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        xtars_json_put_number(b, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        xtars_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int object = cJSON_IsObject(v), first = 1;
        xtars_buf_putc(b, object ? '{' : '[');
        cJSON_ArrayForEach(item, v) {
            xtars_buf_puts(b, first ? "" : ", ");
            first = 0;
            if (object) {
                xtars_json_put_string_ascii(b, item->string);
                xtars_buf_puts(b, ": ");
            }
            put_dumps(b, item);
        }
        xtars_buf_putc(b, object ? '}' : ']');
    } else {
        xtars_buf_puts(b, "null");
    }
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
    if ((rc = xtars_buf_read_file_nofollow(&file, path, IMAGE_MAX, err)) != XTARS_OK)
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

static int has_note(const struct xtars_traj_step *s, const char *note)
{
    for (int i = 0; i < s->note_count; i++)
        if (s->notes[i] && strcmp(s->notes[i], note) == 0)
            return 1;
    return 0;
}

/* DONE / FAIL, as a string or as a computer_13 {"action_type": ...}:
 * DesktopEnv.step() ends the episode with info {"done": true} or
 * {"fail": true}. Returns "done", "fail" or NULL. */
static const char *terminal_kind(const cJSON *action)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "action_type");
    const char *word = cJSON_IsString(action) ? action->valuestring
                       : cJSON_IsString(type) ? type->valuestring : "";

    return strcmp(word, "DONE") == 0 ? "done" : strcmp(word, "FAIL") == 0 ? "fail" : NULL;
}

/* One traj.jsonl line for step i: its action (a JSON string or object). */
static xtars_err add_line(struct exporter *ex, int i, const cJSON *action, const char *stamp,
                          char *err)
{
    const struct xtars_traj_step *s = &ex->run->steps[i];
    const char *shot = after_screenshot(ex->run, i), *kind = terminal_kind(action);
    char name[300] = "";
    cJSON *response = NULL;
    xtars_err rc = XTARS_OK;

    if (shot) {
        snprintf(name, sizeof name, "step_%d_%s.png", ex->step_num, stamp);
        rc = write_png(ex, shot, name, err);
    }
    if (rc != XTARS_OK)
        return rc;
    xtars_buf_printf(&ex->lines, "{\"step_num\": %d, \"action_timestamp\": \"%s\", \"action\": ",
                     ex->step_num, stamp);
    put_dumps(&ex->lines, action);
    xtars_buf_puts(&ex->lines, ", \"response\": ");
    if (s->reply && has_note(s, XTARS_IMPORT_RESPONSE_OBJECT))
        response = cJSON_Parse(s->reply);
    if (response)
        put_dumps(&ex->lines, response);
    else
        xtars_json_put_string_ascii(&ex->lines, s->reply);
    cJSON_Delete(response);
    xtars_buf_printf(&ex->lines, ", \"reward\": 0, \"done\": %s, \"info\": ", kind ? "true" : "false");
    if (kind)
        xtars_buf_printf(&ex->lines, "{\"%s\": true}", kind);
    else
        xtars_buf_puts(&ex->lines, "{}");
    xtars_buf_puts(&ex->lines, ", \"screenshot_file\": ");
    xtars_json_put_string_ascii(&ex->lines, name[0] ? name : NULL);
    rc = xtars_buf_puts(&ex->lines, "}\n");
    if (rc == XTARS_OK)
        ex->stats->lines++;
    return rc == XTARS_OK ? XTARS_OK : xtars_error(err, rc, "traj.jsonl: too large");
}

/* The actions of a step as OSWorld recorded them (import-osworld): one
 * string, one computer_13 object, or for a reply of several lines their
 * JSON array (import.c group_source). NULL: write the step's actions. */
static cJSON *recorded_actions(const struct exporter *ex, const struct xtars_traj_step *s)
{
    cJSON *parsed, *list, *item;

    if (!ex->imported || s->source_action == NULL)
        return NULL;
    parsed = cJSON_Parse(s->source_action);
    if (cJSON_IsArray(parsed) && cJSON_GetArraySize(parsed) > 1)
        return parsed;
    if (cJSON_IsObject(parsed)) {
        item = parsed;
    } else {
        cJSON_Delete(parsed);
        item = cJSON_CreateString(s->source_action);
    }
    if ((list = cJSON_CreateArray()) == NULL || !cJSON_AddItemToArray(list, item)) {
        cJSON_Delete(item);
        cJSON_Delete(list);
        return NULL;
    }
    return list;
}

/* The code of a step that is not replayable: a comment saying why (OSWorld
 * runs a comment as a no-op). */
static void unreplayable_code(const struct xtars_traj_step *s, struct xtars_buf *code)
{
    xtars_buf_printf(code, "# xtars: step %d was not replayable", s->step);
    if (s->note_count)
        xtars_buf_printf(code, ": %.300s", s->notes[0]);
    for (size_t i = 0; i < code->len; i++)
        if (code->data[i] == '\n' || code->data[i] == '\r')
            code->data[i] = ' ';
}

/* The step's lines as JSON values: one per action, as OSWorld's agents
 * write one action string per parsed action of the reply. */
static xtars_err step_actions(const struct exporter *ex, const struct xtars_traj_step *s,
                              cJSON *list, char *err)
{
    struct xtars_buf code;
    int origin_x = ex->run->target_x, origin_y = ex->run->target_y;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&code, 4u << 20);
    if (!s->replayable) {
        unreplayable_code(s, &code);
        cJSON_AddItemToArray(list, cJSON_CreateString(code.data));
    } else if (s->action_count == 1 && s->actions[0].type == XTARS_ACTION_WAIT && s->actions[0].ms == 0) {
        cJSON_AddItemToArray(list, cJSON_CreateString("WAIT"));
    }
    for (int a = 0; s->replayable && rc == XTARS_OK && a < s->action_count; a++) {
        enum xtars_action_type type = s->actions[a].type;
        if (type == XTARS_ACTION_FINISHED || type == XTARS_ACTION_CALL_USER) {
            cJSON_AddItemToArray(list, cJSON_CreateString(type == XTARS_ACTION_FINISHED ? "DONE" : "FAIL"));
            break; /* nothing after the end of the episode */
        }
        if (s->action_count == 1 && type == XTARS_ACTION_WAIT && s->actions[0].ms == 0)
            break;
        xtars_buf_reset(&code);
        rc = xtars_pyautogui_from_action(&s->actions[a], origin_x, origin_y, ex->default_wait_ms,
                                         ex->default_scroll, &code);
        if (rc == XTARS_OK && !cJSON_AddItemToArray(list, cJSON_CreateString(code.data)))
            rc = XTARS_ENOMEM;
    }
    xtars_buf_cleanup(&code);
    return rc == XTARS_OK ? XTARS_OK
                          : xtars_error(err, rc, "step %d: cannot write its actions as pyautogui code",
                                        s->step);
}

static xtars_err export_step(struct exporter *ex, int i, char *err)
{
    const struct xtars_traj_step *s = &ex->run->steps[i];
    cJSON *list = recorded_actions(ex, s), *item;
    double at = parse_iso(s->started_at);
    char stamp[40];
    xtars_err rc = XTARS_OK;

    if (list == NULL && (list = cJSON_CreateArray()) != NULL)
        rc = step_actions(ex, s, list, err);
    if (list == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    /* OSWorld stamps each action just before it runs: after the model. */
    osworld_stamp(at > 0 ? at + s->capture_ms + s->encode_ms + s->model_ms : ex->clock_ms, stamp,
                  sizeof stamp);
    if (rc == XTARS_OK && cJSON_GetArraySize(list) > 0)
        ex->step_num++;
    cJSON_ArrayForEach(item, list) {
        if (rc == XTARS_OK)
            rc = add_line(ex, i, item, stamp, err);
        if (terminal_kind(item))
            break;
    }
    cJSON_Delete(list);
    ex->clock_ms = (at > 0 ? at : ex->clock_ms) + (s->total_ms > 0 ? s->total_ms : 0);
    return rc;
}

/* result.txt, as OSWorld's run_single_example writes it (the evaluator's
 * score and a newline), when the run recorded one: an imported OSWorld run's
 * "OSWorld result: X". */
static xtars_err write_result(const struct exporter *ex, char *err)
{
    static const char prefix[] = "OSWorld result: ";
    const char *message = ex->run->message;
    char path[8200], text[128];

    if (message == NULL || strncmp(message, prefix, sizeof prefix - 1) != 0)
        return XTARS_OK;
    snprintf(text, sizeof text, "%.100s\n", message + sizeof prefix - 1);
    snprintf(path, sizeof path, "%s/result.txt", ex->out_dir);
    return xtars_write_file_atomic(path, text, strlen(text), err);
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
    ex.imported = run.source && strcmp(run.source, "import-osworld") == 0;
    xtars_buf_init(&ex.lines, TRAJ_MAX);
    for (int i = 0; rc == XTARS_OK && i < run.step_count; i++)
        rc = export_step(&ex, i, err);
    if (rc == XTARS_OK)
        rc = write_result(&ex, err);
    if (rc == XTARS_OK)
        rc = xtars_write_file_atomic(path, ex.lines.data ? ex.lines.data : "", ex.lines.len, err);
    xtars_buf_cleanup(&ex.lines);
    xtars_traj_run_cleanup(&run);
    return rc;
}
