/* base64.c: table-driven RFC 4648 codec. The encoder handles three bytes per
 * iteration with no branches in the loop body, so multi-megabyte images cost
 * about a memory pass. Never prints. */
#include "xtars/base64.h"

#include <stdint.h>

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
    for (i = 0; i < full; i += 3) {
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
