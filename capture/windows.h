/* capture/windows.h: which top-level windows a capture's display shows,
 * for callers that wait for launched apps to map theirs (the CLI session).
 * Private to xtars: not part of the public capture API.
 *
 * Ownership: ids is the caller's array; nothing is allocated.
 */
#ifndef XTARS_CAPTURE_WINDOWS_H
#define XTARS_CAPTURE_WINDOWS_H

#include "xtars/capture.h"

/* The viewable, input-output, not override-redirect children of the root
 * window: the apps' top-level windows, or their frames under a window
 * manager (menus and tooltips are left out). Writes at most max ids to ids
 * (NULL when max is 0) and their number, which may be larger, to *count.
 * Windows that vanish during the walk are skipped. Errors: EDISPLAY when
 * the connection broke, EX11 when the root cannot be listed. */
xtars_err xtars_capture_top_windows(struct xtars_capture *cap, unsigned long *ids, int max,
                                    int *count, char err[static XTARS_ERRLEN]);

#endif
