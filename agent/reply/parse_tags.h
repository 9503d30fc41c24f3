/* parse_tags.h: the tag dialects of newer UI-TARS-desktop agents and Seed /
 * UI-TARS-2 models (parse_tags.c): where a tag-dialect reply starts, and the
 * Seed tool calls <seed:tool_call><function=click><parameter=point>...
 * </parameter></function></seed:tool_call>. parse.c handles <computer_env>
 * and <answer>, which hold the classic grammar or plain text. Private to the
 * core library. */
#ifndef XTARS_PARSE_TAGS_H
#define XTARS_PARSE_TAGS_H

#include "xtars/action.h"
#include "parse_cursor.h"

enum parse_tag {
    PARSE_TAG_NONE = 0,
    PARSE_TAG_TOOL_CALL,     /* <seed:tool_call> or a bare <function=...> */
    PARSE_TAG_COMPUTER_ENV,  /* <computer_env>Action: ...</computer_env> */
    PARSE_TAG_ANSWER         /* <answer>text</answer>: finished(content=text) */
};

/* Length of the literal tag at c->text + at (e.g. "</answer>"), 0 if not there. */
size_t parse_tag_at(const struct parse_cursor *c, size_t at, const char *tag);

/* First tag that opens a tag-dialect reply in [from, c->len), at the start
 * of a line (spaces before it allowed) or at from itself: its kind, and its
 * offset in *at. PARSE_TAG_NONE when there is none. */
enum parse_tag parse_find_tag(const struct parse_cursor *c, size_t from, size_t *at);

/* The first literal tag at or after from: its offset, or c->len. */
size_t parse_find_text(const struct parse_cursor *c, size_t from, const char *tag);

/* Reads Seed tool calls from `from` to the end of the text: any number of
 * <seed:tool_call> blocks (the closing tag may be missing at the very end),
 * each with <function=NAME> or <function name='NAME'> blocks of
 * <parameter=KEY>value</parameter> or <parameter name='KEY'>value</parameter>.
 * Fills actions[0..*count) (at most max), press() resolved as in the call
 * grammar. EPARSE with a column for anything else; nothing is left to free
 * on failure. */
xtars_err parse_tool_calls(struct parse_cursor *c, size_t from, struct xtars_action *actions,
                           int max, int *count);

#endif
