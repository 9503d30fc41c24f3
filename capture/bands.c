/* bands.c: a minimal fork-join over horizontal bands of an image, for the
 * resizer and the PNG encoder. Threads live for one call: creating one costs
 * tens of microseconds, against milliseconds of work per band. Never prints. */
#include "bands.h"

#include <pthread.h>
#include <unistd.h>

#include "xtars/image.h"

#define MIN_BAND_PIXELS (256L * 1024) /* below this a thread costs more than it saves */

static int thread_setting; /* 0: automatic */

void xtars_image_set_threads(int threads)
{
    thread_setting = threads < 0 ? 0 : threads > XTARS_BANDS_MAX ? XTARS_BANDS_MAX : threads;
}

int xtars_bands_count(long pixels)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int count = thread_setting ? thread_setting : cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus;

    while (count > 1 && pixels / count < MIN_BAND_PIXELS)
        count--;
    return count;
}

void xtars_bands_rows(int rows, int count, int band, int *y0, int *y1)
{
    *y0 = (int)((long)rows * band / count);
    *y1 = (int)((long)rows * (band + 1) / count);
}

struct band_call {
    void (*fn)(void *ctx, int band);
    void *ctx;
    int band;
};

static void *band_thread(void *arg)
{
    struct band_call *call = arg;

    call->fn(call->ctx, call->band);
    return NULL;
}

void xtars_bands_run(int count, void (*fn)(void *ctx, int band), void *ctx)
{
    pthread_t threads[XTARS_BANDS_MAX];
    struct band_call calls[XTARS_BANDS_MAX];
    int started[XTARS_BANDS_MAX] = {0};

    if (count > XTARS_BANDS_MAX)
        count = XTARS_BANDS_MAX;
    for (int b = 1; b < count; b++) {
        calls[b] = (struct band_call){fn, ctx, b};
        started[b] = pthread_create(&threads[b], NULL, band_thread, &calls[b]) == 0;
    }
    fn(ctx, 0);
    for (int b = 1; b < count; b++) {
        if (started[b])
            pthread_join(threads[b], NULL);
        else
            fn(ctx, b);
    }
}
