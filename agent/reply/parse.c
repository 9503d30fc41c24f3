/* parse.c: the structure of a reply: <think> blocks, the Thought /
 * Reflection / Action_Summary headers, which "Action:" marker holds the
 * actions, and the list of calls after it (parse_call.c parses each call).
 * The text is untrusted: all reads are bounded by len, sizes are capped, and
 * every failure is an EPARSE with a column. Never prints. */
#include "xtars/parse.h"

#include <stdlib.h>
#include <string.h>

#include "parse_call.h"
#include "parse_cursor.h"

#define NONE ((size_t)-1)
#define MARKER_ATTEMPTS 16  /* "Action:" markers tried, from the last one back */

static int is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

/* A header or marker word; its length is known at compile time because
 * label_at() runs for every 'A' of the reply. */
struct label {
    const char *word;
    size_t len;
};

#define LABEL(name, text) static const struct label name = {text, sizeof text - 1}
LABEL(ACTION, "Action");
LABEL(THOUGHT, "Thought");
LABEL(REFLECTION, "Reflection");
LABEL(ACTION_SUMMARY, "Action_Summary");

/* Length of "Word:" or "Word：" (full-width colon) at `at`, 0 if not there.
 * The word must not continue a longer word ("SubAction:" is no marker). */
static size_t label_at(const struct parse_cursor *c, size_t at, const struct label *l)
{
    size_t n = l->len;

    if (at > c->len || n > c->len - at || memcmp(c->text + at, l->word, n) != 0)
        return 0;
    if (at > 0 && is_word_char(c->text[at - 1]))
        return 0;
    if (n + 1 <= c->len - at && c->text[at + n] == ':')
        return n + 1;
    if (n + 3 <= c->len - at && memcmp(c->text + at + n, "\xEF\xBC\x9A", 3) == 0)
        return n + 3;
    return 0;
}

/* First label l in [from, end), or NONE. */
static size_t find_label(const struct parse_cursor *c, size_t from, size_t end,
                         const struct label *l)
{
    for (size_t i = from; i < end; i++) {
        const char *p = memchr(c->text + i, l->word[0], end - i);
        if (p == NULL)
            return NONE;
        i = (size_t)(p - c->text);
        if (label_at(c, i, l))
            return i;
    }
    return NONE;
}

/* Last "Action:" marker starting in [from, before), or NONE. */
static size_t last_marker(const struct parse_cursor *c, size_t from, size_t before)
{
    while (before > from) {
        const char *a = memrchr(c->text + from, 'A', before - from);
        if (a == NULL)
            return NONE;
        before = (size_t)(a - c->text);
        if (label_at(c, before, &ACTION))
            return before;
    }
    return NONE;
}

/* ---- <think> blocks ---------------------------------------------------- */

/* First needle (which starts with '<') at or after from, or NULL. */
static const char *find_text(const struct parse_cursor *c, size_t from, const char *needle)
{
    size_t n = strlen(needle);

    while (from < c->len) {
        const char *p = memchr(c->text + from, '<', c->len - from);
        if (p == NULL)
            return NULL;
        from = (size_t)(p - c->text);
        if (n <= c->len - from && memcmp(p, needle, n) == 0)
            return p;
        from++;
    }
    return NULL;
}

/* Offset where the reply proper starts: after whitespace and any <think>
 * blocks. Servers that split reasoning out sometimes leave a lone </think>:
 * text before it (when no marker comes first) is skipped as well. */
static xtars_err skip_thinking(struct parse_cursor *c, size_t *start)
{
    size_t at = 0;
    const char *close = find_text(c, 0, "</think>");

    for (;;) {
        while (at < c->len && parse_is_space(c->text[at]))
            at++;
        if (c->len - at < 7 || memcmp(c->text + at, "<think>", 7) != 0)
            break;
        close = find_text(c, at + 7, "</think>");
        if (close == NULL)
            return parse_fail(c, at, "unterminated <think> block");
        at = (size_t)(close - c->text) + 8;
        close = NULL;
    }
    if (close != NULL) {
        size_t close_at = (size_t)(close - c->text);
        if (find_label(c, at, close_at, &ACTION) == NONE)
            at = close_at + 8;
        while (at < c->len && parse_is_space(c->text[at]))
            at++;
    }
    *start = at;
    return XTARS_OK;
}

