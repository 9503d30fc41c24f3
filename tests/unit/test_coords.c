/* smart_resize against the reference table in UITARS-FORMAT.md section 3
 * (values checked with the Python reference's formula by hand). */
#include "test.h"
#include "xtars/config.h"
#include "xtars/coords.h"

static void expect(int w, int h, long min_px, long max_px, int ew, int eh)
{
    int ow, oh;

    ASSERT_EQ(xtars_smart_resize(w, h, min_px, max_px, &ow, &oh), XTARS_OK);
    if (ow != ew || oh != eh)
        FAIL("smart_resize(%dx%d) = %dx%d, expected %dx%d", w, h, ow, oh, ew, eh);
}

#define DEF XTARS_DEFAULT_MIN_PIXELS, XTARS_DEFAULT_MAX_PIXELS

TEST(smart_resize_reference_table)
{
    expect(1920, 1080, DEF, 1932, 1092);
    expect(2560, 1440, DEF, 2548, 1428);
    expect(3840, 2160, DEF, 3836, 2156);
    expect(1366, 768, DEF, 1372, 756);
    expect(1280, 800, DEF, 1288, 812);
    expect(1024, 768, DEF, 1036, 756);
    expect(800, 600, DEF, 812, 588);
}

TEST(smart_resize_max_pixels_path)
{
    expect(5120, 2880, DEF, 4760, 2688);
    expect(1920, 1080, XTARS_DEFAULT_MIN_PIXELS, 1350L * 28 * 28, 1344, 756);
}

TEST(smart_resize_min_pixels_path)
{
    expect(224, 224, DEF, 280, 280);
}

/* 1022/28 = 36.5 exactly: half-to-even gives 36 (1008); Math.round gives 37. */
TEST(smart_resize_ties_round_to_even)
{
    expect(1522, 1022, DEF, 1512, 1008);
    expect(406, 434, DEF, 392, 448); /* 14.5 -> 14 and 15.5 -> 16 */
}

TEST(smart_resize_rejects_bad_input)
{
    int w, h;

    ASSERT_EQ(xtars_smart_resize(0, 100, DEF, &w, &h), XTARS_EINVAL);
    ASSERT_EQ(w, 0);
    ASSERT_EQ(xtars_smart_resize(100, -1, DEF, &w, &h), XTARS_EINVAL);
    ASSERT_EQ(xtars_smart_resize(100, 100, 1000, 999, &w, &h), XTARS_EINVAL);
    ASSERT_EQ(xtars_smart_resize(20100, 100, DEF, &w, &h), XTARS_ERANGE);
    ASSERT_EQ(xtars_smart_resize(20000, 100, DEF, &w, &h), XTARS_OK);
}

/* ---- model space <-> screen ------------------------------------------- */

static struct xtars_coord_space space_of(int family, int sent_w, int sent_h, int x, int y, int w,
                                         int h)
{
    struct xtars_coord_space s;

    s.family = family;
    s.sent_width = sent_w;
    s.sent_height = sent_h;
    s.target.x = x;
    s.target.y = y;
    s.target.width = w;
    s.target.height = h;
    return s;
}

static void expect_screen(const struct xtars_coord_space *s, double mx, double my, int ex, int ey)
{
    int x, y;

    ASSERT_EQ(xtars_coords_to_screen(s, mx, my, &x, &y), XTARS_OK);
    if (x != ex || y != ey)
        FAIL("to_screen(%g, %g) = (%d, %d), expected (%d, %d)", mx, my, x, y, ex, ey);
}

/* uitars-1.5: absolute in the sent image. 197*1920/1932 = 195.78, 525*1080/1092 = 519.23. */
TEST(to_screen_uitars15_truncates)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS15, 1932, 1092, 0, 0, 1920, 1080);

    expect_screen(&s, 197, 525, 195, 519);
    expect_screen(&s, 966, 546, 960, 540);   /* exactly half */
    expect_screen(&s, 0, 0, 0, 0);
    expect_screen(&s, 1.99, 1.99, 1, 1);     /* 1.978, 1.968 */
    expect_screen(&s, 197.9, 525.9, 196, 520); /* 196.67, 520.12 */
}

/* uitars-1.0 and doubao: relative 0..1000. 145*1600/1000 is 232 exactly; computing
 * 145/1000*1600 in doubles gives 231.99999999999997, which would truncate to 231. */
