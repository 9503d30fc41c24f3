/* parse_call.c: one action call, `name(key='value', ...)`, into a struct
 * xtars_action (and the calls parse_tags.c reads from tool-call tags): action-name aliases, quoting and Python escapes, coordinate
 * forms and their mapping to screen pixels, key names. The input is untrusted
 * model text: every read is bounded by the cursor's length, every failure is
 * an EPARSE with a column, never an assert. Never prints. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config_internal.h"
#include "parse_call.h"
#include "xtars/config.h"
#include "agent/reply/keys.h"
#include "xtars/parse.h"

#define MAX_NAME 32         /* bytes in an action or argument name */
#define SHORT_VALUE 256     /* bytes in a key, direction, button or number value */
#define MAX_DIGITS 17       /* significant digits in one coordinate (a double's worth) */
#define MAX_CHARS 40        /* digits in one coordinate, leading zeros included */
#define RANGE_SLACK 1.1     /* coordinates up to 10% past the extent are clamped */

/* Every action name the references or the models use, and what it means.
 * Matched without regard to ASCII case. */
static const struct action_name {
    const char *name;
    enum xtars_action_type type;
} action_names[] = {
    {"click", XTARS_ACTION_CLICK},           {"left_single", XTARS_ACTION_CLICK},
    {"left_click", XTARS_ACTION_CLICK},      {"double_click", XTARS_ACTION_DOUBLE_CLICK},
    {"left_double", XTARS_ACTION_DOUBLE_CLICK}, {"right_click", XTARS_ACTION_RIGHT_CLICK},
    {"right_single", XTARS_ACTION_RIGHT_CLICK}, {"middle_click", XTARS_ACTION_MIDDLE_CLICK},
    {"middle_single", XTARS_ACTION_MIDDLE_CLICK}, {"hover", XTARS_ACTION_HOVER},
    {"mouse_move", XTARS_ACTION_HOVER},      {"move_to", XTARS_ACTION_HOVER},
    {"drag", XTARS_ACTION_DRAG},             {"select", XTARS_ACTION_DRAG},
    {"scroll", XTARS_ACTION_SCROLL},         {"type", XTARS_ACTION_TYPE},
    {"hotkey", XTARS_ACTION_HOTKEY},         {"key_down", XTARS_ACTION_KEY_DOWN},
    {"press", XTARS_ACTION_KEY_DOWN},        {"keydown", XTARS_ACTION_KEY_DOWN},
    {"key_up", XTARS_ACTION_KEY_UP},         {"release", XTARS_ACTION_KEY_UP},
    {"keyup", XTARS_ACTION_KEY_UP},          {"mouse_down", XTARS_ACTION_MOUSE_DOWN},
    {"mouse_up", XTARS_ACTION_MOUSE_UP},     {"wait", XTARS_ACTION_WAIT},
    {"finished", XTARS_ACTION_FINISHED},     {"call_user", XTARS_ACTION_CALL_USER},
    /* UI-TARS-desktop's further spellings (gui-agent/shared actionTypeMap) */
    {"leftclick", XTARS_ACTION_CLICK},       {"leftsingle", XTARS_ACTION_CLICK},
    {"doubleclick", XTARS_ACTION_DOUBLE_CLICK}, {"leftdouble", XTARS_ACTION_DOUBLE_CLICK},
    {"rightclick", XTARS_ACTION_RIGHT_CLICK}, {"rightsingle", XTARS_ACTION_RIGHT_CLICK},
    {"middleclick", XTARS_ACTION_MIDDLE_CLICK}, {"middlesingle", XTARS_ACTION_MIDDLE_CLICK},
    {"move", XTARS_ACTION_HOVER},            {"moveto", XTARS_ACTION_HOVER},
    {"mousemove", XTARS_ACTION_HOVER},       {"mousedown", XTARS_ACTION_MOUSE_DOWN},
    {"mouseup", XTARS_ACTION_MOUSE_UP},      {"left_click_drag", XTARS_ACTION_DRAG},
    {"leftclickdrag", XTARS_ACTION_DRAG},    {"calluser", XTARS_ACTION_CALL_USER},
};

/* Argument spellings. point= and start_point= mean start_box= (the Python
 * reference rewrites them); the others are UI-TARS-desktop's
 * (gui-agent/shared actionInputNameMap). The last of a group given wins, as
 * in a dict. */
