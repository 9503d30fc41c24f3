/* x11.c: screen capture from an X server; the only user of XShm,
 * XGetImage, XRandR and XFixes. Frames come from the root window through one
 * reused MIT-SHM segment (about a memcpy of the frame), or XGetImage when
 * shared memory is unavailable. It must never exit or crash the process when
 * the server refuses a request or goes away: errors are trapped and
 * returned. Never prints. */
#include "xtars/capture.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrandr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "agent/base/xerror.h"
#include "windows.h"
#include "x11_convert.h"

struct xtars_capture {
    Display *dpy;
    Window root;
    Visual *visual;
    int depth;
    int screen_width;
    int screen_height;
    struct xtars_xconn conn;   /* conn.dead: the connection broke (xerror.h) */
    char display_name[128];    /* for messages: which server went away */
    int native;                /* the server's pixels are already B,G,R,X */

    Window window;             /* window target, looked up at every grab; 0: fixed rect */
    struct xtars_rect rect;    /* what the next/last grab covers */
    int cursor;

    int use_shm;
    const char *shm_reason;
    XShmSegmentInfo shm;
    int shm_attached;
    XImage *image;             /* SHM image (reused) or the last XGetImage result */

    unsigned char *converted;  /* B,G,R,X copy for servers with other pixel layouts */
    size_t converted_size;
};

/* ---- error handling ------------------------------------------------------ */

static xtars_err dead_error(const struct xtars_capture *cap, char *err)
{
    return xtars_error(err, XTARS_EDISPLAY,
                       "capture: lost the connection to the X server on display %s (it exited or "
                       "was killed)", cap->display_name);
}

/* ---- the screen's pixel format ------------------------------------------- */

static int bits_per_pixel(Display *dpy, int depth)
{
    int count = 0, bpp = 0;
    XPixmapFormatValues *formats = XListPixmapFormats(dpy, &count);

    for (int i = 0; formats && i < count; i++)
        if (formats[i].depth == depth)
            bpp = formats[i].bits_per_pixel;
    XFree(formats);
    return bpp;
}

static xtars_err check_visual(struct xtars_capture *cap, char *err)
{
    const Visual *v = cap->visual;
    int bpp = bits_per_pixel(cap->dpy, cap->depth);
    const unsigned int probe = 1;
    const int little_endian = *(const unsigned char *)&probe == 1;

    if (v->class != TrueColor || (cap->depth != 24 && cap->depth != 32))
        return xtars_error(err, XTARS_ENOTSUP,
                           "capture: the screen is %d-bit %s; xtars needs a 24- or 32-bit "
                           "TrueColor visual",
                           cap->depth, v->class == TrueColor ? "TrueColor" : "non-TrueColor");
    cap->native = bpp == 32 && v->red_mask == 0xff0000 && v->green_mask == 0xff00 &&
                  v->blue_mask == 0xff && little_endian &&
                  ImageByteOrder(cap->dpy) == LSBFirst;
    return XTARS_OK;
}

/* ---- targets ------------------------------------------------------------- */

/* Intersects r with the screen; 0 if nothing is left. */
static int clip_to_screen(const struct xtars_capture *cap, struct xtars_rect *r)
{
    int x1 = r->x + r->width, y1 = r->y + r->height;

    if (r->x < 0)
        r->x = 0;
    if (r->y < 0)
        r->y = 0;
    if (x1 > cap->screen_width)
        x1 = cap->screen_width;
    if (y1 > cap->screen_height)
        y1 = cap->screen_height;
    r->width = x1 - r->x;
    r->height = y1 - r->y;
    return r->width > 0 && r->height > 0;
}

