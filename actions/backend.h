/* backend.h: private interface between the action performer (exec.c, which
 * turns one action into a sequence of primitive events with pauses, checks and
 * cleanup) and the backends that deliver those events (xtest.c on a display,
 * dry.c into a log). Not installed; nothing outside actions/ includes it.
 * Dependencies point one way: backends call exec.c (exec_create() and the
 * helpers below); exec.c reaches a backend only through this table.
 *
 * Backends track what they hold (keys, buttons, temporary key bindings), so
 * release_all() is complete even when the performer's bookkeeping is cut
 * short by an error or a stop request.
 */
#ifndef XTARS_ACTIONS_BACKEND_H
#define XTARS_ACTIONS_BACKEND_H

#include <stddef.h>

#include "xtars/exec.h"

struct exec_backend {
    const char *kind;
    /* Starts an action: snapshot the keymap, and with clear_modifiers release
     * modifiers held by others and unlock Caps Lock. */
    xtars_err (*begin)(void *impl, int clear_modifiers, char *err);
    /* Ends it: undo temporary bindings not held, relock Caps Lock, wait until
     * the server has processed everything. Called after success only. */
    xtars_err (*end)(void *impl, char *err);
    xtars_err (*move)(void *impl, int x, int y, char *err);
    /* button 1..7; pressing a button already held by this executor sends nothing. */
    xtars_err (*button)(void *impl, int button, int down, char *err);
    /* Presses (down=1) or releases the key that produces keysym, with the
     * shift level it needs. *pressed (may be NULL) is set to 0 when the key
     * was already held by this executor and nothing was sent. */
    xtars_err (*key)(void *impl, const char *name, unsigned long keysym, int down, int *pressed,
                     char *err);
    /* Types valid UTF-8 without newlines; adds the events sent to *events and
     * the keysyms bound to spare keycodes to *remapped. */
    xtars_err (*text)(void *impl, const char *utf8, size_t len, int *events, int *remapped,
                      char *err);
    /* Makes everything sent so far reach the server, then waits ms (ms > 0),
     * returning early with ESTOPPED when *stop becomes nonzero. */
    xtars_err (*pause)(void *impl, int ms, char *err);
    void (*release_all)(void *impl);
    void (*destroy)(void *impl);
    /* The log of what was performed (dry run), or NULL: the backend has none. */
    const char *(*log)(const void *impl);
};

/* Takes ownership of impl (destroyed through backend->destroy even when this
 * fails). screen: the backend's screen, zero-sized when unknown (dry run). */
xtars_err exec_create(const struct exec_backend *backend, void *impl,
                      const struct xtars_exec_options *opts, struct xtars_rect screen,
                      struct xtars_executor **out, char *err);

/* Sleeps ms milliseconds in short slices, checking *stop (may be NULL).
 * Returns XTARS_ESTOPPED early if it becomes nonzero. */
xtars_err exec_sleep_ms(int ms, const atomic_int *stop);

/* Milliseconds on the monotonic clock. */
double exec_now_ms(void);

#endif
