/* selection.c: reads, for the action policy, which window has the keyboard
 * focus (and its WM_CLASS) and the text of the CLIPBOARD and PRIMARY
 * selections, on a connection of its own. It must never send input, own a
 * selection or touch other clients' windows: a policy check may not change
 * what it checks. */
#include "actions/selection.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/base/xerror.h"

#define CLASS_SEARCH_DEPTH 3 /* root child (a frame) -> client window, a level to spare */

struct xtars_xdesk {
    Display *dpy;
    char display_name[128];
    struct xtars_xconn conn;
    Window root;
    Window requestor;        /* unmapped, receives the converted text */
    Atom clipboard, utf8_string, incr, property;
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static xtars_err gone(struct xtars_xdesk *d, char *err)
{
    return xtars_error(err, XTARS_EDISPLAY, "desktop: the X server %s went away", d->display_name);
}

xtars_err xtars_xdesk_open(const char *display, struct xtars_xdesk **out,
                           char err[static XTARS_ERRLEN])
{
    const char *name = display && display[0] ? display : getenv("DISPLAY");
    struct xtars_xdesk *d;

    *out = NULL;
    if ((d = calloc(1, sizeof *d)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "desktop: out of memory");
    snprintf(d->display_name, sizeof d->display_name, "%s", name ? name : "(unset $DISPLAY)");
    d->dpy = XOpenDisplay(display && display[0] ? display : NULL);
    if (d->dpy == NULL) {
        free(d);
        return xtars_error(err, XTARS_EDISPLAY, "desktop: cannot open display %.100s", name ? name : "(unset $DISPLAY)");
    }
    xtars_xconn_watch(&d->conn, d->dpy);
    d->root = DefaultRootWindow(d->dpy);
    d->requestor = XCreateSimpleWindow(d->dpy, d->root, -10, -10, 1, 1, 0, 0, 0);
    d->clipboard = XInternAtom(d->dpy, "CLIPBOARD", False);
    d->utf8_string = XInternAtom(d->dpy, "UTF8_STRING", False);
    d->incr = XInternAtom(d->dpy, "INCR", False);
    d->property = XInternAtom(d->dpy, "XTARS_SELECTION", False);
    XSync(d->dpy, False);
    if (d->conn.dead) {
        xtars_xdesk_close(d);
        return xtars_error(err, XTARS_EDISPLAY, "desktop: the X server %.100s went away", name);
    }
    *out = d;
    return XTARS_OK;
}

void xtars_xdesk_close(struct xtars_xdesk *d)
{
    if (d == NULL)
        return;
    if (!d->conn.dead && d->requestor)
        XDestroyWindow(d->dpy, d->requestor);
    XCloseDisplay(d->dpy);
    xtars_xconn_unwatch(&d->conn);
    free(d);
}

/* The child of the root that holds w (w itself for a top-level window);
 * None if w is the root or gone. */
static Window toplevel_of(struct xtars_xdesk *d, Window w)
{
    for (int depth = 0; w != None && w != d->root && depth < 64; depth++) {
        Window root, parent, *children = NULL;
        unsigned count;
        if (!XQueryTree(d->dpy, w, &root, &parent, &children, &count))
            return None;
        if (children)
            XFree(children);
        if (parent == d->root)
            return w;
        w = parent;
    }
    return None;
}

static int read_class(struct xtars_xdesk *d, Window w, struct xtars_xwindow *out)
{
    XClassHint hint = {NULL, NULL};

    if (!XGetClassHint(d->dpy, w, &hint))
        return 0;
    snprintf(out->instance, sizeof out->instance, "%s", hint.res_name ? hint.res_name : "");
    snprintf(out->class_name, sizeof out->class_name, "%s", hint.res_class ? hint.res_class : "");
    if (hint.res_name)
        XFree(hint.res_name);
    if (hint.res_class)
        XFree(hint.res_class);
    return 1;
}

/* WM_CLASS of w or, under a window manager's frame, of the first window
 * below it that has one. */
static int find_class(struct xtars_xdesk *d, Window w, int depth, struct xtars_xwindow *out)
{
    Window root, parent, *children = NULL;
    unsigned count;
    int found;

    if (read_class(d, w, out))
        return 1;
    if (depth >= CLASS_SEARCH_DEPTH || !XQueryTree(d->dpy, w, &root, &parent, &children, &count))
        return 0;
    found = 0;
    for (unsigned i = count; i-- > 0 && !found;) /* topmost first */
        found = find_class(d, children[i], depth + 1, out);
    if (children)
        XFree(children);
    return found;
}

static Window pointer_toplevel(struct xtars_xdesk *d)
{
    Window root, child = None;
    int rx, ry, wx, wy;
    unsigned mask;

    if (!XQueryPointer(d->dpy, d->root, &root, &child, &rx, &ry, &wx, &wy, &mask))
        return None;
    return child;
}

/* The top-level window keys go to: the focus window's, or with the focus on
 * PointerRoot the one under the pointer. */
static Window focus_toplevel(struct xtars_xdesk *d, Window *focus)
{
    int revert;

    *focus = None;
    XGetInputFocus(d->dpy, focus, &revert);
    if (*focus == PointerRoot)
        return pointer_toplevel(d);
    if (*focus == None)
        return None;
    return toplevel_of(d, *focus);
}

xtars_err xtars_xdesk_focus(struct xtars_xdesk *d, int settle_ms, struct xtars_xwindow *out,
                            char err[static XTARS_ERRLEN])
{
    struct xtars_xtrap trap;
    double deadline = now_ms() + settle_ms;
    Window focus = None, top;

    memset(out, 0, sizeof *out);
    if (d->conn.dead)
        return gone(d, err);
    xtars_xtrap_begin(&trap, d->dpy); /* windows may vanish while we look */
    top = focus_toplevel(d, &focus);
    /* After a click a window manager moves the focus asynchronously: wait
     * (briefly) until it reaches the window under the pointer. */
    while (settle_ms > 0 && focus != PointerRoot && !d->conn.dead && now_ms() < deadline) {
        Window under = pointer_toplevel(d);
        XWindowAttributes attr;
        if (under == None || under == top || !XGetWindowAttributes(d->dpy, under, &attr) ||
            attr.override_redirect || attr.map_state != IsViewable)
            break;
        struct timespec pause = {0, 2000000};
        nanosleep(&pause, NULL);
        top = focus_toplevel(d, &focus);
    }
    out->window = top;
    if (top != None && !find_class(d, focus != None && focus != PointerRoot ? focus : top, 0, out))
        find_class(d, top, 0, out);
    xtars_xtrap_end(&trap, 0);
    return d->conn.dead ? gone(d, err) : XTARS_OK;
}

xtars_err xtars_xdesk_window_at(struct xtars_xdesk *d, int has_point, int x, int y,
                                struct xtars_xwindow *out, char err[static XTARS_ERRLEN])
{
    struct xtars_xtrap trap;
    Window top = None;
    int wx, wy;

    memset(out, 0, sizeof *out);
    if (d->conn.dead)
        return gone(d, err);
    xtars_xtrap_begin(&trap, d->dpy);
    if (!has_point)
        top = pointer_toplevel(d);
    else if (!XTranslateCoordinates(d->dpy, d->root, d->root, x, y, &wx, &wy, &top))
        top = None;
    out->window = top;
    if (top != None)
        find_class(d, top, 0, out);
    xtars_xtrap_end(&trap, 0);
    return d->conn.dead ? gone(d, err) : XTARS_OK;
}

/* Waits for the SelectionNotify answering our request. */
static int wait_notify(struct xtars_xdesk *d, double deadline, XEvent *ev)
{
    for (;;) {
        if (XCheckTypedWindowEvent(d->dpy, d->requestor, SelectionNotify, ev))
            return 1;
        double left = deadline - now_ms();
        if (left <= 0 || d->conn.dead)
            return 0;
        struct pollfd pfd = {ConnectionNumber(d->dpy), POLLIN, 0};
        poll(&pfd, 1, left > 50 ? 50 : (int)left + 1);
    }
}

/* Latin-1 (STRING) to UTF-8, in place into a new buffer. */
static char *latin1_to_utf8(const unsigned char *s, size_t len)
{
    char *out = malloc(2 * len + 1), *p = out;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            *p++ = (char)s[i];
        } else {
            *p++ = (char)(0xc0 | s[i] >> 6);
            *p++ = (char)(0x80 | (s[i] & 0x3f));
        }
    }
    *p = '\0';
    return out;
}

