/* look.c: the agent's parts that task files use beyond run, act and replay
 * (agent/loop/look.h): a capture without a step, a question to a model
 * recorded as a step, steps marked as replayed from a cache, and a run's
 * history seeded with the steps before it. Never asks a model itself and
 * never prints. */
#include "agent/loop/look.h"

#include <stdio.h>
#include <string.h>

#include "agent/base/clock.h"
#include "agent/loop/agent_internal.h"

xtars_err xtars_agent_look(struct xtars_agent *a, struct xtars_look *out, char *err)
{
    xtars_err rc;

    memset(out, 0, sizeof *out);
    xtars_clock_iso(out->started_at, sizeof out->started_at);
    rc = agent_perceive(a, &out->fingerprint, &out->capture_ms, &out->encode_ms, err);
    if (rc != XTARS_OK)
        return rc;
    out->frame = &a->shot.frame;
    out->image = a->shot.data.data;
    out->image_len = a->shot.data.len;
    out->format = a->cfg.image_format;
    return XTARS_OK;
}

xtars_err xtars_agent_record_question(struct xtars_agent *a, const struct xtars_look *look,
                                      const struct xtars_agent_question *q, char *err)
{
    struct step_record s;
    xtars_err rc;

    memset(&s, 0, sizeof s);
    snprintf(s.started_at, sizeof s.started_at, "%s", look->started_at);
    s.capture_ms = look->capture_ms, s.encode_ms = look->encode_ms;
    s.model_ms = q->model_ms, s.total_ms = q->total_ms;
    s.model = q->model;
    s.reply = q->reply;
    s.judge = q->judge;
    s.request = q->request;
    s.cached = q->cached;
    s.has_similarity = q->similarity >= 0;
    s.similarity = q->similarity;
    s.settled = 1;
    if (q->verdict)
        agent_add_note(&s, q->verdict);
    if (q->model && q->model->prompt_tokens > 0)
        a->prompt_tokens += q->model->prompt_tokens;
    if (q->model && q->model->completion_tokens > 0)
        a->completion_tokens += q->model->completion_tokens;
    rc = agent_save_shot(a, &s, err);
    return rc == XTARS_OK ? agent_record_step(a, &s, err) : rc;
}

int xtars_agent_steps_recorded(const struct xtars_agent *a)
{
    return a->step;
}

void xtars_agent_mark_cache(struct xtars_agent *a, int on)
{
    a->from_cache = on;
}

void xtars_agent_seed_history(struct xtars_agent *a, int from_step)
{
    a->history_from = from_step > 0 ? from_step : 0;
}

const atomic_int *xtars_agent_stop_flag(const struct xtars_agent *a)
{
    return &a->stop;
}

/* Only steps that acted belong in the history: a diverged step or a
 * question has no reply the model should continue from. */
static xtars_err seed_one(const struct xtars_agent *a, const struct xtars_traj_step *step,
                          struct xtars_history *h, char *err)
{
    char path[PATH_MAX + 64], reason[XTARS_ERRLEN];
    struct xtars_buf image;
    xtars_err rc;

    if (step->screenshot == NULL || step->reply == NULL || step->action_count == 0 || step->judge)
        return XTARS_OK;
    snprintf(path, sizeof path, "%s/%s", a->dir, step->screenshot);
    if ((rc = xtars_buf_read_file(&image, path, IMAGE_MAX_BYTES, reason)) != XTARS_OK)
        return xtars_error(err, rc, "history: %s", reason);
    rc = xtars_history_add_image(h, image.data, image.len, a->cfg.image_format);
    if (rc == XTARS_OK)
        rc = xtars_history_set_reply(h, step->reply);
    xtars_buf_cleanup(&image);
    return rc == XTARS_OK ? XTARS_OK : xtars_error(err, rc, "history: out of memory");
}

xtars_err agent_seed_history(struct xtars_agent *a, struct xtars_history *h, char *err)
{
    struct xtars_traj_run run;
    char reason[XTARS_ERRLEN];
    int from = a->history_from;
    xtars_err rc;

    a->history_from = 0;
    if ((rc = xtars_traj_load(a->dir, &run, reason)) != XTARS_OK)
        return xtars_error(err, rc, "history: %s", reason);
    for (int i = 0; i < run.step_count && rc == XTARS_OK; i++)
        if (run.steps[i].step >= from)
            rc = seed_one(a, &run.steps[i], h, err);
    xtars_traj_run_cleanup(&run);
    return rc;
}
