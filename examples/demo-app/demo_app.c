/* demo_app.c: xtars-demo-app, the sample application `make demo` drives: a
 * small sign-up form (two text fields, a checkbox, Submit and Clear buttons)
 * drawn with plain Xlib, so it needs nothing beyond the X libraries xtars
 * already uses. On Submit it writes the form as JSON to --out, which lets a
 * task `check` verify what the agent did. Layout constants are public in
 * demo_app.h: the demo's scripted replies aim at them.
 *
 * Usage: xtars-demo-app [--geometry +X+Y] [--out FILE]
 * Prints "ready" on stdout once the window is mapped.
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_app.h"

#define FIELD_MAX 256

struct form {
    Display *dpy;
    Window win;
    GC gc;
    XFontStruct *font;
    int wide_font;              /* font covers ISO 10646: draw with XDrawString16 */
    unsigned long colors[6];
    unsigned int text[2][FIELD_MAX]; /* Unicode code points of name and email */
    int len[2];
    int focus;                  /* 0 name, 1 email, -1 none */
    int subscribed;
    int submitted;
    const char *out_path;
};

enum { C_BG, C_FG, C_FIELD, C_ACCENT, C_BORDER, C_MUTED };

static unsigned long color(Display *dpy, const char *spec)
{
    XColor c, exact;

    if (XAllocNamedColor(dpy, DefaultColormap(dpy, DefaultScreen(dpy)), spec, &c, &exact))
        return c.pixel;
    return BlackPixel(dpy, DefaultScreen(dpy));
}

/* Keysym -> Unicode for what typing produces: Latin-1 keysyms are their code
 * point, Unicode keysyms carry it in the low 24 bits. */
static unsigned int keysym_to_ucs(KeySym sym)
{
    if (sym >= 0x20 && sym <= 0xff)
        return (unsigned int)sym;
    if ((sym & 0xff000000UL) == 0x01000000UL)
        return (unsigned int)(sym & 0x00ffffffUL);
    if (sym == XK_EuroSign)
        return 0x20ac;
    return 0;
}

static void draw_text(struct form *f, int x, int y, const unsigned int *ucs, int n)
{
    XChar2b wide[FIELD_MAX];
    char narrow[FIELD_MAX];

    for (int i = 0; i < n && i < FIELD_MAX; i++) {
        unsigned int c = ucs[i] > 0xffff ? '?' : ucs[i];
        wide[i].byte1 = (unsigned char)(c >> 8);
        wide[i].byte2 = (unsigned char)(c & 0xff);
        narrow[i] = c < 0x100 ? (char)c : '?';
    }
    if (f->wide_font)
        XDrawString16(f->dpy, f->win, f->gc, x, y, wide, n);
    else
        XDrawString(f->dpy, f->win, f->gc, x, y, narrow, n);
}

static void draw_label(struct form *f, int x, int y, const char *s, int color_index)
{
    unsigned int ucs[FIELD_MAX];
    int n = 0;

    for (; s[n] && n < FIELD_MAX; n++)
        ucs[n] = (unsigned char)s[n];
    XSetForeground(f->dpy, f->gc, f->colors[color_index]);
    draw_text(f, x, y, ucs, n);
}

static void draw_box(struct form *f, const struct demo_rect *r, int fill, int border)
{
    XSetForeground(f->dpy, f->gc, f->colors[fill]);
    XFillRectangle(f->dpy, f->win, f->gc, r->x, r->y, (unsigned)r->w, (unsigned)r->h);
    XSetForeground(f->dpy, f->gc, f->colors[border]);
    XDrawRectangle(f->dpy, f->win, f->gc, r->x, r->y, (unsigned)r->w - 1, (unsigned)r->h - 1);
}

static void draw_field(struct form *f, int index, const struct demo_rect *r, const char *label)
{
    draw_label(f, r->x, r->y - 8, label, C_FG);
    draw_box(f, r, C_FIELD, f->focus == index ? C_ACCENT : C_BORDER);
    XSetForeground(f->dpy, f->gc, f->colors[C_FG]);
    draw_text(f, r->x + 8, r->y + r->h / 2 + 5, f->text[index], f->len[index]);
    if (f->focus == index) {
        int caret = r->x + 8 + f->len[index] * (f->font ? f->font->max_bounds.width : 7);
        XSetForeground(f->dpy, f->gc, f->colors[C_ACCENT]);
        XFillRectangle(f->dpy, f->win, f->gc, caret + 1, r->y + 6, 2, (unsigned)r->h - 12);
    }
}

