/* shell.c: the shell-words analyser the policy's command rules run on. It
 * reads a typed line the way bash would before running it (quotes, escapes,
 * $'...', simple variables, brace expansion, substitutions, pipes, groups,
 * wrappers such as sudo or xargs) and lists the commands it would run. It
 * never runs anything, never looks at the disk (globs stay patterns) and
 * never guesses: what it cannot work out marks the line obfuscated. Work and
 * memory are linear in the input, which is capped; output of expansions has
 * a budget. Never prints. */
#include "agent/reply/shell.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/base64.h"
#include "xtars/buf.h"

#define EXPAND_BUDGET (1u << 20) /* bytes variables and substitutions may add per line */
#define SUBST_OUTPUT_MAX 4096    /* a substitution worked out here gives at most this */
#define VAR_MAX 64
#define VAR_VALUE_MAX 256
#define BRACE_WORDS_MAX 64
#define GROUP_MAX 64
#define WORD_MAX (4u << 20)      /* input plus everything expansions may add */
#define ALT_MAX (XTARS_SHELL_ALT_MAX + 1)
#define WORD_GLOB 0x100u         /* internal: unquoted * ? [ */
#define WORD_BRACE 0x200u        /* internal: unquoted {a,b} */
#define PUBLIC_WORD_FLAGS 0xffu

/* ---- arena: every string and array a line hands out, freed at once ---- */

struct xtars_shell_arena {
    struct xtars_shell_arena *next;
    size_t used, size;
    max_align_t data[];
};

static void *arena_alloc(struct xtars_shell_line *line, size_t n)
{
    struct xtars_shell_arena *a = line->arena;
    size_t unit = sizeof(max_align_t);

    n = (n + unit - 1) / unit * unit;
    if (a == NULL || a->size - a->used < n) {
        size_t size = n > 16384 ? n : 16384;
        a = malloc(sizeof *a + size);
        if (a == NULL)
            return NULL;
        a->next = line->arena, a->used = 0, a->size = size;
        line->arena = a;
    }
    a->used += n;
    return (char *)a->data + a->used - n;
}

