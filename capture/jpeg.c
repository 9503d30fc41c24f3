/* jpeg.c: JPEG encoding and decoding with libjpeg-turbo; the only user of
 * libjpeg. Pixels go in and come out as B,G,R,X (libjpeg-turbo's
 * JCS_EXT_BGRX), so no conversion pass is needed. libjpeg reports errors by
 * calling error_exit, which must not return: ours longjmps back to the
 * function that started the work, never exits, never prints. */
#include "xtars/image.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#define OUT_STEP (256 * 1024) /* output space handed to libjpeg at a time */

#define XTARS_STR2(x) #x
#define XTARS_STR(x) XTARS_STR2(x)

const char *xtars_image_jpeg_version(void)
{
#ifdef LIBJPEG_TURBO_VERSION
    return XTARS_STR(LIBJPEG_TURBO_VERSION);
#else
    return XTARS_STR(JPEG_LIB_VERSION);
#endif
}

struct jpeg_fail {
    struct jpeg_error_mgr mgr; /* first: libjpeg passes &mgr as the common err */
    jmp_buf jump;
    xtars_err rc;
    char message[JMSG_LENGTH_MAX];
};

static void on_error_exit(j_common_ptr cinfo)
{
    struct jpeg_fail *fail = (struct jpeg_fail *)cinfo->err;

    fail->mgr.format_message(cinfo, fail->message);
    longjmp(fail->jump, 1);
}

static void on_message(j_common_ptr cinfo)
{
    (void)cinfo; /* warnings: corrupt-but-decodable data is not our business */
}

/* Destination manager appending to an xtars_buf. */
struct jpeg_sink {
    struct jpeg_destination_mgr mgr; /* first */
    struct xtars_buf *out;
    struct jpeg_fail *fail;
};

static void sink_init(j_compress_ptr cinfo)
{
    (void)cinfo;
}

/* Makes room for OUT_STEP more bytes after out->len and hands it to libjpeg;
 * on failure, leaves through the error longjmp. */
static void sink_reserve(struct jpeg_sink *sink)
{
    struct xtars_buf *out = sink->out;
    xtars_err rc = xtars_buf_reserve(out, OUT_STEP);

    if (rc != XTARS_OK) {
        sink->fail->rc = rc;
        snprintf(sink->fail->message, sizeof sink->fail->message, "%s",
                 rc == XTARS_ETOOBIG ? "output exceeds the buffer cap" : "out of memory");
        longjmp(sink->fail->jump, 1);
    }
    sink->mgr.next_output_byte = (JOCTET *)out->data + out->len;
    sink->mgr.free_in_buffer = out->cap - 1 - out->len;
}

static boolean sink_grow(j_compress_ptr cinfo)
{
    struct jpeg_sink *sink = (struct jpeg_sink *)cinfo->dest;

    sink->out->len = sink->out->cap - 1; /* libjpeg filled everything it was given */
    sink_reserve(sink);
    return TRUE;
}

static void sink_term(j_compress_ptr cinfo)
{
    struct jpeg_sink *sink = (struct jpeg_sink *)cinfo->dest;

    sink->out->len = (size_t)((char *)sink->mgr.next_output_byte - sink->out->data);
    sink->out->data[sink->out->len] = '\0';
}

/* The libjpeg calls; returns 0, or 1 after an error longjmp. */
static int compress(struct jpeg_compress_struct *cinfo, struct jpeg_sink *sink,
                    const struct xtars_image *img, int quality)
{
    if (setjmp(sink->fail->jump))
        return 1;
    jpeg_create_compress(cinfo);
    sink_reserve(sink);
    cinfo->dest = &sink->mgr;
    cinfo->image_width = (JDIMENSION)img->width;
    cinfo->image_height = (JDIMENSION)img->height;
    cinfo->input_components = 4;
    cinfo->in_color_space = JCS_EXT_BGRX;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = img->pixels + (size_t)cinfo->next_scanline * img->stride;
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return 0;
}

xtars_err xtars_image_encode_jpeg(const struct xtars_image *img, int quality,
                                  struct xtars_buf *out, char err[static XTARS_ERRLEN])
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_fail fail;
    struct jpeg_sink sink;
    size_t start = out->len;
    int failed;

    if (img == NULL || img->pixels == NULL || img->width < 1 || img->height < 1 ||
        img->width > 65500 || img->height > 65500 || img->stride < img->width * 4)
        return xtars_error(err, XTARS_EINVAL, "jpeg: empty or malformed image");
    if (quality < 1 || quality > 100)
        return xtars_error(err, XTARS_EINVAL, "jpeg: quality %d is not 1..100", quality);
    memset(&cinfo, 0, sizeof cinfo);
    memset(&fail, 0, sizeof fail);
    cinfo.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = on_error_exit;
    fail.mgr.output_message = on_message;
    fail.rc = XTARS_EFORMAT;
    memset(&sink, 0, sizeof sink);
    sink.mgr.init_destination = sink_init;
    sink.mgr.empty_output_buffer = sink_grow;
    sink.mgr.term_destination = sink_term;
    sink.out = out;
    sink.fail = &fail;
    failed = compress(&cinfo, &sink, img, quality);
    jpeg_destroy_compress(&cinfo);
    if (!failed)
        return XTARS_OK;
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return xtars_error(err, fail.rc, "jpeg: encoding %dx%d: %s", img->width, img->height,
                       fail.message);
}

/* The libjpeg decoding calls; returns 0, or 1 after an error longjmp (the
 * message is in fail; out may hold pixels the caller frees). */
static int decompress(struct jpeg_decompress_struct *cinfo, struct jpeg_fail *fail,
                      const void *data, size_t len, struct xtars_image *out, char *err)
{
    if (setjmp(fail->jump))
        return 1;
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)len);
    jpeg_read_header(cinfo, TRUE);
    if ((long)cinfo->image_width * (long)cinfo->image_height > XTARS_IMAGE_MAX_PIXELS) {
        fail->rc = XTARS_ETOOBIG;
        snprintf(fail->message, sizeof fail->message, "%ux%u is larger than xtars accepts",
                 cinfo->image_width, cinfo->image_height);
        return 1;
    }
    cinfo->out_color_space = JCS_EXT_BGRX;
    jpeg_start_decompress(cinfo);
    fail->rc = xtars_image_alloc(out, (int)cinfo->output_width, (int)cinfo->output_height, err);
    if (fail->rc != XTARS_OK) {
        snprintf(fail->message, sizeof fail->message, "%s", err ? err : "cannot allocate");
        return 1;
    }
    fail->rc = XTARS_EFORMAT;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = out->pixels + (size_t)cinfo->output_scanline * out->stride;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);
    return 0;
}

xtars_err xtars_image_decode_jpeg(const void *data, size_t len, struct xtars_image *out,
                                  char err[static XTARS_ERRLEN])
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail fail;
    int failed;

    xtars_image_cleanup(out);
    if (data == NULL || len == 0)
        return xtars_error(err, XTARS_EFORMAT, "jpeg: cannot decode: no data");
    memset(&cinfo, 0, sizeof cinfo);
    memset(&fail, 0, sizeof fail);
    cinfo.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = on_error_exit;
    fail.mgr.output_message = on_message;
    fail.rc = XTARS_EFORMAT;
    failed = decompress(&cinfo, &fail, data, len, out, err);
    jpeg_destroy_decompress(&cinfo);
    if (!failed)
        return XTARS_OK;
    xtars_image_cleanup(out);
    return xtars_error(err, fail.rc, "jpeg: cannot decode: %s", fail.message);
}
