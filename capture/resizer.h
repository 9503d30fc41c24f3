/* resizer.h: private to capture/: the resizer's row-at-a-time interface, so
 * the PNG fast path can resize rows straight into its compression chunks
 * instead of writing and re-reading a whole resized image. Not installed. */
#ifndef XTARS_CAPTURE_RESIZER_H
#define XTARS_CAPTURE_RESIZER_H

#include <stddef.h>

#include "xtars/error.h"
#include "xtars/image.h"

/* Weights and kernels for one source size -> destination size. Read-only
 * once made, so bands on several threads can share it. */
struct xtars_resizer;

/* ENOMEM only; sizes must be >= 1 (checked by the callers). */
xtars_err xtars_resizer_new(int src_width, int src_height, int width, int height,
                            struct xtars_resizer **out);

void xtars_resizer_free(struct xtars_resizer *r);

/* Bytes of scratch memory one thread needs for xtars_resizer_rows(). */
size_t xtars_resizer_scratch_size(const struct xtars_resizer *r);

/* Writes destination rows y0..y1-1 of src resized, B,G,R,X, the first at out
 * and the next ones out_stride bytes apart. scratch: this thread's own
 * xtars_resizer_scratch_size() bytes. */
void xtars_resizer_rows(const struct xtars_resizer *r, const struct xtars_image *src, int y0,
                        int y1, unsigned char *out, size_t out_stride, void *scratch);

#endif
