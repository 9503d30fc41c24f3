/* JSON writers: escaping, UTF-8 handling, numbers, positions. */
#include "test.h"
#include "agent/base/json.h"

static char *str_json(const char *s, size_t n)
{
    static char out[1024];
    struct xtars_buf b;

    xtars_buf_init(&b, 1000);
    ASSERT_EQ(xtars_json_put_stringn(&b, s, n), XTARS_OK);
    snprintf(out, sizeof out, "%s", b.data);
    xtars_buf_cleanup(&b);
    return out;
}

static char *num_json(double v)
{
    static char out[64];
    struct xtars_buf b;

    xtars_buf_init(&b, 100);
    ASSERT_EQ(xtars_json_put_number(&b, v), XTARS_OK);
    snprintf(out, sizeof out, "%s", b.data);
    xtars_buf_cleanup(&b);
    return out;
}

TEST(escapes_specials)
{
    ASSERT_STR_EQ(str_json("a\"b\\c\n\t\r\x01", 9), "\"a\\\"b\\\\c\\n\\t\\r\\u0001\"");
    ASSERT_STR_EQ(str_json("nul\0x", 5), "\"nul\\u0000x\"");
}

/* JSON allows DEL and C1 controls raw, but a terminal showing the JSON would
 * act on them (0x9b is a one-byte CSI): they are escaped like C0. The
 * characters right around the C1 range pass. */
TEST(del_and_c1_controls_escaped)
{
    ASSERT_STR_EQ(str_json("a\x7f" "b", 3), "\"a\\u007fb\"");
    ASSERT_STR_EQ(str_json("\xc2\x80 \xc2\x9b" "2J \xc2\x9f", 10), "\"\\u0080 \\u009b2J \\u009f\"");
    ASSERT_STR_EQ(str_json("~\xc2\xa0\xc2\xbf", 5), "\"~\xc2\xa0\xc2\xbf\"");
    ASSERT_STR_EQ(str_json("raw \x9b" "2J", 7), "\"raw \xef\xbf\xbd" "2J\"");
}

TEST(utf8_passes_invalid_replaced)
{
    ASSERT_STR_EQ(str_json("caf\xc3\xa9 \xe4\xbd\xa0 \xf0\x9f\x98\x80", 14),
                  "\"caf\xc3\xa9 \xe4\xbd\xa0 \xf0\x9f\x98\x80\"");
    ASSERT_STR_EQ(str_json("a\xff" "b", 3), "\"a\xef\xbf\xbd" "b\"");
    ASSERT_STR_EQ(str_json("\xc3", 1), "\"\xef\xbf\xbd\"");                 /* truncated */
    ASSERT_STR_EQ(str_json("\xed\xa0\x80", 3), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    ASSERT_STR_EQ(str_json("\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");  /* overlong */
}

/* Python's json.dumps() output, checked with python3 -c 'import json;
 * print(json.dumps("caf\u00e9 \u4f60 \U0001F600\b\f\x01\x7f/\"\\\\"))'. */
TEST(ascii_like_python_json_dumps)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1000);
    ASSERT_EQ(xtars_json_put_string_ascii(&b, "caf\xc3\xa9 \xe4\xbd\xa0 \xf0\x9f\x98\x80\b\f\x01\x7f/\"\\"),
              XTARS_OK);
    ASSERT_STR_EQ(b.data, "\"caf\\u00e9 \\u4f60 \\ud83d\\ude00\\b\\f\\u0001\\u007f/\\\"\\\\\"");
    xtars_buf_reset(&b);
    ASSERT_EQ(xtars_json_put_string_ascii(&b, "a\xff"), XTARS_OK); /* invalid UTF-8 */
    ASSERT_STR_EQ(b.data, "\"a\\ufffd\"");
    xtars_buf_reset(&b);
    ASSERT_EQ(xtars_json_put_string_ascii(&b, NULL), XTARS_OK);
    ASSERT_STR_EQ(b.data, "null");
    xtars_buf_cleanup(&b);
}

TEST(null_string)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 100);
    xtars_json_put_string(&b, NULL);
    ASSERT_STR_EQ(b.data, "null");
    xtars_buf_cleanup(&b);
}

TEST(numbers_shortest_form)
{
    ASSERT_STR_EQ(num_json(0), "0");
    ASSERT_STR_EQ(num_json(0.7), "0.7");
    ASSERT_STR_EQ(num_json(-3), "-3");
    ASSERT_STR_EQ(num_json(197.5), "197.5");
    ASSERT_STR_EQ(num_json(0.1 + 0.2), "0.30000000000000004");
    ASSERT_STR_EQ(num_json(1e300), "1e+300");
    ASSERT_STR_EQ(num_json(1.0 / 3), "0.3333333333333333");
    ASSERT_STR_EQ(num_json(NAN), "null");
    ASSERT_STR_EQ(num_json(INFINITY), "null");
}

TEST(position_counts_lines)
{
    int line, column;
    const char *text = "{\n  \"a\": 1,\n  \"b\": x\n}";

    xtars_json_position(text, (size_t)(strchr(text, 'x') - text), &line, &column);
    ASSERT_EQ(line, 3);
    ASSERT_EQ(column, 8);
}

static int line_of(const char *text, const struct xtars_json_step *path, int count)
{
    return xtars_json_line_of(text, strlen(text), path, count);
}

TEST(line_of_finds_nested_keys_and_elements)
{
    /* Lines counted by hand: the "k" of the second object is on line 5. */
    const char *text = "{\"s\": \"x\\\"[{\",\n"
                       " \"list\": [\n"
                       "  {\"k\": 1, \"o\": {\"k\": [1, 2]}},\n"
                       "  \"str]\",\n"
                       "  {\"j\": null, \"k\": true}\n"
                       " ],\n"
                       " \"k\": 2}\n";
    const struct xtars_json_step second_k[] = {{"list", 0}, {NULL, 2}, {"k", 0}};
    const struct xtars_json_step first_elem[] = {{"list", 0}, {NULL, 0}};
    const struct xtars_json_step top_k[] = {{"k", 0}};
    const struct xtars_json_step missing[] = {{"list", 0}, {NULL, 3}};
    const struct xtars_json_step wrong_type[] = {{"s", 0}, {NULL, 0}};

    ASSERT_EQ(line_of(text, second_k, 3), 5);
    ASSERT_EQ(line_of(text, first_elem, 2), 3);
    ASSERT_EQ(line_of(text, top_k, 1), 7);
    ASSERT_EQ(line_of(text, missing, 2), 0);
    ASSERT_EQ(line_of(text, wrong_type, 2), 0);
    /* Malformed or cut text gives 0, never a read past the end. */
    ASSERT_EQ(line_of("{\"list\": [1, 2", first_elem + 0, 1), 1);
    ASSERT_EQ(line_of("{\"list\": [{\"a\" 1}, {\"k\": 1}]}", second_k, 3), 0);
    ASSERT_EQ(line_of("{\"a\": [[[[", top_k, 1), 0);
    ASSERT_EQ(line_of("", top_k, 1), 0);
}
