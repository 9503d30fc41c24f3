/* agent.c: the perceive-think-act loop. Capture -> resize -> encode -> model
 * -> parse -> policy -> execute -> settle, one step at a time, with every
 * completed step written to the trajectory before the next begins. It must
 * never leave input held, never lose a completed step, and turn every
 * failure into a status and a one-line message. Logs nothing: the caller's
 * step callback decides what to show. */
#include "agent/config/config_internal.h"
#include "xtars/agent.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/reply/action_json.h"
#include "xtars/buf.h"
#include "xtars/capture.h"
#include "agent/base/clock.h"
#include "agent/record/draw.h"
#include "xtars/exec.h"
#include "xtars/image.h"
#include "agent/base/json.h"
#include "xtars/log.h"
#include "xtars/model.h"
#include "xtars/parse.h"
#include "agent/reply/policy.h"
#include "agent/model/prompt.h"
#include "xtars/replay.h"
#include "xtars/trajectory.h"
#include "xtars/version.h"

#define IMAGE_MAX_BYTES (64u << 20)
#define SETTLE_INTERVAL_MS 40
#define SETTLE_STABLE_FRAMES 2
#define NOTE_LEN 600

struct xtars_agent {
    struct xtars_config cfg;
    struct xtars_agent_options opts;
    char source[32];
    char title[4096];
    volatile sig_atomic_t stop;     /* set by xtars_agent_stop(); the executor and the
                                       model client check it between events and retries */

    struct xtars_capture *capture;
    struct xtars_rect target;
    int screen_width, screen_height;
    int sent_width, sent_height;
    struct xtars_shot_options shot_opts;
    struct xtars_shot shot;         /* this step's capture, resized and encoded */
    struct xtars_executor *exec;
    struct xtars_policy *policy;
    struct xtars_model *model;      /* created on first run */
    struct xtars_traj *traj;
    char dir[PATH_MAX];

    int step;                       /* last step number written */
    char started_at[40];
    enum xtars_run_status status;
    char message[1024];
    long prompt_tokens, completion_tokens;

    /* Replays (xtars_agent_replay): where the steps come from, and what the
     * next recorded step line gets when the model takes a diverged step. */
    char replay_of[PATH_MAX];
    int replay_total, replay_skipped, replay_model_steps;
    struct {
        int set;
        double similarity;
        int recorded_step;
        char note[NOTE_LEN];
    } pending;
};

static const char *const status_names[] = {
    "running", "finished", "call_user", "max_steps", "stuck", "parse_errors",
    "model_error", "error", "stopped", "diverged", "failed"};

const char *xtars_run_status_name(enum xtars_run_status status)
{
    return (unsigned)status <= XTARS_RUN_FAILED ? status_names[status] : "?";
}

int xtars_run_status_exit_code(enum xtars_run_status status)
{
    switch (status) {
    case XTARS_RUN_FINISHED:
        return 0;
    case XTARS_RUN_MODEL_ERROR:
        return 3;
    case XTARS_RUN_ERROR:
        return 1;
    default:
        return 4;
    }
}

/* The endpoint without user information or query string: never record credentials. */
static void public_endpoint(const char *url, char *out, size_t size)
{
    const char *scheme_end = strstr(url, "://"), *host = url, *at, *slash;
    size_t used = 0;

    if (scheme_end) {
        host = scheme_end + 3;
        used = (size_t)snprintf(out, size, "%.*s", (int)(host - url), url);
    }
    slash = strchr(host, '/');
    at = strchr(host, '@');
    if (at && (slash == NULL || at < slash))
        host = at + 1;
    if (used < size)
        snprintf(out + used, size - used, "%.*s", (int)strcspn(host, "?#"), host);
}

static void set_status(struct xtars_agent *a, enum xtars_run_status status, const char *message)
{
    a->status = status;
    snprintf(a->message, sizeof a->message, "%s", message ? message : "");
}

/* Writes text with every registered secret redacted through fn. */
static xtars_err write_redacted(struct xtars_agent *a, const struct xtars_buf *text, int is_step,
                                char *err)
{
    char *clean = xtars_log_redact(text->data ? text->data : "");
    xtars_err rc;

    if (clean == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (is_step)
        rc = xtars_traj_append_step(a->traj, clean, strlen(clean), err);
    else
        rc = xtars_traj_write_run(a->traj, clean, strlen(clean), err);
    free(clean);
    return rc;
}

static xtars_err write_run_json(struct xtars_agent *a, const char *ended_at, char *err)
{
    struct xtars_buf b;
    char endpoint[sizeof a->cfg.endpoint], recorder_host[256], recorder_ns[64];
    long recorder_pid;
    xtars_err rc;

    public_endpoint(a->cfg.endpoint, endpoint, sizeof endpoint);
    xtars_traj_recorder(&recorder_pid, recorder_host, sizeof recorder_host, recorder_ns,
                        sizeof recorder_ns);
    xtars_buf_init(&b, 1 << 22);
    xtars_buf_printf(&b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"source\": ",
                     XTARS_TRAJ_FORMAT, XTARS_TRAJ_VERSION);
    xtars_json_put_string(&b, a->source);
    if (a->replay_of[0]) {
        xtars_buf_puts(&b, ",\n  \"replay_of\": ");
        xtars_json_put_string(&b, a->replay_of);
    }
    xtars_buf_printf(&b, ",\n  \"xtars_version\": \"%s\",\n  \"recorder\": {\"pid\": %ld, \"host\": ",
                     XTARS_VERSION, recorder_pid);
    xtars_json_put_string(&b, recorder_host);
    xtars_buf_puts(&b, ", \"pid_ns\": ");
    xtars_json_put_string(&b, recorder_ns);
    xtars_buf_puts(&b, "},\n  \"instruction\": ");
    xtars_json_put_string(&b, a->title);
    xtars_buf_puts(&b, ",\n  \"model\": ");
    xtars_json_put_string(&b, a->cfg.model);
    xtars_buf_puts(&b, ",\n  \"endpoint\": ");
    xtars_json_put_string(&b, endpoint);
    xtars_buf_printf(&b, ",\n  \"family\": \"%s\",\n  \"dry_run\": %s,\n", xtars_family_name(a->cfg.family),
                     a->opts.dry_run ? "true" : "false");
    xtars_buf_printf(&b, "  \"screen\": {\"width\": %d, \"height\": %d},\n", a->screen_width,
                     a->screen_height);
    xtars_buf_printf(&b, "  \"target\": {\"x\": %d, \"y\": %d, \"width\": %d, \"height\": %d},\n",
                     a->target.x, a->target.y, a->target.width, a->target.height);
    xtars_buf_printf(&b, "  \"sent\": {\"width\": %d, \"height\": %d},\n", a->sent_width,
                     a->sent_height);
    xtars_buf_printf(&b, "  \"image_format\": \"%s\",\n  \"config\": ",
                     a->cfg.image_format == XTARS_IMAGE_JPEG ? "jpeg" : "png");
    xtars_config_to_json(&a->cfg, 0, &b);
    b.len--; /* drop the config's trailing newline */
    xtars_buf_printf(&b, ",\n  \"started_at\": \"%s\",\n  \"ended_at\": ", a->started_at);
    if (ended_at)
        xtars_buf_printf(&b, "\"%s\"", ended_at);
    else
        xtars_buf_puts(&b, "null");
    xtars_buf_printf(&b, ",\n  \"status\": \"%s\",\n  \"message\": ", xtars_run_status_name(a->status));
    xtars_json_put_string(&b, a->message[0] ? a->message : NULL);
    rc = xtars_buf_printf(&b, ",\n  \"steps\": %d,\n  \"usage\": {\"prompt_tokens\": %ld, "
                              "\"completion_tokens\": %ld}\n}\n",
                          a->step, a->prompt_tokens, a->completion_tokens);
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "run.json: too large");
    else
        rc = write_redacted(a, &b, 0, err);
    xtars_buf_cleanup(&b);
    return rc;
}

