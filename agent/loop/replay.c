/* replay.c: the pure parts of a replay: recorded points onto a live target of
 * another size, "does the screen still look as recorded" (a cell grid of
 * lumas, xtars/replay.h explains the measure), and the side-by-side image
 * that shows where it does not. Works on memory only: no X, no codecs, no
 * files, and never reads outside the images it is given. */
#include "xtars/replay.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* floor((2 * offset + 1) * to / (2 * from)): the scaled centre of a pixel. */
static int map_axis(int value, int from_origin, int from_size, int to_origin, int to_size)
{
    int64_t offset = (int64_t)value - from_origin;
    int64_t scaled = (2 * offset + 1) * to_size;
    int64_t denominator = 2 * (int64_t)from_size;
    int64_t mapped = scaled >= 0 ? scaled / denominator : -((-scaled + denominator - 1) / denominator);

    if (mapped < 0)
        mapped = 0;
    if (mapped > to_size - 1)
        mapped = to_size - 1;
    return to_origin + (int)mapped;
}

xtars_err xtars_replay_map_point(const struct xtars_rect *from, const struct xtars_rect *to, int x,
                                 int y, int *out_x, int *out_y)
{
    *out_x = x;
    *out_y = y;
    if (from->width < 1 || from->height < 1 || to->width < 1 || to->height < 1)
        return XTARS_EINVAL;
    *out_x = map_axis(x, from->x, from->width, to->x, to->width);
    *out_y = map_axis(y, from->y, from->height, to->y, to->height);
    return XTARS_OK;
}

xtars_err xtars_replay_map_action(const struct xtars_rect *from, const struct xtars_rect *to,
                                  struct xtars_action *action)
{
    int x = action->x, y = action->y, x2 = action->x2, y2 = action->y2;

    if (from->width < 1 || from->height < 1 || to->width < 1 || to->height < 1)
        return XTARS_EINVAL;
    if (action->has_point)
        xtars_replay_map_point(from, to, action->x, action->y, &x, &y);
    if (action->has_end)
        xtars_replay_map_point(from, to, action->x2, action->y2, &x2, &y2);
    action->x = x, action->y = y, action->x2 = x2, action->y2 = y2;
    return XTARS_OK;
}

static int grid_size(int pixels)
{
    return (pixels + XTARS_REPLAY_CELL - 1) / XTARS_REPLAY_CELL;
}

/* The image reduced to cells_x x cells_y lumas (caller frees). */
static xtars_err grid_lumas(const struct xtars_image *img, int cells_x, int cells_y,
                            unsigned char **out, char *err)
{
    struct xtars_image small;
    unsigned char *lumas;
    xtars_err rc;

    *out = NULL;
    xtars_image_init(&small);
    if ((rc = xtars_image_resize(img, cells_x, cells_y, &small, err)) != XTARS_OK)
        return rc;
    lumas = malloc((size_t)cells_x * (size_t)cells_y);
    if (lumas == NULL) {
        xtars_image_cleanup(&small);
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    }
    for (int y = 0; y < cells_y; y++) {
        const unsigned char *p = small.pixels + (size_t)y * (size_t)small.stride;
        for (int x = 0; x < cells_x; x++, p += XTARS_IMAGE_BPP)
            lumas[(size_t)y * (size_t)cells_x + (size_t)x] =
                (unsigned char)((77 * p[2] + 150 * p[1] + 29 * p[0] + 128) >> 8);
    }
    xtars_image_cleanup(&small);
    *out = lumas;
    return XTARS_OK;
}

static int valid_image(const struct xtars_image *img)
{
    return img && img->pixels && img->width > 0 && img->height > 0;
}

/* Pixel rectangle of cells [x0, x1] x [y0, y1] of the recorded image. */
static struct xtars_rect cell_rect(const struct xtars_image *img, int cx, int cy, int x0, int y0,
                                   int x1, int y1)
{
    struct xtars_rect r;

    r.x = (int)((int64_t)x0 * img->width / cx);
    r.y = (int)((int64_t)y0 * img->height / cy);
    r.width = (int)((int64_t)(x1 + 1) * img->width / cx) - r.x;
    r.height = (int)((int64_t)(y1 + 1) * img->height / cy) - r.y;
    return r;
}

/* The bounding box of the largest region of differing cells, cells at most
 * one cell apart counting as touching (two texts have cells of the same
 * mean luma here and there: a changed line must not fall apart at them);
 * largest by its longer side, then area. A caret or a clock stays small, a
 * changed line of text or a moved window does not. mask is 1 where a cell
 * differs and is left as it was. */
