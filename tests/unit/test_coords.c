/* smart_resize against the reference table in UITARS-FORMAT.md section 3
 * (values checked with the Python reference's formula by hand). */
#include "test.h"
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
