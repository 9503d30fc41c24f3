/* xtars/image.h: pixel images, resizing, frame comparison, and PNG/JPEG
 * encoding and decoding. No libpng, libjpeg, zlib or ISA-L type appears here.
 *
 * Pixel format, everywhere in xtars: 4 bytes per pixel in memory order
 * B, G, R, X, which is what a 24- or 32-bit little-endian TrueColor X server
 * hands over. The X byte is undefined (often 0) and ignored by every function
 * here. Rows are `stride` bytes apart (stride >= 4 * width).
 *
 * Ownership: a struct xtars_image either borrows its pixels (capacity == 0:
 * a captured frame, owned by the capture) or owns them (capacity > 0: made by
 * xtars_image_alloc(), a resize or a decoder). xtars_image_cleanup() frees
 * owned pixels and accepts a borrowed or zeroed image. Encoders append to a
 * caller's capped xtars_buf and leave it as it was on failure.
 *
 * The resizer and the comparison functions are pure C; the codecs use
 * libpng, libjpeg-turbo and ISA-L.
 */
#ifndef XTARS_IMAGE_H
#define XTARS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "xtars/buf.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes per pixel of every xtars image. */
#define XTARS_IMAGE_BPP 4

/* Largest image xtars makes or decodes (64 Mpixel, 256 MB; 8K is 33 Mpixel),
 * so an untrusted file cannot make a decoder allocate without bound. */
#define XTARS_IMAGE_MAX_PIXELS (64L * 1024 * 1024)
#define XTARS_IMAGE_MAX_SIDE 32767

/* Encodings of a screenshot sent to a model. */
enum xtars_image_format { XTARS_IMAGE_PNG = 0, XTARS_IMAGE_JPEG = 1 };

struct xtars_image {
    unsigned char *pixels; /* B, G, R, X per pixel, rows `stride` bytes apart */
    int width;
    int height;
    int stride;            /* bytes from one row to the next */
    size_t capacity;       /* bytes owned at pixels; 0: borrowed (never freed here) */
};

/* Makes an empty image (no pixels, nothing owned). */
XTARS_API
void xtars_image_init(struct xtars_image *img);

/* Frees owned pixels and empties the image. Accepts NULL and borrowed images
 * (which are only emptied). */
XTARS_API
void xtars_image_cleanup(struct xtars_image *img);

/* Gives img owned pixels for width x height (stride 4 * width), reusing its
 * allocation when it owns one that is large enough. Contents are undefined.
 * Errors: EINVAL (size < 1 or > XTARS_IMAGE_MAX_SIDE), ETOOBIG (more than
 * XTARS_IMAGE_MAX_PIXELS), ENOMEM. On failure img is left as it was. */
XTARS_API
xtars_err xtars_image_alloc(struct xtars_image *img, int width, int height,
                            char err[static XTARS_ERRLEN]);

/* Resizes src to width x height into dst, which must be initialized and must
 * not share pixels with src (dst's allocation is reused when large enough).
 * Each axis is handled on its own: shrinking averages the source area every
 * output pixel covers (box filter with fractional edges: text stays
 * legible), growing interpolates linearly between pixel centres (bilinear,
 * edges clamped), an unchanged axis is copied. Weights are 14-bit fixed
 * point and results round to nearest. Same size: a plain copy.
 * Errors: as xtars_image_alloc(), EINVAL for an empty src. */
XTARS_API
xtars_err xtars_image_resize(const struct xtars_image *src, int width, int height,
                             struct xtars_image *dst, char err[static XTARS_ERRLEN]);

/* How many threads resizing and PNG encoding of large images may use: 0
 * (the default) means the online CPUs, at most 4; 1 keeps everything on the
 * calling thread (at most 8). Results do not depend on it (PNG bytes may differ, their
 * pixels do not). Process-wide. */
XTARS_API
void xtars_image_set_threads(int threads);

/* A 64-bit hash of the image's size and a subsample of its pixels (every
 * 4th row, every pixel of it; X bytes ignored). Equal frames give equal
 * fingerprints; cheap (about a quarter of a memory pass), for "has anything
 * changed" checks. Never 0 for a non-empty image. */
