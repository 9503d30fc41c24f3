/* The pure parts of replay: recorded points mapped onto another target
 * (expected pixels worked out from "the pixel containing the scaled centre"),
 * the cell-grid similarity with its tolerance boundary, and the layout of the
 * side-by-side diff image. */
#include "test.h"
#include "agent/config/config_internal.h"
#include "xtars/replay.h"

static struct xtars_image solid(int w, int h, unsigned char r, unsigned char g, unsigned char b)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, w, h, err), XTARS_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = img.pixels + (size_t)y * img.stride + (size_t)x * 4;
            p[0] = b, p[1] = g, p[2] = r, p[3] = 0;
        }
    return img;
}

static void fill(struct xtars_image *img, int x0, int y0, int w, int h, unsigned char v)
{
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            memset(img->pixels + (size_t)y * img->stride + (size_t)x * 4, v, 3);
}

static const unsigned char *pixel(const struct xtars_image *img, int x, int y)
{
    return img->pixels + (size_t)y * img->stride + (size_t)x * 4;
}

TEST(same_size_is_identity_or_translation)
{
    struct xtars_rect a = {0, 0, 640, 480}, b = {100, 50, 640, 480};
    int x, y;

    for (int v = 0; v < 480; v += 7) {
        ASSERT_EQ(xtars_replay_map_point(&a, &a, v, v, &x, &y), XTARS_OK);
        ASSERT_EQ(x, v);
        ASSERT_EQ(y, v);
    }
    ASSERT_EQ(xtars_replay_map_point(&a, &a, 639, 479, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 639);
    ASSERT_EQ(y, 479);
    /* Another origin (a monitor at +100+50): a pure shift. */
    ASSERT_EQ(xtars_replay_map_point(&a, &b, 10, 20, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 110);
    ASSERT_EQ(y, 70);
    ASSERT_EQ(xtars_replay_map_point(&b, &a, 110, 70, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 10);
    ASSERT_EQ(y, 20);
}

TEST(scaling_takes_the_pixel_under_the_scaled_centre)
{
    struct xtars_rect small = {0, 0, 640, 480}, big = {0, 0, 1280, 960};
    struct xtars_rect hd = {0, 0, 1920, 1080}, wxga = {0, 0, 1366, 768};
    int x, y;

    /* Pixel 100 spans 100..101, centre 100.5; doubled: 201.0, inside pixel 201. */
    ASSERT_EQ(xtars_replay_map_point(&small, &big, 100, 80, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 201);
    ASSERT_EQ(y, 161);
    /* Back: centre 201.5 halved is 100.75, pixel 100. */
    ASSERT_EQ(xtars_replay_map_point(&big, &small, 201, 161, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 100);
    ASSERT_EQ(y, 80);
    /* 1920 -> 1366: 960.5 * 1366 / 1920 = 683.355..., 540.5 * 768 / 1080 = 384.355... */
    ASSERT_EQ(xtars_replay_map_point(&hd, &wxga, 960, 540, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 683);
    ASSERT_EQ(y, 384);
    /* The edges stay inside: 1919.5 * 1366 / 1920 = 1365.64; 0.5 * 1366 / 1920 = 0.36. */
    ASSERT_EQ(xtars_replay_map_point(&hd, &wxga, 1919, 1079, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 1365);
    ASSERT_EQ(y, 767);
    ASSERT_EQ(xtars_replay_map_point(&hd, &wxga, 0, 0, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 0);
    ASSERT_EQ(y, 0);
}

TEST(points_outside_are_clamped_and_empty_targets_refused)
{
    struct xtars_rect a = {0, 0, 640, 480}, b = {10, 10, 320, 240}, empty = {0, 0, 0, 480};
    int x, y;

    ASSERT_EQ(xtars_replay_map_point(&a, &b, -50, 900, &x, &y), XTARS_OK);
    ASSERT_EQ(x, 10);
    ASSERT_EQ(y, 249);
    ASSERT_EQ(xtars_replay_map_point(&empty, &b, 5, 6, &x, &y), XTARS_EINVAL);
    ASSERT_EQ(x, 5);
    ASSERT_EQ(y, 6);
    ASSERT_EQ(xtars_replay_map_point(&a, &empty, 5, 6, &x, &y), XTARS_EINVAL);
}

TEST(actions_map_both_points_and_keep_model_numbers)
{
    struct xtars_rect small = {0, 0, 640, 480}, big = {0, 0, 1280, 960};
    struct xtars_action drag = {.type = XTARS_ACTION_DRAG, .has_point = 1, .x = 10, .y = 10,
                                .has_end = 1, .x2 = 50, .y2 = 30, .model_x = 12.5, .model_y = 7};
    struct xtars_action type = {.type = XTARS_ACTION_TYPE, .x = 3, .y = 4};

    ASSERT_EQ(xtars_replay_map_action(&small, &big, &drag), XTARS_OK);
    ASSERT_EQ(drag.x, 21);
    ASSERT_EQ(drag.y, 21);
    ASSERT_EQ(drag.x2, 101);
    ASSERT_EQ(drag.y2, 61);
    ASSERT_NEAR(drag.model_x, 12.5, 0);
    ASSERT_NEAR(drag.model_y, 7, 0);
    ASSERT_EQ(xtars_replay_map_action(&small, &big, &type), XTARS_OK);
    ASSERT_EQ(type.x, 3); /* no point: untouched */
    ASSERT_EQ(type.y, 4);
}

TEST(identical_images_are_similar_one)
{
    struct xtars_image a = solid(64, 48, 30, 60, 90), b = solid(64, 48, 30, 60, 90);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_NEAR(cmp.similarity, 1.0, 0);
    ASSERT_EQ(cmp.cells_x, 8);
    ASSERT_EQ(cmp.cells_y, 6);
    ASSERT_EQ(cmp.differing, 0);
    ASSERT_EQ(cmp.changed.width, 0);
    ASSERT_NEAR(cmp.mean_difference, 0, 0);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
}

TEST(one_changed_cell_counts_one_of_the_grid)
{
    struct xtars_image a = solid(64, 48, 0, 0, 0), b = solid(64, 48, 0, 0, 0);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    fill(&b, 16, 8, 8, 8, 255); /* exactly cell (2, 1) */
    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 1);
    ASSERT_NEAR(cmp.similarity, 47.0 / 48.0, 1e-12);
    ASSERT_NEAR(cmp.mean_difference, 255.0 / 48.0 / 255.0, 1e-12);
    ASSERT_EQ(cmp.changed.x, 16);
    ASSERT_EQ(cmp.changed.y, 8);
    ASSERT_EQ(cmp.changed.width, 8);
    ASSERT_EQ(cmp.changed.height, 8);
    /* A one-pixel caret (1x8) in another cell: its cell mean moves by 255/8 = 31.9 > 16. */
    fill(&b, 40, 32, 1, 8, 255);
    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 2);
    ASSERT_EQ(cmp.changed.x, 16);
    ASSERT_EQ(cmp.changed.y, 8);
    ASSERT_EQ(cmp.changed.width, 48 - 16);
    ASSERT_EQ(cmp.changed.height, 40 - 8);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
}

TEST(tolerance_is_sixteen_luma_levels)
{
    struct xtars_image a = solid(32, 32, 100, 100, 100), b = solid(32, 32, 116, 116, 116);
    struct xtars_image c = solid(32, 32, 117, 117, 117);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_NEAR(cmp.similarity, 1.0, 0);
    ASSERT_NEAR(cmp.mean_difference, 16.0 / 255.0, 1e-12);
    ASSERT_EQ(xtars_replay_compare(&a, &c, &cmp, err), XTARS_OK);
    ASSERT_NEAR(cmp.similarity, 0.0, 0);
    ASSERT_EQ(cmp.differing, 16);
    ASSERT_EQ(cmp.changed.width, 32);
    ASSERT_EQ(cmp.changed.height, 32);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
    xtars_image_cleanup(&c);
}

TEST(luma_weights_green_most)
{
    /* Pure green 20 vs black: luma (150 * 20 + 128) >> 8 = 12, within tolerance;
     * pure blue 100: (29 * 100 + 128) >> 8 = 11, also within; red 60: 18, beyond. */
    struct xtars_image black = solid(16, 16, 0, 0, 0), green = solid(16, 16, 0, 20, 0);
    struct xtars_image blue = solid(16, 16, 0, 0, 100), red = solid(16, 16, 60, 0, 0);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_replay_compare(&black, &green, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 0);
    ASSERT_EQ(xtars_replay_compare(&black, &blue, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 0);
    ASSERT_EQ(xtars_replay_compare(&black, &red, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 4);
    xtars_image_cleanup(&black);
    xtars_image_cleanup(&green);
    xtars_image_cleanup(&blue);
    xtars_image_cleanup(&red);
}

TEST(live_of_another_size_is_reduced_to_the_recorded_grid)
{
    struct xtars_image rec = solid(64, 48, 0, 0, 0), live = solid(128, 96, 0, 0, 0);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    fill(&rec, 0, 0, 32, 48, 200);   /* left half */
    fill(&live, 0, 0, 64, 96, 200);  /* the same picture, twice the size */
    ASSERT_EQ(xtars_replay_compare(&rec, &live, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.cells_x, 8);
    ASSERT_EQ(cmp.differing, 0);
    fill(&live, 0, 0, 64, 96, 0);    /* the left half gone */
    ASSERT_EQ(xtars_replay_compare(&rec, &live, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 24);
    ASSERT_NEAR(cmp.similarity, 0.5, 1e-12);
    ASSERT_EQ(cmp.changed.x, 0);
    ASSERT_EQ(cmp.changed.width, 32);
    ASSERT_EQ(cmp.changed.height, 48);
    xtars_image_cleanup(&rec);
    xtars_image_cleanup(&live);
}

TEST(partial_cells_and_empty_images)
{
    struct xtars_image a = solid(10, 10, 5, 5, 5), b = solid(10, 10, 5, 5, 5), empty;
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.cells_x, 2); /* ceil(10 / 8) */
    ASSERT_EQ(cmp.cells_y, 2);
    xtars_image_init(&empty);
    ASSERT_EQ(xtars_replay_compare(&a, &empty, &cmp, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "replay: cannot compare an empty image");
    ASSERT_NEAR(cmp.similarity, 0, 0);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
}

TEST(diff_image_layout)
{
    struct xtars_image rec = solid(64, 48, 0, 0, 0), live = solid(64, 48, 0, 0, 0), out;
    char err[XTARS_ERRLEN];
    const int gap = XTARS_REPLAY_DIFF_GAP, band = XTARS_REPLAY_DIFF_BAND;
    const unsigned char *p;

    fill(&rec, 0, 0, 8, 8, 77);
    fill(&live, 16, 8, 8, 8, 255);
    xtars_image_init(&out);
    ASSERT_EQ(xtars_replay_diff_image(&rec, &live, &out, err), XTARS_OK);
    ASSERT_EQ(out.width, 3 * 64 + 2 * gap);
    ASSERT_EQ(out.height, band + 48);
    ASSERT_EQ(xtars_replay_diff_panel_x(64, 2), 2 * (64 + gap));
    /* Panel 0 is the recording, panel 1 the live screen. */
    ASSERT_EQ(pixel(&out, 3, band + 3)[2], 77);
    ASSERT_EQ(pixel(&out, 64 + gap + 20, band + 12)[2], 255);
    ASSERT_EQ(pixel(&out, 64 + gap + 3, band + 3)[2], 0);
    /* Panel 2: a differing cell is red, a matching one grey. */
    p = pixel(&out, 2 * (64 + gap) + 20, band + 12);
    ASSERT_GT(p[2], p[1] + 100);
    ASSERT_EQ(p[1], p[0]);
    p = pixel(&out, 2 * (64 + gap) + 40, band + 40);
    ASSERT_EQ(p[2], p[1]);
    ASSERT_EQ(p[1], p[0]);
    /* The bounding box of the differing cells (0,0)..(24,16) is outlined. */
    p = pixel(&out, 2 * (64 + gap) + 10, band + 0);
    ASSERT_EQ(p[2], 255);
    ASSERT_EQ(p[1], 40);
    /* The caption band is left to the caller: background grey. */
    ASSERT_EQ(pixel(&out, 5, 5)[2], 40);
    xtars_image_cleanup(&out);
    xtars_image_cleanup(&rec);
    xtars_image_cleanup(&live);
}

/* A text-heavy screen: 1920x1080, white, with 60 lines of "glyphs" (dark
 * strokes 1..6 px wide, gaps of 1..3 px, word spaces of 6 px) from a fixed
 * pseudo-random sequence, so two lines drawn with different seeds differ
 * the way two sentences do. */
static void text_line(struct xtars_image *img, int top, int left, int width, unsigned seed)
{
    int x = left;

    while (x < left + width) {
        int stroke = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
        int gap = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 3;
        int space = ((seed = seed * 1103515245u + 12345u) >> 16) % 7 == 0 ? 6 : 0;
        int height = 6 + (int)(seed >> 20) % 6;
        if (x + stroke > left + width)
            break;
        fill(img, x, top + 12 - height, stroke, height, 30);
        x += stroke + gap + space;
    }
}

static struct xtars_image text_screen(void)
{
    struct xtars_image img = solid(1920, 1080, 255, 255, 255);

    for (int line = 0; line < 60; line++)
        text_line(&img, 8 + line * 17, 16, 1800, 1000u + (unsigned)line);
    return img;
}

TEST(a_changed_line_of_text_diverges_a_caret_and_a_clock_do_not)
{
    struct xtars_image recorded = text_screen(), live = text_screen();
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    /* The same screen: nothing differs. */
    ASSERT_EQ(xtars_replay_compare(&recorded, &live, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.differing, 0);
    ASSERT_EQ(xtars_replay_diverged(&cmp, XTARS_REPLAY_DEFAULT_THRESHOLD), 0);
    /* A blinking caret (2x15) after line 5, and a clock's last two digits
     * (a 20x12 patch top right) that moved on. */
    fill(&live, 1830, 8 + 5 * 17, 2, 15, 30);
    fill(&live, 1880, 1064, 20, 12, 255);
    text_line(&live, 1064, 1880, 20, 77);
    ASSERT_EQ(xtars_replay_compare(&recorded, &live, &cmp, err), XTARS_OK);
    ASSERT(cmp.differing > 0);
    ASSERT(cmp.largest.width <= XTARS_REPLAY_SMALL_CHANGE);
    ASSERT_EQ(xtars_replay_diverged(&cmp, XTARS_REPLAY_DEFAULT_THRESHOLD), 0);
    /* Half of line 20 says something else: a sliver of the screen (0.5% of
     * the cells: the similarity alone passes it at 0.99), but a region as
     * wide as the changed text. */
    fill(&live, 616, 8 + 20 * 17, 600, 13, 255);
    text_line(&live, 8 + 20 * 17, 616, 600, 4242u);
    ASSERT_EQ(xtars_replay_compare(&recorded, &live, &cmp, err), XTARS_OK);
    ASSERT(cmp.similarity > 0.99);
    ASSERT(cmp.largest.width > 500);
    ASSERT(cmp.largest.height <= 24);
    ASSERT_EQ(xtars_replay_diverged(&cmp, XTARS_REPLAY_DEFAULT_THRESHOLD), 1);
    xtars_image_cleanup(&recorded);
    xtars_image_cleanup(&live);
}

TEST(largest_region_is_the_biggest_touching_group)
{
    struct xtars_image a = solid(160, 80, 0, 0, 0), b = solid(160, 80, 0, 0, 0);
    struct xtars_replay_compare cmp;
    char err[XTARS_ERRLEN];

    fill(&b, 8, 8, 8, 8, 255);    /* one cell */
    fill(&b, 40, 40, 72, 8, 255); /* nine cells in a row: 72 px > 64 */
    fill(&b, 136, 8, 8, 8, 255);  /* two cells from anything: its own region */
    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.largest.x, 40);
    ASSERT_EQ(cmp.largest.y, 40);
    ASSERT_EQ(cmp.largest.width, 72);
    ASSERT_EQ(cmp.largest.height, 8);
    ASSERT_EQ(cmp.changed.width, 144 - 8);
    ASSERT_EQ(xtars_replay_diverged(&cmp, 0.5), 1);
    fill(&b, 104, 40, 8, 8, 0);   /* now eight cells: 64 px, tolerated */
    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.largest.width, 64);
    ASSERT_EQ(xtars_replay_diverged(&cmp, 0.5), 0);
    fill(&b, 48, 56, 8, 8, 255);  /* one cell below the row, across a one-cell gap: joins it */
    ASSERT_EQ(xtars_replay_compare(&a, &b, &cmp, err), XTARS_OK);
    ASSERT_EQ(cmp.largest.height, 24);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
}

/* A run recorded with wait_ms=1500 replays its wait() as 1500 ms, not the
 * live default of 5000; what the user set (here click_delay_ms on the
 * command line) wins over the recording. */
TEST(the_recordings_timing_unless_told_otherwise)
{
    struct xtars_traj_run run;
    struct xtars_config cfg;
    char applied[XTARS_ERRLEN], err[XTARS_ERRLEN];
    long value;

    memset(&run, 0, sizeof run);
    snprintf(run.dir, sizeof run.dir, "rec");
    run.config = "{\"model\": \"m\", \"wait_ms\": 1500, \"click_delay_ms\": 0, \"key_delay_ms\": 0, "
                 "\"scroll_amount\": 5}";
    xtars_config_defaults(&cfg);
    ASSERT_EQ(xtars_config_set_from(&cfg, "click_delay_ms", "70", XTARS_SOURCE_FLAG, err), XTARS_OK);
    ASSERT_EQ(xtars_replay_use_recorded_timing(&cfg, &run, applied, err), XTARS_OK);
    ASSERT_STR_EQ(applied, "wait_ms=1500"); /* key_delay_ms and scroll_amount: already the same */
    ASSERT_EQ(xtars_config_get_int(&cfg, "wait_ms", &value, err), XTARS_OK);
    ASSERT_EQ(value, 1500);
    ASSERT_EQ(xtars_config_get_int(&cfg, "click_delay_ms", &value, err), XTARS_OK);
    ASSERT_EQ(value, 70);
    run.config = NULL; /* an imported run records no config: nothing changes */
    ASSERT_EQ(xtars_replay_use_recorded_timing(&cfg, &run, applied, err), XTARS_OK);
    ASSERT_STR_EQ(applied, "");
    run.config = "{\"wait_ms\": -4}";
    xtars_config_defaults(&cfg);
    ASSERT_EQ(xtars_replay_use_recorded_timing(&cfg, &run, applied, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "rec/run.json: recorded config: ");
}
