/* traj_write.c: run.json and steps.jsonl lines from the structs of
 * xtars/trajectory.h, for the loop, replays and imports alike. Every key
 * comes from traj_schema.h (the reader's too); every text written has the
 * registered secrets redacted and the endpoint its credentials removed.
 * Never prints, never writes a key that is not in the schema. */
#include "agent/config/config_internal.h"
#include "agent/record/traj_file.h"
#include "agent/record/traj_write.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/json.h"
#include "agent/base/redact.h"
#include "agent/record/traj_schema.h"
#include "agent/reply/action_json.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "xtars/log.h"
#include "xtars/parse.h"
#include "xtars/version.h"

#define STEP_LINE_CAP (1u << 24)

/* The text being built and the first error building it: every piece is
 * checked (a buffer over its cap refuses it and, its errors being sticky,
 * every later piece too; a writer may also refuse a value, e.g. a NaN). */
struct out {
    struct xtars_buf *b;
    xtars_err rc;
};

static void check(struct out *o, xtars_err rc)
{
    if (o->rc == XTARS_OK)
        o->rc = rc;
}

static void put_text(struct out *o, const char *text)
{
    check(o, xtars_buf_puts(o->b, text));
}

/* `before` (separator and indentation), then "key": */
static void put_key(struct out *o, const char *before, enum traj_key key)
{
    check(o, xtars_buf_printf(o->b, "%s\"%s\": ", before, traj_key_name(key)));
}

static void put_string(struct out *o, const char *before, enum traj_key key, const char *v)
{
    put_key(o, before, key);
    check(o, xtars_json_put_string(o->b, v));
}

static void put_long(struct out *o, const char *before, enum traj_key key, long v)
{
    put_key(o, before, key);
    check(o, xtars_buf_printf(o->b, "%ld", v));
}

static void put_bool(struct out *o, const char *before, enum traj_key key, int v)
{
    put_key(o, before, key);
    put_text(o, v ? "true" : "false");
}

/* A duration in ms, to the microsecond. */
static void put_ms(struct out *o, const char *before, enum traj_key key, double v)
{
    put_key(o, before, key);
    check(o, xtars_json_put_number(o->b, round(v * 1000.0) / 1000.0));
}

/* A token count, or null when it was not reported (negative). */
static void put_count(struct out *o, const char *before, enum traj_key key, long v)
{
    put_key(o, before, key);
    if (v >= 0)
        check(o, xtars_buf_printf(o->b, "%ld", v));
    else
        put_text(o, "null");
}

static void put_size(struct out *o, const char *before, enum traj_key key, int width,
                     int height)
{
    put_key(o, before, key);
    put_long(o, "{", TRAJ_WIDTH, width);
    put_long(o, ", ", TRAJ_HEIGHT, height);
    put_text(o, "}");
}

/* format .. recorder: what says which file this is and who wrote it. */
static void put_run_origin(struct out *o, const struct xtars_traj_run *run)
{
    put_string(o, "{\n  ", TRAJ_FORMAT, XTARS_TRAJ_FORMAT);
    put_long(o, ",\n  ", TRAJ_VERSION, XTARS_TRAJ_VERSION);
    put_string(o, ",\n  ", TRAJ_SOURCE, run->source ? run->source : "run");
    if (run->replay_of)
        put_string(o, ",\n  ", TRAJ_REPLAY_OF, run->replay_of);
    if (run->imported_from)
        put_string(o, ",\n  ", TRAJ_IMPORTED_FROM, run->imported_from);
    put_string(o, ",\n  ", TRAJ_XTARS_VERSION, XTARS_VERSION);
    if (run->recorder_pid > 0) {
        put_key(o, ",\n  ", TRAJ_RECORDER);
        put_long(o, "{", TRAJ_PID, run->recorder_pid);
        put_string(o, ", ", TRAJ_HOST, run->recorder_host);
        put_string(o, ", ", TRAJ_PID_NS, run->recorder_pid_ns);
        put_text(o, "}");
    }
}

/* The config text as given, without its trailing newline. */
static void put_config(struct out *o, const char *config)
{
    size_t len = config ? strlen(config) : 0;

    put_key(o, ",\n  ", TRAJ_CONFIG);
    while (len > 0 && strchr(" \t\r\n", config[len - 1]))
        len--;
    if (len == 0)
        put_text(o, "{}");
    else
        check(o, xtars_buf_append(o->b, config, len));
}