/* Root rectangle of a window's inside (no border), clipped to the screen. */
static xtars_err window_rect(struct xtars_capture *cap, Window w, struct xtars_rect *r, char *err)
{
    XWindowAttributes attr;
    struct xtars_xtrap trap;
    Window child;
    int ok, x = 0, y = 0;

    xtars_xtrap_begin(&trap, cap->dpy);
    ok = XGetWindowAttributes(cap->dpy, w, &attr) &&
         XTranslateCoordinates(cap->dpy, w, cap->root, 0, 0, &x, &y, &child);
    if (xtars_xtrap_end(&trap, 0) != 0 || !ok)
        return cap->conn.dead ? dead_error(cap, err)
                         : xtars_error(err, XTARS_EX11, "capture: no window 0x%lx", (unsigned long)w);
    if (attr.map_state != IsViewable)
        return xtars_error(err, XTARS_EX11, "capture: window 0x%lx is not mapped",
                           (unsigned long)w);
    *r = (struct xtars_rect){x, y, attr.width, attr.height};
    if (!clip_to_screen(cap, r))
        return xtars_error(err, XTARS_EX11, "capture: window 0x%lx is off screen",
                           (unsigned long)w);
    return XTARS_OK;
}

/* The window's title: _NET_WM_NAME (UTF-8) or else WM_NAME, into name. */
static void window_title(Display *dpy, Window w, char *name, size_t size)
{
    Atom net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False), type;
    unsigned long count = 0, after;
    unsigned char *data = NULL;
    char *legacy = NULL;
    int format;

    name[0] = '\0';
    if (XGetWindowProperty(dpy, w, net_wm_name, 0, 1024, False, AnyPropertyType, &type, &format,
                           &count, &after, &data) == Success && data && format == 8) {
        snprintf(name, size, "%.*s", (int)count, (const char *)data);
    } else if (XFetchName(dpy, w, &legacy) && legacy) {
        snprintf(name, size, "%s", legacy);
    }
    if (data)
        XFree(data);
    if (legacy)
        XFree(legacy);
}

/* Depth-first search for a viewable window titled `name`. */
static Window find_named(Display *dpy, Window w, const char *name, int depth)
{
    Window root_return, parent, *children = NULL, found = 0;
    unsigned int count = 0;
    char title[512];
    XWindowAttributes attr;

    if (depth > 64)
        return 0;
    window_title(dpy, w, title, sizeof title);
    if (strcmp(title, name) == 0 && XGetWindowAttributes(dpy, w, &attr) &&
        attr.map_state == IsViewable)
        return w;
    if (!XQueryTree(dpy, w, &root_return, &parent, &children, &count))
        return 0;
    for (unsigned int i = count; i-- > 0 && !found;) /* topmost first */
        found = find_named(dpy, children[i], name, depth + 1);
    if (children)
        XFree(children);
    return found;
}

static xtars_err resolve_window_name(struct xtars_capture *cap, const char *name, char *err)
{
    struct xtars_xtrap trap;
    Window w;

    xtars_xtrap_begin(&trap, cap->dpy);
    w = find_named(cap->dpy, cap->root, name, 0);
    xtars_xtrap_end(&trap, 0); /* windows closing during the walk are skipped */
    if (cap->conn.dead)
        return dead_error(cap, err);
    if (w == 0)
        return xtars_error(err, XTARS_EINVAL, "capture: no mapped window titled '%s'", name);
    cap->window = w;
    return window_rect(cap, w, &cap->rect, err);
}

/* "name 1920x1080+0+0, ..." for error messages. */
static void list_monitors(Display *dpy, const XRRMonitorInfo *m, int n, char *text, size_t size)
{
    size_t used = 0;

    text[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        char *name = XGetAtomName(dpy, m[i].name);
        int wrote = snprintf(text + used, size - used, "%s%d '%s' %dx%d+%d+%d", i ? ", " : "", i,
                             name ? name : "?", m[i].width, m[i].height, m[i].x, m[i].y);
        if (name)
            XFree(name);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
}

/* Index of the monitor named `want` by monitor name or by one of its outputs'
 * names; -1 if none. */
static int monitor_by_name(Display *dpy, Window root, const XRRMonitorInfo *m, int n,
                           const char *want)
{
    XRRScreenResources *res = XRRGetScreenResourcesCurrent(dpy, root);
    int found = -1;

    for (int i = 0; i < n && found < 0; i++) {
        char *name = XGetAtomName(dpy, m[i].name);
        if (name && strcmp(name, want) == 0)
            found = i;
        if (name)
            XFree(name);
        for (int k = 0; res && k < m[i].noutput && found < 0; k++) {
            XRROutputInfo *info = XRRGetOutputInfo(dpy, res, m[i].outputs[k]);
            if (info && strcmp(info->name, want) == 0)
                found = i;
            if (info)
                XRRFreeOutputInfo(info);
        }
    }
    if (res)
        XRRFreeScreenResources(res);
    return found;
}

static int parse_index(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);

    return end != text && *end == '\0' && v >= 0 && v < 1000 ? (int)v : -1;
}

