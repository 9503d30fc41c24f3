/* agent.c: an agent's lifecycle: connecting capture, executor, policy and
 * trajectory (or, for a dry run without a display, the still picture of
 * still.c), waiting for launched apps to start, recording how each call
 * ended in run.json, and tearing down so that no input stays held and the
 * final status is written. One step and a run are in step.c, replays in
 * replay_loop.c. Logs nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/clock.h"
#include "agent/base/xerror.h"
#include "agent/record/traj_file.h"
#include "agent/loop/agent_internal.h"
#include "agent/loop/options.h"
#include "agent/base/redact.h"
#include "agent/record/traj_write.h"
#include "xtars/image.h"
#include "xtars/log.h"

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

static void set_status(struct xtars_agent *a, enum xtars_run_status status, const char *message)
{
    a->status = status;
    snprintf(a->message, sizeof a->message, "%s", message ? message : "");
}

/* run.json as it stands. The struct borrows the agent's text (the writer
 * only reads it, hence the casts); the writer strips the endpoint's
 * credentials and redacts secrets. */
xtars_err agent_write_run(struct xtars_agent *a, const char *ended_at, char *err)
{
    struct xtars_traj_run run;
    struct xtars_buf config;
    xtars_err rc;

    memset(&run, 0, sizeof run);
    xtars_buf_init(&config, 1 << 22);
    if (xtars_config_to_json(&a->cfg, 0, &config) != XTARS_OK) {
        xtars_buf_cleanup(&config);
        return xtars_error(err, XTARS_ETOOBIG, "run.json: too large");
    }
    xtars_traj_recorder(&run.recorder_pid, run.recorder_host, sizeof run.recorder_host,
                        run.recorder_pid_ns, sizeof run.recorder_pid_ns);
    run.source = a->source;
    run.replay_of = a->replay_of[0] ? a->replay_of : NULL;
    run.instruction = a->title;
    run.model = a->cfg.model;
    run.endpoint = a->cfg.endpoint;
    run.family = a->cfg.family;
    run.dry_run = a->opts.dry_run;
    run.screen_width = a->screen_width, run.screen_height = a->screen_height;
    run.target_x = a->target.x, run.target_y = a->target.y;
    run.target_width = a->target.width, run.target_height = a->target.height;
    run.sent_width = a->sent_width, run.sent_height = a->sent_height;
    run.image_format = a->cfg.image_format;
    run.config = config.data;
    run.started_at = a->started_at;
    run.ended_at = (char *)ended_at;
    run.status = (char *)xtars_run_status_name(a->status);
    run.message = a->message[0] ? a->message : NULL;
    run.steps_written = a->step;
    run.prompt_tokens = a->prompt_tokens, run.completion_tokens = a->completion_tokens;
    rc = xtars_traj_record_run(a->traj, &run, err);
    xtars_buf_cleanup(&config);
    return rc;
}
/* Ends a run or replay call in order: a stop wins over anything but
 * finished(), held input is released, the status and step count are set and
 * run.json is rewritten. Returns rc, or the error writing run.json. */
xtars_err agent_end_call(struct xtars_agent *a, struct xtars_agent_result *res, int first_step,
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
        rc = agent_write_run(a, NULL, err);
    return rc;
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

/* The screen after the last action (final.png or .jpg, as sent to the
 * model), for the report: a step's screenshot shows the screen before its
 * actions. Not after an error: the display may be what failed. Best effort:
 * a run that cannot capture it simply has none. */
static void save_final_screen(struct xtars_agent *a)
{
    char err[XTARS_ERRLEN];

    if (a->capture == NULL || a->step == 0 || a->status == XTARS_RUN_ERROR)
        return;
    if (xtars_capture_shot(a->capture, &a->shot_opts, &a->shot, err) == XTARS_OK)
        xtars_traj_write_file(a->traj, a->cfg.image_format == XTARS_IMAGE_JPEG ? "final.jpg"
                                                                                : "final.png",
                              a->shot.data.data, a->shot.data.len, err);
}

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
        save_final_screen(a);
        agent_write_run(a, ended, reason); /* nobody to tell: free returns nothing */
    }
    xtars_traj_close(a->traj);
    xtars_exec_free(a->exec);
    xtars_model_free(a->model);
    xtars_capture_free(a->capture);
    agent_still_cleanup(a);
    xtars_guard_cleanup(&a->guard);
    xtars_shot_cleanup(&a->shot);
    free(a);
}

