/* xclient: a small X client that records the input it receives, for the x11
 * tests, the benchmarks and the demo. Stable interface:
 *
 *   xclient [--display D] [--geometry WxH+X+Y] [--out FILE] [--title TEXT]
 *
 * Maps a window (default 400x300+0+0; there is no window manager under the
 * test Xvfb, so the position is exact), gives it the input focus, selects key,
 * button, motion, focus and structure events, and prints "ready WINDOW_ID\n"
 * on stdout once mapped and focused. Then it writes one JSON object per line
 * to FILE (default: stdout) for each event:
 *
 *   {"type":"key_press","keycode":38,"keysym":"a","keysym_value":97,
 *    "text":"a","state":0,"time":12345}              (also "key_release")
 *   {"type":"button_press","button":1,"x":10,"y":20,"root_x":110,
 *    "root_y":70,"state":0,"time":12345}             (also "button_release")
 *   {"type":"motion","x":..,"y":..,"root_x":..,"root_y":..,"state":256,"time":..}
 *   {"type":"mapping"}                  a keyboard mapping change
 *   {"type":"focus_in"} {"type":"focus_out"}
 *   {"type":"sync","serial":N}          a client message XTARS_SYNC with data.l[0] = N
 *
 * x and y are window coordinates; time is the X server timestamp in ms. "text"
 * is what Xutf8LookupString returns in a UTF-8 locale with the built-in input
 * method (Return gives "\r", BackSpace "\b"); when Xlib returns nothing for a
 * Unicode keysym (0x01000000 + code point) the text is that code point.
 * Lines are flushed whenever the event queue is empty, and at every sync, so
 * a test that sends XTARS_SYNC after its input and waits for the sync line
 * has read every earlier event. A client message XTARS_QUIT, SIGTERM or the
 * server going away ends it. It draws the text it received (newest lines) in
 * its window, so it is visible in screenshots.
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtars/buf.h"
#include "agent/base/json.h"

#define TEXT_MAX 65536

struct client {
    Display *dpy;
    Window window;
    GC gc;
    XIM im;
    XIC ic;
    XFontSet fontset;
    FILE *out;
    Atom sync_atom, quit_atom;
    char text[TEXT_MAX];   /* what was typed, for drawing */
    size_t text_len;
    int dirty;
    int width, height;
};

static void usage(void)
{
    fputs("usage: xclient [--display D] [--geometry WxH+X+Y] [--out FILE] [--title TEXT]\n",
          stderr);
    exit(2);
}

static int io_error(Display *dpy)
{
    (void)dpy;
    exit(0); /* the server went away: nothing left to record */
}

static void emit(struct client *c, struct xtars_buf *line)
{
    xtars_buf_putc(line, '\n');
    fwrite(line->data, 1, line->len, c->out);
    xtars_buf_cleanup(line);
}

static size_t utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int lookup_text(struct client *c, XKeyEvent *event, char *buf, int size, KeySym *keysym)
{
    Status status;
    int n;

    *keysym = NoSymbol;
    if (c->ic && event->type == KeyPress)
        n = Xutf8LookupString(c->ic, event, buf, size - 1, keysym, &status);
    else
        n = XLookupString(event, buf, size - 1, keysym, NULL);
    if (n < 0)
        n = 0;
    if (n == 0 && (*keysym & 0xff000000UL) == 0x01000000UL && event->type == KeyPress)
        n = (int)utf8_encode(*keysym & 0x00ffffffUL, buf);
    buf[n] = '\0';
    return n;
}

static void remember_text(struct client *c, const char *s, int n)
{
    if (n == 1 && s[0] == '\b') {
        while (c->text_len > 0 && ((unsigned char)c->text[--c->text_len] & 0xc0) == 0x80)
            ;
    } else if (n == 1 && s[0] == '\r') {
        if (c->text_len < TEXT_MAX - 1)
            c->text[c->text_len++] = '\n';
    } else if (n > 0 && c->text_len + (size_t)n < TEXT_MAX) {
        memcpy(c->text + c->text_len, s, (size_t)n);
        c->text_len += (size_t)n;
    }
    c->dirty = 1;
}