static const char *const start_names[] = {
    "start_box", "start_point", "point", "startbox", "start", "start_position",
    "start_coordinate", "start_coordinates", "position", "coordinate", "coordinates", NULL};
static const char *const end_names[] = {"end_box", "end_point", "endbox", "end", "end_position",
                                        "end_coordinate", "end_coordinates", NULL};
static const char *const key_names[] = {"key", "hotkey", "keys", "press", "keyname",
                                        "keyboard_key", "keyboardkey", NULL};
static const char *const content_names[] = {"content", "text", "input_text", "inputtext", NULL};

static char ascii_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int same_word(const char *a, size_t n, const char *word)
{
    size_t i;

    for (i = 0; i < n && word[i]; i++)
        if (ascii_lower(a[i]) != word[i])
            return 0;
    return i == n && word[i] == '\0';
}

static int is_content_name(const char *key, size_t n)
{
    for (int i = 0; content_names[i]; i++)
        if (same_word(key, n, content_names[i]))
            return 1;
    return 0;
}

static int is_ident_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_ident_char(char ch)
{
    return is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

static size_t ident_length(const struct parse_cursor *c, size_t at)
{
    size_t i = at;

    if (i >= c->len || !is_ident_start(c->text[i]))
        return 0;
    while (i < c->len && is_ident_char(c->text[i]))
        i++;
    return i - at;
}

static size_t skip_inline_space(const struct parse_cursor *c, size_t at)
{
    while (at < c->len && (c->text[at] == ' ' || c->text[at] == '\t'))
        at++;
    return at;
}

static size_t skip_space(const struct parse_cursor *c, size_t at)
{
    while (at < c->len && parse_is_space(c->text[at]))
        at++;
    return at;
}

int parse_at_call(const struct parse_cursor *c)
{
    size_t n = ident_length(c, c->pos), at = skip_inline_space(c, c->pos + n);

    return n > 0 && at < c->len && c->text[at] == '(';
}

/* ---- call structure ---------------------------------------------------- */

static xtars_err not_a_call(struct parse_cursor *c, size_t at, int after_action)
{
    char snip[64];
    size_t n = 0;

    while (at + n < c->len && c->text[at + n] != '\n' && n < 40)
        n++;
    parse_snippet(snip, c->text + at, n);
    if (after_action)
        return parse_fail(c, at, "unexpected text after the actions: '%s'", snip);
    return parse_fail(c, at, "expected an action such as click(start_box='(x,y)'), got '%s'", snip);
}

xtars_err parse_call_name(struct parse_cursor *c, size_t at, size_t n, struct parse_call *call)
{
    char snip[64];

    for (size_t i = 0; n > 0 && i < sizeof action_names / sizeof action_names[0]; i++) {
        if (action_names[i].name[0] == ascii_lower(c->text[at]) &&
            same_word(c->text + at, n, action_names[i].name)) {
            call->type = action_names[i].type;
            call->press = same_word(c->text + at, n, "press");
            call->name = c->text + at;
            call->name_len = n > MAX_NAME ? MAX_NAME : n;
            call->name_at = at;
            return XTARS_OK;
        }
    }
    parse_snippet(snip, c->text + at, n);
    return parse_fail(c, at, "unknown action '%s'", snip);
}

static xtars_err read_head(struct parse_cursor *c, int after_action, struct parse_call *call)
{
    size_t at = c->pos, n = ident_length(c, at), open;
    xtars_err rc;

    open = skip_inline_space(c, at + n);
    if (n == 0 || open >= c->len || c->text[open] != '(')
        return not_a_call(c, at, after_action);
    if ((rc = parse_call_name(c, at, n, call)) == XTARS_OK)
        c->pos = open + 1;
    return rc;
}

/* 1 if what follows `at` is `)` and then the end of the line or the text:
 * how a content value that contains unescaped quotes must end. */
static int closes_call(const struct parse_cursor *c, size_t at)
{
    at = skip_inline_space(c, at);
    if (at >= c->len || c->text[at] != ')')
        return 0;
    at++;
    while (at < c->len && (c->text[at] == ' ' || c->text[at] == '\t' || c->text[at] == '\r'))
        at++;
    return at == c->len || c->text[at] == '\n' || parse_end_token(c, at) > 0;
}

/* 1 if a value that ended just before `at` (spaces skipped) is followed by
 * what may follow an argument: ')', the end, or ',' and another name= or ')'. */
static int argument_ends(const struct parse_cursor *c, size_t at)
{
    size_t n;

    if (at >= c->len || c->text[at] == ')')
        return 1;
    if (c->text[at] != ',')
        return 0;
    at = skip_space(c, at + 1);
    if (at >= c->len || c->text[at] == ')')
        return 1;
    n = ident_length(c, at);
    at = skip_inline_space(c, at + n);
    return n > 0 && at < c->len && c->text[at] == '=';
}

/* Offset of the first unescaped q at or after from, or len. A quote is
 * escaped when an odd number of backslashes (after from) precede it; memchr
 * keeps long content values cheap. */
static size_t find_quote(const struct parse_cursor *c, size_t from, char q)
{
    size_t i = from;

    while (i < c->len) {
        const char *p = memchr(c->text + i, q, c->len - i);
        size_t at, backslashes = 0;
        if (p == NULL)
            return c->len;
        at = (size_t)(p - c->text);
        while (at - backslashes > from && c->text[at - backslashes - 1] == '\\')
            backslashes++;
        if (backslashes % 2 == 0)
            return at;
        i = at + 1;
    }
    return c->len;
}

/* A quoted value. Content is often written with unescaped quotes inside
 * ("type(content='It's done')"); the Python reference takes everything up to
 * the final "')" of the call, so when the first quote does not end the
 * argument, a content value ends at the first quote followed by ")" and the
 * end of the line. */
static xtars_err read_quoted(struct parse_cursor *c, struct parse_arg *arg, int is_content)
{
    char q = c->text[c->pos];
    size_t from = c->pos + 1, close = find_quote(c, from, q), next;

    if (close == c->len)
        return parse_fail(c, c->pos, "unterminated string (no closing %c)", q);
    next = skip_space(c, close + 1);
    if (is_content && !argument_ends(c, next)) {
        for (size_t i = close; i < c->len; i = find_quote(c, i + 1, q)) {
            if (closes_call(c, i + 1)) {
                close = i;
                break;
            }
        }
    }
    arg->quote = q;
    arg->value_at = from;
    arg->value_len = close - from;
    c->pos = close + 1;
    return XTARS_OK;
}

/* An unquoted value (the TypeScript reference accepts direction=down): up to
 * the next ',' or ')' outside brackets, so start_box=(1,2) works too. */
static xtars_err read_unquoted(struct parse_cursor *c, struct parse_arg *arg)
{
    size_t i = c->pos, end;
    int depth = 0;

    for (; i < c->len; i++) {
        char ch = c->text[i];
        if (ch == '\'' || ch == '"')
            return parse_fail(c, i, "unexpected quote in an unquoted value");
        if (depth == 0 && (ch == ',' || ch == ')' || ch == '\n'))
            break;
        if (ch == '(' || ch == '[')
            depth++;
        else if ((ch == ')' || ch == ']') && depth > 0)
            depth--;
    }
    end = i;
    while (end > c->pos && parse_is_space(c->text[end - 1]))
        end--;
    arg->quote = 0;
    arg->value_at = c->pos;
    arg->value_len = end - c->pos;
    c->pos = i;
    return XTARS_OK;
}

static xtars_err read_arg(struct parse_cursor *c, struct parse_call *call)
{
    size_t at = c->pos, n = ident_length(c, at), eq;
    struct parse_arg *arg;
    char snip[64];

    if (n == 0) {
        parse_snippet(snip, c->text + at, c->len - at < 20 ? c->len - at : 20);
        return parse_fail(c, at, "expected name='value' in %.*s(), got '%s'", (int)call->name_len,
                          call->name, snip);
    }
    if (n > MAX_NAME)
        return parse_fail(c, at, "argument name longer than %d bytes", MAX_NAME);
    eq = skip_inline_space(c, at + n);
    if (eq >= c->len || c->text[eq] != '=')
        return parse_fail(c, eq, "expected '=' after '%.*s'", (int)n, c->text + at);
    if (call->arg_count == PARSE_MAX_ARGS)
        return parse_fail(c, at, "more than %d arguments in %.*s()", PARSE_MAX_ARGS,
                          (int)call->name_len, call->name);
    arg = &call->args[call->arg_count++];
    arg->key = c->text + at;
    arg->key_len = n;
    c->pos = skip_space(c, eq + 1);
    arg->at = c->pos;
    if (c->pos < c->len && (c->text[c->pos] == '\'' || c->text[c->pos] == '"'))
        return read_quoted(c, arg, is_content_name(arg->key, n));
    return read_unquoted(c, arg);
}

/* Arguments up to the closing ')'. A call cut off at the very end of the
 * reply counts as closed, as the Python reference appends the missing ')'. */
static xtars_err read_args(struct parse_cursor *c, struct parse_call *call)
{
    xtars_err rc;

    for (;;) {
        c->pos = skip_space(c, c->pos);
        if (c->pos == c->len)
            return XTARS_OK;
        if (c->text[c->pos] == ')') {
            c->pos++;
            return XTARS_OK;
        }
        if ((rc = read_arg(c, call)) != XTARS_OK)
            return rc;
        c->pos = skip_space(c, c->pos);
        if (c->pos == c->len)
            return XTARS_OK;
        if (c->text[c->pos] == ')') {
            c->pos++;
            return XTARS_OK;
        }
        if (c->text[c->pos] != ',')
            return parse_fail(c, c->pos, "expected ',' or ')' after argument '%.*s'",
                              (int)call->args[call->arg_count - 1].key_len,
                              call->args[call->arg_count - 1].key);
        c->pos++;
    }
}

/* The last argument whose name is one of names, or NULL. */
static const struct parse_arg *find_arg(const struct parse_call *call, const char *const *names)
{
    const struct parse_arg *found = NULL;

    for (int i = 0; i < call->arg_count; i++)
        for (int j = 0; names[j]; j++)
            if (names[j][0] == ascii_lower(call->args[i].key[0]) &&
                same_word(call->args[i].key, call->args[i].key_len, names[j]))
                found = &call->args[i];
    return found;
}

/* ---- values ------------------------------------------------------------ */

/* Decodes the Python escapes \' \" \\ \n \t \r of a quoted value into out
 * (room for value_len + 1 bytes); other backslashes are kept as written, as
 * Python keeps unknown escapes. Unquoted values are copied. A tag's text is
 * copied too, except that a final backslash-n is a newline (the Seed prompt
 * asks for "\n at the end of content" to submit, and UI-TARS-desktop's
 * operators press Enter for either spelling). Returns the length. */
static size_t decode(const struct parse_cursor *c, const struct parse_arg *arg, char *out)
{
    const char *s = c->text + arg->value_at;
    size_t n = 0;

    if (arg->quote == '<') {
        n = arg->value_len;
        memcpy(out, s, n);
        if (n >= 2 && out[n - 2] == '\\' && out[n - 1] == 'n')
            out[--n - 1] = '\n';
        out[n] = '\0';
        return n;
    }

    for (size_t i = 0; i < arg->value_len; i++) {
        char ch = s[i];
        if (arg->quote && ch == '\\' && i + 1 < arg->value_len) {
            char e = s[i + 1];
            if (e == 'n' || e == 't' || e == 'r' || e == '\\' || e == '\'' || e == '"') {
                out[n++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                i++;
                continue;
            }
        }
        out[n++] = ch;
    }
    out[n] = '\0';
    return n;
}

/* Decodes a short value (key, direction, button, number) into buf, trimmed. */
static xtars_err short_value(struct parse_cursor *c, const struct parse_arg *arg, char buf[SHORT_VALUE],
                             size_t *len)
{
    size_t n, start = 0;

    if (arg->value_len >= SHORT_VALUE)
        return parse_fail(c, arg->at, "%.*s value longer than %d bytes", (int)arg->key_len,
                          arg->key, SHORT_VALUE - 1);
    n = decode(c, arg, buf);
    while (n > 0 && parse_is_space(buf[n - 1]))
        buf[--n] = '\0';
    while (start < n && parse_is_space(buf[start]))
        start++;
    memmove(buf, buf + start, n - start + 1);
    *len = n - start;
    return XTARS_OK;
}

/* A decoded string value, malloc'd, at most XTARS_PARSE_MAX_CONTENT bytes. */
static xtars_err string_value(struct parse_cursor *c, const struct parse_arg *arg, char **out)
{
    char *s = malloc(arg->value_len + 1);
    size_t n;

    *out = NULL;
    if (s == NULL)
        return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
    n = decode(c, arg, s);
    if (n > XTARS_PARSE_MAX_CONTENT) {
        free(s);
        return parse_fail(c, arg->at, "%.*s longer than %d bytes", (int)arg->key_len, arg->key,
                          XTARS_PARSE_MAX_CONTENT);
    }
    *out = s;
    return XTARS_OK;
}

/* A whole number in [lo, hi] written as digits (quoted or not). */
static xtars_err whole_number(struct parse_cursor *c, const struct parse_arg *arg, long lo, long hi,
                              long *out)
{
    char buf[SHORT_VALUE];
    size_t n;
    long v = 0;
    xtars_err rc = short_value(c, arg, buf, &n);

    if (rc != XTARS_OK)
        return rc;
    for (size_t i = 0; i < n && v <= hi; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            v = -1;
            break;
        }
        v = v * 10 + (buf[i] - '0');
    }
    if (n == 0 || v < lo || v > hi)
        return parse_fail(c, arg->at, "%.*s must be a whole number from %ld to %ld",
                          (int)arg->key_len, arg->key, lo, hi);
    *out = v;
    return XTARS_OK;
}

/* ---- coordinates ------------------------------------------------------- */

static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

#define TOKEN(s) {s, sizeof s - 1}
static const struct {
    const char *text;
    size_t len;
} coord_tokens[] = {TOKEN("<|box_start|>"), TOKEN("<|box_end|>"), TOKEN("<point>"),
                    TOKEN("</point>"), TOKEN("<bbox>"), TOKEN("</bbox>")};

/* A C-locale strtod, whatever locale the embedding program has set (in a
 * German locale, strtod stops at the '.'). */
static double strtod_c(const char *s)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, make_c_locale);
    return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

