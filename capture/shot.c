/* shot.c: the screenshot pipeline: grab -> smart_resize -> encode, timing
 * each stage. The sent size and the captured rectangle are filled in from
 * the same grab, so coordinate mapping uses exactly what the model saw.
 * Never prints. */
#include "xtars/capture.h"
#include "agent/base/clock.h"

#include <string.h>
#include <time.h>

#include "xtars/coords.h"

void xtars_shot_options_init(struct xtars_shot_options *opts)
{
    opts->size = XTARS_SHOT_SMART;
    opts->min_pixels = XTARS_DEFAULT_MIN_PIXELS;
    opts->max_pixels = XTARS_DEFAULT_MAX_PIXELS;
    opts->format = XTARS_IMAGE_PNG;
    opts->png_level = 1;
    opts->jpeg_quality = 85;
}

void xtars_capture_options_init(struct xtars_capture_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

void xtars_shot_init(struct xtars_shot *shot, size_t max_bytes)
{
    memset(shot, 0, sizeof *shot);
    xtars_buf_init(&shot->data, max_bytes);
    xtars_image_init(&shot->resized);
}

void xtars_shot_cleanup(struct xtars_shot *shot)
{
    if (shot == NULL)
        return;
    xtars_buf_cleanup(&shot->data);
    xtars_image_cleanup(&shot->resized);
    memset(&shot->frame, 0, sizeof shot->frame);
}

const char *xtars_shot_format_name(int format)
{
    return format == XTARS_IMAGE_JPEG ? "jpeg" : "png";
}

const char *xtars_shot_mime_type(int format)
{
    return format == XTARS_IMAGE_JPEG ? "image/jpeg" : "image/png";
}

/* The size to send: smart_resize's or the frame's own. */
static xtars_err sent_size(const struct xtars_shot *shot, const struct xtars_shot_options *opts,
                           int *width, int *height, char *err)
{
    xtars_err rc;

    *width = shot->frame.width;
    *height = shot->frame.height;
    if (opts->size == XTARS_SHOT_NATIVE)
        return XTARS_OK;
    rc = xtars_smart_resize(shot->frame.width, shot->frame.height, opts->min_pixels,
                            opts->max_pixels, width, height);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "capture: cannot size a %dx%d screenshot for the model "
                           "(min_pixels %ld, max_pixels %ld)", shot->frame.width,
                           shot->frame.height, opts->min_pixels, opts->max_pixels);
    return XTARS_OK;
}

/* Resizes (unless fused into the PNG encoder) and encodes; fills the
 * timings. PNG resizes row chunks inside the encoder: no resized image is
 * written and read back. */
static xtars_err resize_and_encode(struct xtars_shot *shot, const struct xtars_shot_options *opts,
                                   int width, int height, char *err)
{
    const struct xtars_image *sent = &shot->frame;
    double t0 = xtars_clock_ms(), t1;
    xtars_err rc;

    shot->resize_fused = opts->format == XTARS_IMAGE_PNG &&
                         (width != shot->frame.width || height != shot->frame.height);
    if (shot->resize_fused) {
        rc = xtars_image_encode_png_resized(&shot->frame, width, height, opts->png_level,
                                            &shot->data, err);
        shot->resize_ms = 0;
        shot->encode_ms = xtars_clock_ms() - t0;
        return rc;
    }
    if (width != shot->frame.width || height != shot->frame.height) {
        rc = xtars_image_resize(&shot->frame, width, height, &shot->resized, err);
        if (rc != XTARS_OK)
            return rc;
        sent = &shot->resized;
    }
    t1 = xtars_clock_ms();
    if (opts->format == XTARS_IMAGE_JPEG)
        rc = xtars_image_encode_jpeg(sent, opts->jpeg_quality, &shot->data, err);
    else
        rc = xtars_image_encode_png(sent, opts->png_level, &shot->data, err);
    shot->resize_ms = t1 - t0;
    shot->encode_ms = xtars_clock_ms() - t1;
    return rc;
}

xtars_err xtars_capture_shot(struct xtars_capture *cap, const struct xtars_shot_options *opts,
                             struct xtars_shot *shot, char err[static XTARS_ERRLEN])
{
    int width, height;
    double t0;
    xtars_err rc;

    if (opts->format != XTARS_IMAGE_PNG && opts->format != XTARS_IMAGE_JPEG)
        return xtars_error(err, XTARS_EINVAL, "capture: unknown image format %d", opts->format);
    xtars_buf_reset(&shot->data);
    shot->sent_width = shot->sent_height = 0;
    t0 = xtars_clock_ms();
    rc = xtars_capture_grab(cap, &shot->frame, err);
    if (rc != XTARS_OK)
        return rc;
    shot->screen = xtars_capture_rect(cap);
    shot->capture_ms = xtars_clock_ms() - t0;
    rc = sent_size(shot, opts, &width, &height, err);
    if (rc == XTARS_OK)
        rc = resize_and_encode(shot, opts, width, height, err);
    if (rc != XTARS_OK)
        return rc;
    shot->sent_width = width;
    shot->sent_height = height;
    shot->format = opts->format;
    return XTARS_OK;
}