static xtars_err resolve_monitor(struct xtars_capture *cap, const char *want, char *err)
{
    int event_base, error_base, major = 0, minor = 0, n = 0, index;
    XRRMonitorInfo *m;
    char names[400];

    if (!XRRQueryExtension(cap->dpy, &event_base, &error_base) ||
        !XRRQueryVersion(cap->dpy, &major, &minor) || major * 100 + minor < 105)
        return xtars_error(err, XTARS_ENOTSUP,
                           "capture: monitor '%s' asked for, but the server has no RandR 1.5", want);
    m = XRRGetMonitors(cap->dpy, cap->root, True, &n);
    index = parse_index(want);
    if (index < 0 && m)
        index = monitor_by_name(cap->dpy, cap->root, m, n, want);
    if (m == NULL || index < 0 || index >= n) {
        if (m)
            list_monitors(cap->dpy, m, n, names, sizeof names);
        XRRFreeMonitors(m);
        return xtars_error(err, XTARS_EINVAL, "capture: no monitor '%s' (monitors: %s)", want,
                           m && n ? names : "none");
    }
    cap->rect = (struct xtars_rect){m[index].x, m[index].y, m[index].width, m[index].height};
    XRRFreeMonitors(m);
    if (!clip_to_screen(cap, &cap->rect))
        return xtars_error(err, XTARS_EINVAL, "capture: monitor '%s' is off screen", want);
    return XTARS_OK;
}

static xtars_err resolve_target(struct xtars_capture *cap, const struct xtars_capture_options *o,
                                char *err)
{
    cap->rect = (struct xtars_rect){0, 0, cap->screen_width, cap->screen_height};
    if (o->monitor && o->monitor[0])
        return resolve_monitor(cap, o->monitor, err);
    if (o->window_name && o->window_name[0])
        return resolve_window_name(cap, o->window_name, err);
    if (o->window) {
        cap->window = (Window)o->window;
        return window_rect(cap, cap->window, &cap->rect, err);
    }
    if (o->region.width || o->region.height) {
        cap->rect = o->region;
        if (o->region.width < 1 || o->region.height < 1 || !clip_to_screen(cap, &cap->rect))
            return xtars_error(err, XTARS_EINVAL, "capture: region %dx%d+%d+%d is off screen",
                               o->region.width, o->region.height, o->region.x, o->region.y);
    }
    return XTARS_OK;
}

/* ---- MIT-SHM ------------------------------------------------------------- */

static void shm_teardown(struct xtars_capture *cap)
{
    if (cap->image == NULL || !cap->use_shm)
        return;
    if (cap->shm_attached && !cap->conn.dead)
        XShmDetach(cap->dpy, &cap->shm);
    cap->shm_attached = 0;
    if (cap->shm.shmaddr && cap->shm.shmaddr != (char *)-1)
        shmdt(cap->shm.shmaddr);
    cap->shm.shmaddr = NULL;
    cap->image->data = NULL; /* not XDestroyImage's to free */
    XDestroyImage(cap->image);
    cap->image = NULL;
}

/* Creates the shared image for width x height. Returns NULL, or why SHM
 * cannot be used (the capture then falls back to XGetImage). */