static void on_key(struct client *c, XKeyEvent *event, int filtered)
{
    struct xtars_buf line;
    char buf[256], unicode_name[16];
    KeySym keysym;
    const char *name;
    int n = filtered ? 0 : lookup_text(c, event, buf, sizeof buf, &keysym);

    if (filtered) {
        keysym = XLookupKeysym(event, 0);
        buf[0] = '\0';
    }
    /* XKeysymToString allocates (and never frees) names of Unicode keysyms;
     * spell those the same way ourselves. */
    if ((keysym & 0xff000000UL) == 0x01000000UL) {
        unsigned long cp = (unsigned long)keysym & 0xffffff;
        snprintf(unicode_name, sizeof unicode_name, cp > 0xffff ? "U%08lX" : "U%04lX", cp);
        name = unicode_name;
    } else {
        name = XKeysymToString(keysym);
    }
    xtars_buf_init(&line, 4096);
    xtars_buf_printf(&line, "{\"type\":\"%s\",\"keycode\":%u,\"keysym\":",
                     event->type == KeyPress ? "key_press" : "key_release", event->keycode);
    xtars_json_put_string(&line, name ? name : "");
    xtars_buf_printf(&line, ",\"keysym_value\":%lu,\"text\":", (unsigned long)keysym);
    xtars_json_put_string(&line, event->type == KeyPress ? buf : "");
    xtars_buf_printf(&line, ",\"state\":%u,\"time\":%lu%s}", event->state, event->time,
                     filtered ? ",\"filtered\":true" : "");
    emit(c, &line);
    if (event->type == KeyPress)
        remember_text(c, buf, n);
}

static void on_pointer(struct client *c, XEvent *event)
{
    struct xtars_buf line;

    xtars_buf_init(&line, 4096);
    if (event->type == MotionNotify) {
        XMotionEvent *m = &event->xmotion;
        xtars_buf_printf(&line,
                         "{\"type\":\"motion\",\"x\":%d,\"y\":%d,\"root_x\":%d,\"root_y\":%d,"
                         "\"state\":%u,\"time\":%lu}",
                         m->x, m->y, m->x_root, m->y_root, m->state, m->time);
    } else {
        XButtonEvent *b = &event->xbutton;
        xtars_buf_printf(&line,
                         "{\"type\":\"%s\",\"button\":%u,\"x\":%d,\"y\":%d,\"root_x\":%d,"
                         "\"root_y\":%d,\"state\":%u,\"time\":%lu}",
                         b->type == ButtonPress ? "button_press" : "button_release", b->button,
                         b->x, b->y, b->x_root, b->y_root, b->state, b->time);
    }
    emit(c, &line);
}

static void draw(struct client *c)
{
    int line_height = 16, max_lines = c->height / line_height - 1, lines = 0, y = line_height;
    size_t start = c->text_len;

    while (start > 0) { /* back to the first of the last max_lines lines */
        if (c->text[start - 1] == '\n' && ++lines >= max_lines)
            break;
        start--;
    }
    XClearWindow(c->dpy, c->window);
    for (size_t i = start; i <= c->text_len; i++) {
        if (i < c->text_len && c->text[i] != '\n')
            continue;
        if (c->fontset)
            Xutf8DrawString(c->dpy, c->window, c->fontset, c->gc, 4, y, c->text + start,
                            (int)(i - start));
        else
            XDrawString(c->dpy, c->window, c->gc, 4, y, c->text + start, (int)(i - start));
        y += line_height;
        start = i + 1;
    }
    c->dirty = 0;
}

static int handle(struct client *c, XEvent *event)
{
    int filtered = XFilterEvent(event, None);

    switch (event->type) {
    case KeyPress:
    case KeyRelease:
        on_key(c, &event->xkey, filtered);
        break;
    case ButtonPress:
    case ButtonRelease:
    case MotionNotify:
        on_pointer(c, event);
        break;
    case MappingNotify:
        XRefreshKeyboardMapping(&event->xmapping);
        fputs("{\"type\":\"mapping\"}\n", c->out);
        break;
    case FocusIn:
    case FocusOut:
        fprintf(c->out, "{\"type\":\"%s\"}\n", event->type == FocusIn ? "focus_in" : "focus_out");
        break;
    case Expose:
        c->dirty = 1;
        break;
    case ClientMessage:
        if (event->xclient.message_type == c->quit_atom)
            return 0;
        if (event->xclient.message_type == c->sync_atom) {
            fprintf(c->out, "{\"type\":\"sync\",\"serial\":%ld}\n", event->xclient.data.l[0]);
            fflush(c->out);
        }
        break;
    }
    return 1;
}

