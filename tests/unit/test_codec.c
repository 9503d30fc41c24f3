/* PNG and JPEG: every PNG xtars encodes (fast path at each level, libpng at
 * each level, one band or several) decodes with libpng to exactly the input
 * pixels; JPEG round trips through libjpeg-turbo come back close; limits,
 * caps and corrupt input give errors, never crashes. No X server. */
#include <png.h>
#include <zlib.h>

#include "test.h"
#include "capture/codec.h"
#include "xtars/image.h"

/* Text-like edges, gradients and noise, so every filter and match path is
 * exercised. The width is odd so vector loops have tails. */
static struct xtars_image sample(int w, int h)
{
    struct xtars_image img;
    char err[XTARS_ERRLEN];
    unsigned seed = 99;

    xtars_image_init(&img);
    ASSERT_EQ(xtars_image_alloc(&img, w, h, err), XTARS_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = img.pixels + (size_t)y * img.stride + 4 * (size_t)x;
            seed = seed * 1103515245u + 12345u;
            if (y < h / 3) {         /* flat bands with sharp "text" strokes */
                int ink = (x % 9 < 2) && (y % 11 < 7);
                p[0] = ink ? 20 : 250, p[1] = ink ? 20 : 248, p[2] = ink ? 30 : 245;
            } else if (y < 2 * h / 3) { /* gradients */
                p[0] = (unsigned char)x, p[1] = (unsigned char)(y * 3), p[2] = (unsigned char)(x + y);
            } else {                  /* noise */
                p[0] = (unsigned char)(seed >> 24), p[1] = (unsigned char)(seed >> 16),
                p[2] = (unsigned char)(seed >> 8);
            }
            p[3] = (unsigned char)(seed >> 3); /* X is garbage and must not matter */
        }
    return img;
}

static void expect_same_rgb(const struct xtars_image *a, const struct xtars_image *b)
{
    ASSERT_EQ(a->width, b->width);
    ASSERT_EQ(a->height, b->height);
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            const unsigned char *p = a->pixels + (size_t)y * a->stride + 4 * (size_t)x;
            const unsigned char *q = b->pixels + (size_t)y * b->stride + 4 * (size_t)x;
            if (p[0] != q[0] || p[1] != q[1] || p[2] != q[2])
                FAIL("pixel (%d,%d): %d,%d,%d vs %d,%d,%d", x, y, p[0], p[1], p[2], q[0], q[1],
                     q[2]);
        }
}

/* Decodes with libpng's own simplified API (not through xtars), so the
 * check does not depend on our decoder. */
static void expect_png_decodes_to(const struct xtars_buf *png, const struct xtars_image *want)
{
    png_image image;
    struct xtars_image got;
    char err[XTARS_ERRLEN];

    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, png->data, png->len))
        FAIL("libpng rejects the PNG: %s", image.message);
    ASSERT_EQ(image.width, want->width);
    ASSERT_EQ(image.height, want->height);
    ASSERT_EQ(image.format, PNG_FORMAT_RGB); /* 8-bit RGB, no alpha */
    xtars_image_init(&got);
    ASSERT_EQ(xtars_image_alloc(&got, want->width, want->height, err), XTARS_OK);
    image.format = PNG_FORMAT_BGRA;
    if (!png_image_finish_read(&image, NULL, got.pixels, got.stride, NULL))
        FAIL("libpng cannot decode the PNG: %s", image.message);
    expect_same_rgb(&got, want);
    xtars_image_cleanup(&got);
}

TEST(png_every_level_round_trips_exactly)
{
    struct xtars_image img = sample(333, 211);
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&out, 16 << 20);
    for (int level = 0; level <= 9; level++) {
        xtars_buf_reset(&out);
        if (xtars_image_encode_png(&img, level, &out, err) != XTARS_OK)
            FAIL("level %d: %s", level, err);
        expect_png_decodes_to(&out, &img);
        xtars_buf_reset(&out);
        if (xtars_image_encode_png_libpng(&img, level, &out, err) != XTARS_OK)
            FAIL("libpng level %d: %s", level, err);
        expect_png_decodes_to(&out, &img);
    }
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&img);
}