/* One number at text[*i]: sign, digits, optional fraction. Up to 15
 * significant digits it is one integer divided by a power of ten, which is
 * exact (and fast); 16 or 17 (what "%.17g" writes, so every double written
 * by xtars_action_to_call reads back) go through strtod. */
static xtars_err coord_number(struct parse_cursor *c, size_t *i, size_t end, double *out)
{
    size_t at = *i, p = at;
    double mantissa = 0, scale = 1;
    int digits = 0, significant = 0, fraction_digits = 0, negative = 0, fraction = 0;

    if (c->text[p] == '-' || c->text[p] == '+')
        negative = c->text[p++] == '-';
    for (; p < end; p++) {
        char ch = c->text[p];
        if (ch == '.' && !fraction) {
            fraction = 1;
        } else if (ch >= '0' && ch <= '9') {
            significant += significant > 0 || ch != '0';
            fraction_digits += fraction;
            if (++digits > MAX_CHARS || significant > MAX_DIGITS)
                return parse_fail(c, at, "number with more than %d digits in coordinates",
                                  MAX_DIGITS);
            mantissa = mantissa * 10 + (ch - '0');
            if (fraction)
                scale *= 10;
        } else {
            break;
        }
    }
    if (digits == 0 || (p < end && (is_ident_char(c->text[p]) || c->text[p] == '.'))) {
        char snip[64];
        size_t n = p - at;
        while (at + n < end && (is_ident_char(c->text[at + n]) || c->text[at + n] == '.'))
            n++;
        parse_snippet(snip, c->text + at, n);
        return parse_fail(c, at, "not a number '%s' in coordinates", snip);
    }
    if (significant <= 15 && fraction_digits <= 22) {
        *out = (negative ? -mantissa : mantissa) / scale;
    } else {
        char copy[MAX_CHARS + 4];
        memcpy(copy, c->text + at, p - at);
        copy[p - at] = '\0';
        *out = strtod_c(copy);
    }
    *i = p;
    return XTARS_OK;
}

