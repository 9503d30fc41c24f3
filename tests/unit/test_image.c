/* Image lifetime and frame comparison: allocation limits and reuse, the
 * fingerprint seeing one changed pixel but not the ignored X byte, and diff
 * counting changed pixels. */
#include "test.h"
#include "xtars/image.h"

static struct xtars_image grey(int w, int h, unsigned char v)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, w, h, err), XTARS_OK);
    memset(img.pixels, v, img.capacity);
    return img;
}

TEST(alloc_limits_and_reuse)
{
    struct xtars_image img;
    unsigned char *first;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, 0, 10, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "image: bad size 0x10");
    ASSERT_EQ(xtars_image_alloc(&img, 40000, 10, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_image_alloc(&img, 32767, 32767, err), XTARS_ETOOBIG);
    ASSERT(img.pixels == NULL);
    ASSERT_EQ(xtars_image_alloc(&img, 100, 50, err), XTARS_OK);
    ASSERT_EQ(img.stride, 400);
    ASSERT_EQ(img.capacity, 100 * 50 * 4);
    first = img.pixels;
    ASSERT_EQ(xtars_image_alloc(&img, 50, 50, err), XTARS_OK);
    ASSERT(img.pixels == first);
    ASSERT_EQ(img.width, 50);
    ASSERT_EQ(img.stride, 200);
    xtars_image_cleanup(&img);
    ASSERT(img.pixels == NULL);
    xtars_image_cleanup(&img);
    xtars_image_cleanup(NULL);
}

TEST(cleanup_leaves_borrowed_pixels_alone)
{
    unsigned char pixels[16] = {0};
    struct xtars_image img = {pixels, 2, 2, 8, 0};

    xtars_image_cleanup(&img); /* would be a bad free if it freed borrowed memory */
    ASSERT(img.pixels == NULL);
    ASSERT_EQ(pixels[0], 0);
}

TEST(fingerprint_sees_changes_but_not_the_x_byte)
{
    struct xtars_image a = grey(64, 48, 100), b = grey(64, 48, 100), c = grey(48, 64, 100);
    uint64_t fa = xtars_image_fingerprint(&a);

    ASSERT(fa != 0);
    ASSERT(fa == xtars_image_fingerprint(&b));
    ASSERT(fa != xtars_image_fingerprint(&c)); /* same bytes, other shape */
    b.pixels[3] = 7; /* X byte of pixel (0,0) */
    ASSERT(fa == xtars_image_fingerprint(&b));
    b.pixels[4 * 63 + 2] = 101; /* R of the last pixel of row 0 */
    ASSERT(fa != xtars_image_fingerprint(&b));
    ASSERT_EQ(xtars_image_fingerprint(NULL), 0);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
    xtars_image_cleanup(&c);
}

TEST(diff_counts_changed_pixels)
{
    struct xtars_image a = grey(10, 10, 50), b = grey(10, 10, 50), c = grey(10, 9, 50);

    ASSERT_NEAR(xtars_image_diff(&a, &b), 0.0, 0);
    b.pixels[3] = 9; /* X only */
    ASSERT_NEAR(xtars_image_diff(&a, &b), 0.0, 0);
    b.pixels[0] = 51;                 /* pixel (0,0): B */
    b.pixels[5 * b.stride + 4 * 7 + 1] = 0; /* pixel (7,5): G */
    b.pixels[5 * b.stride + 4 * 7 + 2] = 0; /* same pixel, R: still one pixel */
    ASSERT_NEAR(xtars_image_diff(&a, &b), 2.0 / 100, 1e-12);
    ASSERT_NEAR(xtars_image_diff(&a, &c), 1.0, 0);
    ASSERT_NEAR(xtars_image_diff(&a, NULL), 1.0, 0);
    xtars_image_cleanup(&a);
    xtars_image_cleanup(&b);
    xtars_image_cleanup(&c);
}