static void redraw(struct form *f)
{
    XSetForeground(f->dpy, f->gc, f->colors[C_BG]);
    XFillRectangle(f->dpy, f->win, f->gc, 0, 0, DEMO_WIDTH, DEMO_HEIGHT);
    XSetForeground(f->dpy, f->gc, f->colors[C_ACCENT]);
    XFillRectangle(f->dpy, f->win, f->gc, 0, 0, DEMO_WIDTH, 56);
    draw_label(f, 24, 34, "xtars demo: newsletter sign-up", C_BG);
    draw_field(f, 0, &demo_name_field, "Name");
    draw_field(f, 1, &demo_email_field, "Email");
    draw_box(f, &demo_checkbox, C_FIELD, C_BORDER);
    if (f->subscribed) {
        struct demo_rect tick = {demo_checkbox.x + 5, demo_checkbox.y + 5, demo_checkbox.w - 10,
                                 demo_checkbox.h - 10};
        draw_box(f, &tick, C_ACCENT, C_ACCENT);
    }
    draw_label(f, demo_checkbox.x + demo_checkbox.w + 12, demo_checkbox.y + 16,
               "Send me the weekly newsletter", C_FG);
    draw_box(f, &demo_submit_button, C_ACCENT, C_ACCENT);
    draw_label(f, demo_submit_button.x + 34, demo_submit_button.y + 24, "Submit", C_BG);
    draw_box(f, &demo_clear_button, C_FIELD, C_BORDER);
    draw_label(f, demo_clear_button.x + 38, demo_clear_button.y + 24, "Clear", C_FG);
    if (f->submitted) {
        unsigned int msg[FIELD_MAX + 16];
        int n = 0;
        for (const char *p = "Thanks, "; *p; p++)
            msg[n++] = (unsigned char)*p;
        for (int i = 0; i < f->len[0]; i++)
            msg[n++] = f->text[0][i];
        msg[n++] = '!';
        XSetForeground(f->dpy, f->gc, f->colors[C_ACCENT]);
        draw_text(f, 40, DEMO_HEIGHT - 36, msg, n);
    } else {
        draw_label(f, 40, DEMO_HEIGHT - 36, "Fill in the form and press Submit.", C_MUTED);
    }
    XFlush(f->dpy);
}

