/* bench_capture.c: how fast xtars perceives. For each screen size it starts
 * its own Xvfb, paints realistic content on it (a wallpaper gradient, text
 * windows filled with source code, toolbars, a photo), then prints medians of
 * capture, resize, encode and base64 in process, the bytes produced, and the
 * whole-process time and peak memory of `xtars screenshot` next to scrot,
 * ImageMagick's import and (when given) the UI-TARS-desktop nut-js + jimp
 * pipeline, all measured in the same run, with the ratios; xtars's screenshots
 * are checked to hold scrot's pixels. At 1080p the perceive step is also
 * measured on a full-screen photo (the hardest content for PNG). Prints
 * figures; asserts nothing. Run it through bench/capture.sh (`make bench`). */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/base64.h"
#include "capture/codec.h"
#include "xtars/capture.h"
#include "xtars/coords.h"
#include "xtars/image.h"
#include "agent/run/xvfb.h"

struct bench_opts {
    const char *xtars;       /* the xtars executable */
    const char *photo;       /* PNG/JPEG shown in a viewer window; NULL: synthetic */
    const char *text_dir;    /* source files used as window text */
    const char *node_script; /* nutjs_shot.js, NULL: skip */
    const char *tmp;         /* scratch directory for output files */
    int runs;                /* in-process repetitions */
    int process_runs;        /* whole-process repetitions; 0: skip them */
    int photo_screen;        /* also measure the full-screen photo */
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* CPU time (user + system, all threads) this process has used. */
static double cpu_ms(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_capture: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* ---- painting realistic content ------------------------------------------ */

struct painter {
    Display *dpy;
    Window root;
    GC gc;
    XFontStruct *font;
    int width, height;
    char **lines;   /* text lines from source files */
    int line_count;
};

static void load_lines(struct painter *p, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024], line[512];
    int cap = 0;

    if (d == NULL)
        die("cannot open text directory", dir);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        FILE *f;
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (p->line_count == cap) {
                cap = cap ? cap * 2 : 1024;
                p->lines = realloc(p->lines, sizeof *p->lines * (size_t)cap);
                if (p->lines == NULL)
                    die("out of memory", NULL);
            }
            p->lines[p->line_count++] = strdup(line);
        }
        if (f)
            fclose(f);
    }
    closedir(d);
    if (p->line_count == 0)
        die("no .c files for window text in", dir);
}

static unsigned long rgb(int r, int g, int b)
{
    return (unsigned long)r << 16 | (unsigned long)g << 8 | (unsigned long)b;
}

/* Puts B,G,R,X pixels on the root window at (x, y). */
static void put_pixels(struct painter *p, const struct xtars_image *img, int x, int y)
{
    XImage *xi = XCreateImage(p->dpy, DefaultVisual(p->dpy, 0), 24, ZPixmap, 0,
                              (char *)img->pixels, (unsigned)img->width, (unsigned)img->height,
                              32, img->stride);
    if (xi == NULL)
        die("XCreateImage failed", NULL);
    XPutImage(p->dpy, p->root, p->gc, xi, 0, 0, x, y, (unsigned)img->width, (unsigned)img->height);
    xi->data = NULL;
    XDestroyImage(xi);
}

static void paint_wallpaper(struct painter *p)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    if (xtars_image_alloc(&img, p->width, p->height, err) != XTARS_OK)
        die("wallpaper", err);
    for (int y = 0; y < p->height; y++) {
        unsigned char *row = img.pixels + (size_t)y * img.stride;
        for (int x = 0; x < p->width; x++) {
            double t = (double)y / p->height, s = (double)x / p->width;
            row[4 * x + 0] = (unsigned char)(120 + 100 * t + 20 * sin(6 * s));
            row[4 * x + 1] = (unsigned char)(60 + 60 * t);
            row[4 * x + 2] = (unsigned char)(40 + 50 * s);
            row[4 * x + 3] = 0;
        }
    }
    put_pixels(p, &img, 0, 0);
    xtars_image_cleanup(&img);
}

/* A photo-like picture: the given file, or smooth colour fields with noise. */
static void paint_photo(struct painter *p, const char *file, int x, int y, int w, int h)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];
    struct xtars_buf data;

    xtars_image_init(&img);
    xtars_buf_init(&data, 64 << 20);
    if (file && xtars_buf_read_file(&data, file, 64 << 20, err) == XTARS_OK &&
        xtars_image_decode(data.data, data.len, &img, err) == XTARS_OK) {
        put_pixels(p, &img, x, y);
    } else {
        unsigned seed = 12345;
        if (xtars_image_alloc(&img, w, h, err) != XTARS_OK)
            die("photo", err);
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                unsigned char *px = img.pixels + (size_t)j * img.stride + 4 * (size_t)i;
                seed = seed * 1103515245u + 12345u;
                int noise = (int)(seed >> 27) - 16;
                px[0] = (unsigned char)fmin(255, fmax(0, 128 + 100 * sin(i / 37.0) + noise));
                px[1] = (unsigned char)fmin(255, fmax(0, 128 + 90 * cos(j / 23.0 + i / 61.0) + noise));
                px[2] = (unsigned char)fmin(255, fmax(0, 110 + 100 * sin((i + j) / 47.0) + noise));
            }
        }
        put_pixels(p, &img, x, y);
    }
    xtars_image_cleanup(&img);
    xtars_buf_cleanup(&data);
}

