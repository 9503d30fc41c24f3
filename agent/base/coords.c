/* coords.c: smart_resize and model -> screen coordinate mapping. Clicks land
 * where the model meant only if these match the model's preprocessing to the
 * pixel, so every rounding here is deliberate and documented. Never prints. */
#include "xtars/coords.h"

#include <limits.h>
#include <math.h>

/* Python's round(v / factor) * factor for non-negative integers, with ties to
 * even, in integer arithmetic (no floating-point surprises). */
static long round_by_factor(long v, long factor)
{
    long q = v / factor, r = v % factor;

    if (2 * r > factor || (2 * r == factor && (q & 1)))
        q++;
    return q * factor;
}

xtars_err xtars_smart_resize(int width, int height, long min_pixels, long max_pixels,
                             int *out_width, int *out_height)
{
    const long f = XTARS_RESIZE_FACTOR;
    long h = height, w = width, h_bar, w_bar;

    *out_width = 0;
    *out_height = 0;
    if (width <= 0 || height <= 0 || min_pixels <= 0 || min_pixels > max_pixels)
        return XTARS_EINVAL;
    if ((h > w ? h : w) > 200 * (h > w ? w : h))
        return XTARS_ERANGE;
    h_bar = round_by_factor(h, f);
    w_bar = round_by_factor(w, f);
    if (h_bar < f)
        h_bar = f;
    if (w_bar < f)
        w_bar = f;
    if (h_bar * w_bar > max_pixels) {
        double beta = sqrt((double)h * (double)w / (double)max_pixels);
        h_bar = (long)floor((double)h / beta / (double)f) * f;
        w_bar = (long)floor((double)w / beta / (double)f) * f;
        /* Python's reference floors to max(factor, ...) as well. */
        if (h_bar < f)
            h_bar = f;
        if (w_bar < f)
            w_bar = f;
    } else if (h_bar * w_bar < min_pixels) {
        double beta = sqrt((double)min_pixels / ((double)h * (double)w));
        h_bar = (long)ceil((double)h * beta / (double)f) * f;
        w_bar = (long)ceil((double)w * beta / (double)f) * f;
    }
    *out_width = (int)w_bar;
    *out_height = (int)h_bar;
    return XTARS_OK;
}

/* Checks the space and gives the size of model space on each axis. */
xtars_err xtars_coords_extent(const struct xtars_coord_space *space, double *extent_x,
                              double *extent_y)
{
    const struct xtars_rect *t = &space->target;

    *extent_x = 0;
    *extent_y = 0;
    if (t->width <= 0 || t->height <= 0 || t->x < 0 || t->y < 0 ||
        t->x > INT_MAX - t->width || t->y > INT_MAX - t->height)
        return XTARS_EINVAL;
    switch (space->family) {
    case XTARS_FAMILY_UITARS15:
        if (space->sent_width <= 0 || space->sent_height <= 0)
            return XTARS_EINVAL;
        *extent_x = space->sent_width;
        *extent_y = space->sent_height;
        return XTARS_OK;
    case XTARS_FAMILY_UITARS10:
    case XTARS_FAMILY_DOUBAO:
        *extent_x = 1000;
        *extent_y = 1000;
        return XTARS_OK;
    case XTARS_FAMILY_PIXELS:
        *extent_x = (double)t->x + t->width;
        *extent_y = (double)t->y + t->height;
        return XTARS_OK;
    default:
        return XTARS_EINVAL;
    }
}

/* One axis of model -> screen. Truncation (floor: values are clamped to be
 * non-negative first) is what the UI-TARS README's int(x / W' * W) does. */
static int axis_to_screen(int family, double model, double extent, int origin, int size)
{
    double v;

    if (model < 0)
        model = 0;
    if (family == XTARS_FAMILY_PIXELS)
        v = floor(model) - origin;
    else
        v = floor(model * size / extent);
    if (v < 0)
        v = 0;
    if (v > size - 1)
        v = size - 1;
    return origin + (int)v;
}

xtars_err xtars_coords_to_screen(const struct xtars_coord_space *space, double model_x,
                                 double model_y, int *x, int *y)
{
    double extent_x, extent_y;
    const struct xtars_rect *t = &space->target;

    *x = 0;
    *y = 0;
    if (xtars_coords_extent(space, &extent_x, &extent_y) != XTARS_OK || !isfinite(model_x) ||
        !isfinite(model_y))
        return XTARS_EINVAL;
    *x = axis_to_screen(space->family, model_x, extent_x, t->x, t->width);
    *y = axis_to_screen(space->family, model_y, extent_y, t->y, t->height);
    return XTARS_OK;
}

xtars_err xtars_coords_to_model(const struct xtars_coord_space *space, int x, int y,
                                double *model_x, double *model_y)
{
    double extent_x, extent_y;
    const struct xtars_rect *t = &space->target;

    *model_x = 0;
    *model_y = 0;
    if (xtars_coords_extent(space, &extent_x, &extent_y) != XTARS_OK)
        return XTARS_EINVAL;
    if (x < t->x || y < t->y || x - t->x >= t->width || y - t->y >= t->height)
        return XTARS_ERANGE;
    if (space->family == XTARS_FAMILY_PIXELS) {
        *model_x = x;
        *model_y = y;
    } else {
        *model_x = ((double)(x - t->x) + 0.5) * extent_x / t->width;
        *model_y = ((double)(y - t->y) + 0.5) * extent_y / t->height;
    }
    return XTARS_OK;
}
