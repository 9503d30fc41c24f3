/* Capped buffers: growth, the cap, and that failures leave the buffer intact. */
#include <stdio.h>

#include "test.h"
#include "xtars/buf.h"

TEST(append_and_terminate)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 100);
    ASSERT(b.data == NULL);
    ASSERT_EQ(xtars_buf_puts(&b, "hello"), XTARS_OK);
    ASSERT_EQ(xtars_buf_putc(&b, ' '), XTARS_OK);
    ASSERT_EQ(xtars_buf_printf(&b, "%d-%s", 42, "x"), XTARS_OK);
    ASSERT_STR_EQ(b.data, "hello 42-x");
    ASSERT_EQ(b.len, 10);
    xtars_buf_reset(&b);
    ASSERT_EQ(b.len, 0);
    ASSERT_STR_EQ(b.data, "");
    xtars_buf_cleanup(&b);
    xtars_buf_cleanup(&b); /* twice is fine */
    xtars_buf_cleanup(NULL);
}

TEST(cap_is_exact_and_failure_leaves_buffer_unchanged)
{
    struct xtars_buf b;
    char ten[11] = "0123456789";

    xtars_buf_init(&b, 25);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_OK);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_OK);
    ASSERT_EQ(xtars_buf_append(&b, "12345", 5), XTARS_OK); /* exactly at the cap */
    ASSERT_EQ(b.len, 25);
    ASSERT_EQ(xtars_buf_putc(&b, 'x'), XTARS_ETOOBIG);
    ASSERT_EQ(b.len, 25);
    ASSERT_STR_EQ(b.data, "0123456789012345678912345");
    ASSERT_LE(b.cap, 26);
    xtars_buf_cleanup(&b);
}

/* One failed piece fails every later one: a text built from many appends
 * cannot come out whole-looking with a piece missing in the middle. */
TEST(errors_are_sticky_until_reset)
{
    struct xtars_buf b;
    char ten[11] = "0123456789";

    xtars_buf_init(&b, 25);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_OK);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_OK);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_ETOOBIG);
    ASSERT_EQ(b.error, XTARS_ETOOBIG);
    /* Would fit, but the text is already broken. */
    ASSERT_EQ(xtars_buf_puts(&b, "}"), XTARS_ETOOBIG);
    ASSERT_EQ(xtars_buf_printf(&b, "%d", 1), XTARS_ETOOBIG);
    ASSERT_EQ(xtars_buf_reserve(&b, 1), XTARS_ETOOBIG);
    ASSERT_EQ(b.len, 20);
    ASSERT_STR_EQ(b.data, "01234567890123456789");
    xtars_buf_reset(&b);
    ASSERT_EQ(b.error, XTARS_OK);
    ASSERT_EQ(xtars_buf_puts(&b, ten), XTARS_OK);
    ASSERT_STR_EQ(b.data, "0123456789");
    xtars_buf_cleanup(&b);
}

TEST(huge_request_does_not_overflow)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1000);
    ASSERT_EQ(xtars_buf_puts(&b, "abc"), XTARS_OK);
    ASSERT_EQ(xtars_buf_reserve(&b, (size_t)-1), XTARS_ETOOBIG);
    ASSERT_EQ(xtars_buf_reserve(&b, (size_t)-3), XTARS_ETOOBIG);
    ASSERT_STR_EQ(b.data, "abc");
    xtars_buf_cleanup(&b);
}

TEST(grows_through_many_appends)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    for (int i = 0; i < 100000; i++)
        ASSERT_EQ(xtars_buf_putc(&b, (char)('a' + i % 26)), XTARS_OK);
    ASSERT_EQ(b.len, 100000);
    ASSERT_EQ(b.data[99999], 'a' + 99999 % 26);
    ASSERT_EQ(b.data[100000], '\0');
    xtars_buf_cleanup(&b);
}

TEST(detach_hands_over_data)
{
    struct xtars_buf b;
    size_t len;
    char *s;

    xtars_buf_init(&b, 100);
    s = xtars_buf_detach(&b, &len);
    ASSERT_STR_EQ(s, "");
    ASSERT_EQ(len, 0);
    free(s);
    xtars_buf_puts(&b, "kept");
    s = xtars_buf_detach(&b, &len);
    ASSERT_STR_EQ(s, "kept");
    ASSERT_EQ(len, 4);
    ASSERT(b.data == NULL);
    ASSERT_EQ(b.len, 0);
    free(s);
}

TEST(read_file_ok_missing_and_too_big)
{
    struct xtars_buf b;
    char path[512], err[XTARS_ERRLEN];
    FILE *f;

    snprintf(path, sizeof path, "%s/f.txt", xt_tmpdir());
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("0123456789", f);
    fclose(f);
    ASSERT_EQ(xtars_buf_read_file(&b, path, 100, err), XTARS_OK);
    ASSERT_STR_EQ(b.data, "0123456789");
    xtars_buf_cleanup(&b);
    ASSERT_EQ(xtars_buf_read_file(&b, path, 5, err), XTARS_ETOOBIG);
    ASSERT_STR_CONTAINS(err, "f.txt");
    ASSERT_STR_CONTAINS(err, "limit of 5 bytes");
    ASSERT(b.data == NULL);
    ASSERT_EQ(xtars_buf_read_file(&b, "/nonexistent/x.json", 100, err), XTARS_EIO);
    ASSERT_STR_EQ(err, "/nonexistent/x.json: No such file or directory");
}