static void open_input_method(struct client *c)
{
    char **missing;
    int missing_count;
    char *default_string;

    XSetLocaleModifiers("@im=none");
    c->im = XOpenIM(c->dpy, NULL, NULL, NULL);
    if (c->im)
        c->ic = XCreateIC(c->im, XNInputStyle, XIMPreeditNothing | XIMStatusNothing, XNClientWindow,
                          c->window, XNFocusWindow, c->window, NULL);
    if (c->ic == NULL)
        fputs("xclient: no input method; using XLookupString\n", stderr);
    c->fontset = XCreateFontSet(c->dpy, "-misc-fixed-medium-r-normal--13-*-*-*-*-*-*-*,*",
                                &missing, &missing_count, &default_string);
    if (missing)
        XFreeStringList(missing);
}

static void create_window(struct client *c, const char *geometry, const char *title)
{
    int x = 0, y = 0, screen = DefaultScreen(c->dpy);
    unsigned width = 400, height = 300;
    XSetWindowAttributes attrs;
    XEvent event;

    if (geometry)
        XParseGeometry(geometry, &x, &y, &width, &height);
    c->width = (int)width;
    c->height = (int)height;
    attrs.background_pixel = WhitePixel(c->dpy, screen);
    attrs.event_mask = KeyPressMask | KeyReleaseMask | ButtonPressMask | ButtonReleaseMask |
                       PointerMotionMask | ExposureMask | StructureNotifyMask | FocusChangeMask;
    c->window = XCreateWindow(c->dpy, RootWindow(c->dpy, screen), x, y, width, height, 0,
                              CopyFromParent, InputOutput, CopyFromParent,
                              CWBackPixel | CWEventMask, &attrs);
    XStoreName(c->dpy, c->window, title);
    c->gc = XCreateGC(c->dpy, c->window, 0, NULL);
    XSetForeground(c->dpy, c->gc, BlackPixel(c->dpy, screen));
    c->sync_atom = XInternAtom(c->dpy, "XTARS_SYNC", False);
    c->quit_atom = XInternAtom(c->dpy, "XTARS_QUIT", False);
    XMapWindow(c->dpy, c->window);
    do
        XNextEvent(c->dpy, &event);
    while (event.type != MapNotify);
    XSetInputFocus(c->dpy, c->window, RevertToParent, CurrentTime);
    XSync(c->dpy, False);
}

int main(int argc, char **argv)
{
    struct client c;
    const char *display = NULL, *geometry = NULL, *out_path = NULL, *title = "xtars xclient";
    XEvent event;

    memset(&c, 0, sizeof c);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--display") == 0)
            display = argv[++i];
        else if (strcmp(argv[i], "--geometry") == 0)
            geometry = argv[++i];
        else if (strcmp(argv[i], "--out") == 0)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--title") == 0)
            title = argv[++i];
        else
            usage();
    }
    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        setlocale(LC_ALL, "");
    c.dpy = XOpenDisplay(display);
    if (c.dpy == NULL) {
        fprintf(stderr, "xclient: cannot open display\n");
        return 1;
    }
    XSetIOErrorHandler(io_error);
    c.out = out_path ? fopen(out_path, "w") : stdout;
    if (c.out == NULL) {
        perror(out_path);
        return 1;
    }
    create_window(&c, geometry, title);
    open_input_method(&c);
    printf("ready %lu\n", (unsigned long)c.window);
    fflush(stdout);
    for (;;) {
        XNextEvent(c.dpy, &event);
        if (!handle(&c, &event))
            break;
        if (XPending(c.dpy) == 0) {
            fflush(c.out);
            if (c.dirty)
                draw(&c);
        }
    }
    fflush(c.out);
    if (c.ic)
        XDestroyIC(c.ic);
    if (c.im)
        XCloseIM(c.im);
    if (c.fontset)
        XFreeFontSet(c.dpy, c.fontset);
    XFreeGC(c.dpy, c.gc);
    XCloseDisplay(c.dpy);
    return 0;
}
