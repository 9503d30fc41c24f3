/* import.c: other tools' recorded runs -> xtars trajectories (docs/replay.md):
 * OSWorld result directories and UI-TARS-desktop GUIAgentData files. Both
 * are read into one in-memory run, then written the way the loop writes
 * its own (run.json first, one flushed line per step, screenshots beside
 * them). The inputs are untrusted: every size is capped, file names are
 * checked, and a step that cannot be translated is kept and marked
 * "replayable": false rather than dropped or guessed at. Never prints. */
#include "agent/interop/import.h"
#include "agent/record/traj_file.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/base/base64.h"
#include "agent/base/files.h"
#include "agent/base/json.h"
#include "agent/interop/json_scan.h"
#include "agent/record/traj_write.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "xtars/parse.h"
#include "xtars/trajectory.h"

#define TRAJ_MAX (64u << 20)       /* traj.jsonl */
#define GUIAGENT_MAX (512u << 20)  /* a GUIAgentData file, screenshots included */
#define IMAGE_MAX (64u << 20)      /* one screenshot */
#define MAX_IMPORT_STEPS 100000
#define NOTE_LEN 600

/* ---- the in-memory run ---- */

struct import_step {
    char started_at[96];
    char *image_path;            /* a file to copy (OSWorld), or NULL */
    int image;                   /* index into run->images (UI-TARS-desktop), or -1 */
    char *reply, *thought, *reflection, *source_action;
    /* Only what a step holds is allocated: a 100,000-step import must not
     * reserve room for 64 actions and two long notes in every step. */
    struct xtars_action *actions; /* action_count of them, room for action_cap */
    int action_count, action_cap;
    int replayable;
    char *note;                  /* owned, or NULL */
    const char *note2;           /* a second note (the response's JSON type), static, or NULL */
    double model_ms, total_ms;
};

/* A screenshot set aside in the run's spill file until it is written: a
 * 100,000-step file holds 100,000 of them, too many to keep in memory. */
struct import_image {
    off_t offset;
    size_t len;
    int width, height;           /* from its header; 0 when it is not a PNG or JPEG */
    unsigned char first;         /* its first byte (0xFF: JPEG) */
};

struct import_run {
    const char *source;          /* "import-osworld", "import-uitars-desktop" */
    const char *from;            /* the path imported */
    char *instruction, *model;
    const char *instruction_key, *model_key; /* where they came from, for messages */
    char status[32];
    char message[1024];
    char started_at[96];
    int width, height, is_jpeg;
    struct import_step *steps;
    int count, cap;
    struct import_image *images; /* decoded screenshots (UI-TARS-desktop), kept in `spill` */
    int image_count, image_cap;
    FILE *spill;                 /* an unlinked temporary file, or NULL before the first */
    off_t spill_len;
    char warning[XTARS_ERRLEN];
};

static void run_cleanup(struct import_run *run)
{
    for (int i = 0; i < run->count; i++) {
        struct import_step *s = &run->steps[i];
        for (int a = 0; a < s->action_count; a++)
            xtars_action_cleanup(&s->actions[a]);
        free(s->actions);
        free(s->note);
        free(s->image_path);
        free(s->reply);
        free(s->thought);
        free(s->reflection);
        free(s->source_action);
    }
    if (run->spill)
        fclose(run->spill);
    free(run->images);
    free(run->steps);
    free(run->instruction);
    free(run->model);
    memset(run, 0, sizeof *run);
}

static struct import_step *new_step(struct import_run *run, char *err)
{
    struct import_step *s;

    if (run->count == MAX_IMPORT_STEPS) {
        xtars_error(err, XTARS_EFORMAT, "more than %d steps", MAX_IMPORT_STEPS);
        return NULL;
    }
    if (run->count == run->cap) {
        int cap = run->cap ? run->cap * 2 : 16;
        struct import_step *grown = realloc(run->steps, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            xtars_error(err, XTARS_ENOMEM, "out of memory");
            return NULL;
        }
        run->steps = grown, run->cap = cap;
    }
    s = &run->steps[run->count++];
    memset(s, 0, sizeof *s);
    s->image = -1;
    s->replayable = 1;
    return s;
}

/* The code new_step() failed with (its message is already in err). */
static xtars_err step_failure(const struct import_run *run)
{
    return run->count >= MAX_IMPORT_STEPS ? XTARS_EFORMAT : XTARS_ENOMEM;
}

/* Room for `extra` more actions in the step (zeroed); 0, or -1 when out of
 * memory. */
static int action_room(struct import_step *s, int extra)
{
    int need = s->action_count + extra, cap = s->action_cap ? s->action_cap : 1;
    struct xtars_action *grown;

    if (need <= s->action_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if ((grown = realloc(s->actions, (size_t)cap * sizeof *grown)) == NULL)
        return -1;
    memset(grown + s->action_cap, 0, (size_t)(cap - s->action_cap) * sizeof *grown);
    s->actions = grown, s->action_cap = cap;
    return 0;
}

/* Sets the step's note to prefix + detail (cut at NOTE_LEN); a note that
 * cannot be allocated is left out. */
static void set_note(struct import_step *s, const char *prefix, const char *detail)
{
    free(s->note);
    if (asprintf(&s->note, "%s%.*s", prefix, NOTE_LEN - (int)strlen(prefix), detail) < 0)
        s->note = NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void warn_once(struct import_run *run, const char *text)
{
    if (run->warning[0] == '\0')
        snprintf(run->warning, sizeof run->warning, "%.500s", text);
}

/* ---- image sizes from headers ---- */

static xtars_err probe_jpeg(const unsigned char *p, size_t len, int *width, int *height)
{
    size_t i = 2;

    while (i + 4 <= len) {
        unsigned marker, seglen;
        if (p[i] != 0xFF)
            return XTARS_EFORMAT;
        while (i < len && p[i] == 0xFF)
            i++;
        if (i + 3 > len)
            break;
        marker = p[i++];
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            continue;
        seglen = (unsigned)p[i] << 8 | p[i + 1];
        if (seglen < 2)
            return XTARS_EFORMAT;
        /* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the size. */
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (i + 7 > len)
                break;
            *height = (int)((unsigned)p[i + 3] << 8 | p[i + 4]);
            *width = (int)((unsigned)p[i + 5] << 8 | p[i + 6]);
            return *width > 0 && *height > 0 ? XTARS_OK : XTARS_EFORMAT;
        }
        i += seglen;
    }
    return XTARS_EFORMAT;
}

xtars_err xtars_image_probe(const void *data, size_t len, int *width, int *height, int *is_jpeg)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const unsigned char *p = data;

    *width = *height = *is_jpeg = 0;
    if (len >= 24 && memcmp(p, png, 8) == 0 && memcmp(p + 12, "IHDR", 4) == 0) {
        unsigned long w = (unsigned long)p[16] << 24 | (unsigned long)p[17] << 16 |
                          (unsigned long)p[18] << 8 | p[19];
        unsigned long h = (unsigned long)p[20] << 24 | (unsigned long)p[21] << 16 |
                          (unsigned long)p[22] << 8 | p[23];
        if (w < 1 || h < 1 || w > XTARS_IMAGE_MAX_SIDE || h > XTARS_IMAGE_MAX_SIDE)
            return XTARS_EFORMAT;
        *width = (int)w, *height = (int)h;
        return XTARS_OK;
    }
    if (len >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
        *is_jpeg = 1;
        if (probe_jpeg(p, len, width, height) == XTARS_OK)
            return XTARS_OK;
        *width = *height = 0;
    }
    return XTARS_EFORMAT;
}

