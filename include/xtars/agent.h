/* xtars/agent.h: the perceive-think-act loop, callable from C.
 *
 * An agent owns a display connection (capture), an executor (XTest, or the
 * dry-run executor), a model client (created on first use) and one
 * trajectory directory. xtars_agent_run() drives the model on one
 * instruction until finished(), call_user(), max_steps, a failure, or
 * xtars_agent_stop(); it may be called several times (a task file's steps),
 * all recorded in the same trajectory, each with a fresh model history.
 *
 * Ownership: xtars_agent_new() copies the config and the option strings it
 * keeps. xtars_agent_free() releases every held key and button, writes the
 * final run.json (status as last set by xtars_agent_finish(), else from the
 * last run) and frees everything; it accepts NULL.
 * Threads: xtars_agent_stop() may be called from another thread or from a
 * signal handler; everything else from one thread. Agents in different
 * threads are independent, X errors included: the first capture or executor
 * installs xtars's Xlib error and I/O error handlers once for the process;
 * they chain to the handlers installed before them, which keep receiving
 * every error xtars did not trap (errors are trapped per thread and per
 * connection, only around xtars's own requests). An I/O error on xtars's own
 * connections (the server went away) fails the call with EDISPLAY instead of
 * exiting (XSetIOErrorExitHandler, libX11 >= 1.8; older libX11 exits); the
 * host's connections keep its I/O handler, or Xlib's, which exits. A host
 * that sets Xlib handlers after xtars must chain to the ones it replaces.
 *
 * Signals: xtars changes no signal disposition. A write to an X server or a
 * model server that went away raises SIGPIPE, whose default ends the
 * process; ignore it (as the xtars command does) to get the error instead.
 */
#ifndef XTARS_AGENT_H
#define XTARS_AGENT_H

#include "xtars/action.h"
#include "xtars/config.h"
#include "xtars/coords.h"
#include "xtars/error.h"
#include "xtars/trajectory.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xtars_run_status {
    XTARS_RUN_RUNNING = 0,
    XTARS_RUN_FINISHED,      /* the model said finished() */
    XTARS_RUN_CALL_USER,     /* the model asked for a human */
    XTARS_RUN_MAX_STEPS,
    XTARS_RUN_STUCK,         /* the same action kept having no effect */
    XTARS_RUN_PARSE_ERRORS,  /* too many unparseable replies in a row */
    XTARS_RUN_MODEL_ERROR,   /* the endpoint failed after retries */
    XTARS_RUN_ERROR,         /* any other runtime error */
    XTARS_RUN_STOPPED,       /* xtars_agent_stop(), Ctrl-C, SIGTERM */
    XTARS_RUN_DIVERGED,      /* replay --verify: the screen no longer matches */
    XTARS_RUN_FAILED         /* a task check failed */
};

/* Name used in run.json ("finished", "call_user", ...). */
XTARS_API
const char *xtars_run_status_name(enum xtars_run_status status);

/* The documented exit code for a final status (0, 1, 3 or 4). */
XTARS_API
int xtars_run_status_exit_code(enum xtars_run_status status);

/* What the per-step callback sees. Pointers are valid during the call only. */
struct xtars_agent_step_info {
    int step;                 /* 1-based, across the whole trajectory */
    int max_steps;            /* of the current instruction */
    const char *thought;      /* may be NULL */
    const char *summary;      /* one line: the actions, as "click (640,380); type 'abc'" */
    const char *note;         /* NULL, or what went wrong (parse error, policy refusal) */
    double capture_ms, encode_ms, model_ms, exec_ms, settle_ms;
};

