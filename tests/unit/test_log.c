/* Logger: levels, JSON lines, and secrets never reaching the output. */
#include <unistd.h>

#include "agent/base/term.h"
#include "test.h"
#include "xtars/log.h"

static char captured[8192];

/* Runs fn with the logger writing into a pipe, then reads what it wrote. */
static const char *capture(void (*fn)(void))
{
    int fds[2];
    ssize_t n;

    ASSERT_EQ(pipe(fds), 0);
    xtars_log_set_fd(fds[1]);
    fn();
    close(fds[1]);
    n = read(fds[0], captured, sizeof captured - 1);
    captured[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    return captured;
}

static void log_levels(void)
{
    xtars_log_set_level(XTARS_LOG_WARN);
    xtars_log_debug("hidden debug");
    xtars_log_info("hidden info");
    xtars_log_warn("shown %d", 1);
    xtars_log_error("shown %s", "two");
}

TEST(level_filter_and_text_format)
{
    ASSERT_STR_EQ(capture(log_levels), "xtars: warn: shown 1\nxtars: error: shown two\n");
}

static void log_json(void)
{
    xtars_log_set_format(XTARS_LOG_JSON);
    xtars_log_info("quote \" and\nnewline");
}

TEST(json_lines)
{
    const char *out = capture(log_json);

    ASSERT(strncmp(out, "{\"ts\":", 6) == 0);
    ASSERT_STR_CONTAINS(out, "\"level\":\"info\",\"msg\":\"quote \\\" and\\nnewline\"}\n");
}

static void log_secret(void)
{
    ASSERT_EQ(xtars_log_add_secret("sk-planted-SECRET-123"), XTARS_OK);
    xtars_log_set_level(XTARS_LOG_DEBUG);
    xtars_log_debug("Authorization: Bearer sk-planted-SECRET-123 and again sk-planted-SECRET-123");
}

TEST(secrets_redacted_even_at_debug)
{
    const char *out = capture(log_secret);

    ASSERT(strstr(out, "SECRET") == NULL);
    ASSERT_STR_EQ(out, "xtars: debug: Authorization: Bearer [redacted] and again [redacted]\n");
}

TEST(redact_copies_and_short_values_ignored)
{
    char *s;

    ASSERT_EQ(xtars_log_add_secret("abc"), XTARS_OK); /* too short to be a key; ignored */
    ASSERT_EQ(xtars_log_add_secret("tok-42424242"), XTARS_OK);
    s = xtars_log_redact("abc tok-42424242 abc");
    ASSERT_STR_EQ(s, "abc [redacted] abc");
    free(s);
    xtars_log_cleanup();
    s = xtars_log_redact("tok-42424242");
    ASSERT_STR_EQ(s, "tok-42424242");
    free(s);
}

TEST(level_names)
{
    enum xtars_log_level level;
    enum xtars_log_format format;

    ASSERT_EQ(xtars_log_level_from_name("debug", &level), XTARS_OK);
    ASSERT_EQ(level, XTARS_LOG_DEBUG);
    ASSERT_EQ(xtars_log_level_from_name("verbose", &level), XTARS_EINVAL);
    ASSERT_EQ(xtars_log_format_from_name("json", &format), XTARS_OK);
    ASSERT_EQ(format, XTARS_LOG_JSON);
    ASSERT_EQ(xtars_log_format_from_name("xml", &format), XTARS_EINVAL);
}

/* A value with a quote, a backslash and a newline is written into
 * trajectories JSON-escaped: that form is redacted too. */
TEST(json_escaped_form_of_a_secret_is_redacted)
{
    char *s;

    ASSERT_EQ(xtars_log_add_secret("pa\"ss\\wo\nrd"), XTARS_OK);
    s = xtars_log_redact("{\"text\": \"pa\\\"ss\\\\wo\\nrd\"} raw: pa\"ss\\wo\nrd");
    ASSERT_STR_EQ(s, "{\"text\": \"[redacted]\"} raw: [redacted]");
    free(s);
}

TEST(secret_vars_from_a_comma_separated_list)
{
    char err[XTARS_ERRLEN] = "", *s;

    setenv("XT_PASS_ONE", "first-value-1", 1);
    setenv("XT_PASS_TWO", "second-value-2", 1);
    unsetenv("XT_PASS_UNSET");
    ASSERT_EQ(xtars_log_add_secret_vars("XT_PASS_ONE, XT_PASS_UNSET,XT_PASS_TWO", err), XTARS_OK);
    ASSERT_EQ(xtars_log_add_secret_vars("XT_PASS_ONE", err), XTARS_OK); /* again: no-op */
    ASSERT_EQ(xtars_log_add_secret_vars("", err), XTARS_OK);
    s = xtars_log_redact("first-value-1 / second-value-2 / XT_PASS_ONE");
    ASSERT_STR_EQ(s, "[redacted] / [redacted] / XT_PASS_ONE");
    free(s);
    /* No fixed number: every value registered stays redacted (a cap that
     * refused one would leave it printed by any caller that ignored that). */
    for (int i = 0; i < 300; i++) {
        char value[32];
        snprintf(value, sizeof value, "value-number-%03d", i);
        setenv("XT_PASS_MANY", value, 1);
        ASSERT_EQ(xtars_log_add_secret_vars("XT_PASS_MANY", err), XTARS_OK);
    }
    s = xtars_log_redact("value-number-000 and value-number-299");
    ASSERT_STR_EQ(s, "[redacted] and [redacted]");
    free(s);
}

/* The copy is redacted before it is cut: "abc sk-secret-0123456789" cut at
 * 10 bytes would otherwise show "abc sk-sec". */
TEST(redact_copy_cuts_after_redacting)
{
    char out[11];

    ASSERT_EQ(xtars_log_add_secret("sk-secret-0123456789"), XTARS_OK);
    xtars_log_redact_copy(out, sizeof out, "abc sk-secret-0123456789");
    ASSERT_STR_EQ(out, "abc [redac");
    xtars_log_redact_copy(out, sizeof out, NULL);
    ASSERT_STR_EQ(out, "");
}

/* A window cut out of a longer text: whole secrets and pieces of 4 bytes or
 * more at either edge are redacted; shorter pieces could be any word. */
TEST(redact_window_covers_secrets_cut_at_either_edge)
{
    char out[64];
    const char *text = "3456789 middle sk-secr";

    ASSERT_EQ(xtars_log_add_secret("sk-secret-0123456789"), XTARS_OK);
    xtars_log_redact_window(out, sizeof out, text, strlen(text));
    ASSERT_STR_EQ(out, "[redacted] middle [redacted]");
    xtars_log_redact_window(out, sizeof out, "a sk-secret-0123456789 b", 24);
    ASSERT_STR_EQ(out, "a [redacted] b");
    xtars_log_redact_window(out, sizeof out, "789 and sk-", 11);
    ASSERT_STR_EQ(out, "789 and sk-");
    /* only the n bytes given are read */
    xtars_log_redact_window(out, sizeof out, "abcdefXYZ", 6);
    ASSERT_STR_EQ(out, "abcdef");
}

static char *escaped(const char *s, size_t n)
{
    static char out[1024];
    struct xtars_buf b;

    xtars_buf_init(&b, 1000);
    ASSERT_EQ(xtars_term_escape(&b, s, n), XTARS_OK);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    xtars_buf_cleanup(&b);
    return out;
}

/* Escaping for the terminal (agent/base/term.h): the expected strings were
 * written by hand from the rules. */
TEST(term_escape_shows_controls_as_hex)
{
    /* newline and tab pass; other C0, ESC, DEL and NUL become \xHH */
    ASSERT_STR_EQ(escaped("a\tb\nc\rd\x07\x1b[2J\x7f\0e", 15),
                  "a\tb\nc\\x0dd\\x07\\x1b[2J\\x7f\\x00e");
    /* OSC 52 (clipboard) and bracketed paste */
    ASSERT_STR_EQ(escaped("\x1b]52;c;eA==\x07\x1b[200~", 18), "\\x1b]52;c;eA==\\x07\\x1b[200~");
    /* C1 as UTF-8 (U+0080, U+009B, U+009F) and as raw bytes: both \xHH */
    ASSERT_STR_EQ(escaped("\xc2\x80\xc2\x9b" "1m\xc2\x9f \x9b" "1m", 12),
                  "\\x80\\x9b1m\\x9f \\x9b1m");
    /* valid UTF-8 beside the C1 range passes; backslashes are left alone */
    ASSERT_STR_EQ(escaped("\xc2\xa0" "caf\xc3\xa9 \xe2\x8f\x8e \xf0\x9f\x98\x80 C:\\x", 21),
                  "\xc2\xa0" "caf\xc3\xa9 \xe2\x8f\x8e \xf0\x9f\x98\x80 C:\\x");
    /* invalid UTF-8: truncated, overlong, surrogate, stray continuation */
    ASSERT_STR_EQ(escaped("\xc3|\xc0\xaf|\xed\xa0\x80|\x80", 10),
                  "\\xc3|\\xc0\\xaf|\\xed\\xa0\\x80|\\x80");
}

static void log_controls(void)
{
    xtars_log_info("title \x1b]0;pwned\x07 csi \xc2\x9b" "2J raw \x9b tab\tnl\nend");
}

TEST(text_log_lines_escape_controls)
{
    ASSERT_STR_EQ(capture(log_controls),
                  "xtars: title \\x1b]0;pwned\\x07 csi \\x9b2J raw \\x9b tab\tnl end\n");
}

TEST(term_clean_redacts_then_escapes)
{
    char *shown;

    ASSERT_EQ(xtars_log_add_secret("s3cr\x1b" "et-value"), XTARS_OK);
    shown = xtars_term_clean("key s3cr\x1b" "et-value \x1b[2J");
    ASSERT(shown != NULL);
    ASSERT_STR_EQ(shown, "key [redacted] \\x1b[2J");
    free(shown);
    shown = xtars_term_clean(NULL);
    ASSERT_STR_EQ(shown, "");
    free(shown);
    xtars_log_cleanup();
}
