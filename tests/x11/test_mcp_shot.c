/* test_mcp_shot.c: the MCP screenshot tool on a real (private) X screen,
 * in-process: a screen of noise, whose PNG is several megabytes, must come
 * back as an image result, not as a "response too large" error. The
 * handler-level cases without a display are in unit/test_mcp.c. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mcp/mcp.h"
#include "test.h"
#include "xfixture.h"
#include "xtars/buf.h"
#include "xtars/log.h"
#include <cjson/cJSON.h>

#define WIDTH 1280
#define HEIGHT 800

static struct xtars_buf sent; /* the last message */

static void collect(void *user, const char *text, size_t len)
{
    (void)user;
    xtars_buf_reset(&sent);
    xtars_buf_append(&sent, text, len);
}

/* Fills the root window with pixels no encoder can compress much. */
static void paint_noise(void)
{
    Display *dpy = XOpenDisplay(NULL);
    XImage *img;
    unsigned int seed = 12345;

    ASSERT(dpy != NULL);
    img = XCreateImage(dpy, DefaultVisual(dpy, 0), 24, ZPixmap, 0, malloc((size_t)WIDTH * HEIGHT * 4),
                       WIDTH, HEIGHT, 32, 0);
    ASSERT(img != NULL && img->data != NULL);
    for (int y = 0; y < HEIGHT; y++)
        for (int x = 0; x < WIDTH; x++)
            XPutPixel(img, x, y, (unsigned long)rand_r(&seed) & 0xFFFFFF);
    XPutImage(dpy, DefaultRootWindow(dpy), DefaultGC(dpy, 0), img, 0, 0, 0, 0, WIDTH, HEIGHT);
    XSync(dpy, False);
    XDestroyImage(img);
    XCloseDisplay(dpy);
}

static void say(struct xtars_mcp *m, const char *message)
{
    xtars_buf_reset(&sent);
    xtars_mcp_handle(m, message, strlen(message));
}

TEST(a_screenshot_of_several_megabytes_is_returned)
{
    struct xtars_config cfg;
    struct xtars_mcp_options opts = {NULL, 0, collect, NULL};
    struct xtars_mcp *m;
    char err[XTARS_ERRLEN];
    const cJSON *content, *image;
    cJSON *reply;

    xt_x_start(WIDTH, HEIGHT, NULL);
    paint_noise();
    xtars_config_defaults(&cfg);
    xtars_buf_init(&sent, 256u << 20);
    xtars_log_set_level(XTARS_LOG_ERROR);
    ASSERT_EQ(xtars_mcp_new(&cfg, &opts, &m, err), XTARS_OK);
    say(m, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
           "\"2025-06-18\"}}");
    say(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"screenshot\"}}");
    ASSERT(sent.data != NULL);
    reply = cJSON_ParseWithLength(sent.data, sent.len);
    ASSERT(reply != NULL);
    if (cJSON_GetObjectItemCaseSensitive(reply, "error"))
        FAIL("the screenshot is an error: %.300s", sent.data);
    content = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(reply, "result"), "content");
    image = cJSON_GetArrayItem(content, 0);
    ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image, "type")), "image");
    ASSERT(strlen(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(image, "data"))) > (2u << 20));
    cJSON_Delete(reply);
    xtars_mcp_free(m);
    xtars_buf_cleanup(&sent);
}