/* A window: frame, title bar with title and buttons, body with text. */
static void paint_window(struct painter *p, int x, int y, int w, int h, int dark, int *next_line)
{
    const int title_h = 24, line_h = p->font->ascent + p->font->descent + 2;
    XSetForeground(p->dpy, p->gc, rgb(60, 60, 60));
    XFillRectangle(p->dpy, p->root, p->gc, x - 1, y - 1, (unsigned)w + 2, (unsigned)h + 2);
    XSetForeground(p->dpy, p->gc, dark ? rgb(48, 50, 56) : rgb(222, 222, 226));
    XFillRectangle(p->dpy, p->root, p->gc, x, y, (unsigned)w, title_h);
    XSetForeground(p->dpy, p->gc, dark ? rgb(30, 30, 30) : rgb(255, 255, 255));
    XFillRectangle(p->dpy, p->root, p->gc, x, y + title_h, (unsigned)w, (unsigned)(h - title_h));
    for (int b = 0; b < 3; b++) {
        XSetForeground(p->dpy, p->gc, b == 0 ? rgb(237, 106, 94) : b == 1 ? rgb(245, 191, 79)
                                                                          : rgb(98, 197, 84));
        XFillArc(p->dpy, p->root, p->gc, x + 8 + 20 * b, y + 6, 12, 12, 0, 360 * 64);
    }
    XSetForeground(p->dpy, p->gc, dark ? rgb(200, 200, 200) : rgb(40, 40, 40));
    XDrawString(p->dpy, p->root, p->gc, x + 80, y + 17, "xtars - editor", 14);
    for (int ty = y + title_h + line_h; ty < y + h - 4; ty += line_h) {
        const char *text = p->lines[(*next_line)++ % p->line_count];
        int len = (int)strlen(text), max = (w - 16) / p->font->max_bounds.width;
        if ((*next_line % 7) == 0)
            XSetForeground(p->dpy, p->gc, dark ? rgb(106, 153, 85) : rgb(0, 128, 0));
        else if ((*next_line % 5) == 0)
            XSetForeground(p->dpy, p->gc, dark ? rgb(86, 156, 214) : rgb(0, 0, 200));
        else
            XSetForeground(p->dpy, p->gc, dark ? rgb(212, 212, 212) : rgb(30, 30, 30));
        XDrawString(p->dpy, p->root, p->gc, x + 8, ty, text, len < max ? len : max);
    }
}

/* A top panel with menu names and a clock, and a toolbar of buttons. */
static void paint_panel(struct painter *p)
{
    static const char *const menus[] = {"Activities", "Files", "Edit", "View", "Go", "Help"};
    int x = 10;

    XSetForeground(p->dpy, p->gc, rgb(20, 20, 24));
    XFillRectangle(p->dpy, p->root, p->gc, 0, 0, (unsigned)p->width, 28);
    XSetForeground(p->dpy, p->gc, rgb(235, 235, 235));
    for (size_t i = 0; i < sizeof menus / sizeof menus[0]; i++) {
        XDrawString(p->dpy, p->root, p->gc, x, 19, menus[i], (int)strlen(menus[i]));
        x += 20 + XTextWidth(p->font, menus[i], (int)strlen(menus[i]));
    }
    XDrawString(p->dpy, p->root, p->gc, p->width - 120, 19, "Tue 14:32", 9);
    for (int i = 0; i < 12; i++) {
        XSetForeground(p->dpy, p->gc, rgb(40 + 15 * i, 120, 200 - 10 * i));
        XFillRectangle(p->dpy, p->root, p->gc, p->width / 2 - 300 + 50 * i, p->height - 60, 40, 40);
    }
}

/* Fills the screen: windows in a grid sized for a 1920x1080 layout, so a 4K
 * screen holds four times as much. */
static void paint_screen(struct painter *p, const char *photo)
{
    int next_line = 0, cols = p->width / 960, rows = p->height / 540;

    paint_wallpaper(p);
    paint_panel(p);
    for (int gy = 0; gy < rows; gy++) {
        for (int gx = 0; gx < cols; gx++) {
            int ox = gx * 960, oy = gy * 540 + 40;
            if ((gx + gy) % 3 == 2)
                paint_photo(p, photo, ox + 40, oy + 20, 860, 440);
            else
                paint_window(p, ox + 30, oy + 10, 900, 460, (gx + gy) % 2, &next_line);
        }
    }
    XSync(p->dpy, False);
}

