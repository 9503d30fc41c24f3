/* resize.c: separable image resizing for the model's input. Shrinking is
 * area averaging (a box filter with exact fractional coverage, the same idea
 * as OpenCV's INTER_AREA and PIL's BOX), growing is bilinear between pixel
 * centres. Weights are worked out once per call in exact integer arithmetic
 * and stored as 14-bit fixed point. Each output row is made by blending
 * source rows into a row buffer, then resampling that row horizontally, so no
 * full-size intermediate is needed; large images are done in horizontal
 * bands on a few threads.
 * The pixel kernels exist twice: portable C, and AVX2 (chosen at run time on
 * x86-64) doing the very same integer arithmetic with pmaddwd, so both give
 * bit-identical images; tests run both. Pure C (core library); never prints.
 */
#include "xtars/image.h"
#include "capture/codec.h"

#include <stdlib.h>
#include <string.h>

#include "bands.h"
#include "agent/base/cpu.h"
#include "resizer.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#endif

#define WEIGHT_BITS 14
#define WEIGHT_ONE (1 << WEIGHT_BITS)
#define WEIGHT_HALF (1 << (WEIGHT_BITS - 1))
#define ROW_PAD 16 /* kernels read up to one pixel past a row's last tap */

/* How one axis maps: output index i reads `count[i]` source indices from
 * `first[i]` with weights `weights[i * max_taps + k]` (summing to
 * WEIGHT_ONE; unused slots are 0). `taps` is the largest count. */
struct axis {
    int src_size;
    int dst_size;
    int max_taps;  /* slots per output, even, for pairwise kernels */
    int taps;
    int *first;
    int *count;
    int *weights;
    int *pairs;    /* AVX2 two-tap kernel: weight pairs in its lane order */
};

static int simd_enabled = 1;

void xtars_image_resize_set_simd(int enabled)
{
    simd_enabled = enabled;
}

static void axis_cleanup(struct axis *a)
{
    free(a->first);
    free(a->count);
    free(a->weights);
    free(a->pairs);
}

/* Area average: output i covers [i*src, (i+1)*src) in units of 1/dst of a
 * source pixel; source pixel j covers [j*dst, (j+1)*dst). The weight of j is
 * the overlap divided by src (the output pixel's whole extent). Weights are
 * differences of rounded cumulative coverage, so they are never negative and
 * always sum to exactly WEIGHT_ONE, however many taps there are. */
static int coverage(long from_lo, long src)
{
    return (int)((from_lo * WEIGHT_ONE + src / 2) / src);
}

static void shrink_weights(struct axis *a, int i)
{
    long src = a->src_size, dst = a->dst_size;
    long lo = i * src, hi = (i + 1) * src;
    int first = (int)(lo / dst), last = (int)((hi - 1) / dst);
    int *w = a->weights + (size_t)i * a->max_taps;

    if (last >= a->src_size)
        last = a->src_size - 1;
    a->first[i] = first;
    a->count[i] = last - first + 1;
    for (int j = first; j <= last; j++) {
        long start = j * dst > lo ? j * dst : lo;
        long end = (j + 1) * dst < hi ? (j + 1) * dst : hi;
        w[j - first] = coverage(end - lo, src) - coverage(start - lo, src);
    }
}

/* Bilinear: the centre of output i sits at source position
 * (i + 0.5) * src / dst - 0.5 = ((2i+1)*src - dst) / (2*dst); positions
 * before the first or after the last source centre clamp to that pixel. */
static void grow_weights(struct axis *a, int i)
{
    long src = a->src_size, dst = a->dst_size;
    long pos = (2L * i + 1) * src - dst, denom = 2 * dst;
    int *w = a->weights + (size_t)i * a->max_taps;
    long frac;

    a->count[i] = 1;
    w[0] = WEIGHT_ONE;
    if (pos <= 0) {
        a->first[i] = 0;
        return;
    }
    a->first[i] = (int)(pos / denom);
    frac = pos % denom;
    if (a->first[i] >= a->src_size - 1) {
        a->first[i] = a->src_size - 1;
        return;
    }
    w[1] = (int)((frac * WEIGHT_ONE + denom / 2) / denom);
    w[0] = WEIGHT_ONE - w[1];
    if (w[1] > 0)
        a->count[i] = 2;
}