/* Everything one step records (docs/trajectory.md, steps.jsonl). */
struct step_record {
    char started_at[40];
    char screenshot[32];
    double capture_ms, encode_ms, model_ms, exec_ms, settle_ms, total_ms;
    const struct xtars_model_reply *model;    /* NULL: no model call */
    const char *reply, *thought, *reflection;
    const char *parse_error;
    const struct xtars_action *actions;
    int action_count;
    int ok[XTARS_PARSE_MAX_ACTIONS];
    double action_ms[XTARS_PARSE_MAX_ACTIONS];
    char errors[XTARS_PARSE_MAX_ACTIONS][200];
    int settled, changed;
    char notes[2][NOTE_LEN];
    int note_count;
    int has_similarity;      /* replay --verify */
    double similarity;
    int recorded_step;       /* replay: the recorded step this one replays */
};

static void add_note(struct step_record *s, const char *text)
{
    if (s->note_count < 2)
        snprintf(s->notes[s->note_count++], NOTE_LEN, "%s", text);
}

/* Captures the target, resizes it to the sent size and encodes it into
 * a->shot.data; the fingerprint of the raw frame is for change detection. */
static xtars_err perceive(struct xtars_agent *a, uint64_t *fingerprint, double *capture_ms,
                          double *encode_ms, char *err)
{
    xtars_err rc = xtars_capture_shot(a->capture, &a->shot_opts, &a->shot, err);

    if (rc != XTARS_OK)
        return rc;
    *fingerprint = xtars_image_fingerprint(&a->shot.frame);
    *capture_ms = a->shot.capture_ms;
    *encode_ms = a->shot.resize_ms + a->shot.encode_ms;
    a->sent_width = a->shot.sent_width;
    a->sent_height = a->shot.sent_height;
    return XTARS_OK;
}

/* Waits until the screen stops changing (SETTLE_STABLE_FRAMES equal frames
 * SETTLE_INTERVAL_MS apart) or settle_timeout_ms passes. */
static xtars_err settle(struct xtars_agent *a, uint64_t before, struct step_record *s, char *err)
{
    struct xtars_image frame;
    double start = xtars_clock_ms();
    uint64_t previous, current;
    int stable = 0;
    xtars_err rc;

    xtars_image_init(&frame);
    if ((rc = xtars_capture_grab(a->capture, &frame, err)) != XTARS_OK)
        return rc;
    previous = xtars_image_fingerprint(&frame);
    s->settled = a->cfg.settle_timeout_ms == 0;
    while (!s->settled && !a->stop && xtars_clock_ms() - start < a->cfg.settle_timeout_ms) {
        xtars_clock_sleep_ms(SETTLE_INTERVAL_MS);
        if ((rc = xtars_capture_grab(a->capture, &frame, err)) != XTARS_OK)
            return rc;
        current = xtars_image_fingerprint(&frame);
        stable = current == previous ? stable + 1 : 0;
        previous = current;
        s->settled = stable >= SETTLE_STABLE_FRAMES;
    }
    s->changed = previous != before;
    s->settle_ms = xtars_clock_ms() - start;
    return XTARS_OK;
}

static void put_key_number(struct xtars_buf *b, const char *key, double v)
{
    xtars_buf_printf(b, "\"%s\": ", key);
    xtars_json_put_number(b, round(v * 1000.0) / 1000.0);
}

static void put_key_string(struct xtars_buf *b, const char *key, const char *v)
{
    xtars_buf_printf(b, "\"%s\": ", key);
    xtars_json_put_string(b, v);
}

/* A token count, or null when the server did not report one (negative). */
static void put_count(struct xtars_buf *b, const char *key, long v)
{
    if (v >= 0)
        xtars_buf_printf(b, "\"%s\": %ld, ", key, v);
    else
        xtars_buf_printf(b, "\"%s\": null, ", key);
}

static void put_timings_and_model(struct xtars_buf *b, const struct step_record *s)
{
    xtars_buf_puts(b, "\"timings\": {");
    put_key_number(b, "capture_ms", s->capture_ms);
    xtars_buf_puts(b, ", ");
    put_key_number(b, "encode_ms", s->encode_ms);
    xtars_buf_puts(b, ", ");
    put_key_number(b, "model_ms", s->model_ms);
    xtars_buf_puts(b, ", ");
    put_key_number(b, "exec_ms", s->exec_ms);
    xtars_buf_puts(b, ", ");
    put_key_number(b, "settle_ms", s->settle_ms);
    xtars_buf_puts(b, ", ");
    put_key_number(b, "total_ms", s->total_ms);
    xtars_buf_puts(b, "}, \"model\": ");
    if (s->model == NULL) {
        xtars_buf_puts(b, "null");
        return;
    }
    xtars_buf_puts(b, "{");
    put_key_number(b, "latency_ms", s->model->latency_ms);
    xtars_buf_printf(b, ", \"attempts\": %d, ", s->model->attempts);
    put_count(b, "prompt_tokens", s->model->prompt_tokens);
    put_count(b, "completion_tokens", s->model->completion_tokens);
    put_key_string(b, "finish_reason", s->model->finish_reason[0] ? s->model->finish_reason : NULL);
    xtars_buf_puts(b, "}");
}

static void put_actions_and_results(struct xtars_buf *b, const struct step_record *s)
{
    xtars_buf_puts(b, ", \"actions\": [");
    for (int i = 0; i < s->action_count; i++) {
        if (i)
            xtars_buf_puts(b, ", ");
        xtars_action_to_json(&s->actions[i], b);
    }
    xtars_buf_puts(b, "], \"results\": [");
    for (int i = 0; i < s->action_count; i++) {
        xtars_buf_printf(b, "%s{\"ok\": %s, ", i ? ", " : "", s->ok[i] ? "true" : "false");
        put_key_number(b, "ms", s->action_ms[i]);
        xtars_buf_puts(b, ", ");
        put_key_string(b, "error", s->errors[i][0] ? s->errors[i] : NULL);
        xtars_buf_puts(b, "}");
    }
    xtars_buf_puts(b, "]");
}

/* Closes the notes array and adds what replays record: the fields of the
 * step itself, or those left pending for a model step that took over a
 * diverged recorded step. Runs that are not replays write nothing more. */
static void put_replay_fields(const struct xtars_agent *a, const struct step_record *s,
                              struct xtars_buf *b)
{
    int pending = a->pending.set;