/* Every coordinate form: (x,y) (x1,y1,x2,y2) [..] "x, y" (x1,y1)(x2,y2)
 * <point>x y</point> <bbox>x1 y1 x2 y2</bbox>, with or without
 * <|box_start|>..<|box_end|>. Brackets and tags are separators here; only the
 * numbers and their count matter. */
static xtars_err coord_numbers(struct parse_cursor *c, const struct parse_arg *arg, double v[4], int *n)
{
    size_t i = arg->value_at, end = arg->value_at + arg->value_len;
    xtars_err rc;

    *n = 0;
    while (i < end) {
        char ch = c->text[i];
        size_t tok = 0;
        for (size_t t = 0; ch == '<' && t < sizeof coord_tokens / sizeof coord_tokens[0]; t++) {
            if (coord_tokens[t].len <= end - i &&
                memcmp(c->text + i, coord_tokens[t].text, coord_tokens[t].len) == 0) {
                tok = coord_tokens[t].len;
                break;
            }
        }
        if (tok) {
            i += tok;
        } else if (parse_is_space(ch) || ch == ',' || ch == '(' || ch == ')' || ch == '[' ||
                   ch == ']') {
            i++;
        } else if ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+' ||
                   is_ident_start(ch)) {
            if (*n == 4)
                return parse_fail(c, i, "more than 4 numbers in coordinates");
            if ((rc = coord_number(c, &i, end, &v[*n])) != XTARS_OK)
                return rc;
            (*n)++;
        } else {
            char snip[64];
            parse_snippet(snip, c->text + i, 1);
            return parse_fail(c, i, "unexpected '%s' in coordinates", snip);
        }
    }
    if (*n != 2 && *n != 4)
        return parse_fail(c, arg->at, "expected 2 or 4 numbers in %.*s, got %d",
                          (int)arg->key_len, arg->key, *n);
    return XTARS_OK;
}