TEST(png_fast_path_is_isal_and_compresses)
{
    struct xtars_image img = sample(333, 211);
    struct xtars_buf out;
    char err[XTARS_ERRLEN];
    size_t raw = 211 * (1 + 3 * 333);

    if (strcmp(xtars_image_isal_version(), "none") == 0)
        SKIP("built without ISA-L");
    xtars_buf_init(&out, 16 << 20);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &out, err), XTARS_OK);
    /* The fast path writes one IDAT straight after IHDR, holding a zlib
     * stream marked "fastest" (78 01). */
    ASSERT_EQ(memcmp(out.data + 8 + 25 + 4, "IDAT", 4), 0);
    ASSERT_EQ((unsigned char)out.data[8 + 25 + 8], 0x78);
    ASSERT_EQ((unsigned char)out.data[8 + 25 + 9], 0x01);
    ASSERT_LT(out.len, raw * 3 / 4); /* a third of the image is noise */
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&img);
}

/* Stripes of photo-like rows (a gradient with noise: the encoder writes
 * them as literal-only blocks) between stripes of flat colour and text
 * (igzip), of heights that put the switches inside chunks, at band edges
 * and at the very end; on one thread and four, vector filters and portable
 * ones: every PNG decodes to the input, and both kinds of block occur. */
TEST(png_photo_and_text_rows_mix_in_one_stream)
{
    static const int stripes[] = {37, 80, 150, 9, 200, 61, 120, 33, 210};
    struct xtars_image img;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];
    unsigned seed = 7;
    int y = 0, photo = 1, width = 1001, height = 0;

    if (strcmp(xtars_image_isal_version(), "none") == 0)
        SKIP("built without ISA-L");
    for (size_t i = 0; i < sizeof stripes / sizeof stripes[0]; i++)
        height += stripes[i];
    xtars_image_init(&img);
    xtars_buf_init(&out, 64 << 20);
    ASSERT_EQ(xtars_image_alloc(&img, width, height, err), XTARS_OK);
    for (size_t i = 0; i < sizeof stripes / sizeof stripes[0]; i++, photo = !photo)
        for (int end = y + stripes[i]; y < end; y++)
            for (int x = 0; x < width; x++) {
                unsigned char *p = img.pixels + (size_t)y * img.stride + 4 * (size_t)x;
                seed = seed * 1103515245u + 12345u;
                for (int c = 0; c < 3; c++) {
                    int noise = (int)((seed >> (8 + 5 * c)) & 31) - 16;
                    int ink = x % 9 < 2 && y % 11 < 7;
                    p[c] = photo ? (unsigned char)(120 + (x + 3 * y + 40 * c) % 100 + noise)
                                 : (unsigned char)(ink ? 20 : 240);
                }
                p[3] = (unsigned char)seed;
            }
    for (int simd = 1; simd >= 0; simd--)
        for (int threads = 1; threads <= 4; threads += 3) {
            xtars_png_fast_set_simd(simd);
            xtars_image_set_threads(threads);
            xtars_buf_reset(&out);
            ASSERT_EQ(xtars_image_encode_png(&img, 1, &out, err), XTARS_OK);
            ASSERT_LT(0, xtars_png_fast_literal_chunks());
            expect_png_decodes_to(&out, &img);
            /* The text stripes went through igzip: far below raw size. */
            ASSERT_LT(out.len, (size_t)height * (1 + 3 * (size_t)width) * 2 / 3);
        }
    xtars_png_fast_set_simd(1);
    xtars_image_set_threads(0);
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&img);
}

TEST(png_in_bands_on_threads_round_trips_exactly)
{
    struct xtars_image img = sample(1501, 1003); /* 1.5 Mpixel: up to 4 bands */
    struct xtars_buf one, many;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&one, 64 << 20);
    xtars_buf_init(&many, 64 << 20);
    xtars_image_set_threads(1);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &one, err), XTARS_OK);
    xtars_image_set_threads(4);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &many, err), XTARS_OK);
    expect_png_decodes_to(&one, &img);
    expect_png_decodes_to(&many, &img);
    /* Four independent streams cost little: within 2% of one. */
    ASSERT_LT(many.len, one.len + one.len / 50);
    xtars_buf_cleanup(&one);
    xtars_buf_cleanup(&many);
    xtars_image_cleanup(&img);
}