xtars_err xtars_traj_run_to_json(const struct xtars_traj_run *run, struct xtars_buf *out)
{
    struct out text = {out, XTARS_OK}, *o = &text;
    char endpoint[2048];

    put_run_origin(o, run);
    put_string(o, ",\n  ", TRAJ_INSTRUCTION, run->instruction ? run->instruction : "");
    put_string(o, ",\n  ", TRAJ_MODEL, run->model);
    if (run->endpoint)
        xtars_redact_url(run->endpoint, endpoint, sizeof endpoint); /* never record credentials */
    put_string(o, ",\n  ", TRAJ_ENDPOINT, run->endpoint ? endpoint : NULL);
    put_string(o, ",\n  ", TRAJ_FAMILY, xtars_family_name(run->family));
    put_bool(o, ",\n  ", TRAJ_DRY_RUN, run->dry_run);
    put_size(o, ",\n  ", TRAJ_SCREEN, run->screen_width, run->screen_height);
    put_key(o, ",\n  ", TRAJ_TARGET);
    put_long(o, "{", TRAJ_X, run->target_x);
    put_long(o, ", ", TRAJ_Y, run->target_y);
    put_long(o, ", ", TRAJ_WIDTH, run->target_width);
    put_long(o, ", ", TRAJ_HEIGHT, run->target_height);
    put_text(o, "}");
    put_size(o, ",\n  ", TRAJ_SENT, run->sent_width, run->sent_height);
    put_string(o, ",\n  ", TRAJ_IMAGE_FORMAT,
               run->image_format == XTARS_IMAGE_JPEG ? "jpeg" : "png");
    put_config(o, run->config);
    put_string(o, ",\n  ", TRAJ_STARTED_AT, run->started_at);
    put_string(o, ",\n  ", TRAJ_ENDED_AT, run->ended_at);
    put_string(o, ",\n  ", TRAJ_STATUS, run->status ? run->status : "running");
    put_string(o, ",\n  ", TRAJ_MESSAGE, run->message);
    put_long(o, ",\n  ", TRAJ_STEPS, run->steps_written);
    put_key(o, ",\n  ", TRAJ_USAGE);
    put_long(o, "{", TRAJ_PROMPT_TOKENS, run->prompt_tokens);
    put_long(o, ", ", TRAJ_COMPLETION_TOKENS, run->completion_tokens);
    put_text(o, "}\n}\n");
    return o->rc;
}

static void put_timings_and_model(struct out *o, const struct xtars_traj_step *s)
{
    put_key(o, ", ", TRAJ_TIMINGS);
    put_ms(o, "{", TRAJ_CAPTURE_MS, s->capture_ms);
    put_ms(o, ", ", TRAJ_ENCODE_MS, s->encode_ms);
    put_ms(o, ", ", TRAJ_MODEL_MS, s->model_ms);
    put_ms(o, ", ", TRAJ_EXEC_MS, s->exec_ms);
    put_ms(o, ", ", TRAJ_SETTLE_MS, s->settle_ms);
    put_ms(o, ", ", TRAJ_TOTAL_MS, s->total_ms);
    put_key(o, "}, ", TRAJ_MODEL);
    if (!s->model_called) {
        put_text(o, "null");
        return;
    }
    put_ms(o, "{", TRAJ_LATENCY_MS, s->latency_ms);
    put_long(o, ", ", TRAJ_ATTEMPTS, s->attempts);
    put_count(o, ", ", TRAJ_PROMPT_TOKENS, s->prompt_tokens);
    put_count(o, ", ", TRAJ_COMPLETION_TOKENS, s->completion_tokens);
    put_string(o, ", ", TRAJ_FINISH_REASON, s->finish_reason);
    put_text(o, "}");
}

static void put_actions_and_results(struct out *o, const struct xtars_traj_step *s)
{
    put_key(o, ", ", TRAJ_ACTIONS);
    put_text(o, "[");
    for (int i = 0; i < s->action_count; i++) {
        if (i)
            put_text(o, ", ");
        check(o, xtars_action_to_json(&s->actions[i], o->b));
    }
    put_key(o, "], ", TRAJ_RESULTS);
    put_text(o, "[");
    for (int i = 0; i < s->action_count; i++) {
        put_bool(o, i ? ", {" : "{", TRAJ_OK, s->action_ok ? s->action_ok[i] : 1);
        put_ms(o, ", ", TRAJ_MS, s->action_ms ? s->action_ms[i] : 0);
        put_string(o, ", ", TRAJ_ERROR, s->action_errors ? s->action_errors[i] : NULL);
        put_text(o, "}");
    }
    put_text(o, "]");
}

