/* base64: the RFC 4648 section 10 vectors, random round trips against a
 * bit-by-bit reference decoder, and rejection of malformed input. */
#include "test.h"
#include "agent/base/base64.h"

static const char *const vectors[][2] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(rfc4648_vectors_encode)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        struct xtars_buf b;
        xtars_buf_init(&b, 100);
        ASSERT_EQ(xtars_base64_encode(&b, vectors[i][0], strlen(vectors[i][0])), XTARS_OK);
        ASSERT_STR_EQ(b.data ? b.data : "", vectors[i][1]);
        ASSERT_EQ(xtars_base64_encoded_len(strlen(vectors[i][0])), strlen(vectors[i][1]));
        xtars_buf_cleanup(&b);
    }
}

TEST(rfc4648_vectors_decode)
{
    char err[XTARS_ERRLEN];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        struct xtars_buf b;
        xtars_buf_init(&b, 100);
        ASSERT_EQ(xtars_base64_decode(&b, vectors[i][1], strlen(vectors[i][1]), err), XTARS_OK);
        ASSERT_EQ(b.len, strlen(vectors[i][0]));
        ASSERT_MEM_EQ(b.data ? b.data : "", vectors[i][0], b.len);
        xtars_buf_cleanup(&b);
    }
}

/* Independent, slow encoder: one bit at a time. */
static void reference_encode(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t bits = n * 8, o = 0;

    for (size_t bit = 0; bit < bits; bit += 6) {
        int v = 0;
        for (int k = 0; k < 6; k++) {
            size_t b = bit + (size_t)k;
            int set = b < bits ? (in[b / 8] >> (7 - b % 8)) & 1 : 0;
            v = v << 1 | set;
        }
        out[o++] = a[v];
    }
    while (o % 4)
        out[o++] = '=';
    out[o] = '\0';
}

TEST(random_round_trips)
{
    unsigned char data[3000];
    char expect[4100], err[XTARS_ERRLEN];
    unsigned seed = 12345;

    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(round * 7 % 3000);
        struct xtars_buf enc, dec;

        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = (unsigned char)(seed >> 16);
        }
        reference_encode(data, n, expect);
        xtars_buf_init(&enc, 1 << 20);
        xtars_buf_init(&dec, 1 << 20);
        ASSERT_EQ(xtars_base64_encode(&enc, data, n), XTARS_OK);
        ASSERT_STR_EQ(enc.data ? enc.data : "", expect);
        ASSERT_EQ(xtars_base64_decode(&dec, enc.data ? enc.data : "", enc.len, err), XTARS_OK);
        ASSERT_EQ(dec.len, n);
        ASSERT_MEM_EQ(dec.data ? dec.data : "", data, n);
        xtars_buf_cleanup(&enc);
        xtars_buf_cleanup(&dec);
    }
}

TEST(appends_after_existing_content)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 100);
    xtars_buf_puts(&b, "data:image/png;base64,");
    ASSERT_EQ(xtars_base64_encode(&b, "foobar", 6), XTARS_OK);
    ASSERT_STR_EQ(b.data, "data:image/png;base64,Zm9vYmFy");
    xtars_buf_cleanup(&b);
}

TEST(rejects_malformed)
{
    static const char *const bad[] = {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg==Zg==", "=AAA",
                                      "Zm 9v", "Zg=a"};
    char err[XTARS_ERRLEN];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct xtars_buf b;
        xtars_buf_init(&b, 100);
        xtars_buf_puts(&b, "keep");
        ASSERT_EQ(xtars_base64_decode(&b, bad[i], strlen(bad[i]), err), XTARS_EPARSE);
        ASSERT_STR_CONTAINS(err, "base64:");
        ASSERT_STR_EQ(b.data, "keep");
        xtars_buf_cleanup(&b);
    }
}

TEST(encode_respects_cap)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 7);
    ASSERT_EQ(xtars_base64_encode(&b, "foobar", 6), XTARS_ETOOBIG);
    ASSERT_EQ(b.len, 0);
    ASSERT_EQ(xtars_base64_encode(&b, "foo", 3), XTARS_ETOOBIG); /* sticky (buf.h) */
    xtars_buf_reset(&b);
    ASSERT_EQ(xtars_base64_encode(&b, "foo", 3), XTARS_OK);
    ASSERT_STR_EQ(b.data, "Zm9v");
    xtars_buf_cleanup(&b);
}

/* Every length from 0 to 300 (the vector encoder works in 24-byte groups
 * and needs 28 readable bytes, so the tails before and after matter), also
 * when appending after odd-length content. */
TEST(every_length_matches_the_reference)
{
    unsigned char data[300];
    char expect[420];

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 151 + 7);
    for (size_t n = 0; n <= sizeof data; n++) {
        struct xtars_buf enc;
        reference_encode(data, n, expect);
        xtars_buf_init(&enc, 1 << 20);
        ASSERT_EQ(xtars_buf_puts(&enc, "x:"), XTARS_OK);
        ASSERT_EQ(xtars_base64_encode(&enc, data, n), XTARS_OK);
        ASSERT_STR_EQ(enc.data + 2, expect);
        xtars_buf_cleanup(&enc);
    }
}
