/* xerror.h: the one X error trap of the process, shared by capture and the
 * executor (the only Xlib users in the library).
 *
 * Xlib reports protocol errors (a window that vanished) and I/O errors (the
 * server went away) to process-wide handlers whose defaults exit. The first
 * trap or watched connection installs ours, once (pthread_once), remembering
 * the handlers installed before: they still receive every error xtars does not
 * claim.
 *
 * Protocol errors: xtars_xtrap_begin() .. xtars_xtrap_end() catch the errors of
 * one connection on the calling thread; traps are per thread and may nest.
 * Errors outside any trap, of another connection, or of another thread's
 * requests go to the previous handler.
 *
 * I/O errors: a connection registered with xtars_xconn_watch() survives its
 * server going away: with libX11 >= 1.8 (XSetIOErrorExitHandler) the failing
 * call returns, conn->dead becomes 1 and the caller reports EDISPLAY. I/O
 * errors of other connections go to the previous handler (Xlib's default
 * exits, as always). Older libX11 exits in any case.
 *
 * Ownership: the caller owns trap and conn structs (usually on the stack, or
 * inside its own object); nothing is allocated. A host that installs its own
 * handlers after xtars must chain to the ones it replaces (XSetErrorHandler
 * returns them), or its handlers see xtars's trapped errors too.
 */
#ifndef XTARS_BASE_XERROR_H
#define XTARS_BASE_XERROR_H

/* The one wording for "there is no X display to use" (capture, executor,
 * agent), so every command tells it the same way. */
#define XTARS_NO_DISPLAY_MESSAGE                                                          \
    "no X display: DISPLAY is not set (give --display D, or run on a private headless " \
    "screen with 'xtars run --xvfb WxH')"

#include <X11/Xlib.h>
#include <stdatomic.h>

struct xtars_xtrap {
    Display *dpy;               /* errors of this connection are caught */
    int error_code;             /* first error caught (BadWindow, ...); 0: none */
    int request_code;           /* its request's major opcode (X_GetWindowAttributes, ...) */
    int minor_code;             /* its minor opcode (extension requests) */
    unsigned long resource;     /* the resource id it names */
    struct xtars_xtrap *outer;  /* the trap this one nests in, on this thread */
};

/* Starts catching dpy's protocol errors on this thread. Every begin needs
 * its end, in reverse order of nesting. */
void xtars_xtrap_begin(struct xtars_xtrap *trap, Display *dpy);

/* Stops catching. sync: XSync first, so the errors of requests without a
 * reply arrive (not needed after a call that waits for a reply). Returns the
 * error code of the first error caught (0: none). */
int xtars_xtrap_end(struct xtars_xtrap *trap, int sync);

/* A connection whose server may go away under it. */
struct xtars_xconn {
    Display *dpy;
    atomic_int dead;            /* 1 once the connection broke: send nothing more */
    struct xtars_xconn *next;   /* the watched list (private) */
};

/* Registers dpy, just opened: its I/O errors mark conn->dead instead of
 * exiting (see above). conn must stay valid until xtars_xconn_unwatch(). */
void xtars_xconn_watch(struct xtars_xconn *conn, Display *dpy);

/* Unregisters conn; call after XCloseDisplay(), whose final XSync may be the
 * first call to find the server gone. Accepts a conn never watched (zeroed). */
void xtars_xconn_unwatch(struct xtars_xconn *conn);

#endif
