/* xtars/exec.h: performing actions. One interface, two executors: XTest on a
 * live X display (actions/xtest.c, library xtars_x11, the only user of XTest)
 * and a dry run that sends nothing and records what it would have done
 * (actions/dry.c, core library). See docs/actions.md.
 *
 * Ownership: xtars_exec_new_*() return an executor the caller frees with
 * xtars_exec_free() (NULL accepted). Freeing first releases every key and
 * button the executor still holds and restores any keyboard mapping it
 * changed. The options are copied; opts->display is only read during
 * xtars_exec_new_*(); opts->stop and opts->note_data must stay valid until
 * the executor is freed. xtars_exec_options_init() fills in the defaults.
 *
 * Threads and signals: an executor is used by one thread at a time and is NOT
 * async-signal-safe. A SIGINT/SIGTERM handler must only set the stop flag
 * (xtars/error.h) that opts->stop points to; the executor checks it between input events (and
 * during pauses), releases everything it holds, restores the keymap and
 * returns XTARS_ESTOPPED.
 */
#ifndef XTARS_EXEC_H
#define XTARS_EXEC_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/coords.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_executor;

struct xtars_exec_options {
    const char *display;         /* X display name; NULL or "" = $DISPLAY (XTest only) */
    struct xtars_rect bounds;    /* actions must fall inside; width or height 0 = whole screen */
    int click_delay_ms;          /* pause between moving the pointer and pressing a button */
    int key_delay_ms;            /* pause between the keys of type() and hotkey() */
    int action_delay_ms;         /* pause after each action that sent input */
    int scroll_amount;           /* wheel notches when the action gives none */
    int wait_ms;                 /* wait() when the action gives no duration */
    int double_click_ms;         /* pause between the two clicks of a double click */
    int clear_modifiers;         /* release modifier keys held by someone else and unlock
                                    Caps Lock for the action (Caps Lock is locked again after) */
    const atomic_int *stop;      /* nonzero: abort between events, release everything; may be NULL */
    /* Receives one-line notes worth a log line that are not errors ("exec: undid 2 key
     * bindings left on :1 by a process that died"); the executor never prints. May be NULL. */
    void (*note)(void *note_data, const char *line);
    void *note_data;
};

/* Defaults, the same as the config's: click_delay_ms 30, key_delay_ms 0,
 * action_delay_ms 0, scroll_amount 5, wait_ms 5000, double_click_ms 20,
 * clear_modifiers 1; display $DISPLAY, bounds the whole screen, no stop flag,
 * no note callback. */
XTARS_API
void xtars_exec_options_init(struct xtars_exec_options *opts);

#define XTARS_EXEC_DESCRIPTION_LEN 256

/* Fixed parts of the behaviour, documented in docs/actions.md. */
#define XTARS_EXEC_DRAG_STEPS 10        /* motion events between a drag's press and release */
#define XTARS_EXEC_DRAG_STEP_MS 5       /* pause after each of them */
#define XTARS_EXEC_REMAP_SETTLE_MS 100  /* wait before undoing a temporary key binding */
#define XTARS_EXEC_FOCUS_WAIT_MS 300    /* longest wait, before keys, for a click's focus change */

struct xtars_exec_result {
    double duration_ms;        /* wall time of xtars_exec_perform() */
    double pause_ms;           /* part of it spent in configured pauses and wait() */
    int events;                /* input steps: motions, button and key presses and releases;
                                  a typed character counts 2, plus 2 per Shift/AltGr key
                                  pressed for it (the dry run cannot know: 2) */
    int remapped;              /* keysyms this text newly bound to a spare keycode */
    int ends_run;              /* finished() or call_user(): the loop ends */
    char description[XTARS_EXEC_DESCRIPTION_LEN]; /* "click at (120,340)", one line */
};

/* Opens the display and checks for XTEST and XKEYBOARD. Errors: EDISPLAY
 * (cannot open), ENOTSUP (extension missing), EINVAL (bounds outside the
 * screen or negative options). *out is NULL on failure. Defined in the
 * xtars_x11 library. */
XTARS_API
xtars_err xtars_exec_new_xtest(const struct xtars_exec_options *opts, struct xtars_executor **out,
                               char err[static XTARS_ERRLEN]);

/* An executor that performs nothing and appends one line per would-be event
 * to a log (format in docs/actions.md). bounds, when set, is both the screen
 * and the target; when zero, only negative coordinates are rejected. Pauses
 * are logged, not slept. EINVAL, ENOMEM. */
XTARS_API
xtars_err xtars_exec_new_dry(const struct xtars_exec_options *opts, struct xtars_executor **out,
                             char err[static XTARS_ERRLEN]);

/* Performs one action (screen pixels). On success fills *result. Errors:
 * ERANGE (a point outside the target, message gives point and rectangle),
 * EINVAL (unknown key name: "exec: unknown key 'xyz'", invalid UTF-8, missing
 * point, bad button or amount), ESTOPPED (*opts->stop became nonzero),
 * ENOTSUP (no spare keycode for a character), EX11. On any error everything
 * the executor holds is released, including keys held by an earlier
 * key_down, and the keymap is restored; result still has duration and
 * description. result may be NULL. */
XTARS_API
xtars_err xtars_exec_perform(struct xtars_executor *ex, const struct xtars_action *action,
                             struct xtars_exec_result *result, char err[static XTARS_ERRLEN]);

/* Releases every key and button the executor holds (key_down, mouse_down)
 * and restores the keymap: spare keycodes bound by earlier actions, which
 * stay bound between actions for reuse, are undone after the settle pause.
 * Done by xtars_exec_free() too. Accepts NULL. */
XTARS_API
void xtars_exec_release_all(struct xtars_executor *ex);

/* Releases everything, closes the display, frees. Accepts NULL. */
XTARS_API
void xtars_exec_free(struct xtars_executor *ex);

/* The rectangle actions must fall inside (the bounds, or the whole screen).
 * Zero-sized for a dry executor without bounds. */
XTARS_API
struct xtars_rect xtars_exec_target(const struct xtars_executor *ex);

/* "xtest" or "dry". */
XTARS_API
const char *xtars_exec_kind(const struct xtars_executor *ex);

/* The dry-run log: every event since creation, one per line, NUL-terminated,
 * owned by the executor and valid until the next call on it. NULL for an
 * XTest executor. */
XTARS_API
const char *xtars_exec_dry_log(const struct xtars_executor *ex);

/* Size of the screen of an X display (the root window), without XTest; for
 * commands that need it before executing (xtars act --dry-run). EDISPLAY.
 * Defined in the xtars_x11 library. */
XTARS_API
xtars_err xtars_exec_screen_size(const char *display, int *width, int *height,
                                 char err[static XTARS_ERRLEN]);

#ifdef __cplusplus
}
#endif
#endif