static const char *shm_setup(struct xtars_capture *cap, int width, int height)
{
    struct xtars_xtrap trap;
    int failed;

    cap->image = XShmCreateImage(cap->dpy, cap->visual, (unsigned)cap->depth, ZPixmap, NULL,
                                 &cap->shm, (unsigned)width, (unsigned)height);
    if (cap->image == NULL)
        return "XShmCreateImage failed";
    cap->shm.shmid = shmget(IPC_PRIVATE, (size_t)cap->image->bytes_per_line * (size_t)height,
                            IPC_CREAT | 0600);
    if (cap->shm.shmid < 0) {
        XDestroyImage(cap->image);
        cap->image = NULL;
        return "shmget failed (shared memory limits?)";
    }
    cap->shm.shmaddr = cap->image->data = shmat(cap->shm.shmid, NULL, 0);
    cap->shm.readOnly = False;
#ifdef MADV_POPULATE_WRITE
    /* Allocate the segment's pages in one call rather than one fault each
     * (Linux >= 5.14; harmless to skip where unsupported). */
    if (cap->shm.shmaddr != (char *)-1)
        madvise(cap->shm.shmaddr, (size_t)cap->image->bytes_per_line * (size_t)height,
                MADV_POPULATE_WRITE);
#endif
    xtars_xtrap_begin(&trap, cap->dpy);
    failed = cap->shm.shmaddr == (char *)-1 || !XShmAttach(cap->dpy, &cap->shm);
    failed = xtars_xtrap_end(&trap, 1) != 0 || failed || cap->conn.dead;
    cap->shm_attached = !failed;
    /* Marked for removal now: it disappears when both sides detach, even if
     * this process dies. */
    shmctl(cap->shm.shmid, IPC_RMID, NULL);
    if (failed) {
        shm_teardown(cap);
        return "the server cannot attach our shared memory (remote display?)";
    }
    return NULL;
}

static void choose_shm(struct xtars_capture *cap, int no_shm)
{
    cap->use_shm = 0;
    if (no_shm) {
        cap->shm_reason = "disabled by option";
        return;
    }
    if (!XShmQueryExtension(cap->dpy)) {
        cap->shm_reason = "the server has no MIT-SHM extension";
        return;
    }
    cap->use_shm = 1;
    cap->shm_reason = shm_setup(cap, cap->rect.width, cap->rect.height);
    if (cap->shm_reason)
        cap->use_shm = 0;
    else
        cap->shm_reason = "";
}

/* ---- lifetime ------------------------------------------------------------ */

static xtars_err check_options(const struct xtars_capture_options *o, char *err)
{
    int targets = (o->monitor && o->monitor[0]) + (o->window != 0) +
                  (o->window_name && o->window_name[0]) +
                  (o->region.width != 0 || o->region.height != 0);

    if (targets > 1)
        return xtars_error(err, XTARS_EINVAL,
                           "capture: give at most one of monitor, window, window name and region");
    return XTARS_OK;
}

static xtars_err open_display(struct xtars_capture *cap, const char *name, char *err)
{
    int screen;

    cap->dpy = XOpenDisplay(name && name[0] ? name : NULL);
    if (cap->dpy == NULL) {
        const char *which = XDisplayName(name && name[0] ? name : NULL);
        if (which == NULL || which[0] == '\0')
            return xtars_error(err, XTARS_EDISPLAY, "%s", XTARS_NO_DISPLAY_MESSAGE);
        return xtars_error(err, XTARS_EDISPLAY, "capture: cannot open display '%s'", which);
    }
    xtars_xconn_watch(&cap->conn, cap->dpy);
    snprintf(cap->display_name, sizeof cap->display_name, "%s", DisplayString(cap->dpy));
    screen = DefaultScreen(cap->dpy);
    cap->root = RootWindow(cap->dpy, screen);
    cap->visual = DefaultVisual(cap->dpy, screen);
    cap->depth = DefaultDepth(cap->dpy, screen);
    cap->screen_width = DisplayWidth(cap->dpy, screen);
    cap->screen_height = DisplayHeight(cap->dpy, screen);
    return check_visual(cap, err);
}

static xtars_err check_cursor(struct xtars_capture *cap, char *err)
{
    int event_base, error_base;

    if (cap->cursor && !XFixesQueryExtension(cap->dpy, &event_base, &error_base))
        return xtars_error(err, XTARS_ENOTSUP,
                           "capture: cursor asked for, but the server has no XFixes extension");
    return XTARS_OK;
}

