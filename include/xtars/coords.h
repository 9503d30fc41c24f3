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

/* How model coordinates map to the screen (docs/coordinates.md). */
enum xtars_family {
    XTARS_FAMILY_UITARS15 = 0, /* absolute pixels in the sent image */
    XTARS_FAMILY_UITARS10 = 1, /* relative 0..1000 */
    XTARS_FAMILY_DOUBAO = 2,   /* relative 0..1000 */
    XTARS_FAMILY_PIXELS = 3    /* already screen pixels */
};

/* Qwen2.5-VL's smart_resize: the size (multiples of 28) the image of a
 * width x height screen is resized to before the model sees it. Rounding is
 * half-to-even like Python's round(). Errors: EINVAL for non-positive sizes
 * or min_pixels > max_pixels, ERANGE when the aspect ratio exceeds 200. */
XTARS_API
xtars_err xtars_smart_resize(int width, int height, long min_pixels, long max_pixels,
                             int *out_width, int *out_height);

/* A rectangle of the root window, in pixels: the whole screen, one XRandR
 * monitor, or one window. */
struct xtars_rect {
    int x, y, width, height; /* root-window pixels */
};

/* Everything needed to turn a model's numbers into screen pixels. */
struct xtars_coord_space {
    int family;                     /* enum xtars_family */
    int sent_width, sent_height;    /* size of the image the model saw */
    struct xtars_rect target;       /* the screen rectangle that image shows */
};

/* Model space -> root-window pixels. Per family (docs/coordinates.md):
 *   uitars-1.5:  x = target.x + floor(model_x * target.width / sent_width)
 *   uitars-1.0, doubao: the same with 1000 in place of sent_width
 *   pixels:      x = floor(model_x) (absolute root-window pixels)
 * and likewise for y. The product is formed before the division, so exact
 * results are never nudged down by a rounding error. The result is clamped
 * into the target (x in [target.x, target.x + width - 1]). Model numbers must
 * be finite; anything beyond the extent (see xtars_coords_extent) is clamped,
 * not refused: range policy belongs to the caller (the parser refuses numbers
 * far outside). Errors: EINVAL for a bad space (unknown family, empty target,
 * uitars-1.5 without a sent size) or a non-finite number (*x, *y are 0). */
XTARS_API
xtars_err xtars_coords_to_screen(const struct xtars_coord_space *space, double model_x,
                                 double model_y, int *x, int *y);

/* Root-window pixels -> model space: the model coordinates of the centre of
 * pixel (x, y), so xtars_coords_to_screen() of the result gives (x, y) back
 * for every pixel of the target (pixels family: exactly x and y). Used for
 * history text, replays and imports; callers that write text for a model may
 * round to integers, which is what models write. Errors: EINVAL for a bad
 * space, ERANGE when (x, y) is outside the target (*model_x, *model_y 0). */
XTARS_API
xtars_err xtars_coords_to_model(const struct xtars_coord_space *space, int x, int y,
                                double *model_x, double *model_y);

/* The largest meaningful model number on each axis: sent_width/height for
 * uitars-1.5, 1000 for uitars-1.0 and doubao, the target's right/bottom edge
 * (target.x + width, target.y + height) for pixels. EINVAL for a bad space. */
XTARS_API
xtars_err xtars_coords_extent(const struct xtars_coord_space *space, double *extent_x,
                              double *extent_y);

#ifdef __cplusplus
}
#endif
#endif
