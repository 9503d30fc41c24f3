/* desktop.c: the display side of the MCP tools: capture and the executor
 * (opened on first use, through the loop's option builders so they behave
 * as in a run), the coordinate space of the last screenshot, the policy
 * check before every action, settling, and the record of every tool call
 * (through the one trajectory writer). It must never perform an action the
 * policy did not allow, nor leave a key or button held after a call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/base64.h"
#include "agent/base/clock.h"
#include "agent/loop/options.h"
#include "agent/mcp/mcp_internal.h"
#include "agent/record/traj_write.h"
#include "xtars/image.h"
#include "xtars/log.h"

#define SETTLE_INTERVAL_MS 40
#define SETTLE_STABLE_FRAMES 2

/* The client cannot give the server a display: the advice is for whoever
 * wrote the client's server entry (docs/mcp.md). */
xtars_err mcp_need_display(const struct xtars_mcp *m, char err[static XTARS_ERRLEN])
{
    const char *env = getenv("DISPLAY");

    if (m->cfg.display[0] || (env && env[0])) /* Xlib takes DISPLAY="" as unset too */
        return XTARS_OK;
    return xtars_error(err, XTARS_EDISPLAY, "no X display: this xtars mcp server was started "
                       "without DISPLAY set; whoever configured the server must add --display D "
                       "(e.g. :0) or --xvfb WxH (a private headless screen) to its 'xtars mcp' "
                       "command line, or set DISPLAY in its environment (xtars mcp --help)");
}

xtars_err mcp_desktop_open_capture(struct xtars_mcp *m, char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    struct xtars_capture_options copts;
    xtars_err rc;

    if (d->capture)
        return XTARS_OK;
    if ((rc = mcp_need_display(m, err)) != XTARS_OK)
        return rc;
    xtars_capture_options_from_config(&m->cfg, &copts);
    rc = xtars_capture_new(&copts, &d->capture, err);
    if (rc != XTARS_OK)
        return rc;
    d->target = xtars_capture_rect(d->capture);
    xtars_capture_screen_size(d->capture, &d->screen_width, &d->screen_height);
    return XTARS_OK;
}

/* The executor is bound to the captured rectangle, as in a run; a dry run
 * without a display has no rectangle and only refuses negative points. */
xtars_err mcp_desktop_open_exec(struct xtars_mcp *m, char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    struct xtars_exec_options eopts;
    xtars_err rc;

    if (d->exec)
        return XTARS_OK;
    rc = mcp_desktop_open_capture(m, err);
    if (rc != XTARS_OK && !m->dry_run)
        return rc;
    /* the policy's own view of the same display; a dry run without one
     * checks the typed text alone, as an agent's does */
    if (rc == XTARS_OK && m->guard.desk == NULL &&
        (rc = xtars_guard_open_desk(&m->guard, m->cfg.display, err)) != XTARS_OK)
        return rc;
    xtars_exec_options_from_config(&m->cfg, &eopts);
    eopts.bounds = d->target;
    eopts.stop = &m->stop;
    if (m->dry_run)
        return xtars_exec_new_dry(&eopts, &d->exec, err);
    return xtars_exec_new_xtest(&eopts, &d->exec, err);
}

void mcp_desktop_close(struct xtars_mcp *m)
{
    struct mcp_desktop *d = &m->desk;

    xtars_exec_free(d->exec); /* releases every key and button first */
    xtars_xdesk_close(m->guard.desk); /* the policy state stays with the session */
    m->guard.desk = NULL;
    xtars_capture_free(d->capture);
    xtars_shot_cleanup(&d->shot);
    xtars_image_cleanup(&d->scratch);
    xtars_buf_cleanup(&d->image);
    d->exec = NULL;
    d->capture = NULL;
}

/* The size an image fitted into max_width x max_height keeps: the aspect
 * ratio, never larger than the screen. */