static void painter_open(struct painter *p, const char *display, int w, int h, const char *dir)
{
    memset(p, 0, sizeof *p);
    p->dpy = XOpenDisplay(display);
    if (p->dpy == NULL)
        die("cannot open the bench's Xvfb", display);
    p->root = DefaultRootWindow(p->dpy);
    p->gc = XCreateGC(p->dpy, p->root, 0, NULL);
    p->font = XLoadQueryFont(p->dpy, "-misc-fixed-medium-r-normal--13-*-*-*-*-*-iso8859-1");
    if (p->font == NULL)
        p->font = XLoadQueryFont(p->dpy, "fixed");
    if (p->font == NULL)
        die("no core font on the Xvfb", NULL);
    XSetFont(p->dpy, p->gc, p->font->fid);
    p->width = w;
    p->height = h;
    load_lines(p, dir);
}

static void painter_close(struct painter *p)
{
    for (int i = 0; i < p->line_count; i++)
        free(p->lines[i]);
    free(p->lines);
    XFreeFont(p->dpy, p->font);
    XFreeGC(p->dpy, p->gc);
    XCloseDisplay(p->dpy);
}

/* ---- in-process measurements --------------------------------------------- */

#define TIME_MEDIAN(result, runs, body)                                                     \
    do {                                                                                    \
        double *samples_ = malloc(sizeof(double) * (size_t)(runs));                         \
        for (int run_ = 0; run_ < (runs); run_++) {                                         \
            double start_ = now_ms();                                                       \
            body;                                                                           \
            samples_[run_] = now_ms() - start_;                                             \
        }                                                                                   \
        (result) = median(samples_, (runs));                                                \
        free(samples_);                                                                     \
    } while (0)

static void check(xtars_err rc, const char *what, const char *err)
{
    if (rc != XTARS_OK)
        die(what, err);
}

static struct xtars_capture *open_capture(const char *display, int no_shm)
{
    struct xtars_capture_options o = {.display = display, .no_shm = no_shm};
    struct xtars_capture *cap;
    char err[XTARS_ERRLEN];

    check(xtars_capture_new(&o, &cap, err), "capture", err);
    return cap;
}

/* The encoded image must decode (libpng / libjpeg-turbo) to the resized
 * pixels: exactly for PNG; for JPEG the mean absolute error is shown. */
static const char *verify(const struct xtars_buf *data, const struct xtars_image *want, int lossy)
{
    static char text[64];
    struct xtars_image got;
    char err[XTARS_ERRLEN];
    double sum = 0;

    xtars_image_init(&got);
    if (xtars_image_decode(data->data, data->len, &got, err) != XTARS_OK ||
        got.width != want->width || got.height != want->height)
        return "WRONG: does not decode to the same size";
    for (int y = 0; y < got.height; y++)
        for (int x = 0; x < got.width * 4; x++)
            if (x % 4 != 3)
                sum += abs(got.pixels[(size_t)y * got.stride + x] -
                           want->pixels[(size_t)y * want->stride + x]);
    sum /= 3.0 * got.width * got.height;
    xtars_image_cleanup(&got);
    if (!lossy)
        return sum == 0 ? "exact" : "WRONG: pixels differ";
    snprintf(text, sizeof text, "mean error %.2f/255", sum);
    return text;
}

struct encoder {
    const char *name;
    int jpeg;       /* 1: JPEG at `level` quality */
    int libpng;     /* 1: the libpng reference encoder */
    int level;
    int runs_div;   /* slow encoders run fewer times */
};

static const struct encoder encoders[] = {
    {"png fast (ISA-L igzip level 1, Sub)", 0, 0, 1, 1},
    {"png fast, one thread", 0, 0, -1, 1},
    {"png fast (ISA-L igzip level 3, Sub)", 0, 0, 3, 1},
    {"png libpng zlib level 1, Sub", 0, 1, 1, 4},
    {"png libpng zlib level 6, all filters", 0, 1, 6, 10},
    {"jpeg libjpeg-turbo quality 85", 1, 0, 85, 1},
};

static xtars_err run_encoder(const struct encoder *e, const struct xtars_image *img,
                             struct xtars_buf *out, char *err)
{
    xtars_buf_reset(out);
    if (e->jpeg)
        return xtars_image_encode_jpeg(img, e->level, out, err);
    if (e->libpng)
        return xtars_image_encode_png_libpng(img, e->level, out, err);
    if (e->level < 0) { /* the fast path confined to the calling thread */
        xtars_err rc;
        xtars_image_set_threads(1);
        rc = xtars_image_encode_png(img, -e->level, out, err);
        xtars_image_set_threads(0);
        return rc;
    }
    return xtars_image_encode_png(img, e->level, out, err);
}

