/* X11 capture on a private Xvfb: frames equal, pixel for pixel, what a test
 * client painted (through MIT-SHM and through XGetImage), monitors, windows
 * and regions come with the right offsets, the cursor is composited when
 * asked, unsupported screens and vanished servers give errors, and the
 * screenshot pipeline sends the smart_resize size. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <unistd.h>

#include "test.h"
#include "xdraw.h"
#include "xfixture.h"
#include "xtars/capture.h"
#include "xtars/coords.h"
#include "agent/run/xvfb.h"
#include "../../capture/x11_convert.h"

static struct xtars_capture *open_capture(struct xtars_capture_options o)
{
    struct xtars_capture *cap = NULL;
    char err[XTARS_ERRLEN];

    if (xtars_capture_new(&o, &cap, err) != XTARS_OK)
        FAIL("capture_new: %s", err);
    return cap;
}

/* Every pixel of frame equals the pattern at (ox + x, oy + y). */
static void expect_pattern(const struct xtars_image *frame, int ox, int oy)
{
    for (int y = 0; y < frame->height; y++) {
        for (int x = 0; x < frame->width; x++) {
            const unsigned char *p = frame->pixels + (size_t)y * frame->stride + 4 * (size_t)x;
            unsigned char b, g, r;
            xd_pattern(ox + x, oy + y, &b, &g, &r);
            if (p[0] != b || p[1] != g || p[2] != r)
                FAIL("pixel (%d,%d) is B,G,R %d,%d,%d, expected %d,%d,%d", x, y, p[0], p[1], p[2],
                     b, g, r);
        }
    }
}

static void grab(struct xtars_capture *cap, struct xtars_image *frame)
{
    char err[XTARS_ERRLEN];

    if (xtars_capture_grab(cap, frame, err) != XTARS_OK)
        FAIL("grab: %s", err);
}

static void expect_rect(struct xtars_rect r, int x, int y, int w, int h)
{
    if (r.x != x || r.y != y || r.width != w || r.height != h)
        FAIL("rect %dx%d+%d+%d, expected %dx%d+%d+%d", r.width, r.height, r.x, r.y, w, h, x, y);
}

TEST(shm_capture_is_pixel_exact)
{
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_image frame;

    xt_x_start(700, 500, NULL);
    dpy = xd_open();
    xd_paint_root(dpy);
    cap = open_capture((struct xtars_capture_options){0});
    ASSERT_EQ(xtars_capture_uses_shm(cap), 1);
    ASSERT_STR_EQ(xtars_capture_shm_reason(cap), "");
    grab(cap, &frame);
    ASSERT_EQ(frame.width, 700);
    ASSERT_EQ(frame.height, 500);
    ASSERT_EQ(frame.capacity, 0); /* borrowed from the capture */
    expect_pattern(&frame, 0, 0);
    expect_rect(xtars_capture_rect(cap), 0, 0, 700, 500);
    /* The segment is reused: a second grab sees new content. */
    xd_fill_root(dpy, 0x123456);
    grab(cap, &frame);
    ASSERT_EQ(frame.pixels[0], 0x56);
    ASSERT_EQ(frame.pixels[1], 0x34);
    ASSERT_EQ(frame.pixels[2], 0x12);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

TEST(no_shm_option_uses_xgetimage_pixel_exact)
{
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_image frame;

    xt_x_start(333, 257, NULL);
    dpy = xd_open();
    xd_paint_root(dpy);
    cap = open_capture((struct xtars_capture_options){.no_shm = 1});
    ASSERT_EQ(xtars_capture_uses_shm(cap), 0);
    ASSERT_STR_EQ(xtars_capture_shm_reason(cap), "disabled by option");
    grab(cap, &frame);
    ASSERT_EQ(frame.width, 333);
    expect_pattern(&frame, 0, 0);
    grab(cap, &frame); /* the previous XGetImage result is released, not leaked */
    expect_pattern(&frame, 0, 0);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

TEST(server_without_mit_shm_falls_back_pixel_exact)
{
    const char *args[] = {"-extension", "MIT-SHM", NULL};
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_image frame;

    xt_x_start(400, 300, args);
    dpy = xd_open();
    xd_paint_root(dpy);
    cap = open_capture((struct xtars_capture_options){0});
    ASSERT_EQ(xtars_capture_uses_shm(cap), 0);
    ASSERT_STR_CONTAINS(xtars_capture_shm_reason(cap), "no MIT-SHM");
    grab(cap, &frame);
    expect_pattern(&frame, 0, 0);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

TEST(region_capture_is_offset_and_clipped)
{
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_image frame;
    char err[XTARS_ERRLEN];

    xt_x_start(640, 480, NULL);
    dpy = xd_open();
    xd_paint_root(dpy);
    cap = open_capture((struct xtars_capture_options){.region = {30, 20, 100, 50}});
    grab(cap, &frame);
    ASSERT_EQ(frame.width, 100);
    ASSERT_EQ(frame.height, 50);
    expect_pattern(&frame, 30, 20);
    expect_rect(xtars_capture_rect(cap), 30, 20, 100, 50);
    xtars_capture_free(cap);
    /* Partly off screen: clipped to what exists. */
    cap = open_capture((struct xtars_capture_options){.region = {600, 400, 100, 100}});
    grab(cap, &frame);
    expect_rect(xtars_capture_rect(cap), 600, 400, 40, 80);
    expect_pattern(&frame, 600, 400);
    xtars_capture_free(cap);
    /* Wholly off screen: an error, not an empty image. */
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.region = {700, 0, 10, 10}}, &cap,
                                err),
              XTARS_EINVAL);
    ASSERT(cap == NULL);
    ASSERT_STR_CONTAINS(err, "off screen");
    XCloseDisplay(dpy);
}

