/* Under a real window manager (openbox: reparenting, decorations,
 * click-to-focus), which every other x11 test lacks: window capture finds the
 * client window, not the frame around it, with its root position; a click
 * gives the focus to the window clicked, so text typed right after it (no
 * pause in between) goes there, as it does on a desktop; and `xtars act`
 * performs a click and text end to end. Before the executor waited for the
 * window manager's focus change, a loaded machine sent the text to the
 * previously focused window about one time in four. */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "run.h"
#include "test.h"
#include "xclient_ctl.h"
#include "xdraw.h"
#include "xfixture.h"
#include "xtars/capture.h"
#include "xtars/config.h"
#include "xtars/exec.h"

static pid_t wm_pid;

static void stop_wm(void)
{
    if (wm_pid > 0) {
        kill(wm_pid, SIGTERM);
        waitpid(wm_pid, NULL, 0);
        wm_pid = 0;
    }
}

static void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The window manager's check window on the root (EWMH), once it manages. */
static int wm_running(Display *dpy)
{
    Atom check = XInternAtom(dpy, "_NET_SUPPORTING_WM_CHECK", False), type;
    unsigned long count = 0, after;
    unsigned char *data = NULL;
    int format, ok;

    ok = XGetWindowProperty(dpy, DefaultRootWindow(dpy), check, 0, 1, False, XA_WINDOW, &type,
                            &format, &count, &after, &data) == Success && count == 1;
    if (data)
        XFree(data);
    return ok;
}

/* A private Xvfb with openbox managing it. openbox sets its EWMH check
 * window before it is ready and drops the map requests it sees while
 * starting, so readiness is its --startup command, which it runs once it
 * manages the screen. */
static void start_desktop(int width, int height)
{
    char ready[1024], startup[1100];

    xt_x_start(width, height, NULL);
    snprintf(ready, sizeof ready, "%s/openbox-ready", xt_tmpdir());
    snprintf(startup, sizeof startup, "touch %s", ready);
    unlink(ready);
    wm_pid = fork();
    ASSERT(wm_pid >= 0);
    if (wm_pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("openbox", "openbox", "--sm-disable", "--startup", startup, (char *)NULL);
        _exit(127);
    }
    atexit(stop_wm); /* registered after the Xvfb's stop, so it runs first */
    for (int i = 0; i < 500 && access(ready, F_OK) != 0; i++)
        pause_ms(20);
    if (access(ready, F_OK) != 0)
        FAIL("openbox did not start (is the openbox package installed? `make deps`)");
    {
        Display *dpy = xd_open();
        ASSERT(wm_running(dpy));
        XCloseDisplay(dpy);
    }
}

/* Where a window's inside is on the root (the frame's decorations moved it). */
static void root_position(Display *dpy, Window w, int *x, int *y)
{
    Window child;
    ASSERT(XTranslateCoordinates(dpy, w, DefaultRootWindow(dpy), 0, 0, x, y, &child));
}

/* The window that holds w: its frame under a reparenting window manager. */
static Window parent_of(Display *dpy, Window w)
{
    Window root, parent, *children = NULL;
    unsigned count;

    ASSERT(XQueryTree(dpy, w, &root, &parent, &children, &count));
    if (children)
        XFree(children);
    return parent;
}

/* A managed (not override-redirect) titled window painted with the pattern
 * from its own origin; returns once the window manager has mapped it and it
 * is painted. */
static Window managed_window(Display *dpy, int w, int h, const char *title)
{
    XSetWindowAttributes attr = {0};
    Window win;
    XEvent ev;

    attr.background_pixel = 0;
    attr.event_mask = ExposureMask | StructureNotifyMask;
    win = XCreateWindow(dpy, DefaultRootWindow(dpy), 40, 40, (unsigned)w, (unsigned)h, 0,
                        CopyFromParent, InputOutput, CopyFromParent, CWBackPixel | CWEventMask,
                        &attr);
    XStoreName(dpy, win, title);
    XChangeProperty(dpy, win, XInternAtom(dpy, "_NET_WM_NAME", False),
                    XInternAtom(dpy, "UTF8_STRING", False), 8, PropModeReplace,
                    (const unsigned char *)title, (int)strlen(title));
    XMapWindow(dpy, win);
    do
        XNextEvent(dpy, &ev);
    while (ev.type != Expose);
    pause_ms(100); /* the frame's own drawing */
    xd_paint(dpy, win, 0, 0, w, h, 0, 0);
    return win;
}

static void expect_pattern(const struct xtars_image *frame)
{
    for (int y = 0; y < frame->height; y++)
        for (int x = 0; x < frame->width; x++) {
            const unsigned char *p = frame->pixels + (size_t)y * frame->stride + 4 * (size_t)x;
            unsigned char b, g, r;
            xd_pattern(x, y, &b, &g, &r);
            if (p[0] != b || p[1] != g || p[2] != r)
                FAIL("pixel (%d,%d) is B,G,R %d,%d,%d, expected %d,%d,%d (a frame's pixels?)", x,
                     y, p[0], p[1], p[2], b, g, r);
        }
}

