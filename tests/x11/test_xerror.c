/* The process's one X error trap (agent/base/xerror.c) on a private Xvfb: an
 * error inside a trap is caught with its request, errors outside a trap (or
 * of another connection) still reach the handler installed before xtars, two
 * threads trapping at once each see only their own error, and a watched
 * connection survives its server while other connections keep the host's
 * I/O handler. */
#include <X11/Xlib.h>
#include <X11/Xproto.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "xfixture.h"
#include "agent/base/xerror.h"

#define NO_SUCH_WINDOW 0x7fff01ul
#define NO_SUCH_PIXMAP 0x7fff02ul

/* The host's own handler, installed before xtars's. */
static int host_errors, host_request, host_error_code;

static int host_handler(Display *dpy, XErrorEvent *event)
{
    (void)dpy;
    host_errors++;
    host_request = event->request_code;
    host_error_code = event->error_code;
    return 0;
}

static Display *open_display(void)
{
    Display *dpy = XOpenDisplay(NULL);

    if (dpy == NULL)
        FAIL("cannot open the test display");
    return dpy;
}

TEST(error_inside_a_trap_is_caught_with_its_request)
{
    struct xtars_xtrap trap, inner;
    XWindowAttributes attr;
    Display *dpy;

    xt_x_start(320, 240, NULL);
    XSetErrorHandler(host_handler);
    dpy = open_display();

    xtars_xtrap_begin(&trap, dpy);
    ASSERT_EQ(XGetWindowAttributes(dpy, NO_SUCH_WINDOW, &attr), 0);
    ASSERT_EQ(xtars_xtrap_end(&trap, 0), BadWindow); /* a reply was awaited: no sync needed */
    ASSERT_EQ(trap.request_code, X_GetWindowAttributes);
    ASSERT_EQ(trap.resource, NO_SUCH_WINDOW);

    /* A request without a reply: its error arrives with the sync. */
    xtars_xtrap_begin(&trap, dpy);
    XFreePixmap(dpy, NO_SUCH_PIXMAP);
    ASSERT_EQ(xtars_xtrap_end(&trap, 1), BadPixmap);
    ASSERT_EQ(trap.request_code, X_FreePixmap);

    /* Nested: the inner trap takes the error, the outer one sees nothing. */
    xtars_xtrap_begin(&trap, dpy);
    xtars_xtrap_begin(&inner, dpy);
    XFreePixmap(dpy, NO_SUCH_PIXMAP);
    ASSERT_EQ(xtars_xtrap_end(&inner, 1), BadPixmap);
    ASSERT_EQ(xtars_xtrap_end(&trap, 1), 0);

    /* No error: 0. */
    xtars_xtrap_begin(&trap, dpy);
    XSync(dpy, False);
    ASSERT_EQ(xtars_xtrap_end(&trap, 1), 0);
    ASSERT_EQ(host_errors, 0);
    XCloseDisplay(dpy);
}

TEST(errors_outside_a_trap_reach_the_previous_handler)
{
    struct xtars_xtrap trap;
    Display *dpy, *other;

    xt_x_start(320, 240, NULL);
    XSetErrorHandler(host_handler);
    dpy = open_display();
    other = open_display();
    xtars_xtrap_begin(&trap, dpy); /* installs xtars's handler */
    ASSERT_EQ(xtars_xtrap_end(&trap, 1), 0);

    XFreePixmap(dpy, NO_SUCH_PIXMAP); /* no trap open */
    XSync(dpy, False);
    ASSERT_EQ(host_errors, 1);
    ASSERT_EQ(host_request, X_FreePixmap);
    ASSERT_EQ(host_error_code, BadPixmap);

    /* A trap on one connection does not take another connection's errors. */
    xtars_xtrap_begin(&trap, dpy);
    XDestroyWindow(other, NO_SUCH_WINDOW);
    XSync(other, False);
    ASSERT_EQ(xtars_xtrap_end(&trap, 1), 0);
    ASSERT_EQ(host_errors, 2);
    ASSERT_EQ(host_request, X_DestroyWindow);
    XCloseDisplay(other);
    XCloseDisplay(dpy);
}

struct trapper {
    Display *dpy;
    int pixmap;                /* 1: BadPixmap from X_FreePixmap; 0: BadWindow from X_DestroyWindow */
    pthread_barrier_t *barrier;
    int wrong;                 /* traps that caught something else */
};

static void *trap_repeatedly(void *arg)
{
    struct trapper *t = arg;
    int want = t->pixmap ? BadPixmap : BadWindow;
    int want_request = t->pixmap ? X_FreePixmap : X_DestroyWindow;

    for (int i = 0; i < 200; i++) {
        struct xtars_xtrap trap;
        xtars_xtrap_begin(&trap, t->dpy);
        pthread_barrier_wait(t->barrier); /* both traps are open from here */
        if (t->pixmap)
            XFreePixmap(t->dpy, NO_SUCH_PIXMAP);
        else
            XDestroyWindow(t->dpy, NO_SUCH_WINDOW);
        XSync(t->dpy, False);
        pthread_barrier_wait(t->barrier); /* ... to here */
        if (xtars_xtrap_end(&trap, 0) != want || trap.request_code != want_request)
            t->wrong++;
    }
    return NULL;
}

TEST(two_threads_trapping_at_once_see_only_their_own_errors)
{
    pthread_barrier_t barrier;
    struct trapper a = {0}, b = {0};
    pthread_t ta, tb;

    ASSERT(XInitThreads());
    xt_x_start(320, 240, NULL);
    XSetErrorHandler(host_handler);
    ASSERT_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
    a.dpy = open_display();
    b.dpy = open_display();
    a.barrier = b.barrier = &barrier;
    b.pixmap = 1;
    ASSERT_EQ(pthread_create(&ta, NULL, trap_repeatedly, &a), 0);
    ASSERT_EQ(pthread_create(&tb, NULL, trap_repeatedly, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ASSERT_EQ(a.wrong, 0);
    ASSERT_EQ(b.wrong, 0);
    ASSERT_EQ(host_errors, 0);
    pthread_barrier_destroy(&barrier);
    XCloseDisplay(a.dpy);
    XCloseDisplay(b.dpy);
}

static int host_io_handler(Display *dpy)
{
    (void)dpy;
    _exit(42); /* the host's choice for its own connections */
}

/* In a child, since the host's handler ends the process: the watched
 * connection survives the server's end and is marked dead; the other one
 * still goes to the host's I/O handler. */
TEST(watched_connection_survives_its_server_and_others_keep_the_host_handler)
{
    pid_t child;
    int status;

    xt_x_start(320, 240, NULL);
    child = fork();
    ASSERT(child >= 0);
    if (child == 0) {
        struct xtars_xconn conn = {0};
        Display *watched, *other;

        /* as every xtars process does (cli.c): a write to the dead server's
         * socket would otherwise end the child with SIGPIPE before the
         * I/O error path runs, depending on timing */
        signal(SIGPIPE, SIG_IGN);
        XSetIOErrorHandler(host_io_handler);
        watched = open_display();
        other = open_display();
        xtars_xconn_watch(&conn, watched);
        xt_x_stop();
        XSync(watched, False);
        if (!conn.dead)
            _exit(1);
        XSync(watched, False); /* a second call on the broken connection returns too */
        XCloseDisplay(watched);
        xtars_xconn_unwatch(&conn);
        XSync(other, False);
        _exit(2); /* not reached: the host's handler exits 42 */
    }
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (WIFSIGNALED(status))
        FAIL("the child was killed by signal %d", WTERMSIG(status));
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 42);
}