static void bench_encoders(const struct xtars_image *img, int runs)
{
    struct xtars_buf out, b64;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&out, 1 << 30);
    xtars_buf_init(&b64, 1 << 30);
    printf("  %-40s %9s %11s %9s %s\n", "encoder", "median", "bytes", "base64", "decoded");
    for (size_t i = 0; i < sizeof encoders / sizeof encoders[0]; i++) {
        const struct encoder *e = &encoders[i];
        int n = runs / e->runs_div > 3 ? runs / e->runs_div : 3;
        double ms, b64_ms;
        TIME_MEDIAN(ms, n, check(run_encoder(e, img, &out, err), e->name, err));
        TIME_MEDIAN(b64_ms, n, xtars_buf_reset(&b64); xtars_base64_encode(&b64, out.data, out.len));
        printf("  %-40s %6.2f ms %11zu %6.2f ms %s\n", e->name, ms, out.len, b64_ms,
               verify(&out, img, e->jpeg));
    }
    xtars_buf_cleanup(&out);
    xtars_buf_cleanup(&b64);
}

/* capture + resize + encode + base64, the way the loop does it. */
/* Returns the median wall milliseconds. */
static double bench_pipeline(struct xtars_capture *cap, int format, int runs, const char *label)
{
    struct xtars_shot_options o = {XTARS_SHOT_SMART, XTARS_DEFAULT_MIN_PIXELS,
                                   XTARS_DEFAULT_MAX_PIXELS, format, 1, 85};
    struct xtars_shot shot;
    struct xtars_buf body;
    char err[XTARS_ERRLEN];
    double total, *cap_ms = calloc((size_t)runs, sizeof(double));
    double *res_ms = calloc((size_t)runs, sizeof(double)), *enc_ms = calloc((size_t)runs, sizeof(double));
    int i = 0;
    double cpu;

    xtars_shot_init(&shot, 1 << 30);
    xtars_buf_init(&body, 1 << 30);
    cpu = cpu_ms();
    TIME_MEDIAN(total, runs, {
        check(xtars_capture_shot(cap, &o, &shot, err), "shot", err);
        xtars_buf_reset(&body);
        xtars_buf_puts(&body, format == XTARS_IMAGE_PNG ? "data:image/png;base64," : "data:image/jpeg;base64,");
        xtars_base64_encode(&body, shot.data.data, shot.data.len);
        cap_ms[i] = shot.capture_ms;
        res_ms[i] = shot.resize_ms;
        enc_ms[i++] = shot.encode_ms;
    });
    cpu = (cpu_ms() - cpu) / runs;
    printf("  pipeline %-4s %s %dx%d -> %dx%d: %6.2f ms median (capture %.2f, resize %.2f, "
           "encode %.2f), CPU %.2f ms/shot, %zu bytes, %zu base64\n",
           format == XTARS_IMAGE_PNG ? "png" : "jpeg", label, shot.screen.width, shot.screen.height,
           shot.sent_width, shot.sent_height, total, median(cap_ms, runs), median(res_ms, runs),
           median(enc_ms, runs), cpu, shot.data.len, body.len);
    xtars_shot_cleanup(&shot);
    xtars_buf_cleanup(&body);
    free(cap_ms);
    free(res_ms);
    free(enc_ms);
    return total;
}

