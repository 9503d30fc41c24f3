/* xtars/inflight.h: a limit on concurrent model requests shared by several
 * processes on one machine (config max_inflight_requests, used by
 * `xtars batch`).
 *
 * The limit is a directory holding N slot files (slot-0 .. slot-N-1). A
 * request holds an exclusive flock(2) on one slot while it is in flight. The
 * kernel drops a dead process's locks, so a task that crashes or is killed
 * never leaks a slot, which a named semaphore would. Whoever creates the
 * directory passes its path to the processes in $XTARS_INFLIGHT_DIR; the
 * model client takes a slot around each HTTP request when it is set.
 *
 * Ownership: xtars_inflight_open() returns a handle (one open file per
 * slot, close-on-exec) that xtars_inflight_free() closes, releasing a held
 * slot; it accepts NULL. xtars_inflight_remove() deletes a directory made by
 * xtars_inflight_create(). A handle is used by one thread at a time.
 */
#ifndef XTARS_INFLIGHT_H
#define XTARS_INFLIGHT_H


#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The environment variable naming the slot directory. */
#define XTARS_INFLIGHT_ENV "XTARS_INFLIGHT_DIR"
#define XTARS_INFLIGHT_MAX_SLOTS 1024

struct xtars_inflight;

/* Creates a fresh private directory under parent (NULL: $TMPDIR or /tmp)
 * holding `slots` slot files, 1..XTARS_INFLIGHT_MAX_SLOTS, and writes its
 * path into out_dir (out_size bytes). Errors: EINVAL (slot count), EIO
 * naming the path and the system error. */
xtars_err xtars_inflight_create(const char *parent, int slots, char *out_dir, size_t out_size,
                                char *err);

/* Deletes the slot files and the directory (best effort; never fails). */
void xtars_inflight_remove(const char *dir);

/* Opens the slots of dir. Errors: EIO when dir cannot be read or holds no
 * slot-0 file (the message names dir), ENOMEM. */
xtars_err xtars_inflight_open(const char *dir, struct xtars_inflight **out, char *err);

/* Number of slots. */
int xtars_inflight_slots(const struct xtars_inflight *inf);

/* Takes a free slot, waiting (polling every few milliseconds, from a
 * random slot so no slot is favoured) until one is free. Returns ESTOPPED
 * when *stop (may be NULL) becomes non-zero first, EINVAL when a slot is
 * already held by this handle. waited_ms (may be NULL) receives the time
 * spent waiting. */
xtars_err xtars_inflight_acquire(struct xtars_inflight *inf, const atomic_int *stop,
                                 double *waited_ms, char *err);

/* Releases the held slot; does nothing when none is held. */
void xtars_inflight_release(struct xtars_inflight *inf);

void xtars_inflight_free(struct xtars_inflight *inf);

#ifdef __cplusplus
}
#endif
#endif
