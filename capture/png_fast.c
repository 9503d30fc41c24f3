/* png_fast.c: the PNG fast path. libpng spends most of a screenshot's time
 * in zlib; ISA-L's igzip compresses about ten times faster for a slightly
 * larger file. This file writes the PNG container itself (signature, IHDR,
 * one IDAT holding a zlib stream of filtered RGB rows, IEND) so that igzip
 * can be used; the result is an ordinary PNG that libpng decodes to the same
 * pixels (the tests check every image they encode).
 * Rows are filtered a chunk at a time
 * straight from the B,G,R,X pixels, so no RGB copy of the whole image exists;
 * when the image is to be resized first, each chunk's rows are resized just
 * before they are filtered, so no resized copy exists either and the rows are
 * still in cache. Each chunk goes Sub-filtered to igzip level 1, or, when
 * its residuals look like noise (photos), Average-filtered into a
 * literal-only Huffman block written here.
 * Large images are compressed in horizontal bands on a few threads, each band
 * its own deflate stream (byte-aligned at its end), concatenated into one
 * zlib stream, the way pigz does. Never prints. */
#include "codec.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef XTARS_HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "bands.h"
#include "agent/base/cpu.h"
#include "resizer.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_FILTER 1
#endif

#define CHUNK_BYTES (128 * 1024) /* filtered input handed to igzip at a time */
#define OUT_STEP (256 * 1024)    /* minimum free output space per igzip call */
#define ROW_SLACK 32             /* the vector filter stores a little past a row */

int xtars_png_fast_available(void)
{
    return 1;
}

const char *xtars_png_fast_version(void)
{
#ifdef XTARS_ISAL_VERSION
    return XTARS_ISAL_VERSION;
#else
    return "unknown";
#endif
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends a whole chunk: length, type, data, CRC of type and data. */
static xtars_err put_chunk(struct xtars_buf *out, const char *type, const unsigned char *data,
                           uint32_t len)
{
    unsigned char head[8], tail[4];
    uint32_t crc;
    xtars_err rc;

    put_be32(head, len);
    memcpy(head + 4, type, 4);
    crc = crc32_gzip_refl(0, head + 4, 4);
    crc = crc32_gzip_refl(crc, data, len);
    put_be32(tail, crc);
    rc = xtars_buf_append(out, head, 8);
    if (rc == XTARS_OK)
        rc = xtars_buf_append(out, data, len);
    if (rc == XTARS_OK)
        rc = xtars_buf_append(out, tail, 4);
    return rc;
}

static xtars_err put_header(struct xtars_buf *out, int width, int height)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    xtars_err rc;

    put_be32(ihdr, (uint32_t)width);
    put_be32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;   /* bits per sample */
    ihdr[9] = 2;   /* colour type: RGB */
    ihdr[10] = 0;  /* deflate */
    ihdr[11] = 0;  /* adaptive filtering (filter type per row) */
    ihdr[12] = 0;  /* no interlace */
    rc = xtars_buf_append(out, signature, 8);
    return rc == XTARS_OK ? put_chunk(out, "IHDR", ihdr, 13) : rc;
}

static int simd_filters = 1;
static atomic_int literal_chunks; /* of the last encode, for tests */

int xtars_png_fast_literal_chunks(void)
{
    return atomic_load(&literal_chunks);
}

void xtars_png_fast_set_simd(int enabled)
{
    simd_filters = enabled;
}

/* One row as PNG filter type 1 (Sub): each byte minus the byte 3 before it
 * (the same channel of the previous pixel), pixels reordered to R, G, B. */
static void sub_row_c(const unsigned char *in, int width, int first, unsigned char *o)
{
    for (int x = first; x < width; x++) {
        const unsigned char *p = in + 4 * (size_t)x;
        unsigned char *q = o + 3 * (size_t)x;
        if (x == 0) {
            q[0] = p[2];
            q[1] = p[1];
            q[2] = p[0];
        } else {
            q[0] = (unsigned char)(p[2] - p[-2]);
            q[1] = (unsigned char)(p[1] - p[-3]);
            q[2] = (unsigned char)(p[0] - p[-4]);
        }
    }
}

/* One row as filter type 3 (Average): each byte minus the floor of the
 * mean of left (a) and up (b). */