/* The AVX2 two-tap kernel's table: for outputs 4g..4g+3, the weight pair of
 * output 4g, 4g+2, 4g+1, 4g+3, each repeated for the four channels. */
static xtars_err make_pairs(struct axis *a)
{
    static const int lane_output[4] = {0, 2, 1, 3};

    a->pairs = calloc((size_t)a->dst_size * 4 + 16, sizeof *a->pairs);
    if (a->pairs == NULL)
        return XTARS_ENOMEM;
    for (int i = 0; i + 4 <= a->dst_size; i += 4) {
        for (int lane = 0; lane < 4; lane++) {
            const int *w = a->weights + (size_t)(i + lane_output[lane]) * a->max_taps;
            for (int c = 0; c < 4; c++)
                a->pairs[4 * i + 4 * lane + c] = (int)((unsigned)w[0] | (unsigned)w[1] << 16);
        }
    }
    return XTARS_OK;
}

static xtars_err axis_init(struct axis *a, int src_size, int dst_size)
{
    memset(a, 0, sizeof *a);
    a->src_size = src_size;
    a->dst_size = dst_size;
    /* A shrinking output pixel covers src/dst source pixels plus partial
     * ones at both ends; rounded up to even for the pairwise kernels. */
    a->max_taps = dst_size < src_size ? (src_size + dst_size - 1) / dst_size + 1 : 2;
    a->max_taps += a->max_taps & 1;
    a->first = malloc(sizeof *a->first * (size_t)dst_size);
    a->count = malloc(sizeof *a->count * (size_t)dst_size);
    a->weights = calloc((size_t)dst_size * (size_t)a->max_taps, sizeof *a->weights);
    if (a->first == NULL || a->count == NULL || a->weights == NULL)
        return XTARS_ENOMEM;
    for (int i = 0; i < dst_size; i++) {
        if (dst_size < src_size)
            shrink_weights(a, i);
        else
            grow_weights(a, i);
        if (a->count[i] > a->taps)
            a->taps = a->count[i];
    }
    return a->taps <= 2 ? make_pairs(a) : XTARS_OK;
}

/* ---- portable kernels ---------------------------------------------------- */

/* out[x] = sum over k of rows[k][x] * w[k], rounded, for bytes x0..n-1. */
static void blend_c(const unsigned char *const *rows, const int *w, int count, int x0, int n,
                    unsigned char *restrict out)
{
    for (int x = x0; x < n; x++) {
        int acc = WEIGHT_HALF;
        for (int k = 0; k < count; k++)
            acc += rows[k][x] * w[k];
        out[x] = (unsigned char)(acc >> WEIGHT_BITS);
    }
}

/* One row horizontally: output pixel i from count[i] pixels at first[i]. */
static void resample_c(const struct axis *h, const unsigned char *restrict in,
                       unsigned char *restrict out)
{
    for (int i = 0; i < h->dst_size; i++) {
        const unsigned char *p = in + (size_t)h->first[i] * 4;
        const int *w = h->weights + (size_t)i * h->max_taps;
        int acc[4] = {WEIGHT_HALF, WEIGHT_HALF, WEIGHT_HALF, WEIGHT_HALF};
        for (int k = 0; k < h->count[i]; k++)
            for (int c = 0; c < 4; c++)
                acc[c] += p[4 * k + c] * w[k];
        for (int c = 0; c < 4; c++)
            out[4 * i + c] = (unsigned char)(acc[c] >> WEIGHT_BITS);
    }
}

/* ---- AVX2 kernels: same arithmetic, 16-bit pairs through pmaddwd --------- */

#ifdef HAVE_AVX2_KERNELS
#define AVX2 __attribute__((target("avx2")))

/* Weight pair (w0, w1) as one 32-bit lane for pmaddwd. */
static inline int pair(int w0, int w1)
{
    return (int)((unsigned)w0 | (unsigned)w1 << 16);
}

