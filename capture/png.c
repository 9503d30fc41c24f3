/* png.c: PNG encoding through libpng (the reference encoder), the choice
 * between it and the ISA-L fast path, and PNG decoding. The only user of
 * libpng. Errors come back through libpng's longjmp into the function that
 * set it, never as a crash or an exit; never prints. */
#include "xtars/image.h"
#include "capture/codec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "codec.h"
#include "resizer.h"

const char *xtars_image_png_version(void)
{
    return png_get_libpng_ver(NULL);
}

const char *xtars_image_zlib_version(void)
{
    return zlibVersion();
}

const char *xtars_image_isal_version(void)
{
    return xtars_png_fast_version();
}

/* Where libpng writes, and what went wrong if it stops. */
struct png_sink {
    struct xtars_buf *out;
    xtars_err rc;
    char message[200];
};

static void sink_write(png_structp png, png_bytep data, size_t len)
{
    struct png_sink *sink = png_get_io_ptr(png);
    xtars_err rc = xtars_buf_append(sink->out, data, len);

    if (rc != XTARS_OK) {
        sink->rc = rc;
        png_error(png, rc == XTARS_ETOOBIG ? "output exceeds the buffer cap" : "out of memory");
    }
}

static void sink_flush(png_structp png)
{
    (void)png;
}

static void on_error(png_structp png, png_const_charp message)
{
    struct png_sink *sink = png_get_error_ptr(png);

    snprintf(sink->message, sizeof sink->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

static xtars_err check_image(const struct xtars_image *img, char *err)
{
    if (img == NULL || img->pixels == NULL || img->width < 1 || img->height < 1 ||
        img->stride < img->width * XTARS_IMAGE_BPP)
        return xtars_error(err, XTARS_EINVAL, "png: empty or malformed image");
    return XTARS_OK;
}

/* The libpng write itself; returns 0 on success, 1 after a longjmp. */
static int write_with_libpng(png_structp png, png_infop info, const struct xtars_image *img,
                             int level, struct png_sink *sink)
{
    if (setjmp(png_jmpbuf(png)))
        return 1;
    png_set_write_fn(png, sink, sink_write, sink_flush);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, level <= 1 ? PNG_FILTER_SUB : PNG_ALL_FILTERS);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_set_bgr(png);
    png_set_filler(png, 0, PNG_FILLER_AFTER); /* on write: strip the X byte */
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->pixels + (size_t)y * img->stride);
    png_write_end(png, NULL);
    return 0;
}

xtars_err xtars_image_encode_png_libpng(const struct xtars_image *img, int level,
                                        struct xtars_buf *out, char err[static XTARS_ERRLEN])
{
    struct png_sink sink = {out, XTARS_OK, ""};
    size_t start = out->len;
    png_structp png;
    png_infop info = NULL;
    int failed;

    if (check_image(img, err) != XTARS_OK)
        return XTARS_EINVAL;
    if (level < 0 || level > 9)
        return xtars_error(err, XTARS_EINVAL, "png: compression level %d is not 0..9", level);
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
    if (png)
        info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, &info);
        return xtars_error(err, XTARS_ENOMEM, "png: out of memory");
    }
    failed = write_with_libpng(png, info, img, level, &sink);
    png_destroy_write_struct(&png, &info);
    if (!failed)
        return XTARS_OK;
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return xtars_error(err, sink.rc != XTARS_OK ? sink.rc : XTARS_EFORMAT, "png: encoding %dx%d: %s",
                       img->width, img->height, sink.message);
}

xtars_err xtars_image_encode_png(const struct xtars_image *img, int level, struct xtars_buf *out,
                                 char err[static XTARS_ERRLEN])
{
    if (check_image(img, err) != XTARS_OK)
        return XTARS_EINVAL;
    if (level < 0 || level > 9)
        return xtars_error(err, XTARS_EINVAL, "png: compression level %d is not 0..9", level);
    if (level >= 1 && level <= 3 && xtars_png_fast_available())
        return xtars_png_fast_encode(img, 0, 0, NULL, level, out, err);
    return xtars_image_encode_png_libpng(img, level <= 3 && level > 1 ? 1 : level, out, err);
}

xtars_err xtars_image_encode_png_resized(const struct xtars_image *src, int width, int height,
                                         int level, struct xtars_buf *out, char err[static XTARS_ERRLEN])
{
    struct xtars_resizer *resizer;
    struct xtars_image resized;
    xtars_err rc;

    if (check_image(src, err) != XTARS_OK)
        return XTARS_EINVAL;
    if (width == src->width && height == src->height)
        return xtars_image_encode_png(src, level, out, err);
    if (level >= 1 && level <= 3 && xtars_png_fast_available() && width > 0 && height > 0 &&
        width <= XTARS_IMAGE_MAX_SIDE && height <= XTARS_IMAGE_MAX_SIDE &&
        (long)width * height <= XTARS_IMAGE_MAX_PIXELS) {
        if (xtars_resizer_new(src->width, src->height, width, height, &resizer) != XTARS_OK)
            return xtars_error(err, XTARS_ENOMEM, "png: out of memory");
        rc = xtars_png_fast_encode(src, width, height, resizer, level, out, err);
        xtars_resizer_free(resizer);
        return rc;
    }
    xtars_image_init(&resized);
    rc = xtars_image_resize(src, width, height, &resized, err);
    if (rc == XTARS_OK)
        rc = xtars_image_encode_png(&resized, level, out, err);
    xtars_image_cleanup(&resized);
    return rc;
}

xtars_err xtars_image_decode_png(const void *data, size_t len, struct xtars_image *out, char err[static XTARS_ERRLEN])
{
    png_image image;
    xtars_err rc;

    xtars_image_cleanup(out);
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, len))
        return xtars_error(err, XTARS_EFORMAT, "png: cannot decode: %s", image.message);
    if (image.width > XTARS_IMAGE_MAX_SIDE || image.height > XTARS_IMAGE_MAX_SIDE ||
        (long)image.width * (long)image.height > XTARS_IMAGE_MAX_PIXELS) {
        png_image_free(&image);
        return xtars_error(err, XTARS_ETOOBIG, "png: %ux%u image is larger than xtars accepts",
                           image.width, image.height);
    }
    rc = xtars_image_alloc(out, (int)image.width, (int)image.height, err);
    if (rc != XTARS_OK) {
        png_image_free(&image);
        return rc;
    }
    image.format = PNG_FORMAT_BGRA;
    if (!png_image_finish_read(&image, NULL, out->pixels, out->stride, NULL)) {
        xtars_error(err, XTARS_EFORMAT, "png: cannot decode: %s", image.message);
        png_image_free(&image);
        xtars_image_cleanup(out);
        return XTARS_EFORMAT;
    }
    return XTARS_OK;
}

xtars_err xtars_image_decode(const void *data, size_t len, struct xtars_image *out, char err[static XTARS_ERRLEN])
{
    static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const unsigned char *bytes = data;

    if (len >= 8 && memcmp(bytes, png_magic, 8) == 0)
        return xtars_image_decode_png(data, len, out, err);
    if (len >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
        return xtars_image_decode_jpeg(data, len, out, err);
    xtars_image_cleanup(out);
    return xtars_error(err, XTARS_EFORMAT, "image: neither PNG nor JPEG (%zu bytes)", len);
}
