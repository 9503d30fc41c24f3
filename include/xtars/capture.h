/* xtars/capture.h: screen capture from an X server, and the screenshot
 * pipeline (capture -> resize -> encode) the loop and `xtars screenshot` use.
 * No Xlib type appears here.
 *
 * Ownership: xtars_capture_new() opens its own connection to the X server
 * and returns a handle freed by xtars_capture_free() (accepts NULL). A
 * grabbed frame's pixels belong to the capture and stay valid until the next
 * grab or the free. A struct xtars_shot owns its encoded bytes and scratch
 * image: xtars_shot_init() / xtars_shot_cleanup(). The option structs are
 * plain data, filled by xtars_capture_options_init() / xtars_shot_options_init()
 * (the defaults) and then by the caller; the agent builds them from its
 * config. Their strings are read only during the call they are passed to.
 *
 * X errors: capture and the executor share one X error trap (see the
 * threads note in xtars/agent.h). Protocol errors (a window that vanished)
 * are caught around the calls that can cause them and returned as errors. A
 * connection that breaks (the X server went away) makes the next grab fail
 * with EDISPLAY instead of exiting the process (libX11 >= 1.8).
 */
#ifndef XTARS_CAPTURE_H
#define XTARS_CAPTURE_H

#include "xtars/buf.h"
#include "xtars/coords.h"
#include "xtars/error.h"
#include "xtars/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to capture. At most one of monitor, window, window_name and region
 * may be set; none means the whole screen. */
struct xtars_capture_options {
    const char *display;     /* NULL or "": $DISPLAY */
    const char *monitor;     /* XRandR monitor: index ("0", as xrandr --listmonitors numbers
                                them), monitor name or output name; NULL or "": none */
    unsigned long window;    /* X window id, 0: none */
    const char *window_name; /* exact _NET_WM_NAME or WM_NAME; NULL or "": none */
    struct xtars_rect region;/* root coordinates; width 0: none */
    int cursor;              /* 1: composite the pointer into frames (XFixes) */
    int no_shm;              /* 1: never use MIT-SHM (XGetImage only) */
};

/* Defaults: the whole screen of $DISPLAY, no cursor, MIT-SHM when possible. */
XTARS_API
void xtars_capture_options_init(struct xtars_capture_options *opts);

struct xtars_capture;

/* Connects and prepares to capture. The target rectangle is resolved now
 * (a window's is looked up again at every grab, as windows move) and is
 * clipped to the screen. MIT-SHM is used when the server offers it and a
 * shared segment can be attached (not on a remote display); otherwise
 * XGetImage. Errors: EDISPLAY (cannot open the display), ENOTSUP (not a 24-
 * or 32-bit TrueColor screen, or XRandR monitors unavailable), EINVAL (bad
 * or conflicting options, unknown monitor or window, region off screen),
 * ENOMEM. *out is NULL on failure. */
XTARS_API
xtars_err xtars_capture_new(const struct xtars_capture_options *opts, struct xtars_capture **out,
                            char err[static XTARS_ERRLEN]);

/* Detaches shared memory and closes the connection. Accepts NULL; safe
 * after the server has gone away. */
XTARS_API
void xtars_capture_free(struct xtars_capture *cap);

/* The rectangle of the root window the last grab covered (before the first
 * grab: the one resolved by xtars_capture_new()). Model coordinates map into
 * this rectangle. */
XTARS_API
struct xtars_rect xtars_capture_rect(const struct xtars_capture *cap);

/* Size of the whole screen (root window). */
XTARS_API
void xtars_capture_screen_size(const struct xtars_capture *cap, int *width, int *height);

/* 1 if frames come through MIT-SHM, 0 if through XGetImage. */
XTARS_API
int xtars_capture_uses_shm(const struct xtars_capture *cap);

/* Why MIT-SHM is not used ("disabled by option", "the server has no MIT-SHM
 * extension", ...), or "" when it is. Static or owned by cap; for a debug
 * log line. */
XTARS_API
const char *xtars_capture_shm_reason(const struct xtars_capture *cap);

/* Captures one frame into *out (B,G,R,X, see image.h); out->pixels belong
 * to cap and stay valid until the next grab or xtars_capture_free(). A
 * window target is looked up again first. Errors: EDISPLAY (the connection
 * is broken: the server went away; every later grab fails the same way),
 * EX11 (the server refused the request: the window vanished or is not
 * mapped), ENOMEM. *out is empty on failure. */
XTARS_API
xtars_err xtars_capture_grab(struct xtars_capture *cap, struct xtars_image *out,
                             char err[static XTARS_ERRLEN]);

/* ---- the screenshot pipeline ---------------------------------------------- */

enum xtars_shot_size {
    XTARS_SHOT_SMART = 0,  /* smart_resize(min_pixels, max_pixels): what the model expects */
    XTARS_SHOT_NATIVE = 1  /* captured size, no resize */
};

struct xtars_shot_options {
    int size;          /* enum xtars_shot_size */
    long min_pixels;   /* smart_resize bounds */
    long max_pixels;
    int format;        /* enum xtars_image_format (image.h) */
    int png_level;     /* 0..9, see xtars_image_encode_png() */
    int jpeg_quality;  /* 1..100 */
};

/* Defaults, the same as the config's: smart size within
 * XTARS_DEFAULT_MIN_PIXELS..XTARS_DEFAULT_MAX_PIXELS, PNG level 1 (fast;
 * UI images shrink little more at higher levels), JPEG quality 85. */
XTARS_API
void xtars_shot_options_init(struct xtars_shot_options *opts);

/* One screenshot as sent to the model: what was captured, what was sent,
 * the encoded bytes and where the time went. */
struct xtars_shot {
    struct xtars_rect screen;  /* captured rectangle, root coordinates */
    int sent_width;            /* size of the encoded image */
    int sent_height;
    int format;                /* enum xtars_image_format */
    struct xtars_buf data;     /* the encoded PNG or JPEG */
    struct xtars_image frame;  /* the captured frame (borrowed from the capture, valid
                                  until its next grab): for change detection */
    struct xtars_image resized;/* scratch, owned, reused from shot to shot */
    double capture_ms;
    double resize_ms;          /* 0 when resize_fused */
    double encode_ms;          /* includes resizing when resize_fused */
    int resize_fused;          /* 1: PNG rows were resized inside the encoder */
};

/* Prepares an empty shot whose encoded image may grow to max_bytes. */
XTARS_API
void xtars_shot_init(struct xtars_shot *shot, size_t max_bytes);

/* Frees the encoded bytes and the scratch image. Accepts NULL. */
XTARS_API
void xtars_shot_cleanup(struct xtars_shot *shot);

/* Grabs a frame, resizes it as asked and encodes it into shot->data
 * (replacing what was there), filling in every field. For PNG, resizing
 * runs inside the encoder (xtars_image_encode_png_resized()). The sent size and the
 * screen rectangle always come from the same grab. Errors: those of
 * xtars_capture_grab(), xtars_smart_resize() (ERANGE for absurd aspect
 * ratios), xtars_image_resize() and the encoders; EINVAL for bad options. */
XTARS_API
xtars_err xtars_capture_shot(struct xtars_capture *cap, const struct xtars_shot_options *opts,
                             struct xtars_shot *shot, char err[static XTARS_ERRLEN]);

/* "png" or "jpeg"; the MIME type "image/png" or "image/jpeg". */
XTARS_API
const char *xtars_shot_format_name(int format);
XTARS_API
const char *xtars_shot_mime_type(int format);

#ifdef __cplusplus
}
#endif
#endif
