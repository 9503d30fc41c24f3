/* bands.h: split image work into horizontal bands that a few threads (the
 * caller's plus helpers) take in turn. Used by capture/ and by the report's
 * thumbnails (agent/record/report_thumbs.c: one screenshot a band). Not
 * installed. */
#ifndef XTARS_CAPTURE_BANDS_H
#define XTARS_CAPTURE_BANDS_H

#define XTARS_BANDS_MAX 16   /* most bands xtars_bands_count() gives (xtars_bands_run takes any number) */
#define XTARS_WORKERS_MAX 8  /* threads per call, the caller's included */

/* How many bands work on `pixels` pixels should be split into: 1 when only
 * one thread may be used (xtars_image_set_threads()) or the image is small,
 * else several per thread, so a thread that the scheduler delays leaves its
 * share to the others instead of holding everyone up. */
int xtars_bands_count(long pixels);

/* Runs fn(ctx, band, worker) once for every band 0..bands-1 on up to the
 * allowed number of threads (worker 0 is the calling thread; workers are
 * numbered 0..XTARS_WORKERS_MAX-1 and each runs one band at a time, so
 * per-worker scratch needs no locking). Returns when all bands are done. A
 * thread that cannot be created leaves its bands to the others. */
void xtars_bands_run(int bands, void (*fn)(void *ctx, int band, int worker), void *ctx);

/* Rows [*y0, *y1) of band `band` of `bands` over `rows` rows. */
void xtars_bands_rows(int rows, int bands, int band, int *y0, int *y1);

#endif