    if (pending && a->pending.note[0]) {
        xtars_buf_puts(b, s->note_count ? ", " : "");
        xtars_json_put_string(b, a->pending.note);
    }
    xtars_buf_puts(b, "]");
    if (s->has_similarity || pending) {
        xtars_buf_puts(b, ", \"similarity\": ");
        xtars_json_put_number(b, round((s->has_similarity ? s->similarity : a->pending.similarity) *
                                       10000.0) / 10000.0);
    }
    if (s->recorded_step || (pending && a->pending.recorded_step))
        xtars_buf_printf(b, ", \"recorded_step\": %d",
                         s->recorded_step ? s->recorded_step : a->pending.recorded_step);
}

static xtars_err record_step(struct xtars_agent *a, const struct step_record *s, char *err)
{
    struct xtars_buf b;
    xtars_err rc;

    xtars_buf_init(&b, 1 << 24);
    xtars_buf_printf(&b, "{\"step\": %d, \"started_at\": \"%s\", ", a->step + 1, s->started_at);
    put_key_string(&b, "screenshot", s->screenshot[0] ? s->screenshot : NULL);
    xtars_buf_printf(&b, ", \"sent\": {\"width\": %d, \"height\": %d}, ", a->sent_width,
                     a->sent_height);
    put_timings_and_model(&b, s);
    xtars_buf_puts(&b, ", ");
    put_key_string(&b, "reply", s->reply);
    xtars_buf_puts(&b, ", ");
    put_key_string(&b, "thought", s->thought);
    xtars_buf_puts(&b, ", ");
    put_key_string(&b, "reflection", s->reflection);
    xtars_buf_puts(&b, ", ");
    put_key_string(&b, "parse_error", s->parse_error);
    put_actions_and_results(&b, s);
    xtars_buf_printf(&b, ", \"settled\": %s, \"screen_changed\": %s, \"notes\": [",
                     s->settled ? "true" : "false", s->changed ? "true" : "false");
    for (int i = 0; i < s->note_count; i++) {
        if (i)
            xtars_buf_puts(&b, ", ");
        xtars_json_put_string(&b, s->notes[i]);
    }
    put_replay_fields(a, s, &b);
    rc = xtars_buf_puts(&b, "}");
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "steps.jsonl: step %d is too large to record", a->step + 1);
    else
        rc = write_redacted(a, &b, 1, err);
    xtars_buf_cleanup(&b);
    if (rc == XTARS_OK) {
        a->step++;
        a->pending.set = 0;
    }
    return rc;
}

/* One line naming the actions, for progress output and the stuck guard. */
static void summarize(const struct xtars_action *actions, int count, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < count && used + 1 < size; i++) {
        const struct xtars_action *x = &actions[i];
        int n = snprintf(out + used, size - used, "%s%s", i ? "; " : "",
                         xtars_action_type_name(x->type));
        used += n > 0 ? (size_t)n : 0;
        if (used < size && x->has_point)
            used += (size_t)snprintf(out + used, size - used, " (%d,%d)", x->x, x->y);
        if (used < size && x->has_end)
            used += (size_t)snprintf(out + used, size - used, "->(%d,%d)", x->x2, x->y2);
        if (used < size && x->type == XTARS_ACTION_SCROLL)
            used += (size_t)snprintf(out + used, size - used, " %s",
                                     xtars_scroll_direction_name(x->direction));
        for (int k = 0; used < size && k < x->key_count; k++)
            used += (size_t)snprintf(out + used, size - used, "%s%s", k ? "+" : " ", x->keys[k]);
        if (used < size && x->text && (x->type == XTARS_ACTION_TYPE)) {
            char shown[62]; /* redacted before the cut: no part of a secret shows */
            xtars_log_redact_copy(shown, sizeof shown, x->text);
            used += (size_t)snprintf(out + used, size - used, " '%.60s%s'", shown,
                                     strlen(shown) > 60 ? "..." : "");
        }
    }
}

struct run_state {
    struct xtars_history *history;
    struct xtars_buf prompt;        /* rendered template + instruction */
    struct xtars_buf body;          /* the request */
    char note[2 * NOTE_LEN];        /* told to the model with the next request */
    int parse_failures;
    char last_summary[512];
    int same_without_change;
    int max_steps;
};

/* Performs the parsed actions in order until one ends the run. */
static void act(struct xtars_agent *a, struct run_state *rs, struct step_record *s,
                struct xtars_agent_result *res, int *done)
{
    for (int i = 0; i < s->action_count && !a->stop; i++) {
        const struct xtars_action *x = &s->actions[i];
        struct xtars_exec_result er;
        char reason[200], note[NOTE_LEN], failure[XTARS_ERRLEN];
        enum xtars_policy_effect effect;
        double t0 = xtars_clock_ms();

        if (x->type == XTARS_ACTION_FINISHED || x->type == XTARS_ACTION_CALL_USER) {
            res->status = x->type == XTARS_ACTION_FINISHED ? XTARS_RUN_FINISHED : XTARS_RUN_CALL_USER;
            /* redacted before it is cut to the message's size */
            xtars_log_redact_copy(res->message, sizeof res->message, x->text ? x->text : "");
            s->ok[i] = 1;
            *done = 1;
            return;
        }
        effect = xtars_policy_check(a->policy, x, &a->target, reason, sizeof reason);
        if (effect == XTARS_POLICY_CONFIRM && a->opts.confirm && a->opts.confirm(x, reason, a->opts.user))
            effect = XTARS_POLICY_ALLOW;
        if (effect != XTARS_POLICY_ALLOW) {
            snprintf(s->errors[i], sizeof s->errors[i], "denied by policy: %.170s", reason);
            snprintf(note, sizeof note, "Your action %s was refused by the user's policy (%s). "
                     "Do not try it again; find another way or call_user().",
                     xtars_action_type_name(x->type), reason);
            add_note(s, note);
            snprintf(rs->note, sizeof rs->note, "%s", note);
            continue;
        }
        if (xtars_exec_perform(a->exec, x, &er, failure) == XTARS_OK) {
            s->ok[i] = 1;
        } else {
            snprintf(s->errors[i], sizeof s->errors[i], "%.199s", failure);
            snprintf(note, sizeof note, "Your action %s failed: %s.", xtars_action_type_name(x->type),
                     s->errors[i]);
            snprintf(rs->note, sizeof rs->note, "%s", note);
            add_note(s, note);
        }
        s->action_ms[i] = xtars_clock_ms() - t0;
        s->exec_ms += s->action_ms[i];
    }
}

/* Whether any action of the step was carried out (and so may change the
 * screen): only then is settling worth its time. */
static int performed_input(const struct step_record *s)
{
    for (int i = 0; i < s->action_count; i++)
        if (s->ok[i] && s->actions[i].type != XTARS_ACTION_FINISHED &&
            s->actions[i].type != XTARS_ACTION_CALL_USER)
            return 1;
    return 0;
}

/* After a step: repeated identical actions that change nothing. */
static void stuck_guard(struct xtars_agent *a, struct run_state *rs, const char *summary,
                        struct step_record *s, struct xtars_agent_result *res, int *done)
{
    /* wait() is meant to see nothing happen for a while: never "stuck". */
    int waiting = s->action_count == 1 && s->actions[0].type == XTARS_ACTION_WAIT;