TEST(to_screen_relative_families_multiply_first)
{
    struct xtars_coord_space a = space_of(XTARS_FAMILY_UITARS10, 0, 0, 0, 0, 1600, 1200);
    struct xtars_coord_space b = space_of(XTARS_FAMILY_DOUBAO, 0, 0, 0, 0, 1920, 1080);

    expect_screen(&a, 145, 205, 232, 246);
    expect_screen(&b, 500, 500, 960, 540);
    expect_screen(&b, 999, 999, 1918, 1078);
}

/* pixels: absolute root-window pixels, clamped into the target. */
TEST(to_screen_pixels_are_absolute)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_PIXELS, 0, 0, 1920, 0, 1920, 1080);

    expect_screen(&s, 2000, 100, 2000, 100);
    expect_screen(&s, 2000.9, 100.2, 2000, 100);
    expect_screen(&s, 100, 100, 1920, 100);     /* left of the monitor */
    expect_screen(&s, 5000, 5000, 3839, 1079);  /* past its far corner */
}

TEST(to_screen_clamps_into_the_target)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS10, 0, 0, 100, 50, 800, 600);

    expect_screen(&s, 1000, 1000, 899, 649);
    expect_screen(&s, 5000, 5000, 899, 649);
    expect_screen(&s, -20, -1, 100, 50);
    expect_screen(&s, 1e308, 1e308, 899, 649);
    expect_screen(&s, 0, 0, 100, 50);
}

/* A monitor at (1920, 0) under uitars-1.5: the offset is added after scaling. */
TEST(to_screen_monitor_offset)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS15, 1932, 1092, 1920, 0, 1920, 1080);
    struct xtars_coord_space d = space_of(XTARS_FAMILY_DOUBAO, 0, 0, 0, 1080, 1280, 1024);

    expect_screen(&s, 197, 525, 2115, 519);
    expect_screen(&d, 500, 500, 640, 1592);
}

TEST(to_screen_rejects_bad_spaces_and_numbers)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS15, 0, 0, 0, 0, 1920, 1080);
    int x = 7, y = 7;

    ASSERT_EQ(xtars_coords_to_screen(&s, 1, 1, &x, &y), XTARS_EINVAL); /* 1.5 without sent size */
    ASSERT_EQ(x, 0);
    ASSERT_EQ(y, 0);
    s = space_of(XTARS_FAMILY_UITARS10, 0, 0, 0, 0, 0, 1080);
    ASSERT_EQ(xtars_coords_to_screen(&s, 1, 1, &x, &y), XTARS_EINVAL); /* empty target */
    s = space_of(7, 100, 100, 0, 0, 100, 100);
    ASSERT_EQ(xtars_coords_to_screen(&s, 1, 1, &x, &y), XTARS_EINVAL); /* unknown family */
    s = space_of(XTARS_FAMILY_UITARS10, 0, 0, 0, 0, 100, 100);
    ASSERT_EQ(xtars_coords_to_screen(&s, NAN, 1, &x, &y), XTARS_EINVAL);
    ASSERT_EQ(xtars_coords_to_screen(&s, 1, INFINITY, &x, &y), XTARS_EINVAL);
    s = space_of(XTARS_FAMILY_UITARS10, 0, 0, 2147483000, 0, 1000, 100);
    ASSERT_EQ(xtars_coords_to_screen(&s, 1, 1, &x, &y), XTARS_EINVAL); /* x + width overflows */
}

TEST(extent_per_family)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS15, 1932, 1092, 10, 20, 1920, 1080);
    double ex, ey;

    ASSERT_EQ(xtars_coords_extent(&s, &ex, &ey), XTARS_OK);
    ASSERT_NEAR(ex, 1932, 0);
    ASSERT_NEAR(ey, 1092, 0);
    s.family = XTARS_FAMILY_DOUBAO;
    ASSERT_EQ(xtars_coords_extent(&s, &ex, &ey), XTARS_OK);
    ASSERT_NEAR(ex, 1000, 0);
    ASSERT_NEAR(ey, 1000, 0);
    s.family = XTARS_FAMILY_PIXELS;
    ASSERT_EQ(xtars_coords_extent(&s, &ex, &ey), XTARS_OK);
    ASSERT_NEAR(ex, 1930, 0);
    ASSERT_NEAR(ey, 1100, 0);
}