static void run_xrandr(const char *const *argv)
{
    char cmd[512] = "";

    for (int i = 0; argv[i]; i++) {
        strcat(cmd, argv[i]);
        strcat(cmd, " ");
    }
    strcat(cmd, ">/dev/null 2>&1");
    if (system(cmd) != 0)
        FAIL("command failed: %s", cmd);
}

TEST(monitor_capture_by_index_and_name)
{
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_image frame;
    char err[XTARS_ERRLEN];

    xt_x_start(640, 480, NULL);
    run_xrandr((const char *const[]){"xrandr", "--setmonitor", "left", "320/80x480/120+0+0",
                                     "none", NULL});
    run_xrandr((const char *const[]){"xrandr", "--setmonitor", "right", "320/80x400/100+320+80",
                                     "none", NULL});
    dpy = xd_open();
    xd_paint_root(dpy);
    cap = open_capture((struct xtars_capture_options){.monitor = "right"});
    grab(cap, &frame);
    expect_rect(xtars_capture_rect(cap), 320, 80, 320, 400);
    ASSERT_EQ(frame.width, 320);
    ASSERT_EQ(frame.height, 400);
    expect_pattern(&frame, 320, 80);
    xtars_capture_free(cap);
    /* xrandr --listmonitors numbers the user monitors first: 0 left, 1 right. */
    cap = open_capture((struct xtars_capture_options){.monitor = "0"});
    expect_rect(xtars_capture_rect(cap), 0, 0, 320, 480);
    xtars_capture_free(cap);
    /* The output's name ("screen" on Xvfb) selects its monitor. */
    cap = open_capture((struct xtars_capture_options){.monitor = "screen"});
    expect_rect(xtars_capture_rect(cap), 0, 0, 640, 480);
    xtars_capture_free(cap);
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.monitor = "middle"}, &cap, err),
              XTARS_EINVAL);
    ASSERT_STR_CONTAINS(err, "no monitor 'middle' (monitors: 0 'left' 320x480+0+0, 1 'right'");
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.monitor = "7"}, &cap, err),
              XTARS_EINVAL);
    XCloseDisplay(dpy);
}