    if (s->changed || summary[0] == '\0' || s->parse_error || waiting) {
        rs->same_without_change = 0;
    } else if (strcmp(summary, rs->last_summary) == 0) {
        rs->same_without_change++;
    } else {
        rs->same_without_change = 1;
    }
    snprintf(rs->last_summary, sizeof rs->last_summary, "%s", summary);
    if (rs->same_without_change > a->cfg.stuck_limit) {
        res->status = XTARS_RUN_STUCK;
        snprintf(res->message, sizeof res->message,
                 "stopped: the same action (%.200s) had no visible effect %d times", summary,
                 rs->same_without_change);
        *done = 1;
    } else if (rs->same_without_change == a->cfg.stuck_limit) {
        snprintf(rs->note, sizeof rs->note,
                 "Your last action (%.200s) had no visible effect, %d times in a row. "
                 "Try something different.", summary, rs->same_without_change);
        add_note(s, rs->note);
    }
}

static struct xtars_coord_space coord_space(const struct xtars_agent *a, int family)
{
    struct xtars_coord_space space;

    space.family = family;
    space.sent_width = a->sent_width;
    space.sent_height = a->sent_height;
    space.target = a->target;
    return space;
}

/* Asks the model. A failure ends the run with MODEL_ERROR (or STOPPED). */
static int think(struct xtars_agent *a, struct run_state *rs, struct xtars_model_reply *reply,
                 struct step_record *s, struct xtars_agent_result *res, char *err)
{
    double t0 = xtars_clock_ms();
    xtars_err rc;

    rc = xtars_request_build(&a->cfg, rs->prompt.data, rs->history, rs->note[0] ? rs->note : NULL,
                             &rs->body, NULL, err);
    rs->note[0] = '\0';
    if (rc == XTARS_OK)
        rc = xtars_model_complete(a->model, rs->body.data, rs->body.len, reply, err);
    s->model_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        return 0;
    res->status = a->stop || rc == XTARS_ESTOPPED ? XTARS_RUN_STOPPED
                  : rc == XTARS_EMODEL || rc == XTARS_ETIMEOUT ? XTARS_RUN_MODEL_ERROR
                                                                : XTARS_RUN_ERROR;
    snprintf(res->message, sizeof res->message, "%s", err);
    add_note(s, err);
    return 1;
}

/* Parses the reply; a bad reply is told to the model and counted. */
static int understand(struct xtars_agent *a, struct run_state *rs, const char *text,
                      struct xtars_reply *parsed, struct step_record *s,
                      struct xtars_agent_result *res, char *parse_err)
{
    struct xtars_coord_space space = coord_space(a, a->cfg.family);

    if (xtars_parse_reply(text, strlen(text), &space, parsed, parse_err) == XTARS_OK) {
        rs->parse_failures = 0;
        s->thought = parsed->thought;
        s->reflection = parsed->reflection;
        s->actions = parsed->actions;
        s->action_count = parsed->action_count;
        return 0;
    }
    s->parse_error = parse_err;
    snprintf(rs->note, sizeof rs->note,
             "Your previous reply could not be used (%.300s). Reply again in the required format: "
             "Thought: ... then Action: ...", parse_err);
    if (++rs->parse_failures > a->cfg.parse_fail_limit) {
        res->status = XTARS_RUN_PARSE_ERRORS;
        snprintf(res->message, sizeof res->message, "%d unusable replies in a row; last: %s",
                 rs->parse_failures, parse_err);
        return 1;
    }
    return 0;
}

static void report_step(struct xtars_agent *a, struct run_state *rs, const struct step_record *s,
                        const char *summary, int *done, struct xtars_agent_result *res)
{
    struct xtars_agent_step_info info = {
        .step = a->step, .max_steps = rs->max_steps, .thought = s->thought, .summary = summary,
        .note = s->parse_error ? s->parse_error : s->note_count ? s->notes[0] : NULL,
        .capture_ms = s->capture_ms, .encode_ms = s->encode_ms, .model_ms = s->model_ms,
        .exec_ms = s->exec_ms, .settle_ms = s->settle_ms};

    if (a->opts.on_step && a->opts.on_step(&info, a->opts.user) && !*done) {
        res->status = XTARS_RUN_STOPPED;
        snprintf(res->message, sizeof res->message, "stopped by the step callback");
        *done = 1;
    }
}

/* One full step. Returns an error only for failures to record (the run
 * cannot go on without losing data); everything else ends up in res. */
static xtars_err run_step(struct xtars_agent *a, struct run_state *rs,
                          struct xtars_agent_result *res, int *done, char *err)
{
    struct step_record s;
    struct xtars_model_reply reply = {0};
    struct xtars_reply parsed = {0};
    char summary[512] = "", parse_err[XTARS_ERRLEN], reason[XTARS_ERRLEN];
    uint64_t before = 0;
    double t0 = xtars_clock_ms();
    xtars_err rc;

    memset(&s, 0, sizeof s);
    xtars_clock_iso(s.started_at, sizeof s.started_at);
    rc = perceive(a, &before, &s.capture_ms, &s.encode_ms, reason);
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
        *done = 1;
        return XTARS_OK;
    }
    snprintf(s.screenshot, sizeof s.screenshot, "step-%04d.%s", a->step + 1,
             a->cfg.image_format == XTARS_IMAGE_JPEG ? "jpg" : "png");
    rc = xtars_traj_write_file(a->traj, s.screenshot, a->shot.data.data, a->shot.data.len, err);
    if (rc == XTARS_OK)
        rc = xtars_history_add_image(rs->history, a->shot.data.data, a->shot.data.len,
                                     a->cfg.image_format);
    if (rc != XTARS_OK)
        return rc;
    if (think(a, rs, &reply, &s, res, reason)) {
        *done = 1;
    } else {
        s.model = &reply;
        s.reply = reply.text;
        if (reply.prompt_tokens > 0)
            a->prompt_tokens += reply.prompt_tokens;
        if (reply.completion_tokens > 0)
            a->completion_tokens += reply.completion_tokens;
        rc = xtars_history_set_reply(rs->history, reply.text ? reply.text : "");
        if (rc != XTARS_OK)
            xtars_error(err, rc, "out of memory");
        if (rc == XTARS_OK && understand(a, rs, reply.text ? reply.text : "", &parsed, &s, res, parse_err))
            *done = 1;
        if (rc == XTARS_OK && !*done) {
            act(a, rs, &s, res, done);
            summarize(s.actions, s.action_count, summary, sizeof summary);
            if (performed_input(&s))
                rc = settle(a, before, &s, reason);
            else
                s.settled = 1; /* nothing was done: nothing to wait for */
            if (rc != XTARS_OK) {
                res->status = XTARS_RUN_ERROR;
                snprintf(res->message, sizeof res->message, "%s", reason);
                *done = 1;
                rc = XTARS_OK;
            } else if (!*done) {
                stuck_guard(a, rs, summary, &s, res, done);
            }
        }
    }
    s.total_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        rc = record_step(a, &s, err);
    if (rc == XTARS_OK)
        report_step(a, rs, &s, summary, done, res);
    xtars_reply_cleanup(&parsed);
    xtars_model_reply_cleanup(&reply);
    return rc;
}