/* Adds rows a and b (32 bytes each) weighted by the pair wp into the four
 * 8-lane accumulators: acc[0..3] hold bytes 0-3/16-19, 4-7/20-23,
 * 8-11/24-27 and 12-15/28-31 (in-lane unpacking; packing undoes it). */
AVX2 static inline void madd_rows(__m256i a, __m256i b, __m256i wp, __m256i acc[4])
{
    const __m256i zero = _mm256_setzero_si256();
    __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);

    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(_mm256_unpacklo_epi8(lo, zero), wp));
    acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(_mm256_unpackhi_epi8(lo, zero), wp));
    acc[2] = _mm256_add_epi32(acc[2], _mm256_madd_epi16(_mm256_unpacklo_epi8(hi, zero), wp));
    acc[3] = _mm256_add_epi32(acc[3], _mm256_madd_epi16(_mm256_unpackhi_epi8(hi, zero), wp));
}

AVX2 static inline __m256i pack_acc(__m256i acc[4])
{
    __m256i p0 = _mm256_packs_epi32(_mm256_srai_epi32(acc[0], WEIGHT_BITS),
                                    _mm256_srai_epi32(acc[1], WEIGHT_BITS));
    __m256i p1 = _mm256_packs_epi32(_mm256_srai_epi32(acc[2], WEIGHT_BITS),
                                    _mm256_srai_epi32(acc[3], WEIGHT_BITS));
    return _mm256_packus_epi16(p0, p1);
}

AVX2 static void blend_avx2(const unsigned char *const *rows, const int *w, int count, int x0,
                            int n, unsigned char *restrict out)
{
    int x = x0;

    for (; x + 32 <= n; x += 32) {
        __m256i acc[4];
        for (int j = 0; j < 4; j++)
            acc[j] = _mm256_set1_epi32(WEIGHT_HALF);
        for (int k = 0; k < count; k += 2) {
            /* An odd last tap pairs with itself at weight 0. */
            const unsigned char *second = k + 1 < count ? rows[k + 1] : rows[k];
            __m256i a = _mm256_loadu_si256((const __m256i *)(rows[k] + x));
            __m256i b = _mm256_loadu_si256((const __m256i *)(second + x));
            madd_rows(a, b, _mm256_set1_epi32(pair(w[k], k + 1 < count ? w[k + 1] : 0)), acc);
        }
        _mm256_storeu_si256((__m256i *)(out + x), pack_acc(acc));
    }
    blend_c(rows, w, count, x, n, out);
}

/* Output pixel i's taps, interleaved channel by channel with their pair
 * partner and widened to 16 bits: (p0 q0 p1 q1 p2 q2 p3 q3). */
AVX2 static inline __m128i tap_pair(const unsigned char *p)
{
    const __m128i order = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, -1, -1, -1, -1, -1, -1, -1, -1);
    __m128i v = _mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)p), order);
    return _mm_cvtepu8_epi16(v);
}

AVX2 static inline __m128i one_pixel(const struct axis *h, const unsigned char *in, int i)
{
    const unsigned char *p = in + (size_t)h->first[i] * 4;
    const int *w = h->weights + (size_t)i * h->max_taps;
    __m128i acc = _mm_set1_epi32(WEIGHT_HALF);

    for (int k = 0; k < h->count[i]; k += 2)
        acc = _mm_add_epi32(acc, _mm_madd_epi16(tap_pair(p + 4 * k),
                                                _mm_set1_epi32(pair(w[k], w[k + 1]))));
    return _mm_srai_epi32(acc, WEIGHT_BITS);
}

/* Two taps at most (bilinear, or area averaging by less than 2x): four
 * output pixels per step, weights from a table laid out in lane order. */