/* ---- writing the trajectory ---- */

static void fill_run_json(const struct import_run *run, const char *status,
                          struct xtars_traj_run *out)
{
    memset(out, 0, sizeof *out);
    out->source = (char *)run->source; /* borrowed: the writer only reads them */
    out->imported_from = (char *)run->from;
    out->instruction = run->instruction;
    out->model = run->model;
    out->family = XTARS_FAMILY_PIXELS;
    out->screen_width = out->target_width = out->sent_width = run->width;
    out->screen_height = out->target_height = out->sent_height = run->height;
    out->image_format = run->is_jpeg ? XTARS_IMAGE_JPEG : XTARS_IMAGE_PNG;
    out->started_at = run->started_at[0] ? (char *)run->started_at : NULL;
    out->status = (char *)status;
    out->message = run->message[0] ? (char *)run->message : NULL;
    out->steps_written = run->count;
}

static xtars_err write_run_json(struct xtars_traj *traj, const struct import_run *run,
                                const char *status, char *err)
{
    struct xtars_traj_run out;

    fill_run_json(run, status, &out);
    return xtars_traj_record_run(traj, &out, err);
}

/* Bytes of s as a JSON string in run.json (invalid UTF-8 becomes U+FFFD,
 * control characters \u escapes, so it can be several times its input). */
static size_t written_size(const char *s)
{
    struct xtars_buf b;
    size_t len;

    if (s == NULL)
        return 0;
    xtars_buf_init(&b, XTARS_TRAJ_RUN_JSON_MAX);
    len = xtars_json_put_string(&b, s) == XTARS_OK ? b.len : XTARS_TRAJ_RUN_JSON_MAX;
    xtars_buf_cleanup(&b);
    return len;
}

/* run.json must fit the writer's cap. The input's own limits bound each
 * member as read, not as written, so check before the output directory is
 * made and blame the input's field, not run.json (EFORMAT: exit 2). */
static xtars_err check_run_json_fits(const struct import_run *run, char *err)
{
    struct xtars_traj_run out;
    struct xtars_buf b;
    size_t instruction, model;
    const char *ikey, *mkey;
    xtars_err rc;

    fill_run_json(run, run->status, &out);
    xtars_buf_init(&b, XTARS_TRAJ_RUN_JSON_MAX);
    rc = xtars_traj_run_to_json(&out, &b);
    xtars_buf_cleanup(&b);
    if (rc != XTARS_ETOOBIG)
        return rc == XTARS_OK ? XTARS_OK : xtars_error(err, rc, "out of memory");
    instruction = written_size(run->instruction);
    model = written_size(run->model);
    ikey = run->instruction_key ? run->instruction_key : "instruction";
    mkey = run->model_key ? run->model_key : "model";
    if (instruction < (64u << 10) || model < (64u << 10)) /* one of them is the problem */
        return xtars_error(err, XTARS_EFORMAT, "%s: '%s' is too large for run.json (%zu bytes once "
                           "written; run.json holds at most %u)", run->from,
                           instruction >= model ? ikey : mkey, instruction >= model ? instruction : model,
                           XTARS_TRAJ_RUN_JSON_MAX);
    return xtars_error(err, XTARS_EFORMAT, "%s: '%s' and '%s' are too large for run.json together "
                       "(%zu and %zu bytes once written; run.json holds at most %u)", run->from, ikey,
                       mkey, instruction, model, XTARS_TRAJ_RUN_JSON_MAX);
}

static xtars_err write_step(struct xtars_traj *traj, const struct import_run *run,
                            const struct import_step *s, int number, const char *screenshot,
                            char *err)
{
    struct xtars_traj_step out;
    char *notes[2];
    int note_count = 0;

    memset(&out, 0, sizeof out);
    out.step = number;
    out.started_at = s->started_at[0] ? (char *)s->started_at : NULL;
    out.screenshot = (char *)screenshot;
    out.sent_width = run->width;
    out.sent_height = run->height;
    out.model_ms = s->model_ms;
    out.total_ms = s->total_ms;
    out.reply = s->reply;
    out.thought = s->thought;
    out.reflection = s->reflection;
    out.actions = (struct xtars_action *)s->actions;
    out.action_count = s->action_count;
    out.settled = out.screen_changed = 1;
    if (s->note)
        notes[note_count++] = s->note;
    if (s->note2)
        notes[note_count++] = (char *)s->note2;
    out.notes = note_count ? notes : NULL;
    out.note_count = note_count;
    out.replayable = s->replayable;
    out.similarity = -1;
    out.source_action = s->source_action;
    return xtars_traj_record_step(traj, &out, 1, err);
}

/* Copies or writes the step's screenshot; name is "" when there is none. */
static xtars_err write_screenshot(struct xtars_traj *traj, struct import_run *run,
                                  const struct import_step *s, int number, char *name,
                                  size_t size, int *written, char *err)
{
    struct xtars_buf file;
    const struct xtars_buf *data = NULL;
    int w, h, jpeg;
    xtars_err rc = XTARS_OK;
    char reason[XTARS_ERRLEN];

    name[0] = '\0';
    xtars_buf_init(&file, IMAGE_MAX);
    if (s->image >= 0) {
        const struct import_image *image = &run->images[s->image];
        if (image->len > 0 && (xtars_buf_reserve(&file, image->len) != XTARS_OK ||
            pread(fileno(run->spill), file.data, image->len, image->offset) != (ssize_t)image->len)) {
            xtars_buf_cleanup(&file);
            return xtars_error(err, XTARS_EIO, "step %d: cannot read its screenshot back from the "
                               "temporary file: %s", number, strerror(errno ? errno : EIO));
        }
        if (image->len > 0)
            file.len = image->len, file.data[file.len] = '\0';
        data = &file;
    } else if (s->image_path) {
        if (xtars_buf_read_file_nofollow(&file, s->image_path, IMAGE_MAX, reason) != XTARS_OK) {
            char text[XTARS_ERRLEN + 64];
            snprintf(text, sizeof text, "step %d: screenshot not imported: %s", number, reason);
            warn_once(run, text);
            return XTARS_OK;
        }
        data = &file;
    }
    if (data && data->len && xtars_image_probe(data->data, data->len, &w, &h, &jpeg) == XTARS_OK) {
        snprintf(name, size, "step-%04d.%s", number, jpeg ? "jpg" : "png");
        rc = xtars_traj_write_file(traj, name, data->data, data->len, err);
        *written += rc == XTARS_OK;
    } else if (data) {
        char text[128];
        snprintf(text, sizeof text, "step %d: the screenshot is not a PNG or JPEG", number);
        warn_once(run, text);
    }
    xtars_buf_cleanup(&file);
    return rc;
}

static xtars_err write_trajectory(struct import_run *run, const char *out_dir,
                                  struct xtars_import_stats *stats, char *err)
{
    struct xtars_traj *traj;
    xtars_err rc = check_run_json_fits(run, err);

    if (rc != XTARS_OK || (rc = xtars_traj_open(out_dir, &traj, err)) != XTARS_OK)
        return rc;
    xtars_traj_set_bulk(traj, 1);
    rc = write_run_json(traj, run, "running", err);
    for (int i = 0; rc == XTARS_OK && i < run->count; i++) {
        char name[32];
        rc = write_screenshot(traj, run, &run->steps[i], i + 1, name, sizeof name,
                              &stats->screenshots, err);
        if (rc == XTARS_OK)
            rc = write_step(traj, run, &run->steps[i], i + 1, name[0] ? name : NULL, err);
        stats->steps += rc == XTARS_OK;
        stats->not_replayable += rc == XTARS_OK && !run->steps[i].replayable;
    }
    if (rc == XTARS_OK)
        rc = write_run_json(traj, run, run->status, err);
    xtars_traj_close(traj);
    return rc;
}

