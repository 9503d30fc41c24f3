/* codec.h: private to capture/: the PNG fast path (png_fast.c) that png.c
 * dispatches to. Not installed, not for other modules. */
#ifndef XTARS_CAPTURE_CODEC_H
#define XTARS_CAPTURE_CODEC_H

#include "xtars/buf.h"
#include "xtars/error.h"
#include "xtars/image.h"

/* 1 when xtars was built with ISA-L. */
int xtars_png_fast_available(void);

struct xtars_resizer;

/* Appends img as a PNG whose IDAT is ISA-L igzip output at level 1..3
 * (Sub-filtered rows). With a resizer (made for img's size -> width x
 * height) the PNG is of img resized, rows resized chunk by chunk; without,
 * width and height are ignored. Same contract as xtars_image_encode_png().
 * ENOTSUP when built without ISA-L. */
xtars_err xtars_png_fast_encode(const struct xtars_image *img, int width, int height,
                                const struct xtars_resizer *resizer, int level,
                                struct xtars_buf *out, char *err);

/* "2.30" style version, or "none". */
const char *xtars_png_fast_version(void);

#endif
