/* guard.c: the policy call of the loop. Before each action it learns from
 * the desktop what the stateful policy needs (the window the input goes to,
 * its WM_CLASS, the selection a paste would insert: actions/selection.c) and
 * asks agent/reply/policy_state.c; after it, it tells the state what the
 * executor did. Decides nothing itself and never sends input. */
#include <string.h>

#include "agent/loop/agent_internal.h"
#include "xtars/log.h"

#define SELECTION_TIMEOUT_MS 1000
#define SELECTION_MAX_BYTES (64 * 1024) /* the policy's line limit */

static xtars_err read_selection(void *data, enum xtars_policy_selection which, char **text,
                                char *err)
{
    struct xtars_agent *a = data;

    *text = NULL;
    if (a->desk == NULL)
        return xtars_error(err, XTARS_ENOTSUP, "no X connection to read the selection");
    return xtars_xdesk_selection(a->desk, which == XTARS_POLICY_PRIMARY ? XTARS_XSEL_PRIMARY
                                                                         : XTARS_XSEL_CLIPBOARD,
                                 SELECTION_TIMEOUT_MS, SELECTION_MAX_BYTES, text, err);
}

static int confirm(const struct xtars_action *action, const char *reason, void *data)
{
    struct xtars_agent *a = data;

    return a->opts.confirm && a->opts.confirm(action, reason, a->opts.user);
}

/* Pointer actions land in the window under their point; keys go to the focus. */
static int aims_at_point(const struct xtars_action *x)
{
    return x->type == XTARS_ACTION_CLICK || x->type == XTARS_ACTION_DOUBLE_CLICK ||
           x->type == XTARS_ACTION_RIGHT_CLICK || x->type == XTARS_ACTION_MIDDLE_CLICK ||
           x->type == XTARS_ACTION_DRAG || x->type == XTARS_ACTION_MOUSE_DOWN ||
           x->type == XTARS_ACTION_MOUSE_UP;
}

enum xtars_policy_effect agent_policy_check(struct xtars_agent *a, const struct xtars_action *x,
                                            char *reason, size_t reason_size)
{
    struct xtars_policy_input in;
    struct xtars_xwindow win;
    char err[XTARS_ERRLEN];
    xtars_err rc = XTARS_OK;

    memset(&win, 0, sizeof win);
    if (a->desk && aims_at_point(x))
        rc = xtars_xdesk_window_at(a->desk, x->has_point, x->x, x->y, &win, err);
    else if (a->desk) /* after a click a window manager may still be moving the focus */
        rc = xtars_xdesk_focus(a->desk, a->pressed ? XTARS_EXEC_FOCUS_WAIT_MS : 0, &win, err);
    if (rc != XTARS_OK) { /* a server that went away fails the action itself: no warning */
        if (rc != XTARS_EDISPLAY)
            xtars_log(XTARS_LOG_WARN, "policy: %s; the window is unknown for this check", err);
        memset(&win, 0, sizeof win);
    }
    memset(&in, 0, sizeof in);
    in.window = win.window;
    in.wm_instance = win.instance;
    in.wm_class = win.class_name;
    in.bounds = &a->target;
    in.read_selection = read_selection;
    in.read_data = a;
    in.confirm = confirm;
    in.confirm_data = a;
    return xtars_policy_state_check(a->policy_state, x, &in, reason, reason_size);
}

void agent_policy_performed(struct xtars_agent *a, const struct xtars_action *x, int ok)
{
    if (!ok) /* the executor released every key and button it held */
        xtars_policy_state_released(a->policy_state);
    a->pressed = ok && aims_at_point(x) && x->type != XTARS_ACTION_MOUSE_UP;
}
