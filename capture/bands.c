/* bands.c: a minimal fork-join over horizontal bands of an image, for the
 * resizer and the PNG encoder. Threads live for one call (creating one costs
 * tens of microseconds, against milliseconds of work) and take bands from a
 * shared counter. Never prints. */
#include "bands.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "xtars/image.h"

#define MIN_BAND_PIXELS (128L * 1024) /* below this a band costs more than it saves */

static int thread_setting; /* 0: automatic */

void xtars_image_set_threads(int threads)
{
    thread_setting = threads < 0 ? 0 : threads > XTARS_WORKERS_MAX ? XTARS_WORKERS_MAX : threads;
}

static int threads_allowed(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (thread_setting)
        return thread_setting;
    return cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus;
}

int xtars_bands_count(long pixels)
{
    long bands = pixels / MIN_BAND_PIXELS;

    if (threads_allowed() == 1 || bands < 2)
        return 1;
    return bands > XTARS_BANDS_MAX ? XTARS_BANDS_MAX : (int)bands;
}

void xtars_bands_rows(int rows, int bands, int band, int *y0, int *y1)
{
    *y0 = (int)((long)rows * band / bands);
    *y1 = (int)((long)rows * (band + 1) / bands);
}

struct band_pool {
    void (*fn)(void *ctx, int band, int worker);
    void *ctx;
    int bands;
    atomic_int next;
};

struct worker_arg {
    struct band_pool *pool;
    int worker;
};

static void take_bands(struct band_pool *pool, int worker)
{
    int band;

    while ((band = atomic_fetch_add(&pool->next, 1)) < pool->bands)
        pool->fn(pool->ctx, band, worker);
}

static void *worker_main(void *arg)
{
    struct worker_arg *w = arg;

    take_bands(w->pool, w->worker);
    return NULL;
}

void xtars_bands_run(int bands, void (*fn)(void *ctx, int band, int worker), void *ctx)
{
    struct band_pool pool = {fn, ctx, bands, 0};
    pthread_t threads[XTARS_WORKERS_MAX];
    struct worker_arg args[XTARS_WORKERS_MAX];
    int started[XTARS_WORKERS_MAX] = {0};
    int workers = threads_allowed();

    if (workers > bands)
        workers = bands;
    atomic_init(&pool.next, 0);
    for (int w = 1; w < workers; w++) {
        args[w] = (struct worker_arg){&pool, w};
        started[w] = pthread_create(&threads[w], NULL, worker_main, &args[w]) == 0;
    }
    take_bands(&pool, 0);
    for (int w = 1; w < workers; w++)
        if (started[w])
            pthread_join(threads[w], NULL);
}