AVX2 static void resample2_avx2(const struct axis *h, const unsigned char *restrict in,
                                unsigned char *restrict out)
{
    const __m256i order = _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,
                                           0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    const __m256i zero = _mm256_setzero_si256(), half = _mm256_set1_epi32(WEIGHT_HALF);
    const int *first = h->first;
    int i = 0;

    for (; i + 4 <= h->dst_size; i += 4) {
        __m128i l01 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(in + 4 * first[i])),
                                         _mm_loadl_epi64((const __m128i *)(in + 4 * first[i + 1])));
        __m128i l23 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(in + 4 * first[i + 2])),
                                         _mm_loadl_epi64((const __m128i *)(in + 4 * first[i + 3])));
        __m256i v = _mm256_shuffle_epi8(_mm256_set_m128i(l23, l01), order);
        const __m256i *wp = (const __m256i *)(h->pairs + 4 * (size_t)i);
        __m256i even = _mm256_madd_epi16(_mm256_unpacklo_epi8(v, zero), _mm256_loadu_si256(wp));
        __m256i odd = _mm256_madd_epi16(_mm256_unpackhi_epi8(v, zero), _mm256_loadu_si256(wp + 1));
        even = _mm256_srai_epi32(_mm256_add_epi32(even, half), WEIGHT_BITS);
        odd = _mm256_srai_epi32(_mm256_add_epi32(odd, half), WEIGHT_BITS);
        v = _mm256_packs_epi32(even, odd);
        v = _mm256_permute4x64_epi64(_mm256_packus_epi16(v, v), 0x08);
        _mm_storeu_si128((__m128i *)(out + 4 * (size_t)i), _mm256_castsi256_si128(v));
    }
    for (; i < h->dst_size; i++) {
        __m128i v = one_pixel(h, in, i);
        v = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
        int pixel = _mm_cvtsi128_si32(v);
        memcpy(out + 4 * (size_t)i, &pixel, 4);
    }
}

AVX2 static void resample_avx2(const struct axis *h, const unsigned char *restrict in,
                               unsigned char *restrict out)
{
    int i = 0;

    for (; i + 4 <= h->dst_size; i += 4) {
        __m128i a = _mm_packs_epi32(one_pixel(h, in, i), one_pixel(h, in, i + 1));
        __m128i b = _mm_packs_epi32(one_pixel(h, in, i + 2), one_pixel(h, in, i + 3));
        _mm_storeu_si128((__m128i *)(out + 4 * (size_t)i), _mm_packus_epi16(a, b));
    }
    for (; i < h->dst_size; i++) {
        __m128i v = one_pixel(h, in, i);
        v = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
        int pixel = _mm_cvtsi128_si32(v);
        memcpy(out + 4 * (size_t)i, &pixel, 4);
    }
}

static int use_avx2(void)
{
    return xtars_cpu_has_avx2() && simd_enabled;
}
#else
static int use_avx2(void)
{
    return 0;
}
#endif

/* ---- driver -------------------------------------------------------------- */

struct kernels {
    void (*blend)(const unsigned char *const *rows, const int *w, int count, int x0, int n,
                  unsigned char *restrict out);
    void (*resample)(const struct axis *h, const unsigned char *restrict in,
                     unsigned char *restrict out);
};

struct xtars_resizer {
    struct axis h;
    struct axis v;
    struct kernels k;
};

void xtars_resizer_free(struct xtars_resizer *r)
{
    if (r == NULL)
        return;
    axis_cleanup(&r->h);
    axis_cleanup(&r->v);
    free(r);
}

xtars_err xtars_resizer_new(int src_width, int src_height, int width, int height,
                            struct xtars_resizer **out)
{
    struct xtars_resizer *r = calloc(1, sizeof *r);
    xtars_err rc = r ? axis_init(&r->h, src_width, width) : XTARS_ENOMEM;

    *out = NULL;
    if (rc == XTARS_OK)
        rc = axis_init(&r->v, src_height, height);
    if (rc != XTARS_OK) {
        xtars_resizer_free(r);
        return XTARS_ENOMEM;
    }
    r->k = (struct kernels){blend_c, resample_c};
#ifdef HAVE_AVX2_KERNELS
    if (use_avx2()) {
        r->k.blend = blend_avx2;
        r->k.resample = r->h.taps <= 2 ? resample2_avx2 : resample_avx2;
    }
#endif
    *out = r;
    return XTARS_OK;
}