static void finish_stats(const struct import_run *run, struct xtars_import_stats *stats)
{
    stats->width = run->width;
    stats->height = run->height;
    snprintf(stats->warning, sizeof stats->warning, "%s", run->warning);
}

/* The text after "Thought:" up to the last "Action:" of a UI-TARS reply. */
static char *extract_thought(const char *reply)
{
    const char *start, *end, *p;
    char *out;

    if (reply == NULL || (start = strstr(reply, "Thought:")) == NULL)
        return NULL;
    start += strlen("Thought:");
    end = reply + strlen(reply);
    for (p = start; (p = strstr(p, "Action:")) != NULL; p++)
        end = p;
    while (start < end && (*start == ' ' || *start == '\n' || *start == '\t' || *start == '\r'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if ((out = malloc((size_t)(end - start) + 1)) == NULL)
        return NULL;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return out;
}

static void iso_from_epoch_ms(double ms, char *out, size_t size)
{
    time_t seconds;
    struct tm tm;

    out[0] = '\0';
    if (!(ms > 0 && ms < 1e14))
        return;
    seconds = (time_t)(ms / 1000);
    if (gmtime_r(&seconds, &tm) == NULL)
        return;
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)fmod(ms, 1000));
}

/* ---- OSWorld ---- */

struct os_line {
    char *action;                /* pyautogui code, WAIT, DONE, FAIL; or the JSON of another action */
    int action_is_code;          /* a string (not a computer_13 object) */
    cJSON *action_json;          /* the action as read (a string or an object) */
    char *response;              /* a string, or the JSON text of an object response */
    int response_is_object;
    int step_num;                /* 0 when the line has none */
    char *screenshot_file;
    double time_ms;              /* from action_timestamp; -1 when unknown */
    char started_at[96];
    int done;
};

static void free_lines(struct os_line *lines, int count)
{
    for (int i = 0; i < count; i++) {
        free(lines[i].action);
        cJSON_Delete(lines[i].action_json);
        free(lines[i].response);
        free(lines[i].screenshot_file);
    }
    free(lines);
}

/* "YYYYmmdd@HHMMSS" with optional microseconds ("%f"), the local time of
 * the machine that ran OSWorld (its zone is not recorded). */
static void parse_timestamp(const char *text, struct os_line *line)
{
    int f[6] = {0}, widths[6] = {4, 2, 2, 2, 2, 2}, micro = 0, digits = 0;
    const char *p = text;
    struct tm tm;

    line->time_ms = -1;
    if (text == NULL)
        return;
    for (int k = 0; k < 6; k++) {
        if (k == 3 && *p++ != '@')
            return;
        for (int d = 0; d < widths[k]; d++, p++) {
            if (*p < '0' || *p > '9')
                return;
            f[k] = f[k] * 10 + (*p - '0');
        }
    }
    for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
        micro = micro * 10 + (*p - '0');
    while (digits > 0 && digits++ < 6)
        micro *= 10;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = f[0] - 1900, tm.tm_mon = f[1] - 1, tm.tm_mday = f[2];
    tm.tm_hour = f[3], tm.tm_min = f[4], tm.tm_sec = f[5];
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return;
    /* Whole milliseconds, as started_at keeps them: a run exported again
     * (stamps from started_at) then reads back to the same durations. */
    line->time_ms = (double)timegm(&tm) * 1000.0 + micro / 1000;
    snprintf(line->started_at, sizeof line->started_at, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", f[0],
             f[1], f[2], f[3], f[4], f[5], micro / 1000);
}

static int safe_file_name(const char *name)
{
    return name && name[0] && name[0] != '.' && strchr(name, '/') == NULL && strlen(name) < 256;
}

static xtars_err parse_line(const cJSON *obj, struct os_line *line, char *reason)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(obj, "action");
    const cJSON *response = cJSON_GetObjectItemCaseSensitive(obj, "response");
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(obj, "screenshot_file");
    const cJSON *stamp = cJSON_GetObjectItemCaseSensitive(obj, "action_timestamp");

    memset(line, 0, sizeof *line);
    if (!cJSON_IsObject(obj))
        return xtars_error(reason, XTARS_EFORMAT, "not a JSON object");
    if (cJSON_IsString(action)) {
        line->action = strdup(action->valuestring);
        line->action_is_code = 1;
    } else if (cJSON_IsObject(action)) {
        line->action = cJSON_PrintUnformatted(action);
    } else {
        return xtars_error(reason, XTARS_EFORMAT, "no 'action'");
    }
    line->action_json = cJSON_Duplicate(action, 1);
    if (cJSON_IsString(response)) {
        line->response = strdup(response->valuestring);
    } else if (cJSON_IsObject(response) || cJSON_IsArray(response)) {
        /* newer OSWorld agents (OpenAI CUA, AgentS, ...) record a dict */
        line->response = cJSON_PrintUnformatted(response);
        line->response_is_object = 1;
    }
    {
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(obj, "step_num");
        if (cJSON_IsNumber(num) && num->valuedouble >= 1 && num->valuedouble < 1e9)
            line->step_num = (int)num->valuedouble;
    }
    if (cJSON_IsString(file)) {
        if (!safe_file_name(file->valuestring))
            return xtars_error(reason, XTARS_EFORMAT, "bad screenshot_file name");
        line->screenshot_file = strdup(file->valuestring);
    }
    line->done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "done"));
    parse_timestamp(cJSON_IsString(stamp) ? stamp->valuestring : NULL, line);
    if (line->action == NULL || line->action_json == NULL)
        return xtars_error(reason, XTARS_ENOMEM, "out of memory");
    return XTARS_OK;
}

/* Every complete, valid line of traj.jsonl; the first bad one ends them. */
static xtars_err parse_lines(char *text, size_t len, struct os_line **out, int *count,
                             struct import_run *run, char *err)
{
    char *line = text, *end = text + len;
    int cap = 0, number = 0;
    struct os_line *lines = NULL;

    *out = NULL, *count = 0;
    while (line < end && *count < MAX_IMPORT_STEPS) {
        char *nl = memchr(line, '\n', (size_t)(end - line)), reason[XTARS_ERRLEN];
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        cJSON *obj;
        xtars_err rc;

        number++;
        if (strspn(line, " \t\r") >= n) {
            line = nl ? nl + 1 : end;
            continue;
        }
        if (*count == cap) {
            struct os_line *grown = realloc(lines, (size_t)(cap ? cap * 2 : 16) * sizeof *grown);
            if (grown == NULL) {
                free_lines(lines, *count);
                return xtars_error(err, XTARS_ENOMEM, "out of memory");
            }
            lines = grown, cap = cap ? cap * 2 : 16;
        }
        memset(&lines[*count], 0, sizeof lines[*count]);
        obj = cJSON_ParseWithLength(line, n);
        rc = obj ? parse_line(obj, &lines[*count], reason)
                 : xtars_error(reason, XTARS_EFORMAT, nl ? "not valid JSON" : "incomplete");
        cJSON_Delete(obj);
        if (rc != XTARS_OK) {
            char text_[XTARS_ERRLEN + 64];
            free(lines[*count].action), free(lines[*count].response);
            cJSON_Delete(lines[*count].action_json);
            free(lines[*count].screenshot_file);
            if (rc == XTARS_ENOMEM) {
                free_lines(lines, *count);
                return xtars_error(err, rc, "out of memory");
            }
            snprintf(text_, sizeof text_, "traj.jsonl line %d: %.300s; using the %d lines before it",
                     number, reason, *count);
            warn_once(run, text_);
            break;
        }
        (*count)++;
        line = nl ? nl + 1 : end;
    }
    *out = lines;
    return XTARS_OK;
}

