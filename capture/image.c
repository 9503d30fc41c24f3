/* image.c: image lifetime and frame comparison (fingerprint, diff). Pure C
 * in the core library: no X, no codec. Never prints. */
#include "xtars/image.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

void xtars_image_init(struct xtars_image *img)
{
    memset(img, 0, sizeof *img);
}

void xtars_image_cleanup(struct xtars_image *img)
{
    if (img == NULL)
        return;
    if (img->capacity)
        free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* Large images are aligned to 2 MB and offered to transparent huge pages:
 * a fresh 1080p image is then a handful of page faults instead of two
 * thousand, which is most of the cost of a one-shot screenshot. */
static unsigned char *alloc_pixels(size_t bytes)
{
    void *p = NULL;

    if (bytes < 2 * (size_t)HUGE_PAGE)
        return malloc(bytes);
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

xtars_err xtars_image_alloc(struct xtars_image *img, int width, int height, char err[static XTARS_ERRLEN])
{
    size_t bytes;
    unsigned char *pixels;

    if (width < 1 || height < 1 || width > XTARS_IMAGE_MAX_SIDE || height > XTARS_IMAGE_MAX_SIDE)
        return xtars_error(err, XTARS_EINVAL, "image: bad size %dx%d", width, height);
    if ((long)width * height > XTARS_IMAGE_MAX_PIXELS)
        return xtars_error(err, XTARS_ETOOBIG, "image: %dx%d is more than %ld pixels", width,
                           height, XTARS_IMAGE_MAX_PIXELS);
    bytes = (size_t)width * (size_t)height * XTARS_IMAGE_BPP;
    if (img->capacity >= bytes) {
        pixels = img->pixels;
    } else {
        pixels = alloc_pixels(bytes);
        if (pixels == NULL)
            return xtars_error(err, XTARS_ENOMEM, "image: out of memory for %dx%d", width,
                               height);
        if (img->capacity)
            free(img->pixels);
        img->capacity = bytes;
    }
    img->pixels = pixels;
    img->width = width;
    img->height = height;
    img->stride = width * XTARS_IMAGE_BPP;
    return XTARS_OK;
}

/* 64-bit mixing (the finalizer of MurmurHash3): every input bit reaches
 * every output bit, so a one-pixel change changes the fingerprint. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Hash of one row, X bytes masked out. Four independent lanes keep the
 * multiplies from serialising. */
static uint64_t hash_row(const unsigned char *row, int width)
{
    uint64_t lanes[4] = {1, 2, 3, 4};
    int x = 0;

    for (; x + 8 <= width; x += 8) {
        for (int k = 0; k < 4; k++) {
            uint64_t v;
            memcpy(&v, row + (size_t)(x + 2 * k) * 4, 8);
            lanes[k] = (lanes[k] ^ (v & 0x00ffffff00ffffffULL)) * 0x9e3779b97f4a7c15ULL;
        }
    }
    for (; x < width; x++) {
        uint32_t v;
        memcpy(&v, row + (size_t)x * 4, 4);
        lanes[0] = (lanes[0] ^ (v & 0x00ffffffU)) * 0x9e3779b97f4a7c15ULL;
    }
    return mix64(lanes[0]) ^ mix64(lanes[1] + 1) ^ mix64(lanes[2] + 2) ^ mix64(lanes[3] + 3);
}

uint64_t xtars_image_fingerprint(const struct xtars_image *img)
{
    uint64_t h;

    if (img == NULL || img->pixels == NULL || img->width < 1 || img->height < 1)
        return 0;
    h = mix64(((uint64_t)img->width << 32) | (uint32_t)img->height);
    for (int y = 0; y < img->height; y += 4)
        h = mix64(h ^ hash_row(img->pixels + (size_t)y * img->stride, img->width));
    return h ? h : 1;
}

/* Pixels of one row pair whose B, G or R differ. */
static long row_changes(const unsigned char *a, const unsigned char *b, int width)
{
    long changed = 0;

    for (int x = 0; x < width; x++) {
        const unsigned char *p = a + (size_t)x * 4, *q = b + (size_t)x * 4;
        changed += (p[0] != q[0]) | (p[1] != q[1]) | (p[2] != q[2]);
    }
    return changed;
}

double xtars_image_diff(const struct xtars_image *a, const struct xtars_image *b)
{
    size_t row_bytes;
    long changed = 0;

    if (a == NULL || b == NULL || a->width != b->width || a->height != b->height ||
        a->width < 1 || a->height < 1 || a->pixels == NULL || b->pixels == NULL)
        return 1.0;
    row_bytes = (size_t)a->width * 4;
    for (int y = 0; y < a->height; y++) {
        const unsigned char *ra = a->pixels + (size_t)y * a->stride;
        const unsigned char *rb = b->pixels + (size_t)y * b->stride;
        if (memcmp(ra, rb, row_bytes) != 0)
            changed += row_changes(ra, rb, a->width);
    }
    return (double)changed / ((double)a->width * a->height);
}