TEST(png_of_a_sub_image_with_padded_rows)
{
    struct xtars_image big = sample(300, 200), part = big;
    struct xtars_image want;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    /* The 101x50 rectangle at (17, 60), rows still 1200 bytes apart. */
    part.pixels = big.pixels + 60 * (size_t)big.stride + 17 * 4;
    part.width = 101;
    part.height = 50;
    part.capacity = 0;
    xtars_image_init(&want);
    ASSERT_EQ(xtars_image_alloc(&want, 101, 50, err), XTARS_OK);
    for (int y = 0; y < 50; y++)
        memcpy(want.pixels + (size_t)y * want.stride, part.pixels + (size_t)y * part.stride, 404);
    xtars_buf_init(&out, 1 << 20);
    for (int level = 1; level <= 6; level += 5) {
        xtars_buf_reset(&out);
        ASSERT_EQ(xtars_image_encode_png(&part, level, &out, err), XTARS_OK);
        expect_png_decodes_to(&out, &want);
    }
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&want);
    xtars_image_cleanup(&big);
}

TEST(png_errors_leave_the_buffer_as_it_was)
{
    struct xtars_image img = sample(200, 100), empty;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    xtars_image_init(&empty);
    xtars_buf_init(&out, 2000); /* far too small for the image */
    ASSERT_EQ(xtars_buf_puts(&out, "prefix"), XTARS_OK);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &out, err), XTARS_ETOOBIG);
    ASSERT_STR_CONTAINS(err, "png:");
    ASSERT_STR_EQ(out.data, "prefix");
    ASSERT_EQ(xtars_image_encode_png(&img, 6, &out, err), XTARS_ETOOBIG);
    ASSERT_STR_EQ(out.data, "prefix");
    ASSERT_EQ(out.len, 6);
    ASSERT_EQ(xtars_image_encode_png(&img, 10, &out, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "png: compression level 10 is not 0..9");
    ASSERT_EQ(xtars_image_encode_png(&empty, 1, &out, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_image_encode_jpeg(&img, 0, &out, err), XTARS_EINVAL);
    ASSERT_EQ(xtars_image_encode_jpeg(&img, 90, &out, err), XTARS_ETOOBIG);
    ASSERT_STR_EQ(out.data, "prefix");
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&img);
}

TEST(png_decoder_reads_other_colour_types)
{
    unsigned char grey[6] = {0, 60, 120, 180, 240, 255};
    png_image image;
    size_t size = 0;
    void *mem;
    struct xtars_image got;
    char err[XTARS_ERRLEN];

    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = 3;
    image.height = 2;
    image.format = PNG_FORMAT_GRAY;
    ASSERT(png_image_write_get_memory_size(image, size, 0, grey, 0, NULL));
    mem = malloc(size);
    ASSERT(png_image_write_to_memory(&image, mem, &size, 0, grey, 0, NULL));
    xtars_image_init(&got);
    ASSERT_EQ(xtars_image_decode(mem, size, &got, err), XTARS_OK);
    ASSERT_EQ(got.width, 3);
    ASSERT_EQ(got.height, 2);
    ASSERT(got.capacity > 0);
    for (int i = 0; i < 6; i++) {
        const unsigned char *p = got.pixels + (size_t)(i / 3) * got.stride + 4 * (size_t)(i % 3);
        ASSERT_EQ(p[0], grey[i]);
        ASSERT_EQ(p[1], grey[i]);
        ASSERT_EQ(p[2], grey[i]);
    }
    xtars_image_cleanup(&got);
    free(mem);
}

