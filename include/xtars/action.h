/* xtars/action.h: one action the agent performs, in screen pixels. This is the
 * only thing the reply parser (agent/) and the executors (actions/) share.
 *
 * Ownership: an action owns its `text` (malloc'd, may be NULL).
 * xtars_action_cleanup() frees it and zeroes the action; it accepts NULL and
 * already-cleaned actions. Copy actions with xtars_action_copy(), never by
 * assignment when text is set.
 */
#ifndef XTARS_ACTION_H
#define XTARS_ACTION_H

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xtars_action_type {
    XTARS_ACTION_CLICK = 0,
    XTARS_ACTION_DOUBLE_CLICK,
    XTARS_ACTION_RIGHT_CLICK,
    XTARS_ACTION_MIDDLE_CLICK,
    XTARS_ACTION_HOVER,
    XTARS_ACTION_DRAG,
    XTARS_ACTION_SCROLL,
    XTARS_ACTION_TYPE,
    XTARS_ACTION_HOTKEY,
    XTARS_ACTION_KEY_DOWN,
    XTARS_ACTION_KEY_UP,
    XTARS_ACTION_MOUSE_DOWN,
    XTARS_ACTION_MOUSE_UP,
    XTARS_ACTION_WAIT,
    XTARS_ACTION_FINISHED,
    XTARS_ACTION_CALL_USER,
    XTARS_ACTION_TYPE_COUNT
};

enum xtars_scroll_direction {
    XTARS_SCROLL_UP = 0,
    XTARS_SCROLL_DOWN,
    XTARS_SCROLL_LEFT,
    XTARS_SCROLL_RIGHT
};

enum xtars_button { XTARS_BUTTON_LEFT = 1, XTARS_BUTTON_MIDDLE = 2, XTARS_BUTTON_RIGHT = 3 };

#define XTARS_ACTION_MAX_KEYS 8   /* keys in one hotkey / key_down / key_up */
#define XTARS_KEY_NAME_LEN 32     /* canonical names: "ctrl", "f24", one UTF-8 char, X keysym names */

struct xtars_action {
    enum xtars_action_type type;

    /* Where: screen pixels (root window coordinates), already clamped to the
     * target rectangle. has_point is 0 for actions with no position and for
     * scroll without start_box (scroll where the pointer is). */
    int has_point;
    int x, y;
    int has_end;                  /* drag only */
    int x2, y2;

    /* The numbers as the model wrote them (box centre for 4-number boxes),
     * in the family's coordinate space, for trajectories and history. */
    double model_x, model_y;
    double model_x2, model_y2;

    char *text;                   /* type / finished / call_user content, UTF-8, decoded; owned */
    int key_count;                /* hotkey / key_down / key_up */
    char keys[XTARS_ACTION_MAX_KEYS][XTARS_KEY_NAME_LEN];
    enum xtars_scroll_direction direction;
    int amount;                   /* scroll notches; 0 = executor default */
    enum xtars_button button;     /* mouse_down / mouse_up */
    int ms;                       /* wait; 0 = executor default (config wait_ms) */
};

/* Frees text and zeroes *action. Accepts NULL. */
XTARS_API
void xtars_action_cleanup(struct xtars_action *action);

/* Deep copy. ENOMEM (dst zeroed). */
XTARS_API
xtars_err xtars_action_copy(struct xtars_action *dst, const struct xtars_action *src);

/* Canonical name of a type ("click", "double_click", ...), as in JSON. */
XTARS_API
const char *xtars_action_type_name(enum xtars_action_type type);

/* Inverse of xtars_action_type_name (canonical names only). EINVAL. */
XTARS_API
xtars_err xtars_action_type_from_name(const char *name, enum xtars_action_type *out);

/* "up", "down", "left", "right"; "?" outside the enum. */
XTARS_API
const char *xtars_scroll_direction_name(enum xtars_scroll_direction direction);

/* Inverse of xtars_scroll_direction_name (lowercase names only). EINVAL. */
XTARS_API
xtars_err xtars_scroll_direction_from_name(const char *name, enum xtars_scroll_direction *out);

/* "left", "middle", "right"; "?" outside the enum. */
XTARS_API
const char *xtars_button_name(enum xtars_button button);

/* Inverse of xtars_button_name (lowercase names only). EINVAL. */
XTARS_API
xtars_err xtars_button_from_name(const char *name, enum xtars_button *out);

/* Replaces the "executor default" zeros with the configured values: a scroll
 * with amount 0 gets scroll_amount, a wait with ms 0 gets wait_ms. Other
 * actions are untouched. Used where the values the executor would use must
 * be shown (`xtars parse`, trajectories). */
XTARS_API
void xtars_action_fill_defaults(struct xtars_action *action, int scroll_amount, int wait_ms);

#ifdef __cplusplus
}
#endif
#endif