static void avg_row_c(const unsigned char *in, const unsigned char *up, int width, int first,
                      unsigned char *o)
{
    for (int x = first; x < width; x++) {
        const unsigned char *p = in + 4 * (size_t)x, *u = up + 4 * (size_t)x;
        unsigned char *q = o + 3 * (size_t)x;
        for (int ch = 0; ch < 3; ch++) {
            int a = x ? p[ch - 4] : 0;
            q[2 - ch] = (unsigned char)(p[ch] - ((a + u[ch]) >> 1));
        }
    }
}

#ifdef HAVE_AVX2_FILTER
/* Drops X and reverses B,G,R within each 16-byte lane of eight filtered
 * pixels and stores the 24 bytes. Each lane's 12 useful bytes are stored as
 * 16, the extra 4 overwritten by the next store (a row buffer has ROW_SLACK
 * spare bytes after it). */
__attribute__((target("avx2"))) static void store_rgb_avx2(__m256i d, unsigned char *o)
{
    const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                           2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);

    d = _mm256_shuffle_epi8(d, order);
    _mm_storeu_si128((__m128i *)o, _mm256_castsi256_si128(d));
    _mm_storeu_si128((__m128i *)(o + 12), _mm256_extracti128_si256(d, 1));
}

/* Sub, eight pixels per step: the pixel vector minus itself shifted by one
 * pixel. */
__attribute__((target("avx2"))) static void sub_row_avx2(const unsigned char *in, int width,
                                                         unsigned char *o)
{
    int x = 1;

    sub_row_c(in, 1, 0, o);
    for (; x + 8 <= width; x += 8) {
        __m256i cur = _mm256_loadu_si256((const __m256i *)(in + 4 * (size_t)x));
        __m256i prev = _mm256_loadu_si256((const __m256i *)(in + 4 * (size_t)x - 4));
        store_rgb_avx2(_mm256_sub_epi8(cur, prev), o + 3 * (size_t)x);
    }
    sub_row_c(in, width, x, o);
}

/* Average, eight pixels per step: the rounded-up byte mean minus the bit
 * it rounded up by is the floor the filter wants. */
__attribute__((target("avx2"))) static void avg_row_avx2(const unsigned char *in,
                                                         const unsigned char *up, int width,
                                                         unsigned char *o)
{
    const __m256i one = _mm256_set1_epi8(1);
    int x = 1;

    avg_row_c(in, up, 1, 0, o);
    for (; x + 8 <= width; x += 8) {
        size_t at = 4 * (size_t)x;
        __m256i cur = _mm256_loadu_si256((const __m256i *)(in + at));
        __m256i a = _mm256_loadu_si256((const __m256i *)(in + at - 4));
        __m256i b = _mm256_loadu_si256((const __m256i *)(up + at));
        __m256i mean = _mm256_sub_epi8(_mm256_avg_epu8(a, b),
                                       _mm256_and_si256(_mm256_xor_si256(a, b), one));
        store_rgb_avx2(_mm256_sub_epi8(cur, mean), o + 3 * (size_t)x);
    }
    avg_row_c(in, up, width, x, o);
}

#endif

/* PNG filter types used here. */
enum { FILTER_SUB = 1, FILTER_AVG = 3 };

/* One filtered row: its filter type byte, then the R,G,B bytes. Without
 * the row above (up == NULL: a band's first row) always Sub. */
static void filter_row(int kind, const unsigned char *in, const unsigned char *up, int width,
                       unsigned char *o)
{
    if (up == NULL)
        kind = FILTER_SUB;
    o[0] = (unsigned char)kind;
#ifdef HAVE_AVX2_FILTER
    if (simd_filters && xtars_cpu_has_avx2()) {
        if (kind == FILTER_SUB)
            sub_row_avx2(in, width, o + 1);
        else
            avg_row_avx2(in, up, width, o + 1);
        return;
    }
#endif
    if (kind == FILTER_SUB)
        sub_row_c(in, width, 0, o + 1);
    else
        avg_row_c(in, up, width, 0, o + 1);
}

/* Runs igzip until it has taken all of the stream's input and, when asked
 * to flush or end, written it all out; grows out as needed. */