/* Returns the median of the PNG pipeline (threads auto), for the comparison. */
static double bench_in_process(const char *display, const struct bench_opts *o, const char *tmp)
{
    struct xtars_capture *cap = open_capture(display, 0), *slow = open_capture(display, 1);
    struct xtars_image frame, resized, copy;
    char err[XTARS_ERRLEN], path[1200];
    double ms_copy, ms_shm, ms_noshm, ms_resize, ms_resize_c, ms_pipeline;
    int sw, sh;

    xtars_image_init(&resized);
    xtars_image_init(&copy);
    check(xtars_capture_grab(cap, &frame, err), "grab", err);
    check(xtars_image_alloc(&copy, frame.width, frame.height, err), "alloc", err);
    TIME_MEDIAN(ms_copy, o->runs, memcpy(copy.pixels, frame.pixels, copy.capacity));
    TIME_MEDIAN(ms_shm, o->runs, check(xtars_capture_grab(cap, &frame, err), "grab", err));
    TIME_MEDIAN(ms_noshm, o->runs / 3 + 1, check(xtars_capture_grab(slow, &copy, err), "grab", err));
    check(xtars_capture_grab(cap, &frame, err), "grab", err);
    check(xtars_smart_resize(frame.width, frame.height, XTARS_DEFAULT_MIN_PIXELS,
                             XTARS_DEFAULT_MAX_PIXELS, &sw, &sh), "smart_resize", NULL);
    TIME_MEDIAN(ms_resize, o->runs, check(xtars_image_resize(&frame, sw, sh, &resized, err), "resize", err));
    xtars_image_resize_set_simd(0);
    TIME_MEDIAN(ms_resize_c, o->runs / 3 + 1, check(xtars_image_resize(&frame, sw, sh, &resized, err), "resize", err));
    xtars_image_resize_set_simd(1);
    check(xtars_image_resize(&frame, sw, sh, &resized, err), "resize", err);
    printf("  memcpy of the frame (reference)          %6.2f ms\n", ms_copy);
    printf("  capture, MIT-SHM                         %6.2f ms  (%.1fx memcpy)\n", ms_shm,
           ms_shm / ms_copy);
    printf("  capture, XGetImage (no SHM)              %6.2f ms\n", ms_noshm);
    printf("  resize %dx%d -> %dx%d, AVX2 kernels   %6.2f ms\n", frame.width, frame.height, sw, sh, ms_resize);
    printf("  resize, portable C kernels               %6.2f ms\n", ms_resize_c);
    bench_encoders(&resized, o->runs);
    {
        struct xtars_buf fused;
        double ms;
        xtars_buf_init(&fused, 1 << 30);
        TIME_MEDIAN(ms, o->runs, xtars_buf_reset(&fused);
                    check(xtars_image_encode_png_resized(&frame, sw, sh, 1, &fused, err), "fused", err));
        printf("  %-40s %6.2f ms %11zu %9s %s\n", "resize + png fast, fused", ms, fused.len, "",
               verify(&fused, &resized, 0));
        xtars_buf_cleanup(&fused);
    }
    ms_pipeline = bench_pipeline(cap, XTARS_IMAGE_PNG, o->runs, "threads auto");
    xtars_image_set_threads(1);
    bench_pipeline(cap, XTARS_IMAGE_PNG, o->runs, "1 thread    ");
    xtars_image_set_threads(0);
    bench_pipeline(cap, XTARS_IMAGE_JPEG, o->runs, "            ");
    {   /* keep one PNG for a look */
        struct xtars_buf png;
        xtars_buf_init(&png, 1 << 30);
        check(xtars_image_encode_png(&resized, 1, &png, err), "png", err);
        snprintf(path, sizeof path, "%s/xtars-%dx%d.png", tmp, frame.width, frame.height);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(png.data, 1, png.len, f);
            fclose(f);
            printf("  sample image: %s\n", path);
        }
        xtars_buf_cleanup(&png);
    }
    xtars_image_cleanup(&resized);
    xtars_image_cleanup(&copy);
    xtars_capture_free(cap);
    xtars_capture_free(slow);
    return ms_pipeline;
}

/* ---- whole processes ----------------------------------------------------- */

/* Helper mode (bench_capture --measure FD CMD...): runs CMD and writes
 * "status peak_rss_kb wall_ms" to FD. The bench runs its commands through a
 * fresh exec of itself because a child's peak RSS (ru_maxrss) includes the
 * memory of the process it was forked from, here the bench with its frames;
 * forked from this small helper, the figure is the command's own. */
static int measure_main(char **argv)
{
    int fd = atoi(argv[2]), status = 1;
    double start = now_ms();
    struct rusage usage = {0};
    pid_t pid = fork();

    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        close(fd);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &usage) < 0)
        status = 1 << 8;
    dprintf(fd, "%d %ld %.3f\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128, usage.ru_maxrss,
            now_ms() - start);
    return 0;
}

/* Runs argv with DISPLAY set through the --measure helper, stdout captured
 * into `out` (may be NULL). Returns wall milliseconds and the peak RSS in
 * *rss_kb; -1 if it could not run or failed. */
static double run_process(const char *const *argv, const char *display, char *out, size_t out_size,
                          long *rss_kb)
{
    int out_pipe[2], result_pipe[2], status = 1;
    char result[128] = "", fd_text[16];
    double ms = -1;
    size_t used = 0;
    pid_t pid;

    if (pipe(out_pipe) != 0 || pipe(result_pipe) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        const char *helper[64] = {"bench_capture", "--measure", fd_text};
        int n = 3;
        for (int i = 0; argv[i] && n < 63; i++)
            helper[n++] = argv[i];
        helper[n] = NULL;
        snprintf(fd_text, sizeof fd_text, "%d", result_pipe[1]);
        dup2(out_pipe[1], 1);
        close(out_pipe[0]);
        close(result_pipe[0]);
        setenv("DISPLAY", display, 1);
        execv("/proc/self/exe", (char *const *)helper);
        _exit(127);
    }
    close(out_pipe[1]);
    close(result_pipe[1]);
    for (;;) {
        char sink[4096];
        int keep = out && used < out_size - 1;
        ssize_t n = read(out_pipe[0], keep ? out + used : sink, keep ? out_size - 1 - used : sizeof sink);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (keep)
            used += (size_t)n;
    }
    if (out)
        out[used] = '\0';
    if (read(result_pipe[0], result, sizeof result - 1) > 0 &&
        sscanf(result, "%d %ld %lf", &status, rss_kb, &ms) == 3 && status != 0)
        ms = -1;
    close(out_pipe[0]);
    close(result_pipe[0]);
    waitpid(pid, NULL, 0);
    return ms;
}