/* Reads a coordinate argument, checks its range and maps it to the screen. */
static xtars_err point_value(struct parse_cursor *c, const struct parse_arg *arg, double *model_x,
                             double *model_y, int *x, int *y)
{
    double v[4], extent[2];
    int n;
    xtars_err rc;

    if ((rc = coord_numbers(c, arg, v, &n)) != XTARS_OK)
        return rc;
    if (c->space == NULL)
        return parse_fail(c, arg->at, "coordinates need a screen size");
    if (xtars_coords_extent(c->space, &extent[0], &extent[1]) != XTARS_OK)
        return xtars_error(c->err, XTARS_EINVAL, "parse: invalid coordinate space");
    for (int i = 0; i < n; i++) {
        /* Model spaces start at 0. Pixels are absolute: the target (a monitor
         * or window) starts at its origin, and the slack is 10% of its size
         * on both sides, so a point on another monitor is an error, not a
         * click clamped onto this one's edge. */
        double origin = 0, lo = 0, hi = extent[i % 2] * RANGE_SLACK;
        if (c->space->family == XTARS_FAMILY_PIXELS) {
            double size = i % 2 ? c->space->target.height : c->space->target.width;
            origin = i % 2 ? c->space->target.y : c->space->target.x;
            lo = origin - size * (RANGE_SLACK - 1);
            hi = origin + size * RANGE_SLACK;
        }
        if (v[i] < 0 || v[i] < lo || v[i] > hi)
            return parse_fail(c, arg->at, "coordinate %g out of range %g..%g for %s", v[i], origin,
                              extent[i % 2], xtars_family_name(c->space->family));
    }
    *model_x = n == 4 ? (v[0] + v[2]) / 2 : v[0];
    *model_y = n == 4 ? (v[1] + v[3]) / 2 : v[1];
    xtars_coords_to_screen(c->space, *model_x, *model_y, x, y);
    return XTARS_OK;
}

