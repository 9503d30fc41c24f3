/* parse_call.h: parsing one call of a reply (parse_call.c), for parse.c,
 * which finds where the calls are. Private to the core library. */
#ifndef XTARS_PARSE_CALL_H
#define XTARS_PARSE_CALL_H

#include "xtars/action.h"
#include "parse_cursor.h"

/* 1 if an identifier followed by optional spaces and '(' starts at c->pos. */
int parse_at_call(const struct parse_cursor *c);

/* Parses one call at c->pos (no leading whitespace) into *out, leaving c->pos
 * after its ')'. `after_action` says another call came before (for a better
 * message when what follows is not a call). *out is zeroed on failure. */
xtars_err parse_call(struct parse_cursor *c, int after_action, struct xtars_action *out);

#endif
