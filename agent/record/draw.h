/* xtars/draw.h: drawing into images: lines, arrows and text captions
 * (built-in 7x13 bitmap font, printable ASCII; other characters show as
 * '?'), for the labels of replay's diff images. The report draws its
 * markers as an SVG overlay instead, over the screenshot as recorded.
 *
 * All functions clip to the image and never read or write outside it. They
 * draw into a caller-owned struct xtars_image (B, G, R, X pixels; see
 * image.h) and allocate nothing.
 */
#ifndef XTARS_DRAW_H
#define XTARS_DRAW_H

#include "xtars/image.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_color {
    unsigned char r, g, b;
};

/* A line `thickness` pixels wide from (x0,y0) to (x1,y1). */
void xtars_draw_line(struct xtars_image *img, int x0, int y0, int x1, int y1, int thickness,
                     struct xtars_color color);

/* A line with an arrowhead at (x1,y1). */
void xtars_draw_arrow(struct xtars_image *img, int x0, int y0, int x1, int y1, int thickness,
                      struct xtars_color color);

/* Text with its top-left corner at (x,y) on a filled box; scale 1 or 2.
 * Newlines start a new line. Returns the width drawn in pixels. */
int xtars_draw_text(struct xtars_image *img, int x, int y, const char *utf8, int scale,
                    struct xtars_color fg, struct xtars_color bg);

#ifdef __cplusplus
}
#endif
#endif
