/* draw.c: annotations drawn into report images. Pure pixel code with
 * clipping on every write; it must never touch memory outside the image,
 * whatever coordinates a recorded (untrusted) trajectory holds. */
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

void xtars_draw_marker(struct xtars_image *img, int x, int y, int r, struct xtars_color color)
{
    static const struct xtars_color white = {255, 255, 255};

    x = bound(x), y = bound(y);
    for (int dy = -r - 2; dy <= r + 2; dy++) {
        for (int dx = -r - 2; dx <= r + 2; dx++) {
            int d2 = dx * dx + dy * dy;
            if (d2 <= (r + 2) * (r + 2) && d2 >= (r - 3) * (r - 3))
                put(img, x + dx, y + dy, d2 <= r * r && d2 >= (r - 1) * (r - 1) ? color : white);
        }
    }
    xtars_draw_line(img, x - r + 2, y, x + r - 2, y, 1, color);
    xtars_draw_line(img, x, y - r + 2, x, y + r - 2, 1, color);
    disc(img, x, y, 2, color);
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

static void to_image(const struct xtars_image *img, const struct xtars_draw_map *map, int sx,
                     int sy, int *ix, int *iy)
{
    double w = map->target_width > 0 ? map->target_width : img->width;
    double h = map->target_height > 0 ? map->target_height : img->height;

    *ix = (int)lround((sx - map->target_x) * (double)img->width / w);
    *iy = (int)lround((sy - map->target_y) * (double)img->height / h);
}

/* Caption text for an action, ASCII-safe and bounded. */
static void caption(const struct xtars_action *a, char *out, size_t size)
{
    const char *name = xtars_action_type_name(a->type);

    if (a->type == XTARS_ACTION_TYPE && a->text)
        snprintf(out, size, "type: %.80s%s", a->text, strlen(a->text) > 80 ? "..." : "");
    else if (a->type == XTARS_ACTION_HOTKEY || a->type == XTARS_ACTION_KEY_DOWN ||
             a->type == XTARS_ACTION_KEY_UP) {
        size_t used = (size_t)snprintf(out, size, "%s:", name);
        for (int i = 0; i < a->key_count && i < XTARS_ACTION_MAX_KEYS && used < size; i++)
            used += (size_t)snprintf(out + used, size - used, " %s", a->keys[i]);
    } else if (a->type == XTARS_ACTION_SCROLL)
        snprintf(out, size, "scroll %s", xtars_scroll_direction_name(a->direction));
    else if ((a->type == XTARS_ACTION_FINISHED || a->type == XTARS_ACTION_CALL_USER) && a->text)
        snprintf(out, size, "%s: %.80s", name, a->text);
    else
        snprintf(out, size, "%s", name);
}

void xtars_draw_action(struct xtars_image *img, const struct xtars_draw_map *map,
                       const struct xtars_action *a, int index)
{
    static const struct xtars_color red = {230, 40, 60}, blue = {40, 90, 230};
    static const struct xtars_color white = {255, 255, 255}, dark = {20, 24, 32};
    char text[160], number[16];
    int x = 8, y = 8, x2, y2;

    caption(a, text, sizeof text);
    if (a->has_point)
        to_image(img, map, a->x, a->y, &x, &y);
    if (a->type == XTARS_ACTION_DRAG && a->has_end) {
        to_image(img, map, a->x2, a->y2, &x2, &y2);
        xtars_draw_arrow(img, x, y, x2, y2, 3, blue);
        xtars_draw_marker(img, x, y, 10, blue);
    } else if (a->type == XTARS_ACTION_SCROLL) {
        int dx = a->direction == XTARS_SCROLL_LEFT ? -60 : a->direction == XTARS_SCROLL_RIGHT ? 60 : 0;
        int dy = a->direction == XTARS_SCROLL_UP ? -60 : a->direction == XTARS_SCROLL_DOWN ? 60 : 0;
        if (!a->has_point)
            x = img->width / 2, y = img->height / 2;
        xtars_draw_arrow(img, x, y, x + dx, y + dy, 4, blue);
    } else if (a->has_point) {
        xtars_draw_marker(img, x, y, 14, red);
    }
    if (index > 0 && a->has_point) {
        snprintf(number, sizeof number, "%d", index);
        xtars_draw_text(img, x + 16, y - 30, number, 1, white, red);
    }
    xtars_draw_text(img, a->has_point ? x + 18 : 8, a->has_point ? y + 14 : 8 + 24 * (index > 0 ? index - 1 : 0),
                    text, 1, white, dark);
}