static void bench_command(const char *label, const char *const *argv, const char *display, int runs)
{
    double *ms = calloc((size_t)runs, sizeof(double));
    long rss = 0, peak = 0;
    int ok = 0;

    for (int i = 0; i < runs; i++) {
        double t = run_process(argv, display, NULL, 0, &rss);
        if (t >= 0)
            ms[ok++] = t;
        if (rss > peak)
            peak = rss;
    }
    if (ok)
        printf("  %-44s %8.1f ms median of %d, peak RSS %6.1f MB\n", label, median(ms, ok), ok,
               peak / 1024.0);
    else
        printf("  %-44s could not run (is it installed?)\n", label);
    free(ms);
}

/* The UI-TARS-desktop pipeline (nut-js grab, jimp resize + PNG, base64) in
 * one node process, 10 shots, against xtars's PNG pipeline on the same
 * screen in the same run; then (when whole_process) as a process of its
 * own. Prints "not measured" when the npm packages are missing. */
static void bench_node(const struct bench_opts *o, const char *display, double ms_pipeline,
                       const char *screen, int whole_process)
{
    const char *inproc[] = {"node", o->node_script, "10", NULL};
    const char *once[] = {"node", o->node_script, "1", NULL};
    char out[512];
    long rss = 0;
    double ms, node_ms;
    const char *m;

    if (o->node_script == NULL) {
        printf("  nut-js + jimp (UI-TARS-desktop), %s: not measured (npm packages not "
               "installed: bench/npm_peers.sh)\n", screen);
        return;
    }
    ms = run_process(inproc, display, out, sizeof out, &rss);
    m = strstr(out, "\"median_ms\":");
    if (ms < 0 || m == NULL || sscanf(m + 12, "%lf", &node_ms) != 1) {
        printf("  nut-js + jimp (UI-TARS-desktop), %s: not measured (%s failed)\n", screen,
               o->node_script);
        return;
    }
    printf("  nut-js grab + jimp PNG + base64, in process, %s: %s", screen, out);
    printf("  ratio: xtars PNG pipeline %.2f ms vs nut-js + jimp %.1f ms on the %s: %.0fx faster\n",
           ms_pipeline, node_ms, screen, node_ms / ms_pipeline);
    if (whole_process)
        bench_command("node nutjs_shot.js (whole process)", once, display, o->process_runs / 2 + 1);
}

/* Whether the PNG at `path` decodes to exactly `want`'s pixels. */
static int png_file_equals(const char *path, const struct xtars_image *want)
{
    struct xtars_buf data;
    struct xtars_image got;
    char err[XTARS_ERRLEN];
    int same = 0;

    xtars_buf_init(&data, 1 << 28);
    xtars_image_init(&got);
    if (xtars_buf_read_file(&data, path, 1 << 28, err) == XTARS_OK &&
        xtars_image_decode(data.data, data.len, &got, err) == XTARS_OK &&
        got.width == want->width && got.height == want->height) {
        same = 1;
        for (int y = 0; y < got.height && same; y++)
            for (int x = 0; x < got.width && same; x++) {
                const unsigned char *a = got.pixels + (size_t)y * got.stride + 4 * (size_t)x;
                const unsigned char *b = want->pixels + (size_t)y * want->stride + 4 * (size_t)x;
                same = a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
            }
    }
    xtars_buf_cleanup(&data);
    xtars_image_cleanup(&got);
    return same;
}

/* xtars's screenshots hold the pixels scrot saw: the native one exactly
 * scrot's PNG, the smart-size one exactly scrot's pixels resized by xtars's
 * resizer. */
static void check_same_pixels(const char *scrot_png, const char *native_png, const char *smart_png)
{
    struct xtars_buf data;
    struct xtars_image scrot, resized;
    char err[XTARS_ERRLEN];
    int sw, sh;

    xtars_buf_init(&data, 1 << 28);
    xtars_image_init(&scrot);
    xtars_image_init(&resized);
    if (xtars_buf_read_file(&data, scrot_png, 1 << 28, err) != XTARS_OK ||
        xtars_image_decode(data.data, data.len, &scrot, err) != XTARS_OK) {
        printf("  same pixels as scrot: not checked (%s)\n", err);
    } else {
        int native = png_file_equals(native_png, &scrot), smart = 0;
        if (xtars_smart_resize(scrot.width, scrot.height, XTARS_DEFAULT_MIN_PIXELS,
                               XTARS_DEFAULT_MAX_PIXELS, &sw, &sh) == XTARS_OK &&
            xtars_image_resize(&scrot, sw, sh, &resized, err) == XTARS_OK)
            smart = png_file_equals(smart_png, &resized);
        printf("  same pixels as scrot: native %s, smart size %s (scrot's pixels resized)\n",
               native ? "yes" : "NO", smart ? "yes" : "NO");
    }
    xtars_buf_cleanup(&data);
    xtars_image_cleanup(&scrot);
    xtars_image_cleanup(&resized);
}