TEST(window_capture_follows_the_window)
{
    Display *dpy;
    Window win;
    struct xtars_capture *cap;
    struct xtars_image frame;

    xt_x_start(640, 480, NULL);
    dpy = xd_open();
    xd_fill_root(dpy, 0x000000);
    win = xd_window(dpy, 50, 60, 200, 100, "xtars test window");
    cap = open_capture((struct xtars_capture_options){.window = win});
    grab(cap, &frame);
    expect_rect(xtars_capture_rect(cap), 50, 60, 200, 100);
    expect_pattern(&frame, 0, 0); /* the window's own pattern, from its origin */
    /* Moved and resized: the next grab follows it. */
    XMoveResizeWindow(dpy, win, 300, 200, 120, 90);
    XSync(dpy, False);
    xd_paint(dpy, win, 0, 0, 120, 90, 0, 0);
    grab(cap, &frame);
    expect_rect(xtars_capture_rect(cap), 300, 200, 120, 90);
    ASSERT_EQ(frame.width, 120);
    expect_pattern(&frame, 0, 0);
    xtars_capture_free(cap);
    /* By title. */
    cap = open_capture((struct xtars_capture_options){.window_name = "xtars test window"});
    expect_rect(xtars_capture_rect(cap), 300, 200, 120, 90);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

TEST(window_errors)
{
    Display *dpy;
    Window win;
    struct xtars_capture *cap;
    struct xtars_image frame;
    char err[XTARS_ERRLEN];

    xt_x_start(320, 240, NULL);
    dpy = xd_open();
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.window_name = "nope"}, &cap, err),
              XTARS_EINVAL);
    ASSERT_STR_CONTAINS(err, "no mapped window titled 'nope'");
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.window = 0x7fffff}, &cap, err),
              XTARS_EX11);
    ASSERT_STR_CONTAINS(err, "no window 0x7fffff");
    win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 10, 10, 0, 0, 0);
    XSync(dpy, False);
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.window = win}, &cap, err),
              XTARS_EX11);
    ASSERT_STR_CONTAINS(err, "is not mapped");
    XDestroyWindow(dpy, win);
    /* A window that goes away between grabs. */
    win = xd_window(dpy, 10, 10, 50, 50, NULL);
    cap = open_capture((struct xtars_capture_options){.window = win});
    grab(cap, &frame);
    XDestroyWindow(dpy, win);
    XSync(dpy, False);
    ASSERT_EQ(xtars_capture_grab(cap, &frame, err), XTARS_EX11);
    ASSERT(frame.pixels == NULL);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

/* A 4x4 opaque cursor of colour fg with its hotspot at the top-left. */
static Cursor square_cursor(Display *dpy, unsigned short red, unsigned short green,
                            unsigned short blue)
{
    static const char bits[] = {0x0f, 0x0f, 0x0f, 0x0f};
    Window root = DefaultRootWindow(dpy);
    Pixmap source = XCreateBitmapFromData(dpy, root, bits, 4, 4);
    Pixmap mask = XCreateBitmapFromData(dpy, root, bits, 4, 4);
    XColor fg = {.red = red, .green = green, .blue = blue}, bg = {0};
    Cursor c = XCreatePixmapCursor(dpy, source, mask, &fg, &bg, 0, 0);

    XFreePixmap(dpy, source);
    XFreePixmap(dpy, mask);
    return c;
}

TEST(cursor_is_composited_only_when_asked)
{
    Display *dpy;
    Window win;
    struct xtars_capture *plain, *with_cursor;
    struct xtars_image frame;

    xt_x_start(320, 240, NULL);
    dpy = xd_open();
    win = xd_window(dpy, 0, 0, 320, 240, NULL);
    XDefineCursor(dpy, win, square_cursor(dpy, 0xffff, 0, 0));
    XWarpPointer(dpy, None, DefaultRootWindow(dpy), 0, 0, 0, 0, 100, 50);
    XSync(dpy, False);
    plain = open_capture((struct xtars_capture_options){0});
    with_cursor = open_capture((struct xtars_capture_options){.cursor = 1});
    grab(plain, &frame);
    expect_pattern(&frame, 0, 0); /* the server's own sprite is not in frames */
    grab(with_cursor, &frame);
    for (int y = 0; y < frame.height; y++) {
        for (int x = 0; x < frame.width; x++) {
            const unsigned char *p = frame.pixels + (size_t)y * frame.stride + 4 * (size_t)x;
            unsigned char b, g, r;
            if (x >= 100 && x < 104 && y >= 50 && y < 54) {
                b = 0, g = 0, r = 255; /* the opaque red square */
            } else {
                xd_pattern(x, y, &b, &g, &r);
            }
            if (p[0] != b || p[1] != g || p[2] != r)
                FAIL("pixel (%d,%d) is %d,%d,%d, expected %d,%d,%d", x, y, p[0], p[1], p[2], b, g,
                     r);
        }
    }
    xtars_capture_free(plain);
    xtars_capture_free(with_cursor);
    XCloseDisplay(dpy);
}

