/* xtars/xvfb.h: a private, throwaway Xvfb server.
 *
 * xtars_xvfb_start() runs `Xvfb -displayfd` on a free display number with no
 * TCP listener, waits until it reports the number, and returns a handle.
 * xtars_xvfb_free() terminates it (SIGTERM, then SIGKILL) and reaps it; it
 * accepts NULL. The server is also killed if this process dies
 * (PR_SET_PDEATHSIG), so a crashed test or run leaves nothing behind.
 * Needs no X library: it only manages the process.
 */
#ifndef XTARS_XVFB_H
#define XTARS_XVFB_H

#include <sys/types.h>

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_xvfb;

struct xtars_xvfb_options {
    int width;                      /* pixels, 1..32767 */
    int height;
    int depth;                      /* 24 unless testing odd visuals; 0 = 24 */
    int timeout_ms;                 /* wait for start-up; 0 = 10000 */
    const char *const *extra_args;  /* NULL-terminated, appended to Xvfb's argv; may be NULL */
};

/* Starts the server. Errors: ECHILD (Xvfb missing, exited, or too slow; the
 * message says which), EINVAL (bad size), ENOMEM. */
xtars_err xtars_xvfb_start(const struct xtars_xvfb_options *opts, struct xtars_xvfb **out,
                           char *err);

/* Display name such as ":7"; valid until xtars_xvfb_free(). */
const char *xtars_xvfb_display(const struct xtars_xvfb *xvfb);

pid_t xtars_xvfb_pid(const struct xtars_xvfb *xvfb);

/* Stops and reaps the server. Accepts NULL. */
void xtars_xvfb_free(struct xtars_xvfb *xvfb);

/* The largest screen xtars drives, and why (README, "Running an agent"):
 * X11 coordinates are 16-bit signed, capture holds the whole frame (4 bytes
 * a pixel, at most XTARS_IMAGE_MAX_PIXELS), and the model's image resizing
 * (smart_resize) refuses an aspect ratio over 200. Xvfb itself starts with
 * any of these (40000x100, 20000x20000): the run would fail later. */
#define XTARS_XVFB_MAX_SIDE 32767
#define XTARS_XVFB_MAX_ASPECT 200

/* EINVAL when a width x height screen breaks one of the limits above (or a
 * side is below 1); err is "WxH: <the limit>", for the caller to prefix. */
xtars_err xtars_xvfb_check_size(long width, long height, char *err);

/* Parses "WxH" (e.g. "1920x1080") into width and height. EINVAL otherwise. */
xtars_err xtars_parse_size(const char *text, int *width, int *height);

#ifdef __cplusplus
}
#endif
#endif