TEST(png_decoder_rejects_corrupt_input)
{
    struct xtars_image img = sample(64, 64), got;
    struct xtars_buf png;
    char err[XTARS_ERRLEN];

    xtars_image_init(&got);
    xtars_buf_init(&png, 1 << 20);
    ASSERT_EQ(xtars_image_encode_png(&img, 1, &png, err), XTARS_OK);
    ASSERT_EQ(xtars_image_decode_png("not a png", 9, &got, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "png: cannot decode");
    ASSERT(got.pixels == NULL);
    ASSERT_EQ(xtars_image_decode_png(png.data, png.len / 2, &got, err), XTARS_EFORMAT);
    ASSERT(got.pixels == NULL);
    png.data[png.len - 20] ^= 0x55; /* inside the IDAT: its CRC no longer matches */
    ASSERT_EQ(xtars_image_decode_png(png.data, png.len, &got, err), XTARS_EFORMAT);
    ASSERT_EQ(xtars_image_decode("GIF89a", 6, &got, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "neither PNG nor JPEG");
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&img);
}

/* Mean absolute difference over B, G, R. */
static double mean_error(const struct xtars_image *a, const struct xtars_image *b)
{
    double sum = 0;

    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            for (int c = 0; c < 3; c++)
                sum += abs(a->pixels[(size_t)y * a->stride + 4 * (size_t)x + c] -
                           b->pixels[(size_t)y * b->stride + 4 * (size_t)x + c]);
    return sum / (3.0 * a->width * a->height);
}

TEST(jpeg_round_trip_is_close_and_quality_matters)
{
    struct xtars_image img, got;
    struct xtars_buf high, low;
    char err[XTARS_ERRLEN];

    /* Smooth content (JPEG's kind): a colour gradient. */
    xtars_image_init(&img);
    xtars_image_init(&got);
    ASSERT_EQ(xtars_image_alloc(&img, 321, 123, err), XTARS_OK);
    for (int y = 0; y < 123; y++)
        for (int x = 0; x < 321; x++) {
            unsigned char *p = img.pixels + (size_t)y * img.stride + 4 * (size_t)x;
            p[0] = (unsigned char)(x * 255 / 320), p[1] = (unsigned char)(y * 2), p[2] = 128;
        }
    xtars_buf_init(&high, 1 << 20);
    xtars_buf_init(&low, 1 << 20);
    ASSERT_EQ(xtars_image_encode_jpeg(&img, 95, &high, err), XTARS_OK);
    ASSERT_EQ(xtars_image_encode_jpeg(&img, 10, &low, err), XTARS_OK);
    ASSERT_EQ((unsigned char)high.data[0], 0xff);
    ASSERT_EQ((unsigned char)high.data[1], 0xd8);
    ASSERT_LT(low.len, high.len);
    ASSERT_EQ(xtars_image_decode_jpeg(high.data, high.len, &got, err), XTARS_OK);
    ASSERT_EQ(got.width, 321);
    ASSERT_EQ(got.height, 123);
    ASSERT_LT(mean_error(&img, &got), 1.5);
    ASSERT_EQ(xtars_image_decode(low.data, low.len, &got, err), XTARS_OK);
    ASSERT_LT(mean_error(&img, &got), 8.0);
    ASSERT_EQ(xtars_image_decode_jpeg("\xff\xd8\xff garbage", 12, &got, err), XTARS_EFORMAT);
    ASSERT_STR_CONTAINS(err, "jpeg: cannot decode");
    ASSERT(got.pixels == NULL);
    xtars_buf_cleanup(&high);
    xtars_buf_cleanup(&low);
    xtars_image_cleanup(&img);
}

TEST(versions_are_reported)
{
    ASSERT_STR_CONTAINS(xtars_image_png_version(), "1.6");
    ASSERT_STR_CONTAINS(xtars_image_zlib_version(), "1.");
    ASSERT_STR_CONTAINS(xtars_image_jpeg_version(), "2.");
    ASSERT(xtars_image_isal_version()[0] != '\0');
}

/* Resizing inside the PNG encoder gives exactly the pixels of
 * xtars_image_resize(), on the fast path and the libpng path, on one thread
 * and on several. */
TEST(png_resized_equals_resize_then_encode)
{
    static const int sizes[][2] = {{1932, 1092}, {640, 360}, {1000, 1400}, {1501, 1003}};
    struct xtars_image src = sample(1501, 1003), want;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&out, 64 << 20);
    xtars_image_init(&want);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ASSERT_EQ(xtars_image_resize(&src, sizes[i][0], sizes[i][1], &want, err), XTARS_OK);
        for (int threads = 1; threads <= 4; threads += 3) {
            for (int level = 1; level <= 6; level += 5) {
                xtars_image_set_threads(threads);
                xtars_buf_reset(&out);
                if (xtars_image_encode_png_resized(&src, sizes[i][0], sizes[i][1], level, &out,
                                                   err) != XTARS_OK)
                    FAIL("%dx%d level %d: %s", sizes[i][0], sizes[i][1], level, err);
                expect_png_decodes_to(&out, &want);
            }
        }
    }
    xtars_image_set_threads(0);
    ASSERT_EQ(xtars_image_encode_png_resized(&src, 0, 10, 1, &out, err), XTARS_EINVAL);
    xtars_buf_cleanup(&out);
    xtars_image_cleanup(&want);
    xtars_image_cleanup(&src);
}