/* Marks the step not replayable, dropping what was translated of it. */
static void not_replayable(struct import_step *s, const char *why)
{
    for (int a = 0; a < s->action_count; a++)
        xtars_action_cleanup(&s->actions[a]);
    s->action_count = 0;
    if (s->replayable)
        set_note(s, "not replayable: ", why);
    s->replayable = 0;
}

static int is_word(const struct os_line *line, const char *word)
{
    return line->action_is_code && strcmp(line->action, word) == 0;
}

/* One OSWorld action (one traj.jsonl line) appended to the step's actions. */
static xtars_err translate_osworld(struct import_step *s, const struct os_line *line,
                                   const struct xtars_rect *screen,
                                   struct xtars_pyautogui_state *state, char *err)
{
    struct xtars_pyautogui code;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    if (!s->replayable)
        return XTARS_OK;
    if (!line->action_is_code) {
        not_replayable(s, "a computer_13 action object, not pyautogui code");
        return XTARS_OK;
    }
    if (s->action_count == XTARS_PYAUTOGUI_MAX_ACTIONS) {
        not_replayable(s, "too many actions in one step");
        return XTARS_OK;
    }
    if (is_word(line, "DONE") || is_word(line, "FAIL") || is_word(line, "WAIT")) {
        if (action_room(s, 1) != 0)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        s->actions[s->action_count++].type = line->action[0] == 'D' ? XTARS_ACTION_FINISHED
                                             : line->action[0] == 'F' ? XTARS_ACTION_CALL_USER
                                                                       : XTARS_ACTION_WAIT;
        if (line->action[0] == 'F' && s->note == NULL)
            set_note(s, "OSWorld FAIL: the agent declared the task infeasible", "");
        return XTARS_OK;
    }
    rc = xtars_pyautogui_translate(line->action, strlen(line->action), screen, state, &code, reason);
    if (rc == XTARS_ENOMEM)
        return xtars_error(err, rc, "out of memory");
    if (rc == XTARS_OK && s->action_count + code.action_count > XTARS_PYAUTOGUI_MAX_ACTIONS) {
        xtars_pyautogui_cleanup(&code);
        rc = xtars_error(reason, XTARS_EPARSE, "too many actions in one step");
    }
    if (rc != XTARS_OK) {
        state->has_pointer = 0; /* whatever ran there may have moved it */
        not_replayable(s, reason);
        return XTARS_OK;
    }
    if (action_room(s, code.action_count) != 0) {
        xtars_pyautogui_cleanup(&code);
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    }
    if (code.action_count > 0) /* a step with none yet has no array at all */
        memcpy(s->actions + s->action_count, code.actions,
               (size_t)code.action_count * sizeof code.actions[0]);
    s->action_count += code.action_count;
    return XTARS_OK;
}

/* The step's source_action: the one line's action as recorded (code, or an
 * object's JSON), or for a reply of several lines their JSON array. */