struct xtars_agent_options {
    const char *out_dir;      /* trajectory directory to create; NULL: <out_dir>/<timestamp>-<pid> */
    const char *source;       /* run.json "source"; NULL: "run" */
    const char *title;        /* run.json "instruction" when several runs share a trajectory */
    int dry_run;              /* perform no input events */
    /* > 0: before the first step, give apps launched just before time to
     * draw: wait at least 0.5 s, then until the screen has been still for
     * 0.3 s, at most this long in all. */
    int startup_wait_ms;
    /* Called after every step; return nonzero to stop the run. May be NULL. */
    int (*on_step)(const struct xtars_agent_step_info *info, void *user);
    /* Called for actions the policy wants confirmed; return nonzero to allow.
     * NULL: deny (no terminal). */
    int (*confirm)(const struct xtars_action *action, const char *reason, void *user);
    void *user;
    /* Called as each step is recorded (agent, literal action or note step):
     * may write one line about what happened around the agent meanwhile (a
     * launched app exited) into note, size bytes, and return nonzero to add
     * it to the step's notes. May be NULL. */
    int (*step_note)(char *note, size_t size, void *user);
    /* A dry run without a display (docs/replay.md): with dry_run and a
     * nonzero size, the agent connects to no X server. It acts on this
     * rectangle of an imagined screen (x, y: its origin, >= 0) through the
     * dry-run executor bounded to it, and sees a still picture instead of
     * the screen: during a replay the screenshot recorded for the step being
     * replayed (its bytes become the step's screenshot unchanged), otherwise,
     * or for a recorded step without a readable screenshot, a grey frame of
     * the size the model would get. The picture never changes: settling is
     * immediate, no final screen is written, startup_wait_ms is ignored, and
     * a replay with verify ends with status ERROR (nothing to verify
     * against). Zero: capture the display as usual. ECONFIG without dry_run
     * or for a bad rectangle. */
    struct xtars_rect dry_screen;
};

struct xtars_agent_result {
    enum xtars_run_status status;
    char message[1024];       /* finished / call_user content, or the one-line error */
    int steps;                /* steps taken by this call */
};

struct xtars_agent;

/* Connects to the display (cfg->display or $DISPLAY; none for
 * opts->dry_screen), sets up capture, the executor and the policy, creates the trajectory directory and writes
 * run.json with status "running". Errors: EDISPLAY (no display, with a hint
 * for Wayland sessions), ECONFIG (bad monitor, policy), EIO (output dir). */
XTARS_API
xtars_err xtars_agent_new(const struct xtars_config *cfg, const struct xtars_agent_options *opts,
                          struct xtars_agent **out, char err[static XTARS_ERRLEN]);

/* Runs the loop for one instruction. max_steps 0 = cfg->max_steps. The
 * returned code is XTARS_OK whenever the run ended in an orderly way (any
 * status, including model errors and stops, is in *result); other codes are
 * failures to record (EIO: disk full). */
XTARS_API
xtars_err xtars_agent_run(struct xtars_agent *agent, const char *instruction, int max_steps,
                          struct xtars_agent_result *result, char err[static XTARS_ERRLEN]);

/* Performs one literal UI-TARS call (task files), in the given family's
 * coordinate space, recorded as a step without a model. result->status is
 * FINISHED when it ran, ERROR (with message) when it was refused or failed. */
XTARS_API
xtars_err xtars_agent_act(struct xtars_agent *agent, const char *call, int family,
                          struct xtars_agent_result *result, char err[static XTARS_ERRLEN]);

/* Records a step that is not an action (a task check or wait), with a note. */
XTARS_API
xtars_err xtars_agent_record_note(struct xtars_agent *agent, const char *kind, const char *note,
                                  int ok, char err[static XTARS_ERRLEN]);

/* A task check as it ran (all text borrowed for the call). */
struct xtars_agent_check {
    const char *command;          /* the shell command */
    int passed;                   /* exited 0 */
    int exit_status;              /* its exit status, -1 when it did not exit */
    const char *error;            /* why it failed ("timed out after 5000 ms"), or NULL */
    const char *output;           /* the tail of its stdout and stderr, or NULL; the trajectory
                                     redacts it like every text it records */
};

/* Records a check as a step: the note xtars_agent_record_note() writes for
 * it ("check passed: COMMAND") and the command, exit status, reason and
 * output (docs/trajectory.md, "check"). Errors: EIO. */
XTARS_API
xtars_err xtars_agent_record_check(struct xtars_agent *agent, const struct xtars_agent_check *check,
                                   char err[static XTARS_ERRLEN]);

/* Sets the final status and message written to run.json by free. */
XTARS_API
void xtars_agent_finish(struct xtars_agent *agent, enum xtars_run_status status,
                        const char *message);