/* notes, then what only imports and replays record. */
static void put_notes_and_origin(struct out *o, const struct xtars_traj_step *s,
                                 int imported)
{
    put_key(o, ", ", TRAJ_NOTES);
    put_text(o, "[");
    for (int i = 0; i < s->note_count; i++) {
        if (i)
            put_text(o, ", ");
        check(o, xtars_json_put_string(o->b, s->notes[i]));
    }
    put_text(o, "]");
    if (imported)
        put_bool(o, ", ", TRAJ_REPLAYABLE, s->replayable);
    if (s->similarity >= 0) {
        put_key(o, ", ", TRAJ_SIMILARITY);
        check(o, xtars_json_put_number(o->b, round(s->similarity * 10000.0) / 10000.0));
    }
    if (s->recorded_step > 0)
        put_long(o, ", ", TRAJ_RECORDED_STEP, s->recorded_step);
    if (imported)
        put_string(o, ", ", TRAJ_SOURCE_ACTION, s->source_action);
    if (s->origin)
        put_string(o, ", ", TRAJ_ORIGIN, s->origin);
    if (s->judge)
        put_string(o, ", ", TRAJ_JUDGE, s->judge);
    if (s->request)
        put_string(o, ", ", TRAJ_REQUEST, s->request);
}

/* Only a whole JSON object is written as the request: a bad one would make
 * the line unreadable, and with it every step after it. */
static int is_json_object(const char *text)
{
    cJSON *value = text && text[0] == '{' ? cJSON_Parse(text) : NULL;
    int ok = cJSON_IsObject(value);

    cJSON_Delete(value);
    return ok;
}

/* What only some steps have: the instruction that starts with this step,
 * the request sent (a JSON object built by agent/model/history.c, written
 * as it is), a task check's command, exit status and output. */
static void put_step_extras(struct out *o, const struct xtars_traj_step *s)
{
    if (s->instruction)
        put_string(o, ", ", TRAJ_INSTRUCTION, s->instruction);
    if (is_json_object(s->model_request)) {
        put_key(o, ", ", TRAJ_MODEL_REQUEST);
        put_text(o, s->model_request);
    }
    if (s->check_command) {
        put_key(o, ", ", TRAJ_CHECK);
        put_string(o, "{", TRAJ_COMMAND, s->check_command);
        put_key(o, ", ", TRAJ_EXIT_STATUS);
        if (s->check_exit_status >= 0)
            check(o, xtars_buf_printf(o->b, "%d", s->check_exit_status));
        else
            put_text(o, "null");
        put_string(o, ", ", TRAJ_ERROR, s->check_error);
        put_string(o, ", ", TRAJ_OUTPUT, s->check_output);
        put_text(o, "}");
    }
}

xtars_err xtars_traj_step_to_json(const struct xtars_traj_step *step, int imported,
                                  struct xtars_buf *out)
{
    struct out text = {out, XTARS_OK}, *o = &text;

    put_long(o, "{", TRAJ_STEP, step->step);
    put_string(o, ", ", TRAJ_STARTED_AT, step->started_at);
    put_string(o, ", ", TRAJ_SCREENSHOT, step->screenshot);
    put_size(o, ", ", TRAJ_SENT, step->sent_width, step->sent_height);
    put_timings_and_model(o, step);
    put_string(o, ", ", TRAJ_REPLY, step->reply);
    put_string(o, ", ", TRAJ_THOUGHT, step->thought);
    put_string(o, ", ", TRAJ_REFLECTION, step->reflection);
    put_string(o, ", ", TRAJ_PARSE_ERROR, step->parse_error);
    put_actions_and_results(o, step);
    put_bool(o, ", ", TRAJ_SETTLED, step->settled);
    put_bool(o, ", ", TRAJ_SCREEN_CHANGED, step->screen_changed);
    put_notes_and_origin(o, step, imported);
    put_step_extras(o, step);
    put_text(o, "}");
    return o->rc;
}

