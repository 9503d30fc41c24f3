/* action.c: lifecycle and names of struct xtars_action (include/xtars/action.h).
 * Plain data helpers shared by the parser and the executors; no parsing and no
 * input here. */
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

void xtars_action_cleanup(struct xtars_action *action)
{
    if (action == NULL)
        return;
    free(action->text);
    memset(action, 0, sizeof *action);
}

xtars_err xtars_action_copy(struct xtars_action *dst, const struct xtars_action *src)
{
    *dst = *src;
    if (src->text == NULL)
        return XTARS_OK;
    dst->text = strdup(src->text);
    if (dst->text == NULL) {
        memset(dst, 0, sizeof *dst);
        return XTARS_ENOMEM;
    }
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
    switch (direction) {
    case XTARS_SCROLL_UP: return "up";
    case XTARS_SCROLL_DOWN: return "down";
    case XTARS_SCROLL_LEFT: return "left";
    case XTARS_SCROLL_RIGHT: return "right";
    }
    return "?";
}
