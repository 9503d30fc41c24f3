/* The resizer: output sizes for the smart_resize reference table, area
 * averaging and bilinear values worked out by hand on tiny images, uniform
 * images staying uniform, and the AVX2 kernels, the portable kernels and any
 * thread count giving byte-identical results. */
#include "test.h"
#include "capture/codec.h"
#include "xtars/coords.h"
#include "xtars/image.h"

/* An image whose B, G and R channels of pixel i are b[i], b[i]/2 and
 * 255 - b[i] (so the channels are checked independently). */
static struct xtars_image make(int w, int h, const int *b)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, w, h, err), XTARS_OK);
    for (int i = 0; i < w * h; i++) {
        unsigned char *p = img.pixels + (size_t)(i / w) * img.stride + 4 * (size_t)(i % w);
        p[0] = (unsigned char)b[i];
        p[1] = (unsigned char)(b[i] / 2);
        p[2] = (unsigned char)(255 - b[i]);
        p[3] = 0;
    }
    return img;
}

static void resize(const struct xtars_image *src, int w, int h, struct xtars_image *dst)
{
    char err[XTARS_ERRLEN];

    if (xtars_image_resize(src, w, h, dst, err) != XTARS_OK)
        FAIL("resize to %dx%d: %s", w, h, err);
    ASSERT_EQ(dst->width, w);
    ASSERT_EQ(dst->height, h);
}

/* The B channel of dst equals want[] (row-major); G and R follow the same
 * weights, so they are checked against their own hand values: G is the
 * resample of b/2 and R of 255-b, given in want_g / want_r. */
static void expect_b(const struct xtars_image *dst, const int *want)
{
    for (int i = 0; i < dst->width * dst->height; i++) {
        const unsigned char *p =
            dst->pixels + (size_t)(i / dst->width) * dst->stride + 4 * (size_t)(i % dst->width);
        if (p[0] != want[i])
            FAIL("output pixel %d: B is %d, expected %d", i, p[0], want[i]);
    }
}

static void expect_r(const struct xtars_image *dst, const int *want)
{
    for (int i = 0; i < dst->width * dst->height; i++) {
        const unsigned char *p =
            dst->pixels + (size_t)(i / dst->width) * dst->stride + 4 * (size_t)(i % dst->width);
        if (p[2] != want[i])
            FAIL("output pixel %d: R is %d, expected %d", i, p[2], want[i]);
    }
}

/* Runs a hand-computed case with the AVX2 and the portable kernels. */
#define BOTH_KERNELS(body)                                                                   \
    for (int simd_ = 1; simd_ >= 0; simd_--) {                                               \
        xtars_image_resize_set_simd(simd_);                                                  \
        body;                                                                                \
    }

TEST(reference_table_sizes_and_uniform_colour)
{
    static const int table[][4] = {
        {1920, 1080, 1932, 1092}, {2560, 1440, 2548, 1428}, {3840, 2160, 3836, 2156},
        {1366, 768, 1372, 756},   {1280, 800, 1288, 812},   {1024, 768, 1036, 756},
        {800, 600, 812, 588},     {5120, 2880, 4760, 2688}, {224, 224, 280, 280},
    };
    char err[XTARS_ERRLEN];

    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct xtars_image src, dst;
        int w, h;

        xtars_image_init(&src);
        xtars_image_init(&dst);
        ASSERT_EQ(xtars_image_alloc(&src, table[i][0], table[i][1], err), XTARS_OK);
        for (size_t k = 0; k < src.capacity; k += 4) {
            src.pixels[k] = 17;
            src.pixels[k + 1] = 200;
            src.pixels[k + 2] = 93;
            src.pixels[k + 3] = 0;
        }
        ASSERT_EQ(xtars_smart_resize(table[i][0], table[i][1], XTARS_DEFAULT_MIN_PIXELS,
                                     XTARS_DEFAULT_MAX_PIXELS, &w, &h),
                  XTARS_OK);
        resize(&src, w, h, &dst);
        ASSERT_EQ(dst.width, table[i][2]);
        ASSERT_EQ(dst.height, table[i][3]);
        ASSERT_EQ(dst.stride, table[i][2] * 4);
        for (size_t k = 0; k < (size_t)dst.width * dst.height * 4; k += 4)
            if (dst.pixels[k] != 17 || dst.pixels[k + 1] != 200 || dst.pixels[k + 2] != 93)
                FAIL("%dx%d: pixel %zu is %d,%d,%d", w, h, k / 4, dst.pixels[k],
                     dst.pixels[k + 1], dst.pixels[k + 2]);
        xtars_image_cleanup(&src);
        xtars_image_cleanup(&dst);
    }
}