static xtars_err largest_region(unsigned char *mask, int cx, int cy, const struct xtars_image *img,
                                struct xtars_rect *out, char *err)
{
    size_t cells = (size_t)cx * (size_t)cy, top;
    size_t *stack = malloc(cells * sizeof *stack);
    int64_t best = -1;

    memset(out, 0, sizeof *out);
    if (stack == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    for (size_t start = 0; start < cells; start++) {
        int x0, y0, x1, y1;
        struct xtars_rect r;
        int64_t score;
        if (mask[start] != 1)
            continue;
        x0 = x1 = (int)(start % (size_t)cx), y0 = y1 = (int)(start / (size_t)cx);
        mask[start] = 2, stack[0] = start, top = 1;
        while (top > 0) {
            size_t i = stack[--top];
            int x = (int)(i % (size_t)cx), y = (int)(i / (size_t)cx);
            x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++) {
                    int nx = x + dx, ny = y + dy;
                    size_t n = (size_t)ny * (size_t)cx + (size_t)nx;
                    if (nx < 0 || ny < 0 || nx >= cx || ny >= cy || mask[n] != 1)
                        continue;
                    mask[n] = 2, stack[top++] = n;
                }
        }
        r = cell_rect(img, cx, cy, x0, y0, x1, y1);
        score = (int64_t)(r.width > r.height ? r.width : r.height) << 32 | (int64_t)r.width * r.height;
        if (score > best)
            best = score, *out = r;
    }
    for (size_t i = 0; i < cells; i++)
        mask[i] = mask[i] != 0;
    free(stack);
    return XTARS_OK;
}

int xtars_replay_diverged(const struct xtars_replay_compare *cmp, double threshold)
{
    return cmp->similarity < threshold || cmp->largest.width > XTARS_REPLAY_SMALL_CHANGE ||
           cmp->largest.height > XTARS_REPLAY_SMALL_CHANGE;
}

/* Per-cell "differs" flags (caller frees) and the comparison figures. */
static xtars_err compare_cells(const struct xtars_image *recorded, const struct xtars_image *live,
                               struct xtars_replay_compare *out, unsigned char **mask, char *err)
{
    unsigned char *a = NULL, *b = NULL;
    int cx = grid_size(recorded->width), cy = grid_size(recorded->height);
    int x0 = cx, y0 = cy, x1 = -1, y1 = -1;
    size_t cells = (size_t)cx * (size_t)cy;
    double total = 0;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    *mask = NULL;
    if ((rc = grid_lumas(recorded, cx, cy, &a, err)) != XTARS_OK ||
        (rc = grid_lumas(live, cx, cy, &b, err)) != XTARS_OK)
        goto out;
    for (size_t i = 0; i < cells; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        int x = (int)(i % (size_t)cx), y = (int)(i / (size_t)cx);
        total += d;
        a[i] = d > XTARS_REPLAY_TOLERANCE;
        if (!a[i])
            continue;
        out->differing++;
        x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
    }
    out->cells_x = cx, out->cells_y = cy;
    out->similarity = 1.0 - (double)out->differing / (double)cells;
    if (out->differing && (rc = largest_region(a, cx, cy, recorded, &out->largest, err)) != XTARS_OK)
        goto out;
    out->mean_difference = total / (double)cells / 255.0;
    if (out->differing) {
        int left = (int)((int64_t)x0 * recorded->width / cx);
        int top = (int)((int64_t)y0 * recorded->height / cy);
        out->changed.x = left;
        out->changed.y = top;
        out->changed.width = (int)((int64_t)(x1 + 1) * recorded->width / cx) - left;
        out->changed.height = (int)((int64_t)(y1 + 1) * recorded->height / cy) - top;
    }
    *mask = a;
    a = NULL;
out:
    free(a);
    free(b);
    return rc;
}