static xtars_err deflate_into(struct isal_zstream *zs, struct xtars_buf *out, char *err)
{
    for (;;) {
        int ret;
        size_t room;
        xtars_err rc = xtars_buf_reserve(out, OUT_STEP);

        if (rc != XTARS_OK)
            return xtars_error(err, rc, "png: encoded image exceeds %zu bytes", out->max);
        room = out->cap - out->len - 1;
        zs->next_out = (uint8_t *)out->data + out->len;
        zs->avail_out = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
        ret = isal_deflate(zs);
        out->len = (size_t)((char *)zs->next_out - out->data);
        if (ret != COMP_OK)
            return xtars_error(err, XTARS_EFORMAT, "png: igzip failed (%d)", ret);
        if (zs->avail_in > 0)
            continue;
        if (zs->end_of_stream ? zs->internal_state.state == ZSTATE_END
                              : zs->flush == NO_FLUSH || zs->avail_out > 0)
            return XTARS_OK;
    }
}

/* One band of rows becomes a raw deflate stream that ends byte-aligned (a
 * sync flush) unless it is the last band, which ends the stream; the bands'
 * streams are concatenated into one zlib stream. Each band starts with an
 * empty history, which costs almost nothing in size. */
struct band_out {
    struct xtars_buf data;
    uint32_t adler;     /* Adler-32 of the band's filtered bytes */
    size_t raw_len;     /* filtered bytes */
    xtars_err rc;
    char err[XTARS_ERRLEN];
};

/* Scratch of one worker thread, reused for each band it takes: the chunk of filtered rows, igzip's state and level
 * buffer, and for resizing, a chunk of resized rows and the resizer's. */
struct band_work {
    struct isal_zstream *zs;
    struct isal_huff_histogram *histogram; /* for the literal-only blocks */
    struct isal_hufftables *hufftables;
    int igzip_open;     /* igzip took input since its last full flush */
    unsigned char *chunk;
    unsigned char *level_buf;
    unsigned char *resized;
    void *resizer_scratch;
    int rows_per_chunk;
};

struct png_job {
    const struct xtars_image *img;     /* the source */
    const struct xtars_resizer *resizer; /* NULL: encode img as it is */
    int width;                         /* of the encoded image */
    int height;
    int level;
    int bands;
    struct band_out out[XTARS_BANDS_MAX];
    struct band_work work[XTARS_WORKERS_MAX];
    int work_state[XTARS_WORKERS_MAX]; /* 0 not made, 1 ready, -1 out of memory */
};

static const uint32_t level_buf_size[4] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                           ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};

/* ---- literal-only blocks ----
 * On noisy, photo-like rows the filtered bytes hold almost no repeats, and
 * igzip spends its time looking for matches it does not find (about 2 ns a
 * byte, most of a photo's encoding time). Such a chunk is written as one
 * dynamic-Huffman deflate block of literals only: a byte histogram, a code
 * built by ISA-L (isal_create_hufftables_subset), then one table look-up and
 * a shift per byte, several times faster for a file a few percent larger.
 * Chunks with flat areas, text or repeats keep igzip. */

/* Byte counts of a sample of a chunk, one byte in `step` (a prime other
 * than 3, so every channel is seen); four tables so that runs of one value
 * do not all wait on the same counter. Returns the number counted. */
#define ZEROS_SPAN 32    /* contiguous bytes looked at ... */
#define ZEROS_STEP 4096  /* ... in every this many, to see a chunk is mostly zeros */
#define DECIDE_STEP 31  /* enough to judge a chunk */
#define CODE_STEP 7     /* enough to build its code (every value gets one) */

static size_t count_sample(const unsigned char *data, size_t n, size_t step, uint32_t hist[256])
{
    uint32_t part[4][256];
    size_t i = 0, counted = 0;

    memset(part, 0, sizeof part);
    for (; i + 3 * step < n; i += 4 * step, counted += 4) {
        part[0][data[i]]++;
        part[1][data[i + step]]++;
        part[2][data[i + 2 * step]]++;
        part[3][data[i + 3 * step]]++;
    }
    for (; i < n; i += step, counted++)
        part[0][data[i]]++;
    for (int v = 0; v < 256; v++)
        hist[v] = part[0][v] + part[1][v] + part[2][v] + part[3][v];
    return counted;
}

/* Whether literals alone beat igzip, judged from the sample of Sub
 * residuals: at most 40% of them zero (flat areas and text filter to runs
 * of zeros that matches shrink to nothing) and an order-0 entropy of at
 * least 2 bits a byte. A full-screen photo's chunks (10-17% zeros, 3.1-4.0
 * bits) become literal blocks, which take half igzip's time and come out
 * 10-20% smaller; the rows of the benchmark's mixed screen that cross its
 * photo (50-58% zeros, text beside the photo) stay with igzip, which is
 * smaller there. */
