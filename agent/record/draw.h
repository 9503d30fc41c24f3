/* xtars/draw.h: drawing annotations into images for run reports: markers for
 * clicks, arrows for drags and scrolls, text captions (built-in 7x13 bitmap
 * font, printable ASCII; other characters show as '?').
 *
 * All functions clip to the image and never read or write outside it. They
 * draw into a caller-owned struct xtars_image (B, G, R, X pixels; see
 * image.h) and allocate nothing.
 */
#ifndef XTARS_DRAW_H
#define XTARS_DRAW_H

#include "xtars/action.h"
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

/* A ring of radius r with a dot in the middle: where a click landed. */
void xtars_draw_marker(struct xtars_image *img, int x, int y, int r, struct xtars_color color);

/* A line with an arrowhead at (x1,y1). */
void xtars_draw_arrow(struct xtars_image *img, int x0, int y0, int x1, int y1, int thickness,
                      struct xtars_color color);

/* Text with its top-left corner at (x,y) on a filled box; scale 1 or 2.
 * Newlines start a new line. Returns the width drawn in pixels. */
int xtars_draw_text(struct xtars_image *img, int x, int y, const char *utf8, int scale,
                    struct xtars_color fg, struct xtars_color bg);

/* Where an action happened, in this image's pixels: the mapping from screen
 * pixels of `target` (x, y, width, height) to the image. */
struct xtars_draw_map {
    int target_x, target_y, target_width, target_height;
};

/* Draws one action (marker, arrow, caption) as the report shows it. `index`
 * (1-based) is written next to the marker when a step has several actions. */
void xtars_draw_action(struct xtars_image *img, const struct xtars_draw_map *map,
                       const struct xtars_action *action, int index);

#ifdef __cplusplus
}
#endif
#endif