xtars_err xtars_capture_new(const struct xtars_capture_options *opts, struct xtars_capture **out,
                            char err[static XTARS_ERRLEN])
{
    struct xtars_capture *cap;
    xtars_err rc;

    *out = NULL;
    rc = check_options(opts, err);
    if (rc != XTARS_OK)
        return rc;
    cap = calloc(1, sizeof *cap);
    if (cap == NULL)
        return xtars_error(err, XTARS_ENOMEM, "capture: out of memory");
    cap->cursor = opts->cursor;
    rc = open_display(cap, opts->display, err);
    if (rc == XTARS_OK)
        rc = resolve_target(cap, opts, err);
    if (rc == XTARS_OK)
        rc = check_cursor(cap, err);
    if (rc != XTARS_OK) {
        xtars_capture_free(cap);
        return rc;
    }
    choose_shm(cap, opts->no_shm);
    *out = cap;
    return XTARS_OK;
}

void xtars_capture_free(struct xtars_capture *cap)
{
    if (cap == NULL)
        return;
    if (cap->use_shm)
        shm_teardown(cap);
    else if (cap->image)
        XDestroyImage(cap->image);
    if (cap->dpy)
        XCloseDisplay(cap->dpy);
    xtars_xconn_unwatch(&cap->conn);
    free(cap->converted);
    free(cap);
}

struct xtars_rect xtars_capture_rect(const struct xtars_capture *cap)
{
    return cap->rect;
}

void xtars_capture_screen_size(const struct xtars_capture *cap, int *width, int *height)
{
    *width = cap->screen_width;
    *height = cap->screen_height;
}

int xtars_capture_uses_shm(const struct xtars_capture *cap)
{
    return cap->use_shm;
}

const char *xtars_capture_shm_reason(const struct xtars_capture *cap)
{
    return cap->shm_reason ? cap->shm_reason : "";
}

/* ---- grabbing ------------------------------------------------------------ */

/* A window target: where is it now? Re-creates the SHM image if its size
 * changed. */
static xtars_err follow_window(struct xtars_capture *cap, char *err)
{
    struct xtars_rect r;
    xtars_err rc = window_rect(cap, cap->window, &r, err);

    if (rc != XTARS_OK)
        return rc;
    if (cap->use_shm && (r.width != cap->rect.width || r.height != cap->rect.height)) {
        const char *reason;
        shm_teardown(cap);
        reason = shm_setup(cap, r.width, r.height);
        if (reason) { /* carry on with XGetImage */
            cap->use_shm = 0;
            cap->shm_reason = reason;
        }
    }
    cap->rect = r;
    return cap->conn.dead ? dead_error(cap, err) : XTARS_OK;
}

static xtars_err read_pixels(struct xtars_capture *cap, char *err)
{
    const struct xtars_rect *r = &cap->rect;
    struct xtars_xtrap trap;
    int ok, code;

    xtars_xtrap_begin(&trap, cap->dpy);
    if (cap->use_shm) {
        ok = XShmGetImage(cap->dpy, cap->root, cap->image, r->x, r->y, AllPlanes);
    } else {
        if (cap->image)
            XDestroyImage(cap->image);
        cap->image = XGetImage(cap->dpy, cap->root, r->x, r->y, (unsigned)r->width,
                               (unsigned)r->height, AllPlanes, ZPixmap);
        ok = cap->image != NULL;
    }
    code = xtars_xtrap_end(&trap, 0);
    if (cap->conn.dead)
        return dead_error(cap, err);
    if (!ok || code)
        return xtars_error(err, XTARS_EX11, "capture: the server refused to send %dx%d+%d+%d (error %d)",
                           r->width, r->height, r->x, r->y, code);
    return XTARS_OK;
}

/* For servers whose pixels are not B,G,R,X bytes (other masks, 24 bits per
 * pixel, big-endian): a slow, general per-pixel conversion. */
static int mask_shift(unsigned long mask)
{
    int shift = 0;

    while (mask && !(mask & 1)) {
        mask >>= 1;
        shift++;
    }
    return shift;
}