/* to_model gives the centre of the pixel: pixel 0 of a 1920-wide screen under
 * uitars-1.0 is 0.5 * 1000 / 1920 = 0.2604...; under 1.5 with sent 1932,
 * pixel 195 is 195.5 * 1932 / 1920 = 196.72. */
TEST(to_model_is_the_pixel_centre)
{
    struct xtars_coord_space r = space_of(XTARS_FAMILY_UITARS10, 0, 0, 0, 0, 1920, 1080);
    struct xtars_coord_space a = space_of(XTARS_FAMILY_UITARS15, 1932, 1092, 0, 0, 1920, 1080);
    struct xtars_coord_space p = space_of(XTARS_FAMILY_PIXELS, 0, 0, 1920, 0, 1920, 1080);
    double mx, my;

    ASSERT_EQ(xtars_coords_to_model(&r, 0, 1079, &mx, &my), XTARS_OK);
    ASSERT_NEAR(mx, 0.5 * 1000 / 1920, 1e-12);
    ASSERT_NEAR(my, 1079.5 * 1000 / 1080, 1e-12);
    ASSERT_EQ(xtars_coords_to_model(&a, 195, 519, &mx, &my), XTARS_OK);
    ASSERT_NEAR(mx, 195.5 * 1932 / 1920, 1e-12);
    ASSERT_NEAR(my, 519.5 * 1092 / 1080, 1e-12);
    ASSERT_EQ(xtars_coords_to_model(&p, 2000, 10, &mx, &my), XTARS_OK);
    ASSERT_NEAR(mx, 2000, 0);
    ASSERT_NEAR(my, 10, 0);
}

TEST(to_model_outside_the_target_is_erange)
{
    struct xtars_coord_space s = space_of(XTARS_FAMILY_UITARS10, 0, 0, 1920, 0, 1920, 1080);
    double mx = 1, my = 1;

    ASSERT_EQ(xtars_coords_to_model(&s, 1919, 10, &mx, &my), XTARS_ERANGE);
    ASSERT_NEAR(mx, 0, 0);
    ASSERT_EQ(xtars_coords_to_model(&s, 3840, 10, &mx, &my), XTARS_ERANGE);
    ASSERT_EQ(xtars_coords_to_model(&s, 2000, 1080, &mx, &my), XTARS_ERANGE);
    ASSERT_EQ(xtars_coords_to_model(&s, 2000, -1, &mx, &my), XTARS_ERANGE);
    ASSERT_EQ(xtars_coords_to_model(&s, 3839, 1079, &mx, &my), XTARS_OK);
}

/* Every pixel of several targets survives screen -> model -> screen. */
TEST(to_model_then_to_screen_round_trips_every_pixel)
{
    const struct xtars_coord_space spaces[] = {
        space_of(XTARS_FAMILY_UITARS15, 1932, 1092, 0, 0, 1920, 1080),
        space_of(XTARS_FAMILY_UITARS15, 1512, 1008, 0, 0, 1522, 1022),
        space_of(XTARS_FAMILY_UITARS15, 4760, 2688, 0, 0, 5120, 2880),
        space_of(XTARS_FAMILY_UITARS10, 0, 0, 1920, 0, 1366, 768),
        space_of(XTARS_FAMILY_DOUBAO, 0, 0, 0, 1080, 3840, 2160),
        space_of(XTARS_FAMILY_PIXELS, 0, 0, 100, 50, 800, 600),
    };

    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++) {
        const struct xtars_coord_space *s = &spaces[i];
        int n = s->target.width > s->target.height ? s->target.width : s->target.height;
        for (int k = 0; k < n; k++) {
            int px = s->target.x + k % s->target.width, py = s->target.y + k % s->target.height;
            double mx, my;
            int x, y;
            ASSERT_EQ(xtars_coords_to_model(s, px, py, &mx, &my), XTARS_OK);
            ASSERT_EQ(xtars_coords_to_screen(s, mx, my, &x, &y), XTARS_OK);
            if (x != px || y != py)
                FAIL("space %zu: (%d,%d) -> (%g,%g) -> (%d,%d)", i, px, py, mx, my, x, y);
        }
    }
}
