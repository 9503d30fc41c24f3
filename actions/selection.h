/* selection.h: what the action policy must know about the desktop and can
 * only learn from the X server: which top-level window has the keyboard focus
 * (with its WM_CLASS), and the text a paste would insert (the CLIPBOARD and
 * PRIMARY selections). Private to xtars; the loop wires it to the policy
 * (agent/reply/policy_state.h), which never sees X.
 *
 * A desktop query has its own display connection, so conversions and their
 * events never mix with the executor's or the capture's. It only reads: it
 * never sends input, never owns a selection, never changes a property
 * outside its own window.
 *
 * Ownership: xtars_xdesk_open() returns a query freed by xtars_xdesk_close()
 * (accepts NULL); xtars_xdesk_selection() returns malloc'd text the caller
 * frees. One thread at a time.
 */
#ifndef XTARS_ACTIONS_SELECTION_H
#define XTARS_ACTIONS_SELECTION_H

#include <stddef.h>

#include "xtars/error.h"

struct xtars_xdesk;

#define XTARS_XDESK_CLASS_LEN 128

struct xtars_xwindow {
    unsigned long window;                   /* top-level window (child of the root); 0: none */
    char instance[XTARS_XDESK_CLASS_LEN];   /* WM_CLASS res_name, "" when unknown */
    char class_name[XTARS_XDESK_CLASS_LEN]; /* WM_CLASS res_class, "" when unknown */
};

enum xtars_xselection { XTARS_XSEL_CLIPBOARD = 0, XTARS_XSEL_PRIMARY = 1 };

/* Opens display (NULL or "": $DISPLAY). EDISPLAY. */
xtars_err xtars_xdesk_open(const char *display, struct xtars_xdesk **out,
                           char err[static XTARS_ERRLEN]);

void xtars_xdesk_close(struct xtars_xdesk *desk);

/* The window keys go to now. With the focus on PointerRoot (no window
 * manager), the top-level window under the pointer. When the focus and the
 * window under the pointer differ, waits up to settle_ms for a window manager
 * to move the focus after a click (0: no wait). EDISPLAY when the server went
 * away. */
xtars_err xtars_xdesk_focus(struct xtars_xdesk *desk, int settle_ms, struct xtars_xwindow *out,
                            char err[static XTARS_ERRLEN]);

/* The top-level window at root coordinates (x, y), or under the pointer when
 * has_point is 0: where a click or a middle-click paste lands. EDISPLAY. */
xtars_err xtars_xdesk_window_at(struct xtars_xdesk *desk, int has_point, int x, int y,
                                struct xtars_xwindow *out, char err[static XTARS_ERRLEN]);

/* The selection's text, converted to UTF8_STRING (STRING, Latin-1, as a
 * fallback), waiting at most timeout_ms for its owner. No owner, or an owner
 * that cannot convert to text: "" (a paste inserts nothing). Errors: ETIMEOUT
 * (the owner did not answer), ETOOBIG (longer than max_bytes, or sent
 * incrementally: INCR), EFORMAT (NUL bytes), EDISPLAY. *text is NULL on
 * failure. */
xtars_err xtars_xdesk_selection(struct xtars_xdesk *desk, enum xtars_xselection which,
                                int timeout_ms, size_t max_bytes, char **text,
                                char err[static XTARS_ERRLEN]);

#endif