static void fitted(int width, int height, int max_width, int max_height, int *out_w, int *out_h)
{
    double scale = 1.0;

    if (max_width > 0 && width > max_width)
        scale = (double)max_width / width;
    if (max_height > 0 && height * scale > max_height)
        scale = (double)max_height / height;
    *out_w = (int)fmax(1, floor(width * scale + 0.5));
    *out_h = (int)fmax(1, floor(height * scale + 0.5));
    if (*out_w > max_width && max_width > 0)
        *out_w = max_width;
    if (*out_h > max_height && max_height > 0)
        *out_h = max_height;
}

static xtars_err shot_fitted(struct xtars_mcp *m, const struct mcp_shot_request *req,
                             char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    struct xtars_image frame;
    int width, height;
    xtars_err rc;

    xtars_image_init(&frame);
    if ((rc = xtars_capture_grab(d->capture, &frame, err)) != XTARS_OK)
        return rc;
    fitted(frame.width, frame.height, req->max_width, req->max_height, &width, &height);
    xtars_buf_reset(&d->image);
    if (req->format == XTARS_IMAGE_PNG) {
        rc = xtars_image_encode_png_resized(&frame, width, height, m->cfg.png_level, &d->image, err);
    } else {
        rc = xtars_image_resize(&frame, width, height, &d->scratch, err);
        if (rc == XTARS_OK)
            rc = xtars_image_encode_jpeg(&d->scratch, m->cfg.jpeg_quality, &d->image, err);
    }
    d->target = xtars_capture_rect(d->capture);
    d->image_width = width;
    d->image_height = height;
    return rc;
}

static xtars_err shot_smart(struct xtars_mcp *m, const struct mcp_shot_request *req,
                            char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    struct xtars_shot_options sopts;
    xtars_err rc;

    xtars_shot_options_from_config(&m->cfg, &sopts);
    sopts.format = req->format;
    if ((rc = xtars_capture_shot(d->capture, &sopts, &d->shot, err)) != XTARS_OK)
        return rc;
    xtars_buf_reset(&d->image);
    if (xtars_buf_append(&d->image, d->shot.data.data, d->shot.data.len) != XTARS_OK)
        return xtars_error(err, XTARS_ETOOBIG, "screenshot: image over %u bytes", MCP_IMAGE_MAX_BYTES);
    d->target = d->shot.screen;
    d->image_width = d->shot.sent_width;
    d->image_height = d->shot.sent_height;
    return XTARS_OK;
}

xtars_err mcp_desktop_screenshot(struct xtars_mcp *m, const struct mcp_shot_request *req,
                                 struct mcp_result *r, char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    xtars_err rc = mcp_desktop_open_capture(m, err);

    if (rc != XTARS_OK)
        return rc;
    rc = req->max_width || req->max_height ? shot_fitted(m, req, err) : shot_smart(m, req, err);
    if (rc != XTARS_OK) {
        d->image_width = d->image_height = 0;
        return rc;
    }
    d->image_format = req->format;
    d->max_width = req->max_width;
    d->max_height = req->max_height;
    xtars_buf_puts(&r->content, r->content.len ? ",{\"type\":\"image\",\"data\":\""
                                               : "{\"type\":\"image\",\"data\":\"");
    xtars_base64_encode(&r->content, d->image.data, d->image.len);
    xtars_buf_printf(&r->content, "\",\"mimeType\":\"%s\"}", xtars_shot_mime_type(req->format));
    mcp_result_text(r, "screen %dx%d; this image %dx%d shows the %s %dx%d at (%d,%d). The other "
                    "tools take x, y in this image's pixels (0..%d, 0..%d), or screen pixels with "
                    "space \"screen\".",
                    d->screen_width, d->screen_height, d->image_width, d->image_height,
                    d->target.width == d->screen_width && d->target.height == d->screen_height
                        ? "whole screen" : "rectangle",
                    d->target.width, d->target.height, d->target.x, d->target.y,
                    d->image_width - 1, d->image_height - 1);
    return XTARS_OK;
}

