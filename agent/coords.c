/* coords.c: smart_resize and model -> screen coordinate mapping. Clicks land
 * where the model meant only if these match the model's preprocessing to the
 * pixel, so every rounding here is deliberate and documented. Never prints. */
#include "xtars/coords.h"

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