xtars_err xtars_replay_compare(const struct xtars_image *recorded, const struct xtars_image *live,
                               struct xtars_replay_compare *out, char err[static XTARS_ERRLEN])
{
    unsigned char *mask;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if (!valid_image(recorded) || !valid_image(live))
        return xtars_error(err, XTARS_EINVAL, "replay: cannot compare an empty image");
    rc = compare_cells(recorded, live, out, &mask, err);
    free(mask);
    if (rc != XTARS_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

int xtars_replay_diff_panel_x(int width, int panel)
{
    return panel * (width + XTARS_REPLAY_DIFF_GAP);
}

static void put_pixel(struct xtars_image *img, int x, int y, int r, int g, int b)
{
    unsigned char *p;

    if (x < 0 || y < 0 || x >= img->width || y >= img->height)
        return;
    p = img->pixels + (size_t)y * (size_t)img->stride + (size_t)x * XTARS_IMAGE_BPP;
    p[0] = (unsigned char)b, p[1] = (unsigned char)g, p[2] = (unsigned char)r, p[3] = 0xff;
}

static void copy_panel(struct xtars_image *out, const struct xtars_image *src, int left)
{
    for (int y = 0; y < src->height; y++)
        memcpy(out->pixels + (size_t)(XTARS_REPLAY_DIFF_BAND + y) * (size_t)out->stride +
                   (size_t)left * XTARS_IMAGE_BPP,
               src->pixels + (size_t)y * (size_t)src->stride, (size_t)src->width * XTARS_IMAGE_BPP);
}

/* The live image in dim grey, differing cells tinted red. */
static void difference_panel(struct xtars_image *out, const struct xtars_image *live,
                             const struct xtars_replay_compare *cmp, const unsigned char *mask)
{
    int left = xtars_replay_diff_panel_x(live->width, 2);

    for (int y = 0; y < live->height; y++) {
        const unsigned char *p = live->pixels + (size_t)y * (size_t)live->stride;
        int cell_y = (int)((int64_t)y * cmp->cells_y / live->height);
        for (int x = 0; x < live->width; x++, p += XTARS_IMAGE_BPP) {
            int cell_x = (int)((int64_t)x * cmp->cells_x / live->width);
            int luma = (77 * p[2] + 150 * p[1] + 29 * p[0] + 128) >> 8;
            int dim = 24 + luma * 2 / 5;
            if (mask[(size_t)cell_y * (size_t)cmp->cells_x + (size_t)cell_x])
                put_pixel(out, left + x, XTARS_REPLAY_DIFF_BAND + y, 128 + dim, dim / 2, dim / 2);
            else
                put_pixel(out, left + x, XTARS_REPLAY_DIFF_BAND + y, dim, dim, dim);
        }
    }
}

/* A 2-pixel red frame around the differing cells in the difference panel. */
static void outline_changes(struct xtars_image *out, const struct xtars_replay_compare *cmp,
                            int width)
{
    const struct xtars_rect *c = &cmp->changed;
    int left = xtars_replay_diff_panel_x(width, 2) + c->x, top = XTARS_REPLAY_DIFF_BAND + c->y;

    if (c->width < 1 || c->height < 1)
        return;
    for (int t = 0; t < 2; t++) {
        for (int x = left; x < left + c->width; x++) {
            put_pixel(out, x, top + t, 255, 40, 40);
            put_pixel(out, x, top + c->height - 1 - t, 255, 40, 40);
        }
        for (int y = top; y < top + c->height; y++) {
            put_pixel(out, left + t, y, 255, 40, 40);
            put_pixel(out, left + c->width - 1 - t, y, 255, 40, 40);
        }
    }
}

xtars_err xtars_replay_diff_image(const struct xtars_image *recorded, const struct xtars_image *live,
                                  struct xtars_image *out, char err[static XTARS_ERRLEN])
{
    struct xtars_replay_compare cmp;
    struct xtars_image resized;
    unsigned char *mask = NULL;
    int w, h;
    xtars_err rc;

    if (!valid_image(recorded) || !valid_image(live))
        return xtars_error(err, XTARS_EINVAL, "replay: cannot compare an empty image");
    if (recorded->width > (XTARS_IMAGE_MAX_SIDE - 2 * XTARS_REPLAY_DIFF_GAP) / 3 ||
        recorded->height > XTARS_IMAGE_MAX_SIDE - XTARS_REPLAY_DIFF_BAND)
        return xtars_error(err, XTARS_ETOOBIG, "replay: a %dx%d screenshot is too large for a diff image",
                           recorded->width, recorded->height);
    w = 3 * recorded->width + 2 * XTARS_REPLAY_DIFF_GAP;
    h = XTARS_REPLAY_DIFF_BAND + recorded->height;
    xtars_image_init(&resized);
    if ((rc = xtars_image_resize(live, recorded->width, recorded->height, &resized, err)) != XTARS_OK ||
        (rc = compare_cells(recorded, &resized, &cmp, &mask, err)) != XTARS_OK ||
        (rc = xtars_image_alloc(out, w, h, err)) != XTARS_OK)
        goto out;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            put_pixel(out, x, y, 40, 40, 40);
    copy_panel(out, recorded, 0);
    copy_panel(out, &resized, xtars_replay_diff_panel_x(recorded->width, 1));
    difference_panel(out, &resized, &cmp, mask);
    outline_changes(out, &cmp, recorded->width);
out:
    free(mask);
    xtars_image_cleanup(&resized);
    return rc;
}
