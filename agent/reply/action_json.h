/* xtars/action_json.h: actions as text. Three forms:
 *   - the canonical JSON object (`xtars parse`, trajectories), written and
 *     read back strictly (docs/parser.md, "Canonical JSON");
 *   - the UI-TARS call text in model space ("click(start_box='(197,525)')"),
 *     for the assistant messages of the history and for display.
 *
 * Writers append to a caller-owned xtars_buf (its cap applies) and allocate
 * nothing else. xtars_action_from_json() fills a caller-owned action whose
 * text it allocates; free it with xtars_action_cleanup(). cJSON is used
 * inside and never appears in this interface.
 */
#ifndef XTARS_ACTION_JSON_H
#define XTARS_ACTION_JSON_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/buf.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_ACTION_JSON_MAX (1 << 20)   /* bytes of one JSON action accepted */
#define XTARS_ACTION_MAX_COORD 32767      /* largest X11 root-window coordinate */

/* Appends one action as a JSON object on one line: "type" first, then as they
 * apply "x", "y", "x2", "y2" (screen pixels), "model_x", "model_y",
 * "model_x2", "model_y2" (model numbers), "text", "keys", "direction",
 * "amount", "button", "ms". Point fields appear when has_point / has_end are
 * set; "text" always for type (an empty string if NULL), for finished and
 * call_user only when set. ENOMEM, ETOOBIG. */
xtars_err xtars_action_to_json(const struct xtars_action *action, struct xtars_buf *out);

/* Reads one JSON object as written above (untrusted input: trajectories,
 * imports). Strict: unknown or duplicate fields, fields that do not apply to
 * the type, missing required fields, wrong types, non-integer or out-of-range
 * pixels (0..XTARS_ACTION_MAX_COORD), unknown key names, NUL characters and
 * trailing text are errors. Key names may be any accepted spelling and are
 * stored canonical. Absent model numbers are 0; absent amount / ms are 0
 * (executor default); an absent button is left.
 * Errors: EPARSE with "action: <reason>" in err, ETOOBIG over
 * XTARS_ACTION_JSON_MAX, ENOMEM. *out is zeroed on failure. */
xtars_err xtars_action_from_json(const char *text, size_t len, struct xtars_action *out,
                                 char *err);

/* Flags for xtars_action_to_call(). */
#define XTARS_CALL_BOX_TOKENS 1u /* wrap points as '<|box_start|>(x,y)<|box_end|>' (UI-TARS-1.5 history) */
#define XTARS_CALL_ROUND 2u      /* write model numbers rounded to integers, as models write them */

/* Appends the action as one UI-TARS call in model space, using the names the
 * UI-TARS prompts declare: click, left_double, right_single, middle_click,
 * hover, drag, scroll, type, hotkey, keydown, keyup, mouse_down, mouse_up,
 * wait, finished, call_user. Strings are single-quoted with \\ \' \n \r \t
 * escaped, so xtars_parse_action() reads the result back to the same action.
 * Non-default amount / ms are written as amount= / ms= (xtars extensions).
 * ENOMEM, ETOOBIG. */
xtars_err xtars_action_to_call(const struct xtars_action *action, unsigned flags,
                               struct xtars_buf *out);

#ifdef __cplusplus
}
#endif
#endif