/* Before the first screenshot, the image space is the one a screenshot
 * would have: smart_resize of the target. */
static xtars_err image_space(struct xtars_mcp *m, char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    char why[XTARS_ERRLEN];
    xtars_err rc;

    if (d->image_width > 0)
        return XTARS_OK;
    if ((rc = mcp_desktop_open_capture(m, why)) != XTARS_OK) /* not err: it is printed into err */
        return xtars_error(err, rc, "no screenshot yet to take x, y from, and %s", why);
    if (xtars_smart_resize(d->target.width, d->target.height, m->cfg.min_pixels, m->cfg.max_pixels,
                           &d->image_width, &d->image_height) != XTARS_OK)
        return xtars_error(err, XTARS_ERANGE, "cannot size an image for a %dx%d screen",
                           d->target.width, d->target.height);
    return XTARS_OK;
}

xtars_err mcp_desktop_point(struct xtars_mcp *m, int space, double x, double y, int *screen_x,
                            int *screen_y, char err[static XTARS_ERRLEN])
{
    struct mcp_desktop *d = &m->desk;
    struct xtars_coord_space cs;
    xtars_err rc;

    if (space == MCP_SPACE_SCREEN) {
        if (d->capture == NULL && !m->dry_run && (rc = mcp_desktop_open_capture(m, err)) != XTARS_OK)
            return rc;
        if (d->capture && (x < d->target.x || y < d->target.y || x >= d->target.x + d->target.width ||
                           y >= d->target.y + d->target.height))
            return xtars_error(err, XTARS_ERANGE, "(%g,%g) is off the screen area %dx%d at (%d,%d)",
                               x, y, d->target.width, d->target.height, d->target.x, d->target.y);
        *screen_x = (int)floor(x);
        *screen_y = (int)floor(y);
        return XTARS_OK;
    }
    if ((rc = image_space(m, err)) != XTARS_OK)
        return rc;
    if (x >= d->image_width || y >= d->image_height)
        return xtars_error(err, XTARS_ERANGE, "(%g,%g) is outside the %dx%d screenshot (x 0..%d, "
                           "y 0..%d)", x, y, d->image_width, d->image_height, d->image_width - 1,
                           d->image_height - 1);
    cs.family = XTARS_FAMILY_UITARS15; /* absolute pixels of the image sent */
    cs.sent_width = d->image_width;
    cs.sent_height = d->image_height;
    cs.target = d->target;
    return xtars_coords_to_screen(&cs, x, y, screen_x, screen_y) == XTARS_OK
               ? XTARS_OK
               : xtars_error(err, XTARS_EINVAL, "cannot map (%g,%g) to the screen", x, y);
}

/* Waits until two frames in a row match, at most settle_timeout_ms. */
static void settle(struct xtars_mcp *m)
{
    struct xtars_image frame;
    char err[XTARS_ERRLEN];
    uint64_t previous = 0, current;
    double start = xtars_clock_ms();
    int stable = 0;

    xtars_image_init(&frame);
    while (!m->stop && stable < SETTLE_STABLE_FRAMES &&
           xtars_clock_ms() - start < m->cfg.settle_timeout_ms) {
        if (xtars_capture_grab(m->desk.capture, &frame, err) != XTARS_OK)
            return;
        current = xtars_image_fingerprint(&frame);
        stable = current == previous ? stable + 1 : 0;
        previous = current;
        if (stable < SETTLE_STABLE_FRAMES)
            xtars_clock_sleep_ms(SETTLE_INTERVAL_MS);
    }
}

/* ---- the record of tool calls ---- */

struct call_record {
    const char *call_text;      /* "click {...}": the step's "reply" */
    const struct xtars_action *actions;
    int count;
    const int *ok;
    const double *ms;
    const char *error;          /* of every action not ok */
    int with_image;             /* the last screenshot belongs to this call */
    const char *note;
};

