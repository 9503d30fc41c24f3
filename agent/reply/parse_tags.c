/* parse_tags.c: the tag dialects of newer UI-TARS-desktop agents and of
 * Seed / UI-TARS-2 models: where such a reply starts, and Seed tool calls
 * (<seed:tool_call><function=click><parameter=point><point>17 58</point>
 * </parameter></function></seed:tool_call>), read into the same calls as
 * `click(point='<point>17 58</point>')` (parse_call.c builds the actions).
 * The text is untrusted: bounded reads, EPARSE with a column, never an
 * assert. Never prints. */
#include "parse_tags.h"

#include <string.h>

#include "parse_call.h"

#define MAX_TAG_NAME 32

size_t parse_tag_at(const struct parse_cursor *c, size_t at, const char *tag)
{
    size_t n = strlen(tag);

    return at <= c->len && n <= c->len - at && memcmp(c->text + at, tag, n) == 0 ? n : 0;
}

size_t parse_find_text(const struct parse_cursor *c, size_t from, const char *tag)
{
    while (from < c->len) {
        const char *p = memchr(c->text + from, tag[0], c->len - from);
        if (p == NULL)
            return c->len;
        from = (size_t)(p - c->text);
        if (parse_tag_at(c, from, tag))
            return from;
        from++;
    }
    return c->len;
}

static enum parse_tag tag_kind(const struct parse_cursor *c, size_t at)
{
    if (parse_tag_at(c, at, "<seed:tool_call>") || parse_tag_at(c, at, "<function=") ||
        parse_tag_at(c, at, "<function "))
        return PARSE_TAG_TOOL_CALL;
    if (parse_tag_at(c, at, "<computer_env>"))
        return PARSE_TAG_COMPUTER_ENV;
    if (parse_tag_at(c, at, "<answer>"))
        return PARSE_TAG_ANSWER;
    return PARSE_TAG_NONE;
}

enum parse_tag parse_find_tag(const struct parse_cursor *c, size_t from, size_t *at)
{
    size_t i = from;

    while (i < c->len) {
        const char *p = memchr(c->text + i, '<', c->len - i);
        size_t line;
        enum parse_tag kind;
        if (p == NULL)
            break;
        i = (size_t)(p - c->text);
        line = i;
        while (line > from && (c->text[line - 1] == ' ' || c->text[line - 1] == '\t'))
            line--;
        if ((line == from || c->text[line - 1] == '\n') && (kind = tag_kind(c, i)) != PARSE_TAG_NONE) {
            *at = i;
            return kind;
        }
        i++;
    }
    *at = c->len;
    return PARSE_TAG_NONE;
}

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

static size_t skip_space(const struct parse_cursor *c, size_t at)
{
    while (at < c->len && parse_is_space(c->text[at]))
        at++;
    return at;
}

static xtars_err unexpected(struct parse_cursor *c, size_t at, const char *where)
{
    char snip[64];
    size_t n = 0;

    while (at + n < c->len && c->text[at + n] != '\n' && n < 40)
        n++;
    parse_snippet(snip, c->text + at, n);
    return parse_fail(c, at, "unexpected text %s: '%s'", where, snip);
}

/* The name of "<function=NAME>" or "<function name='NAME'>" (same for
 * parameter; `open` is "<function" or "<parameter"), c->pos at the '<'.
 * Leaves c->pos after the '>'. */
static xtars_err tag_name(struct parse_cursor *c, const char *open, size_t *name_at,
                          size_t *name_len)
{
    size_t at = c->pos, i = at + strlen(open);
    char quote = 0;

    if (i < c->len && c->text[i] == '=') {
        i++;
    } else {
        i = skip_space(c, i);
        if (!parse_tag_at(c, i, "name"))
            return parse_fail(c, at, "expected %s=NAME> or %s name='NAME'>", open, open);
        i = skip_space(c, i + 4);
        if (i >= c->len || c->text[i] != '=')
            return parse_fail(c, at, "expected %s=NAME> or %s name='NAME'>", open, open);
        i = skip_space(c, i + 1);
    }
    if (i < c->len && (c->text[i] == '\'' || c->text[i] == '"'))
        quote = c->text[i++];
    *name_at = i;
    while (i < c->len && is_name_char(c->text[i]))
        i++;
    *name_len = i - *name_at;
    if (*name_len == 0 || *name_len > MAX_TAG_NAME)
        return parse_fail(c, *name_at, "expected a name of 1 to %d characters in %s", MAX_TAG_NAME,
                          open + 1);
    if (quote && (i >= c->len || c->text[i++] != quote))
        return parse_fail(c, *name_at, "unterminated name in %s (no closing %c)", open + 1, quote);
    i = skip_space(c, i);
    if (i >= c->len || c->text[i] != '>')
        return parse_fail(c, at, "expected '>' to end the %s tag", open + 1);
    c->pos = i + 1;
    return XTARS_OK;
}

