/* pyautogui.c: the pyautogui subset OSWorld records, to and from xtars
 * actions. The code is untrusted text from another program: it is read by a
 * small bounded tokenizer and a one-statement-at-a-time parser that knows
 * only literals, dotted names and calls. Nothing is evaluated, nothing
 * outside the subset is executed, and every refusal names the statement. */
#include "agent/interop/import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reply/keys.h"

#define MAX_ARGS 12
#define MAX_ITEMS 16
#define MAX_STRING (64 * 1024)
#define NAME_LEN 64

/* ---- tokens ---- */

enum tok_kind { T_END, T_NEWLINE, T_NAME, T_NUMBER, T_STRING, T_PUNCT };

struct lexer {
    const char *p, *end;
    int depth;                  /* open brackets: newlines inside them are spaces */
    enum tok_kind kind;
    char name[NAME_LEN];        /* T_NAME */
    double number;              /* T_NUMBER */
    char punct;                 /* T_PUNCT */
    char *text;                 /* T_STRING: decoded, owned until taken */
    size_t text_len;
    char *err;
};

static xtars_err lex_error(struct lexer *lx, const char *what)
{
    return xtars_error(lx->err, XTARS_EPARSE, "%s", what);
}

static void put_utf8(unsigned long cp, char *out, size_t *n)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Reads `digits` hex digits at p (within end); -1 when they are not there. */
static long hex_value(const char *p, const char *end, int digits)
{
    long v = 0;

    if (end - p < digits)
        return -1;
    for (int i = 0; i < digits; i++) {
        int c = (unsigned char)p[i], d;
        d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* One escape after a backslash at *p (non-raw strings), Python's rules.
 * Appends the decoded bytes to out. */
static xtars_err lex_escape(struct lexer *lx, const char **p, char *out, size_t *n)
{
    static const char simple_in[] = "\\'\"abfnrtv", simple_out[] = "\\'\"\a\b\f\n\r\t\v";
    const char *s = *p, *hit;
    long cp = -1;

    if (s >= lx->end)
        return lex_error(lx, "unterminated string");
    if ((hit = strchr(simple_in, *s)) != NULL && *s) {
        out[(*n)++] = simple_out[hit - simple_in];
        *p = s + 1;
        return XTARS_OK;
    }
    if (*s == '\n') { /* line continuation inside a string */
        *p = s + 1;
        return XTARS_OK;
    }
    if (*s == 'x' || *s == 'u' || *s == 'U') {
        int digits = *s == 'x' ? 2 : *s == 'u' ? 4 : 8;
        cp = hex_value(s + 1, lx->end, digits);
        if (cp < 0)
            return lex_error(lx, "bad \\x, \\u or \\U escape in a string");
        *p = s + 1 + digits;
    } else if (*s >= '0' && *s <= '7') {
        cp = 0;
        for (int i = 0; i < 3 && s < lx->end && *s >= '0' && *s <= '7'; i++)
            cp = cp * 8 + (*s++ - '0');
        *p = s;
    } else if (*s == 'N') {
        return lex_error(lx, "\\N{...} escapes are not supported");
    } else { /* unknown escape: Python keeps the backslash */
        out[(*n)++] = '\\';
        return XTARS_OK;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return lex_error(lx, "a string holds NUL or an invalid code point");
    put_utf8((unsigned long)cp, out, n);
    return XTARS_OK;
}

/* A string literal starting at its opening quote; raw: r'' prefix. */
static xtars_err lex_string(struct lexer *lx, int raw)
{
    char quote = *lx->p;
    int triple = lx->end - lx->p >= 3 && lx->p[1] == quote && lx->p[2] == quote;
    const char *s = lx->p + (triple ? 3 : 1);
    size_t n = 0;
    char *out = malloc(MAX_STRING + 8);
    xtars_err rc = XTARS_OK;

    if (out == NULL)
        return xtars_error(lx->err, XTARS_ENOMEM, "out of memory");
    for (;;) {
        if (s >= lx->end || (!triple && *s == '\n')) {
            rc = lex_error(lx, "unterminated string");
            break;
        }
        if (*s == quote && (!triple || (lx->end - s >= 3 && s[1] == quote && s[2] == quote))) {
            s += triple ? 3 : 1;
            break;
        }
        if (n > MAX_STRING) {
            rc = lex_error(lx, "a string is longer than 64 KB");
            break;
        }
        if (*s == '\\' && !raw) {
            s++;
            if ((rc = lex_escape(lx, &s, out, &n)) != XTARS_OK)
                break;
        } else if (*s == '\\' && s + 1 < lx->end) { /* raw: the backslash stays, the next char too */
            out[n++] = *s++;
            out[n++] = *s++;
        } else if (*s == '\0') {
            rc = lex_error(lx, "a string holds NUL");
            break;
        } else {
            out[n++] = *s++;
        }
    }
    if (rc != XTARS_OK) {
        free(out);
        return rc;
    }
    out[n] = '\0';
    lx->p = s;
    lx->kind = T_STRING;
    lx->text = out;
    lx->text_len = n;
    return XTARS_OK;
}

/* digits [. digits] [e [+-] digits], at least one mantissa digit; '_'
 * between digits as Python allows. */
static xtars_err lex_number(struct lexer *lx)
{
    char buf[64];
    size_t n = 0;
    int digits = 0, exp_digits = 0, seen_dot = 0, seen_exp = 0;
    const char *s = lx->p;

    while (s < lx->end && n < sizeof buf - 1) {
        char c = *s;
        if (c >= '0' && c <= '9') {
            buf[n++] = c;
            seen_exp ? exp_digits++ : digits++;
        } else if (c == '_' && s + 1 < lx->end && s[1] >= '0' && s[1] <= '9' && n > 0) {
            /* skipped */
        } else if (c == '.' && !seen_dot && !seen_exp) {
            buf[n++] = c, seen_dot = 1;
        } else if ((c == 'e' || c == 'E') && !seen_exp && digits) {
            buf[n++] = c, seen_exp = 1;
            if (s + 1 < lx->end && (s[1] == '+' || s[1] == '-'))
                buf[n++] = *++s;
        } else {
            break;
        }
        s++;
    }
    buf[n] = '\0';
    if (!digits || (seen_exp && !exp_digits) || n >= sizeof buf - 1 ||
        (s < lx->end && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')))
        return lex_error(lx, "malformed number");
    lx->number = strtod(buf, NULL);
    if (!isfinite(lx->number))
        return lex_error(lx, "number out of range");
    lx->p = s;
    lx->kind = T_NUMBER;
    return XTARS_OK;
}

static int name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* A name, or a string with a prefix (r'', u'', b'', f''). */
static xtars_err lex_name(struct lexer *lx)
{
    const char *s = lx->p;
    size_t n;

    while (s < lx->end && name_char(*s))
        s++;
    n = (size_t)(s - lx->p);
    if (n <= 2 && s < lx->end && (*s == '\'' || *s == '"')) {
        int raw = 0;
        for (size_t i = 0; i < n; i++) {
            char c = (char)(lx->p[i] | 0x20);
            if (c == 'f' || c == 'b')
                return lex_error(lx, c == 'f' ? "f-strings are not supported"
                                              : "bytes literals are not supported");
            if (c == 'r')
                raw = 1;
            else if (c != 'u')
                return lex_error(lx, "unknown string prefix");
        }
        lx->p = s;
        return lex_string(lx, raw);
    }
    if (n >= NAME_LEN)
        return lex_error(lx, "name too long");
    memcpy(lx->name, lx->p, n);
    lx->name[n] = '\0';
    lx->p = s;
    lx->kind = T_NAME;
    return XTARS_OK;
}

/* Skips spaces, comments, continuations, and newlines inside brackets. */
static void skip_blank(struct lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || (c == '\n' && lx->depth > 0)) {
            lx->p++;
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
            lx->p += 2;
        } else {
            break;
        }
    }
}

static xtars_err lex_next(struct lexer *lx)
{
    char c;

    free(lx->text);
    lx->text = NULL;
    skip_blank(lx);
    if (lx->p >= lx->end) {
        lx->kind = T_END;
        return XTARS_OK;
    }
    c = *lx->p;
    if (c == '\n') {
        lx->p++;
        lx->kind = T_NEWLINE;
        return XTARS_OK;
    }
    if (c == '\'' || c == '"')
        return lex_string(lx, 0);
    if ((c >= '0' && c <= '9') || (c == '.' && lx->p + 1 < lx->end && lx->p[1] >= '0' &&
                                   lx->p[1] <= '9'))
        return lex_number(lx);
    if (name_start(c))
        return lex_name(lx);
    if (strchr("()[],=.;-+:", c) == NULL)
        return xtars_error(lx->err, XTARS_EPARSE, "unexpected character '%c'",
                           c >= 32 && c < 127 ? c : '?');
    if (c == '(' || c == '[')
        lx->depth++;
    if ((c == ')' || c == ']') && lx->depth > 0)
        lx->depth--;
    lx->p++;
    lx->kind = T_PUNCT;
    lx->punct = c;
    return XTARS_OK;
}

static int at_punct(const struct lexer *lx, char c)
{
    return lx->kind == T_PUNCT && lx->punct == c;
}

/* ---- values and calls ---- */

enum value_kind { V_NONE, V_NUMBER, V_STRING, V_BOOL, V_NAME, V_LIST };

struct value {
    enum value_kind kind;
    double number;               /* V_NUMBER; V_BOOL: 0 or 1 */
    char *text;                  /* V_STRING (owned), V_NAME (owned) */
    size_t len;
    struct value *items;         /* V_LIST: count scalars, owned */
    int count;
};

struct call {
    char name[NAME_LEN * 2];
    struct value args[MAX_ARGS];
    int argc;
    char keys[MAX_ARGS][NAME_LEN];
    struct value kwargs[MAX_ARGS];
    int kwargc;
};

static void value_free(struct value *v)
{
    for (int i = 0; i < v->count; i++)
        value_free(&v->items[i]);
    free(v->items);
    free(v->text);
    memset(v, 0, sizeof *v);
}

static void call_free(struct call *c)
{
    for (int i = 0; i < c->argc; i++)
        value_free(&c->args[i]);
    for (int i = 0; i < c->kwargc; i++)
        value_free(&c->kwargs[i]);
    memset(c, 0, sizeof *c);
}

/* Takes the current string token, joining adjacent literals ('a' 'b'). */
static xtars_err take_string(struct lexer *lx, struct value *v)
{
    xtars_err rc;

    v->kind = V_STRING;
    v->text = lx->text, v->len = lx->text_len;
    lx->text = NULL;
    while ((rc = lex_next(lx)) == XTARS_OK && lx->kind == T_STRING) {
        char *joined;
        if (v->len + lx->text_len > MAX_STRING)
            return lex_error(lx, "a string is longer than 64 KB");
        joined = realloc(v->text, v->len + lx->text_len + 1);
        if (joined == NULL)
            return xtars_error(lx->err, XTARS_ENOMEM, "out of memory");
        memcpy(joined + v->len, lx->text, lx->text_len + 1);
        v->text = joined, v->len += lx->text_len;
    }
    return rc;
}

/* A dotted name used as a value (True, None, pyautogui.easeInQuad). */
static xtars_err take_name(struct lexer *lx, struct value *v)
{
    char dotted[NAME_LEN * 2];
    xtars_err rc;

    snprintf(dotted, sizeof dotted, "%s", lx->name);
    while ((rc = lex_next(lx)) == XTARS_OK && at_punct(lx, '.')) {
        if ((rc = lex_next(lx)) != XTARS_OK || lx->kind != T_NAME)
            return rc != XTARS_OK ? rc : lex_error(lx, "a name must follow '.'");
        if (strlen(dotted) + strlen(lx->name) + 2 > sizeof dotted)
            return lex_error(lx, "name too long");
        strcat(dotted, ".");
        strcat(dotted, lx->name);
    }
    if (rc != XTARS_OK)
        return rc;
    if (strcmp(dotted, "True") == 0 || strcmp(dotted, "False") == 0) {
        v->kind = V_BOOL, v->number = dotted[0] == 'T';
    } else if (strcmp(dotted, "None") == 0) {
        v->kind = V_NONE;
    } else {
        v->kind = V_NAME;
        if ((v->text = strdup(dotted)) == NULL)
            return xtars_error(lx->err, XTARS_ENOMEM, "out of memory");
        v->len = strlen(dotted);
    }
    return XTARS_OK;
}

static xtars_err parse_value(struct lexer *lx, struct value *v, int allow_list);

/* ( ... ) or [ ... ]: a list of scalars; (x) alone is just x. */
static xtars_err parse_list(struct lexer *lx, struct value *v)
{
    char close = lx->punct == '(' ? ')' : ']';
    int paren = close == ')', commas = 0;
    xtars_err rc = lex_next(lx);

    v->kind = V_LIST;
    v->items = calloc(MAX_ITEMS, sizeof *v->items);
    if (v->items == NULL)
        return xtars_error(lx->err, XTARS_ENOMEM, "out of memory");
    while (rc == XTARS_OK && !at_punct(lx, close)) {
        if (v->count == MAX_ITEMS)
            return lex_error(lx, "a list has more than 16 items");
        if ((rc = parse_value(lx, &v->items[v->count++], 0)) != XTARS_OK)
            return rc;
        if (at_punct(lx, ','))
            commas++, rc = lex_next(lx);
        else if (!at_punct(lx, close))
            return lex_error(lx, "expected ',' or a closing bracket in a list");
    }
    if (rc != XTARS_OK)
        return rc;
    if (paren && v->count == 1 && commas == 0) { /* (x): parentheses, not a tuple */
        struct value inner = v->items[0];
        v->items[0].text = NULL, v->items[0].items = NULL, v->items[0].count = 0;
        value_free(v);
        *v = inner;
    }
    return lex_next(lx);
}

static xtars_err parse_value(struct lexer *lx, struct value *v, int allow_list)
{
    double sign = 1;
    xtars_err rc;

    memset(v, 0, sizeof *v);
    if (at_punct(lx, '-') || at_punct(lx, '+')) {
        sign = lx->punct == '-' ? -1 : 1;
        if ((rc = lex_next(lx)) != XTARS_OK)
            return rc;
        if (lx->kind != T_NUMBER)
            return lex_error(lx, "a sign must precede a number");
    }
    switch (lx->kind) {
    case T_NUMBER:
        v->kind = V_NUMBER, v->number = sign * lx->number;
        return lex_next(lx);
    case T_STRING:
        return take_string(lx, v);
    case T_NAME:
        return take_name(lx, v);
    case T_PUNCT:
        if ((lx->punct == '(' || lx->punct == '[') && allow_list)
            return parse_list(lx, v);
        return xtars_error(lx->err, XTARS_EPARSE, "unexpected '%c'", lx->punct);
    default:
        return lex_error(lx, "expected a value");
    }
}

/* NAME(.NAME)* already read into c->name; parses "( args )". */
static xtars_err parse_arguments(struct lexer *lx, struct call *c)
{
    xtars_err rc = lex_next(lx);

    while (rc == XTARS_OK && !at_punct(lx, ')')) {
        struct value *v;
        if (c->argc + c->kwargc == MAX_ARGS)
            return lex_error(lx, "too many arguments");
        if (lx->kind == T_NAME && lx->p < lx->end) {
            const char *q = lx->p;
            while (q < lx->end && (*q == ' ' || *q == '\t'))
                q++;
            if (q < lx->end && *q == '=' && (q + 1 >= lx->end || q[1] != '=')) {
                snprintf(c->keys[c->kwargc], NAME_LEN, "%s", lx->name);
                if ((rc = lex_next(lx)) != XTARS_OK || (rc = lex_next(lx)) != XTARS_OK)
                    return rc;
                v = &c->kwargs[c->kwargc++];
                if ((rc = parse_value(lx, v, 1)) != XTARS_OK)
                    return rc;
                goto separator;
            }
        }
        if (c->kwargc)
            return lex_error(lx, "a positional argument follows a keyword argument");
        if ((rc = parse_value(lx, &c->args[c->argc++], 1)) != XTARS_OK)
            return rc;
    separator:
        if (at_punct(lx, ','))
            rc = lex_next(lx);
        else if (!at_punct(lx, ')'))
            return lex_error(lx, "expected ',' or ')' in the arguments");
    }
    return rc == XTARS_OK ? lex_next(lx) : rc;
}

/* ---- translation ---- */

struct ctx {
    const struct xtars_rect *screen;
    struct xtars_pyautogui_state *state;
    struct xtars_pyautogui *out;
    char *clipboard;             /* pyperclip.copy() text waiting for its ctrl+v */
    int pasted;                  /* out->action_count right after a paste, else 0 */
    char *err;
};

static struct xtars_action *emit(struct ctx *x, enum xtars_action_type type, xtars_err *rc)
{
    struct xtars_action *a;

    if (x->out->action_count == XTARS_PYAUTOGUI_MAX_ACTIONS) {
        *rc = xtars_error(x->err, XTARS_EPARSE, "more than %d actions", XTARS_PYAUTOGUI_MAX_ACTIONS);
        return NULL;
    }
    a = &x->out->actions[x->out->action_count++];
    memset(a, 0, sizeof *a);
    a->type = type;
    *rc = XTARS_OK;
    return a;
}

/* Keyword name first, else position; NULL when absent or None. */
static const struct value *arg(const struct call *c, int position, const char *name)
{
    for (int i = 0; i < c->kwargc; i++)
        if (strcmp(c->keys[i], name) == 0)
            return c->kwargs[i].kind == V_NONE ? NULL : &c->kwargs[i];
    if (position >= 0 && position < c->argc)
        return c->args[position].kind == V_NONE ? NULL : &c->args[position];
    return NULL;
}

static xtars_err need_number(struct ctx *x, const struct value *v, const char *what, double *out)
{
    if (v == NULL || v->kind != V_NUMBER)
        return xtars_error(x->err, XTARS_EPARSE, "%s must be a number", what);
    *out = v->number;
    return XTARS_OK;
}

static xtars_err to_pixel(struct ctx *x, double value, int origin, int size, const char *axis,
                          int *out)
{
    double truncated = trunc(value);

    if (!(truncated >= origin && truncated < (double)origin + size))
        return xtars_error(x->err, XTARS_EPARSE, "%s %g is outside the %dx%d screen", axis, value,
                           x->screen->width, x->screen->height);
    *out = (int)truncated;
    return XTARS_OK;
}

/* The point named by (x, y) arguments: numbers, an (x, y) pair in x, one of
 * them with the pointer's other coordinate, or neither (*given = 0). */
static xtars_err get_point(struct ctx *x, const struct call *c, int xi, int yi, int *px, int *py,
                           int *given)
{
    const struct value *vx = arg(c, xi, "x"), *vy = arg(c, yi, "y");
    double fx = x->state->x, fy = x->state->y;
    xtars_err rc = XTARS_OK;

    *given = vx != NULL || vy != NULL;
    if (!*given)
        return XTARS_OK;
    if (vx && vx->kind == V_LIST) {
        if (vx->count != 2 || vx->items[0].kind != V_NUMBER || vx->items[1].kind != V_NUMBER || vy)
            return xtars_error(x->err, XTARS_EPARSE, "a point must be two numbers");
        fx = vx->items[0].number, fy = vx->items[1].number;
    } else {
        if ((!vx || !vy) && !x->state->has_pointer)
            return xtars_error(x->err, XTARS_EPARSE, "only one coordinate given and the pointer "
                               "position is not known");
        if (vx)
            rc = need_number(x, vx, "x", &fx);
        if (rc == XTARS_OK && vy)
            rc = need_number(x, vy, "y", &fy);
    }
    if (rc == XTARS_OK)
        rc = to_pixel(x, fx, x->screen->x, x->screen->width, "x", px);
    if (rc == XTARS_OK)
        rc = to_pixel(x, fy, x->screen->y, x->screen->height, "y", py);
    return rc;
}

/* The pointer position for calls without coordinates. */
static xtars_err current_point(struct ctx *x, const char *name, int *px, int *py)
{
    if (!x->state->has_pointer)
        return xtars_error(x->err, XTARS_EPARSE, "%s() without coordinates, and the pointer "
                           "position is not known", name);
    *px = x->state->x, *py = x->state->y;
    return XTARS_OK;
}

static void move_pointer(struct ctx *x, int px, int py)
{
    x->state->has_pointer = 1, x->state->x = px, x->state->y = py;
}

static void set_point(struct xtars_action *a, int px, int py)
{
    a->has_point = 1, a->x = px, a->y = py, a->model_x = px, a->model_y = py;
}

static xtars_err get_button(struct ctx *x, const struct call *c, int position,
                            enum xtars_button fallback, enum xtars_button *out)
{
    const struct value *v = arg(c, position, "button");

    *out = fallback;
    if (v == NULL)
        return XTARS_OK;
    if (v->kind != V_STRING)
        return xtars_error(x->err, XTARS_EPARSE, "button must be a string");
    if (strcmp(v->text, "left") == 0 || strcmp(v->text, "primary") == 0)
        *out = XTARS_BUTTON_LEFT;
    else if (strcmp(v->text, "right") == 0 || strcmp(v->text, "secondary") == 0)
        *out = XTARS_BUTTON_RIGHT;
    else if (strcmp(v->text, "middle") == 0)
        *out = XTARS_BUTTON_MIDDLE;
    else
        return xtars_error(x->err, XTARS_EPARSE, "unknown button '%.20s'", v->text);
    return XTARS_OK;
}

static xtars_err get_count(struct ctx *x, const struct call *c, int position, const char *name,
                           int fallback, int *out)
{
    const struct value *v = arg(c, position, name);

    *out = fallback;
    if (v == NULL)
        return XTARS_OK;
    if (v->kind != V_NUMBER || v->number != floor(v->number) || v->number < 0 ||
        v->number > XTARS_PYAUTOGUI_MAX_REPEAT)
        return xtars_error(x->err, XTARS_EPARSE, "%s must be a whole number from 0 to %d", name,
                           XTARS_PYAUTOGUI_MAX_REPEAT);
    *out = (int)v->number;
    return XTARS_OK;
}

/* click / doubleClick / tripleClick / rightClick / middleClick / leftClick:
 * n left clicks are n/2 double clicks and n%2 clicks (an app sees them as
 * one n-fold click: they follow within the double-click time). */
static xtars_err clicks(struct ctx *x, const struct call *c, int count, int button_position,
                        enum xtars_button button)
{
    int px, py, given;
    xtars_err rc = get_point(x, c, 0, 1, &px, &py, &given);

    if (rc == XTARS_OK && !given)
        rc = current_point(x, c->name, &px, &py);
    if (rc == XTARS_OK && button_position >= 0)
        rc = get_button(x, c, button_position, button, &button);
    for (int i = 0; rc == XTARS_OK && i < count;) {
        enum xtars_action_type type = button == XTARS_BUTTON_RIGHT    ? XTARS_ACTION_RIGHT_CLICK
                                      : button == XTARS_BUTTON_MIDDLE ? XTARS_ACTION_MIDDLE_CLICK
                                      : count - i >= 2                ? XTARS_ACTION_DOUBLE_CLICK
                                                                      : XTARS_ACTION_CLICK;
        struct xtars_action *a = emit(x, type, &rc);
        if (a)
            set_point(a, px, py);
        i += type == XTARS_ACTION_DOUBLE_CLICK ? 2 : 1;
    }
    if (rc == XTARS_OK)
        move_pointer(x, px, py);
    return rc;
}

static xtars_err fn_click(struct ctx *x, const struct call *c)
{
    int count;
    xtars_err rc = get_count(x, c, 2, "clicks", 1, &count);
    return rc == XTARS_OK ? clicks(x, c, count, 4, XTARS_BUTTON_LEFT) : rc;
}

static xtars_err fn_double_click(struct ctx *x, const struct call *c)
{
    return clicks(x, c, 2, 3, XTARS_BUTTON_LEFT);
}

static xtars_err fn_triple_click(struct ctx *x, const struct call *c)
{
    return clicks(x, c, 3, 3, XTARS_BUTTON_LEFT);
}

static xtars_err fn_right_click(struct ctx *x, const struct call *c)
{
    return clicks(x, c, 1, -1, XTARS_BUTTON_RIGHT);
}

static xtars_err fn_middle_click(struct ctx *x, const struct call *c)
{
    return clicks(x, c, 1, -1, XTARS_BUTTON_MIDDLE);
}

static xtars_err fn_left_click(struct ctx *x, const struct call *c)
{
    return clicks(x, c, 1, -1, XTARS_BUTTON_LEFT);
}

static xtars_err hover_to(struct ctx *x, int px, int py)
{
    xtars_err rc;
    struct xtars_action *a = emit(x, XTARS_ACTION_HOVER, &rc);

    if (a) {
        set_point(a, px, py);
        move_pointer(x, px, py);
    }
    return rc;
}

static xtars_err fn_move_to(struct ctx *x, const struct call *c)
{
    int px, py, given;
    xtars_err rc = get_point(x, c, 0, 1, &px, &py, &given);

    return rc == XTARS_OK && given ? hover_to(x, px, py) : rc;
}

/* The pointer plus (xOffset, yOffset). */
static xtars_err relative_point(struct ctx *x, const struct call *c, int *px, int *py)
{
    const struct value *dx = arg(c, 0, "xOffset"), *dy = arg(c, 1, "yOffset");
    double fx = 0, fy = 0;
    xtars_err rc = current_point(x, c->name, px, py);

    if (rc == XTARS_OK && dx)
        rc = need_number(x, dx, "xOffset", &fx);
    if (rc == XTARS_OK && dy)
        rc = need_number(x, dy, "yOffset", &fy);
    if (rc == XTARS_OK)
        rc = to_pixel(x, *px + trunc(fx), x->screen->x, x->screen->width, "x", px);
    if (rc == XTARS_OK)
        rc = to_pixel(x, *py + trunc(fy), x->screen->y, x->screen->height, "y", py);
    return rc;
}

static xtars_err fn_move_rel(struct ctx *x, const struct call *c)
{
    int px, py;
    xtars_err rc = relative_point(x, c, &px, &py);
    return rc == XTARS_OK ? hover_to(x, px, py) : rc;
}

/* A drag from the pointer to (px, py) with a button; mouseDownUp=False only moves. */
static xtars_err drag_to(struct ctx *x, const struct call *c, int px, int py, int button_position)
{
    const struct value *updown = arg(c, -1, "mouseDownUp");
    enum xtars_button button;
    struct xtars_action *a;
    int sx = x->state->x, sy = x->state->y;
    xtars_err rc = x->state->has_pointer ? XTARS_OK
                   : xtars_error(x->err, XTARS_EPARSE, "%s(): the drag starts where the pointer is, "
                                 "and its position is not known", c->name);

    if (rc == XTARS_OK)
        rc = get_button(x, c, button_position, XTARS_BUTTON_LEFT, &button);
    if (rc != XTARS_OK)
        return rc;
    if (updown && updown->kind == V_BOOL && updown->number == 0)
        return hover_to(x, px, py);
    if (button != XTARS_BUTTON_LEFT) {
        if ((a = emit(x, XTARS_ACTION_MOUSE_DOWN, &rc)) != NULL) {
            a->button = button;
            set_point(a, sx, sy);
        }
        if (rc == XTARS_OK)
            rc = hover_to(x, px, py);
        if (rc == XTARS_OK && (a = emit(x, XTARS_ACTION_MOUSE_UP, &rc)) != NULL)
            a->button = button;
        return rc;
    }
    /* moveTo(P) then dragTo(Q) is one drag: the drag starts by moving to P. */
    if (x->out->action_count > 0) {
        struct xtars_action *last = &x->out->actions[x->out->action_count - 1];
        if (last->type == XTARS_ACTION_HOVER && last->x == sx && last->y == sy)
            x->out->action_count--;
    }
    if ((a = emit(x, XTARS_ACTION_DRAG, &rc)) != NULL) {
        set_point(a, sx, sy);
        a->has_end = 1, a->x2 = px, a->y2 = py, a->model_x2 = px, a->model_y2 = py;
        move_pointer(x, px, py);
    }
    return rc;
}

static xtars_err fn_drag_to(struct ctx *x, const struct call *c)
{
    int px, py, given;
    xtars_err rc = get_point(x, c, 0, 1, &px, &py, &given);

    if (rc == XTARS_OK && !given)
        rc = current_point(x, c->name, &px, &py);
    return rc == XTARS_OK ? drag_to(x, c, px, py, 4) : rc;
}

static xtars_err fn_drag_rel(struct ctx *x, const struct call *c)
{
    int px, py;
    xtars_err rc = relative_point(x, c, &px, &py);
    return rc == XTARS_OK ? drag_to(x, c, px, py, 4) : rc;
}

static xtars_err mouse_button(struct ctx *x, const struct call *c, enum xtars_action_type type)
{
    int px, py, given;
    enum xtars_button button;
    struct xtars_action *a;
    xtars_err rc = get_point(x, c, 0, 1, &px, &py, &given);

    if (rc == XTARS_OK)
        rc = get_button(x, c, 2, XTARS_BUTTON_LEFT, &button);
    if (rc == XTARS_OK && (a = emit(x, type, &rc)) != NULL) {
        a->button = button;
        if (given) {
            set_point(a, px, py);
            move_pointer(x, px, py);
        }
    }
    return rc;
}

static xtars_err fn_mouse_down(struct ctx *x, const struct call *c)
{
    return mouse_button(x, c, XTARS_ACTION_MOUSE_DOWN);
}

static xtars_err fn_mouse_up(struct ctx *x, const struct call *c)
{
    return mouse_button(x, c, XTARS_ACTION_MOUSE_UP);
}

/* scroll(clicks, x, y): positive is up (hscroll: right); notches beyond
 * what one action carries are split over several. */
static xtars_err scroll(struct ctx *x, const struct call *c, int horizontal)
{
    const struct value *v = arg(c, 0, "clicks");
    int px = 0, py = 0, given, notches;
    double amount = 0;
    xtars_err rc = need_number(x, v, "clicks", &amount);

    if (rc == XTARS_OK && (amount != floor(amount) || fabs(amount) > 100 * XTARS_PYAUTOGUI_MAX_REPEAT))
        rc = xtars_error(x->err, XTARS_EPARSE, "clicks must be a whole number up to %d",
                         100 * XTARS_PYAUTOGUI_MAX_REPEAT);
    if (rc == XTARS_OK)
        rc = get_point(x, c, 1, 2, &px, &py, &given);
    for (notches = (int)fabs(amount); rc == XTARS_OK && notches > 0; notches -= 100) {
        struct xtars_action *a = emit(x, XTARS_ACTION_SCROLL, &rc);
        if (a == NULL)
            break;
        a->direction = horizontal ? (amount > 0 ? XTARS_SCROLL_RIGHT : XTARS_SCROLL_LEFT)
                                  : (amount > 0 ? XTARS_SCROLL_UP : XTARS_SCROLL_DOWN);
        a->amount = notches > 100 ? 100 : notches;
        if (given) {
            set_point(a, px, py);
            move_pointer(x, px, py);
        }
    }
    return rc;
}

static xtars_err fn_scroll(struct ctx *x, const struct call *c)
{
    return scroll(x, c, 0);
}

static xtars_err fn_hscroll(struct ctx *x, const struct call *c)
{
    return scroll(x, c, 1);
}

static xtars_err emit_text(struct ctx *x, const char *text, size_t len)
{
    xtars_err rc;
    struct xtars_action *a = emit(x, XTARS_ACTION_TYPE, &rc);

    if (a && (a->text = malloc(len + 1)) == NULL)
        return xtars_error(x->err, XTARS_ENOMEM, "out of memory");
    if (a) {
        memcpy(a->text, text, len);
        a->text[len] = '\0';
    }
    return rc;
}

/* pyautogui's own key names that are not xtars spellings. */
static const char *pyautogui_key_alias(const char *name)
{
    static const char *const pairs[][2] = {
        {"\n", "enter"}, {"\r", "enter"}, {"\t", "tab"}, {" ", "space"}, {"\b", "backspace"},
        {"optionleft", "alt"}, {"optionright", "alt"}, {"winleft", "super"},
        {"winright", "super"}, {"prntscrn", "printscreen"}, {"prtscr", "printscreen"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(name, pairs[i][0]) == 0)
            return pairs[i][1];
    return name;
}

static xtars_err key_name(struct ctx *x, const struct value *v, char out[XTARS_KEY_NAME_LEN])
{
    const char *name;

    if (v == NULL || v->kind != V_STRING)
        return xtars_error(x->err, XTARS_EPARSE, "a key must be a string");
    name = pyautogui_key_alias(v->text);
    if (xtars_key_canonical(name, strlen(name), out) != XTARS_OK)
        return xtars_error(x->err, XTARS_EPARSE, "unknown key '%.40s'", v->text);
    return XTARS_OK;
}

/* pyautogui holds Shift for these (isShiftCharacter): typing them is the
 * layout-independent way to get the same character. */
static int shift_character(const char *s)
{
    return s[0] && !s[1] && ((s[0] >= 'A' && s[0] <= 'Z') || strchr("~!@#$%^&*()_+{}|:\"<>?", s[0]));
}

static xtars_err press_one(struct ctx *x, const struct value *v)
{
    struct xtars_action *a;
    xtars_err rc;

    if (v && v->kind == V_STRING && shift_character(v->text))
        return emit_text(x, v->text, v->len);
    if ((a = emit(x, XTARS_ACTION_HOTKEY, &rc)) == NULL)
        return rc;
    a->key_count = 1;
    return key_name(x, v, a->keys[0]);
}

static xtars_err fn_press(struct ctx *x, const struct call *c)
{
    const struct value *keys = arg(c, 0, "keys");
    int presses;
    xtars_err rc = get_count(x, c, 1, "presses", 1, &presses);

    if (keys == NULL)
        return xtars_error(x->err, XTARS_EPARSE, "press() needs keys");
    /* paste + press('enter'): how OSWorld's UI-TARS agent (and xtars's
     * export) types text ending in a newline; one type action again. */
    if (x->pasted && x->pasted == x->out->action_count && presses == 1 && keys->kind == V_STRING &&
        (strcmp(keys->text, "enter") == 0 || strcmp(keys->text, "return") == 0 ||
         strcmp(keys->text, "\n") == 0)) {
        struct xtars_action *last = &x->out->actions[x->out->action_count - 1];
        size_t n = strlen(last->text);
        char *grown = rc == XTARS_OK ? realloc(last->text, n + 2) : NULL;
        if (rc == XTARS_OK && grown == NULL)
            return xtars_error(x->err, XTARS_ENOMEM, "out of memory");
        if (grown) {
            grown[n] = '\n', grown[n + 1] = '\0';
            last->text = grown;
            x->pasted = 0;
            return XTARS_OK;
        }
    }
    for (int n = 0; rc == XTARS_OK && n < presses; n++) {
        if (keys->kind != V_LIST)
            rc = press_one(x, keys);
        for (int i = 0; keys->kind == V_LIST && rc == XTARS_OK && i < keys->count; i++)
            rc = press_one(x, &keys->items[i]);
    }
    return rc;
}

static xtars_err fn_write(struct ctx *x, const struct call *c)
{
    const struct value *message = arg(c, 0, "message");
    xtars_err rc = XTARS_OK;

    if (message == NULL)
        return xtars_error(x->err, XTARS_EPARSE, "write() needs a message");
    if (message->kind == V_STRING)
        return message->len ? emit_text(x, message->text, message->len) : XTARS_OK;
    if (message->kind != V_LIST) /* typewrite(['a', 'enter']): key names */
        return xtars_error(x->err, XTARS_EPARSE, "the message must be a string or a list of keys");
    for (int i = 0; rc == XTARS_OK && i < message->count; i++)
        rc = press_one(x, &message->items[i]);
    return rc;
}

/* hotkey('ctrl', 'c') or hotkey(['ctrl', 'c']). */
static xtars_err hotkey_keys(struct ctx *x, const struct call *c, struct xtars_action *a)
{
    const struct value *list = c->args;
    int count = c->argc;
    xtars_err rc = XTARS_OK;

    if (count == 1 && c->args[0].kind == V_LIST)
        list = c->args[0].items, count = c->args[0].count;
    if (count < 1 || count > XTARS_ACTION_MAX_KEYS)
        return xtars_error(x->err, XTARS_EPARSE, "hotkey() needs 1 to %d keys", XTARS_ACTION_MAX_KEYS);
    for (int i = 0; rc == XTARS_OK && i < count; i++)
        rc = key_name(x, &list[i], a->keys[i]);
    a->key_count = count;
    return rc;
}

static xtars_err fn_hotkey(struct ctx *x, const struct call *c)
{
    struct xtars_action *a;
    xtars_err rc;

    if ((a = emit(x, XTARS_ACTION_HOTKEY, &rc)) == NULL || (rc = hotkey_keys(x, c, a)) != XTARS_OK)
        return rc;
    if (x->clipboard) { /* pyperclip.copy(TEXT) + ctrl+v: the clipboard idiom for typing */
        char *text = x->clipboard;
        if (a->key_count != 2 || strcmp(a->keys[0], "ctrl") != 0 || strcmp(a->keys[1], "v") != 0)
            return xtars_error(x->err, XTARS_EPARSE, "pyperclip.copy() is not followed by a "
                               "ctrl+v paste");
        x->out->action_count--;
        x->clipboard = NULL;
        rc = emit_text(x, text, strlen(text));
        free(text);
        x->pasted = rc == XTARS_OK ? x->out->action_count : 0;
        return rc;
    }
    return rc;
}

static xtars_err key_hold(struct ctx *x, const struct call *c, enum xtars_action_type type)
{
    xtars_err rc;
    struct xtars_action *a = emit(x, type, &rc);

    if (a == NULL)
        return rc;
    a->key_count = 1;
    return key_name(x, arg(c, 0, "key"), a->keys[0]);
}

static xtars_err fn_key_down(struct ctx *x, const struct call *c)
{
    return key_hold(x, c, XTARS_ACTION_KEY_DOWN);
}

static xtars_err fn_key_up(struct ctx *x, const struct call *c)
{
    return key_hold(x, c, XTARS_ACTION_KEY_UP);
}

static xtars_err fn_sleep(struct ctx *x, const struct call *c)
{
    double seconds = 0;
    struct xtars_action *a;
    xtars_err rc = need_number(x, arg(c, 0, "secs"), "the sleep time", &seconds);

    if (rc == XTARS_OK && (seconds < 0 || seconds > 3600))
        rc = xtars_error(x->err, XTARS_EPARSE, "sleep of %g s is outside 0..3600", seconds);
    if (rc == XTARS_OK && seconds > 0 && (a = emit(x, XTARS_ACTION_WAIT, &rc)) != NULL)
        a->ms = (int)lround(seconds * 1000);
    return rc;
}

static xtars_err fn_copy(struct ctx *x, const struct call *c)
{
    const struct value *text = arg(c, 0, "text");

    if (text == NULL || text->kind != V_STRING || text->len != strlen(text->text))
        return xtars_error(x->err, XTARS_EPARSE, "pyperclip.copy() needs a string");
    free(x->clipboard);
    x->clipboard = strdup(text->text);
    return x->clipboard ? XTARS_OK : xtars_error(x->err, XTARS_ENOMEM, "out of memory");
}

/* The subset: name, translator, parameter names in positional order
 * (keywords outside the list are refused), harmless parameters last. */
static const struct function {
    const char *name;
    xtars_err (*fn)(struct ctx *, const struct call *);
    const char *params[10];
} functions[] = {
    {"pyautogui.click", fn_click, {"x", "y", "clicks", "interval", "button", "duration", "tween",
                                   "logScreenshot", "_pause"}},
    {"pyautogui.doubleClick", fn_double_click, {"x", "y", "interval", "button", "duration", "tween",
                                                "logScreenshot", "_pause"}},
    {"pyautogui.tripleClick", fn_triple_click, {"x", "y", "interval", "button", "duration", "tween",
                                                "logScreenshot", "_pause"}},
    {"pyautogui.rightClick", fn_right_click, {"x", "y", "duration", "tween", "logScreenshot", "_pause"}},
    {"pyautogui.middleClick", fn_middle_click, {"x", "y", "duration", "tween", "logScreenshot", "_pause"}},
    {"pyautogui.leftClick", fn_left_click, {"x", "y", "interval", "duration", "tween",
                                            "logScreenshot", "_pause"}},
    {"pyautogui.moveTo", fn_move_to, {"x", "y", "duration", "tween", "logScreenshot", "_pause"}},
    {"pyautogui.moveRel", fn_move_rel, {"xOffset", "yOffset", "duration", "tween", "logScreenshot",
                                        "_pause"}},
    {"pyautogui.move", fn_move_rel, {"xOffset", "yOffset", "duration", "tween", "logScreenshot", "_pause"}},
    {"pyautogui.dragTo", fn_drag_to, {"x", "y", "duration", "tween", "button", "logScreenshot",
                                      "_pause", "mouseDownUp"}},
    {"pyautogui.dragRel", fn_drag_rel, {"xOffset", "yOffset", "duration", "tween", "button",
                                        "logScreenshot", "_pause", "mouseDownUp"}},
    {"pyautogui.drag", fn_drag_rel, {"xOffset", "yOffset", "duration", "tween", "button",
                                     "logScreenshot", "_pause", "mouseDownUp"}},
    {"pyautogui.mouseDown", fn_mouse_down, {"x", "y", "button", "duration", "tween", "logScreenshot",
                                            "_pause"}},
    {"pyautogui.mouseUp", fn_mouse_up, {"x", "y", "button", "duration", "tween", "logScreenshot",
                                        "_pause"}},
    {"pyautogui.scroll", fn_scroll, {"clicks", "x", "y", "logScreenshot", "_pause"}},
    {"pyautogui.vscroll", fn_scroll, {"clicks", "x", "y", "logScreenshot", "_pause"}},
    {"pyautogui.hscroll", fn_hscroll, {"clicks", "x", "y", "logScreenshot", "_pause"}},
    {"pyautogui.write", fn_write, {"message", "interval", "logScreenshot", "_pause"}},
    {"pyautogui.typewrite", fn_write, {"message", "interval", "logScreenshot", "_pause"}},
    {"pyautogui.press", fn_press, {"keys", "presses", "interval", "logScreenshot", "_pause"}},
    {"pyautogui.hotkey", fn_hotkey, {"interval", "logScreenshot", "_pause"}},
    {"pyautogui.keyDown", fn_key_down, {"key", "logScreenshot", "_pause"}},
    {"pyautogui.keyUp", fn_key_up, {"key", "logScreenshot", "_pause"}},
    {"time.sleep", fn_sleep, {"secs"}},
    {"pyperclip.copy", fn_copy, {"text"}},
};

/* Checks the call's keywords and positional count against the table entry. */
static xtars_err check_signature(struct ctx *x, const struct function *f, const struct call *c)
{
    int params = 0;

    while (params < 10 && f->params[params])
        params++;
    if (f->fn != fn_hotkey && c->argc > params)
        return xtars_error(x->err, XTARS_EPARSE, "%s() takes at most %d arguments", c->name, params);
    for (int i = 0; i < c->kwargc; i++) {
        int known = 0;
        for (int p = 0; p < params; p++)
            known |= strcmp(c->keys[i], f->params[p]) == 0;
        if (!known)
            return xtars_error(x->err, XTARS_EPARSE, "%s() has no argument '%.40s'", c->name,
                               c->keys[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(c->keys[i], c->keys[j]) == 0)
                return xtars_error(x->err, XTARS_EPARSE, "argument '%.40s' given twice", c->keys[i]);
    }
    for (int i = 0; i < c->kwargc && f->fn != fn_hotkey; i++)
        for (int p = 0; p < c->argc && p < params; p++)
            if (strcmp(c->keys[i], f->params[p]) == 0)
                return xtars_error(x->err, XTARS_EPARSE, "argument '%.40s' given twice", c->keys[i]);
    return XTARS_OK;
}

static xtars_err translate_call(struct ctx *x, const struct call *c)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        if (strcmp(functions[i].name, c->name) != 0)
            continue;
        xtars_err rc = check_signature(x, &functions[i], c);
        if (rc == XTARS_OK && x->clipboard && functions[i].fn != fn_hotkey &&
            functions[i].fn != fn_sleep && functions[i].fn != fn_copy)
            rc = xtars_error(x->err, XTARS_EPARSE, "pyperclip.copy() is not followed by a ctrl+v paste");
        return rc == XTARS_OK ? functions[i].fn(x, c) : rc;
    }
    return xtars_error(x->err, XTARS_EPARSE, "'%.80s' is not in the replayable pyautogui subset",
                       c->name);
}

/* import a, b / from a import b / from a import (b, c) */
static xtars_err skip_import(struct lexer *lx)
{
    xtars_err rc = lex_next(lx);

    while (rc == XTARS_OK && lx->kind != T_NEWLINE && lx->kind != T_END && !at_punct(lx, ';')) {
        if (lx->kind == T_STRING || lx->kind == T_NUMBER)
            return lex_error(lx, "malformed import");
        rc = lex_next(lx);
    }
    return rc;
}

/* One statement at lx's current token; leaves lx on the separator after it. */
static xtars_err statement(struct lexer *lx, struct ctx *x)
{
    struct call c;
    xtars_err rc;

    if (lx->kind == T_NAME && (strcmp(lx->name, "import") == 0 || strcmp(lx->name, "from") == 0))
        return skip_import(lx);
    if (lx->kind == T_NAME && strcmp(lx->name, "pass") == 0)
        return lex_next(lx);
    if (lx->kind == T_STRING) { /* a docstring-like literal: no effect */
        struct value v = {0};
        rc = take_string(lx, &v);
        value_free(&v);
        return rc;
    }
    if (lx->kind != T_NAME)
        return lex_error(lx, "expected a call");
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", lx->name);
    while ((rc = lex_next(lx)) == XTARS_OK && at_punct(lx, '.')) {
        if ((rc = lex_next(lx)) != XTARS_OK || lx->kind != T_NAME)
            return rc != XTARS_OK ? rc : lex_error(lx, "a name must follow '.'");
        if (strlen(c.name) + strlen(lx->name) + 2 > sizeof c.name)
            return lex_error(lx, "name too long");
        strcat(c.name, ".");
        strcat(c.name, lx->name);
    }
    if (rc == XTARS_OK && !at_punct(lx, '('))
        rc = xtars_error(lx->err, XTARS_EPARSE, "'%.80s %c...' is an assignment or expression, "
                         "not a call (only calls are replayable)", c.name,
                         lx->kind == T_PUNCT ? lx->punct : '?');
    if (rc == XTARS_OK)
        rc = parse_arguments(lx, &c);
    if (rc == XTARS_OK)
        rc = translate_call(x, &c);
    call_free(&c);
    return rc;
}

static xtars_err translate(struct lexer *lx, struct ctx *x, char *err)
{
    char reason[XTARS_ERRLEN];
    int number = 0;
    xtars_err rc;

    lx->err = reason;
    x->err = reason;
    rc = lex_next(lx);
    while (rc == XTARS_OK && lx->kind != T_END) {
        if (lx->kind == T_NEWLINE || at_punct(lx, ';')) {
            rc = lex_next(lx);
            continue;
        }
        number++;
        if ((rc = statement(lx, x)) != XTARS_OK)
            break;
        if (lx->kind != T_NEWLINE && lx->kind != T_END && !at_punct(lx, ';'))
            rc = lex_error(lx, "unexpected text after the statement");
    }
    if (rc == XTARS_OK && x->clipboard)
        rc = xtars_error(reason, XTARS_EPARSE, "pyperclip.copy() is not followed by a ctrl+v paste");
    if (rc != XTARS_OK)
        xtars_error(err, rc, "pyautogui: statement %d: %s", number ? number : 1, reason);
    return rc;
}

xtars_err xtars_pyautogui_translate(const char *code, size_t len, const struct xtars_rect *screen,
                                    struct xtars_pyautogui_state *state, struct xtars_pyautogui *out,
                                    char *err)
{
    struct xtars_pyautogui_state working = *state;
    struct lexer lx;
    struct ctx x;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if (len > XTARS_PYAUTOGUI_MAX_CODE)
        return xtars_error(err, XTARS_EPARSE, "pyautogui: the code is longer than %d bytes",
                           XTARS_PYAUTOGUI_MAX_CODE);
    if (memchr(code, '\0', len))
        return xtars_error(err, XTARS_EPARSE, "pyautogui: the code holds a NUL byte");
    if (screen->width < 1 || screen->height < 1)
        return xtars_error(err, XTARS_EINVAL, "pyautogui: no screen size");
    memset(&lx, 0, sizeof lx);
    lx.p = code, lx.end = code + len;
    memset(&x, 0, sizeof x);
    x.screen = screen, x.state = &working, x.out = out;
    rc = translate(&lx, &x, err);
    free(lx.text);
    free(x.clipboard);
    if (rc != XTARS_OK)
        xtars_pyautogui_cleanup(out);
    else
        *state = working;
    return rc;
}

void xtars_pyautogui_cleanup(struct xtars_pyautogui *out)
{
    if (out == NULL)
        return;
    for (int i = 0; i < out->action_count; i++)
        xtars_action_cleanup(&out->actions[i]);
    out->action_count = 0;
}

/* ---- writing pyautogui ---- */

/* A Python string literal that reads back to s. */
static xtars_err put_python_string(struct xtars_buf *out, const char *s)
{
    xtars_err rc = xtars_buf_putc(out, '\'');

    for (const unsigned char *p = (const unsigned char *)s; rc == XTARS_OK && *p; p++) {
        if (*p == '\\' || *p == '\'')
            rc = xtars_buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            rc = xtars_buf_puts(out, "\\n");
        else if (*p == '\r')
            rc = xtars_buf_puts(out, "\\r");
        else if (*p == '\t')
            rc = xtars_buf_puts(out, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            rc = xtars_buf_printf(out, "\\x%02x", *p);
        else
            rc = xtars_buf_putc(out, (char)*p);
    }
    return rc == XTARS_OK ? xtars_buf_putc(out, '\'') : rc;
}

/* pyautogui.write() sends only what it finds in its US key map: on X11 any
 * other character is dropped without an error. Text with a non-ASCII byte
 * is therefore pasted, as OSWorld's UI-TARS agent does: pyperclip.copy()
 * then ctrl+v, a trailing newline as press('enter') after the paste. */
static xtars_err put_type(struct xtars_buf *out, const char *text)
{
    size_t n = strlen(text);
    int newline = n > 1 && text[n - 1] == '\n';
    char *body;
    xtars_err rc;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x80)
            break;
        else if (p[1] == '\0') {
            rc = xtars_buf_puts(out, "pyautogui.write(");
            rc = rc == XTARS_OK ? put_python_string(out, text) : rc;
            return rc == XTARS_OK ? xtars_buf_putc(out, ')') : rc;
        }
    if (n == 0)
        return xtars_buf_puts(out, "pyautogui.write('')");
    if ((body = strndup(text, newline ? n - 1 : n)) == NULL)
        return XTARS_ENOMEM;
    rc = xtars_buf_puts(out, "import pyperclip\npyperclip.copy(");
    rc = rc == XTARS_OK ? put_python_string(out, body) : rc;
    rc = rc == XTARS_OK ? xtars_buf_puts(out, ")\npyautogui.hotkey('ctrl', 'v')") : rc;
    if (rc == XTARS_OK && newline)
        rc = xtars_buf_puts(out, "\npyautogui.press('enter')");
    free(body);
    return rc;
}

/* pyautogui's name for a canonical xtars key: the same but for super. */
static const char *pyautogui_key(const char *canonical)
{
    return strcmp(canonical, "super") == 0 ? "win" : canonical;
}

static xtars_err put_keys(struct xtars_buf *out, const struct xtars_action *a, int reverse)
{
    xtars_err rc = XTARS_OK;

    for (int i = 0; rc == XTARS_OK && i < a->key_count; i++) {
        if (i)
            rc = xtars_buf_puts(out, ", ");
        if (rc == XTARS_OK)
            rc = put_python_string(out, pyautogui_key(a->keys[reverse ? a->key_count - 1 - i : i]));
    }
    return rc;
}

static xtars_err put_key_calls(struct xtars_buf *out, const struct xtars_action *a, const char *fn)
{
    xtars_err rc = XTARS_OK;

    for (int i = 0; rc == XTARS_OK && i < a->key_count; i++) {
        int k = a->type == XTARS_ACTION_KEY_UP ? a->key_count - 1 - i : i;
        rc = xtars_buf_printf(out, "%spyautogui.%s(", i ? "\n" : "", fn);
        if (rc == XTARS_OK)
            rc = put_python_string(out, pyautogui_key(a->keys[k]));
        if (rc == XTARS_OK)
            rc = xtars_buf_putc(out, ')');
    }
    return rc;
}

static xtars_err put_scroll(struct xtars_buf *out, const struct xtars_action *a, int ox, int oy,
                            int default_scroll)
{
    int amount = a->amount ? a->amount : default_scroll;
    int sign = a->direction == XTARS_SCROLL_UP || a->direction == XTARS_SCROLL_RIGHT ? 1 : -1;
    int horizontal = a->direction == XTARS_SCROLL_LEFT || a->direction == XTARS_SCROLL_RIGHT;
    xtars_err rc = xtars_buf_printf(out, "pyautogui.%s(%d", horizontal ? "hscroll" : "scroll",
                                    sign * amount);

    if (rc == XTARS_OK && a->has_point)
        rc = xtars_buf_printf(out, ", x=%d, y=%d", a->x - ox, a->y - oy);
    return rc == XTARS_OK ? xtars_buf_putc(out, ')') : rc;
}

xtars_err xtars_pyautogui_from_action(const struct xtars_action *a, int ox, int oy,
                                      int default_wait_ms, int default_scroll, struct xtars_buf *out)
{
    static const char *const clicks[] = {
        [XTARS_ACTION_CLICK] = "click", [XTARS_ACTION_DOUBLE_CLICK] = "doubleClick",
        [XTARS_ACTION_RIGHT_CLICK] = "rightClick", [XTARS_ACTION_MIDDLE_CLICK] = "middleClick",
        [XTARS_ACTION_HOVER] = "moveTo"};
    const char *button = a->button == XTARS_BUTTON_RIGHT ? "right"
                         : a->button == XTARS_BUTTON_MIDDLE ? "middle" : "left";
    xtars_err rc;

    switch (a->type) {
    case XTARS_ACTION_CLICK:
    case XTARS_ACTION_DOUBLE_CLICK:
    case XTARS_ACTION_RIGHT_CLICK:
    case XTARS_ACTION_MIDDLE_CLICK:
    case XTARS_ACTION_HOVER:
        return xtars_buf_printf(out, "pyautogui.%s(%d, %d)", clicks[a->type], a->x - ox, a->y - oy);
    case XTARS_ACTION_DRAG:
        return xtars_buf_printf(out, "pyautogui.moveTo(%d, %d)\npyautogui.dragTo(%d, %d, "
                                "duration=0.5, button='left')", a->x - ox, a->y - oy,
                                a->x2 - ox, a->y2 - oy);
    case XTARS_ACTION_SCROLL:
        return put_scroll(out, a, ox, oy, default_scroll);
    case XTARS_ACTION_TYPE:
        return put_type(out, a->text ? a->text : "");
    case XTARS_ACTION_HOTKEY:
        rc = xtars_buf_puts(out, a->key_count == 1 ? "pyautogui.press(" : "pyautogui.hotkey(");
        rc = rc == XTARS_OK ? put_keys(out, a, 0) : rc;
        return rc == XTARS_OK ? xtars_buf_putc(out, ')') : rc;
    case XTARS_ACTION_KEY_DOWN:
        return put_key_calls(out, a, "keyDown");
    case XTARS_ACTION_KEY_UP:
        return put_key_calls(out, a, "keyUp");
    case XTARS_ACTION_MOUSE_DOWN:
    case XTARS_ACTION_MOUSE_UP:
        rc = xtars_buf_printf(out, "pyautogui.%s(", a->type == XTARS_ACTION_MOUSE_DOWN ? "mouseDown"
                                                                                       : "mouseUp");
        if (rc == XTARS_OK && a->has_point)
            rc = xtars_buf_printf(out, "%d, %d, ", a->x - ox, a->y - oy);
        return rc == XTARS_OK ? xtars_buf_printf(out, "button='%s')", button) : rc;
    case XTARS_ACTION_WAIT:
        return xtars_buf_printf(out, "time.sleep(%.10g)", (a->ms ? a->ms : default_wait_ms) / 1000.0);
    default:
        return XTARS_EINVAL;
    }
}
