/* parse.c: the structure of a reply: <think> blocks, the Thought /
 * Reflection / Action_Summary headers, which "Action:" marker holds the
 * actions, and the list of calls after it (parse_call.c parses each call);
 * the newer tag dialects (<computer_env>, <answer>, Seed tool calls, whose
 * tags parse_tags.c reads) are recognised here.
 * The text is untrusted: all reads are bounded by len, sizes are capped, and
 * every failure is an EPARSE with a column. Never prints. */
#include "xtars/parse.h"

#include <stdlib.h>
#include <string.h>

#include "parse_call.h"
#include "parse_cursor.h"
#include "parse_tags.h"

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

/* Length of a think tag at `at`: "<think>", or with a suffix as Seed models
 * write it ("<thinkt>", "<think_never_used_51bce...>"), closing when close
 * is set; 0 if there is none. */
static size_t think_tag(const struct parse_cursor *c, size_t at, int close)
{
    size_t i = at + (close ? 7 : 6);

    if (i > c->len || memcmp(c->text + at, close ? "</think" : "<think", i - at) != 0)
        return 0;
    while (i < c->len && i - at < 80 && is_word_char(c->text[i]))
        i++;
    return i < c->len && c->text[i] == '>' ? i + 1 - at : 0;
}

/* First closing think tag at or after from: its offset, or NONE. */
static size_t find_think_close(const struct parse_cursor *c, size_t from)
{
    while (from < c->len) {
        const char *p = memchr(c->text + from, '<', c->len - from);
        if (p == NULL)
            return NONE;
        from = (size_t)(p - c->text);
        if (think_tag(c, from, 1))
            return from;
        from++;
    }
    return NONE;
}

/* Offset where the reply proper starts: after whitespace and any think
 * blocks; *think_at, *think_end: the first block's text (both NONE without
 * one). Servers that split reasoning out sometimes leave a lone </think>:
 * text before it (when no marker comes first) is skipped as well. */