TEST(depth_16_screen_is_a_clear_error)
{
    struct xtars_xvfb_options xo = {320, 240, 16, 15000, NULL};
    struct xtars_xvfb *xvfb;
    struct xtars_capture *cap;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_xvfb_start(&xo, &xvfb, err), XTARS_OK);
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.display = xtars_xvfb_display(xvfb)},
                                &cap, err),
              XTARS_ENOTSUP);
    ASSERT(cap == NULL);
    ASSERT_STR_CONTAINS(err, "16-bit TrueColor; xtars needs a 24- or 32-bit TrueColor visual");
    xtars_xvfb_free(xvfb);
}

TEST(bad_display_and_conflicting_options)
{
    struct xtars_capture *cap;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.display = ":9876"}, &cap, err),
              XTARS_EDISPLAY);
    ASSERT_STR_EQ(err, "capture: cannot open display ':9876'");
    ASSERT_EQ(xtars_capture_new(&(struct xtars_capture_options){.monitor = "0", .window = 5}, &cap,
                                err),
              XTARS_EINVAL);
    ASSERT_STR_CONTAINS(err, "at most one of");
}

TEST(vanished_server_is_an_error_not_an_exit)
{
    struct xtars_capture *shm, *plain;
    struct xtars_image frame;
    char err[XTARS_ERRLEN];

    xt_x_start(320, 240, NULL);
    shm = open_capture((struct xtars_capture_options){0});
    plain = open_capture((struct xtars_capture_options){.no_shm = 1});
    grab(shm, &frame);
    grab(plain, &frame);
    xt_x_stop();
    ASSERT_EQ(xtars_capture_grab(shm, &frame, err), XTARS_EDISPLAY);
    ASSERT_STR_CONTAINS(err, "lost the connection to the X server");
    ASSERT(frame.pixels == NULL);
    ASSERT_EQ(xtars_capture_grab(shm, &frame, err), XTARS_EDISPLAY);
    ASSERT_EQ(xtars_capture_grab(plain, &frame, err), XTARS_EDISPLAY);
    xtars_capture_free(shm);
    xtars_capture_free(plain);
}

