/* agent_internal.h: what the parts of the loop share (agent.c: lifecycle
 * and run.json; step.c: one step and a run; replay_loop.c: replays). Private
 * to agent/loop/: nothing here is API, and nothing outside the loop may rely
 * on the layout of struct xtars_agent.
 */
#ifndef XTARS_AGENT_INTERNAL_H
#define XTARS_AGENT_INTERNAL_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>

#include "agent/config/config_internal.h"
#include "xtars/agent.h"
#include "xtars/buf.h"
#include "xtars/capture.h"
#include "xtars/exec.h"
#include "xtars/model.h"
#include "xtars/parse.h"
#include "agent/loop/guard.h"
#include "agent/model/prompt.h"
#include "xtars/trajectory.h"

#define IMAGE_MAX_BYTES (64u << 20)
#define SETTLE_INTERVAL_MS 40
#define NOTE_LEN 600

struct xtars_agent {
    struct xtars_config cfg;
    struct xtars_agent_options opts;
    char source[32];
    char title[4096];
    atomic_int stop;                /* set by xtars_agent_stop(); the executor and the
                                       model client check it between events and retries */

    struct xtars_capture *capture;
    struct xtars_rect target;
    int screen_width, screen_height;
    int sent_width, sent_height;
    struct xtars_shot_options shot_opts;
    struct xtars_shot shot;         /* this step's capture, resized and encoded */
    /* No display (opts.dry_screen, still.c): the picture seen instead of the
     * screen, already encoded as a step's screenshot, and decoded. */
    struct {
        struct xtars_buf encoded;
        struct xtars_image frame;
        int format;                 /* enum xtars_image_format of encoded */
    } still;
    struct xtars_executor *exec;
    struct xtars_guard guard;       /* the policy and the input stream as it follows it */
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
    /* Task caches (agent/loop/look.h): steps replayed now come from a
     * cache; the next run's history starts with the steps from this one. */
    int from_cache;
    int history_from;
    struct {
        int set;
        double similarity;
        int recorded_step;
        char note[NOTE_LEN];
    } pending;
};

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
    const char *judge;       /* task question: its kind, or NULL */
    const char *request;     /* task question: its text as sent, or NULL */
    int cached;              /* answered from a task cache */
    const char *model_request; /* the request as recorded (history.c), or NULL */
    const char *instruction; /* the first step of a run: its instruction, or NULL */
    const char *check_command, *check_error, *check_output;  /* a task's check, or NULLs */
    int check_exit_status;
};

struct run_state {
    struct xtars_history *history;
    struct xtars_buf prompt;        /* rendered template + instruction */
    struct xtars_buf body;          /* the request */
    struct xtars_buf record;        /* the request as the step records it */
    const char *instruction;        /* until the run's first step is recorded */
    char note[2 * NOTE_LEN];        /* told to the model with the next request */
    int parse_failures;
    char last_summary[512];
    int same_without_change;
    int max_steps;
};

/* ---- agent.c ---- */

/* Rewrites run.json from the agent's state; ended_at NULL while running. */
xtars_err agent_write_run(struct xtars_agent *a, const char *ended_at, char *err);

/* Ends a run or replay call: see agent.c. */
xtars_err agent_end_call(struct xtars_agent *a, struct xtars_agent_result *res, int first_step,
                         xtars_err rc, char *err);

/* ---- still.c: the screen of an agent without a display ---- */

/* Sets target, screen and sent size from opts.dry_screen and shows a blank
 * frame. ECONFIG without dry_run or for a bad rectangle. */
xtars_err agent_still_open(struct xtars_agent *a, char *err);
void agent_still_cleanup(struct xtars_agent *a);
/* Shows the screenshot recorded for a replayed step (a blank frame, with a
 * note in s, when it has none or it cannot be read). EIO/ENOMEM only for
 * failing to make the blank frame. */
xtars_err agent_still_show_recorded(struct xtars_agent *a, const struct xtars_traj_run *run,
                                    const struct xtars_traj_step *step, struct step_record *s,
                                    char *err);
/* Reads and decodes a recorded step's screenshot (file keeps the bytes;
 * on failure both are empty and err names the file). */
xtars_err agent_read_recorded(const struct xtars_traj_run *run, const struct xtars_traj_step *step,
                              struct xtars_buf *file, struct xtars_image *out, char *err);
/* What the loop uses instead of xtars_capture_grab() / xtars_capture_shot():
 * the capture, or without a display the still picture (the frame borrowed
 * from the agent until the next call). */
xtars_err agent_grab(struct xtars_agent *a, struct xtars_image *frame, char *err);
xtars_err agent_shoot(struct xtars_agent *a, char *err);

/* ---- look.c ---- */

/* Adds the steps recorded since a->history_from (their screenshots and
 * replies) to a run's fresh history, then clears history_from. */
xtars_err agent_seed_history(struct xtars_agent *a, struct xtars_history *h, char *err);

/* ---- step.c ---- */

void agent_add_note(struct step_record *s, const char *text);
xtars_err agent_perceive(struct xtars_agent *a, uint64_t *fingerprint, double *capture_ms,
                         double *encode_ms, char *err);
xtars_err agent_save_shot(struct xtars_agent *a, struct step_record *s, char *err);
xtars_err agent_settle(struct xtars_agent *a, uint64_t before, struct step_record *s, char *err);
void agent_act(struct xtars_agent *a, struct run_state *rs, struct step_record *s,
               struct xtars_agent_result *res, int *done);
int agent_performed_input(const struct step_record *s);
void agent_summarize(const struct xtars_action *actions, int count, char *out, size_t size);
xtars_err agent_record_step(struct xtars_agent *a, const struct step_record *s, char *err);
void agent_report_step(struct xtars_agent *a, struct run_state *rs, const struct step_record *s,
                       const char *summary, int *done, struct xtars_agent_result *res);

#endif