static void record(struct xtars_mcp *m, const struct call_record *c)
{
    struct xtars_traj_step t;
    char started[40], file[32] = "", err[XTARS_ERRLEN];
    char *errors[3] = {NULL, NULL, NULL}, *notes[1];

    if (m->traj == NULL)
        return;
    memset(&t, 0, sizeof t);
    xtars_clock_iso(started, sizeof started);
    if (c->with_image && m->desk.image.data) {
        snprintf(file, sizeof file, "step-%04d.%s", m->steps + 1,
                 m->desk.image_format == XTARS_IMAGE_JPEG ? "jpg" : "png");
        if (xtars_traj_write_file(m->traj, file, m->desk.image.data, m->desk.image.len, err) != XTARS_OK) {
            xtars_log_warn("mcp: %s", err);
            file[0] = '\0';
        }
    }
    for (int i = 0; i < c->count && i < 3; i++)
        errors[i] = c->ok[i] ? NULL : (char *)c->error;
    t.step = m->steps + 1;
    t.started_at = started;
    t.screenshot = file[0] ? file : NULL;
    t.sent_width = m->desk.image_width, t.sent_height = m->desk.image_height;
    t.reply = (char *)c->call_text; /* the writer only reads (and redacts) it */
    t.actions = (struct xtars_action *)c->actions;
    t.action_count = c->count;
    t.action_ok = (int *)c->ok;
    t.action_ms = (double *)c->ms;
    t.action_errors = errors;
    notes[0] = (char *)c->note;
    t.notes = notes;
    t.note_count = c->note != NULL;
    t.settled = 1;
    t.replayable = 1;
    t.similarity = -1;
    if (xtars_traj_record_step(m->traj, &t, 0, err) != XTARS_OK) {
        xtars_log_warn("mcp: recording the call: %s", err);
        return;
    }
    m->steps++;
    if (mcp_record_run(m, "running", NULL, 0, err) != XTARS_OK)
        xtars_log_warn("mcp: %s", err);
}

void mcp_desktop_record(struct xtars_mcp *m, const char *call_text, int with_image,
                        const char *note)
{
    struct call_record c = {call_text, NULL, 0, NULL, NULL, NULL, with_image, note};
    record(m, &c);
}

xtars_err mcp_record_run(struct xtars_mcp *m, const char *status, const char *message, int ended,
                         char err[static XTARS_ERRLEN])
{
    struct xtars_traj_run run;
    struct xtars_buf config;
    char ended_at[40];
    xtars_err rc;

    if (m->traj == NULL)
        return XTARS_OK;
    memset(&run, 0, sizeof run);
    xtars_buf_init(&config, 1 << 22);
    if (xtars_config_to_json(&m->cfg, 0, &config) != XTARS_OK) {
        xtars_buf_cleanup(&config);
        return xtars_error(err, XTARS_ETOOBIG, "run.json: too large");
    }
    xtars_clock_iso(ended_at, sizeof ended_at);
    xtars_traj_recorder(&run.recorder_pid, run.recorder_host, sizeof run.recorder_host,
                        run.recorder_pid_ns, sizeof run.recorder_pid_ns);
    run.source = "mcp";
    run.instruction = "MCP session";
    run.model = m->cfg.model;
    run.endpoint = m->cfg.endpoint;
    run.family = XTARS_FAMILY_UITARS15; /* tool calls give x, y in the screenshot's pixels */
    run.dry_run = m->dry_run;
    run.screen_width = m->desk.screen_width, run.screen_height = m->desk.screen_height;
    run.target_x = m->desk.target.x, run.target_y = m->desk.target.y;
    run.target_width = m->desk.target.width, run.target_height = m->desk.target.height;
    run.sent_width = m->desk.image_width, run.sent_height = m->desk.image_height;
    run.image_format = m->desk.image_format;
    run.config = config.data;
    run.started_at = m->started_at;
    run.ended_at = ended ? ended_at : NULL;
    run.status = (char *)status;
    run.message = (char *)message;
    run.steps_written = m->steps;
    rc = xtars_traj_record_run(m->traj, &run, err);
    xtars_buf_cleanup(&config);
    return rc;
}