/* Scratch: one blended source row (padded for the kernels' overread), then
 * the row pointers of the vertical taps. */
static size_t row_bytes(const struct xtars_resizer *r)
{
    size_t n = (size_t)r->h.src_size * 4 + ROW_PAD;

    return (n + 15) & ~(size_t)15;
}

size_t xtars_resizer_scratch_size(const struct xtars_resizer *r)
{
    return row_bytes(r) + sizeof(const unsigned char *) * (size_t)r->v.taps;
}

void xtars_resizer_rows(const struct xtars_resizer *r, const struct xtars_image *src, int y0,
                        int y1, unsigned char *out, size_t out_stride, void *scratch)
{
    const struct axis *v = &r->v;
    const int same_width = r->h.src_size == r->h.dst_size;
    const int n = src->width * 4;
    unsigned char *row = scratch;
    const unsigned char **rows = (const unsigned char **)(void *)(row + row_bytes(r));

    memset(row + n, 0, ROW_PAD); /* what the kernels read past the row, times weight 0 */
    for (int y = y0; y < y1; y++, out += out_stride) {
        unsigned char *blended = same_width ? out : row;
        const int count = v->count[y];

        for (int j = 0; j < count; j++)
            rows[j] = src->pixels + (size_t)(v->first[y] + j) * src->stride;
        if (count == 1)
            memcpy(blended, rows[0], (size_t)n);
        else
            r->k.blend(rows, v->weights + (size_t)y * v->max_taps, count, 0, n, blended);
        if (!same_width)
            r->k.resample(&r->h, row, out);
    }
}

/* What one resize call's bands share (read-only but the per-band flags). */
struct resize_job {
    const struct xtars_resizer *r;
    const struct xtars_image *src;
    struct xtars_image *dst;
    int bands;
    int failed[XTARS_BANDS_MAX];
};

static void resize_band(void *arg, int band, int worker)
{
    struct resize_job *job = arg;
    void *scratch = malloc(xtars_resizer_scratch_size(job->r));
    int y0, y1;

    (void)worker;
    xtars_bands_rows(job->dst->height, job->bands, band, &y0, &y1);
    if (scratch)
        xtars_resizer_rows(job->r, job->src, y0, y1, job->dst->pixels + (size_t)y0 * job->dst->stride,
                           (size_t)job->dst->stride, scratch);
    else
        job->failed[band] = 1;
    free(scratch);
}

static void copy_image(const struct xtars_image *src, struct xtars_image *dst)
{
    for (int y = 0; y < src->height; y++)
        memcpy(dst->pixels + (size_t)y * dst->stride, src->pixels + (size_t)y * src->stride,
               (size_t)src->width * 4);
}

xtars_err xtars_image_resize(const struct xtars_image *src, int width, int height,
                             struct xtars_image *dst, char err[static XTARS_ERRLEN])
{
    struct resize_job job = {.src = src, .dst = dst};
    struct xtars_resizer *r;
    xtars_err rc;

    if (src == NULL || src->pixels == NULL || src->width < 1 || src->height < 1)
        return xtars_error(err, XTARS_EINVAL, "resize: empty source image");
    rc = xtars_image_alloc(dst, width, height, err);
    if (rc != XTARS_OK)
        return rc;
    if (width == src->width && height == src->height) {
        copy_image(src, dst);
        return XTARS_OK;
    }
    if (xtars_resizer_new(src->width, src->height, width, height, &r) != XTARS_OK)
        return xtars_error(err, XTARS_ENOMEM, "resize: out of memory");
    job.r = r;
    job.bands = xtars_bands_count((long)width * height);
    xtars_bands_run(job.bands, resize_band, &job);
    xtars_resizer_free(r);
    for (int b = 0; b < job.bands; b++)
        if (job.failed[b])
            return xtars_error(err, XTARS_ENOMEM, "resize: out of memory");
    return XTARS_OK;
}