/* The start point of a pointer action; required says whether one must be
 * given. An empty value counts as absent, as in both references. */
static xtars_err start_point(struct parse_cursor *c, const struct parse_call *call, int required,
                             struct xtars_action *out)
{
    const struct parse_arg *arg = find_arg(call, start_names);

    if (arg == NULL || arg->value_len == 0) {
        if (required)
            return parse_fail(c, call->name_at, "%.*s needs start_box", (int)call->name_len,
                              call->name);
        return XTARS_OK;
    }
    out->has_point = 1;
    return point_value(c, arg, &out->model_x, &out->model_y, &out->x, &out->y);
}

static xtars_err end_point(struct parse_cursor *c, const struct parse_call *call,
                           struct xtars_action *out)
{
    const struct parse_arg *arg = find_arg(call, end_names);

    if (arg == NULL || arg->value_len == 0)
        return parse_fail(c, call->name_at, "%.*s needs end_box", (int)call->name_len,
                          call->name);
    out->has_end = 1;
    return point_value(c, arg, &out->model_x2, &out->model_y2, &out->x2, &out->y2);
}

/* ---- the other argument kinds -------------------------------------------- */

static xtars_err keys_value(struct parse_cursor *c, const struct parse_call *call,
                            struct xtars_action *out)
{
    const struct parse_arg *arg = find_arg(call, key_names);
    char buf[SHORT_VALUE], snip[64];
    size_t n, bad_at, bad_len;
    xtars_err rc;

