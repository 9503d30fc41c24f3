/* report_thumbs.c: the step list's thumbnails. Each is a screenshot read,
 * decoded (which also gives the report the screenshot's size) and shrunk to
 * a small JPEG; decoding a long run's screenshots is most of the time
 * `xtars report` takes, so they are made on a few threads at once (the
 * image code's own fork-join, capture/bands.h, one screenshot a band, as
 * many threads as xtars_image_set_threads() allows) before the page is
 * written. Never prints. */
#include "agent/record/report_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/files.h"
#include "capture/bands.h"
#include "xtars/image.h"

#define IMAGE_FILE_MAX (64u << 20)
#define THUMB_WIDTH 128
#define THUMB_QUALITY 60
#define THUMB_MAX_BYTES (1u << 20)

struct thumb_job {
    const char *dir;
    const char *const *names;
    struct report_shot *shots;
    struct report_thumb *thumbs;
};

/* Reads and decodes dir/name for its size and makes its small JPEG. */
static void make_one(const char *dir, const char *name, struct report_shot *shot,
                     struct report_thumb *thumb)
{
    struct xtars_buf file;
    struct xtars_image img, small;
    char path[4400], err[XTARS_ERRLEN];

    memset(shot, 0, sizeof *shot);
    xtars_buf_init(&thumb->jpeg, THUMB_MAX_BYTES);
    thumb->ok = 0;
    if (name == NULL)
        return;
    xtars_image_init(&img);
    xtars_image_init(&small);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (xtars_buf_read_file_nofollow(&file, path, IMAGE_FILE_MAX, err) == XTARS_OK) {
        shot->present = 1;
        if (xtars_image_decode(file.data, file.len, &img, err) == XTARS_OK && img.width > 0) {
            int h = (int)((double)img.height * THUMB_WIDTH / img.width + 0.5);
            shot->width = img.width, shot->height = img.height;
            thumb->ok = xtars_image_resize(&img, THUMB_WIDTH, h > 0 ? h : 1, &small, err) == XTARS_OK &&
                        xtars_image_encode_jpeg(&small, THUMB_QUALITY, &thumb->jpeg, err) == XTARS_OK;
        }
        xtars_buf_cleanup(&file);
    }
    xtars_image_cleanup(&small);
    xtars_image_cleanup(&img);
}

/* One "band" of capture/bands.h's fork-join is one screenshot. */
static void make_band(void *ctx, int i, int worker)
{
    const struct thumb_job *j = ctx;

    (void)worker;
    make_one(j->dir, j->names[i], &j->shots[i], &j->thumbs[i]);
}

void report_thumbs_make(const char *dir, const char *const *names, int count,
                        struct report_shot *shots, struct report_thumb *thumbs)
{
    struct thumb_job job = {dir, names, shots, thumbs};

    if (count > 0)
        xtars_bands_run(count, make_band, &job);
}

void report_thumb_html(struct xtars_buf *b, const struct report_shot *shot,
                       const struct report_thumb *thumb)
{
    if (thumb->ok)
        report_embed_bytes(b, thumb->jpeg.data, thumb->jpeg.len, "alt=\"\" loading=\"lazy\"", 1);
    else
        xtars_buf_puts(b, shot->present ? "<span class=\"nothumb\">no preview</span>"
                                        : "<span class=\"nothumb\">missing</span>");
}

void report_thumbs_free(struct report_thumb *thumbs, int count)
{
    for (int i = 0; thumbs && i < count; i++)
        xtars_buf_cleanup(&thumbs[i].jpeg);
    free(thumbs);
}
