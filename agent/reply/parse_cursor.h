/* parse_cursor.h: the cursor over a reply being parsed and its helpers
 * (parse_cursor.c), used by parse.c and parse_call.c. Private to the core
 * library. */
#ifndef XTARS_PARSE_CURSOR_H
#define XTARS_PARSE_CURSOR_H

#include <stddef.h>

#include "xtars/coords.h"
#include "xtars/error.h"

/* A position in the reply being parsed. Offsets are always relative to text,
 * so error columns refer to what the user sees. */
struct parse_cursor {
    const char *text;
    size_t len;
    size_t pos;
    const struct xtars_coord_space *space;
    char *err;        /* XTARS_ERRLEN bytes, may be NULL */
};

/* Formats "parse: <reason> at column N" for offset `at` into c->err and
 * returns EPARSE. */
xtars_err parse_fail(struct parse_cursor *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies at most a short prefix of s[0..n) into out (64 bytes) for messages:
 * control bytes become '?', a cut prefix ends with "...". */
void parse_snippet(char out[64], const char *s, size_t n);

/* 1 for ' ', '\t', '\n', '\r', '\f', '\v'. */
static inline int parse_is_space(char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

/* Length of a model end-of-text token (<|im_end|>, [EOS], </s>, ...) at
 * c->text + at, 0 if there is none. Such tokens are ignored between calls. */
size_t parse_end_token(const struct parse_cursor *c, size_t at);

/* Skips whitespace and end-of-text tokens. */
void parse_skip_blank(struct parse_cursor *c);

#endif