static xtars_err prepare_run(struct xtars_agent *a, struct run_state *rs, const char *instruction,
                             char *err)
{
    struct xtars_buf template_text;
    xtars_err rc;

    if (a->model == NULL) {
        if ((rc = xtars_model_new(&a->cfg, &a->model, err)) != XTARS_OK)
            return rc;
        xtars_model_set_stop(a->model, &a->stop);
    }
    if (a->title[0] == '\0') { /* a run killed later still names its task in run.json */
        snprintf(a->title, sizeof a->title, "%s", instruction);
        if ((rc = write_run_json(a, NULL, err)) != XTARS_OK)
            return rc;
    }
    xtars_buf_init(&template_text, XTARS_PROMPT_MAX_BYTES);
    rc = xtars_prompt_load(a->cfg.prompt, NULL, &template_text, err);
    if (rc == XTARS_OK)
        rc = xtars_prompt_render(template_text.data, a->cfg.language, instruction, &rs->prompt);
    xtars_buf_cleanup(&template_text);
    if (rc == XTARS_OK && xtars_history_new(a->cfg.history_images, &rs->history) != XTARS_OK)
        rc = xtars_error(err, XTARS_ENOMEM, "out of memory");
    return rc;
}

/* Ends a run or replay call in order: a stop wins over anything but
 * finished(), held input is released, the status and step count are set and
 * run.json is rewritten. Returns rc, or the error writing run.json. */
static xtars_err end_call(struct xtars_agent *a, struct xtars_agent_result *res, int first_step,
                          xtars_err rc, char *err)
{
    if (a->stop && res->status != XTARS_RUN_FINISHED) {
        res->status = XTARS_RUN_STOPPED;
        if (res->message[0] == '\0')
            snprintf(res->message, sizeof res->message, "interrupted");
    }
    xtars_exec_release_all(a->exec);
    res->steps = a->step - first_step;
    set_status(a, res->status, res->message);
    if (rc == XTARS_OK)
        rc = write_run_json(a, NULL, err);
    return rc;
}

xtars_err xtars_agent_run(struct xtars_agent *a, const char *instruction, int max_steps,
                          struct xtars_agent_result *res, char err[static XTARS_ERRLEN])
{
    struct run_state rs;
    int done = 0, first_step = a->step;
    xtars_err rc;

    memset(res, 0, sizeof *res);
    memset(&rs, 0, sizeof rs);
    xtars_buf_init(&rs.prompt, XTARS_PROMPT_MAX_BYTES * 2);
    xtars_buf_init(&rs.body, (size_t)a->cfg.max_request_bytes + (1u << 20));
    rs.max_steps = max_steps > 0 ? max_steps : a->cfg.max_steps;
    rc = prepare_run(a, &rs, instruction, err);
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", err);
        goto out;
    }
    while (!done && rc == XTARS_OK) {
        if (a->stop) {
            res->status = XTARS_RUN_STOPPED;
            snprintf(res->message, sizeof res->message, "interrupted");
            break;
        }
        if (a->step - first_step >= rs.max_steps) {
            res->status = XTARS_RUN_MAX_STEPS;
            snprintf(res->message, sizeof res->message, "reached max_steps (%d) without finished()",
                     rs.max_steps);
            break;
        }
        rc = run_step(a, &rs, res, &done, err);
    }
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", err);
    }
out:
    rc = end_call(a, res, first_step, rc, err);
    xtars_history_free(rs.history);
    xtars_buf_cleanup(&rs.prompt);
    xtars_buf_cleanup(&rs.body);
    return rc;
}

xtars_err xtars_agent_act(struct xtars_agent *a, const char *call, int family,
                          struct xtars_agent_result *res, char err[static XTARS_ERRLEN])
{
    struct xtars_coord_space space = coord_space(a, family);
    struct run_state rs;
    struct step_record s;
    struct xtars_action action;
    uint64_t before = 0;
    int done = 0;
    double t0 = xtars_clock_ms();
    xtars_err rc;

    memset(res, 0, sizeof *res);
    memset(&rs, 0, sizeof rs);
    memset(&s, 0, sizeof s);
    memset(&action, 0, sizeof action);
    xtars_clock_iso(s.started_at, sizeof s.started_at);
    res->status = XTARS_RUN_FINISHED;
    rc = perceive(a, &before, &s.capture_ms, &s.encode_ms, err);
    if (rc == XTARS_OK) {
        snprintf(s.screenshot, sizeof s.screenshot, "step-%04d.%s", a->step + 1,
                 a->cfg.image_format == XTARS_IMAGE_JPEG ? "jpg" : "png");
        rc = xtars_traj_write_file(a->traj, s.screenshot, a->shot.data.data, a->shot.data.len, err);
    }
    if (rc == XTARS_OK && xtars_parse_action(call, strlen(call), &space, &action, res->message) != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        s.parse_error = res->message;
    } else if (rc == XTARS_OK) {
        s.actions = &action;
        s.action_count = 1;
        act(a, &rs, &s, res, &done);
        if (!s.ok[0]) {
            res->status = XTARS_RUN_ERROR;
            snprintf(res->message, sizeof res->message, "%s", s.errors[0]);
        }
        rc = settle(a, before, &s, err);
    }
    s.reply = call;
    s.total_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        rc = record_step(a, &s, err);
    xtars_exec_release_all(a->exec);
    xtars_action_cleanup(&action);
    res->steps = rc == XTARS_OK ? 1 : 0;
    return rc;
}

xtars_err xtars_agent_record_note(struct xtars_agent *a, const char *kind, const char *note, int ok,
                                  char err[static XTARS_ERRLEN])
{
    struct step_record s;
    char text[NOTE_LEN];

    memset(&s, 0, sizeof s);
    xtars_clock_iso(s.started_at, sizeof s.started_at);
    snprintf(text, sizeof text, "%s %s: %s", kind, ok ? "passed" : "failed", note);
    add_note(&s, text);
    s.settled = 1;
    return record_step(a, &s, err);
}

void xtars_agent_finish(struct xtars_agent *a, enum xtars_run_status status, const char *message)
{
    set_status(a, status, message);
}

void xtars_agent_stop(struct xtars_agent *a)
{
    a->stop = 1;
}

const char *xtars_agent_dir(const struct xtars_agent *a) { return a->dir; }

struct xtars_rect xtars_agent_target(const struct xtars_agent *a) { return a->target; }

void xtars_agent_free(struct xtars_agent *a)
{
    char ended[40], reason[XTARS_ERRLEN];

    if (a == NULL)
        return;
    if (a->exec)
        xtars_exec_release_all(a->exec);
    if (a->traj) {
        xtars_clock_iso(ended, sizeof ended);
        if (a->status == XTARS_RUN_RUNNING)
            set_status(a, a->stop ? XTARS_RUN_STOPPED : XTARS_RUN_ERROR,
                       a->stop ? "interrupted" : "ended without a result");
        write_run_json(a, ended, reason); /* nobody to tell: free returns nothing */
    }
    xtars_traj_close(a->traj);
    xtars_exec_free(a->exec);
    xtars_model_free(a->model);
    xtars_capture_free(a->capture);
    xtars_policy_free(a->policy);
    xtars_shot_cleanup(&a->shot);
    free(a);
}