/* 4x2 -> 2x1: each output is the mean of a 2x2 block.
 * Blocks: (10,30,50,70) -> 40 and (100,200,0,40) -> 85. */
TEST(area_average_of_2x2_blocks)
{
    const int b[] = {10, 30, 100, 200, 50, 70, 0, 40};
    const int want_b[] = {40, 85}, want_r[] = {215, 170};
    struct xtars_image src = make(4, 2, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&src, 2, 1, &dst);
        expect_b(&dst, want_b);
        expect_r(&dst, want_r);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&src);
}

/* 3 -> 2: output 0 covers pixel 0 and half of pixel 1: (2*p0 + p1) / 3;
 * output 1 is (p1 + 2*p2) / 3. p = 0, 90, 255 -> 30, 200. Horizontally
 * and vertically (two different code paths). */
TEST(area_average_with_fractional_coverage)
{
    const int b[] = {0, 90, 255};
    const int want_b[] = {30, 200}, want_r[] = {225, 55};
    struct xtars_image row = make(3, 1, b), column = make(1, 3, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&row, 2, 1, &dst);
        expect_b(&dst, want_b);
        expect_r(&dst, want_r);
        resize(&column, 1, 2, &dst);
        expect_b(&dst, want_b);
        expect_r(&dst, want_r);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&row);
    xtars_image_cleanup(&column);
}

/* 5 -> 2: 2.5 source pixels per output, the middle one shared:
 * (100 + 100 + 50/2) / 2.5 = 90 and (50/2 + 200 + 200) / 2.5 = 170. */
TEST(area_average_two_and_a_half_to_one)
{
    const int b[] = {100, 100, 50, 200, 200};
    const int want_b[] = {90, 170};
    struct xtars_image src = make(5, 1, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&src, 2, 1, &dst);
        expect_b(&dst, want_b);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&src);
}

/* 2 -> 4 bilinear: output centres sit at source positions -0.25 (clamped
 * to p0), 0.25, 0.75, 1.25 (clamped to p1): 0, 50, 150, 200. */
TEST(bilinear_growth_with_clamped_edges)
{
    const int b[] = {0, 200};
    const int want_b[] = {0, 50, 150, 200}, want_r[] = {255, 205, 105, 55};
    struct xtars_image row = make(2, 1, b), column = make(1, 2, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&row, 4, 1, &dst);
        expect_b(&dst, want_b);
        expect_r(&dst, want_r);
        resize(&column, 1, 4, &dst);
        expect_b(&dst, want_b);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&row);
    xtars_image_cleanup(&column);
}

/* 3 -> 5: centres at -0.2, 0.4, 1.0, 1.6, 2.2: p = 0, 100, 250 gives
 * 0, 0.6*0+0.4*100 = 40, 100, 0.4*100+0.6*250 = 190, 250. */
TEST(bilinear_growth_by_five_thirds)
{
    const int b[] = {0, 100, 250};
    const int want_b[] = {0, 40, 100, 190, 250};
    struct xtars_image src = make(3, 1, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&src, 5, 1, &dst);
        expect_b(&dst, want_b);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&src);
}

/* 4x1 -> 2x2: shrink across (pairs averaged), grow down (both rows clamp to
 * the single source row): 20, 150 on both rows. */