static char *arena_strndup(struct xtars_shell_line *line, const char *s, size_t n)
{
    char *copy = arena_alloc(line, n + 1);

    if (copy != NULL) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

void xtars_shell_line_free(struct xtars_shell_line *line)
{
    if (line == NULL)
        return;
    while (line->arena) {
        struct xtars_shell_arena *next = line->arena->next;
        free(line->arena);
        line->arena = next;
    }
    free(line->commands);
    free(line);
}

/* ---- parser state ---- */

struct dword {              /* a word read, before it is placed in a command */
    const char *text;       /* in the arena */
    size_t len;
    size_t literal;         /* leading bytes that were plain unquoted characters */
    unsigned flags;
};

struct wordvec {
    struct dword *v;
    int count, cap;
};

struct draft {              /* the simple command being read */
    struct wordvec words, redirects;
};

struct var {
    const char *name, *value;
};

struct group {              /* an open { } / if fi / while done / ( ) */
    unsigned inherit;       /* PIPE_IN for everything inside */
    const char *body_of;    /* the function whose body this group is */
    int self_calls;
};

struct parser {
    const char *s;
    size_t len, pos;
    int term;               /* what ends the current list: ')', '`' or -1 */
    int depth, in_backtick;
    const char *via;        /* wrappers of the code being read (sh -c, eval) */
    struct xtars_shell_line *line;
    int command_cap;
    size_t budget;
    struct var vars[VAR_MAX];
    int var_count;
    const char *pending_def;     /* a function name whose body comes next */
    struct group groups[GROUP_MAX];
    int group_top, groups_lost;  /* lost: opened beyond GROUP_MAX (not tracked) */
    xtars_err rc;
};

struct word {               /* the word being read */
    struct xtars_buf text;
    size_t literal;
    int literal_open, started, brace_depth;
    unsigned flags;
};

static void parse_list(struct parser *p, int term, unsigned inherit);
static void emit(struct parser *p, const struct dword *w, int n, const struct wordvec *redirects,
                 unsigned flags, const char *via);

static void obfuscated(struct parser *p) { p->line->flags |= XTARS_SHELL_LINE_OBFUSCATED; }

static void fail(struct parser *p, xtars_err rc)
{
    if (p->rc == XTARS_OK)
        p->rc = rc;
    p->pos = p->len;
}

static const struct group *group_top(const struct parser *p)
{
    static const struct group none;
    return p->group_top > 0 ? &p->groups[p->group_top - 1] : &none;
}

static void wordvec_push(struct parser *p, struct wordvec *vec, struct dword w)
{
    if (vec->count == vec->cap) {
        int cap = vec->cap ? vec->cap * 2 : 8;
        struct dword *v = realloc(vec->v, (size_t)cap * sizeof *v);
        if (v == NULL) {
            fail(p, XTARS_ENOMEM);
            return;
        }
        vec->v = v, vec->cap = cap;
    }
    vec->v[vec->count++] = w;
}

/* ---- words ---- */

static void word_putc(struct parser *p, struct word *w, char c, int plain)
{
    if (c == '\0')
        return; /* a shell drops NUL bytes from a line */
    if (xtars_buf_putc(&w->text, c) != XTARS_OK)
        fail(p, XTARS_ENOMEM);
    w->started = 1;
    if (plain && w->literal_open)
        w->literal++;
    else
        w->literal_open = 0;
}

/* Bash expands {a,b} before anything else: "{r,}m" is "rm m". Expands the
 * first brace pair with a top-level comma, recursively, at most
 * BRACE_WORDS_MAX words and 8 levels; more marks the line obfuscated. */
static void brace_expand(struct parser *p, struct wordvec *vec, const char *s, size_t n,
                         unsigned flags, int level)
{
    size_t open = 0, close, i, start;
    int depth = 0, comma = 0;

    if (vec->count >= BRACE_WORDS_MAX || level > 8) {
        obfuscated(p);
        return;
    }
    for (i = 0; i < n && !comma; i++) {
        if (s[i] == '{' && depth++ == 0)
            open = i;
        else if (s[i] == ',' && depth == 1)
            comma = 1;
        else if (s[i] == '}' && depth > 0)
            depth--;
    }
    for (depth = 1, close = open + 1; comma && close < n; close++) {
        depth += s[close] == '{' ? 1 : s[close] == '}' ? -1 : 0;
        if (depth == 0)
            break;
    }
    if (!comma || close >= n) {
        const char *text = arena_strndup(p->line, s, n);
        if (text == NULL)
            return fail(p, XTARS_ENOMEM);
        return wordvec_push(p, vec, (struct dword){text, n, 0, flags});
    }
    for (i = start = open + 1, depth = 0; i <= close && p->rc == XTARS_OK; i++) {
        struct xtars_buf b;
        if (i < close) {
            depth += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
            if (s[i] != ',' || depth > 0)
                continue;
        }
        if (vec->count >= BRACE_WORDS_MAX) {
            obfuscated(p);
            return;
        }
        /* prefix + alternative + suffix, expanded again */
        xtars_buf_init(&b, 2 * n + 1);
        if (xtars_buf_append(&b, s, open) || xtars_buf_append(&b, s + start, i - start) ||
            xtars_buf_append(&b, s + close + 1, n - close - 1)) {
            xtars_buf_cleanup(&b);
            return fail(p, XTARS_ENOMEM);
        }
        brace_expand(p, vec, b.data ? b.data : "", b.len, flags, level + 1);
        xtars_buf_cleanup(&b);
        start = i + 1;
    }
}

static void word_push(struct parser *p, struct wordvec *vec, struct word *w)
{
    const char *text;

    if (w->started && p->rc == XTARS_OK) {
        if (w->flags & WORD_BRACE) {
            struct wordvec expanded = {0};
            brace_expand(p, &expanded, w->text.data, w->text.len, w->flags & ~WORD_BRACE, 0);
            for (int i = 0; i < expanded.count; i++)
                wordvec_push(p, vec, expanded.v[i]);
            free(expanded.v);
        } else if ((text = arena_strndup(p->line, w->text.data ? w->text.data : "",
                                         w->text.len)) == NULL) {
            fail(p, XTARS_ENOMEM);
        } else {
            size_t literal = w->literal > w->text.len ? w->text.len : w->literal;
            wordvec_push(p, vec, (struct dword){text, w->text.len, literal, w->flags});
        }
    }
    xtars_buf_reset(&w->text);
    w->literal = 0, w->literal_open = 1, w->started = 0, w->brace_depth = 0, w->flags = 0;
}

/* Appends expansion output; unquoted, it is split into words at blanks. */
static void word_expand(struct parser *p, struct wordvec *vec, struct word *w, const char *s,
                        size_t n, int quoted, unsigned flags)
{
    if (n > p->budget) {
        obfuscated(p);
        w->flags |= XTARS_SHELL_WORD_VAR;
        w->started = 1;
        return;
    }
    p->budget -= n;
    w->flags |= flags;
    w->started |= quoted; /* "$empty" is a word, $empty is none */
    w->literal_open = 0;
    for (size_t i = 0; i < n; i++) {
        if (!quoted && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) {
            word_push(p, vec, w);
            w->flags = flags;
            continue;
        }
        word_putc(p, w, s[i], 0);
    }
}

/* One backslash escape of echo -e, printf and $'...' at s[*i] == '\\'.
 * Returns 0 for one it does not know the meaning of everywhere (\u, \c). */
static int c_escape(const char *s, size_t n, size_t *i, struct xtars_buf *out)
{
    static const char from[] = "abefnrtv\\'\"?", to[] = "\a\b\033\f\n\r\t\v\\'\"?";
    const char *hit;
    unsigned value = 0;
    size_t j = *i + 1, k;

    if (j >= n) {
        *i = j;
        return xtars_buf_putc(out, '\\') == XTARS_OK;
    }
    if (s[j] != '\0' && (hit = strchr(from, s[j])) != NULL) {
        *i = j + 1;
        return xtars_buf_putc(out, to[hit - from]) == XTARS_OK;
    }
    if (s[j] == 'x' || s[j] == 'E') {
        if (s[j] == 'E') {
            *i = j + 1;
            return xtars_buf_putc(out, '\033') == XTARS_OK;
        }
        for (k = j + 1; k < n && k < j + 3 && strchr("0123456789abcdefABCDEF", s[k]) && s[k]; k++)
            value = value * 16 + (unsigned)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
        if (k == j + 1)
            return 0;
        *i = k;
        return xtars_buf_putc(out, (char)value) == XTARS_OK;
    }
    if (s[j] >= '0' && s[j] <= '7') {
        size_t first = j + (s[j] == '0'); /* \0NNN and \NNN */
        for (k = first; k < n && k < first + 3 && s[k] >= '0' && s[k] <= '7'; k++)
            value = value * 8 + (unsigned)(s[k] - '0');
        *i = k;
        return xtars_buf_putc(out, (char)value) == XTARS_OK;
    }
    return 0;
}

/* $'...': ANSI-C quoting, decoded (so $'\x72m' is rm). */
static void ansi_quote(struct parser *p, struct word *w)
{
    struct xtars_buf out;

    xtars_buf_init(&out, XTARS_SHELL_MAX_INPUT);
    p->pos += 2;
    while (p->pos < p->len && p->s[p->pos] != '\'' && p->rc == XTARS_OK) {
        if (p->s[p->pos] != '\\') {
            if (xtars_buf_putc(&out, p->s[p->pos++]) != XTARS_OK)
                fail(p, XTARS_ENOMEM);
        } else if (!c_escape(p->s, p->len, &p->pos, &out)) {
            w->flags |= XTARS_SHELL_WORD_VAR; /* \u, \c: not worked out */
            p->pos += 2;
        }
    }
    p->pos += p->pos < p->len;
    w->started = 1;
    for (size_t i = 0; i < out.len; i++)
        word_putc(p, w, out.data[i], 0);
    w->literal_open = 0;
    xtars_buf_cleanup(&out);
}

/* ---- substitutions worked out: echo / printf, optionally | base64 -d ---- */

static int echo_output(const struct xtars_shell_command *c, struct xtars_buf *out)
{
    int i = 0, newline = 1;

    for (; i < c->arg_count && c->args[i].text[0] == '-' && c->args[i].text[1] &&
           strspn(c->args[i].text + 1, "n") == strlen(c->args[i].text + 1); i++)
        newline = 0;
    for (int k = i; k < c->arg_count; k++) {
        /* bash prints a backslash, zsh's echo decodes it: which one runs is unknown */
        if (strchr(c->args[k].text, '\\') || (c->args[k].text[0] == '-' && k == i))
            return 0;
        if ((k > i && xtars_buf_putc(out, ' ')) || xtars_buf_puts(out, c->args[k].text))
            return 0;
    }
    return !newline || xtars_buf_putc(out, '\n') == XTARS_OK;
}

static int printf_text(const char *s, struct xtars_buf *out)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n;)
        if (s[i] != '\\' ? xtars_buf_putc(out, s[i++]) != XTARS_OK : !c_escape(s, n, &i, out))
            return 0;
    return 1;
}

