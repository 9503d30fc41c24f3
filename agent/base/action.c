/* action.c: lifecycle and names of struct xtars_action, the contract between
 * the reply parser and the executors. Names here are the canonical JSON
 * spellings; aliases the model may write belong to the parser, not here.
 * Never prints. */
#include "xtars/action.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[XTARS_ACTION_TYPE_COUNT] = {
    [XTARS_ACTION_CLICK] = "click",
    [XTARS_ACTION_DOUBLE_CLICK] = "double_click",
    [XTARS_ACTION_RIGHT_CLICK] = "right_click",
    [XTARS_ACTION_MIDDLE_CLICK] = "middle_click",
    [XTARS_ACTION_HOVER] = "hover",
    [XTARS_ACTION_DRAG] = "drag",
    [XTARS_ACTION_SCROLL] = "scroll",
    [XTARS_ACTION_TYPE] = "type",
    [XTARS_ACTION_HOTKEY] = "hotkey",
    [XTARS_ACTION_KEY_DOWN] = "key_down",
    [XTARS_ACTION_KEY_UP] = "key_up",
    [XTARS_ACTION_MOUSE_DOWN] = "mouse_down",
    [XTARS_ACTION_MOUSE_UP] = "mouse_up",
    [XTARS_ACTION_WAIT] = "wait",
    [XTARS_ACTION_FINISHED] = "finished",
    [XTARS_ACTION_CALL_USER] = "call_user",
};

static const char *const direction_names[] = {"up", "down", "left", "right"};

void xtars_action_cleanup(struct xtars_action *action)
{
    if (action == NULL)
        return;
    free(action->text);
    memset(action, 0, sizeof *action);
}

xtars_err xtars_action_copy(struct xtars_action *dst, const struct xtars_action *src)
{
    char *text = NULL;

    if (src->text) {
        size_t n = strlen(src->text) + 1;
        text = malloc(n);
        if (text == NULL) {
            memset(dst, 0, sizeof *dst);
            return XTARS_ENOMEM;
        }
        memcpy(text, src->text, n);
    }
    *dst = *src;
    dst->text = text;
    return XTARS_OK;
}

const char *xtars_action_type_name(enum xtars_action_type type)
{
    if ((int)type < 0 || type >= XTARS_ACTION_TYPE_COUNT)
        return "?";
    return type_names[type];
}

xtars_err xtars_action_type_from_name(const char *name, enum xtars_action_type *out)
{
    for (int i = 0; i < XTARS_ACTION_TYPE_COUNT; i++) {
        if (strcmp(type_names[i], name) == 0) {
            *out = (enum xtars_action_type)i;
            return XTARS_OK;
        }
    }
    return XTARS_EINVAL;
}

const char *xtars_scroll_direction_name(enum xtars_scroll_direction direction)
{
    if ((int)direction < 0 || direction > XTARS_SCROLL_RIGHT)
        return "?";
    return direction_names[direction];
}

xtars_err xtars_scroll_direction_from_name(const char *name, enum xtars_scroll_direction *out)
{
    for (int i = 0; i <= XTARS_SCROLL_RIGHT; i++) {
        if (strcmp(direction_names[i], name) == 0) {
            *out = (enum xtars_scroll_direction)i;
            return XTARS_OK;
        }
    }
    return XTARS_EINVAL;
}

const char *xtars_button_name(enum xtars_button button)
{
    switch (button) {
    case XTARS_BUTTON_LEFT:
        return "left";
    case XTARS_BUTTON_MIDDLE:
        return "middle";
    case XTARS_BUTTON_RIGHT:
        return "right";
    }
    return "?";
}

xtars_err xtars_button_from_name(const char *name, enum xtars_button *out)
{
    static const enum xtars_button all[] = {XTARS_BUTTON_LEFT, XTARS_BUTTON_MIDDLE,
                                            XTARS_BUTTON_RIGHT};

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(xtars_button_name(all[i]), name) == 0) {
            *out = all[i];
            return XTARS_OK;
        }
    }
    return XTARS_EINVAL;
}

void xtars_action_fill_defaults(struct xtars_action *action, int scroll_amount, int wait_ms)
{
    if (action->type == XTARS_ACTION_SCROLL && action->amount == 0)
        action->amount = scroll_amount;
    else if (action->type == XTARS_ACTION_WAIT && action->ms == 0)
        action->ms = wait_ms;
}
