/* base64.c: table-driven RFC 4648 codec. The encoder handles three bytes per
 * iteration with no branches in the loop body; on x86-64 CPUs with AVX2 it
 * first does 24 bytes per step with vector shuffles and multiplies (Mula and
 * Lemire's method), about ten times faster, so a screenshot's base64 costs a
 * fraction of a millisecond. Never prints. */
#include "agent/base/base64.h"
#include "agent/base/cpu.h"

#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_BASE64 1
#endif

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 255 for anything else. A
 * function rather than a lazily built table keeps the decoder thread-safe;
 * decoding is off the hot path (tests, imports). */
static uint8_t decode_char(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return (uint8_t)(ch - 'A');
    if (ch >= 'a' && ch <= 'z')
        return (uint8_t)(ch - 'a' + 26);
    if (ch >= '0' && ch <= '9')
        return (uint8_t)(ch - '0' + 52);
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return ch == '=' ? 64 : 255;
}

size_t xtars_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

#ifdef HAVE_AVX2_BASE64
/* 32 six-bit indices to their alphabet characters: offsets picked by range
 * (A-Z, a-z, 0-9, +, /) through one byte shuffle. */
__attribute__((target("avx2"))) static __m256i to_ascii(__m256i index)
{
    const __m256i offsets = _mm256_setr_epi8(
        'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0, 'a' - 26, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63,
        'A', 0, 0);
    /* 0 for a-z, 1..12 for digits, '+', '/'; 13 for A-Z. */
    __m256i range = _mm256_subs_epu8(index, _mm256_set1_epi8(51));
    __m256i upper = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), index);

    range = _mm256_or_si256(range, _mm256_and_si256(upper, _mm256_set1_epi8(13)));
    return _mm256_add_epi8(_mm256_shuffle_epi8(offsets, range), index);
}

/* Encodes whole 24-byte groups while 28 bytes can be read (each half loads
 * 16); returns how many input bytes it consumed. */
__attribute__((target("avx2"))) static size_t encode_avx2(const uint8_t *in, size_t n, char *dst)
{
    const __m256i order = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, 1,
                                           0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    size_t i = 0;

    for (; i + 28 <= n; i += 24) {
        __m256i v = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(in + i))),
            _mm_loadu_si128((const __m128i *)(in + i + 12)), 1);
        /* Each 3 bytes become one 32-bit lane holding four 6-bit fields. */
        v = _mm256_shuffle_epi8(v, order);
        __m256i hi = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)),
                                        _mm256_set1_epi32(0x04000040));
        __m256i lo = _mm256_mullo_epi16(_mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)),
                                        _mm256_set1_epi32(0x01000010));
        _mm256_storeu_si256((__m256i *)(dst + i / 3 * 4), to_ascii(_mm256_or_si256(hi, lo)));
    }
    return i;
}

#endif

xtars_err xtars_base64_encode(struct xtars_buf *out, const void *src, size_t n)
{
    const uint8_t *in = src;
    size_t full = n / 3 * 3, i;
    char *dst;
    xtars_err rc;

    if (n > ((size_t)-1) / 2)
        return XTARS_ETOOBIG;
    rc = xtars_buf_reserve(out, xtars_base64_encoded_len(n));
    if (rc != XTARS_OK)
        return rc;
    dst = out->data + out->len;
    i = 0;
#ifdef HAVE_AVX2_BASE64
    if (xtars_cpu_has_avx2()) {
        i = encode_avx2(in, n, dst);
        dst += i / 3 * 4;
    }
#endif
    for (; i < full; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = alphabet[(v >> 6) & 63];
        dst[3] = alphabet[v & 63];
        dst += 4;
    }
    if (n - full == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = '=';
        dst[3] = '=';
        dst += 4;
    } else if (n - full == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        dst[0] = alphabet[v >> 18];
        dst[1] = alphabet[(v >> 12) & 63];
        dst[2] = alphabet[(v >> 6) & 63];
        dst[3] = '=';
        dst += 4;
    }
    out->len = (size_t)(dst - out->data);
    out->data[out->len] = '\0';
    return XTARS_OK;
}

xtars_err xtars_base64_decode(struct xtars_buf *out, const char *text, size_t n, char *err)
{
    size_t start = out->len, i;
    uint8_t *dst;
    xtars_err rc;

    if (n % 4 != 0)
        return xtars_error(err, XTARS_EPARSE, "base64: length %zu is not a multiple of 4", n);
    rc = xtars_buf_reserve(out, n / 4 * 3);
    if (rc != XTARS_OK)
        return rc;
    dst = (uint8_t *)out->data + out->len;
    for (i = 0; i < n; i += 4) {
        uint8_t a = decode_char((uint8_t)text[i]), b = decode_char((uint8_t)text[i + 1]);
        uint8_t c = decode_char((uint8_t)text[i + 2]), d = decode_char((uint8_t)text[i + 3]);
        int last = i + 4 == n;

        if (a > 63 || b > 63 || c == 255 || d == 255 || (c == 64 && d != 64) ||
            (!last && (c == 64 || d == 64))) {
            size_t at = i;
            while (at < i + 4 && decode_char((uint8_t)text[at]) <= 63)
                at++;
            out->len = start;
            out->data[start] = '\0';
            return xtars_error(err, XTARS_EPARSE, "base64: invalid data at offset %zu", at);
        }
        *dst++ = (uint8_t)(a << 2 | b >> 4);
        if (c != 64)
            *dst++ = (uint8_t)(b << 4 | c >> 2);
        if (d != 64)
            *dst++ = (uint8_t)(c << 6 | d);
    }
    out->len = (size_t)((char *)dst - out->data);
    out->data[out->len] = '\0';
    return XTARS_OK;
}