static char *group_source(const struct os_line *lines, int k, int end)
{
    cJSON *list;
    char *text;

    if (end - k == 1)
        return dup_or_null(lines[k].action);
    if ((list = cJSON_CreateArray()) == NULL)
        return NULL;
    for (int i = k; i < end; i++) {
        cJSON *copy = cJSON_Duplicate(lines[i].action_json, 1);
        if (copy == NULL || !cJSON_AddItemToArray(list, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(list);
            return NULL;
        }
    }
    text = cJSON_PrintUnformatted(list);
    cJSON_Delete(list);
    return text;
}

/* Lines k..end-1 (one reply: the same step_num) -> one step. */
static xtars_err osworld_step(struct import_run *run, const struct os_line *lines, int k, int end,
                              const char *dir, const char *initial,
                              struct xtars_pyautogui_state *state, char *err)
{
    struct xtars_rect screen = {0, 0, run->width, run->height};
    const char *before = k > 0 ? lines[k - 1].screenshot_file : initial;
    struct import_step *s = new_step(run, err);
    xtars_err rc = XTARS_OK;

    if (s == NULL)
        return step_failure(run);
    snprintf(s->started_at, sizeof s->started_at, "%s", lines[k].started_at);
    s->reply = dup_or_null(lines[k].response);
    s->thought = lines[k].response_is_object ? NULL : extract_thought(lines[k].response);
    if (lines[k].response_is_object)
        s->note2 = XTARS_IMPORT_RESPONSE_OBJECT;
    if ((s->source_action = group_source(lines, k, end)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (before && dir) {
        size_t n = strlen(dir) + strlen(before) + 2;
        if ((s->image_path = malloc(n)) == NULL)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        snprintf(s->image_path, n, "%s/%s", dir, before);
    }
    for (int i = k; rc == XTARS_OK && i < end; i++)
        rc = translate_osworld(s, &lines[i], &screen, state, err);
    return rc;
}

/* The end of the reply that starts at line k: OSWorld writes one line per
 * action, all actions of one model reply with the same step_num. */
static int group_end(const struct os_line *lines, int k, int count)
{
    int end = k + 1;

    while (end < count && lines[k].step_num > 0 && lines[end].step_num == lines[k].step_num)
        end++;
    return end;
}

static xtars_err build_osworld(struct import_run *run, const struct os_line *lines, int count,
                               const char *dir, const char *initial, char *err)
{
    struct xtars_pyautogui_state state = {0};
    const struct os_line *last = count ? &lines[count - 1] : NULL;
    xtars_err rc = XTARS_OK;

    for (int k = 0, end; rc == XTARS_OK && k < count; k = end) {
        end = group_end(lines, k, count);
        rc = osworld_step(run, lines, k, end, dir, initial, &state, err);
        if (rc == XTARS_OK && end < count && lines[k].time_ms >= 0 && lines[end].time_ms >= 0 &&
            lines[end].time_ms - lines[k].time_ms < 86400e3 && lines[end].time_ms >= lines[k].time_ms)
            run->steps[run->count - 1].total_ms = lines[end].time_ms - lines[k].time_ms;
    }
    if (rc == XTARS_OK && last && last->screenshot_file && dir && !is_word(last, "DONE") &&
        !is_word(last, "FAIL")) {
        struct import_step *s = new_step(run, err);
        size_t n = strlen(dir) + strlen(last->screenshot_file) + 2;
        if (s == NULL)
            return step_failure(run);
        set_note(s, "the screen after the last OSWorld action", "");
        if ((s->image_path = malloc(n)) == NULL)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        snprintf(s->image_path, n, "%s/%s", dir, last->screenshot_file);
    }
    return rc;
}

static void osworld_status(struct import_run *run, const struct os_line *lines, int count)
{
    const char *last = count ? lines[count - 1].action : "";
    int code = count && lines[count - 1].action_is_code;

    if (code && strcmp(last, "DONE") == 0)
        snprintf(run->status, sizeof run->status, "finished");
    else if (code && strcmp(last, "FAIL") == 0)
        snprintf(run->status, sizeof run->status, "call_user");
    else if (count && lines[count - 1].done)
        snprintf(run->status, sizeof run->status, "finished");
    else
        snprintf(run->status, sizeof run->status, "max_steps");
    if (count)
        snprintf(run->started_at, sizeof run->started_at, "%s", lines[0].started_at);
}

/* The screen size from the first screenshot that has one. */
static void osworld_size(struct import_run *run, const struct os_line *lines, int count,
                         const char *dir, const char *initial)
{
    for (int k = -1; k < count && run->width == 0; k++) {
        const char *name = k < 0 ? initial : lines[k].screenshot_file;
        struct xtars_buf file;
        char path[8192], reason[XTARS_ERRLEN];
        if (name == NULL)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (xtars_buf_read_file_nofollow(&file, path, IMAGE_MAX, reason) != XTARS_OK)
            continue;
        if (xtars_image_probe(file.data, file.len, &run->width, &run->height, &run->is_jpeg) != XTARS_OK)
            run->width = run->height = 0;
        xtars_buf_cleanup(&file);
    }
}

/* step_0.png or step_0_<time>.png: a screenshot before the first action,
 * which some OSWorld runners save. */
static char *initial_screenshot(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *found = NULL;

    if (d == NULL)
        return NULL;
    while ((e = readdir(d)) != NULL && found == NULL) {
        size_t n = strlen(e->d_name);
        if ((strcmp(e->d_name, "step_0.png") == 0 || strncmp(e->d_name, "step_0_", 7) == 0) &&
            n > 4 && strcmp(e->d_name + n - 4, ".png") == 0)
            found = strdup(e->d_name);
    }
    closedir(d);
    return found;
}

static void osworld_message(struct import_run *run, const char *dir)
{
    struct xtars_buf result;
    char path[8192], reason[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/result.txt", dir);
    if (xtars_buf_read_file_nofollow(&result, path, 4096, reason) != XTARS_OK)
        return;
    result.data[strcspn(result.data, "\r\n")] = '\0';
    snprintf(run->message, sizeof run->message, "OSWorld result: %.100s", result.data);
    xtars_buf_cleanup(&result);
}

static void set_instruction(struct import_run *run, const struct xtars_import_options *opts,
                            const char *fallback)
{
    if (opts && opts->instruction) {
        free(run->instruction);
        run->instruction = strdup(opts->instruction);
        run->instruction_key = "--instruction";
    }
    if (run->instruction == NULL)
        run->instruction = strdup(fallback);
}

xtars_err xtars_import_osworld_check(const char *traj_jsonl, size_t len, int width, int height,
                                     struct xtars_import_stats *stats, char *err)
{
    struct import_run run;
    struct os_line *lines = NULL;
    char *copy = malloc(len + 1);
    int count = 0;
    xtars_err rc;

    memset(stats, 0, sizeof *stats);
    memset(&run, 0, sizeof run);
    if (copy == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    memcpy(copy, traj_jsonl, len);
    copy[len] = '\0';
    run.width = width, run.height = height;
    rc = parse_lines(copy, len, &lines, &count, &run, err);
    if (rc == XTARS_OK)
        rc = build_osworld(&run, lines, count, NULL, NULL, err);
    for (int i = 0; rc == XTARS_OK && i < run.count; i++)
        stats->not_replayable += !run.steps[i].replayable;
    stats->steps = run.count;
    finish_stats(&run, stats);
    free_lines(lines, count);
    free(copy);
    run_cleanup(&run);
    return rc;
}

xtars_err xtars_import_osworld(const char *dir, const char *out_dir,
                               const struct xtars_import_options *opts,
                               struct xtars_import_stats *stats, char *err)
{
    struct import_run run;
    struct xtars_buf text;
    struct os_line *lines = NULL;
    char path[8192], *initial = NULL;
    int count = 0;
    xtars_err rc;

    memset(stats, 0, sizeof *stats);
    memset(&run, 0, sizeof run);
    run.source = "import-osworld", run.from = dir;
    snprintf(path, sizeof path, "%s/traj.jsonl", dir);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return xtars_error(err, XTARS_EFORMAT, "%s: not an OSWorld result directory (no traj.jsonl)",
                           dir);
    if ((rc = xtars_buf_read_file_nofollow(&text, path, TRAJ_MAX, err)) != XTARS_OK)
        return rc == XTARS_ETOOBIG ? xtars_error(err, XTARS_EFORMAT, "%s: too large", path) : rc;
    rc = parse_lines(text.data ? text.data : "", text.len, &lines, &count, &run, err);
    if (rc == XTARS_OK && count == 0)
        rc = xtars_error(err, XTARS_EFORMAT, "%s: no usable lines%s%s", path,
                         run.warning[0] ? ": " : "", run.warning);
    if (rc == XTARS_OK) {
        initial = initial_screenshot(dir);
        osworld_size(&run, lines, count, dir, initial);
        if (run.width == 0 && opts && opts->width > 0)
            run.width = opts->width, run.height = opts->height;
        if (run.width == 0)
            rc = xtars_error(err, XTARS_EFORMAT, "%s: no screenshot gives the screen size (use --size "
                             "WxH)", dir);
    }
    if (rc == XTARS_OK)
        rc = build_osworld(&run, lines, count, dir, initial, err);
    if (rc == XTARS_OK) {
        osworld_status(&run, lines, count);
        osworld_message(&run, dir);
        set_instruction(&run, opts, "(imported from OSWorld; the instruction is not recorded there)");
        rc = write_trajectory(&run, out_dir, stats, err);
    }
    finish_stats(&run, stats);
    free(initial);
    free_lines(lines, count);
    xtars_buf_cleanup(&text);
    run_cleanup(&run);
    return rc;
}

/* ---- UI-TARS-desktop ---- */

static const char *get_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static double get_number(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) && isfinite(item->valuedouble) ? item->valuedouble : -1;
}

/* Decodes a human message's screenshot into the run's spill file and
 * run->images; *index -1 if none. */
static xtars_err add_image(struct import_run *run, const char *base64, int *index, char *err)
{
    const char *comma = strncmp(base64, "data:", 5) == 0 ? strchr(base64, ',') : NULL;
    const char *data = comma ? comma + 1 : base64;
    struct import_image *image;
    struct xtars_buf b;
    char reason[XTARS_ERRLEN];
    int jpeg;

    *index = -1;
    if (run->image_count == run->image_cap) {
        int cap = run->image_cap ? run->image_cap * 2 : 8;
        struct import_image *grown = realloc(run->images, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        run->images = grown, run->image_cap = cap;
    }
    if (run->spill == NULL && (run->spill = tmpfile()) == NULL)
        return xtars_error(err, XTARS_EIO, "cannot create a temporary file for the screenshots: %s",
                           strerror(errno));
    xtars_buf_init(&b, IMAGE_MAX);
    if (xtars_base64_decode(&b, data, strlen(data), reason) != XTARS_OK) {
        char text[XTARS_ERRLEN + 64];
        xtars_buf_cleanup(&b);
        snprintf(text, sizeof text, "a screenshot is not valid base64: %s", reason);
        warn_once(run, text);
        return XTARS_OK;
    }
    image = &run->images[run->image_count];
    memset(image, 0, sizeof *image);
    image->offset = run->spill_len;
    image->len = b.len;
    image->first = b.len ? (unsigned char)b.data[0] : 0;
    if (xtars_image_probe(b.data, b.len, &image->width, &image->height, &jpeg) != XTARS_OK)
        image->width = image->height = 0;
    if (b.len && pwrite(fileno(run->spill), b.data, b.len, run->spill_len) != (ssize_t)b.len) {
        xtars_buf_cleanup(&b);
        return xtars_error(err, XTARS_EIO, "cannot set a screenshot aside in a temporary file: %s",
                           strerror(errno ? errno : ENOSPC));
    }
    run->spill_len += (off_t)b.len;
    xtars_buf_cleanup(&b);
    *index = run->image_count++;
    return XTARS_OK;
}

/* Python-style escapes the TypeScript parser leaves in content: \n \' \" \\. */
static void unescape_content(const char *in, struct xtars_buf *out)
{
    for (const char *p = in; *p; p++) {
        if (p[0] == '\\' && p[1] && strchr("n'\"\\", p[1])) {
            xtars_buf_putc(out, p[1] == 'n' ? '\n' : p[1]);
            p++;
        } else {
            xtars_buf_putc(out, *p);
        }
    }
}

/* Appends ", key='value'" with value quoted for the UI-TARS call grammar. */
static void put_call_string(struct xtars_buf *call, const char *key, const char *value, int unescape)
{
    struct xtars_buf plain;

    xtars_buf_init(&plain, XTARS_PARSE_MAX_CONTENT + 16);
    if (unescape)
        unescape_content(value, &plain);
    else
        xtars_buf_puts(&plain, value);
    xtars_buf_printf(call, "%s%s='", call->data[call->len - 1] == '(' ? "" : ", ", key);
    for (size_t i = 0; plain.data && i < plain.len; i++) {
        char c = plain.data[i];
        if (c == '\\' || c == '\'')
            xtars_buf_printf(call, "\\%c", c);
        else if (c == '\n')
            xtars_buf_puts(call, "\\n");
        else
            xtars_buf_putc(call, c);
    }
    xtars_buf_putc(call, '\'');
    xtars_buf_cleanup(&plain);
}

/* "[x1, y1, x2, y2]" or "(x, y)" of 0..1 fractions -> the centre in pixels. */
static int box_point(const char *box, int width, int height, int *x, int *y)
{
    double v[4];
    int n = 0;
    const char *p = box;

    while (*p && n < 5) {
        char *end;
        double d;
        p += strspn(p, " \t[](),");
        if (*p == '\0')
            break;
        d = strtod(p, &end);
        if (end == p || !isfinite(d) || d < 0 || d > 1.0 + 1e-9 || n == 4)
            return 0;
        v[n++] = d;
        p = end;
    }
    if (n != 2 && n != 4)
        return 0;
    if (n == 2)
        v[2] = v[0], v[3] = v[1];
    *x = (int)floor((v[0] + v[2]) / 2 * width);
    *y = (int)floor((v[1] + v[3]) / 2 * height);
    *x = *x > width - 1 ? width - 1 : *x;
    *y = *y > height - 1 ? height - 1 : *y;
    return 1;
}

static int put_box(struct xtars_buf *call, const cJSON *inputs, const char *key, int width,
                   int height)
{
    const char *box = get_string(inputs, key);
    int x, y;

    if (box == NULL)
        return 1;
    if (!box_point(box, width, height, &x, &y))
        return 0;
    xtars_buf_printf(call, "%s%s='(%d,%d)'", call->data[call->len - 1] == '(' ? "" : ", ", key, x, y);
    return 1;
}

/* One predictionParsed entry as a UI-TARS call in screen pixels. */
static xtars_err prediction_call(const cJSON *pred, int width, int height, struct xtars_buf *call,
                                 char *reason)
{
    const char *type = get_string(pred, "action_type"), *value;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(pred, "action_inputs");

    if (type == NULL || type[0] == '\0' || strlen(type) > 32 || strspn(type, "abcdefghijklmnopqrstuvwxyz_") != strlen(type))
        return xtars_error(reason, XTARS_EPARSE, "no usable action_type");
    xtars_buf_printf(call, "%s(", type);
    if (!put_box(call, inputs, "start_box", width, height) ||
        !put_box(call, inputs, "end_box", width, height))
        return xtars_error(reason, XTARS_EPARSE, "%s: a box is not 0..1 fractions", type);
    if ((value = get_string(inputs, "content")) != NULL)
        put_call_string(call, "content", value, 1);
    if ((value = get_string(inputs, "key")) != NULL || (value = get_string(inputs, "hotkey")) != NULL)
        put_call_string(call, "key", value, 0);
    if ((value = get_string(inputs, "direction")) != NULL)
        put_call_string(call, "direction", value, 0);
    return xtars_buf_putc(call, ')') == XTARS_OK ? XTARS_OK
                                                  : xtars_error(reason, XTARS_EPARSE, "too large");
}

static xtars_err translate_predictions(struct import_step *s, const cJSON *preds, int width,
                                       int height, char *err)
{
    struct xtars_coord_space space = {XTARS_FAMILY_PIXELS, width, height, {0, 0, width, height}};
    struct xtars_buf calls;
    const cJSON *pred;
    xtars_err rc = XTARS_OK;
    char reason[XTARS_ERRLEN] = "";

    xtars_buf_init(&calls, 4 * XTARS_PARSE_MAX_CONTENT);
    cJSON_ArrayForEach(pred, preds) {
        struct xtars_buf call;
        xtars_buf_init(&call, 2 * XTARS_PARSE_MAX_CONTENT);
        if (s->action_count == XTARS_PYAUTOGUI_MAX_ACTIONS)
            rc = xtars_error(reason, XTARS_EPARSE, "more than %d actions", XTARS_PYAUTOGUI_MAX_ACTIONS);
        else if (width < 1)
            rc = xtars_error(reason, XTARS_EPARSE, "no screen size for the coordinates");
        else if (action_room(s, 1) != 0)
            rc = XTARS_ENOMEM;
        else if ((rc = prediction_call(pred, width, height, &call, reason)) == XTARS_OK)
            rc = xtars_parse_action(call.data, call.len, &space, &s->actions[s->action_count], reason);
        if (call.data) {
            xtars_buf_printf(&calls, "%s%s", calls.len ? "\n\n" : "", call.data);
        }
        xtars_buf_cleanup(&call);
        if (rc == XTARS_ENOMEM)
            break;
        if (rc != XTARS_OK) {
            s->replayable = 0;
            set_note(s, "not replayable: ", reason);
            break;
        }
        s->action_count++;
    }
    if (rc != XTARS_OK) {
        for (int i = 0; i < s->action_count; i++)
            xtars_action_cleanup(&s->actions[i]);
        s->action_count = 0;
    }
    s->source_action = calls.len ? xtars_buf_detach(&calls, NULL) : NULL;
    xtars_buf_cleanup(&calls);
    return rc == XTARS_ENOMEM ? xtars_error(err, rc, "out of memory") : XTARS_OK;
}

struct desktop_pending {
    int image;                   /* run->images index of the latest screenshot, -1 */
    double started;              /* its timing.start, -1 */
    int width, height;           /* its size, 0 when unknown */
};

static void image_size(const struct import_run *run, int image, const cJSON *ctx, int *w, int *h)
{
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(ctx, "size");
    double width = get_number(size, "width"), height = get_number(size, "height");

    if (image >= 0 && run->images[image].width > 0) {
        *w = run->images[image].width, *h = run->images[image].height;
        return;
    }
    *w = *h = 0;
    if (width >= 1 && height >= 1 && width <= XTARS_IMAGE_MAX_SIDE && height <= XTARS_IMAGE_MAX_SIDE)
        *w = (int)width, *h = (int)height;
}

static xtars_err desktop_step(struct import_run *run, const cJSON *msg,
                              const struct desktop_pending *pending, char *err)
{
    const cJSON *preds = cJSON_GetObjectItemCaseSensitive(msg, "predictionParsed");
    const cJSON *first = cJSON_GetArrayItem(preds, 0);
    const cJSON *timing = cJSON_GetObjectItemCaseSensitive(msg, "timing");
    struct import_step *s = new_step(run, err);

    if (s == NULL)
        return step_failure(run);
    s->image = pending->image;
    s->reply = dup_or_null(get_string(msg, "value"));
    s->thought = dup_or_null(get_string(first, "thought"));
    s->reflection = dup_or_null(get_string(first, "reflection"));
    s->model_ms = get_number(timing, "cost") > 0 ? get_number(timing, "cost") : 0;
    iso_from_epoch_ms(pending->started > 0 ? pending->started : get_number(timing, "start"),
                      s->started_at, sizeof s->started_at);
    if (!cJSON_IsArray(preds) || cJSON_GetArraySize(preds) == 0) {
        set_note(s, "no parsed prediction in this message", "");
        return XTARS_OK;
    }
    return translate_predictions(s, preds, run->width, run->height, err);
}

struct desktop_state {
    struct desktop_pending pending;
    double previous_start;
    int previous_step;
};

static xtars_err desktop_message(struct import_run *run, const cJSON *msg, struct desktop_state *st,
                                 char *err)
{
    const char *from = get_string(msg, "from"), *shot = get_string(msg, "screenshotBase64");
    struct desktop_pending *pending = &st->pending;
    xtars_err rc = XTARS_OK;

    if (!cJSON_IsObject(msg) || from == NULL)
        return XTARS_OK;
    if (strcmp(from, "human") == 0 && shot) {
        const cJSON *timing = cJSON_GetObjectItemCaseSensitive(msg, "timing");
        if ((rc = add_image(run, shot, &pending->image, err)) != XTARS_OK)
            return rc;
        pending->started = get_number(timing, "start");
        image_size(run, pending->image, cJSON_GetObjectItemCaseSensitive(msg, "screenshotContext"),
                   &pending->width, &pending->height);
        if (run->width == 0 && pending->width > 0) {
            run->width = pending->width, run->height = pending->height;
            run->is_jpeg = pending->image >= 0 && run->images[pending->image].len > 0 &&
                           run->images[pending->image].first == 0xFF;
        }
        if (st->previous_step >= 0 && st->previous_start > 0 && pending->started >= st->previous_start)
            run->steps[st->previous_step].total_ms = pending->started - st->previous_start;
    } else if (strcmp(from, "gpt") == 0 || strcmp(from, "assistant") == 0) {
        if (run->width == 0) {
            image_size(run, -1, cJSON_GetObjectItemCaseSensitive(msg, "screenshotContext"),
                       &run->width, &run->height);
        }
        rc = desktop_step(run, msg, pending, err);
        st->previous_step = run->count - 1;
        st->previous_start = pending->started;
    }
    return rc;
}

static xtars_err not_json(const char *name, char *err)
{
    return xtars_error(err, XTARS_EFORMAT, "%s: not valid JSON", name);
}

/* The conversations array [p, end), one message at a time: only the message
 * being read is parsed, and the pages before it are given back. */
static xtars_err desktop_conversations(struct import_run *run, struct xtars_json_map *src,
                                       const char *p, const char *end, const char *name, char *err)
{
    struct desktop_state st = {{-1, -1, 0, 0}, -1, -1};
    xtars_err rc = XTARS_OK;

    p = xtars_json_skip_ws(p + 1, end); /* past '[' */
    if (p < end && *p == ']')
        return XTARS_OK;
    while (rc == XTARS_OK) {
        const char *next = xtars_json_value_end(p, end, NULL);
        cJSON *msg = next ? cJSON_ParseWithLength(p, (size_t)(next - p)) : NULL;
        if (msg == NULL)
            return not_json(name, err);
        rc = desktop_message(run, msg, &st, err);
        cJSON_Delete(msg);
        xtars_json_map_release(src, next);
        p = xtars_json_skip_ws(next, end);
        if (p < end && *p == ']')
            break;
        if (p == end || *p != ',')
            return rc == XTARS_OK ? not_json(name, err) : rc;
        p = xtars_json_skip_ws(p + 1, end);
    }
    return rc;
}

/* The members of the top-level object the importer uses, besides the
 * conversations; each is parsed alone, and none may be huge. */
static const char *const desktop_keys[] = {"version", "instruction", "modelName", "modelDetail",
                                           "logTime", "status", "error", "errMsg"};
#define DESKTOP_MEMBER_MAX (1u << 20)

/* One member's value [p, end) into root when the importer uses it. */
static xtars_err desktop_member(cJSON *root, const char *key, const char *p, const char *end,
                                const char *name, char *err)
{
    cJSON *value;

    for (size_t i = 0; i < sizeof desktop_keys / sizeof desktop_keys[0]; i++) {
        if (strcmp(key, desktop_keys[i]) != 0 || cJSON_GetObjectItemCaseSensitive(root, key))
            continue;
        if ((size_t)(end - p) > DESKTOP_MEMBER_MAX)
            return xtars_error(err, XTARS_EFORMAT, "%s: '%s' is larger than %u bytes", name, key,
                               DESKTOP_MEMBER_MAX);
        if ((value = cJSON_ParseWithLength(p, (size_t)(end - p))) == NULL)
            return not_json(name, err);
        cJSON_AddItemToObject(root, key, value);
    }
    return XTARS_OK;
}

/* Walks the top-level object of [text, text+len): the members in
 * desktop_keys go into *root, the conversations array's extent into
 * conv and conv_end (NULL when missing or not an array). */
static xtars_err desktop_scan(struct xtars_json_map *src, const char *text, size_t len, cJSON **root,
                              const char **conv, const char **conv_end, const char *name, char *err)
{
    const char *end = text + len, *p = xtars_json_skip_ws(text, end);
    xtars_err rc = XTARS_OK;
    int closed = 0;

    *conv = *conv_end = NULL;
    if (p == end || *p != '{') {
        const char *after = xtars_json_value_end(p, end, NULL);
        if (after && xtars_json_skip_ws(after, end) == end)
            return xtars_error(err, XTARS_EFORMAT, "%s: not a UI-TARS-desktop GUIAgentData file (no "
                               "'conversations' array)", name);
        return not_json(name, err);
    }
    if ((*root = cJSON_CreateObject()) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    p = xtars_json_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        p++, closed = 1;
    while (rc == XTARS_OK && !closed && p < end) {
        const char *key_end = *p == '"' ? xtars_json_value_end(p, end, NULL) : NULL, *value, *value_end;
        cJSON *key = key_end && key_end - p < 256 ? cJSON_ParseWithLength(p, (size_t)(key_end - p)) : NULL;
        value = key_end ? xtars_json_skip_ws(key_end, end) : end;
        if (value < end && *value == ':')
            value = xtars_json_skip_ws(value + 1, end);
        else
            value = end;
        if ((value_end = xtars_json_value_end(value, end, src)) == NULL)
            rc = not_json(name, err);
        else if (cJSON_IsString(key) && strcmp(key->valuestring, "conversations") == 0) {
            if (*conv == NULL && *value == '[')
                *conv = value, *conv_end = value_end;
        } else if (cJSON_IsString(key))
            rc = desktop_member(*root, key->valuestring, value, value_end, name, err);
        cJSON_Delete(key);
        xtars_json_map_release(src, value_end);
        p = value_end ? xtars_json_skip_ws(value_end, end) : end;
        if (rc == XTARS_OK && (p == end || (*p != ',' && *p != '}')))
            rc = not_json(name, err);
        else if (rc == XTARS_OK)
            closed = *p++ == '}', p = xtars_json_skip_ws(p, end);
    }
    if (rc == XTARS_OK && (!closed || p != end))
        rc = not_json(name, err);
    return rc;
}

static void desktop_status(struct import_run *run, const cJSON *root)
{
    static const char *const map[][2] = {
        {"end", "finished"}, {"call_user", "call_user"}, {"max_loop", "max_steps"},
        {"user_stopped", "stopped"}, {"pause", "stopped"}, {"error", "error"},
        {"running", "stopped"}, {"init", "stopped"},
    };
    const char *status = get_string(root, "status");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *message = get_string(error, "message") ? get_string(error, "message")
                                                       : get_string(root, "errMsg");

    snprintf(run->status, sizeof run->status, "error");
    for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(status, map[i][0]) == 0)
            snprintf(run->status, sizeof run->status, "%s", map[i][1]);
    if (message)
        snprintf(run->message, sizeof run->message, "%.1000s", message);
    else if (status && strcmp(run->status, "error") == 0)
        snprintf(run->message, sizeof run->message, "UI-TARS-desktop status '%.40s'", status);
}

/* The app's HTML report (Share > Report, utils/html.ts reportHTMLContent in
 * UI-TARS-desktop): the run's GUIAgentData as JSON text inside
 * <script type="ui_tars_web_dump" ...>...</script>. The first non-empty one
 * is the run (the app writes one); *json points into text. EFORMAT when
 * there is none, or when one has no '>' or no </script> (a cut download). */
static xtars_err html_dump(const char *text, size_t len, const char **json, size_t *json_len,
                           const char *name, char *err)
{
    static const char tag[] = "<script type=\"ui_tars_web_dump\"";
    const char *end = text + len, *p = text;

    while ((p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1)) != NULL) {
        const char *open = memchr(p, '>', (size_t)(end - p)), *close = NULL;
        if (open != NULL) {
            open++;
            close = memmem(open, (size_t)(end - open), "</script>", 9);
        }
        if (close == NULL) /* a report cut short: the dump is there, its end is not */
            return xtars_error(err, XTARS_EFORMAT, "%s: the <script type=\"ui_tars_web_dump\"> at "
                               "byte %zu is not closed (truncated file?)", name, (size_t)(p - text));
        p = close;
        while (open < close && strchr(" \t\r\n", *open))
            open++;
        if (open < close) {
            *json = open, *json_len = (size_t)(close - open);
            return XTARS_OK;
        }
    }
    return xtars_error(err, XTARS_EFORMAT, "%s: an HTML file without a UI-TARS-desktop report in it "
                       "(no non-empty <script type=\"ui_tars_web_dump\">)", name);
}

/* Bounded by len: the text need not end with a NUL (the _check variant
 * reads a caller's buffer). */
static int looks_like_html(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && strchr(" \t\r\n\xEF\xBB\xBF", text[i]) && text[i] != '\0')
        i++;
    return i < len && text[i] == '<';
}

static xtars_err desktop_parse(struct import_run *run, struct xtars_json_map *src,
                               const struct xtars_import_options *opts, const char *name, char *err)
{
    const char *text = src->data ? src->data : "", *conv, *conv_end;
    size_t len = src->len;
    cJSON *root = NULL;
    const cJSON *version;
    xtars_err rc = looks_like_html(text, len) ? html_dump(text, len, &text, &len, name, err) : XTARS_OK;

    if (rc == XTARS_OK)
        rc = desktop_scan(src, text, len, &root, &conv, &conv_end, name, err);
    if (rc == XTARS_OK && conv == NULL)
        rc = xtars_error(err, XTARS_EFORMAT, "%s: not a UI-TARS-desktop GUIAgentData file (no "
                         "'conversations' array)", name);
    version = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (rc == XTARS_OK && version && !(cJSON_IsString(version) && strcmp(version->valuestring, "v1") == 0))
        rc = xtars_error(err, XTARS_EFORMAT, "%s: GUIAgentData version %s%.20s%s is not supported "
                         "(xtars reads v1)", name, cJSON_IsString(version) ? "'" : "",
                         cJSON_IsString(version) ? version->valuestring : "(not a string)",
                         cJSON_IsString(version) ? "'" : "");
    if (rc != XTARS_OK) {
        cJSON_Delete(root);
        return rc;
    }
    if (opts && opts->width > 0)
        run->width = opts->width, run->height = opts->height;
    run->instruction = dup_or_null(get_string(root, "instruction"));
    run->instruction_key = "instruction";
    run->model = dup_or_null(get_string(root, "modelName"));
    run->model_key = "modelName";
    if (run->model == NULL) { /* the report's userData: settings in modelDetail */
        run->model = dup_or_null(get_string(cJSON_GetObjectItemCaseSensitive(root, "modelDetail"), "name"));
        run->model_key = "modelDetail.name";
    }
    iso_from_epoch_ms(get_number(root, "logTime"), run->started_at, sizeof run->started_at);
    desktop_status(run, root);
    cJSON_Delete(root);
    xtars_json_map_rewind(src, conv); /* the scan gave these pages back; now read again */
    rc = desktop_conversations(run, src, conv, conv_end, name, err);
    if (rc == XTARS_OK && run->count == 0)
        rc = xtars_error(err, XTARS_EFORMAT, "%s: no assistant message to import", name);
    return rc;
}

xtars_err xtars_import_uitars_desktop_check(const char *json, size_t len,
                                            struct xtars_import_stats *stats, char *err)
{
    struct import_run run;
    xtars_err rc;

    struct xtars_json_map src;

    memset(stats, 0, sizeof *stats);
    memset(&run, 0, sizeof run);
    xtars_json_map_borrow(&src, json, len);
    rc = desktop_parse(&run, &src, NULL, "input", err);
    stats->steps = run.count;
    for (int i = 0; i < run.count; i++)
        stats->not_replayable += !run.steps[i].replayable;
    finish_stats(&run, stats);
    run_cleanup(&run);
    return rc;
}

xtars_err xtars_import_uitars_desktop(const char *file, const char *out_dir,
                                      const struct xtars_import_options *opts,
                                      struct xtars_import_stats *stats, char *err)
{
    struct import_run run;
    struct xtars_json_map src;
    xtars_err rc;

    memset(stats, 0, sizeof *stats);
    memset(&run, 0, sizeof run);
    run.source = "import-uitars-desktop", run.from = file;
    if ((rc = xtars_json_map_open(&src, file, GUIAGENT_MAX, err)) != XTARS_OK)
        return rc == XTARS_ETOOBIG ? xtars_error(err, XTARS_EFORMAT, "%s: too large", file) : rc;
    rc = desktop_parse(&run, &src, opts, file, err);
    xtars_json_map_close(&src);
    if (rc == XTARS_OK && run.width == 0)
        rc = xtars_error(err, XTARS_EFORMAT, "%s: no screenshot or screenshotContext gives the "
                         "screen size (use --size WxH)", file);
    if (rc == XTARS_OK) {
        set_instruction(&run, opts, "(imported from UI-TARS-desktop)");
        rc = write_trajectory(&run, out_dir, stats, err);
    }
    finish_stats(&run, stats);
    run_cleanup(&run);
    return rc;
}
