/* --xvfb sizes: what xtars cannot drive is refused before anything starts,
 * with one line naming the limit (agent/run/xvfb.h: 16-bit X11 coordinates,
 * the 64 Mpixel capture buffer, smart_resize's aspect ratio of 200), where
 * Xvfb itself would start and the run fail later; the smallest screen, 1x1,
 * runs. The same check guards task files' "screen" and the library's
 * xtars_xvfb_start(). */
#include <stdio.h>

#include "agent/run/xvfb.h"
#include "mserver.h"
#include "run.h"
#include "test.h"

static void refused(const char *size, const char *limit)
{
    char expected[300];
    struct xt_result r = xt_run((const char *const[]){"@xtars", "run", "--xvfb", size, "--endpoint",
                                                      "http://127.0.0.1:1/v1", "do it", NULL},
                                NULL, NULL);

    ASSERT_EQ(r.status, 2);
    snprintf(expected, sizeof expected, "xtars run: --xvfb %s: %s\n", size, limit);
    ASSERT_STR_EQ(r.err, expected); /* one line, nothing started, nothing asked of the model */
    ASSERT_STR_EQ(r.out, "");
    xt_result_free(&r);
}

TEST(absurd_sizes_are_refused_naming_the_limit)
{
    refused("100000x100000", "at most 32767 pixels a side (X11 coordinates are 16-bit)");
    refused("32768x600", "at most 32767 pixels a side (X11 coordinates are 16-bit)");
    refused("9000x9000", "at most 67108864 pixels (e.g. 8192x8192) can be captured");
    refused("20000x10", "one side is more than 200 times the other, which the model's image "
                        "resizing refuses");
    refused("10x2001", "one side is more than 200 times the other, which the model's image "
                       "resizing refuses");
    refused("0x600", "each side must be at least 1 pixel");
}

TEST(limits_are_inclusive)
{
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_xvfb_check_size(1, 1, err), XTARS_OK);
    ASSERT_EQ(xtars_xvfb_check_size(8192, 8192, err), XTARS_OK);    /* 64 Mpixel exactly */
    ASSERT_EQ(xtars_xvfb_check_size(8192, 8193, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_xvfb_check_size(32767, 2048, err), XTARS_OK);   /* 67,106,816 pixels */
    ASSERT_EQ(xtars_xvfb_check_size(32767, 2049, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_xvfb_check_size(6400, 32, err), XTARS_OK);      /* 200:1 exactly */
    ASSERT_EQ(xtars_xvfb_check_size(6401, 32, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_xvfb_check_size(32767, 164, err), XTARS_OK);
    ASSERT_EQ(xtars_xvfb_check_size(32768, 164, err), XTARS_EINVAL);
}

TEST(library_start_refuses_before_spawning)
{
    struct xtars_xvfb_options opts = {40000, 100, 24, 0, NULL};
    struct xtars_xvfb *xvfb = (struct xtars_xvfb *)1;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_xvfb_start(&opts, &xvfb, err), XTARS_EINVAL);
    ASSERT(xvfb == NULL);
    ASSERT_STR_EQ(err, "Xvfb: screen 40000x100: at most 32767 pixels a side (X11 coordinates are "
                       "16-bit)");
}

TEST(task_screen_is_checked_with_the_file)
{
    const char *path = xt_tmp_path("wide.json");
    struct xt_result r;

    xt_write_text(path, "{\"name\": \"wide\", \"screen\": \"20000x10\", \"steps\": [{\"wait\": 1}]}");
    r = xt_run((const char *const[]){"@xtars", "task", path, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "'screen' 20000x10: one side is more than 200 times the other");
    xt_result_free(&r);
}

/* The smallest screen works end to end: a private 1x1 Xvfb, one step. */
TEST(one_by_one_runs)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_mserver_start(&server, "[\"Action: finished(content='tiny')\"]", NULL);
    r = xt_run((const char *const[]){"@xtars", "run", "--xvfb", "1x1", "--out", xt_tmp_path("traj"), "--endpoint",
                                     server.endpoint, "do it", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "tiny\n");
    xt_result_free(&r);
    xt_mserver_stop(&server);
}