xtars_err xtars_x11_convert(XImage *im, unsigned char **buf, size_t *size, char *err)
{
    size_t need = (size_t)im->width * (size_t)im->height * 4;
    int rs = mask_shift(im->red_mask), gs = mask_shift(im->green_mask), bs = mask_shift(im->blue_mask);

    if (*size < need) {
        unsigned char *grown = realloc(*buf, need);
        if (grown == NULL)
            return xtars_error(err, XTARS_ENOMEM, "capture: out of memory");
        *buf = grown;
        *size = need;
    }
    for (int y = 0; y < im->height; y++) {
        unsigned char *row = *buf + (size_t)y * (size_t)im->width * 4;
        for (int x = 0; x < im->width; x++) {
            unsigned long p = XGetPixel(im, x, y);
            row[4 * x + 0] = (unsigned char)((p & im->blue_mask) >> bs);
            row[4 * x + 1] = (unsigned char)((p & im->green_mask) >> gs);
            row[4 * x + 2] = (unsigned char)((p & im->red_mask) >> rs);
            row[4 * x + 3] = 0;
        }
    }
    return XTARS_OK;
}

/* Draws the pointer (premultiplied ARGB from XFixes) over the frame. */
static void composite_cursor(struct xtars_capture *cap, struct xtars_image *frame)
{
    XFixesCursorImage *ci = XFixesGetCursorImage(cap->dpy);
    int left, top;

    if (ci == NULL)
        return;
    left = ci->x - ci->xhot - cap->rect.x;
    top = ci->y - ci->yhot - cap->rect.y;
    for (int cy = 0; cy < ci->height; cy++) {
        int y = top + cy;
        if (y < 0 || y >= frame->height)
            continue;
        for (int cx = 0; cx < ci->width; cx++) {
            int x = left + cx;
            unsigned long argb = ci->pixels[(size_t)cy * ci->width + (size_t)cx];
            unsigned a = (unsigned)(argb >> 24) & 255;
            unsigned char *p = frame->pixels + (size_t)y * frame->stride + (size_t)x * 4;
            if (x < 0 || x >= frame->width || a == 0)
                continue;
            for (int c = 0; c < 3; c++)
                p[c] = (unsigned char)(((argb >> (8 * c)) & 255) + (p[c] * (255 - a) + 127) / 255);
        }
    }
    XFree(ci);
}

xtars_err xtars_capture_top_windows(struct xtars_capture *cap, unsigned long *ids, int max,
                                    int *count, char err[static XTARS_ERRLEN])
{
    Window root_return, parent, *children = NULL;
    unsigned int n = 0;
    struct xtars_xtrap trap;
    int ok, found = 0;

    *count = 0;
    xtars_xtrap_begin(&trap, cap->dpy);
    ok = XQueryTree(cap->dpy, cap->root, &root_return, &parent, &children, &n);
    for (unsigned int i = 0; ok && i < n; i++) {
        XWindowAttributes attr;
        if (XGetWindowAttributes(cap->dpy, children[i], &attr) && attr.map_state == IsViewable &&
            attr.class == InputOutput && !attr.override_redirect) {
            if (found < max)
                ids[found] = (unsigned long)children[i];
            found++;
        }
    }
    if (children)
        XFree(children);
    xtars_xtrap_end(&trap, 0); /* a window closed during the walk is just not counted */
    if (cap->conn.dead)
        return dead_error(cap, err);
    if (!ok)
        return xtars_error(err, XTARS_EX11, "capture: cannot list the windows of %s",
                           cap->display_name);
    *count = found;
    return XTARS_OK;
}

xtars_err xtars_capture_grab(struct xtars_capture *cap, struct xtars_image *out, char err[static XTARS_ERRLEN])
{
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if (cap->conn.dead)
        return dead_error(cap, err);
    if (cap->window && (rc = follow_window(cap, err)) != XTARS_OK)
        return rc;
    if ((rc = read_pixels(cap, err)) != XTARS_OK)
        return rc;
    if (cap->native) {
        out->pixels = (unsigned char *)cap->image->data;
        out->stride = cap->image->bytes_per_line;
    } else {
        rc = xtars_x11_convert(cap->image, &cap->converted, &cap->converted_size, err);
        if (rc != XTARS_OK)
            return rc;
        out->pixels = cap->converted;
        out->stride = cap->image->width * 4;
    }
    out->width = cap->image->width;
    out->height = cap->image->height;
    if (cap->cursor)
        composite_cursor(cap, out);
    if (cap->conn.dead) {
        memset(out, 0, sizeof *out);
        return dead_error(cap, err);
    }
    return XTARS_OK;
}