static xtars_err open_capture(struct xtars_agent *a, char *err)
{
    struct xtars_capture_options copts;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    memset(&copts, 0, sizeof copts);
    copts.display = a->cfg.display[0] ? a->cfg.display : NULL;
    copts.monitor = a->cfg.monitor[0] ? a->cfg.monitor : NULL;
    copts.cursor = a->cfg.cursor;
    if (copts.display == NULL && getenv("DISPLAY") == NULL) {
        if (getenv("WAYLAND_DISPLAY"))
            return xtars_error(err, XTARS_EDISPLAY,
                               "no X display: this is a Wayland session without DISPLAY set; "
                               "run under XWayland with DISPLAY set, or use --xvfb WxH");
        return xtars_error(err, XTARS_EDISPLAY,
                           "no X display: DISPLAY is not set (use --display, or --xvfb WxH for a "
                           "private headless screen)");
    }
    rc = xtars_capture_new(&copts, &a->capture, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "%s", reason);
    a->target = xtars_capture_rect(a->capture);
    xtars_capture_screen_size(a->capture, &a->screen_width, &a->screen_height);
    rc = xtars_smart_resize(a->target.width, a->target.height, a->cfg.min_pixels,
                            a->cfg.max_pixels, &a->sent_width, &a->sent_height);
    if (rc != XTARS_OK)
        return xtars_error(err, XTARS_ECONFIG, "cannot size the model image for a %dx%d screen: %s",
                           a->target.width, a->target.height,
                           rc == XTARS_ERANGE ? "aspect ratio above 200" : "bad size");
    return XTARS_OK;
}

static xtars_err open_executor(struct xtars_agent *a, char *err)
{
    struct xtars_exec_options eopts;

    xtars_exec_options_from_config(&eopts, &a->cfg);
    eopts.bounds = a->target;
    eopts.stop = &a->stop; /* sig_atomic_t is int on every platform xtars builds on */
    if (a->opts.dry_run)
        return xtars_exec_new_dry(&eopts, &a->exec, err);
    return xtars_exec_new_xtest(&eopts, &a->exec, err);
}

static xtars_err open_policy(struct xtars_agent *a, char *err)
{
    if (a->cfg.policy[0] == '\0')
        return xtars_policy_new_default(&a->policy, err);
    if (strcmp(a->cfg.policy, "none") == 0)
        return xtars_policy_new_empty(&a->policy, err);
    return xtars_policy_load(a->cfg.policy, &a->policy, err);
}

static xtars_err open_trajectory(struct xtars_agent *a, char *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (a->opts.out_dir) {
        snprintf(a->dir, sizeof a->dir, "%s", a->opts.out_dir);
    } else {
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(a->dir, sizeof a->dir, "%s/%s-%ld", a->cfg.out_dir, stamp, (long)getpid());
    }
    return xtars_traj_open(a->dir, &a->traj, err);
}

/* Apps launched just before the run need a moment to map and draw their
 * windows: wait at least STARTUP_MIN_MS, then until the screen has not
 * changed for STARTUP_QUIET_MS, at most startup_wait_ms in all. */
#define STARTUP_MIN_MS 500
#define STARTUP_QUIET_MS 300

static xtars_err wait_for_startup(struct xtars_agent *a, char *err)
{
    struct xtars_image frame;
    uint64_t previous = 0, current;
    double start = xtars_clock_ms(), last_change = start;
    xtars_err rc;

    xtars_image_init(&frame);
    while (!a->stop) {
        double now = xtars_clock_ms();
        if ((rc = xtars_capture_grab(a->capture, &frame, err)) != XTARS_OK)
            return rc;
        current = xtars_image_fingerprint(&frame);
        if (current != previous)
            last_change = now;
        previous = current;
        if ((now - start >= STARTUP_MIN_MS && now - last_change >= STARTUP_QUIET_MS) ||
            now - start >= a->opts.startup_wait_ms)
            break;
        xtars_clock_sleep_ms(SETTLE_INTERVAL_MS);
    }
    return XTARS_OK;
}

xtars_err xtars_agent_new(const struct xtars_config *cfg, const struct xtars_agent_options *opts,
                          struct xtars_agent **out, char err[static XTARS_ERRLEN])
{
    struct xtars_agent *a;
    xtars_err rc;

    *out = NULL;
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    a->cfg = *cfg;
    if (opts)
        a->opts = *opts;
    a->opts.out_dir = NULL; /* not kept: copied into dir below */
    snprintf(a->source, sizeof a->source, "%s", opts && opts->source ? opts->source : "run");
    snprintf(a->title, sizeof a->title, "%s", opts && opts->title ? opts->title : "");
    xtars_shot_init(&a->shot, IMAGE_MAX_BYTES);
    xtars_shot_options_from_config(&a->cfg, &a->shot_opts);
    xtars_clock_iso(a->started_at, sizeof a->started_at);
    if ((rc = xtars_log_add_secret_vars(a->cfg.redact, err)) != XTARS_OK ||
        (rc = open_policy(a, err)) != XTARS_OK || (rc = open_capture(a, err)) != XTARS_OK ||
        (rc = open_executor(a, err)) != XTARS_OK) {
        xtars_agent_free(a);
        return rc;
    }
    a->opts.out_dir = opts ? opts->out_dir : NULL;
    rc = open_trajectory(a, err);
    a->opts.out_dir = NULL;
    if (rc == XTARS_OK)
        rc = write_run_json(a, NULL, err);
    if (rc == XTARS_OK && a->opts.startup_wait_ms > 0)
        rc = wait_for_startup(a, err);
    if (rc != XTARS_OK) {
        xtars_agent_free(a);
        return rc;
    }
    *out = a;
    return XTARS_OK;
}

/* ---- replay ---------------------------------------------------------------- */

const char *xtars_agent_dry_log(const struct xtars_agent *a)
{
    return xtars_exec_dry_log(a->exec);
}

/* Reads and decodes a recorded screenshot. */
static xtars_err load_recorded(const struct xtars_traj_run *run, const struct xtars_traj_step *step,
                               struct xtars_image *out, char *err)
{
    char path[PATH_MAX + 300], reason[XTARS_ERRLEN];
    struct xtars_buf file;
    xtars_err rc;

    snprintf(path, sizeof path, "%s/%s", run->dir, step->screenshot);
    if ((rc = xtars_buf_read_file(&file, path, IMAGE_MAX_BYTES, reason)) != XTARS_OK)
        return xtars_error(err, rc, "%s", reason);
    rc = xtars_image_decode(file.data, file.len, out, reason);
    xtars_buf_cleanup(&file);
    return rc == XTARS_OK ? XTARS_OK : xtars_error(err, rc, "%s: %s", path, reason);
}