#define LITERAL_MIN_BITS 2.0
#define LITERAL_MAX_ZEROS 0.4

/* Whether more than LITERAL_MAX_ZEROS of a sparse sample (runs of 32 bytes,
 * one in 4 KB) are zero: the cheap first test, which settles the chunks of
 * text and flat areas (most of a desktop) before any histogram is made. */
static int mostly_zeros(const unsigned char *data, size_t n)
{
    size_t zeros = 0, seen = 0;

    for (size_t i = 0; i + ZEROS_SPAN <= n; i += ZEROS_STEP, seen += ZEROS_SPAN)
        for (size_t j = i; j < i + ZEROS_SPAN; j++)
            zeros += data[j] == 0;
    return seen > 0 && zeros > LITERAL_MAX_ZEROS * (double)seen;
}

static int literals_pay(const uint32_t hist[256], size_t n)
{
    static const double inv_ln2 = 1.4426950408889634;
    double bits = 0;

    if (n < 256 || hist[0] > LITERAL_MAX_ZEROS * (double)n)
        return 0;
    for (int v = 0; v < 256; v++)
        if (hist[v])
            bits -= hist[v] * log((double)hist[v] / (double)n);
    return bits * inv_ln2 >= LITERAL_MIN_BITS * (double)n;
}

/* Deflate's bit order (least significant first) into a buffer with at
 * least 8 spare bytes after the output: whole bytes are stored after every
 * put with one unaligned 8-byte write, so fewer than 8 bits stay pending. */
struct bit_writer {
    unsigned char *p;
    uint64_t bits;
    int count;      /* pending bits, < 8 between calls */
};

static void flush_bytes(struct bit_writer *bw)
{
    memcpy(bw->p, &bw->bits, 8); /* deflate is little-endian, like x86 */
    bw->p += bw->count >> 3;
    bw->bits >>= bw->count & ~7;
    bw->count &= 7;
}

/* value has at most 32 bits (count <= 32). */
static void put_bits(struct bit_writer *bw, uint64_t value, int count)
{
    bw->bits |= value << bw->count;
    bw->count += count;
    flush_bytes(bw);
}

/* Pads to a byte with an empty stored block (final when `last`): the
 * stream stays byte-aligned between blocks, as igzip's flushes leave it. */
static void put_empty_stored(struct bit_writer *bw, int last)
{
    put_bits(bw, last ? 1 : 0, 3);
    put_bits(bw, 0, (8 - bw->count) % 8);
    put_bits(bw, 0xffff0000u, 32);
}

/* Appends data[0..n) as one literal-only block and an empty stored block.
 * Returns 1, or 0 when ISA-L cannot make the code (the caller uses igzip). */
static int put_literal_block(struct band_work *w, const unsigned char *data, size_t n,
                             const uint32_t hist[256], int last, struct xtars_buf *out)
{
    const struct isal_hufftables *ht = w->hufftables;
    struct bit_writer bw = {NULL, 0, 0};
    uint32_t code[256]; /* code | length << 16 */
    size_t i = 0;

    memset(w->histogram, 0, sizeof *w->histogram);
    for (int v = 0; v < 256; v++)
        w->histogram->lit_len_histogram[v] = hist[v];
    w->histogram->lit_len_histogram[256] = 1; /* end of block */
    /* Every byte value gets a code, seen in the sample or not. */
    if (isal_create_hufftables(w->hufftables, w->histogram) != 0)
        return 0;
    /* At most 15 bits a byte, the header, end of block, stored block and
     * the 8-byte stores' overhang. */
    if (xtars_buf_reserve(out, n * 2 + sizeof ht->deflate_hdr + 64) != XTARS_OK)
        return 0;
    for (int v = 0; v < 256; v++)
        code[v] = ht->lit_table[v] | (uint32_t)ht->lit_table_sizes[v] << 16;
    bw.p = (unsigned char *)out->data + out->len;
    /* ISA-L's header starts with BFINAL set; this block is never final. */
    put_bits(&bw, ht->deflate_hdr[0] & 0xfe, 8);
    for (uint32_t b = 1; b < ht->deflate_hdr_count; b++)
        put_bits(&bw, ht->deflate_hdr[b], 8);
    if (ht->deflate_hdr_extra_bits)
        put_bits(&bw, ht->deflate_hdr[ht->deflate_hdr_count] &
                          ((1u << ht->deflate_hdr_extra_bits) - 1), (int)ht->deflate_hdr_extra_bits);
    /* Three codes (at most 45 bits) on the < 8 pending: never past 64. */
    for (; i + 3 <= n; i += 3) {
        uint32_t c0 = code[data[i]], c1 = code[data[i + 1]], c2 = code[data[i + 2]];
        bw.bits |= (uint64_t)(c0 & 0xffff) << bw.count;
        bw.count += (int)(c0 >> 16);
        bw.bits |= (uint64_t)(c1 & 0xffff) << bw.count;
        bw.count += (int)(c1 >> 16);
        bw.bits |= (uint64_t)(c2 & 0xffff) << bw.count;
        bw.count += (int)(c2 >> 16);
        flush_bytes(&bw);
    }
    for (; i < n; i++)
        put_bits(&bw, code[data[i]] & 0xffff, (int)(code[data[i]] >> 16));
    put_bits(&bw, ht->lit_table[256], ht->lit_table_sizes[256]);
    put_empty_stored(&bw, last);
    out->len = (size_t)((char *)bw.p - out->data);
    return 1;
}

