/* bands.h: private to capture/: split image work into horizontal bands run
 * on a few threads (the caller's plus helpers). Not installed. */
#ifndef XTARS_CAPTURE_BANDS_H
#define XTARS_CAPTURE_BANDS_H

#define XTARS_BANDS_MAX 8

/* How many bands work on `pixels` pixels should be split into: 1 for small
 * images, else the thread setting (xtars_image_set_threads(); by default the
 * online CPUs, at most 4). */
int xtars_bands_count(long pixels);

/* Calls fn(ctx, band) for band = 0..count-1, band 0 on the calling thread
 * and the others on new threads, and returns when all are done. A thread
 * that cannot be created runs its band on the caller instead. */
void xtars_bands_run(int count, void (*fn)(void *ctx, int band), void *ctx);

/* Rows [*y0, *y1) of band `band` of `count` over `rows` rows. */
void xtars_bands_rows(int rows, int count, int band, int *y0, int *y1);

#endif
