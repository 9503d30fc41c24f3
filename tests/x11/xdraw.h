/* xdraw.h: known pixel patterns painted with plain Xlib by the x11 tests, so
 * captures can be checked pixel by pixel. Header-only (static functions):
 * each x11 test file that paints includes it. */
#ifndef XTARS_TEST_XDRAW_H
#define XTARS_TEST_XDRAW_H

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdlib.h>

#include "test.h"

/* The pattern's colour at (x, y): every pixel of a 256x256 tile differs. */
static inline void xd_pattern(int x, int y, unsigned char *b, unsigned char *g, unsigned char *r)
{
    *b = (unsigned char)x;
    *g = (unsigned char)y;
    *r = (unsigned char)(x * 7 + y * 13 + (x >> 8) * 50 + (y >> 8) * 90);
}

static inline unsigned long xd_pixel(int x, int y)
{
    unsigned char b, g, r;

    xd_pattern(x, y, &b, &g, &r);
    return (unsigned long)r << 16 | (unsigned long)g << 8 | b;
}

static inline Display *xd_open(void)
{
    Display *dpy = XOpenDisplay(NULL);

    if (dpy == NULL)
        FAIL("cannot open the test's Xvfb");
    return dpy;
}

/* Paints the pattern, offset by (ox, oy), over w x h of drawable d at
 * (x, y), and waits until the server has done it. */
static inline void xd_paint(Display *dpy, Drawable d, int x, int y, int w, int h, int ox, int oy)
{
    int screen = DefaultScreen(dpy);
    char *data = malloc((size_t)w * (size_t)h * 4);
    XImage *img;
    GC gc = XCreateGC(dpy, d, 0, NULL);

    ASSERT(data != NULL);
    img = XCreateImage(dpy, DefaultVisual(dpy, screen), 24, ZPixmap, 0, data, (unsigned)w,
                       (unsigned)h, 32, 0);
    ASSERT(img != NULL);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            XPutPixel(img, i, j, xd_pixel(ox + i, oy + j));
    XPutImage(dpy, d, gc, img, 0, 0, x, y, (unsigned)w, (unsigned)h);
    XSync(dpy, False);
    XDestroyImage(img);
    XFreeGC(dpy, gc);
}

/* Paints the whole root window with the pattern (pattern origin = screen
 * origin). */
static inline void xd_paint_root(Display *dpy)
{
    int screen = DefaultScreen(dpy);

    xd_paint(dpy, RootWindow(dpy, screen), 0, 0, DisplayWidth(dpy, screen),
             DisplayHeight(dpy, screen), 0, 0);
}

static inline void xd_fill_root(Display *dpy, unsigned long rgb)
{
    int screen = DefaultScreen(dpy);
    GC gc = XCreateGC(dpy, RootWindow(dpy, screen), 0, NULL);

    XSetForeground(dpy, gc, rgb);
    XFillRectangle(dpy, RootWindow(dpy, screen), gc, 0, 0, (unsigned)DisplayWidth(dpy, screen),
                   (unsigned)DisplayHeight(dpy, screen));
    XSync(dpy, False);
    XFreeGC(dpy, gc);
}

/* A mapped, undecorated (override-redirect) window at (x, y) painted with
 * the pattern from its own origin; returns once it is visible and painted. */
static inline Window xd_window(Display *dpy, int x, int y, int w, int h, const char *title)
{
    XSetWindowAttributes attr = {0};
    Window win;
    XEvent ev;

    attr.override_redirect = True;
    attr.background_pixel = 0;
    attr.event_mask = ExposureMask | StructureNotifyMask;
    win = XCreateWindow(dpy, DefaultRootWindow(dpy), x, y, (unsigned)w, (unsigned)h, 0,
                        CopyFromParent, InputOutput, CopyFromParent,
                        CWOverrideRedirect | CWBackPixel | CWEventMask, &attr);
    if (title)
        XStoreName(dpy, win, title);
    XMapWindow(dpy, win);
    do
        XNextEvent(dpy, &ev);
    while (ev.type != Expose);
    xd_paint(dpy, win, 0, 0, w, h, 0, 0);
    return win;
}

#endif
