/* xtars/trajectory.h: the on-disk record of a run (docs/trajectory.md).
 *
 * A trajectory directory holds run.json (rewritten atomically: temp file,
 * fsync, rename), steps.jsonl (one JSON object per completed step, each line
 * written whole and flushed to the disk before the next step starts) and the
 * screenshot of every step exactly as sent to the model.
 *
 * Ownership: xtars_traj_load() fills a caller's struct xtars_traj_run whose
 * pointers belong to it until xtars_traj_run_cleanup(). run.json and step
 * lines are written from the same structs by the record layer's one
 * serializer (agent/record/traj_write.h), which shares its key names with
 * the reader, so the format cannot drift in two places.
 */
#ifndef XTARS_TRAJECTORY_H
#define XTARS_TRAJECTORY_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_TRAJ_FORMAT "xtars-trajectory"
#define XTARS_TRAJ_VERSION 1

/* Writing is the record layer's (agent/record/traj_file.h and traj_write.h):
 * an embedder records runs through xtars_agent (agent.h). */

/* ---- Reading (replay, report, export) ---- */

/* One line of steps.jsonl. Filled by the reader (which owns every pointer
 * until xtars_traj_run_cleanup()); the writer takes the same struct with
 * borrowed pointers and only reads it. */
struct xtars_traj_step {
    int step;
    char *started_at;             /* UTC ISO 8601, or NULL */
    char *screenshot;             /* file name in the directory, or NULL */
    int sent_width, sent_height;
    double capture_ms, encode_ms, model_ms, exec_ms, settle_ms, total_ms;
    int model_called;             /* "model" is an object (else null: no model call) */
    double latency_ms;            /* of the model call */
    int attempts;
    long prompt_tokens, completion_tokens;  /* read: 0 when not reported;
                                               written: null when negative */
    char *finish_reason;          /* or NULL */
    char *reply, *thought, *reflection, *parse_error;  /* each may be NULL */
    struct xtars_action *actions;
    int action_count;
    int *action_ok;               /* action_count flags */
    double *action_ms;            /* action_count durations */
    char **action_errors;         /* action_count strings or NULLs */
    char **notes;
    int note_count;
    int settled, screen_changed;
    int replayable;               /* 0 for imported steps that could not be translated */
    double similarity;            /* replay --verify score, or -1 when absent */
    int recorded_step;            /* replays: the recorded step replayed, or 0 */
    char *source_action;          /* imported steps: the action as the other tool recorded it
                                     (OSWorld pyautogui code), or NULL */
    char *origin;                 /* task caches: "cache" when the step was replayed or answered
                                     from a cache, else NULL */
    char *judge;                  /* task questions: "assert", "query" or "wait_until", else NULL */
    char *request;                /* task questions: the question's text as sent, else NULL */
    /* Added in 0.1 after the first release of this struct (at the end: the offsets above
       stay): */
    char *model_request;          /* the request sent to the model, a JSON object as text: the
                                     chat body with each screenshot by file name and each earlier
                                     reply by its step (docs/trajectory.md), or NULL */
    char *instruction;            /* the first step of each instruction: its text, or NULL */
    char *check_command;          /* a task's check: the command, or NULL (then the three
                                     below are unset) */
    int check_exit_status;        /* its exit status, or -1 when it did not exit (timed out,
                                     could not start) */
    char *check_error;            /* why it failed, or NULL */
    char *check_output;           /* the tail of its stdout and stderr, or NULL */
};

/* run.json, and the steps read with it. Same ownership as a step. */
struct xtars_traj_run {
    char dir[4096];
    char *source, *instruction, *model, *endpoint, *status, *message;
    char *started_at, *ended_at;
    char *replay_of;              /* replays: the trajectory replayed, or NULL */
    char *imported_from;          /* imports: the file or directory read, or NULL */
    char *xtars_version;          /* read: of the xtars that wrote it (the writer writes its own) */
    char *config;                 /* the configuration as JSON text (read: compact), or NULL */
    int dry_run;
    int steps_written;            /* run.json "steps": lines steps.jsonl should hold */
    int family;                   /* enum xtars_family */
    int screen_width, screen_height;
    int target_x, target_y, target_width, target_height;
    int sent_width, sent_height;
    int image_format;             /* enum xtars_image_format */
    long prompt_tokens, completion_tokens;
    long recorder_pid;            /* the process that wrote it, 0 when not recorded */
    char recorder_host[256];      /* and its host name, "" when not recorded */
    char recorder_pid_ns[64];     /* and its pid namespace ("pid:[4026531836]"), or "" */
    struct xtars_traj_step *steps;
    int step_count;
    char warning[XTARS_ERRLEN];   /* "" or the first bad line of steps.jsonl */
};

/* Reads run.json and every complete step of steps.jsonl. A bad or truncated
 * line ends the steps read and is described in run->warning (the complete
 * steps before it are kept). Errors: EFORMAT (not a trajectory, unknown
 * version: the message names both), EIO, ENOMEM. On failure *run is clean. */
XTARS_API
xtars_err xtars_traj_load(const char *dir, struct xtars_traj_run *run,
                          char err[static XTARS_ERRLEN]);

/* 1 when run.json still says "running" but the process that recorded it is
 * known to be gone (same host and pid namespace, no such pid): it was killed
 * before it could write how the run ended. 0 when it may still be running,
 * or cannot be told (another host or container, no recorder recorded). */
XTARS_API
int xtars_traj_abandoned(const struct xtars_traj_run *run);


/* Same from text already in memory (run.json and steps.jsonl, which may be
 * NULL when steps_len is 0); dir is only used in messages and run->dir.
 * Same errors and warning as xtars_traj_load(). */
XTARS_API
xtars_err xtars_traj_parse(const char *dir, const char *run_json, size_t run_len,
                           const char *steps, size_t steps_len, struct xtars_traj_run *run,
                           char err[static XTARS_ERRLEN]);

/* Frees everything xtars_traj_load() allocated. Accepts a zeroed run. */
XTARS_API
void xtars_traj_run_cleanup(struct xtars_traj_run *run);

#ifdef __cplusplus
}
#endif
#endif