static int printf_output(const struct xtars_shell_command *c, struct xtars_buf *out)
{
    const char *f;
    int arg = 1, consumed;

    if (c->arg_count < 1 || c->args[0].text[0] == '-')
        return 0;
    do { /* printf reuses its format while arguments are left */
        consumed = 0;
        for (f = c->args[0].text; *f; f++) {
            const char *value = arg < c->arg_count ? c->args[arg].text : "";
            if (*f == '\\') {
                size_t i = 0, n = strlen(f);
                if (!c_escape(f, n, &i, out))
                    return 0;
                f += i - 1;
            } else if (*f != '%') {
                if (xtars_buf_putc(out, *f))
                    return 0;
            } else if (f[1] == '%') {
                if (xtars_buf_putc(out, '%'))
                    return 0;
                f++;
            } else if (f[1] == 's' || f[1] == 'b' || f[1] == 'c') {
                if (f[1] == 's' ? xtars_buf_puts(out, value) != XTARS_OK
                    : f[1] == 'c' ? (*value && xtars_buf_putc(out, *value))
                    : !printf_text(value, out))
                    return 0;
                consumed += arg < c->arg_count;
                arg++;
                f++;
            } else {
                return 0;
            }
            if (out->len > SUBST_OUTPUT_MAX)
                return 0;
        }
    } while (consumed && arg < c->arg_count);
    return 1;
}

static int base64_stage(const struct xtars_shell_command *c, struct xtars_buf *data)
{
    struct xtars_buf decoded;
    char err[XTARS_ERRLEN];
    size_t kept = 0;
    int ok;

    if (strcmp(c->name, "base64") != 0 || !(c->flags & XTARS_SHELL_PIPE_IN) ||
        !xtars_shell_has_option(c, "d|D|decode"))
        return 0;
    for (int i = 0; i < c->arg_count; i++)
        if (c->args[i].text[0] != '-')
            return 0; /* reads a file, not the pipe */
    for (size_t i = 0; i < data->len; i++) /* base64 -d skips line breaks */
        if (!strchr(" \t\r\n", data->data[i]))
            data->data[kept++] = data->data[i];
    data->len = kept;
    xtars_buf_init(&decoded, SUBST_OUTPUT_MAX);
    ok = xtars_base64_decode(&decoded, data->data ? data->data : "", kept, err) == XTARS_OK;
    xtars_buf_reset(data);
    ok = ok && xtars_buf_append(data, decoded.data ? decoded.data : "", decoded.len) == XTARS_OK;
    xtars_buf_cleanup(&decoded);
    return ok;
}

/* What the commands from `first` on (one substitution's) print, if they are
 * echo or printf, optionally piped through base64 -d. 0: not worked out. */
static int evaluate(struct parser *p, int first, struct xtars_buf *out)
{
    const struct xtars_shell_command *c;
    int n = p->line->count - first;

    if (n < 1 || n > 4)
        return 0;
    c = p->line->commands + first;
    for (int k = 0; k < n; k++) {
        if (c[k].redirect_count || (c[k].flags & XTARS_SHELL_BACKGROUND) ||
            strcmp(c[k].via, p->via) != 0 || (k < n - 1 && !(c[k].flags & XTARS_SHELL_PIPE_OUT)))
            return 0;
        for (int i = 0; i < c[k].arg_count; i++)
            if (c[k].args[i].flags & ~XTARS_SHELL_WORD_DECODED)
                return 0;
    }
    if (!(strcmp(c->name, "echo") == 0 ? echo_output(c, out)
          : strcmp(c->name, "printf") == 0 && printf_output(c, out)))
        return 0;
    for (int k = 1; k < n; k++)
        if (!base64_stage(&c[k], out))
            return 0;
    while (out->len > 0 && out->data[out->len - 1] == '\n')
        out->data[--out->len] = '\0';
    return out->len <= SUBST_OUTPUT_MAX;
}

/* Reads a nested list ended by term; too deep stops the analysis. */
static void descend(struct parser *p, int term, unsigned inherit)
{
    int saved_term = p->term;

    if (p->depth >= XTARS_SHELL_MAX_DEPTH) {
        obfuscated(p);
        p->pos = p->len;
        return;
    }
    p->depth++;
    p->term = term;
    parse_list(p, term, inherit);
    p->term = saved_term;
    p->depth--;
}

/* Analyses text as code run under `via` (sh -c, eval, ${x:-$(...)}). */
static void parse_text(struct parser *p, const char *text, size_t len, const char *via)
{
    const char *s = p->s, *saved_via = p->via;
    size_t n = p->len, pos = p->pos;
    int backtick = p->in_backtick;

    p->s = text, p->len = len, p->pos = 0, p->via = via, p->in_backtick = 0;
    descend(p, -1, 0);
    p->s = s, p->len = n, p->pos = p->rc == XTARS_OK ? pos : n, p->via = saved_via;
    p->in_backtick = backtick;
}

/* $(...) or `...`: the commands inside are analysed; what they print is
 * worked out when it is echo/printf/base64 -d, otherwise unknown. */
static void substitution(struct parser *p, struct wordvec *vec, struct word *w, int quoted,
                         int term)
{
    struct xtars_buf out;
    int first = p->line->count;

    p->in_backtick += term == '`';
    descend(p, term, 0);
    p->in_backtick -= term == '`';
    xtars_buf_init(&out, SUBST_OUTPUT_MAX * 2);
    if (p->rc == XTARS_OK && evaluate(p, first, &out))
        word_expand(p, vec, w, out.data ? out.data : "", out.len, quoted,
                    XTARS_SHELL_WORD_DECODED);
    else
        w->flags |= XTARS_SHELL_WORD_SUBST, w->started = 1, w->literal_open = 0;
    xtars_buf_cleanup(&out);
}