/* <parameter=KEY>value</parameter>: the value is the text between the tags,
 * trimmed (multi-line values start and end with a line break). */
static xtars_err read_parameter(struct parse_cursor *c, struct parse_call *call)
{
    size_t at = c->pos, name_at, name_len, from, to, close;
    struct parse_arg *arg;
    xtars_err rc = tag_name(c, "<parameter", &name_at, &name_len);

    if (rc != XTARS_OK)
        return rc;
    close = parse_find_text(c, c->pos, "</parameter>");
    if (close == c->len)
        return parse_fail(c, at, "unterminated <parameter=%.*s> (no </parameter>)",
                          (int)name_len, c->text + name_at);
    if (call->arg_count == PARSE_MAX_ARGS)
        return parse_fail(c, at, "more than %d parameters in <function=%.*s>", PARSE_MAX_ARGS,
                          (int)call->name_len, call->name);
    for (from = c->pos; from < close && parse_is_space(c->text[from]); from++)
        ;
    for (to = close; to > from && parse_is_space(c->text[to - 1]); to--)
        ;
    arg = &call->args[call->arg_count++];
    arg->key = c->text + name_at;
    arg->key_len = name_len;
    arg->at = from;
    arg->value_at = from;
    arg->value_len = to - from;
    arg->quote = '<';
    c->pos = close + strlen("</parameter>");
    return XTARS_OK;
}

/* One <function=NAME> ... </function> block into *out. */
static xtars_err read_function(struct parse_cursor *c, struct xtars_action *out, int *press)
{
    struct parse_call call;
    size_t at = c->pos, name_at, name_len;
    xtars_err rc = tag_name(c, "<function", &name_at, &name_len);

    call.arg_count = 0;
    call.press = 0;
    if (rc == XTARS_OK)
        rc = parse_call_name(c, name_at, name_len, &call);
    while (rc == XTARS_OK) {
        c->pos = skip_space(c, c->pos);
        if (parse_tag_at(c, c->pos, "</function>")) {
            c->pos += strlen("</function>");
            break;
        }
        if (parse_tag_at(c, c->pos, "<parameter"))
            rc = read_parameter(c, &call);
        else if (c->pos == c->len)
            rc = parse_fail(c, at, "unterminated <function=%.*s> (no </function>)",
                            (int)name_len, c->text + name_at);
        else
            rc = unexpected(c, c->pos, "in a <function> block");
    }
    if (rc == XTARS_OK)
        rc = parse_call_build(c, &call, out);
    *press = rc == XTARS_OK && call.press;
    return rc;
}

xtars_err parse_tool_calls(struct parse_cursor *c, size_t from, struct xtars_action *actions,
                           int max, int *count)
{
    int presses[64], in_block = 0, n = 0;
    xtars_err rc = XTARS_OK;

    if (max > (int)(sizeof presses / sizeof presses[0]))
        max = (int)(sizeof presses / sizeof presses[0]);
    c->pos = from;
    for (;;) {
        size_t len;
        parse_skip_blank(c);
        if (c->pos == c->len)
            break;
        if ((len = parse_tag_at(c, c->pos, "<seed:tool_call>")) != 0 && !in_block) {
            in_block = 1;
        } else if ((len = parse_tag_at(c, c->pos, "</seed:tool_call>")) != 0 && in_block) {
            in_block = 0;
        } else if (parse_tag_at(c, c->pos, "<function")) {
            if (n == max) {
                rc = parse_fail(c, c->pos, "more than %d actions", max);
                break;
            }
            if ((rc = read_function(c, &actions[n], &presses[n])) != XTARS_OK)
                break;
            n++;
            continue;
        } else {
            rc = unexpected(c, c->pos, in_block ? "in <seed:tool_call>" : "after the tool calls");
            break;
        }
        c->pos += len;
    }
    if (rc == XTARS_OK && n == 0)
        rc = parse_fail(c, from, "no <function=...> in the tool call");
    if (rc != XTARS_OK) {
        for (int i = 0; i < n; i++)
            xtars_action_cleanup(&actions[i]);
        *count = 0;
        return rc;
    }
    parse_resolve_presses(actions, presses, n);
    *count = n;
    return XTARS_OK;
}
