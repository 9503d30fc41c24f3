/* draw.c: lines, arrows and bitmap text drawn into images (the labels of
 * replay's diff images). Pure pixel code with clipping on every write; it
 * must never touch memory outside the image, whatever coordinates it gets. */
#include "agent/record/draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"

static void put(struct xtars_image *img, int x, int y, struct xtars_color c)
{
    unsigned char *p;

    if (x < 0 || y < 0 || x >= img->width || y >= img->height)
        return;
    p = img->pixels + (size_t)y * (size_t)img->stride + (size_t)x * 4;
    p[0] = c.b;
    p[1] = c.g;
    p[2] = c.r;
}

static void fill_rect(struct xtars_image *img, int x, int y, int w, int h, struct xtars_color c)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > img->width ? img->width : x + w;
    int y1 = y + h > img->height ? img->height : y + h;

    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++)
            put(img, xx, yy, c);
}

static void disc(struct xtars_image *img, int cx, int cy, int r, struct xtars_color c)
{
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++)
            if (dx * dx + dy * dy <= r * r)
                put(img, cx + dx, cy + dy, c);
}

/* Keeps line endpoints in a sane range so loops stay bounded for absurd input. */
static int bound(int v)
{
    return v < -100000 ? -100000 : v > 100000 ? 100000 : v;
}

void xtars_draw_line(struct xtars_image *img, int x0, int y0, int x1, int y1, int thickness,
                     struct xtars_color color)
{
    int dx, dy, sx, sy, e, r = thickness / 2;

    x0 = bound(x0), y0 = bound(y0), x1 = bound(x1), y1 = bound(y1);
    dx = abs(x1 - x0), dy = -abs(y1 - y0);
    sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    e = dx + dy;
    for (;;) {
        /* Both tests use the error before this step: testing the updated
         * one steps y too often, overshoots the end and never stops. */
        int e2 = 2 * e;
        if (r > 0)
            disc(img, x0, y0, r, color);
        else
            put(img, x0, y0, color);
        if (x0 == x1 && y0 == y1)
            break;
        if (e2 >= dy)
            e += dy, x0 += sx;
        if (e2 <= dx)
            e += dx, y0 += sy;
    }
}

void xtars_draw_arrow(struct xtars_image *img, int x0, int y0, int x1, int y1, int thickness,
                      struct xtars_color color)
{
    double angle = atan2((double)(y1 - y0), (double)(x1 - x0));
    double head = 10.0 + 3.0 * thickness;

    xtars_draw_line(img, x0, y0, x1, y1, thickness, color);
    for (int side = -1; side <= 1; side += 2) {
        double a = angle + M_PI + side * 0.45;
        xtars_draw_line(img, x1, y1, x1 + (int)lround(head * cos(a)), y1 + (int)lround(head * sin(a)),
                        thickness, color);
    }
}

/* Next printable glyph from UTF-8 text: ASCII as is, anything else '?'. */
static int next_glyph(const char **s)
{
    unsigned char c = (unsigned char)**s;

    (*s)++;
    if (c < 0x80)
        return c;
    while ((**s & 0xC0) == 0x80)
        (*s)++;
    return '?';
}

int xtars_draw_text(struct xtars_image *img, int x, int y, const char *utf8, int scale,
                    struct xtars_color fg, struct xtars_color bg)
{
    int cols = 0, max_cols = 0, lines = 1, cw, ch;
    const char *s = utf8;

    scale = scale == 2 ? 2 : 1;
    cw = XTARS_FONT_W * scale, ch = XTARS_FONT_H * scale;
    while (*s) {
        int g = next_glyph(&s);
        if (g == '\n')
            lines++, cols = 0;
        else if (++cols > max_cols)
            max_cols = cols;
        if (lines > 200)
            break;
    }
    fill_rect(img, x, y, max_cols * cw + 8, lines * (ch + 2) + 4, bg);
    cols = 0, lines = 0;
    for (s = utf8; *s && lines < 200;) {
        int g = next_glyph(&s), gx = x + 4 + cols * cw, gy = y + 3 + lines * (ch + 2);
        if (g == '\n') {
            lines++, cols = 0;
            continue;
        }
        cols++;
        if (g < 32 || g > 126)
            g = '?';
        for (int row = 0; row < XTARS_FONT_H; row++)
            for (int col = 0; col < XTARS_FONT_W; col++)
                if (xtars_font[g - 32][row] & (1u << (XTARS_FONT_W - 1 - col)))
                    fill_rect(img, gx + col * scale, gy + row * scale, scale, scale, fg);
    }
    return max_cols * cw + 8;
}