static int is_name_start(char c) { return c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
static int is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

static const char *var_get(const struct parser *p, const char *name, size_t n)
{
    for (int i = 0; i < p->var_count; i++)
        if (strlen(p->vars[i].name) == n && memcmp(p->vars[i].name, name, n) == 0)
            return p->vars[i].value;
    return NULL;
}

/* ${...}: a plain ${name} is looked up; anything else is unknown, and the
 * commands in it ($(...) inside ${x:-...}) are still analysed. */
static void braced_parameter(struct parser *p, struct wordvec *vec, struct word *w, int quoted)
{
    size_t start = p->pos + 2, end = start, name_len;
    int depth = 1;
    const char *value;

    for (; end < p->len; end++) {
        depth += p->s[end] == '{' ? 1 : p->s[end] == '}' ? -1 : 0;
        if (depth == 0)
            break;
    }
    p->pos = end < p->len ? end + 1 : p->len;
    for (name_len = 0; start + name_len < end && is_name_char(p->s[start + name_len]); name_len++)
        ;
    if (name_len == end - start && name_len > 0 && !(p->s[start] >= '0' && p->s[start] <= '9') &&
        (value = var_get(p, p->s + start, name_len)) != NULL)
        return word_expand(p, vec, w, value, strlen(value), quoted, 0);
    w->flags |= XTARS_SHELL_WORD_VAR, w->started = 1, w->literal_open = 0;
    for (size_t i = start; i < end; i++)
        if (p->s[i] == '`' || (p->s[i] == '$' && i + 1 < end && p->s[i + 1] == '(') ||
            (p->s[i] == '<' && i + 1 < end && p->s[i + 1] == '(')) {
            const char *text = arena_strndup(p->line, p->s + start, end - start);
            if (text == NULL)
                return fail(p, XTARS_ENOMEM);
            return parse_text(p, text, end - start, p->via);
        }
}

/* At '$'. */
static void dollar(struct parser *p, struct wordvec *vec, struct word *w, int quoted)
{
    char next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
    const char *value;
    size_t n;

    if (next == '(') {
        p->pos += 2;
        substitution(p, vec, w, quoted, ')'); /* $((...)) too: its ( ) nest */
    } else if (next == '{') {
        braced_parameter(p, vec, w, quoted);
    } else if (next == '\'' && !quoted) {
        ansi_quote(p, w);
    } else if (next == '"' && !quoted) {
        p->pos++; /* $"..." is a translated "..." */
    } else if (is_name_start(next)) {
        for (n = 1; p->pos + 1 + n < p->len && is_name_char(p->s[p->pos + 1 + n]); n++)
            ;
        value = var_get(p, p->s + p->pos + 1, n);
        p->pos += 1 + n;
        if (value != NULL)
            word_expand(p, vec, w, value, strlen(value), quoted, 0);
        else
            w->flags |= XTARS_SHELL_WORD_VAR, w->started = 1, w->literal_open = 0;
    } else if (next && strchr("0123456789@*#?$!-", next)) {
        p->pos += 2;
        w->flags |= XTARS_SHELL_WORD_VAR, w->started = 1, w->literal_open = 0;
    } else {
        word_putc(p, w, '$', 1);
        p->pos++;
    }
}

static void backslash_backtick(struct parser *p)
{
    /* \` inside `...` nests a substitution this analyser does not follow */
    if (p->in_backtick)
        obfuscated(p);
}

static void double_quoted(struct parser *p, struct wordvec *vec, struct word *w)
{
    p->pos++;
    w->started = 1, w->literal_open = 0;
    while (p->pos < p->len && p->rc == XTARS_OK) {
        char c = p->s[p->pos], next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
        if (c == '"') {
            p->pos++;
            return;
        }
        if (c == '\\' && next && strchr("$`\"\\\n", next)) {
            if (next == '`')
                backslash_backtick(p);
            if (next != '\n')
                word_putc(p, w, next, 0);
            p->pos += 2;
        } else if (c == '$') {
            dollar(p, vec, w, 1);
        } else if (c == '`') {
            if (p->term == '`')
                return; /* ends the enclosing `...` */
            p->pos++;
            substitution(p, vec, w, 1, '`');
        } else {
            word_putc(p, w, c, 0);
            p->pos++;
        }
    }
}

static void single_quoted(struct parser *p, struct word *w)
{
    const char *end = memchr(p->s + p->pos + 1, '\'', p->len - p->pos - 1);
    size_t stop = end ? (size_t)(end - p->s) : p->len;

    w->started = 1, w->literal_open = 0;
    for (size_t i = p->pos + 1; i < stop; i++)
        word_putc(p, w, p->s[i], 0);
    p->pos = end ? stop + 1 : p->len;
}

static int is_meta(char c) { return c && strchr(" \t\n;&|()<>", c) != NULL; }

static void plain_char(struct parser *p, struct word *w, char c)
{
    if (c == '*' || c == '?' || c == '[')
        w->flags |= WORD_GLOB;
    else if (c == '{')
        w->brace_depth++;
    else if (c == '}' && w->brace_depth > 0)
        w->brace_depth--;
    else if (c == ',' && w->brace_depth > 0)
        w->flags |= WORD_BRACE;
    word_putc(p, w, c, 1);
    p->pos++;
}

/* One shell word (possibly several after word splitting or brace
 * expansion), appended to vec. */
static void read_word(struct parser *p, struct wordvec *vec, struct word *w)
{
    while (p->pos < p->len && p->rc == XTARS_OK) {
        char c = p->s[p->pos], next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
        if ((c == '<' || c == '>') && next == '(') {
            p->pos += 2;
            descend(p, ')', c == '>' ? XTARS_SHELL_PIPE_IN : 0); /* <(...), >(...) */
            w->flags |= XTARS_SHELL_WORD_PROCSUB, w->started = 1, w->literal_open = 0;
        } else if (is_meta(c) || (c == '`' && p->term == '`')) {
            break;
        } else if (c == '\\') {
            if (next == '`')
                backslash_backtick(p);
            if (next != '\n')
                word_putc(p, w, next, 0);
            p->pos += p->pos + 1 < p->len ? 2 : 1;
        } else if (c == '\'') {
            single_quoted(p, w);
        } else if (c == '"') {
            double_quoted(p, vec, w);
        } else if (c == '$') {
            dollar(p, vec, w, 0);
        } else if (c == '`') {
            p->pos++;
            substitution(p, vec, w, 0, '`');
        } else {
            plain_char(p, w, c);
        }
    }
    word_push(p, vec, w);
}

/* ---- commands ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *join_via(struct parser *p, const char *via, const char *name)
{
    size_t a = strlen(via), b = strlen(name);
    char *s = arena_alloc(p->line, a + b + 2);

    if (s == NULL) {
        fail(p, XTARS_ENOMEM);
        return via;
    }
    memcpy(s, via, a);
    s[a] = a ? ' ' : '\0';
    memcpy(s + a + (a > 0), name, b + 1);
    return s;
}

/* Programs that run the command given after their own options and
 * operands: arg_options take a value (as the next word when not attached),
 * long_with_value likewise, operands are skipped before the command. */
struct wrapper {
    const char *name, *arg_options, *long_with_value;
    int operands;
};

static const struct wrapper wrappers[] = {
    {"sudo", "CDghpRrtTUu", " chdir close-from group host prompt chroot role type "
     "command-timeout other-user user ", 0},
    {"doas", "aCu", "", 0},
    {"pkexec", "", " user ", 0},
    {"run0", "uDg", " user group chdir setenv unit property description slice nice machine ", 0},
    {"env", "uCS", " unset chdir split-string ", 0},
    {"nohup", "", "", 0},
    {"exec", "a", "", 0},
    {"command", "", "", 0},
    {"builtin", "", "", 0},
    {"nice", "n", " adjustment ", 0},
    {"ionice", "cnp", " class classdata pid ", 0},
    {"time", "fo", " format output ", 0},
    {"timeout", "ks", " kill-after signal ", 1},
    {"xargs", "adEILnPs", " arg-file delimiter eof replace max-lines max-args max-procs "
     "max-chars process-slot-var ", 0},
    {"busybox", "", "", 0},
    {"setsid", "", "", 0},
    {"stdbuf", "ioe", " input output error ", 0},
    {"unbuffer", "", "", 0},
};

static const struct wrapper *find_wrapper(const char *name)
{
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (strcmp(wrappers[i].name, name) == 0)
            return &wrappers[i];
    return NULL;
}

static int is_assignment(const struct dword *w)
{
    size_t n = 0;

    if (!is_name_start(w->text[0]))
        return 0;
    while (is_name_char(w->text[n]))
        n++;
    n += w->text[n] == '+';
    return w->text[n] == '=' && n < w->literal;
}

/* Index of the word a wrapper runs, past its options and operands. */
static int skip_wrapper(struct parser *p, const struct wrapper *wr, const struct dword *w,
                        int i, int n, const char **via)
{
    int operands = wr->operands;

    for (; i < n; i++) {
        const char *t = w[i].text;
        if (strcmp(t, "--") == 0)
            return i + 1;
        if (strcmp(wr->name, "env") == 0 && is_assignment(&w[i]))
            continue;
        if (t[0] != '-' || t[1] == '\0') {
            if (operands-- > 0)
                continue;
            return i;
        }
        if ((strcmp(wr->name, "env") == 0 && (strncmp(t, "-S", 2) == 0 ||
                                                strncmp(t, "--split-string", 14) == 0))) {
            /* env -S 'rm -rf /' runs the words of its value */
            const char *value = t[1] == 'S' && t[2] ? t + 2 : strchr(t, '=') ? strchr(t, '=') + 1
                                : i + 1 < n ? w[++i].text : "";
            parse_text(p, value, strlen(value), join_via(p, *via, "env"));
            continue;
        }
        if (t[1] == '-') {
            const char *eq = strchr(t, '=');
            char name[64];
            snprintf(name, sizeof name, " %.*s ", (int)(eq ? eq - t - 2 : (long)strlen(t + 2)),
                     t + 2);
            i += !eq && strstr(wr->long_with_value, name) != NULL;
            continue;
        }
        for (const char *o = t + 1; *o; o++)
            if (strchr(wr->arg_options, *o)) {
                i += o[1] == '\0';
                break;
            }
    }
    return n;
}

static int is_shell(const char *name)
{
    static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash",
                                         "yash", "posh", "fish", "csh", "tcsh", "rbash"};
    for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++)
        if (strcmp(shells[i], name) == 0)
            return 1;
    return 0;
}