/* Ends igzip's current block byte-aligned and forgets its history, so that
 * a literal block can follow and igzip can go on after it. */
static xtars_err igzip_full_flush(struct band_work *w, struct xtars_buf *out, char *err)
{
    xtars_err rc;

    w->zs->next_in = NULL;
    w->zs->avail_in = 0;
    w->zs->end_of_stream = 0;
    w->zs->flush = FULL_FLUSH;
    rc = deflate_into(w->zs, out, err);
    w->igzip_open = 0;
    return rc;
}

/* Filters rows y .. y + rows - 1 of the band starting at y0 into w->chunk
 * (the rows are in w->resized when resizing, row 0 of it being the row
 * above y). */
static void filter_chunk(const struct png_job *job, struct band_work *w, int kind, int y0, int y,
                         int rows)
{
    const size_t row_bytes = 1 + 3 * (size_t)job->width, bgrx_stride = 4 * (size_t)job->width;

    for (int r = 0; r < rows; r++) {
        const unsigned char *row, *up;
        if (job->resizer) {
            row = w->resized + (size_t)(r + 1) * bgrx_stride;
            up = y + r > y0 ? row - bgrx_stride : NULL;
        } else {
            row = job->img->pixels + (size_t)(y + r) * job->img->stride;
            up = y + r > y0 ? row - job->img->stride : NULL;
        }
        filter_row(kind, row, up, job->width, w->chunk + (size_t)r * row_bytes);
    }
}

/* One chunk of rows into the band's deflate stream: Sub-filtered through
 * igzip (text, flat areas and repeats, where Sub is as good as any filter
 * and cheapest), or, when a sample of the Sub residuals looks like noise,
 * Average-filtered (a better predictor on photos, nearly as cheap) into a
 * literal-only block. */
static xtars_err compress_chunk(const struct png_job *job, struct band_work *w,
                                struct band_out *bo, int y0, int y, int rows, int last_band,
                                int last_chunk)
{
    size_t n = (1 + 3 * (size_t)job->width) * (size_t)rows;
    uint32_t hist[256];
    xtars_err rc;

    filter_chunk(job, w, FILTER_SUB, y0, y, rows);
    if (!mostly_zeros(w->chunk, n) &&
        literals_pay(hist, count_sample(w->chunk, n, DECIDE_STEP, hist))) {
        rc = w->igzip_open ? igzip_full_flush(w, &bo->data, bo->err) : XTARS_OK;
        if (rc != XTARS_OK)
            return rc;
        filter_chunk(job, w, FILTER_AVG, y0, y, rows);
        count_sample(w->chunk, n, CODE_STEP, hist);
        if (put_literal_block(w, w->chunk, n, hist, last_band && last_chunk, &bo->data)) {
            atomic_fetch_add(&literal_chunks, 1);
            bo->adler = isal_adler32(bo->adler, w->chunk, n);
            bo->raw_len += n;
            return XTARS_OK;
        }
        filter_chunk(job, w, FILTER_SUB, y0, y, rows);
    }
    bo->adler = isal_adler32(bo->adler, w->chunk, n);
    bo->raw_len += n;
    w->zs->next_in = w->chunk;
    w->zs->avail_in = (uint32_t)n;
    w->zs->end_of_stream = last_band && last_chunk;
    w->zs->flush = !last_band && last_chunk ? SYNC_FLUSH : NO_FLUSH;
    w->igzip_open = 1;
    return deflate_into(w->zs, &bo->data, bo->err);
}