XTARS_API
uint64_t xtars_image_fingerprint(const struct xtars_image *img);

/* Fraction (0..1) of pixels whose B, G or R differ between a and b; 1.0 when
 * the sizes differ. Identical rows cost one memcmp, so comparing two equal
 * frames costs about one memory pass. The loop's "wait until the screen
 * settles" compares consecutive frames with this and a small threshold, so a
 * blinking text cursor does not count as change. */
XTARS_API
double xtars_image_diff(const struct xtars_image *a, const struct xtars_image *b);

/* Appends img as a PNG (8-bit RGB, no alpha, no interlace) to out.
 * level 0: stored (no compression); 1..3: the fast path when xtars is built
 * with ISA-L (igzip level 1..3 after the PNG Sub filter, written around a
 * PNG container of our own; without ISA-L, libpng at zlib level 1 with the
 * Sub filter); 4..9: libpng at that zlib level with adaptive filters.
 * Every path produces a standard PNG that libpng decodes to the same pixels.
 * Errors: EINVAL (empty image, level outside 0..9), ETOOBIG (out's cap),
 * ENOMEM, EFORMAT (encoder failure, message says which). */
XTARS_API
xtars_err xtars_image_encode_png(const struct xtars_image *img, int level, struct xtars_buf *out,
                                 char err[static XTARS_ERRLEN]);

/* xtars_image_resize() then xtars_image_encode_png(), in one pass: on the
 * fast path (levels 1..3 with ISA-L) each chunk of rows is resized just
 * before it is compressed, so no resized image is made (less memory, fewer
 * cache misses); otherwise through a temporary image. The PNG's pixels are
 * exactly those xtars_image_resize() would produce. Errors: as both. */
XTARS_API
xtars_err xtars_image_encode_png_resized(const struct xtars_image *src, int width, int height,
                                         int level, struct xtars_buf *out,
                                         char err[static XTARS_ERRLEN]);

/* Appends img as a baseline JFIF JPEG (YCbCr 4:2:0, libjpeg-turbo, quality
 * 1..100) to out. Errors: EINVAL (empty image, quality out of range),
 * ETOOBIG, ENOMEM, EFORMAT (libjpeg's message). */
XTARS_API
xtars_err xtars_image_encode_jpeg(const struct xtars_image *img, int quality,
                                  struct xtars_buf *out, char err[static XTARS_ERRLEN]);

/* Decodes a PNG (any bit depth and colour type; alpha becomes the X byte,
 * 16-bit samples are reduced to 8) into out, which must be initialized; its
 * pixels become owned (free with xtars_image_cleanup()). Untrusted input is
 * fine: errors are EFORMAT (not a PNG, corrupt, bad CRC: libpng's message),
 * ETOOBIG (larger than XTARS_IMAGE_MAX_PIXELS), ENOMEM. On failure out is
 * empty. */
XTARS_API
xtars_err xtars_image_decode_png(const void *data, size_t len, struct xtars_image *out,
                                 char err[static XTARS_ERRLEN]);

/* Decodes a JPEG into out (owned pixels, X = 0xff). Same errors. */
XTARS_API
xtars_err xtars_image_decode_jpeg(const void *data, size_t len, struct xtars_image *out,
                                  char err[static XTARS_ERRLEN]);

/* Decodes PNG or JPEG, chosen by the file signature. EFORMAT for others. */
XTARS_API
xtars_err xtars_image_decode(const void *data, size_t len, struct xtars_image *out,
                             char err[static XTARS_ERRLEN]);

/* Versions of the libraries this process runs with (static strings). The
 * ISA-L one is "none" when xtars was built without it. */
XTARS_API
const char *xtars_image_png_version(void);
XTARS_API
const char *xtars_image_zlib_version(void);
XTARS_API
const char *xtars_image_jpeg_version(void);
XTARS_API
const char *xtars_image_isal_version(void);

#ifdef __cplusplus
}
#endif
#endif