/* The code a command runs from its arguments: sh -c CODE, su -c CODE, eval
 * WORDS, find ... -exec CMD ;. Analysed as commands of their own. */
static void inner_code(struct parser *p, const char *name, const struct dword *args, int n,
                       unsigned flags, const char *via)
{
    int code = 0;

    if (strcmp(name, "find") == 0) {
        for (int i = 0; i < n; i++) {
            int end = i + 1;
            if (strcmp(args[i].text, "-exec") && strcmp(args[i].text, "-execdir") &&
                strcmp(args[i].text, "-ok") && strcmp(args[i].text, "-okdir"))
                continue;
            while (end < n && strcmp(args[end].text, ";") && strcmp(args[end].text, "+"))
                end++;
            emit(p, args + i + 1, end - i - 1, NULL, flags & XTARS_SHELL_PIPE_IN,
                 join_via(p, via, "find"));
            i = end;
        }
        return;
    }
    if (strcmp(name, "eval") == 0) {
        struct xtars_buf text;
        xtars_buf_init(&text, XTARS_SHELL_MAX_INPUT * 2);
        const char *joined = NULL;
        xtars_buf_init(&text, WORD_MAX);
        for (int i = 0; i < n && p->rc == XTARS_OK; i++)
            if ((i && xtars_buf_putc(&text, ' ')) || xtars_buf_puts(&text, args[i].text))
                fail(p, XTARS_ENOMEM);
        if (p->rc == XTARS_OK && text.len &&
            (joined = arena_strndup(p->line, text.data, text.len)) == NULL)
            fail(p, XTARS_ENOMEM);
        if (joined != NULL)
            parse_text(p, joined, text.len, join_via(p, via, "eval"));
        xtars_buf_cleanup(&text);
        return;
    }
    if (!is_shell(name) && strcmp(name, "su") != 0)
        return;
    for (int i = 0; i < n; i++) {
        const char *t = args[i].text;
        if (code && (t[0] != '-' || strcmp(name, "su") == 0)) {
            parse_text(p, t, args[i].len, join_via(p, via, name));
            return;
        }
        if (strcmp(t, "--command") == 0 || (t[0] == '-' && t[1] != '-' && strchr(t, 'c')))
            code = 1;
        else if (strncmp(t, "--command=", 10) == 0)
            return parse_text(p, t + 10, strlen(t + 10), join_via(p, via, name));
        else if (t[0] != '-' && t[0] != '+' && strcmp(name, "su") != 0)
            return; /* a script operand: no -c code follows */
    }
}