/* ---- headers ----------------------------------------------------------- */

/* A trimmed copy of text[from, to). */
static xtars_err set_text(struct parse_cursor *c, char **out, size_t from, size_t to)
{
    while (from < to && parse_is_space(c->text[from]))
        from++;
    while (to > from && parse_is_space(c->text[to - 1]))
        to--;
    *out = malloc(to - from + 1);
    if (*out == NULL)
        return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
    memcpy(*out, c->text + from, to - from);
    (*out)[to - from] = '\0';
    return XTARS_OK;
}

/* Where a header section whose body starts at `body` ends: at the next label
 * among `labels`, or at the first "Action:" marker after it (so a thought
 * ends at its first Action:, as the Python reference's regex does). */
static size_t section_end(const struct parse_cursor *c, size_t body, size_t marker,
                          const size_t *labels, int label_count)
{
    size_t end = find_label(c, body, marker, &ACTION);

    if (end == NONE)
        end = marker;
    for (int i = 0; i < label_count; i++)
        if (labels[i] != NONE && labels[i] >= body && labels[i] < end)
            end = labels[i];
    return end;
}

static xtars_err read_header(struct parse_cursor *c, size_t start, size_t marker,
                             struct xtars_reply *out)
{
    size_t labels[3], body;
    size_t reflection_len = label_at(c, start, &REFLECTION);
    size_t from = start + reflection_len;
    xtars_err rc = XTARS_OK;

    labels[0] = reflection_len ? start : NONE;
    labels[1] = find_label(c, from, marker, &ACTION_SUMMARY);
    labels[2] = find_label(c, from, marker, &THOUGHT);
    if (labels[0] != NONE)
        rc = set_text(c, &out->reflection, from, section_end(c, from, marker, labels, 3));
    if (rc == XTARS_OK && labels[1] != NONE) {
        body = labels[1] + label_at(c, labels[1], &ACTION_SUMMARY);
        rc = set_text(c, &out->action_summary, body, section_end(c, body, marker, labels, 3));
    }
    if (rc == XTARS_OK && labels[2] != NONE) {
        body = labels[2] + label_at(c, labels[2], &THOUGHT);
        rc = set_text(c, &out->thought, body, section_end(c, body, marker, labels, 3));
    } else if (rc == XTARS_OK && out->action_summary) {
        /* No Thought: the summary is the thought, as in both references. */
        size_t n = strlen(out->action_summary) + 1;
        if ((out->thought = malloc(n)) == NULL)
            return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
        memcpy(out->thought, out->action_summary, n);
    }
    return rc;
}

/* ---- actions ----------------------------------------------------------- */

/* The calls from `from` to the end of the text. */
static xtars_err parse_block(struct parse_cursor *c, size_t from, struct xtars_reply *out)
{
    struct xtars_action actions[XTARS_PARSE_MAX_ACTIONS];
    int count = 0;
    xtars_err rc = XTARS_OK;

    c->pos = from;
    for (;;) {
        parse_skip_blank(c);
        if (c->pos == c->len)
            break;
        if (count == XTARS_PARSE_MAX_ACTIONS) {
            rc = parse_fail(c, c->pos, "more than %d actions", XTARS_PARSE_MAX_ACTIONS);
            goto out;
        }
        if ((rc = parse_call(c, count > 0, &actions[count])) != XTARS_OK)
            goto out;
        count++;
    }
    if (count == 0) {
        rc = parse_fail(c, from, "no action after 'Action:'");
        goto out;
    }
    out->actions = malloc((size_t)count * sizeof actions[0]);
    if (out->actions == NULL) {
        rc = xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
        goto out;
    }
    memcpy(out->actions, actions, (size_t)count * sizeof actions[0]);
    out->action_count = count;
    return XTARS_OK;
out:
    for (int i = 0; i < count; i++)
        xtars_action_cleanup(&actions[i]);
    return rc;
}

