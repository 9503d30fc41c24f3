/* `xtars screenshot` run as a user would, against a private Xvfb: the image
 * file, its size for the reference table, the --json report, stdout output,
 * JPEG by extension or flag, and errors with their exit codes. */
#include <cjson/cJSON.h>

#include "run.h"
#include "test.h"
#include "xdraw.h"
#include "xfixture.h"
#include "xtars/buf.h"
#include "xtars/image.h"

#define RUN(...) xt_run((const char *const[]){"@xtars", "screenshot", __VA_ARGS__, NULL}, NULL, NULL)

static struct xtars_image decode_file(const char *path)
{
    struct xtars_buf data;
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&data, 64 << 20);
    xtars_image_init(&img);
    if (xtars_buf_read_file(&data, path, 64 << 20, err) != XTARS_OK)
        FAIL("%s", err);
    if (xtars_image_decode(data.data, data.len, &img, err) != XTARS_OK)
        FAIL("%s: %s", path, err);
    xtars_buf_cleanup(&data);
    return img;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item))
        FAIL("--json has no number \"%s\"", key);
    return item->valuedouble;
}

TEST(json_report_and_smart_sized_png)
{
    char path[512];
    struct xt_result r;
    cJSON *json;
    struct xtars_image img;
    Display *dpy;

    xt_x_start(1280, 800, NULL);
    dpy = xd_open();
    xd_fill_root(dpy, 0x10a0f0);
    snprintf(path, sizeof path, "%s/shot.png", xt_tmpdir());
    r = RUN("-o", path, "--json");
    ASSERT_EQ(r.status, 0);
    json = cJSON_Parse(r.out);
    ASSERT(json != NULL);
    ASSERT_EQ(number(json, "screen_width"), 1280);
    ASSERT_EQ(number(json, "screen_height"), 800);
    ASSERT_EQ(number(json, "sent_width"), 1288); /* reference table: 1280x800 -> 1288x812 */
    ASSERT_EQ(number(json, "sent_height"), 812);
    ASSERT_EQ(number(json, "screen_x"), 0);
    ASSERT(number(json, "capture_ms") >= 0);
    ASSERT(number(json, "resize_ms") >= 0);
    ASSERT(number(json, "encode_ms") >= 0);
    ASSERT_STR_EQ(cJSON_GetObjectItem(json, "format")->valuestring, "png");
    ASSERT_STR_EQ(cJSON_GetObjectItem(json, "output")->valuestring, path);
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(json, "shm")));
    img = decode_file(path);
    ASSERT_EQ(img.width, 1288);
    ASSERT_EQ(img.height, 812);
    ASSERT_EQ(img.pixels[0], 0xf0);
    ASSERT_EQ(img.pixels[1], 0xa0);
    ASSERT_EQ(img.pixels[2], 0x10);
    {
        FILE *f = fopen(path, "rb");
        ASSERT(f != NULL);
        fseek(f, 0, SEEK_END);
        ASSERT_EQ(ftell(f), number(json, "bytes"));
        fclose(f);
    }
    xtars_image_cleanup(&img);
    cJSON_Delete(json);
    xt_result_free(&r);
    XCloseDisplay(dpy);
}

TEST(native_size_region_and_stdout)
{
    char path[512];
    struct xt_result r;
    struct xtars_image img;

    xt_x_start(640, 480, NULL);
    r = RUN("--size", "native", "--region", "100x60+10+20", "-o", "-");
    ASSERT_EQ(r.status, 0);
    ASSERT(memcmp(r.out, "\x89PNG\r\n\x1a\n", 8) == 0);
    xt_result_free(&r);
    /* The same through XGetImage, into a file to decode. */
    snprintf(path, sizeof path, "%s/region.png", xt_tmpdir());
    r = RUN("--size", "native", "--region", "100x60+10+20", "-o", path, "--no-shm");
    ASSERT_EQ(r.status, 0);
    img = decode_file(path);
    ASSERT_EQ(img.width, 100);
    ASSERT_EQ(img.height, 60);
    xtars_image_cleanup(&img);
    xt_result_free(&r);
}

TEST(jpeg_by_extension_or_flag)
{
    char path[512];
    struct xt_result r;
    cJSON *json;

    xt_x_start(800, 600, NULL);
    snprintf(path, sizeof path, "%s/shot.jpg", xt_tmpdir());
    r = RUN("-o", path, "--json");
    ASSERT_EQ(r.status, 0);
    json = cJSON_Parse(r.out);
    ASSERT_STR_EQ(cJSON_GetObjectItem(json, "format")->valuestring, "jpeg");
    ASSERT_EQ(number(json, "sent_width"), 812); /* 800x600 -> 812x588 */
    ASSERT_EQ(number(json, "sent_height"), 588);
    cJSON_Delete(json);
    xt_result_free(&r);
    snprintf(path, sizeof path, "%s/shot.img", xt_tmpdir());
    r = RUN("-o", path, "--format", "jpeg", "--max-pixels", "100000", "--json");
    ASSERT_EQ(r.status, 0);
    json = cJSON_Parse(r.out);
    ASSERT_STR_EQ(cJSON_GetObjectItem(json, "format")->valuestring, "jpeg");
    /* max_pixels path: beta = sqrt(800*600/100000); floor(600/beta/28)*28 = 252,
     * floor(800/beta/28)*28 = 364. */
    ASSERT_EQ(number(json, "sent_width"), 364);
    ASSERT_EQ(number(json, "sent_height"), 252);
    cJSON_Delete(json);
    xt_result_free(&r);
}

TEST(errors_and_exit_codes)
{
    struct xt_result r;

    r = RUN("--display", ":9876", "-o", "/dev/null");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "xtars screenshot: capture: cannot open display ':9876'\n");
    xt_result_free(&r);
    unsetenv("DISPLAY"); /* the tests run without one unless they start an Xvfb */
    r = RUN("-o", "/dev/null");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_EQ(r.err, "xtars screenshot: no X display: DISPLAY is not set (give --display D, "
                         "or run on a private headless screen with 'xtars run --xvfb WxH')\n");
    xt_result_free(&r);
    r = RUN("--window", "banana");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--window needs a window id");
    xt_result_free(&r);
    r = RUN("--json", "-o", "-");
    ASSERT_EQ(r.status, 2);
    xt_result_free(&r);
    r = RUN("--size", "huge");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--size must be native or smart");
    xt_result_free(&r);
    r = RUN("--format", "gif");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "'image_format' (command line) must be one of png, jpeg");
    xt_result_free(&r);
    xt_x_start(320, 240, NULL);
    r = RUN("--monitor", "nowhere", "-o", "/dev/null");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "no monitor 'nowhere'");
    xt_result_free(&r);
    r = RUN("-o", "/nonexistent-dir/x.png");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "cannot write '/nonexistent-dir/x.png'");
    xt_result_free(&r);
}