static struct xtars_shell_word *copy_words(struct parser *p, const struct dword *w, int n)
{
    struct xtars_shell_word *out = arena_alloc(p->line, (size_t)(n > 0 ? n : 1) * sizeof *out);

    if (out == NULL) {
        fail(p, XTARS_ENOMEM);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        out[i] = (struct xtars_shell_word){w[i].text, w[i].flags & PUBLIC_WORD_FLAGS};
    return out;
}

static void self_call(struct parser *p, const char *name, unsigned flags)
{
    /* a function running itself piped or in the background, twice: a fork bomb */
    for (int g = p->group_top - 1; g >= 0; g--)
        if (p->groups[g].body_of != NULL) {
            if (strcmp(p->groups[g].body_of, name) == 0 &&
                (flags & (XTARS_SHELL_PIPE_IN | XTARS_SHELL_PIPE_OUT | XTARS_SHELL_BACKGROUND)) &&
                ++p->groups[g].self_calls >= 2)
                p->line->flags |= XTARS_SHELL_LINE_FORK_BOMB;
            return;
        }
}

static int name_has_alnum(const char *name)
{
    for (; *name; name++)
        if ((*name >= '0' && *name <= '9') || ((*name | 0x20) >= 'a' && (*name | 0x20) <= 'z'))
            return 1;
    return 0;
}

/* Records one command: wrappers stripped, name reduced to its basename. */
static void emit(struct parser *p, const struct dword *w, int n, const struct wordvec *redirects,
                 unsigned flags, const char *via)
{
    struct xtars_shell_command *c;
    const struct wrapper *wr;
    int i = 0, next;

    if (p->rc != XTARS_OK || (n == 0 && (redirects == NULL || redirects->count == 0)))
        return;
    while (i < n && (wr = find_wrapper(base_name(w[i].text))) != NULL &&
           !(w[i].flags & ~WORD_GLOB & ~XTARS_SHELL_WORD_DECODED) &&
           (next = skip_wrapper(p, wr, w, i + 1, n, &via)) < n) {
        via = join_via(p, via, wr->name);
        i = next;
    }
    if (i < n && (w[i].flags & (XTARS_SHELL_WORD_SUBST | XTARS_SHELL_WORD_VAR |
                                XTARS_SHELL_WORD_PROCSUB)))
        obfuscated(p);
    if (p->line->count == p->command_cap) {
        int cap = p->command_cap ? p->command_cap * 2 : 16;
        c = realloc(p->line->commands, (size_t)cap * sizeof *c);
        if (c == NULL)
            return fail(p, XTARS_ENOMEM);
        p->line->commands = c, p->command_cap = cap;
    }
    c = &p->line->commands[p->line->count];
    memset(c, 0, sizeof *c);
    c->name = i < n ? base_name(w[i].text) : "";
    c->via = via;
    c->flags = flags;
    if (i < n && (w[i].flags & WORD_GLOB) && name_has_alnum(c->name))
        c->flags |= XTARS_SHELL_NAME_GLOB;
    c->arg_count = i < n ? n - i - 1 : 0;
    c->args = copy_words(p, i < n ? w + i + 1 : NULL, c->arg_count);
    c->redirect_count = redirects ? redirects->count : 0;
    c->redirects = copy_words(p, redirects ? redirects->v : NULL, c->redirect_count);
    if (p->rc != XTARS_OK)
        return;
    p->line->count++;
    self_call(p, c->name, flags);
    if (i < n && p->depth < XTARS_SHELL_MAX_DEPTH) {
        p->depth++;
        inner_code(p, c->name, w + i + 1, n - i - 1, flags, via);
        p->depth--;
    } else if (i < n) {
        obfuscated(p);
    }
}

static void remember_assignments(struct parser *p, const struct dword *w, int n)
{
    for (int i = 0; i < n; i++) {
        size_t name_len = strcspn(w[i].text, "+=");
        int known = !(w[i].flags & ~(WORD_GLOB | XTARS_SHELL_WORD_DECODED)) &&
                    w[i].text[name_len] == '=' &&
                    w[i].len - name_len - 1 <= VAR_VALUE_MAX;
        int slot = 0;
        while (slot < p->var_count && (strlen(p->vars[slot].name) != name_len ||
                                       strncmp(p->vars[slot].name, w[i].text, name_len) != 0))
            slot++;
        if (!known && slot < p->var_count) /* unknown now: expansions become VAR */
            p->vars[slot] = p->vars[--p->var_count];
        if (!known || (slot == p->var_count && p->var_count == VAR_MAX))
            continue;
        p->vars[slot].name = arena_strndup(p->line, w[i].text, name_len);
        p->vars[slot].value = w[i].text + name_len + 1;
        if (p->vars[slot].name == NULL)
            return fail(p, XTARS_ENOMEM);
        p->var_count += slot == p->var_count;
    }
}

static int keyword(const struct dword *w, const char *const *list)
{
    for (; *list; list++)
        if (w->literal == w->len && strcmp(w->text, *list) == 0)
            return 1;
    return 0;
}

static void group_open(struct parser *p, unsigned inherit, const char *body_of)
{
    if (p->group_top == GROUP_MAX) {
        p->groups_lost++;
        return;
    }
    p->groups[p->group_top++] = (struct group){inherit | group_top(p)->inherit, body_of, 0};
}

static void group_close(struct parser *p)
{
    if (p->groups_lost > 0)
        p->groups_lost--;
    else if (p->group_top > 0)
        p->group_top--;
}

/* Ends the simple command being read: reserved words and a function
 * definition's name are taken off, assignments remembered, the rest emitted. */
static void finish(struct parser *p, struct draft *d, unsigned flags)
{
    static const char *const openers[] = {"{", "if", "while", "until", NULL};
    static const char *const heads[] = {"for", "select", "case", NULL}; /* no command follows */
    static const char *const closers[] = {"}", "fi", "done", "esac", NULL};
    static const char *const others[] = {"!", "then", "else", "elif", "do", NULL};
    const struct dword *w = d->words.v;
    int n = d->words.count, i = 0, first;

    if (n == 0 && d->redirects.count == 0)
        return; /* an empty command ("f()\n{ ...") keeps a pending definition */
    flags |= group_top(p)->inherit;
    while (i < n && p->rc == XTARS_OK) {
        if (keyword(&w[i], openers) || keyword(&w[i], heads)) {
            group_open(p, flags & XTARS_SHELL_PIPE_IN,
                       strcmp(w[i].text, "{") == 0 ? p->pending_def : NULL);
            flags |= group_top(p)->inherit;
            if (keyword(&w[i], heads))
                i = n - 1;
        } else if (keyword(&w[i], closers)) {
            group_close(p);
        } else if (strcmp(w[i].text, "function") == 0 && w[i].literal == w[i].len && i + 1 < n) {
            p->pending_def = w[++i].text;
            i++;
            continue;
        } else if (!keyword(&w[i], others)) {
            break;
        }
        p->pending_def = NULL;
        i++;
    }
    first = i;
    while (i < n && is_assignment(&w[i]))
        i++;
    if (i == n && d->redirects.count == 0)
        remember_assignments(p, w + first, n - first);
    if (i < n || d->redirects.count > 0)
        p->pending_def = NULL;
    emit(p, i < n ? w + i : NULL, n - i, &d->redirects, flags, p->via);
    d->words.count = d->redirects.count = 0;
}

/* At '(': a function definition "name ()", or a subshell. */
static void open_paren(struct parser *p, struct draft *d, unsigned flags)
{
    size_t after = p->pos + 1;
    const char *body_of = p->pending_def;

    while (after < p->len && (p->s[after] == ' ' || p->s[after] == '\t'))
        after++;
    if (after < p->len && p->s[after] == ')' && d->redirects.count == 0 &&
        (d->words.count == 1 || (d->words.count == 2 && strcmp(d->words.v[0].text, "function") == 0))) {
        p->pending_def = d->words.v[d->words.count - 1].text;
        d->words.count = 0;
        p->pos = after + 1;
        return;
    }
    if (d->words.count > 0 || d->redirects.count > 0)
        finish(p, d, flags); /* "echo (x)" is a syntax error in bash; both parts are analysed */
    p->pos++;
    p->pending_def = NULL;
    group_open(p, flags & XTARS_SHELL_PIPE_IN, body_of);
    descend(p, ')', 0);
    group_close(p);
}

/* At < or > (or &>): a redirection and its target word. */
static void redirect(struct parser *p, struct draft *d, struct word *w)
{
    const char *s = p->s + p->pos;
    size_t n = p->len - p->pos, op = 0;
    unsigned input = 0;
    int from;

    if (s[0] == '&')
        op = 1;
    if (s[op] == '<') {
        input = XTARS_SHELL_WORD_INPUT;
        op++;
        if (op < n && s[op] == '>')
            input = 0, op++; /* <> opens for writing too */
        else
            while (op < n && (s[op] == '<' || s[op] == '&' || s[op] == '-') && op < 4)
                op++;
    } else {
        op++;
        while (op < n && (s[op] == '>' || s[op] == '|' || s[op] == '&') && op < 3)
            op++;
    }
    p->pos += op;
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
    if (p->pos >= p->len || is_meta(p->s[p->pos]))
        return;
    from = d->redirects.count;
    read_word(p, &d->redirects, w);
    for (int i = from; i < d->redirects.count; i++)
        d->redirects.v[i].flags |= input;
}

/* At ; & | newline or a stray ')': ends the command; returns PIPE_IN when
 * the next command reads this one's output. */
static unsigned separator(struct parser *p, struct draft *d, unsigned flags)
{
    char c = p->s[p->pos], next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';

    p->pos++;
    if ((c == '|' || c == '&') && next == c) {
        p->pos++;
        finish(p, d, flags);
        return 0;
    }
    if (c == '|') {
        p->pos += next == '&';
        finish(p, d, flags | XTARS_SHELL_PIPE_OUT);
        return XTARS_SHELL_PIPE_IN;
    }
    finish(p, d, flags | (c == '&' ? XTARS_SHELL_BACKGROUND : 0));
    return 0;
}

static void parse_list(struct parser *p, int term, unsigned inherit)
{
    struct draft d = {{0}, {0}};
    struct word w = {.literal_open = 1};
    unsigned pipe_in = 0;

    xtars_buf_init(&w.text, WORD_MAX);
    while (p->pos < p->len && p->rc == XTARS_OK) {
        char c = p->s[p->pos], next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
        if (c == ' ' || c == '\t' || (c == '\\' && next == '\n')) {
            p->pos += c == '\\' ? 2 : 1;
        } else if (term >= 0 && c == (char)term) {
            p->pos++;
            break;
        } else if (c == '#') {
            const char *nl = memchr(p->s + p->pos, '\n', p->len - p->pos);
            p->pos = nl ? (size_t)(nl - p->s) : p->len;
        } else if (c == '(') {
            open_paren(p, &d, inherit | pipe_in);
            pipe_in = 0;
        } else if ((c == '<' || c == '>' || (c == '&' && next == '>')) && next != '(') {
            redirect(p, &d, &w);
        } else if (is_meta(c) && !((c == '<' || c == '>') && next == '(')) {
            pipe_in = separator(p, &d, inherit | pipe_in);
        } else {
            int before = d.words.count;
            read_word(p, &d.words, &w);
            /* "2>file": digits right before a redirection are its descriptor */
            if (p->pos < p->len && (p->s[p->pos] == '<' || p->s[p->pos] == '>') &&
                d.words.count == before + 1 && d.words.v[d.words.count - 1].literal ==
                d.words.v[d.words.count - 1].len &&
                strspn(d.words.v[d.words.count - 1].text, "0123456789") ==
                d.words.v[d.words.count - 1].len)
                d.words.count--;
        }
    }
    finish(p, &d, inherit | pipe_in);
    xtars_buf_cleanup(&w.text);
    free(d.words.v);
    free(d.redirects.v);
}

xtars_err xtars_shell_parse(const char *text, size_t len, struct xtars_shell_line **out, char *err)
{
    struct parser *p;
    xtars_err rc;

    *out = NULL;
    p = calloc(1, sizeof *p);
    if (p == NULL || (p->line = calloc(1, sizeof *p->line)) == NULL) {
        free(p);
        return xtars_error(err, XTARS_ENOMEM, "shell: out of memory");
    }
    p->s = text, p->len = len, p->term = -1, p->via = "", p->budget = EXPAND_BUDGET;
    if (len > XTARS_SHELL_MAX_INPUT)
        obfuscated(p);
    else
        parse_list(p, -1, 0);
    rc = p->rc;
    if (rc != XTARS_OK) {
        xtars_shell_line_free(p->line);
        xtars_error(err, rc, "shell: out of memory");
    } else {
        *out = p->line;
    }
    free(p);
    return rc;
}

/* ---- matching ---- */

/* Calls match(alternative, ctx) for each '|'-separated alternative. */
static int any_alternative(const char *alternatives, int (*match)(const char *, const void *),
                           const void *ctx)
{
    char alt[ALT_MAX];

    while (alternatives && *alternatives) {
        size_t n = strcspn(alternatives, "|");
        if (n > 0 && n < sizeof alt) {
            memcpy(alt, alternatives, n);
            alt[n] = '\0';
            if (match(alt, ctx))
                return 1;
        }
        alternatives += n + (alternatives[n] == '|');
    }
    return 0;
}

static int glob_matches(const char *alt, const void *text)
{
    return fnmatch(alt, text, 0) == 0;
}

static int glob_could_be(const char *alt, const void *pattern)
{
    char literal[ALT_MAX];
    size_t n = strcspn(alt, "*?[");

    /* "mkfs*" is represented by "mkfs": does the name's pattern reach it? */
    memcpy(literal, alt, n);
    literal[n] = '\0';
    return fnmatch(pattern, literal, 0) == 0 || fnmatch(pattern, alt, 0) == 0;
}

int xtars_shell_name_matches(const struct xtars_shell_command *cmd, const char *alternatives)
{
    if (cmd->name[0] == '\0')
        return 0;
    if (any_alternative(alternatives, glob_matches, cmd->name))
        return 1;
    return (cmd->flags & XTARS_SHELL_NAME_GLOB) &&
           any_alternative(alternatives, glob_could_be, cmd->name);
}

struct option_ctx {
    const char *word; /* "-rf" or "--recursive=x" */
};

static int option_matches(const char *alt, const void *ctx)
{
    const char *word = ((const struct option_ctx *)ctx)->word;

    if (word[1] == '-') { /* long: exact or a prefix getopt_long would accept */
        size_t n = strcspn(word + 2, "=");
        return alt[1] != '\0' && n > 0 && n <= strlen(alt) && strncmp(alt, word + 2, n) == 0;
    }
    return alt[1] == '\0' && strchr(word + 1, alt[0]) != NULL;
}

int xtars_shell_has_option(const struct xtars_shell_command *cmd, const char *alternatives)
{
    for (int i = 0; i < cmd->arg_count; i++) {
        struct option_ctx ctx = {cmd->args[i].text};
        if (strcmp(ctx.word, "--") == 0)
            return 0;
        if (ctx.word[0] == '-' && ctx.word[1] != '\0' &&
            any_alternative(alternatives, option_matches, &ctx))
            return 1;
    }
    return 0;
}

/* /a//b/./c/../d -> /a/b/d, without looking at the disk. */
static int normalise_path(const char *path, char *out, size_t size)
{
    size_t len = 0;

    if (path[0] != '/' || strlen(path) >= size)
        return 0;
    while (*path) {
        size_t n;
        path += strspn(path, "/");
        n = strcspn(path, "/");
        if (n == 2 && path[0] == '.' && path[1] == '.') {
            while (len > 0 && out[--len] != '/')
                ;
        } else if (n > 0 && !(n == 1 && path[0] == '.')) {
            out[len++] = '/';
            memcpy(out + len, path, n);
            len += n;
        }
        path += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return 1;
}

static int word_matches(const char *alternatives, const char *text)
{
    char normal[4096];

    return any_alternative(alternatives, glob_matches, text) ||
           (normalise_path(text, normal, sizeof normal) &&
            any_alternative(alternatives, glob_matches, normal));
}

int xtars_shell_has_arg(const struct xtars_shell_command *cmd, const char *alternatives)
{
    for (int i = 0; i < cmd->arg_count; i++)
        if (word_matches(alternatives, cmd->args[i].text))
            return 1;
    return 0;
}

int xtars_shell_has_redirect(const struct xtars_shell_command *cmd, const char *alternatives)
{
    for (int i = 0; i < cmd->redirect_count; i++)
        if (!(cmd->redirects[i].flags & XTARS_SHELL_WORD_INPUT) &&
            word_matches(alternatives, cmd->redirects[i].text))
            return 1;
    return 0;
}

int xtars_shell_runs_via(const struct xtars_shell_command *cmd, const char *alternatives)
{
    const char *via = cmd->via;
    char name[ALT_MAX];

    while (*via) {
        size_t n = strcspn(via, " ");
        if (n > 0 && n < sizeof name) {
            memcpy(name, via, n);
            name[n] = '\0';
            if (any_alternative(alternatives, glob_matches, name))
                return 1;
        }
        via += n + (via[n] == ' ');
    }
    return 0;
}

int xtars_shell_is_generated(const struct xtars_shell_command *cmd)
{
    const unsigned generated = XTARS_SHELL_WORD_SUBST | XTARS_SHELL_WORD_PROCSUB |
                               XTARS_SHELL_WORD_VAR | XTARS_SHELL_WORD_DECODED;

    for (int i = 0; i < cmd->arg_count; i++)
        if (cmd->args[i].flags & generated)
            return 1;
    for (int i = 0; i < cmd->redirect_count; i++)
        if ((cmd->redirects[i].flags & XTARS_SHELL_WORD_INPUT) &&
            (cmd->redirects[i].flags & generated))
            return 1;
    return 0;
}
