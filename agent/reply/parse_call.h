/* parse_call.h: parsing one call of a reply (parse_call.c), for parse.c,
 * which finds where the calls are, and parse_tags.c, which reads the same
 * calls written as Seed tool-call tags. Private to the core library. */
#ifndef XTARS_PARSE_CALL_H
#define XTARS_PARSE_CALL_H

#include "xtars/action.h"
#include "parse_cursor.h"

#define PARSE_MAX_ARGS 8    /* arguments in one call (duplicates count) */

/* One argument as written: offsets into the reply, nothing decoded yet. */
struct parse_arg {
    const char *key;
    size_t key_len;
    size_t at;          /* offset of the value as written (its opening quote) */
    size_t value_at;    /* offset of the value's first byte (inside the quotes) */
    size_t value_len;   /* raw bytes, escapes not yet decoded */
    char quote;         /* '\'', '"', 0 for an unquoted value, '<' for a tag's text */
};

/* One call: its action type and arguments. */
struct parse_call {
    enum xtars_action_type type;
    int press;          /* written press(): a tap unless released later (parse_resolve_presses) */
    const char *name;   /* as written, for messages */
    size_t name_len;
    size_t name_at;
    int arg_count;
    struct parse_arg args[PARSE_MAX_ARGS];
};

/* 1 if an identifier followed by optional spaces and '(' starts at c->pos. */
int parse_at_call(const struct parse_cursor *c);

/* Parses one call at c->pos (no leading whitespace) into *out, leaving c->pos
 * after its ')'. `after_action` says another call came before (for a better
 * message when what follows is not a call). *press (may be NULL) is set when
 * the call was written press(). *out is zeroed on failure. */
xtars_err parse_call(struct parse_cursor *c, int after_action, struct xtars_action *out,
                     int *press);

/* Sets call's type, press flag and name from the action name text[at..at+n).
 * EPARSE "unknown action 'x'" (at column at). */
xtars_err parse_call_name(struct parse_cursor *c, size_t at, size_t n, struct parse_call *call);

/* Builds *out from a call whose name and arguments are read: values decoded,
 * coordinates mapped. *out is zeroed on failure. */
xtars_err parse_call_build(struct parse_cursor *c, const struct parse_call *call,
                           struct xtars_action *out);

/* press() is a tap unless a later release of every key it names follows in
 * the same reply (UI-TARS-desktop's prompt: a pressed key is released by the
 * end of the step; OSWorld's UI-TARS agent taps): presses[i] says action i
 * was written press(); a tap becomes a hotkey, a held press stays key_down. */
void parse_resolve_presses(struct xtars_action *actions, const int *presses, int count);

#endif