/* Asks the loop to stop at the next safe point. Async-signal-safe. */
XTARS_API
void xtars_agent_stop(struct xtars_agent *agent);

/* The trajectory directory. */
XTARS_API
const char *xtars_agent_dir(const struct xtars_agent *agent);

/* The screen rectangle the agent captures and acts on. */
XTARS_API
struct xtars_rect xtars_agent_target(const struct xtars_agent *agent);

XTARS_API
void xtars_agent_free(struct xtars_agent *agent);

/* What the dry-run executor would have done so far (docs/actions.md), one
 * event a line; NULL when the agent performs real input. Valid until the
 * next call on the agent. */
XTARS_API
const char *xtars_agent_dry_log(const struct xtars_agent *agent);

/* ---- Replay (docs/replay.md) ----
 * A replay performs the actions of a recorded trajectory instead of asking
 * the model, and records its own trajectory the way a run does (give the
 * agent options source "replay"): each replayed step gets a fresh
 * screenshot, the actions as performed (mapped onto the live target with
 * xtars_replay_map_point() when the recorded target had another size),
 * "recorded_step", and with verification "similarity". Actions go through
 * the policy as a run's do. Actions that failed in the recording are not
 * performed (a note says so); steps marked "replayable": false are skipped
 * with a note. */

enum xtars_replay_on_diverge {
    XTARS_REPLAY_STOP = 0,       /* end with status diverged (exit 4) */
    XTARS_REPLAY_ASK_MODEL       /* the model takes that one step (the recorded instruction,
                                    a fresh history), then the replay goes on */
};

struct xtars_replay_options {
    int first_step, last_step;   /* recorded step numbers to replay, inclusive; 0: from the
                                    first / to the last */
    int verify;                  /* compare each step's screen with the recorded screenshot */
    double threshold;            /* similarity below this is a divergence; 0: the default
                                    XTARS_REPLAY_DEFAULT_THRESHOLD (replay.h) */
    int on_diverge;              /* enum xtars_replay_on_diverge */
    double speed;                /* > 0: each step lasts its recorded timings.total_ms / speed
                                    (and wait() actions last ms / speed); 0: settle after the
                                    actions as a run does */
    /* Called before each recorded step, before anything is captured; return
     * nonzero to stop the replay (status stopped). May be NULL. */
    int (*before_step)(const struct xtars_traj_step *step, void *user);
    void *user;
};

/* Replays the steps of `run` (loaded with xtars_traj_load(); a warning in it
 * does not matter here: every step loaded is replayed). Before each step the
 * screen is captured as in a run; with verify it is also resized to the
 * recorded screenshot's size and compared (xtars_replay_compare()). When
 * xtars_replay_diverged() says so (similarity below the threshold, or a
 * changed region over XTARS_REPLAY_SMALL_CHANGE pixels) the step diverged: a side-by-side image diff-NNNN.png is
 * written into the replay's directory and named in result->message, then
 * the replay stops (DIVERGED) or the model takes the step. A recorded
 * finished() or call_user() ends the replay with that status and content;
 * replaying every selected step ends it FINISHED ("replayed N steps").
 * Returns XTARS_OK whenever it ended in an orderly way; the outcome is in
 * *result (and in run.json, written before returning). */
XTARS_API
xtars_err xtars_agent_replay(struct xtars_agent *agent, const struct xtars_traj_run *run,
                             const struct xtars_replay_options *opts,
                             struct xtars_agent_result *result, char err[static XTARS_ERRLEN]);

/* Replays one recorded step, run->steps[index], as xtars_agent_replay()
 * does (for callers that drive the steps themselves). result->status is
 * RUNNING when the replay may go on, otherwise the status it ended with.
 * Errors as for xtars_agent_run(): only failures to record. */
XTARS_API
xtars_err xtars_agent_replay_step(struct xtars_agent *agent, const struct xtars_traj_run *run,
                                  int index, const struct xtars_replay_options *opts,
                                  struct xtars_agent_result *result, char err[static XTARS_ERRLEN]);

#ifdef __cplusplus
}
#endif
#endif