static void put_utf8(FILE *out, unsigned int c)
{
    if (c == '"' || c == '\\')
        fprintf(out, "\\%c", (char)c);
    else if (c < 0x20)
        fprintf(out, "\\u%04x", c);
    else if (c < 0x80)
        fputc((int)c, out);
    else if (c < 0x800)
        fprintf(out, "%c%c", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000)
        fprintf(out, "%c%c%c", 0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else
        fprintf(out, "%c%c%c%c", 0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f),
                0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
}

static void submit(struct form *f)
{
    FILE *out;

    f->submitted = 1;
    if (f->out_path == NULL)
        return;
    out = fopen(f->out_path, "w");
    if (out == NULL) {
        perror(f->out_path);
        return;
    }
    fputs("{\"name\": \"", out);
    for (int i = 0; i < f->len[0]; i++)
        put_utf8(out, f->text[0][i]);
    fputs("\", \"email\": \"", out);
    for (int i = 0; i < f->len[1]; i++)
        put_utf8(out, f->text[1][i]);
    fprintf(out, "\", \"subscribe\": %s}\n", f->subscribed ? "true" : "false");
    fclose(out);
}

static int inside(const struct demo_rect *r, int x, int y)
{
    return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

static void on_click(struct form *f, int x, int y)
{
    if (inside(&demo_name_field, x, y))
        f->focus = 0;
    else if (inside(&demo_email_field, x, y))
        f->focus = 1;
    else if (inside(&demo_checkbox, x, y))
        f->subscribed = !f->subscribed;
    else if (inside(&demo_submit_button, x, y))
        submit(f);
    else if (inside(&demo_clear_button, x, y)) {
        f->len[0] = f->len[1] = 0;
        f->subscribed = f->submitted = 0;
    }
}

static void on_key(struct form *f, XKeyEvent *ev)
{
    char ignored[32];
    KeySym sym;
    unsigned int ucs;

    XLookupString(ev, ignored, sizeof ignored, &sym, NULL);
    if (sym == XK_Tab || sym == XK_ISO_Left_Tab) {
        f->focus = f->focus == 0 ? 1 : 0;
    } else if (sym == XK_Return || sym == XK_KP_Enter) {
        submit(f);
    } else if (f->focus >= 0 && sym == XK_BackSpace) {
        if (f->len[f->focus] > 0)
            f->len[f->focus]--;
    } else if (f->focus >= 0 && (ucs = keysym_to_ucs(sym)) != 0 &&
               !(ev->state & ControlMask) && f->len[f->focus] < FIELD_MAX - 1) {
        f->text[f->focus][f->len[f->focus]++] = ucs;
    }
}

static int setup(struct form *f, int x, int y)
{
    static const char *const palette[] = {"#f7f7fb", "#1d2230", "#ffffff", "#3056d3", "#b8bfcc",
                                          "#6b7280"};
    XSizeHints hints = {0};
    int screen;

    f->dpy = XOpenDisplay(NULL);
    if (f->dpy == NULL) {
        fprintf(stderr, "xtars-demo-app: cannot open display '%s'\n",
                getenv("DISPLAY") ? getenv("DISPLAY") : "");
        return -1;
    }
    screen = DefaultScreen(f->dpy);
    for (int i = 0; i < 6; i++)
        f->colors[i] = color(f->dpy, palette[i]);
    f->win = XCreateSimpleWindow(f->dpy, RootWindow(f->dpy, screen), x, y, DEMO_WIDTH,
                                 DEMO_HEIGHT, 0, f->colors[C_BORDER], f->colors[C_BG]);
    hints.flags = USPosition | PPosition | PMinSize | PMaxSize;
    hints.x = x, hints.y = y;
    hints.min_width = hints.max_width = DEMO_WIDTH;
    hints.min_height = hints.max_height = DEMO_HEIGHT;
    XSetWMNormalHints(f->dpy, f->win, &hints);
    XStoreName(f->dpy, f->win, "xtars demo form");
    XSelectInput(f->dpy, f->win, ExposureMask | ButtonPressMask | KeyPressMask);
    f->gc = XCreateGC(f->dpy, f->win, 0, NULL);
    f->font = XLoadQueryFont(f->dpy, "-misc-fixed-medium-r-normal--14-*-*-*-*-*-iso10646-1");
    f->wide_font = f->font != NULL;
    if (f->font == NULL)
        f->font = XLoadQueryFont(f->dpy, "fixed");
    if (f->font)
        XSetFont(f->dpy, f->gc, f->font->fid);
    XMapRaised(f->dpy, f->win);
    return 0;
}

int main(int argc, char **argv)
{
    struct form f = {.focus = -1};
    int x = 0, y = 0, ready = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--geometry") == 0 && i + 1 < argc &&
            sscanf(argv[i + 1], "+%d+%d", &x, &y) == 2) {
            i++;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            f.out_path = argv[++i];
        } else {
            fprintf(stderr, "usage: xtars-demo-app [--geometry +X+Y] [--out FILE]\n");
            return 2;
        }
    }
    if (setup(&f, x, y) != 0)
        return 1;
    for (;;) {
        XEvent ev;
        XNextEvent(f.dpy, &ev);
        if (ev.type == Expose && ev.xexpose.count == 0) {
            redraw(&f);
            if (!ready) {
                printf("ready\n");
                fflush(stdout);
                ready = 1;
            }
        } else if (ev.type == ButtonPress && ev.xbutton.button == Button1) {
            on_click(&f, ev.xbutton.x, ev.xbutton.y);
            redraw(&f);
        } else if (ev.type == KeyPress) {
            on_key(&f, &ev.xkey);
            redraw(&f);
        }
    }
}
