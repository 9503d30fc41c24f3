/* replay_loop.c: replaying a recorded trajectory on the live screen, step
 * by step (docs/replay.md): the recorded actions mapped onto the live
 * target, optionally verified against the recorded screenshots, a
 * divergence stopping the replay or handed to the model. Every replayed
 * step is recorded like a run's; held input is always released. The pure
 * parts (mapping, comparing) are in replay.c. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/clock.h"
#include "agent/base/files.h"
#include "agent/record/traj_file.h"
#include "agent/loop/agent_internal.h"
#include "agent/record/draw.h"
#include "xtars/image.h"
#include "xtars/replay.h"

/* The config keys that set how long a replayed action takes. */
static const char *const timing_keys[] = {
    "wait_ms", "click_delay_ms", "key_delay_ms", "action_delay_ms", "double_click_ms",
    "scroll_amount", "settle_timeout_ms",
};

xtars_err xtars_replay_use_recorded_timing(struct xtars_config *cfg, const struct xtars_traj_run *run,
                                           char applied[static XTARS_ERRLEN],
                                           char err[static XTARS_ERRLEN])
{
    cJSON *config = run->config ? cJSON_Parse(run->config) : NULL;
    size_t used = 0;
    xtars_err rc = XTARS_OK;

    applied[0] = '\0';
    for (size_t i = 0; config && rc == XTARS_OK && i < sizeof timing_keys / sizeof timing_keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, timing_keys[i]);
        int field = xtars_config_field_index(timing_keys[i]);
        char text[32], reason[XTARS_ERRLEN];
        long current;
        if (!cJSON_IsNumber(v) || field < 0 || cfg->source[field] != XTARS_SOURCE_DEFAULT)
            continue; /* not recorded, or set by the user: theirs wins */
        if (xtars_config_get_int(cfg, timing_keys[i], &current, reason) == XTARS_OK &&
            (double)current == v->valuedouble)
            continue;
        snprintf(text, sizeof text, "%.0f", v->valuedouble);
        if (xtars_config_set_from(cfg, timing_keys[i], text, XTARS_SOURCE_DEFAULT, reason) != XTARS_OK) {
            rc = xtars_error(err, XTARS_EFORMAT, "%s/run.json: recorded config: %s", run->dir, reason);
            break;
        }
        if (used < XTARS_ERRLEN)
            used += (size_t)snprintf(applied + used, XTARS_ERRLEN - used, "%s%s=%s", used ? " " : "",
                                     timing_keys[i], text);
    }
    cJSON_Delete(config);
    return rc;
}

/* Reads and decodes a recorded screenshot. */
static xtars_err load_recorded(const struct xtars_traj_run *run, const struct xtars_traj_step *step,
                               struct xtars_image *out, char *err)
{
    struct xtars_buf file;
    xtars_err rc = agent_read_recorded(run, step, &file, out, err);

