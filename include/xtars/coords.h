/* xtars/coords.h: the coordinate pipeline: smart_resize (the size of the
 * image the model sees) and the mapping from model space to screen pixels.
 * Pure functions, no allocation, no X. See docs/coordinates.md.
 */
#ifndef XTARS_COORDS_H
#define XTARS_COORDS_H

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_RESIZE_FACTOR 28
#define XTARS_DEFAULT_MIN_PIXELS (100L * 28 * 28)
#define XTARS_DEFAULT_MAX_PIXELS (16384L * 28 * 28)

struct xtars_rect { int x, y, width, height; };

/* Qwen2.5-VL's smart_resize: the size (multiples of 28) the image of a
 * width x height screen is resized to before the model sees it. Rounding is
 * half-to-even like Python's round(). Errors: EINVAL for non-positive sizes
 * or min_pixels > max_pixels, ERANGE when the aspect ratio exceeds 200. */
xtars_err xtars_smart_resize(int width, int height, long min_pixels, long max_pixels,
                             int *out_width, int *out_height);

#ifdef __cplusplus
}
#endif
#endif