/* The side-by-side image, captioned, as `name` in the replay's directory. */
static xtars_err write_diff(struct xtars_agent *a, const struct xtars_image *recorded,
                            const struct xtars_image *live, const char *name, const char *caption,
                            char *err)
{
    static const struct xtars_color fg = {240, 240, 240}, bg = {40, 40, 40};
    const char *labels[3] = {"recorded", "live (resized as recorded)", caption};
    struct xtars_image diff;
    struct xtars_buf png;
    xtars_err rc;

    xtars_image_init(&diff);
    xtars_buf_init(&png, IMAGE_MAX_BYTES);
    rc = xtars_replay_diff_image(recorded, live, &diff, err);
    for (int i = 0; rc == XTARS_OK && i < 3; i++)
        xtars_draw_text(&diff, xtars_replay_diff_panel_x(recorded->width, i) + 4, 5, labels[i], 1, fg,
                        bg);
    if (rc == XTARS_OK)
        rc = xtars_image_encode_png(&diff, a->cfg.png_level, &png, err);
    if (rc == XTARS_OK)
        rc = xtars_traj_write_file(a->traj, name, png.data, png.len, err);
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&diff);
    return rc;
}

/* Compares the frame just captured, resized to the recorded screenshot's
 * size (the resize the recording made), with that screenshot. On a
 * divergence writes the diff image and describes it in message. Only
 * failures to record are errors; an unreadable recorded screenshot is a
 * note (the step is then not verified). */
static xtars_err verify_step(struct xtars_agent *a, const struct xtars_traj_run *run,
                             const struct xtars_traj_step *step, double threshold,
                             struct step_record *s, char *message, size_t size, char *err)
{
    struct xtars_image recorded, live;
    struct xtars_replay_compare cmp;
    char reason[XTARS_ERRLEN], note[NOTE_LEN], name[32], caption[96];
    xtars_err rc = XTARS_OK;

    message[0] = '\0';
    xtars_image_init(&recorded);
    xtars_image_init(&live);
    if (step->screenshot == NULL) {
        add_note(s, "not verified: the recorded step has no screenshot");
    } else if (load_recorded(run, step, &recorded, reason) != XTARS_OK ||
               xtars_image_resize(&a->shot.frame, recorded.width, recorded.height, &live, reason) != XTARS_OK ||
               xtars_replay_compare(&recorded, &live, &cmp, reason) != XTARS_OK) {
        snprintf(note, sizeof note, "not verified: %.500s", reason);
        add_note(s, note);
    } else {
        s->has_similarity = 1;
        s->similarity = cmp.similarity;
        if (cmp.similarity < threshold) {
            snprintf(name, sizeof name, "diff-%04d.png", a->step + 1);
            snprintf(caption, sizeof caption, "difference: similarity %.3f < %.3f", cmp.similarity,
                     threshold);
            rc = write_diff(a, &recorded, &live, name, caption, err);
            snprintf(message, size, "step %d diverged from recorded step %d: similarity %.3f is below "
                     "%.3f (%d of %d cells differ, within %dx%d+%d+%d of the screenshot); diff image "
                     "(recorded | live | difference): %.600s/%s", a->step + 1, step->step, cmp.similarity,
                     threshold, cmp.differing, cmp.cells_x * cmp.cells_y, cmp.changed.width,
                     cmp.changed.height, cmp.changed.x, cmp.changed.y, a->dir, name);
        }
    }
    xtars_image_cleanup(&recorded);
    xtars_image_cleanup(&live);
    return rc;
}

/* The recorded actions as they will be performed: those that succeeded in
 * the recording, mapped onto the live target, waits scaled by the speed. */
static xtars_err prepare_actions(const struct xtars_agent *a, const struct xtars_traj_run *run,
                                 const struct xtars_traj_step *step, double speed,
                                 struct xtars_action *out, struct step_record *s, char *err)
{
    struct xtars_rect from = {run->target_x, run->target_y, run->target_width, run->target_height};
    char note[NOTE_LEN];

    if (step->action_count > XTARS_PARSE_MAX_ACTIONS)
        return xtars_error(err, XTARS_EFORMAT, "recorded step %d has %d actions; at most %d can be "
                           "replayed in one step", step->step, step->action_count, XTARS_PARSE_MAX_ACTIONS);
    for (int i = 0; i < step->action_count; i++) {
        struct xtars_action *x = &out[s->action_count];
        if (!step->action_ok[i]) {
            snprintf(note, sizeof note, "recorded action %d (%s) failed in the recording and is not "
                     "performed", i + 1, xtars_action_type_name(step->actions[i].type));
            add_note(s, note);
            continue;
        }
        if (xtars_action_copy(x, &step->actions[i]) != XTARS_OK)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        s->action_count++;
        xtars_replay_map_action(&from, &a->target, x);
        if (x->type == XTARS_ACTION_WAIT && speed > 0)
            x->ms = (int)((x->ms ? x->ms : a->cfg.wait_ms) / speed);
    }
    return XTARS_OK;
}

/* With --speed: the step lasts until deadline (ms on the monotonic clock);
 * one last frame says whether the screen changed. */
static xtars_err pace(struct xtars_agent *a, double deadline, uint64_t before, struct step_record *s,
                      char *err)
{
    struct xtars_image frame;
    double start = xtars_clock_ms();
    xtars_err rc;

    while (!a->stop && xtars_clock_ms() < deadline) {
        double left = deadline - xtars_clock_ms();
        xtars_clock_sleep_ms(left > SETTLE_INTERVAL_MS ? SETTLE_INTERVAL_MS : (int)left + 1);
    }
    xtars_image_init(&frame);
    if ((rc = xtars_capture_grab(a->capture, &frame, err)) != XTARS_OK)
        return rc;
    s->changed = xtars_image_fingerprint(&frame) != before;
    s->settle_ms = xtars_clock_ms() - start;
    return XTARS_OK;
}

/* Performs the prepared actions; a failed one ends the replay (ERROR). */
static void act_recorded(struct xtars_agent *a, struct run_state *rs, struct step_record *s,
                         const struct xtars_traj_step *step, struct xtars_agent_result *res)
{
    int done = 0;

    act(a, rs, s, res, &done);
    for (int i = 0; i < s->action_count && !done && !a->stop; i++) {
        if (s->ok[i])
            continue;
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "step %d (recorded step %d): %s failed: %.600s",
                 a->step + 1, step->step, xtars_action_type_name(s->actions[i].type), s->errors[i]);
        break;
    }
}

/* The step diverged: record it and stop, or let the model take it. */
static xtars_err diverge(struct xtars_agent *a, const struct xtars_traj_run *run,
                         const struct xtars_replay_options *o, struct run_state *rs,
                         struct step_record *s, const char *message, struct xtars_agent_result *res,
                         char *err)
{
    xtars_err rc;
    int done = 1;

    if (o->on_diverge != XTARS_REPLAY_ASK_MODEL) {
        add_note(s, message);
        res->status = XTARS_RUN_DIVERGED;
        snprintf(res->message, sizeof res->message, "%s", message);
        if ((rc = record_step(a, s, err)) == XTARS_OK)
            report_step(a, rs, s, "", &done, res);
        return rc;
    }
    a->pending.set = 1;
    a->pending.similarity = s->similarity;
    a->pending.recorded_step = s->recorded_step;
    snprintf(a->pending.note, sizeof a->pending.note, "%.500s; the model took this step", message);
    rc = xtars_agent_run(a, run->instruction && run->instruction[0] ? run->instruction : a->title, 1,
                         res, err);
    a->pending.set = 0;
    a->replay_model_steps++;
    if (rc == XTARS_OK && res->status == XTARS_RUN_MAX_STEPS) /* it took its one step */
        res->status = XTARS_RUN_RUNNING, res->message[0] = '\0';
    return rc;
}

