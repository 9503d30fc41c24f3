/* parse_cursor.c: the reply parser's cursor helpers shared by parse.c (reply
 * structure) and parse_call.c (one call): error messages with a column,
 * quoted snippets of the reply, end-of-text tokens. Bounded reads only;
 * never prints. */
#include "parse_cursor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xtars/log.h"

#define TOKEN(s) {s, sizeof s - 1}
static const struct {
    const char *text;
    size_t len;
} end_tokens[] = {TOKEN("<|im_end|>"), TOKEN("<|endoftext|>"), TOKEN("<|eot_id|>"),
                  TOKEN("<|end|>"), TOKEN("[EOS]"), TOKEN("</s>"),
                  /* the closing tag of UI-TARS-desktop's O1 format */
                  TOKEN("</Output>")};

/* 1-based column of offset at, counting UTF-8 characters (continuation
 * bytes do not count), line breaks included. */
static size_t column_of(const char *text, size_t at)
{
    size_t column = 1;

    for (size_t i = 0; i < at; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            column++;
    return column;
}

/* Formats straight into the caller's buffer: this runs for every bad reply
 * (and for every marker tried), so it avoids a second formatting pass. The
 * reason never holds a line break: snippets of the reply are sanitised. */
xtars_err parse_fail(struct parse_cursor *c, size_t at, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (c->err == NULL)
        return XTARS_EPARSE;
    memcpy(c->err, "parse: ", 8);
    va_start(ap, fmt);
    n = vsnprintf(c->err + 7, XTARS_ERRLEN - 7, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < XTARS_ERRLEN - 40)
        snprintf(c->err + 7 + n, XTARS_ERRLEN - 7 - (size_t)n, " at column %zu",
                 column_of(c->text, at < c->len ? at : c->len));
    return XTARS_EPARSE;
}

void parse_snippet(char out[64], const char *s, size_t n)
{
    size_t keep = n > 40 ? 40 : n, len;
    char shown[41] = "";

    /* Do not cut a UTF-8 character in half. */
    while (keep < n && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    for (size_t i = 0; i < keep; i++) {
        unsigned char ch = (unsigned char)s[i];
        shown[i] = ch < 0x20 || ch == 0x7F ? '?' : (char)ch;
    }
    /* The quote is a window of the reply: a secret the model wrote must not
     * show, whole or cut at either edge (log.h). */
    xtars_log_redact_window(out, 61, shown, keep);
    len = strlen(out);
    strcpy(out + len, keep < n ? "..." : "");
}

size_t parse_end_token(const struct parse_cursor *c, size_t at)
{
    if (at >= c->len || (c->text[at] != '<' && c->text[at] != '['))
        return 0;
    for (size_t i = 0; i < sizeof end_tokens / sizeof end_tokens[0]; i++) {
        size_t n = end_tokens[i].len;
        if (n <= c->len - at && memcmp(c->text + at, end_tokens[i].text, n) == 0)
            return n;
    }
    return 0;
}

void parse_skip_blank(struct parse_cursor *c)
{
    while (c->pos < c->len) {
        size_t n;
        if (parse_is_space(c->text[c->pos]))
            c->pos++;
        else if ((n = parse_end_token(c, c->pos)) > 0)
            c->pos += n;
        else
            break;
    }
}