    if (arg == NULL || arg->value_len == 0)
        return parse_fail(c, call->name_at, "%.*s needs key", (int)call->name_len, call->name);
    if ((rc = short_value(c, arg, buf, &n)) != XTARS_OK)
        return rc;
    rc = xtars_key_split(buf, n, out->keys, XTARS_ACTION_MAX_KEYS, &out->key_count, &bad_at,
                         &bad_len);
    if (rc == XTARS_ERANGE)
        return parse_fail(c, arg->at, "more than %d keys in %.*s", XTARS_ACTION_MAX_KEYS,
                          (int)arg->key_len, arg->key);
    if (rc != XTARS_OK && bad_len == 0)
        return parse_fail(c, call->name_at, "%.*s needs key", (int)call->name_len, call->name);
    if (rc != XTARS_OK) {
        parse_snippet(snip, buf + bad_at, bad_len);
        return parse_fail(c, arg->at, "unknown key '%s'", snip);
    }
    return XTARS_OK;
}

static xtars_err scroll_values(struct parse_cursor *c, const struct parse_call *call,
                               struct xtars_action *out)
{
    static const char *const direction[] = {"direction", "dir", "scroll_direction",
                                            "scrolldirection", NULL}, *const amount[] = {"amount", NULL};
    const struct parse_arg *arg = find_arg(call, direction);
    char buf[SHORT_VALUE], snip[64];
    size_t n;
    long notches;
    xtars_err rc;

    if (arg == NULL || arg->value_len == 0)
        return parse_fail(c, call->name_at, "%.*s needs direction", (int)call->name_len,
                          call->name);
    if ((rc = short_value(c, arg, buf, &n)) != XTARS_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        buf[i] = ascii_lower(buf[i]);
    if (xtars_scroll_direction_from_name(buf, &out->direction) != XTARS_OK) {
        parse_snippet(snip, buf, n);
        return parse_fail(c, arg->at, "unknown scroll direction '%s' (up, down, left or right)",
                          snip);
    }
    if ((arg = find_arg(call, amount)) != NULL) {
        if ((rc = whole_number(c, arg, 1, 100, &notches)) != XTARS_OK)
            return rc;
        out->amount = (int)notches;
    }
    return start_point(c, call, 0, out);
}

static xtars_err button_value(struct parse_cursor *c, const struct parse_call *call,
                              struct xtars_action *out)
{
    static const char *const button[] = {"button", "mouse_button", "mousebutton", NULL};
    const struct parse_arg *arg = find_arg(call, button);
    char buf[SHORT_VALUE], snip[64];
    size_t n;
    xtars_err rc;

    out->button = XTARS_BUTTON_LEFT;
    if (arg == NULL || arg->value_len == 0)
        return start_point(c, call, 0, out);
    if ((rc = short_value(c, arg, buf, &n)) != XTARS_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        buf[i] = ascii_lower(buf[i]);
    if (xtars_button_from_name(buf, &out->button) != XTARS_OK) {
        parse_snippet(snip, buf, n);
        return parse_fail(c, arg->at, "unknown button '%s' (left, middle or right)", snip);
    }
    return start_point(c, call, 0, out);
}

/* wait() sleeps the configured time; wait(ms=...) and wait(seconds=...) are
 * xtars extensions for task files. */
static xtars_err wait_value(struct parse_cursor *c, const struct parse_call *call,
                            struct xtars_action *out)
{
    static const char *const ms[] = {"ms", NULL};
    static const char *const seconds[] = {"seconds", "time", "duration", "wait_time", "delay", NULL};
    const struct parse_arg *arg;
    long v;
    xtars_err rc;