/* Runs the commands in turn, one round after another, so that they share
 * whatever load the machine has; fills medians[] (-1: could not run). */
static void bench_rounds(const char *const *labels, const char *const *const *argvs, int count,
                         const char *display, int runs, double *medians)
{
    double *ms = calloc((size_t)(count * runs), sizeof(double));
    long rss = 0, peak[8] = {0};
    int ok[8] = {0};

    for (int r = 0; r < runs; r++)
        for (int c = 0; c < count; c++) {
            double t = run_process(argvs[c], display, NULL, 0, &rss);
            if (t >= 0)
                ms[c * runs + ok[c]++] = t;
            if (rss > peak[c])
                peak[c] = rss;
        }
    for (int c = 0; c < count; c++) {
        medians[c] = ok[c] ? median(ms + c * runs, ok[c]) : -1;
        if (ok[c])
            printf("  %-44s %8.1f ms median of %d, peak RSS %6.1f MB\n", labels[c], medians[c],
                   ok[c], peak[c] / 1024.0);
        else
            printf("  %-44s could not run (is it installed?)\n", labels[c]);
    }
    free(ms);
}

static void bench_processes(const struct bench_opts *o, const char *display, const char *tmp,
                            double ms_pipeline)
{
    char out_png[1200], out_native[1200], out_jpeg[1200], scrot_png[1200], import_png[1200];
    double medians[4];

    snprintf(out_png, sizeof out_png, "%s/p-xtars.png", tmp);
    snprintf(out_native, sizeof out_native, "%s/p-xtars-native.png", tmp);
    snprintf(out_jpeg, sizeof out_jpeg, "%s/p-xtars.jpg", tmp);
    snprintf(scrot_png, sizeof scrot_png, "%s/p-scrot.png", tmp);
    snprintf(import_png, sizeof import_png, "%s/p-import.png", tmp);
    const char *xtars_smart[] = {o->xtars, "screenshot", "-o", out_png, NULL};
    const char *xtars_native[] = {o->xtars, "screenshot", "--size", "native", "-o", out_native, NULL};
    const char *xtars_jpeg[] = {o->xtars, "screenshot", "-o", out_jpeg, NULL};
    const char *scrot[] = {"scrot", "-o", scrot_png, NULL};
    const char *import[] = {"import", "-window", "root", import_png, NULL};
    const char *labels[] = {"xtars screenshot (smart size, PNG)", "xtars screenshot --size native (PNG)",
                            "xtars screenshot (smart size, JPEG q85)", "scrot (native PNG)"};
    const char *const *argvs[] = {xtars_smart, xtars_native, xtars_jpeg, scrot};

    bench_rounds(labels, argvs, 4, display, o->process_runs, medians);
    if (medians[0] > 0 && medians[3] > 0)
        printf("  ratio: xtars screenshot (smart size, PNG) %.1f ms vs scrot %.1f ms in the same "
               "rounds: %.1fx faster (native PNG: %.1fx)\n", medians[0], medians[3],
               medians[3] / medians[0], medians[1] > 0 ? medians[3] / medians[1] : 0.0);
    check_same_pixels(scrot_png, out_native, out_png);
    bench_command("import -window root (native PNG)", import, display, o->process_runs / 2 + 1);
    bench_node(o, display, ms_pipeline, "mixed screen", 1);
}

/* ---- main ---------------------------------------------------------------- */