/* Tries the "Action:" markers from the last one back: the actions follow the
 * last marker whose text parses (a marker inside a quoted content value does
 * not). The error reported is the last marker's: that is where the model put
 * its actions. Without any marker, a reply that starts with a call is taken
 * as the actions (the TypeScript reference does the same). */
static xtars_err find_actions(struct parse_cursor *c, size_t start, struct xtars_reply *out,
                              size_t *marker)
{
    char scratch[XTARS_ERRLEN];
    char *err = c->err;
    size_t m = last_marker(c, start, c->len);
    xtars_err rc = XTARS_EPARSE, first = XTARS_OK;

    *marker = start;
    if (m == NONE) {
        c->pos = start;
        if (parse_at_call(c))
            return parse_block(c, start, out);
        return parse_fail(c, start, "no 'Action:' in the reply");
    }
    for (int attempt = 0; m != NONE && attempt < MARKER_ATTEMPTS; attempt++) {
        c->err = attempt == 0 ? err : scratch;
        rc = parse_block(c, m + label_at(c, m, &ACTION), out);
        c->err = err;
        if (attempt == 0)
            first = rc;
        if (rc == XTARS_OK) {
            *marker = m;
            return XTARS_OK;
        }
        if (rc != XTARS_EPARSE) {
            if (err && attempt > 0)
                memcpy(err, scratch, XTARS_ERRLEN);
            return rc;
        }
        m = last_marker(c, start, m);
    }
    return first;
}

/* Size cap and NUL bytes (C strings downstream could not carry them). */
static xtars_err check_text(struct parse_cursor *c)
{
    const char *nul;

    if (c->len > XTARS_PARSE_MAX_REPLY)
        return parse_fail(c, 0, "reply longer than %d bytes", XTARS_PARSE_MAX_REPLY);
    nul = memchr(c->text, '\0', c->len);
    if (nul)
        return parse_fail(c, (size_t)(nul - c->text), "NUL byte in the reply");
    return XTARS_OK;
}

void xtars_reply_cleanup(struct xtars_reply *reply)
{
    if (reply == NULL)
        return;
    free(reply->thought);
    free(reply->reflection);
    free(reply->action_summary);
    for (int i = 0; i < reply->action_count; i++)
        free(reply->actions[i].text);  /* the array goes too: no need to zero each */
    free(reply->actions);
    memset(reply, 0, sizeof *reply);
}

xtars_err xtars_parse_reply(const char *text, size_t len, const struct xtars_coord_space *space,
                            struct xtars_reply *out, char *err)
{
    struct parse_cursor c = {text ? text : "", text ? len : 0, 0, space, err};
    size_t start = 0, marker = 0;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if ((rc = check_text(&c)) != XTARS_OK || (rc = skip_thinking(&c, &start)) != XTARS_OK)
        return rc;
    if (start == c.len)
        return parse_fail(&c, start, "empty reply");
    rc = find_actions(&c, start, out, &marker);
    if (rc == XTARS_OK)
        rc = read_header(&c, start, marker, out);
    if (rc != XTARS_OK)
        xtars_reply_cleanup(out);
    return rc;
}

xtars_err xtars_parse_action(const char *text, size_t len, const struct xtars_coord_space *space,
                             struct xtars_action *out, char *err)
{
    struct parse_cursor c = {text ? text : "", text ? len : 0, 0, space, err};
    char snip[64];
    size_t at;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if ((rc = check_text(&c)) != XTARS_OK)
        return rc;
    parse_skip_blank(&c);
    if (c.pos == c.len)
        return parse_fail(&c, c.pos, "empty action");
    if ((rc = parse_call(&c, 0, out)) != XTARS_OK)
        return rc;
    parse_skip_blank(&c);
    if (c.pos == c.len)
        return XTARS_OK;
    xtars_action_cleanup(out);
    at = c.pos;
    while (c.pos < c.len && c.text[c.pos] != '\n' && c.pos - at < 40)
        c.pos++;
    parse_snippet(snip, c.text + at, c.pos - at);
    return parse_fail(&c, at, "unexpected text after the action: '%s'", snip);
}