static void replay_progress(const struct xtars_agent *a, const struct xtars_traj_run *run,
                            struct run_state *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->max_steps = a->replay_total > 0 ? a->replay_total : run->step_count;
}

/* Performs the recorded step (or skips it), then paces or settles. Errors
 * on the way (a step too large, the display gone) end the replay with
 * ERROR but the step is still recorded. */
static void replay_actions(struct xtars_agent *a, const struct xtars_traj_run *run,
                           const struct xtars_traj_step *step, const struct xtars_replay_options *o,
                           struct run_state *rs, struct step_record *s, struct xtars_action *actions,
                           uint64_t before, double t0, struct xtars_agent_result *res, char *summary)
{
    char note[NOTE_LEN], reason[XTARS_ERRLEN];
    xtars_err rc = XTARS_OK;

    if (!step->replayable) {
        snprintf(note, sizeof note, "skipped: recorded step %d is not replayable (%.400s)", step->step,
                 step->note_count ? step->notes[0] : "no reason recorded");
        add_note(s, note);
        a->replay_skipped++;
    } else if ((rc = prepare_actions(a, run, step, o->speed, actions, s, reason)) == XTARS_OK) {
        s->actions = actions;
        act_recorded(a, rs, s, step, res);
        summarize(s->actions, s->action_count, summary, 512);
    }
    if (rc == XTARS_OK && o->speed > 0 && step->total_ms > 0)
        rc = pace(a, t0 + step->total_ms / o->speed, before, s, reason);
    else if (rc == XTARS_OK && performed_input(s))
        rc = settle(a, before, s, reason);
    else if (rc == XTARS_OK)
        s->settled = 1; /* nothing was done: nothing to wait for (as in a run) */
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
    }
}

xtars_err xtars_agent_replay_step(struct xtars_agent *a, const struct xtars_traj_run *run, int index,
                                  const struct xtars_replay_options *o,
                                  struct xtars_agent_result *res, char err[static XTARS_ERRLEN])
{
    const struct xtars_traj_step *step = &run->steps[index];
    double threshold = o->threshold > 0 ? o->threshold : XTARS_REPLAY_DEFAULT_THRESHOLD;
    struct xtars_action actions[XTARS_PARSE_MAX_ACTIONS];
    struct step_record s;
    struct run_state rs;
    char summary[512] = "", reason[XTARS_ERRLEN], message[1024] = "";
    uint64_t before = 0;
    double t0 = xtars_clock_ms();
    int done = 0;
    xtars_err rc;

    memset(res, 0, sizeof *res);
    memset(&s, 0, sizeof s);
    replay_progress(a, run, &rs);
    xtars_clock_iso(s.started_at, sizeof s.started_at);
    s.recorded_step = step->step;
    s.reply = step->reply, s.thought = step->thought, s.reflection = step->reflection;
    if (perceive(a, &before, &s.capture_ms, &s.encode_ms, reason) != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
        return XTARS_OK;
    }
    snprintf(s.screenshot, sizeof s.screenshot, "step-%04d.%s", a->step + 1,
             a->cfg.image_format == XTARS_IMAGE_JPEG ? "jpg" : "png");
    rc = xtars_traj_write_file(a->traj, s.screenshot, a->shot.data.data, a->shot.data.len, err);
    if (rc == XTARS_OK && o->verify)
        rc = verify_step(a, run, step, threshold, &s, message, sizeof message, err);
    if (rc != XTARS_OK || message[0]) /* a divergence records (or hands over) the step itself */
        return rc == XTARS_OK ? diverge(a, run, o, &rs, &s, message, res, err) : rc;
    replay_actions(a, run, step, o, &rs, &s, actions, before, t0, res, summary);
    s.total_ms = xtars_clock_ms() - t0;
    rc = record_step(a, &s, err);
    if (rc == XTARS_OK)
        report_step(a, &rs, &s, summary, &done, res);
    for (int i = 0; i < s.action_count; i++)
        xtars_action_cleanup(&actions[i]);
    return rc;
}

static int in_range(const struct xtars_traj_step *step, const struct xtars_replay_options *o)
{
    return (o->first_step <= 0 || step->step >= o->first_step) &&
           (o->last_step <= 0 || step->step <= o->last_step);
}

static void replay_summary(const struct xtars_agent *a, const struct xtars_traj_run *run, int steps,
                           struct xtars_agent_result *res)
{
    size_t used = (size_t)snprintf(res->message, sizeof res->message, "replayed %d step%s", steps,
                                   steps == 1 ? "" : "s");

    if (a->replay_skipped && used < sizeof res->message)
        used += (size_t)snprintf(res->message + used, sizeof res->message - used,
                                 "; %d not replayable, skipped", a->replay_skipped);
    if (a->replay_model_steps && used < sizeof res->message)
        used += (size_t)snprintf(res->message + used, sizeof res->message - used,
                                 "; %d taken by the model", a->replay_model_steps);
    if (run->warning[0] && used < sizeof res->message)
        snprintf(res->message + used, sizeof res->message - used, "; %s", run->warning);
}

xtars_err xtars_agent_replay(struct xtars_agent *a, const struct xtars_traj_run *run,
                             const struct xtars_replay_options *o, struct xtars_agent_result *res,
                             char err[static XTARS_ERRLEN])
{
    int first_step = a->step;
    xtars_err rc = XTARS_OK;

    memset(res, 0, sizeof *res);
    snprintf(a->replay_of, sizeof a->replay_of, "%s", run->dir);
    if (a->title[0] == '\0') { /* a replay killed later still names its task in run.json */
        snprintf(a->title, sizeof a->title, "%s", run->instruction ? run->instruction : "");
        if ((rc = write_run_json(a, NULL, err)) != XTARS_OK) {
            res->status = XTARS_RUN_ERROR;
            snprintf(res->message, sizeof res->message, "%s", err);
            return rc;
        }
    }
    a->replay_total = 0;
    for (int i = 0; i < run->step_count; i++)
        a->replay_total += in_range(&run->steps[i], o);
    if (a->replay_total == 0) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "no recorded step in the range %d..%d (the "
                 "trajectory has %d steps)", o->first_step, o->last_step, run->step_count);
    }
    for (int i = 0; i < run->step_count && rc == XTARS_OK && res->status == XTARS_RUN_RUNNING; i++) {
        if (!in_range(&run->steps[i], o))
            continue;
        if (a->stop) {
            res->status = XTARS_RUN_STOPPED;
            snprintf(res->message, sizeof res->message, "interrupted");
        } else if (o->before_step && o->before_step(&run->steps[i], o->user)) {
            res->status = XTARS_RUN_STOPPED;
            snprintf(res->message, sizeof res->message, "stopped before recorded step %d",
                     run->steps[i].step);
        } else {
            rc = xtars_agent_replay_step(a, run, i, o, res, err);
        }
    }
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", err);
    } else if (res->status == XTARS_RUN_RUNNING) {
        res->status = XTARS_RUN_FINISHED;
        replay_summary(a, run, a->step - first_step, res);
    }
    rc = end_call(a, res, first_step, rc, err);
    return rc;
}
