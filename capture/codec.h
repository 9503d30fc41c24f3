/* codec.h: private to capture/: the PNG fast path (png_fast.c) that png.c
 * dispatches to, and the knobs tests and the benchmark turn. Not installed,
 * not for other modules. */
#ifndef XTARS_CAPTURE_CODEC_H
#define XTARS_CAPTURE_CODEC_H

#include "xtars/buf.h"
#include "xtars/error.h"
#include "xtars/image.h"

/* 1 when xtars was built with ISA-L. */
int xtars_png_fast_available(void);

struct xtars_resizer;

/* Appends img as a PNG whose IDAT is ISA-L igzip output at level 1..3
 * (Sub-filtered rows, or for noise-like chunks Average-filtered rows in
 * literal-only blocks). With a resizer (made for img's size -> width x
 * height) the PNG is of img resized, rows resized chunk by chunk; without,
 * width and height are ignored. Same contract as xtars_image_encode_png().
 * ENOTSUP when built without ISA-L. */
xtars_err xtars_png_fast_encode(const struct xtars_image *img, int width, int height,
                                const struct xtars_resizer *resizer, int level,
                                struct xtars_buf *out, char *err);

/* "2.30" style version, or "none". */
const char *xtars_png_fast_version(void);

/* For tests and the benchmark: 0 makes xtars_image_resize() use its
 * portable C kernels even where the AVX2 ones would run (they give identical
 * results); 1 (the default) lets it choose. Process-wide. */
void xtars_image_resize_set_simd(int enabled);

/* For tests: 0 makes the fast path filter rows with its portable C code
 * even where the AVX2 code would run (the bytes are identical); 1 (the
 * default) lets it choose. Process-wide. */
void xtars_png_fast_set_simd(int enabled);

/* For tests: how many chunks the last fast-path encode in this process
 * wrote as literal-only blocks (noise-like rows) rather than through igzip. */
int xtars_png_fast_literal_chunks(void);

/* Like xtars_image_encode_png() (image.h), always through libpng (the reference encoder): zlib at `level` with
 * libpng's adaptive filter choice for levels above 1, Sub for 0..1. For
 * tests and the benchmark. Same errors. */
xtars_err xtars_image_encode_png_libpng(const struct xtars_image *img, int level,
                                        struct xtars_buf *out, char err[static XTARS_ERRLEN]);

#endif