static xtars_err compress_rows(const struct png_job *job, struct band_out *bo, int y0, int y1,
                               int last_band, struct band_work *w)
{
    const size_t bgrx_stride = 4 * (size_t)job->width;

    for (int y = y0; y < y1; y += w->rows_per_chunk) {
        int rows = y1 - y < w->rows_per_chunk ? y1 - y : w->rows_per_chunk;
        xtars_err rc;

        if (job->resizer) {
            /* Row 0 of `resized` keeps the previous chunk's last row, the
             * row above this chunk's first. */
            if (y > y0)
                memcpy(w->resized, w->resized + (size_t)w->rows_per_chunk * bgrx_stride,
                       bgrx_stride);
            xtars_resizer_rows(job->resizer, job->img, y, y + rows, w->resized + bgrx_stride,
                               bgrx_stride, w->resizer_scratch);
        }
        rc = compress_chunk(job, w, bo, y0, y, rows, last_band, y + rows == y1);
        if (rc != XTARS_OK)
            return rc;
    }
    return XTARS_OK;
}

static int band_work_init(const struct png_job *job, struct band_work *w)
{
    const size_t row_bytes = 1 + 3 * (size_t)job->width;

    memset(w, 0, sizeof *w);
    w->rows_per_chunk = CHUNK_BYTES / row_bytes > 0 ? (int)(CHUNK_BYTES / row_bytes) : 1;
    w->zs = malloc(sizeof *w->zs);
    w->histogram = malloc(sizeof *w->histogram);
    w->hufftables = malloc(sizeof *w->hufftables);
    w->chunk = malloc(row_bytes * (size_t)w->rows_per_chunk + ROW_SLACK);
    /* Zeroed: igzip reads its hash table (in level_buf) before writing it;
     * stale entries are checked against the window, so the stream is valid
     * either way, but with garbage in them the bytes chosen could differ
     * from run to run, and valgrind rightly flags the reads. calloc of this
     * size gets fresh zero pages from mmap, so it costs next to nothing. */
    w->level_buf = calloc(1, level_buf_size[job->level]);
    if (job->resizer) {
        w->resized = malloc(4 * (size_t)job->width * ((size_t)w->rows_per_chunk + 1) + ROW_SLACK);
        w->resizer_scratch = malloc(xtars_resizer_scratch_size(job->resizer));
        if (w->resized == NULL || w->resizer_scratch == NULL)
            return 0;
    }
    return w->zs && w->histogram && w->hufftables && w->chunk && w->level_buf;
}

static void band_work_cleanup(struct band_work *w)
{
    free(w->zs);
    free(w->histogram);
    free(w->hufftables);
    free(w->chunk);
    free(w->level_buf);
    free(w->resized);
    free(w->resizer_scratch);
}

static void compress_band(void *arg, int band, int worker)
{
    struct png_job *job = arg;
    struct band_out *bo = &job->out[band];
    struct band_work *w = &job->work[worker];
    int y0, y1;

    bo->adler = 1;
    if (job->work_state[worker] == 0)
        job->work_state[worker] = band_work_init(job, w) ? 1 : -1;
    if (job->work_state[worker] < 0) {
        bo->rc = xtars_error(bo->err, XTARS_ENOMEM, "png: out of memory");
        return;
    }
    isal_deflate_init(w->zs);
    w->igzip_open = 0;
    w->zs->level = (uint32_t)job->level;
    w->zs->level_buf = w->level_buf;
    w->zs->level_buf_size = level_buf_size[job->level];
    w->zs->gzip_flag = IGZIP_DEFLATE;
    xtars_bands_rows(job->height, job->bands, band, &y0, &y1);
    bo->rc = compress_rows(job, bo, y0, y1, band == job->bands - 1, w);
}

/* Writes the IDAT chunk: zlib header, the bands' deflate streams, Adler-32
 * of all filtered bytes; length and CRC filled in at the end. */
