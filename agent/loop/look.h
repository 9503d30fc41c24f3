/* agent/loop/look.h: what task files need from the agent beyond running,
 * acting and replaying (docs/tasks.md): looking at the screen without
 * acting, recording a question to a model (assert, query, wait_until) as a
 * step, and marking steps that come from a task cache.
 *
 * Ownership: a struct xtars_look borrows the agent's current capture: it is
 * valid until the next call that captures (any run, act, replay or look).
 * Records copy what they are given.
 */
#ifndef XTARS_LOOK_H
#define XTARS_LOOK_H

#include <stddef.h>
#include <stdint.h>

#include "xtars/agent.h"
#include "xtars/image.h"
#include "xtars/model.h"

/* The screen as the model would see it now. */
struct xtars_look {
    const struct xtars_image *frame; /* the target as captured, before resizing */
    const void *image;               /* as sent to a model: PNG or JPEG bytes */
    size_t image_len;
    int format;                      /* enum xtars_image_format */
    uint64_t fingerprint;            /* of frame, for "has the screen changed" */
    double capture_ms, encode_ms;
    char started_at[40];
};

/* Captures and encodes the target as a step would. Nothing is recorded.
 * EDISPLAY and the capture's other errors. */
xtars_err xtars_agent_look(struct xtars_agent *agent, struct xtars_look *out, char *err);

/* One question to a model, and its answer, to record as a step. */
struct xtars_agent_question {
    const char *judge;                     /* "assert", "query", "wait_until" */
    const char *request;                   /* the question's text as sent */
    const struct xtars_model_reply *model; /* the call; NULL when answered from a cache */
    const char *reply;                     /* the answer's text */
    const char *verdict;                   /* one line for the notes: "assert passed: ..." */
    int cached;                            /* answered from a task cache */
    double similarity;                     /* of the screen with the cached one, or -1 */
    double model_ms, total_ms;
};

/* Records the question as a step whose screenshot is the last look's (no
 * capture may happen in between). Errors: those of the trajectory. */
xtars_err xtars_agent_record_question(struct xtars_agent *agent, const struct xtars_look *look,
                                      const struct xtars_agent_question *q, char *err);

/* The number of steps recorded so far in the agent's trajectory (the last
 * step number). */
int xtars_agent_steps_recorded(const struct xtars_agent *agent);

/* While on, steps replayed with xtars_agent_replay_step() are marked as
 * coming from a cache ("origin": "cache"). */
void xtars_agent_mark_cache(struct xtars_agent *agent, int on);

/* The next xtars_agent_run() starts its history with the steps recorded
 * from step number from_step on (their screenshots and replies), so a model
 * taking over from a cache sees what was done so far. 0: a fresh history. */
void xtars_agent_seed_history(struct xtars_agent *agent, int from_step);

/* The agent's stop flag, for a model client the caller owns. */
const atomic_int *xtars_agent_stop_flag(const struct xtars_agent *agent);

#endif
