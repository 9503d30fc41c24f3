/* still.c: the screen of an agent that has no display (a dry run given
 * opts.dry_screen, docs/replay.md "Dry runs without a display"): a still
 * picture stands in for capture. It is blank until a replay shows it the
 * screenshot recorded for the step being replayed, whose bytes then become
 * that step's screenshot unchanged. Nothing here talks to X; capture/ knows
 * nothing of it, and it knows of trajectories only what a replay hands in. */
#include <stdio.h>
#include <string.h>

#include "agent/base/files.h"
#include "agent/base/clock.h"
#include "agent/loop/agent_internal.h"
#include "xtars/image.h"

/* The grey of the blank frame: visibly "no picture" in a report, unlike
 * black, which a screen can be. */
#define BLANK_GREY 0x50

/* A blank frame of the sent size, encoded as the config asks. */
static xtars_err show_blank(struct xtars_agent *a, char *err)
{
    xtars_err rc;

    xtars_buf_reset(&a->still.encoded);
    if ((rc = xtars_image_alloc(&a->still.frame, a->sent_width, a->sent_height, err)) != XTARS_OK)
        return rc;
    memset(a->still.frame.pixels, BLANK_GREY, (size_t)a->still.frame.stride * a->still.frame.height);
    a->still.format = a->cfg.image_format;
    if (a->still.format == XTARS_IMAGE_JPEG)
        return xtars_image_encode_jpeg(&a->still.frame, a->cfg.jpeg_quality, &a->still.encoded, err);
    return xtars_image_encode_png(&a->still.frame, a->cfg.png_level, &a->still.encoded, err);
}

xtars_err agent_still_open(struct xtars_agent *a, char *err)
{
    struct xtars_rect r = a->opts.dry_screen;

    if (!a->opts.dry_run)
        return xtars_error(err, XTARS_ECONFIG, "agent: a screen without a display (dry_screen) is "
                           "only for a dry run");
    if (r.width <= 0 || r.height <= 0 || r.x < 0 || r.y < 0)
        return xtars_error(err, XTARS_ECONFIG, "agent: dry_screen %dx%d+%d+%d is not a rectangle "
                           "on a screen", r.width, r.height, r.x, r.y);
    a->target = r;
    a->screen_width = r.x + r.width;
    a->screen_height = r.y + r.height;
    if (xtars_smart_resize(r.width, r.height, a->cfg.min_pixels, a->cfg.max_pixels, &a->sent_width,
                           &a->sent_height) != XTARS_OK)
        return xtars_error(err, XTARS_ECONFIG, "cannot size the model image for a %dx%d screen",
                           r.width, r.height);
    xtars_buf_init(&a->still.encoded, IMAGE_MAX_BYTES);
    xtars_image_init(&a->still.frame);
    return show_blank(a, err);
}

void agent_still_cleanup(struct xtars_agent *a)
{
    xtars_buf_cleanup(&a->still.encoded);
    xtars_image_cleanup(&a->still.frame);
}

xtars_err agent_read_recorded(const struct xtars_traj_run *run, const struct xtars_traj_step *step,
                              struct xtars_buf *file, struct xtars_image *out, char *err)
{
    char path[PATH_MAX + 300], reason[XTARS_ERRLEN];
    xtars_err rc;

    snprintf(path, sizeof path, "%s/%s", run->dir, step->screenshot);
    if ((rc = xtars_buf_read_file_nofollow(file, path, IMAGE_MAX_BYTES, reason)) != XTARS_OK)
        return xtars_error(err, rc, "%s", reason);
    if ((rc = xtars_image_decode(file->data, file->len, out, reason)) != XTARS_OK) {
        xtars_buf_cleanup(file);
        return xtars_error(err, rc, "%s: %s", path, reason);
    }
    return XTARS_OK;
}

xtars_err agent_still_show_recorded(struct xtars_agent *a, const struct xtars_traj_run *run,
                                    const struct xtars_traj_step *step, struct step_record *s,
                                    char *err)
{
    struct xtars_buf file;
    char reason[XTARS_ERRLEN], note[NOTE_LEN];

    if (step->screenshot == NULL) {
        agent_add_note(s, "no display: the recorded step has no screenshot, a blank frame stands in");
        return show_blank(a, err);
    }
    if (agent_read_recorded(run, step, &file, &a->still.frame, reason) != XTARS_OK) {
        snprintf(note, sizeof note, "no display: a blank frame stands in for the recorded "
                 "screenshot (%.450s)", reason);
        agent_add_note(s, note);
        return show_blank(a, err);
    }
    xtars_buf_cleanup(&a->still.encoded);
    a->still.encoded = file; /* the recorded bytes, unchanged */
    a->still.format = (unsigned char)file.data[0] == 0xff ? XTARS_IMAGE_JPEG : XTARS_IMAGE_PNG;
    return XTARS_OK;
}

xtars_err agent_grab(struct xtars_agent *a, struct xtars_image *frame, char *err)
{
    if (a->capture)
        return xtars_capture_grab(a->capture, frame, err);
    *frame = a->still.frame;
    frame->capacity = 0; /* borrowed */
    return XTARS_OK;
}

xtars_err agent_shoot(struct xtars_agent *a, char *err)
{
    struct xtars_shot *shot = &a->shot;
    double t0 = xtars_clock_ms();
    xtars_err rc;

    if (a->capture)
        return xtars_capture_shot(a->capture, &a->shot_opts, shot, err);
    xtars_buf_reset(&shot->data);
    if ((rc = xtars_buf_append(&shot->data, a->still.encoded.data, a->still.encoded.len)) != XTARS_OK)
        return xtars_error(err, rc, "screenshot: %s", xtars_strerror(rc));
    agent_grab(a, &shot->frame, err);
    shot->screen = a->target;
    shot->sent_width = a->still.frame.width;
    shot->sent_height = a->still.frame.height;
    shot->format = a->still.format;
    shot->capture_ms = xtars_clock_ms() - t0;
    shot->resize_ms = shot->encode_ms = 0;
    shot->resize_fused = 0;
    return XTARS_OK;
}