TEST(shot_sends_the_smart_resize_size)
{
    Display *dpy;
    struct xtars_capture *cap;
    struct xtars_shot shot;
    struct xtars_shot_options opts = {XTARS_SHOT_SMART, XTARS_DEFAULT_MIN_PIXELS,
                                      XTARS_DEFAULT_MAX_PIXELS, XTARS_IMAGE_PNG, 1, 85};
    struct xtars_image decoded;
    char err[XTARS_ERRLEN];

    xt_x_start(1920, 1080, NULL);
    dpy = xd_open();
    xd_fill_root(dpy, 0x4080c0);
    cap = open_capture((struct xtars_capture_options){0});
    xtars_shot_init(&shot, 64 << 20);
    xtars_image_init(&decoded);
    ASSERT_EQ(xtars_capture_shot(cap, &opts, &shot, err), XTARS_OK);
    expect_rect(shot.screen, 0, 0, 1920, 1080);
    ASSERT_EQ(shot.sent_width, 1932); /* the reference table: 1920x1080 -> 1932x1092 */
    ASSERT_EQ(shot.sent_height, 1092);
    ASSERT_EQ(shot.format, XTARS_IMAGE_PNG);
    ASSERT_EQ(xtars_image_decode_png(shot.data.data, shot.data.len, &decoded, err), XTARS_OK);
    ASSERT_EQ(decoded.width, 1932);
    ASSERT_EQ(decoded.height, 1092);
    /* A uniform screen stays exactly uniform through resize and PNG. */
    for (int y = 0; y < decoded.height; y += 7)
        for (int x = 0; x < decoded.width; x += 5) {
            const unsigned char *p = decoded.pixels + (size_t)y * decoded.stride + 4 * (size_t)x;
            if (p[0] != 0xc0 || p[1] != 0x80 || p[2] != 0x40)
                FAIL("pixel (%d,%d) is %d,%d,%d", x, y, p[0], p[1], p[2]);
        }
    ASSERT_EQ(shot.frame.width, 1920); /* the captured frame, for change detection */
    /* Native size and JPEG. */
    opts.size = XTARS_SHOT_NATIVE;
    opts.format = XTARS_IMAGE_JPEG;
    ASSERT_EQ(xtars_capture_shot(cap, &opts, &shot, err), XTARS_OK);
    ASSERT_EQ(shot.sent_width, 1920);
    ASSERT_EQ(shot.sent_height, 1080);
    ASSERT_EQ((unsigned char)shot.data.data[0], 0xff);
    ASSERT_EQ((unsigned char)shot.data.data[1], 0xd8);
    ASSERT_STR_EQ(xtars_shot_mime_type(shot.format), "image/jpeg");
    /* A pixel budget below the screen: smart_resize's max_pixels path. */
    opts.size = XTARS_SHOT_SMART;
    opts.max_pixels = 1350L * 28 * 28;
    ASSERT_EQ(xtars_capture_shot(cap, &opts, &shot, err), XTARS_OK);
    ASSERT_EQ(shot.sent_width, 1344);
    ASSERT_EQ(shot.sent_height, 756);
    xtars_image_cleanup(&decoded);
    xtars_shot_cleanup(&shot);
    xtars_capture_free(cap);
    XCloseDisplay(dpy);
}

/* Servers whose pixels are not B,G,R,X bytes: here 24 bits per pixel,
 * big-endian, red in the low byte. The conversion must still give B,G,R,X.
 * (Xvfb cannot be made to serve this layout, so the image is built by hand;
 * XInitImage needs no server.) */
TEST(other_pixel_layouts_are_converted)
{
    const int w = 37, h = 5;
    XImage im = {0};
    unsigned char *out = NULL;
    size_t size = 0;
    char err[XTARS_ERRLEN];

    im.width = w;
    im.height = h;
    im.format = ZPixmap;
    im.data = calloc((size_t)w * 3, (size_t)h);
    im.byte_order = MSBFirst;
    im.bitmap_unit = 32;
    im.bitmap_bit_order = MSBFirst;
    im.bitmap_pad = 8;
    im.depth = 24;
    im.bits_per_pixel = 24;
    im.bytes_per_line = w * 3;
    im.red_mask = 0x0000ff;
    im.green_mask = 0x00ff00;
    im.blue_mask = 0xff0000;
    ASSERT(XInitImage(&im) != 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char b, g, r;
            xd_pattern(x, y, &b, &g, &r);
            XPutPixel(&im, x, y, (unsigned long)r | (unsigned long)g << 8 | (unsigned long)b << 16);
        }
    /* The first pixel's bytes as stored: big-endian 0xBBGGRR. */
    ASSERT_EQ((unsigned char)im.data[0], 0);   /* b of (0,0) */
    ASSERT_EQ((unsigned char)im.data[2], 0);   /* r of (0,0) */
    ASSERT_EQ((unsigned char)im.data[3], 1);   /* b of (1,0) */
    ASSERT_EQ(xtars_x11_convert(&im, &out, &size, err), XTARS_OK);
    ASSERT_EQ(size, (size_t)w * h * 4);
    {
        struct xtars_image frame = {out, w, h, w * 4, 0};
        expect_pattern(&frame, 0, 0);
    }
    free(out);
    free(im.data);
}