static xtars_err put_idat(struct png_job *job, struct xtars_buf *out, char *err)
{
    static const unsigned char zlib_header[2] = {0x78, 0x01}; /* deflate, 32K window, fastest */
    size_t idat = out->len;
    uint32_t adler = 1;
    unsigned char trailer[4], crc[4];
    xtars_err rc = xtars_buf_append(out, "\0\0\0\0IDAT", 8);

    if (rc == XTARS_OK)
        rc = xtars_buf_append(out, zlib_header, 2);
    for (int b = 0; b < job->bands && rc == XTARS_OK; b++) {
        rc = xtars_buf_append(out, job->out[b].data.data, job->out[b].data.len);
        adler = (uint32_t)adler32_combine(adler, job->out[b].adler, (z_off_t)job->out[b].raw_len);
    }
    put_be32(trailer, adler);
    if (rc == XTARS_OK)
        rc = xtars_buf_append(out, trailer, 4);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "png: encoded image exceeds %zu bytes", out->max);
    if (out->len - idat - 8 > 0x7fffffffu)
        return xtars_error(err, XTARS_ETOOBIG, "png: IDAT larger than 2 GB");
    put_be32((unsigned char *)out->data + idat, (uint32_t)(out->len - idat - 8));
    put_be32(crc, crc32_gzip_refl(0, (unsigned char *)out->data + idat + 4, out->len - idat - 4));
    rc = xtars_buf_append(out, crc, 4);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "png: encoded image exceeds %zu bytes", out->max);
    return XTARS_OK;
}

static xtars_err encode_bands(struct png_job *job, struct xtars_buf *out, char *err)
{
    xtars_err rc;

    for (int b = 0; b < job->bands; b++)
        xtars_buf_init(&job->out[b].data, out->max);
    xtars_bands_run(job->bands, compress_band, job);
    rc = put_header(out, job->width, job->height);
    if (rc != XTARS_OK)
        xtars_error(err, rc, "png: encoded image exceeds %zu bytes", out->max);
    for (int b = 0; b < job->bands && rc == XTARS_OK; b++)
        if (job->out[b].rc != XTARS_OK) {
            rc = job->out[b].rc;
            xtars_error(err, rc, "%s", job->out[b].err);
        }
    if (rc == XTARS_OK)
        rc = put_idat(job, out, err);
    if (rc == XTARS_OK) {
        rc = put_chunk(out, "IEND", (const unsigned char *)"", 0);
        if (rc != XTARS_OK)
            xtars_error(err, rc, "png: encoded image exceeds %zu bytes", out->max);
    }
    for (int b = 0; b < job->bands; b++)
        xtars_buf_cleanup(&job->out[b].data);
    for (int w = 0; w < XTARS_WORKERS_MAX; w++)
        if (job->work_state[w] != 0)
            band_work_cleanup(&job->work[w]);
    return rc;
}

xtars_err xtars_png_fast_encode(const struct xtars_image *img, int width, int height,
                                const struct xtars_resizer *resizer, int level,
                                struct xtars_buf *out, char *err)
{
    size_t start = out->len;
    struct png_job *job;
    xtars_err rc;

    if (level < 1 || level > 3)
        return xtars_error(err, XTARS_EINVAL, "png: fast path level %d is not 1..3", level);
    job = calloc(1, sizeof *job);
    if (job == NULL)
        return xtars_error(err, XTARS_ENOMEM, "png: out of memory");
    job->img = img;
    job->resizer = resizer;
    job->width = resizer ? width : img->width;
    job->height = resizer ? height : img->height;
    job->level = level;
    job->bands = xtars_bands_count((long)job->width * job->height);
    atomic_store(&literal_chunks, 0);
    rc = encode_bands(job, out, err);
    free(job);
    if (rc != XTARS_OK) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

#else /* built without ISA-L: png.c uses libpng for every level */

int xtars_png_fast_literal_chunks(void)
{
    return 0;
}

void xtars_png_fast_set_simd(int enabled)
{
    (void)enabled;
}

int xtars_png_fast_available(void)
{
    return 0;
}

const char *xtars_png_fast_version(void)
{
    return "none";
}

xtars_err xtars_png_fast_encode(const struct xtars_image *img, int width, int height,
                                const struct xtars_resizer *resizer, int level,
                                struct xtars_buf *out, char *err)
{
    (void)img;
    (void)width;
    (void)height;
    (void)resizer;
    (void)level;
    (void)out;
    return xtars_error(err, XTARS_ENOTSUP, "png: built without ISA-L");
}
#endif