TEST(window_capture_finds_the_client_window_inside_its_frame)
{
    Display *dpy;
    Window win;
    int x, y;
    struct xtars_capture *cap = NULL;
    struct xtars_image frame;
    struct xtars_rect r;
    char err[XTARS_ERRLEN];

    start_desktop(800, 600);
    dpy = xd_open();
    win = managed_window(dpy, 240, 160, "xtars managed window");
    ASSERT(parent_of(dpy, win) != DefaultRootWindow(dpy)); /* reparented into a frame */
    root_position(dpy, win, &x, &y);
    ASSERT(x > 0 || y > 0);
    /* By title: the client window (the frame is larger and decorated). */
    if (xtars_capture_new(&(struct xtars_capture_options){.window_name = "xtars managed window"},
                          &cap, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_EQ(xtars_capture_grab(cap, &frame, err), XTARS_OK);
    r = xtars_capture_rect(cap);
    if (r.x != x || r.y != y || r.width != 240 || r.height != 160)
        FAIL("captured %dx%d+%d+%d, the window is 240x160+%d+%d", r.width, r.height, r.x, r.y, x, y);
    expect_pattern(&frame);
    xtars_capture_free(cap);
    /* By id: the same. */
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.window = win}, &cap, err), XTARS_OK);
    ASSERT_EQ(xtars_capture_grab(cap, &frame, err), XTARS_OK);
    r = xtars_capture_rect(cap);
    ASSERT_EQ(r.x, x);
    ASSERT_EQ(r.y, y);
    expect_pattern(&frame);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

/* Each client window's centre on the root. */
static void centre_of(struct xt_client *c, int *x, int *y)
{
    XWindowAttributes attr;

    ASSERT(XGetWindowAttributes(c->dpy, c->window, &attr));
    root_position(c->dpy, c->window, x, y);
    *x += attr.width / 2;
    *y += attr.height / 2;
}

static char *typed_into(struct xt_client *c)
{
    cJSON *events = xt_client_events(c);
    char *text = xt_events_text(events);

    cJSON_Delete(events);
    return text;
}

/* Clicks the centre of `into` and types text at once (no pause), then checks
 * that `into` read exactly the text and `other` nothing. */
static void click_then_type(struct xtars_executor *ex, struct xt_client *into,
                            struct xt_client *other, const char *text)
{
    struct xtars_action click, type;
    char err[XTARS_ERRLEN], *got;

    memset(&click, 0, sizeof click);
    memset(&type, 0, sizeof type);
    click.type = XTARS_ACTION_CLICK;
    click.has_point = 1;
    centre_of(into, &click.x, &click.y);
    type.type = XTARS_ACTION_TYPE;
    type.text = strdup(text);
    ASSERT_EQ(xtars_exec_perform(ex, &click, NULL, err), XTARS_OK);
    ASSERT_EQ(xtars_exec_perform(ex, &type, NULL, err), XTARS_OK);
    got = typed_into(into);
    ASSERT_STR_EQ(got, text);
    free(got);
    got = typed_into(other);
    ASSERT_STR_EQ(got, "");
    free(got);
    free(type.text);
}

TEST(click_gives_the_focus_and_text_follows_it)
{
    struct xt_client a, b;
    struct xtars_exec_options opts;
    struct xtars_executor *ex;
    char err[XTARS_ERRLEN];

    start_desktop(900, 500);
    xt_client_start(&a, "300x200+40+60");
    xt_client_start(&b, "300x200+460+60"); /* started last: b has the focus */
    xtars_exec_options_init(&opts); /* the config's defaults */
    ASSERT_EQ(xtars_exec_new_xtest(&opts, &ex, err), XTARS_OK);
    cJSON_Delete(xt_client_events(&a));
    cJSON_Delete(xt_client_events(&b));
    click_then_type(ex, &a, &b, "into a, é");
    click_then_type(ex, &b, &a, "into b");
    click_then_type(ex, &a, &b, "and a again");
    xtars_exec_free(ex);
    xt_client_stop(&b);
    xt_client_stop(&a);
}

/* `xtars act` as a user runs it: a click in model coordinates (pixels
 * family, so the point is the screen point), then text, under openbox. */
TEST(act_clicks_and_types_into_a_managed_window)
{
    struct xt_client a, b;
    struct xt_result r;
    char call[128], *text;
    int x, y;

    start_desktop(900, 500);
    xt_client_start(&a, "300x200+40+60");
    xt_client_start(&b, "300x200+460+60");
    cJSON_Delete(xt_client_events(&a));
    cJSON_Delete(xt_client_events(&b));
    centre_of(&a, &x, &y);
    snprintf(call, sizeof call, "click(start_box='(%d,%d)')", x, y);
    r = xt_run((const char *const[]){"@xtars", "act", "--set", "family=pixels", call,
                                     "type(content='hello wm')", NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("xtars act exit %d: %s", r.status, r.err);
    xt_result_free(&r);
    text = typed_into(&a);
    ASSERT_STR_EQ(text, "hello wm");
    free(text);
    text = typed_into(&b);
    ASSERT_STR_EQ(text, "");
    free(text);
    xt_client_stop(&b);
    xt_client_stop(&a);
}
