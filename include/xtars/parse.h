/* xtars/parse.h: the model's reply text -> thought, reflection and actions in
 * screen pixels. Accepts every dialect in docs/parser.md (UI-TARS 1.0/1.5,
 * Doubao, the TypeScript reference's extra syntaxes); refuses anything else
 * with a one-line reason and the column where it went wrong.
 *
 * Ownership: struct xtars_reply owns its strings and its actions array;
 * xtars_reply_cleanup() frees them and zeroes the reply (NULL and zeroed
 * replies are fine). On failure the parse functions leave their output zeroed,
 * so cleanup is never needed after an error (but is harmless).
 *
 * Reply text is untrusted: it may be any bytes. The parser never reads outside
 * text[0..len), needs no NUL terminator, and caps what it accepts (below).
 */
#ifndef XTARS_PARSE_H
#define XTARS_PARSE_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/buf.h"
#include "xtars/coords.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_PARSE_MAX_REPLY (1 << 20)      /* bytes of reply text */
#define XTARS_PARSE_MAX_CONTENT (64 * 1024)  /* bytes of one decoded content value */
#define XTARS_PARSE_MAX_ACTIONS 64           /* actions in one reply */

struct xtars_reply {
    char *thought;          /* Thought: text, or Action_Summary: when there is no Thought:; NULL if none */
    char *reflection;       /* Reflection: text, NULL if none */
    char *action_summary;   /* Action_Summary: text, NULL if none */
    struct xtars_action *actions; /* action_count actions, in execution order */
    int action_count;       /* >= 1 after a successful parse */
};

/* Frees everything the reply owns and zeroes it. Accepts NULL. */
XTARS_API
void xtars_reply_cleanup(struct xtars_reply *reply);

/* Parses a whole reply. The actions are the calls after the last "Action:"
 * marker (see docs/parser.md for which markers count). Coordinates are mapped
 * with space, which may be NULL only when no action has coordinates.
 * Actions keep 0 for "executor default" scroll amounts and wait times (see
 * xtars_action_fill_defaults).
 * Errors: EPARSE with "parse: <reason> at column N" in err (N counts UTF-8
 * characters from 1 at the start of text; a line break is one character);
 * ENOMEM; EINVAL for an invalid space ("parse: invalid coordinate space").
 * err (XTARS_ERRLEN bytes) may be NULL: callers that only want to know
 * whether text parses drop the message. *out is zeroed on failure. */
XTARS_API
xtars_err xtars_parse_reply(const char *text, size_t len, const struct xtars_coord_space *space,
                            struct xtars_reply *out, char *err);

/* Parses exactly one call such as "click(start_box='(10,20)')" (surrounding
 * whitespace allowed), as `xtars act` and task files need. Same grammar,
 * errors and column rule as xtars_parse_reply. *out is zeroed on failure;
 * free it with xtars_action_cleanup(). */
XTARS_API
xtars_err xtars_parse_action(const char *text, size_t len, const struct xtars_coord_space *space,
                             struct xtars_action *out, char *err);

/* Appends the reply as the `xtars parse` object:
 * {"thought": str|null, "reflection": str|null, "actions": [ ... ]}, each
 * action as xtars_action_to_json() writes it. One line, no newline.
 * ENOMEM, ETOOBIG (from the buffer's cap). */
XTARS_API
xtars_err xtars_reply_to_json(const struct xtars_reply *reply, struct xtars_buf *out);

#ifdef __cplusplus
}
#endif
#endif
