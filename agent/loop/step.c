/* step.c: one step of the perceive-think-act loop and a run of them.
 * Capture -> resize -> encode -> model -> parse -> policy -> execute ->
 * settle, with every completed step written to the trajectory before the
 * next begins. It must never leave input held, never lose a completed step,
 * and turn every failure into a status and a one-line message. Logs
 * nothing: the caller's step callback decides what to show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/clock.h"
#include "agent/record/traj_file.h"
#include "agent/loop/agent_internal.h"
#include "agent/record/traj_write.h"
#include "xtars/image.h"
#include "xtars/log.h"

#define SETTLE_STABLE_FRAMES 2
/* The request as a step records it: the prompt, notes and one short message
 * per earlier step (history.c); a record past this is left out. */
#define REQUEST_RECORD_MAX (1u << 20)

void agent_add_note(struct step_record *s, const char *text)
{
    if (s->note_count < 2)
        snprintf(s->notes[s->note_count++], NOTE_LEN, "%.*s", NOTE_LEN - 1, text); /* cut */
}

/* Captures the target, resizes it to the sent size and encodes it into
 * a->shot.data; the fingerprint of the raw frame is for change detection. */
xtars_err agent_perceive(struct xtars_agent *a, uint64_t *fingerprint, double *capture_ms,
                         double *encode_ms, char *err)
{
    xtars_err rc = agent_shoot(a, err);

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
xtars_err agent_settle(struct xtars_agent *a, uint64_t before, struct step_record *s, char *err)
{
    struct xtars_image frame;
    double start = xtars_clock_ms();
    uint64_t previous, current;
    int stable = 0;
    xtars_err rc;

    xtars_image_init(&frame);
    if ((rc = agent_grab(a, &frame, err)) != XTARS_OK)
        return rc;
    previous = xtars_image_fingerprint(&frame);
    s->settled = a->cfg.settle_timeout_ms == 0 || a->capture == NULL; /* a still never changes */
    while (!s->settled && !a->stop && xtars_clock_ms() - start < a->cfg.settle_timeout_ms) {
        xtars_clock_sleep_ms(SETTLE_INTERVAL_MS);
        if ((rc = agent_grab(a, &frame, err)) != XTARS_OK)
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

/* Writes the step's screenshot, named after the step it belongs to. */
xtars_err agent_save_shot(struct xtars_agent *a, struct step_record *s, char *err)
{
    snprintf(s->screenshot, sizeof s->screenshot, "step-%04d.%s", a->step + 1,
             a->shot.format == XTARS_IMAGE_JPEG ? "jpg" : "png"); /* a still's may differ */
    return xtars_traj_write_file(a->traj, s->screenshot, a->shot.data.data, a->shot.data.len, err);
}

static void model_call(const struct xtars_model_reply *reply, struct xtars_traj_step *t)
{
    t->model_called = 1;
    t->latency_ms = reply->latency_ms;
    t->attempts = reply->attempts;
    t->prompt_tokens = reply->prompt_tokens;
    t->completion_tokens = reply->completion_tokens;
    t->finish_reason = reply->finish_reason[0] ? (char *)reply->finish_reason : NULL;
}

/* The step as the trajectory records it. t borrows s's text (the writer
 * only reads it, hence the casts); errors and notes are arrays for t's
 * pointers. A model step that took over a diverged recorded step (replay)
 * also gets what was left pending for it. */
static void traj_step(const struct xtars_agent *a, const struct step_record *s,
                      struct xtars_traj_step *t, char **errors, char **notes)
{
    int pending = a->pending.set;

    memset(t, 0, sizeof *t);
    t->step = a->step + 1;
    t->started_at = (char *)s->started_at;
    t->screenshot = s->screenshot[0] ? (char *)s->screenshot : NULL;
    t->sent_width = a->sent_width, t->sent_height = a->sent_height;
    t->capture_ms = s->capture_ms, t->encode_ms = s->encode_ms, t->model_ms = s->model_ms;
    t->exec_ms = s->exec_ms, t->settle_ms = s->settle_ms, t->total_ms = s->total_ms;
    if (s->model)
        model_call(s->model, t);
    t->reply = (char *)s->reply, t->thought = (char *)s->thought;
    t->reflection = (char *)s->reflection, t->parse_error = (char *)s->parse_error;
    t->actions = (struct xtars_action *)s->actions;
    t->action_count = s->action_count;
    t->action_ok = (int *)s->ok;
    t->action_ms = (double *)s->action_ms;
    for (int i = 0; i < s->action_count; i++)
        errors[i] = s->errors[i][0] ? (char *)s->errors[i] : NULL;
    t->action_errors = errors;
    t->settled = s->settled, t->screen_changed = s->changed;
    for (int i = 0; i < s->note_count; i++)
        notes[t->note_count++] = (char *)s->notes[i];
    if (pending && a->pending.note[0])
        notes[t->note_count++] = (char *)a->pending.note;
    t->notes = notes;
    t->replayable = 1;
    t->similarity = s->has_similarity ? s->similarity : pending ? a->pending.similarity : -1;
    t->recorded_step = s->recorded_step ? s->recorded_step : pending ? a->pending.recorded_step : 0;
    /* a diverged cached step performs nothing: it is not the cache's */
    if (s->cached || (a->from_cache && s->recorded_step > 0 && s->action_count > 0))
        t->origin = "cache";
    t->judge = (char *)s->judge, t->request = (char *)s->request;
    t->model_request = (char *)s->model_request, t->instruction = (char *)s->instruction;
    t->check_command = (char *)s->check_command, t->check_error = (char *)s->check_error;
    t->check_output = (char *)s->check_output, t->check_exit_status = s->check_exit_status;
}

xtars_err agent_record_step(struct xtars_agent *a, const struct step_record *s, char *err)
{
    struct xtars_traj_step t;
    char *errors[XTARS_PARSE_MAX_ACTIONS], *notes[4], outside[NOTE_LEN];
    xtars_err rc;

    traj_step(a, s, &t, errors, notes);
    if (a->opts.step_note && a->opts.step_note(outside, sizeof outside, a->opts.user))
        notes[t.note_count++] = outside;
    rc = xtars_traj_record_step(a->traj, &t, 0, err);
    if (rc == XTARS_OK) {
        a->step++;
        a->pending.set = 0;
    }
    return rc;
}

/* One line naming the actions, for progress output and the stuck guard. */
void agent_summarize(const struct xtars_action *actions, int count, char *out, size_t size)
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

/* Performs the parsed actions in order until one ends the run. */
void agent_act(struct xtars_agent *a, struct run_state *rs, struct step_record *s,
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
        effect = xtars_guard_check(&a->guard, x, reason, sizeof reason); /* asks opts.confirm */
        if (effect != XTARS_POLICY_ALLOW) {
            snprintf(s->errors[i], sizeof s->errors[i], "denied by policy: %.170s", reason);
            /* The model is told in its own terms (rs->note); people (progress
             * line, trajectory, report) read what happened. */
            snprintf(rs->note, sizeof rs->note, "Your action %s was refused by the user's policy "
                     "(%s). Do not try it again; find another way or call_user().",
                     xtars_action_type_name(x->type), reason);
            snprintf(note, sizeof note, "%s not performed: %s (%s)", xtars_action_type_name(x->type),
                     effect == XTARS_POLICY_CONFIRM ? "the action policy wants a person's yes and "
                                                      "none was given"
                                                    : "the action policy denies it",
                     reason);
            agent_add_note(s, note);
            continue;
        }
        s->ok[i] = xtars_exec_perform(a->exec, x, &er, failure) == XTARS_OK;
        xtars_guard_performed(&a->guard, x, s->ok[i]);
        if (!s->ok[i]) {
            snprintf(s->errors[i], sizeof s->errors[i], "%.199s", failure);
            snprintf(note, sizeof note, "Your action %s failed: %s.", xtars_action_type_name(x->type),
                     s->errors[i]);
            snprintf(rs->note, sizeof rs->note, "%s", note);
            agent_add_note(s, note);
        }
        s->action_ms[i] = xtars_clock_ms() - t0;
        s->exec_ms += s->action_ms[i];
    }
}

/* Whether any action of the step was carried out (and so may change the
 * screen): only then is settling worth its time. */
int agent_performed_input(const struct step_record *s)
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
        agent_add_note(s, rs->note);
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

    rc = xtars_request_build_recorded(&a->cfg, rs->prompt.data, rs->history,
                                      rs->note[0] ? rs->note : NULL, &rs->body, &rs->record, NULL,
                                      err);
    rs->note[0] = '\0';
    s->model_request = rs->record.len ? rs->record.data : NULL;
    if (rc == XTARS_OK)
        rc = xtars_model_complete(a->model, rs->body.data, rs->body.len, reply, err);
    s->model_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        return 0;
    res->status = a->stop || rc == XTARS_ESTOPPED ? XTARS_RUN_STOPPED
                  : rc == XTARS_EMODEL || rc == XTARS_ETIMEOUT ? XTARS_RUN_MODEL_ERROR
                                                                : XTARS_RUN_ERROR;
    snprintf(res->message, sizeof res->message, "%s", err);
    agent_add_note(s, err);
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

void agent_report_step(struct xtars_agent *a, struct run_state *rs, const struct step_record *s,
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


/* Performs the parsed actions, waits for the screen to settle and watches
 * for a loop that is stuck. Losing the display on the way ends the run
 * with ERROR (the step is still recorded). */
static void act_and_settle(struct xtars_agent *a, struct run_state *rs, struct step_record *s,
                           uint64_t before, char *summary, size_t size,
                           struct xtars_agent_result *res, int *done)
{
    char reason[XTARS_ERRLEN];
    xtars_err rc = XTARS_OK;

    agent_act(a, rs, s, res, done);
    agent_summarize(s->actions, s->action_count, summary, size);
    if (agent_performed_input(s))
        rc = agent_settle(a, before, s, reason);
    else
        s->settled = 1; /* nothing was done: nothing to wait for */
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
        *done = 1;
    } else if (!*done) {
        stuck_guard(a, rs, summary, s, res, done);
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
    rc = agent_perceive(a, &before, &s.capture_ms, &s.encode_ms, reason);
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
        *done = 1;
        return XTARS_OK;
    }
    rc = agent_save_shot(a, &s, err);
    if (rc == XTARS_OK)
        rc = xtars_history_add_image(rs->history, a->shot.data.data, a->shot.data.len,
                                     a->cfg.image_format);
    if (rc == XTARS_OK)
        rc = xtars_history_label(rs->history, a->step + 1, s.screenshot);
    if (rc != XTARS_OK)
        return rc;
    s.instruction = rs->instruction;
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
        if (rc == XTARS_OK && !*done)
            act_and_settle(a, rs, &s, before, summary, sizeof summary, res, done);
    }
    s.total_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        rc = agent_record_step(a, &s, err);
    if (rc == XTARS_OK)
        rs->instruction = NULL; /* recorded with the run's first step */
    if (rc == XTARS_OK)
        agent_report_step(a, rs, &s, summary, done, res);
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
        if ((rc = agent_write_run(a, NULL, err)) != XTARS_OK)
            return rc;
    }
    xtars_buf_init(&template_text, XTARS_PROMPT_MAX_BYTES);
    rc = xtars_prompt_load(a->cfg.prompt, NULL, &template_text, err);
    if (rc == XTARS_OK)
        rc = xtars_prompt_render(template_text.data, a->cfg.language, instruction, &rs->prompt);
    xtars_buf_cleanup(&template_text);
    if (rc == XTARS_OK && xtars_history_new(a->cfg.history_images, &rs->history) != XTARS_OK)
        rc = xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (rc == XTARS_OK && a->history_from > 0)
        rc = agent_seed_history(a, rs->history, err);
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
    xtars_buf_init(&rs.record, REQUEST_RECORD_MAX);
    rs.instruction = instruction;
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
    rc = agent_end_call(a, res, first_step, rc, err);
    xtars_history_free(rs.history);
    xtars_buf_cleanup(&rs.prompt);
    xtars_buf_cleanup(&rs.body);
    xtars_buf_cleanup(&rs.record);
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
    rc = agent_perceive(a, &before, &s.capture_ms, &s.encode_ms, err);
    if (rc == XTARS_OK)
        rc = agent_save_shot(a, &s, err);
    if (rc == XTARS_OK && xtars_parse_action(call, strlen(call), &space, &action, res->message) != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        s.parse_error = res->message;
    } else if (rc == XTARS_OK) {
        s.actions = &action;
        s.action_count = 1;
        agent_act(a, &rs, &s, res, &done);
        if (!s.ok[0]) {
            res->status = XTARS_RUN_ERROR;
            snprintf(res->message, sizeof res->message, "%s", s.errors[0]);
        }
        rc = agent_settle(a, before, &s, err);
    }
    s.reply = call;
    s.total_ms = xtars_clock_ms() - t0;
    if (rc == XTARS_OK)
        rc = agent_record_step(a, &s, err);
    xtars_exec_release_all(a->exec);
    xtars_action_cleanup(&action);
    res->steps = rc == XTARS_OK ? 1 : 0;
    return rc;
}

/* A step that is a note only; check may add what a check did. */
static xtars_err record_note_step(struct xtars_agent *a, const char *kind, const char *note, int ok,
                                  const struct xtars_agent_check *check, char *err)
{
    struct step_record s;
    char text[NOTE_LEN];

    memset(&s, 0, sizeof s);
    xtars_clock_iso(s.started_at, sizeof s.started_at);
    snprintf(text, sizeof text, "%s %s: %s", kind, ok ? "passed" : "failed", note);
    agent_add_note(&s, text);
    s.settled = 1;
    if (check) {
        s.check_command = check->command;
        s.check_exit_status = check->exit_status;
        s.check_error = check->error && check->error[0] ? check->error : NULL;
        s.check_output = check->output;
    }
    return agent_record_step(a, &s, err);
}

xtars_err xtars_agent_record_note(struct xtars_agent *a, const char *kind, const char *note, int ok,
                                  char err[static XTARS_ERRLEN])
{
    return record_note_step(a, kind, note, ok, NULL, err);
}

xtars_err xtars_agent_record_check(struct xtars_agent *a, const struct xtars_agent_check *check,
                                   char err[static XTARS_ERRLEN])
{
    return record_note_step(a, "check", check->command ? check->command : "", check->passed, check,
                            err);
}