TEST(shrink_one_axis_grow_the_other)
{
    const int b[] = {10, 30, 100, 200};
    const int want_b[] = {20, 150, 20, 150};
    struct xtars_image src = make(4, 1, b), dst;

    BOTH_KERNELS({
        xtars_image_init(&dst);
        resize(&src, 2, 2, &dst);
        expect_b(&dst, want_b);
        xtars_image_cleanup(&dst);
    });
    xtars_image_cleanup(&src);
}

static void fill_noise(struct xtars_image *img, unsigned seed)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width * 4; x++) {
            seed = seed * 1103515245u + 12345u;
            img->pixels[(size_t)y * img->stride + x] = (unsigned char)(seed >> 23);
        }
}

/* Bytes that matter (B, G, R) of a and b are equal. */
static void expect_same(const struct xtars_image *a, const struct xtars_image *b, const char *what)
{
    ASSERT_EQ(a->width, b->width);
    ASSERT_EQ(a->height, b->height);
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width * 4; x++)
            if (x % 4 != 3 && a->pixels[(size_t)y * a->stride + x] != b->pixels[(size_t)y * b->stride + x])
                FAIL("%s: differ at row %d byte %d", what, y, x);
}

TEST(kernels_and_thread_counts_agree_exactly)
{
    static const int sizes[][2] = {{1011, 707}, {1932, 1092}, {640, 480}, {123, 77},
                                   {1010, 700}, {3, 2000},   {999, 1},   {1200, 900}};
    struct xtars_image src, simd, portable, threaded;
    char err[XTARS_ERRLEN], what[64];

    xtars_image_init(&src);
    ASSERT_EQ(xtars_image_alloc(&src, 1010, 700, err), XTARS_OK);
    fill_noise(&src, 7);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        xtars_image_init(&simd);
        xtars_image_init(&portable);
        xtars_image_init(&threaded);
        xtars_image_set_threads(1);
        xtars_image_resize_set_simd(1);
        resize(&src, sizes[i][0], sizes[i][1], &simd);
        xtars_image_resize_set_simd(0);
        resize(&src, sizes[i][0], sizes[i][1], &portable);
        xtars_image_resize_set_simd(1);
        xtars_image_set_threads(4);
        resize(&src, sizes[i][0], sizes[i][1], &threaded);
        snprintf(what, sizeof what, "%dx%d, AVX2 vs portable", sizes[i][0], sizes[i][1]);
        expect_same(&simd, &portable, what);
        snprintf(what, sizeof what, "%dx%d, 1 vs 4 threads", sizes[i][0], sizes[i][1]);
        expect_same(&simd, &threaded, what);
        xtars_image_cleanup(&simd);
        xtars_image_cleanup(&portable);
        xtars_image_cleanup(&threaded);
    }
    xtars_image_cleanup(&src);
}

TEST(source_with_padded_stride_and_reused_destination)
{
    const int b[] = {10, 30, 100, 200, 50, 70, 0, 40};
    const int want_b[] = {40, 85};
    struct xtars_image tight = make(4, 2, b), padded, dst;
    unsigned char *first;
    char err[XTARS_ERRLEN];

    /* The same pixels with 12 spare bytes at the end of each row. */
    padded = tight;
    padded.stride = 4 * 4 + 12;
    padded.pixels = calloc(2, (size_t)padded.stride);
    padded.capacity = 2 * (size_t)padded.stride;
    for (int y = 0; y < 2; y++)
        memcpy(padded.pixels + (size_t)y * padded.stride, tight.pixels + (size_t)y * tight.stride, 16);
    xtars_image_init(&dst);
    resize(&padded, 2, 1, &dst);
    expect_b(&dst, want_b);
    first = dst.pixels;
    resize(&padded, 1, 1, &dst); /* smaller: the allocation is reused */
    ASSERT(dst.pixels == first);
    /* The mean of all eight is 62.5; results round half up. */
    ASSERT_EQ(dst.pixels[0], 63);
    ASSERT_EQ(xtars_image_resize(&padded, 0, 1, &dst, err), XTARS_EINVAL);
    ASSERT_STR_CONTAINS(err, "bad size 0x1");
    xtars_image_cleanup(&dst);
    xtars_image_cleanup(&tight);
    xtars_image_cleanup(&padded);
}