    if (rc == XTARS_OK)
        xtars_buf_cleanup(&file);
    return rc;
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
        agent_add_note(s, "not verified: the recorded step has no screenshot");
    } else if (load_recorded(run, step, &recorded, reason) != XTARS_OK ||
               xtars_image_resize(&a->shot.frame, recorded.width, recorded.height, &live, reason) != XTARS_OK ||
               xtars_replay_compare(&recorded, &live, &cmp, reason) != XTARS_OK) {
        snprintf(note, sizeof note, "not verified: %.500s", reason);
        agent_add_note(s, note);
    } else {
        s->has_similarity = 1;
        s->similarity = cmp.similarity;
        if (xtars_replay_diverged(&cmp, threshold)) {
            char why[160];
            if (cmp.similarity < threshold)
                snprintf(why, sizeof why, "similarity %.4f is below %.4f", cmp.similarity, threshold);
            else
                snprintf(why, sizeof why, "a changed region of %dx%d+%d+%d is larger than %dx%d "
                         "(similarity %.4f)", cmp.largest.width, cmp.largest.height, cmp.largest.x,
                         cmp.largest.y, XTARS_REPLAY_SMALL_CHANGE, XTARS_REPLAY_SMALL_CHANGE,
                         cmp.similarity);
            snprintf(name, sizeof name, "diff-%04d.png", a->step + 1);
            snprintf(caption, sizeof caption, "difference: similarity %.4f, largest change %dx%d",
                     cmp.similarity, cmp.largest.width, cmp.largest.height);
            rc = write_diff(a, &recorded, &live, name, caption, err);
            snprintf(message, size, "step %d diverged from recorded step %d: %s (%d of %d cells "
                     "differ, within %dx%d+%d+%d of the screenshot); diff image (recorded | live | "
                     "difference): %.600s/%s", a->step + 1, step->step, why, cmp.differing,
                     cmp.cells_x * cmp.cells_y, cmp.changed.width, cmp.changed.height, cmp.changed.x,
                     cmp.changed.y, a->dir, name);
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
            agent_add_note(s, note);
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
    if ((rc = agent_grab(a, &frame, err)) != XTARS_OK)
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

    agent_act(a, rs, s, res, &done);
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
        agent_add_note(s, message);
        res->status = XTARS_RUN_DIVERGED;
        snprintf(res->message, sizeof res->message, "%s", message);
        if ((rc = agent_record_step(a, s, err)) == XTARS_OK)
            agent_report_step(a, rs, s, "", &done, res);
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
        agent_add_note(s, note);
        a->replay_skipped++;
    } else if ((rc = prepare_actions(a, run, step, o->speed, actions, s, reason)) == XTARS_OK) {
        s->actions = actions;
        act_recorded(a, rs, s, step, res);
        agent_summarize(s->actions, s->action_count, summary, 512);
    }
    if (rc == XTARS_OK && o->speed > 0 && step->total_ms > 0)
        rc = pace(a, t0 + step->total_ms / o->speed, before, s, reason);
    else if (rc == XTARS_OK && agent_performed_input(s))
        rc = agent_settle(a, before, s, reason);
    else if (rc == XTARS_OK)
        s->settled = 1; /* nothing was done: nothing to wait for (as in a run) */
    if (rc != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
    }
}

/* Without a display the step sees its recorded screenshot; there is
 * nothing live to verify against, which ends the replay with ERROR. */
static xtars_err no_display(struct xtars_agent *a, const struct xtars_traj_run *run,
                            const struct xtars_traj_step *step, const struct xtars_replay_options *o,
                            struct step_record *s, struct xtars_agent_result *res, char *err)
{
    if (o->verify) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "replay: nothing to verify against: a dry run "
                 "without a display sees only the recorded screenshots (replay on a display to "
                 "verify)");
        return XTARS_OK;
    }
    return agent_still_show_recorded(a, run, step, s, err);
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
    if (a->capture == NULL && (rc = no_display(a, run, step, o, &s, res, err)) != XTARS_OK)
        return rc;
    if (res->status != XTARS_RUN_RUNNING)
        return XTARS_OK;
    if (agent_perceive(a, &before, &s.capture_ms, &s.encode_ms, reason) != XTARS_OK) {
        res->status = XTARS_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", reason);
        return XTARS_OK;
    }
    rc = agent_save_shot(a, &s, err);
    if (rc == XTARS_OK && o->verify)
        rc = verify_step(a, run, step, threshold, &s, message, sizeof message, err);
    if (rc != XTARS_OK || message[0]) /* a divergence records (or hands over) the step itself */
        return rc == XTARS_OK ? diverge(a, run, o, &rs, &s, message, res, err) : rc;
    replay_actions(a, run, step, o, &rs, &s, actions, before, t0, res, summary);
    s.total_ms = xtars_clock_ms() - t0;
    rc = agent_record_step(a, &s, err);
    if (rc == XTARS_OK)
        agent_report_step(a, &rs, &s, summary, &done, res);
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
        if ((rc = agent_write_run(a, NULL, err)) != XTARS_OK) {
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
    rc = agent_end_call(a, res, first_step, rc, err);
    return rc;
}
