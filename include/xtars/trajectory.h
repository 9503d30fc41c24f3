/* xtars/trajectory.h: the on-disk record of a run (docs/trajectory.md).
 *
 * A trajectory directory holds run.json (rewritten atomically: temp file,
 * fsync, rename), steps.jsonl (one JSON object per completed step, each line
 * written whole and flushed to the disk before the next step starts) and the
 * screenshot of every step exactly as sent to the model.
 *
 * Ownership: xtars_traj_open() returns a handle that xtars_traj_close() frees
 * (accepts NULL). The functions here write text they are given; run.json
 * and step lines are built from the structs below by the record layer's one
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

/* Space set aside in the directory while a run is recorded, given up when the
 * disk is full so the final run.json still fits; removed on close. */
#define XTARS_TRAJ_RESERVE_NAME ".xtars-reserve"
#define XTARS_TRAJ_RESERVE (64 * 1024) /* run.json is usually 2-4 KB */

struct xtars_traj;

/* Creates dir (and missing parents), opens steps.jsonl for appending and
 * sets XTARS_TRAJ_RESERVE bytes aside for run.json. A directory that already
 * holds a run.json is refused (EIO), so no run is overwritten. Errors name
 * the path and the system error. */
XTARS_API
xtars_err xtars_traj_open(const char *dir, struct xtars_traj **out, char err[static XTARS_ERRLEN]);

/* The directory path given to open. */
XTARS_API
const char *xtars_traj_dir(const struct xtars_traj *traj);

/* Replaces run.json atomically with text. When that fails (disk full) and
 * the reserve is still held, the reserve is given up and the write tried
 * once more. EIO names the file on failure; the previous run.json then
 * stays intact. */
XTARS_API
xtars_err xtars_traj_write_run(struct xtars_traj *traj, const char *text, size_t len,
                               char err[static XTARS_ERRLEN]);

/* Appends one step line (text must be one JSON object without a newline) and
 * flushes it to the disk. EIO on failure; a partial line is truncated away
 * so steps.jsonl stays valid JSONL. */
XTARS_API
xtars_err xtars_traj_append_step(struct xtars_traj *traj, const char *line, size_t len,
                                 char err[static XTARS_ERRLEN]);

/* Writes a file (a screenshot) into the directory atomically. */
XTARS_API
xtars_err xtars_traj_write_file(struct xtars_traj *traj, const char *name, const void *data,
                                size_t len, char err[static XTARS_ERRLEN]);

/* Closes steps.jsonl, removes the reserve and frees the handle. Accepts
 * NULL. */
XTARS_API
void xtars_traj_close(struct xtars_traj *traj);

/* Writes data to path atomically (temp file in the same directory, fsync,
 * rename). Shared by the writer and by tools that produce one file. */
XTARS_API
xtars_err xtars_write_file_atomic(const char *path, const void *data, size_t len,
                                  char err[static XTARS_ERRLEN]);

/* Creates dir and its missing parents (mode 0755). EIO names the path. */
XTARS_API
xtars_err xtars_mkdir_p(const char *dir, char err[static XTARS_ERRLEN]);

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

/* This process as a run's recorder: pid, host name and pid namespace, as
 * written in run.json's "recorder" and read back above. */
XTARS_API
void xtars_traj_recorder(long *pid, char *host, size_t host_size, char *pid_ns,
                         size_t pid_ns_size);

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