static void print_machine(void)
{
    char line[256], model[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    struct utsname u;

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') ? strchr(line, ':') + 2 : line);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    uname(&u);
    printf("machine: %s, %ld CPUs, Linux %s; libpng %s, zlib %s, libjpeg-turbo %s, ISA-L %s\n",
           model, sysconf(_SC_NPROCESSORS_ONLN), u.release, xtars_image_png_version(),
           xtars_image_zlib_version(), xtars_image_jpeg_version(), xtars_image_isal_version());
}

/* The hardest screen for a PNG: the photo stretched over the whole screen
 * (or, without a photo file, the synthetic one at screen size). */
static void paint_photo_screen(struct painter *p, const char *file)
{
    struct xtars_image img, full;
    struct xtars_buf data;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    xtars_image_init(&full);
    xtars_buf_init(&data, 64 << 20);
    if (file && xtars_buf_read_file(&data, file, 64 << 20, err) == XTARS_OK &&
        xtars_image_decode(data.data, data.len, &img, err) == XTARS_OK) {
        check(xtars_image_resize(&img, p->width, p->height, &full, err), "photo", err);
        put_pixels(p, &full, 0, 0);
    } else {
        paint_photo(p, NULL, 0, 0, p->width, p->height);
    }
    XSync(p->dpy, False);
    xtars_image_cleanup(&img);
    xtars_image_cleanup(&full);
    xtars_buf_cleanup(&data);
}

/* The perceive step on the full-screen photo: the PNG pipeline (threads
 * auto and one thread), the PNG checked against the resized pixels, and
 * nut-js + jimp on the same screen. */
static void bench_photo_screen(const struct bench_opts *o, struct painter *p, const char *display)
{
    struct xtars_capture *cap;
    struct xtars_image frame, resized;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];
    double ms;
    int sw, sh;

    paint_photo_screen(p, o->photo);
    printf("  -- full-screen photo --\n");
    cap = open_capture(display, 0);
    xtars_image_init(&resized);
    xtars_buf_init(&png, 1 << 28);
    check(xtars_capture_grab(cap, &frame, err), "grab", err);
    check(xtars_smart_resize(frame.width, frame.height, XTARS_DEFAULT_MIN_PIXELS,
                             XTARS_DEFAULT_MAX_PIXELS, &sw, &sh), "smart_resize", NULL);
    check(xtars_image_resize(&frame, sw, sh, &resized, err), "resize", err);
    check(xtars_image_encode_png_resized(&frame, sw, sh, 1, &png, err), "png", err);
    printf("  photo PNG %dx%d: %zu bytes, decodes to the resized pixels: %s\n", sw, sh, png.len,
           verify(&png, &resized, 0));
    ms = bench_pipeline(cap, XTARS_IMAGE_PNG, o->runs, "threads auto");
    xtars_image_set_threads(1);
    bench_pipeline(cap, XTARS_IMAGE_PNG, o->runs, "1 thread    ");
    xtars_image_set_threads(0);
    bench_node(o, display, ms, "full-screen photo", 0);
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&resized);
    xtars_capture_free(cap);
}

static void bench_size(const struct bench_opts *o, int w, int h)
{
    struct xtars_xvfb_options xo = {w, h, 24, 15000, NULL};
    struct xtars_xvfb *xvfb;
    struct painter painter;
    char err[XTARS_ERRLEN];

    check(xtars_xvfb_start(&xo, &xvfb, err), "Xvfb", err);
    printf("\n== %dx%d (Xvfb %s) ==\n", w, h, xtars_xvfb_display(xvfb));
    painter_open(&painter, xtars_xvfb_display(xvfb), w, h, o->text_dir);
    paint_screen(&painter, o->photo);
    double ms_pipeline = bench_in_process(xtars_xvfb_display(xvfb), o, o->tmp);
    if (o->process_runs > 0)
        bench_processes(o, xtars_xvfb_display(xvfb), o->tmp, ms_pipeline);
    if (o->photo_screen && (long)w * h <= 1920L * 1080) /* the 1080p figure of issue 22 */
        bench_photo_screen(o, &painter, xtars_xvfb_display(xvfb));
    painter_close(&painter);
    xtars_xvfb_free(xvfb);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"xtars", required_argument, NULL, 'x'}, {"photo", required_argument, NULL, 'p'},
        {"text-dir", required_argument, NULL, 't'}, {"node-script", required_argument, NULL, 'n'},
        {"tmp", required_argument, NULL, 'd'}, {"runs", required_argument, NULL, 'r'},
        {"process-runs", required_argument, NULL, 'P'}, {"sizes", required_argument, NULL, 's'},
        {"no-photo-screen", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    struct bench_opts o = {XT_BINARY_DIR "/xtars", NULL, XT_SOURCE_DIR "/capture", NULL, "/tmp", 30, 10,
                           1};
    const char *sizes = "1920x1080,3840x2160";
    int opt;

    if (argc >= 4 && strcmp(argv[1], "--measure") == 0)
        return measure_main(argv);
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows when piped to a file */
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'x': o.xtars = optarg; break;
        case 'p': o.photo = optarg; break;
        case 't': o.text_dir = optarg; break;
        case 'n': o.node_script = optarg; break;
        case 'd': o.tmp = optarg; break;
        case 'r': o.runs = atoi(optarg) > 2 ? atoi(optarg) : 3; break;
        case 'P': o.process_runs = atoi(optarg) > 0 ? atoi(optarg) : 0; break;
        case 's': sizes = optarg; break;
        case 'N': o.photo_screen = 0; break;
        default:
            fprintf(stderr, "usage: bench_capture [--xtars PATH] [--photo FILE] [--text-dir DIR] "
                            "[--node-script FILE] [--tmp DIR] [--runs N] [--process-runs N (0: none)] "
                            "[--sizes WxH,...] [--no-photo-screen]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    print_machine();
    for (const char *s = sizes; s && *s;) {
        char one[32];
        size_t n = strcspn(s, ",");
        int w, h;
        snprintf(one, sizeof one, "%.*s", (int)n, s);
        if (xtars_parse_size(one, &w, &h) != XTARS_OK)
            die("bad size", one);
        bench_size(&o, w, h);
        s += n + (s[n] == ',');
    }
    return 0;
}