static xtars_err fetch_property(struct xtars_xdesk *d, size_t max_bytes, int latin1, char **text,
                                char *err)
{
    Atom type = None;
    int format = 0;
    unsigned long count = 0, after = 0;
    unsigned char *data = NULL;
    xtars_err rc = XTARS_OK;

    if (XGetWindowProperty(d->dpy, d->requestor, d->property, 0, (long)(max_bytes / 4 + 1), True,
                           AnyPropertyType, &type, &format, &count, &after, &data) != Success)
        return xtars_error(err, XTARS_EX11, "desktop: cannot read the converted selection");
    if (type == d->incr)
        rc = xtars_error(err, XTARS_ETOOBIG, "desktop: the selection is sent in parts (INCR): "
                         "larger than the %zu bytes the policy checks", max_bytes);
    else if (after > 0 || count > max_bytes)
        rc = xtars_error(err, XTARS_ETOOBIG, "desktop: the selection is larger than the %zu "
                         "bytes the policy checks", max_bytes);
    else if (count > 0 && format != 8)
        rc = xtars_error(err, XTARS_EFORMAT, "desktop: the selection is not text (format %d)",
                         format);
    else if (count > 0 && memchr(data, '\0', count))
        rc = xtars_error(err, XTARS_EFORMAT, "desktop: the selection holds NUL bytes");
    if (rc == XTARS_OK) {
        if (latin1) {
            *text = latin1_to_utf8(data ? data : (unsigned char *)"", count);
        } else if ((*text = malloc(count + 1)) != NULL) {
            memcpy(*text, data ? (char *)data : "", count);
            (*text)[count] = '\0';
        }
        if (*text == NULL)
            rc = xtars_error(err, XTARS_ENOMEM, "desktop: out of memory");
    }
    if (data)
        XFree(data);
    return rc;
}