static xtars_err skip_thinking(struct parse_cursor *c, size_t *start, size_t *think_at,
                               size_t *think_end)
{
    size_t at = 0, open, close = find_think_close(c, 0);

    *think_at = *think_end = NONE;
    for (;;) {
        while (at < c->len && parse_is_space(c->text[at]))
            at++;
        if ((open = think_tag(c, at, 0)) == 0)
            break;
        close = find_think_close(c, at + open);
        if (close == NONE)
            return parse_fail(c, at, "unterminated <think> block");
        if (*think_at == NONE) {
            *think_at = at + open;
            *think_end = close;
        }
        at = close + think_tag(c, close, 1);
        close = NONE;
    }
    if (close != NONE) {
        if (find_label(c, at, close, &ACTION) == NONE)
            at = close + think_tag(c, close, 1);
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

/* "<Thought>text</Thought>" at the start of the header: the text's span. */
static int xml_thought(const struct parse_cursor *c, size_t start, size_t marker, size_t *from,
                       size_t *to)
{
    size_t close;

    if (!parse_tag_at(c, start, "<Thought>"))
        return 0;
    *from = start + strlen("<Thought>");
    close = parse_find_text(c, *from, "</Thought>");
    if (close >= marker)
        return 0;
    *to = close;
    return 1;
}

static xtars_err read_header(struct parse_cursor *c, size_t start, size_t marker,
                             struct xtars_reply *out)
{
    size_t labels[3], body, end;
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
    } else if (rc == XTARS_OK && xml_thought(c, start, marker, &body, &end)) {
        rc = set_text(c, &out->thought, body, end); /* UI-TARS-desktop's O1 format */
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
    int presses[XTARS_PARSE_MAX_ACTIONS];
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
        if ((rc = parse_call(c, count > 0, &actions[count], &presses[count])) != XTARS_OK)
            goto out;
        count++;
    }
    if (count == 0) {
        rc = parse_fail(c, from, "no action after 'Action:'");
        goto out;
    }
    parse_resolve_presses(actions, presses, count);
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

/* ---- tag dialects ------------------------------------------------------ */

/* The thought of a tag-dialect reply: the first think block's text, as
 * UI-TARS-desktop takes it, else any prose before the tag (without a
 * "Thought:" label); NULL when both are empty. */
static xtars_err tag_thought(struct parse_cursor *c, size_t start, size_t tag_at, size_t think_at,
                             size_t think_end, struct xtars_reply *out)
{
    size_t label;

    if (think_at != NONE)
        return set_text(c, &out->thought, think_at, think_end);
    while (start < tag_at && parse_is_space(c->text[start]))
        start++;
    if ((label = label_at(c, start, &THOUGHT)) != 0)
        start += label;
    while (tag_at > start && parse_is_space(c->text[tag_at - 1]))
        tag_at--;
    return start < tag_at ? set_text(c, &out->thought, start, tag_at) : XTARS_OK;
}

/* <answer>text</answer>: finished(content=text), as UI-TARS-desktop's
 * parsers read it. Returns the offset after the closing tag in *end. */
static xtars_err read_answer(struct parse_cursor *c, size_t tag_at, struct xtars_reply *out,
                             size_t *end)
{
    size_t from = tag_at + parse_tag_at(c, tag_at, "<answer>");
    size_t close = parse_find_text(c, from, "</answer>");
    xtars_err rc;

    if (close == c->len)
        return parse_fail(c, tag_at, "unterminated <answer> (no </answer>)");
    if ((out->actions = calloc(1, sizeof *out->actions)) == NULL)
        return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
    out->action_count = 1;
    out->actions[0].type = XTARS_ACTION_FINISHED;
    if (close - from > XTARS_PARSE_MAX_CONTENT)
        return parse_fail(c, from, "answer longer than %d bytes", XTARS_PARSE_MAX_CONTENT);
    if ((rc = set_text(c, &out->actions[0].text, from, close)) != XTARS_OK)
        return rc;
    if (out->actions[0].text[0] == '\0') { /* an empty answer is a finished() without content */
        free(out->actions[0].text);
        out->actions[0].text = NULL;
    }
    *end = close + strlen("</answer>");
    return XTARS_OK;
}

/* <computer_env>[Action:] calls</computer_env>: the classic grammar inside. */
static xtars_err read_computer_env(struct parse_cursor *c, size_t tag_at, struct xtars_reply *out,
                                   size_t *end)
{
    size_t from = tag_at + parse_tag_at(c, tag_at, "<computer_env>");
    size_t close = parse_find_text(c, from, "</computer_env>"), marker;
    struct parse_cursor inner = *c;
    xtars_err rc;

    if (close == c->len)
        return parse_fail(c, tag_at, "unterminated <computer_env> (no </computer_env>)");
    inner.len = close; /* offsets stay the reply's: columns are right */
    while (from < close && parse_is_space(c->text[from]))
        from++;
    if (from == close)
        return parse_fail(c, from, "no action in <computer_env>");
    rc = find_actions(&inner, from, out, &marker);
    if (rc == XTARS_OK && out->thought == NULL)
        rc = read_header(&inner, from, marker, out);
    *end = close + strlen("</computer_env>");
    return rc;
}

static xtars_err read_tool_calls(struct parse_cursor *c, size_t tag_at, struct xtars_reply *out,
                                 size_t *end)
{
    struct xtars_action actions[XTARS_PARSE_MAX_ACTIONS];
    int count = 0;
    xtars_err rc = parse_tool_calls(c, tag_at, actions, XTARS_PARSE_MAX_ACTIONS, &count);

    if (rc != XTARS_OK)
        return rc;
    out->actions = malloc((size_t)count * sizeof actions[0]);
    if (out->actions == NULL) {
        for (int i = 0; i < count; i++)
            xtars_action_cleanup(&actions[i]);
        return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
    }
    memcpy(out->actions, actions, (size_t)count * sizeof actions[0]);
    out->action_count = count;
    *end = c->len;
    return XTARS_OK;
}

/* Seed's final answer: "<thinkt>reasoning</thinkt> answer here" (its
 * prompt's words), a reply without a tool call, which ends UI-TARS-desktop's
 * Seed agent loop. Only after a Seed think tag (with a suffix: <thinkt>,
 * <think_never_used_...>), and only when the text has no "Action:", no
 * "Thought:" and does not start with a call: a classic reply that forgot
 * its Action: stays an error. */
static int is_seed_answer(struct parse_cursor *c, size_t start, size_t think_at)
{
    size_t saved = c->pos;
    int call;

    if (think_at == NONE || think_at < 8 || c->text[think_at - 1] != '>' ||
        memcmp(c->text + think_at - 7, "<think>", 7) == 0)
        return 0; /* no think block, or a plain <think> */
    if (find_label(c, start, c->len, &ACTION) != NONE || label_at(c, start, &THOUGHT) != 0)
        return 0;
    c->pos = start;
    call = parse_at_call(c);
    c->pos = saved;
    return !call;
}

static xtars_err read_plain_answer(struct parse_cursor *c, size_t start, struct xtars_reply *out)
{
    if (c->len - start > XTARS_PARSE_MAX_CONTENT)
        return parse_fail(c, start, "answer longer than %d bytes", XTARS_PARSE_MAX_CONTENT);
    if ((out->actions = calloc(1, sizeof *out->actions)) == NULL)
        return xtars_error(c->err, XTARS_ENOMEM, "parse: out of memory");
    out->action_count = 1;
    out->actions[0].type = XTARS_ACTION_FINISHED;
    return set_text(c, &out->actions[0].text, start, c->len);
}

/* A reply in one of the tag dialects (UI-TARS-desktop's OmniFormatParser and
 * XMLFormatParser): [think] [prose] then <computer_env>, <answer> or Seed
 * tool calls, and nothing after the closing tag but blanks. */
static xtars_err parse_tagged(struct parse_cursor *c, size_t start, enum parse_tag kind,
                              size_t tag_at, size_t think_at, size_t think_end,
                              struct xtars_reply *out)
{
    static const char *const closing[] = {"", "</seed:tool_call>", "</computer_env>", "</answer>"};
    size_t end = c->len;
    xtars_err rc = tag_thought(c, start, tag_at, think_at, think_end, out);

    if (rc == XTARS_OK)
        rc = kind == PARSE_TAG_ANSWER ? read_answer(c, tag_at, out, &end)
             : kind == PARSE_TAG_COMPUTER_ENV ? read_computer_env(c, tag_at, out, &end)
                                               : read_tool_calls(c, tag_at, out, &end);
    if (rc != XTARS_OK)
        return rc;
    c->pos = end;
    parse_skip_blank(c);
    if (c->pos < c->len) {
        char snip[64];
        size_t n = 0;
        while (c->pos + n < c->len && c->text[c->pos + n] != '\n' && n < 40)
            n++;
        parse_snippet(snip, c->text + c->pos, n);
        return parse_fail(c, c->pos, "unexpected text after %s: '%s'", closing[kind], snip);
    }
    return XTARS_OK;
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
    size_t start = 0, marker = 0, think_at, think_end, tag_at;
    enum parse_tag kind;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if ((rc = check_text(&c)) != XTARS_OK ||
        (rc = skip_thinking(&c, &start, &think_at, &think_end)) != XTARS_OK)
        return rc;
    if (start == c.len)
        return parse_fail(&c, start, "empty reply");
    /* A tag dialect when its tag starts a line before any "Action:" (one
     * after it is inside the classic reply's calls or content). */
    kind = parse_find_tag(&c, start, &tag_at);
    if (kind != PARSE_TAG_NONE && find_label(&c, start, tag_at, &ACTION) == NONE) {
        rc = parse_tagged(&c, start, kind, tag_at, think_at, think_end, out);
    } else if (is_seed_answer(&c, start, think_at)) {
        rc = tag_thought(&c, start, start, think_at, think_end, out);
        if (rc == XTARS_OK)
            rc = read_plain_answer(&c, start, out);
    } else {
        rc = find_actions(&c, start, out, &marker);
        if (rc == XTARS_OK)
            rc = read_header(&c, start, marker, out);
    }
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
    int press = 0;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if ((rc = check_text(&c)) != XTARS_OK)
        return rc;
    parse_skip_blank(&c);
    if (c.pos == c.len)
        return parse_fail(&c, c.pos, "empty action");
    if ((rc = parse_call(&c, 0, out, &press)) != XTARS_OK)
        return rc;
    parse_skip_blank(&c);
    if (c.pos == c.len) {
        parse_resolve_presses(out, &press, 1); /* one call: a press is a tap */
        return XTARS_OK;
    }
    xtars_action_cleanup(out);
    at = c.pos;
    while (c.pos < c.len && c.text[c.pos] != '\n' && c.pos - at < 40)
        c.pos++;
    parse_snippet(snip, c.text + at, c.pos - at);
    return parse_fail(&c, at, "unexpected text after the action: '%s'", snip);
}