/* ---- acting ---- */

/* The session's policy on one action, right before it is performed: the
 * same stateful check as the loop's (agent/loop/guard.h), so "rm -r" typed in
 * one call and "f ~\n" in the next is checked as "rm -rf ~". CONFIRM is a
 * refusal: there is nobody on a terminal to ask. */
static int allowed(struct xtars_mcp *m, const struct xtars_action *action, char *why,
                   size_t why_size)
{
    char reason[200];
    enum xtars_policy_effect e;

    m->guard.bounds = m->desk.capture ? &m->desk.target : NULL;
    e = xtars_guard_check(&m->guard, action, reason, sizeof reason);
    if (e == XTARS_POLICY_ALLOW)
        return 1;
    snprintf(why, why_size, "refused by the action policy: %s%s", reason,
             e == XTARS_POLICY_CONFIRM ? " (it needs a human's confirmation, and xtars mcp "
                                         "has no one to ask)" : "");
    xtars_log_warn("mcp: %s %s", xtars_action_type_name(action->type), why);
    return 0;
}

void mcp_desktop_act(struct xtars_mcp *m, const char *tool, const char *call_text,
                     struct xtars_action *actions, int count, int screenshot,
                     struct mcp_result *r)
{
    struct xtars_exec_result er;
    char err[XTARS_ERRLEN], failure[XTARS_ERRLEN] = "", done[1024] = "";
    int ok[3] = {0}, performed = 0, with_image = 0, refused = 0;
    double ms[3] = {0};
    struct call_record c = {call_text, actions, count, ok, ms, failure, 0, NULL};

    if (mcp_desktop_open_exec(m, err) != XTARS_OK)
        return mcp_result_fail(r, "%s: %s", tool, err);
    for (int i = 0; i < count && failure[0] == '\0'; i++) {
        memset(&er, 0, sizeof er);
        if (!allowed(m, &actions[i], failure, sizeof failure)) {
            refused = 1;
            break;
        }
        if (xtars_exec_perform(m->desk.exec, &actions[i], &er, err) != XTARS_OK) {
            snprintf(failure, sizeof failure, "%s", m->stop ? "stopped" : err);
            xtars_guard_performed(&m->guard, &actions[i], 0);
        } else {
            xtars_guard_performed(&m->guard, &actions[i], 1);
            ok[i] = 1;
            performed++;
            snprintf(done + strlen(done), sizeof done - strlen(done), "%s%s", i ? "; " : "",
                     er.description);
        }
        ms[i] = er.duration_ms;
    }
    /* No tool holds a key or a button past its action (a failed action has
     * released everything already). Bindings of characters missing from the
     * layout stay for later calls, as in a run: undoing them here would cost
     * every such `type` the 100 ms settle pause (docs/actions.md); closing
     * the desktop undoes them. */
    if (failure[0])
        xtars_exec_release_all(m->desk.exec);
    if (refused)
        mcp_result_fail(r, "%s%s%s", done, done[0] ? "; then " : "", failure);
    else if (failure[0])
        mcp_result_fail(r, "%s%s%s failed: %s", done, done[0] ? "; then " : "", tool, failure);
    else
        mcp_result_text(r, "%s%s", done, m->dry_run ? " (dry run: nothing was sent)" : "");
    if (screenshot && !failure[0]) {
        struct mcp_shot_request req = {XTARS_IMAGE_PNG, 0, 0};
        if (performed && m->desk.capture)
            settle(m);
        if (m->desk.image_width) { /* the same space as the last screenshot */
            req.format = m->desk.image_format;
            req.max_width = m->desk.max_width;
            req.max_height = m->desk.max_height;
        }
        if (mcp_desktop_screenshot(m, &req, r, err) != XTARS_OK)
            mcp_result_fail(r, "screenshot after %s: %s", tool, err);
        else
            with_image = 1;
    }
    c.with_image = with_image;
    record(m, &c);
}