xtars_err xtars_xdesk_selection(struct xtars_xdesk *d, enum xtars_xselection which,
                                int timeout_ms, size_t max_bytes, char **text,
                                char err[static XTARS_ERRLEN])
{
    Atom selection = which == XTARS_XSEL_PRIMARY ? XA_PRIMARY : d->clipboard;
    Atom targets[2] = {d->utf8_string, XA_STRING};
    double deadline = now_ms() + timeout_ms;
    const char *name = which == XTARS_XSEL_PRIMARY ? "PRIMARY" : "CLIPBOARD";
    xtars_err rc = XTARS_OK;

    *text = NULL;
    if (d->conn.dead)
        return gone(d, err);
    if (XGetSelectionOwner(d->dpy, selection) == None) {
        *text = strdup("");
        return *text ? XTARS_OK : xtars_error(err, XTARS_ENOMEM, "desktop: out of memory");
    }
    for (int t = 0; t < 2; t++) {
        XEvent ev;
        XDeleteProperty(d->dpy, d->requestor, d->property);
        XConvertSelection(d->dpy, selection, targets[t], d->property, d->requestor, CurrentTime);
        if (!wait_notify(d, deadline, &ev))
            return d->conn.dead ? gone(d, err)
                                : xtars_error(err, XTARS_ETIMEOUT, "desktop: the owner of %s did "
                                              "not answer within %d ms", name, timeout_ms);
        if (ev.xselection.property == None)
            continue; /* cannot convert to this target: try the next */
        return fetch_property(d, max_bytes, targets[t] == XA_STRING, text, err);
    }
    *text = strdup(""); /* an owner with no text to give: a paste inserts nothing */
    if (*text == NULL)
        rc = xtars_error(err, XTARS_ENOMEM, "desktop: out of memory");
    return rc;
}
