/* Line drawing in report images: every slope ends at its end point, with
 * max(|dx|, |dy|) + 1 pixels (Bresenham), inside the segment's bounding box.
 * A line that overshoots its end never stops: that was the failure (a run
 * with a drag hung writing its report). */
#include "test.h"
#include "agent/record/draw.h"

static int red(const struct xtars_image *img, int x, int y)
{
    const unsigned char *p = img->pixels + (size_t)y * img->stride + (size_t)x * 4;
    return p[2] == 255 && p[1] == 0 && p[0] == 0;
}

TEST(lines_of_every_slope_end_where_they_should)
{
    static const struct xtars_color colour = {255, 0, 0};
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, 64, 64, err), XTARS_OK);
    for (int x1 = 0; x1 < 64; x1 += 3) {
        for (int y1 = 0; y1 < 64; y1 += 5) {
            int x0 = 31, y0 = 20, count = 0, dx = abs(x1 - x0), dy = abs(y1 - y0);
            memset(img.pixels, 0, img.capacity);
            xtars_draw_line(&img, x0, y0, x1, y1, 1, colour);
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++) {
                    if (!red(&img, x, y))
                        continue;
                    count++;
                    ASSERT(x >= (x0 < x1 ? x0 : x1) && x <= (x0 > x1 ? x0 : x1));
                    ASSERT(y >= (y0 < y1 ? y0 : y1) && y <= (y0 > y1 ? y0 : y1));
                }
            ASSERT(red(&img, x0, y0));
            ASSERT(red(&img, x1, y1));
            ASSERT_EQ(count, (dx > dy ? dx : dy) + 1);
        }
    }
    /* The drag that hung a report: (10,10) -> (50,30), as an arrow. */
    xtars_draw_arrow(&img, 10, 10, 50, 30, 3, colour);
    ASSERT(red(&img, 50, 30));
    xtars_image_cleanup(&img);
}
