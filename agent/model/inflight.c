/* inflight.c: the cross-process limit on model requests: N slot files, one
 * exclusive flock per request in flight. Polling with LOCK_NB rather than a
 * blocking flock keeps every slot usable (a blocking wait sits on one file)
 * and lets a stop request end the wait. Never prints, never exits. */
#include "agent/model/inflight.h"
#include "agent/base/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MIN_US 2000
#define POLL_SPREAD_US 6000

struct xtars_inflight {
    int *fds;
    int count;
    int held;        /* index of the held slot, -1 when none */
    unsigned rng;
};

xtars_err xtars_inflight_create(const char *parent, int slots, char *out_dir, size_t out_size,
                                char *err)
{
    const char *base = parent ? parent : getenv("TMPDIR");
    char path[4096];

    if (slots < 1 || slots > XTARS_INFLIGHT_MAX_SLOTS)
        return xtars_error(err, XTARS_EINVAL, "inflight: %d slots (want 1 to %d)", slots,
                           XTARS_INFLIGHT_MAX_SLOTS);
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if ((size_t)snprintf(out_dir, out_size, "%s/xtars-inflight-XXXXXX", base) >= out_size)
        return xtars_error(err, XTARS_EIO, "inflight: directory name too long under %s", base);
    if (mkdtemp(out_dir) == NULL)
        return xtars_error(err, XTARS_EIO, "inflight: cannot create a directory under %s: %s", base,
                           strerror(errno));
    for (int i = 0; i < slots; i++) {
        int fd;
        snprintf(path, sizeof path, "%s/slot-%d", out_dir, i);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            int saved = errno;
            xtars_inflight_remove(out_dir);
            return xtars_error(err, XTARS_EIO, "inflight: cannot create %s: %s", path,
                               strerror(saved));
        }
        close(fd);
    }
    return XTARS_OK;
}

void xtars_inflight_remove(const char *dir)
{
    char path[4096];
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "slot-", 5) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

xtars_err xtars_inflight_open(const char *dir, struct xtars_inflight **out, char *err)
{
    struct xtars_inflight *inf;
    char path[4096];

    *out = NULL;
    inf = calloc(1, sizeof *inf);
    if (inf == NULL || (inf->fds = calloc(XTARS_INFLIGHT_MAX_SLOTS, sizeof inf->fds[0])) == NULL) {
        free(inf);
        return xtars_error(err, XTARS_ENOMEM, "inflight: out of memory");
    }
    inf->held = -1;
    inf->rng = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
    while (inf->count < XTARS_INFLIGHT_MAX_SLOTS) {
        int fd;
        snprintf(path, sizeof path, "%s/slot-%d", dir, inf->count);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            break;
        inf->fds[inf->count++] = fd;
    }
    if (inf->count == 0) {
        int saved = errno;
        xtars_inflight_free(inf);
        return xtars_error(err, XTARS_EIO, "inflight: %s/slot-0: %s (is $%s a directory made by "
                           "xtars batch?)", dir, strerror(saved), XTARS_INFLIGHT_ENV);
    }
    *out = inf;
    return XTARS_OK;
}

int xtars_inflight_slots(const struct xtars_inflight *inf) { return inf->count; }

/* One pass over every slot, starting at a random one. 1 when one was taken. */
static int try_all(struct xtars_inflight *inf)
{
    int start;

    inf->rng = inf->rng * 1103515245u + 12345u;
    start = (int)((inf->rng >> 8) % (unsigned)inf->count);
    for (int k = 0; k < inf->count; k++) {
        int i = (start + k) % inf->count;
        if (flock(inf->fds[i], LOCK_EX | LOCK_NB) == 0) {
            inf->held = i;
            return 1;
        }
    }
    return 0;
}

xtars_err xtars_inflight_acquire(struct xtars_inflight *inf, const atomic_int *stop,
                                 double *waited_ms, char *err)
{
    double start = xtars_clock_ms();

    if (waited_ms)
        *waited_ms = 0;
    if (inf->held >= 0)
        return xtars_error(err, XTARS_EINVAL, "inflight: a slot is already held");
    while (!try_all(inf)) {
        struct timespec ts;
        if (stop && *stop)
            return xtars_error(err, XTARS_ESTOPPED, "inflight: stopped while waiting for a "
                               "request slot");
        inf->rng = inf->rng * 1103515245u + 12345u;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(POLL_MIN_US + (inf->rng >> 8) % POLL_SPREAD_US) * 1000L;
        nanosleep(&ts, NULL);
    }
    if (waited_ms)
        *waited_ms = xtars_clock_ms() - start;
    return XTARS_OK;
}

void xtars_inflight_release(struct xtars_inflight *inf)
{
    if (inf == NULL || inf->held < 0)
        return;
    flock(inf->fds[inf->held], LOCK_UN);
    inf->held = -1;
}

void xtars_inflight_free(struct xtars_inflight *inf)
{
    if (inf == NULL)
        return;
    xtars_inflight_release(inf);
    for (int i = 0; i < inf->count; i++)
        close(inf->fds[i]);
    free(inf->fds);
    free(inf);
}