/* Hands text, every registered secret redacted, to the file layer. */
static xtars_err write_redacted(struct xtars_traj *traj, const struct xtars_buf *text, int is_step,
                                char *err)
{
    char *clean = xtars_log_redact(text->data ? text->data : "");
    xtars_err rc;

    if (clean == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (is_step)
        rc = xtars_traj_append_step(traj, clean, strlen(clean), err);
    else
        rc = xtars_traj_write_run(traj, clean, strlen(clean), err);
    free(clean);
    return rc;
}

xtars_err xtars_traj_record_run(struct xtars_traj *traj, const struct xtars_traj_run *run,
                                char *err)
{
    struct xtars_buf b;
    xtars_err rc;

    xtars_buf_init(&b, XTARS_TRAJ_RUN_JSON_MAX);
    rc = xtars_traj_run_to_json(run, &b);
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "run.json: too large");
    else
        rc = write_redacted(traj, &b, 0, err);
    xtars_buf_cleanup(&b);
    return rc;
}

/* Text longer than this is cut when a step line would pass its cap. */
#define STEP_TEXT_KEEP (1u << 20)

/* s cut to STEP_TEXT_KEEP bytes (at a UTF-8 boundary) with a marker saying
 * how much was left out, or s itself when it is short. *cut is set to the
 * copy to free (NULL when nothing was cut). NULL when out of memory. */
static const char *shortened(const char *s, char **cut)
{
    size_t len, keep = STEP_TEXT_KEEP;
    char *copy;

    *cut = NULL;
    if (s == NULL || (len = strlen(s)) <= STEP_TEXT_KEEP)
        return s;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    copy = malloc(keep + 64);
    if (copy == NULL)
        return NULL;
    snprintf(copy, keep + 64, "%.*s [... %zu more bytes not recorded]", (int)keep, s, len - keep);
    return *cut = copy;
}

/* The step again with every long text cut and a note saying so: a reply of
 * many megabytes (max_response_bytes allows up to 1 GB) still leaves a
 * whole, valid line, so the step stays in the record. */
static xtars_err record_shortened(struct xtars_traj *traj, const struct xtars_traj_step *step,
                                  int imported, struct xtars_buf *b, char *err)
{
    struct xtars_traj_step copy = *step;
    char *cuts[6] = {NULL}, *notes[XTARS_PARSE_MAX_ACTIONS + 8];
    const char **texts[6] = {(const char **)&copy.reply, (const char **)&copy.thought,
                             (const char **)&copy.reflection, (const char **)&copy.parse_error,
                             (const char **)&copy.instruction, (const char **)&copy.check_output};
    xtars_err rc = XTARS_OK;

    copy.model_request = NULL; /* bounded when built (history.c); the first thing to go */
    for (int i = 0; i < 6; i++) {
        const char *kept = shortened(*texts[i], &cuts[i]);
        if (kept == NULL && *texts[i] != NULL)
            rc = XTARS_ENOMEM;
        *texts[i] = kept;
    }
    if (copy.note_count < (int)(sizeof notes / sizeof notes[0])) {
        for (int i = 0; i < copy.note_count; i++)
            notes[i] = copy.notes[i];
        notes[copy.note_count++] = "step line over its 16 MiB cap: long texts (the reply, "
                                   "thought) are cut to their first 1 MiB in this record "
                                   "and the request sent is left out";
        copy.notes = notes;
    }
    xtars_buf_reset(b);
    if (rc == XTARS_OK)
        rc = xtars_traj_step_to_json(&copy, imported, b);
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "steps.jsonl: step %d is too large to record", step->step);
    else
        rc = write_redacted(traj, b, 1, err);
    for (int i = 0; i < 6; i++)
        free(cuts[i]);
    return rc;
}

xtars_err xtars_traj_record_step(struct xtars_traj *traj, const struct xtars_traj_step *step,
                                 int imported, char *err)
{
    struct xtars_buf b;
    xtars_err rc;

    xtars_buf_init(&b, STEP_LINE_CAP);
    rc = xtars_traj_step_to_json(step, imported, &b);
    if (rc == XTARS_ETOOBIG)
        rc = record_shortened(traj, step, imported, &b, err);
    else if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "steps.jsonl: step %d could not be recorded: %s", step->step,
                         xtars_strerror(rc));
    else
        rc = write_redacted(traj, &b, 1, err);
    xtars_buf_cleanup(&b);
    return rc;
}
