/* xerror.c: the process's one X error trap and the registry of connections
 * that must survive their server (see xerror.h). Handlers are installed once
 * and chain to the ones they replaced; trap state is per thread. It must
 * never swallow an error nobody trapped, print, or exit. */
#include "agent/base/xerror.h"

#include <assert.h>
#include <pthread.h>
#include <stddef.h>

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static _Atomic(XErrorHandler) previous_error;
static _Atomic(XIOErrorHandler) previous_io;

static _Thread_local struct xtars_xtrap *innermost; /* this thread's open traps */

static pthread_mutex_t watched_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xtars_xconn *watched;

static int on_error(Display *dpy, XErrorEvent *event)
{
    XErrorHandler previous;

    for (struct xtars_xtrap *t = innermost; t; t = t->outer) {
        if (t->dpy != dpy)
            continue;
        if (t->error_code == 0) {
            t->error_code = event->error_code;
            t->request_code = event->request_code;
            t->minor_code = event->minor_code;
            t->resource = event->resourceid;
        }
        return 0;
    }
    previous = atomic_load(&previous_error);
    return previous ? previous(dpy, event) : 0;
}

/* Marks dpy's connection dead; 0 if dpy is not watched. */
static int mark_dead(Display *dpy)
{
    int found = 0;

    pthread_mutex_lock(&watched_lock);
    for (struct xtars_xconn *c = watched; c && !found; c = c->next) {
        if (c->dpy == dpy) {
            atomic_store(&c->dead, 1);
            found = 1;
        }
    }
    pthread_mutex_unlock(&watched_lock);
    return found;
}

/* Xlib's default fatal I/O handler exits. For a watched connection ours
 * returns, so libX11 >= 1.8 goes on to the connection's exit handler (below),
 * which returns too, and the failed call returns to its caller. */
static int on_io_error(Display *dpy)
{
    XIOErrorHandler previous;

    if (mark_dead(dpy))
        return 0;
    previous = atomic_load(&previous_io);
    return previous ? previous(dpy) : 0;
}

#ifdef XTARS_HAVE_IO_EXIT_HANDLER
static void on_io_exit(Display *dpy, void *user_data)
{
    struct xtars_xconn *conn = user_data;

    (void)dpy;
    atomic_store(&conn->dead, 1);
}
#endif

/* An error arriving in another thread between XSetErrorHandler() and the
 * store below finds no previous handler and is dropped: a window of a few
 * instructions, once per process. */
static void install(void)
{
    atomic_store(&previous_error, XSetErrorHandler(on_error));
    atomic_store(&previous_io, XSetIOErrorHandler(on_io_error));
}

void xtars_xtrap_begin(struct xtars_xtrap *trap, Display *dpy)
{
    pthread_once(&install_once, install);
    trap->dpy = dpy;
    trap->error_code = 0;
    trap->request_code = 0;
    trap->minor_code = 0;
    trap->resource = 0;
    trap->outer = innermost;
    innermost = trap;
}

int xtars_xtrap_end(struct xtars_xtrap *trap, int sync)
{
    if (sync)
        XSync(trap->dpy, False);
    assert(innermost == trap && "X error traps end in reverse order");
    innermost = trap->outer;
    return trap->error_code;
}

void xtars_xconn_watch(struct xtars_xconn *conn, Display *dpy)
{
    pthread_once(&install_once, install);
    conn->dpy = dpy;
    atomic_store(&conn->dead, 0);
#ifdef XTARS_HAVE_IO_EXIT_HANDLER
    XSetIOErrorExitHandler(dpy, on_io_exit, conn);
#endif
    pthread_mutex_lock(&watched_lock);
    conn->next = watched;
    watched = conn;
    pthread_mutex_unlock(&watched_lock);
}

void xtars_xconn_unwatch(struct xtars_xconn *conn)
{
    pthread_mutex_lock(&watched_lock);
    for (struct xtars_xconn **p = &watched; *p; p = &(*p)->next) {
        if (*p == conn) {
            *p = conn->next;
            break;
        }
    }
    pthread_mutex_unlock(&watched_lock);
    conn->next = NULL;
}