    if ((arg = find_arg(call, ms)) != NULL && arg->value_len > 0) {
        if ((rc = whole_number(c, arg, 0, 3600000, &v)) != XTARS_OK)
            return rc;
        out->ms = (int)v;
    } else if ((arg = find_arg(call, seconds)) != NULL && arg->value_len > 0) {
        if ((rc = whole_number(c, arg, 0, 3600, &v)) != XTARS_OK)
            return rc;
        out->ms = (int)v * 1000;
    }
    return XTARS_OK;
}

/* type() needs content (an empty one types nothing); finished() and
 * call_user() may carry one, and an empty one counts as none. */
static xtars_err content_value(struct parse_cursor *c, const struct parse_call *call, int required,
                               struct xtars_action *out)
{
    const struct parse_arg *arg = find_arg(call, content_names);
    xtars_err rc;

    if (arg == NULL && required)
        return parse_fail(c, call->name_at, "%.*s needs content", (int)call->name_len,
                          call->name);
    if (arg == NULL || (arg->value_len == 0 && !required))
        return XTARS_OK;
    rc = string_value(c, arg, &out->text);
    if (rc == XTARS_OK && !required && out->text[0] == '\0') {
        free(out->text);
        out->text = NULL;
    }
    return rc;
}

static xtars_err build_action(struct parse_cursor *c, const struct parse_call *call,
                              struct xtars_action *out)
{
    xtars_err rc;

    out->type = call->type;
    switch (call->type) {
    case XTARS_ACTION_CLICK:
    case XTARS_ACTION_DOUBLE_CLICK:
    case XTARS_ACTION_RIGHT_CLICK:
    case XTARS_ACTION_MIDDLE_CLICK:
    case XTARS_ACTION_HOVER:
        return start_point(c, call, 1, out);
    case XTARS_ACTION_DRAG:
        rc = start_point(c, call, 1, out);
        return rc == XTARS_OK ? end_point(c, call, out) : rc;
    case XTARS_ACTION_SCROLL:
        return scroll_values(c, call, out);
    case XTARS_ACTION_TYPE:
        return content_value(c, call, 1, out);
    case XTARS_ACTION_HOTKEY:
    case XTARS_ACTION_KEY_DOWN:
    case XTARS_ACTION_KEY_UP:
        return keys_value(c, call, out);
    case XTARS_ACTION_MOUSE_DOWN:
    case XTARS_ACTION_MOUSE_UP:
        return button_value(c, call, out);
    case XTARS_ACTION_WAIT:
        return wait_value(c, call, out);
    case XTARS_ACTION_FINISHED:
    case XTARS_ACTION_CALL_USER:
        return content_value(c, call, 0, out);
    default:
        return parse_fail(c, call->name_at, "unknown action");
    }
}

xtars_err parse_call_build(struct parse_cursor *c, const struct parse_call *call,
                           struct xtars_action *out)
{
    static const struct xtars_action zero;
    xtars_err rc;

    *out = zero;  /* a copy, not memset: far cheaper than rep stos for this size */
    rc = build_action(c, call, out);
    if (rc != XTARS_OK)
        xtars_action_cleanup(out);
    return rc;
}

xtars_err parse_call(struct parse_cursor *c, int after_action, struct xtars_action *out,
                     int *press)
{
    static const struct xtars_action zero;
    struct parse_call call;
    xtars_err rc;

    *out = zero;
    call.arg_count = 0;
    call.press = 0;
    rc = read_head(c, after_action, &call);
    if (rc == XTARS_OK)
        rc = read_args(c, &call);
    if (rc == XTARS_OK)
        rc = parse_call_build(c, &call, out);
    if (press)
        *press = rc == XTARS_OK && call.press;
    return rc;
}

/* 1 if some action after `from` releases key. */
static int released_later(const struct xtars_action *actions, int from, int count, const char *key)
{
    for (int i = from + 1; i < count; i++)
        if (actions[i].type == XTARS_ACTION_KEY_UP)
            for (int k = 0; k < actions[i].key_count; k++)
                if (strcmp(actions[i].keys[k], key) == 0)
                    return 1;
    return 0;
}

void parse_resolve_presses(struct xtars_action *actions, const int *presses, int count)
{
    for (int i = 0; i < count; i++) {
        int held = actions[i].key_count > 0;
        if (!presses[i] || actions[i].type != XTARS_ACTION_KEY_DOWN)
            continue;
        for (int k = 0; k < actions[i].key_count && held; k++)
            held = released_later(actions, i, count, actions[i].keys[k]);
        if (!held)
            actions[i].type = XTARS_ACTION_HOTKEY;
    }
}