static xtars_err open_capture(struct xtars_agent *a, char *err)
{
    struct xtars_capture_options copts;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    if (a->opts.dry_screen.width != 0 || a->opts.dry_screen.height != 0)
        return agent_still_open(a, err); /* no display: a dry run on a still picture */
    xtars_capture_options_from_config(&a->cfg, &copts);
    if (copts.display == NULL && getenv("DISPLAY") == NULL) {
        if (getenv("WAYLAND_DISPLAY"))
            return xtars_error(err, XTARS_EDISPLAY,
                               "no X display: this is a Wayland session without DISPLAY set; "
                               "run under XWayland with DISPLAY set, or use --xvfb WxH");
        return xtars_error(err, XTARS_EDISPLAY, "%s", XTARS_NO_DISPLAY_MESSAGE);
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

    xtars_exec_options_from_config(&a->cfg, &eopts);
    eopts.bounds = a->target;
    eopts.stop = &a->stop;
    if (a->opts.dry_run)
        return xtars_exec_new_dry(&eopts, &a->exec, err);
    return xtars_exec_new_xtest(&eopts, &a->exec, err);
}

struct xtars_guard *xtars_agent_guard(struct xtars_agent *a)
{
    return &a->guard;
}

static xtars_err open_policy(struct xtars_agent *a, char *err)
{
    a->guard.bounds = &a->target;
    a->guard.confirm = a->opts.confirm;
    a->guard.confirm_data = a->opts.user;
    a->guard.dry = a->opts.dry_run;
    return xtars_guard_open_policy(&a->guard, &a->cfg, err);
}

/* The policy's own view of the desktop (after capture: same display). A dry
 * run without a display (still.c) has none: the policy then knows no window
 * and no selection, and checks typed text alone. */
static xtars_err open_desk(struct xtars_agent *a, char *err)
{
    if (a->opts.dry_screen.width != 0 || a->opts.dry_screen.height != 0)
        return XTARS_OK;
    return xtars_guard_open_desk(&a->guard, a->cfg.display, err);
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

/* Credentials inside the endpoint URL and literal credential headers are
 * redacted from everything the agent writes, like the API key. */
static xtars_err add_config_secrets(const struct xtars_config *cfg, char *err)
{
    xtars_err rc = xtars_redact_add_url(cfg->endpoint);

    if (rc == XTARS_OK)
        rc = xtars_redact_add_headers(cfg->extra_headers);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "log: cannot register the endpoint's and headers' credentials "
                                    "for redaction: %s", xtars_strerror(rc));
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
        (rc = add_config_secrets(&a->cfg, err)) != XTARS_OK ||
        (rc = open_policy(a, err)) != XTARS_OK || (rc = open_capture(a, err)) != XTARS_OK ||
        (rc = open_desk(a, err)) != XTARS_OK || (rc = open_executor(a, err)) != XTARS_OK) {
        xtars_agent_free(a);
        return rc;
    }
    a->opts.out_dir = opts ? opts->out_dir : NULL;
    rc = open_trajectory(a, err);
    a->opts.out_dir = NULL;
    if (rc == XTARS_OK)
        rc = agent_write_run(a, NULL, err);
    if (rc == XTARS_OK && a->opts.startup_wait_ms > 0 && a->capture)
        rc = wait_for_startup(a, err);
    if (rc != XTARS_OK) {
        xtars_agent_free(a);
        return rc;
    }
    *out = a;
    return XTARS_OK;
}

const char *xtars_agent_dry_log(const struct xtars_agent *a)
{
    return xtars_exec_dry_log(a->exec);
}
