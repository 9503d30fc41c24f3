/* guard.c: the policy call of everything that sends input (the loop, the
 * MCP input tools, `xtars act`). Before each action it learns from the
 * desktop what the stateful policy needs (the window the input goes to, its
 * WM_CLASS, the selection a paste would insert: actions/selection.c) and
 * asks agent/reply/policy_state.c; after it, it tells the state what the
 * executor did. Decides nothing itself and never sends input. */
#include <string.h>

#include "agent/loop/guard.h"
#include "xtars/exec.h"
#include "xtars/log.h"

#define SELECTION_TIMEOUT_MS 1000
#define SELECTION_MAX_BYTES (64 * 1024) /* the policy's line limit */

void xtars_guard_init(struct xtars_guard *g)
{
    memset(g, 0, sizeof *g);
}

xtars_err xtars_guard_open_policy(struct xtars_guard *g, const struct xtars_config *cfg,
                                  char err[static XTARS_ERRLEN])
{
    xtars_err rc = xtars_policy_from_setting(cfg->policy, &g->policy, err);

    if (rc == XTARS_OK)
        rc = xtars_policy_state_new(g->policy, (enum xtars_policy_mode)cfg->policy_mode,
                                    &g->state, err);
    return rc;
}

xtars_err xtars_guard_open_desk(struct xtars_guard *g, const char *display,
                                char err[static XTARS_ERRLEN])
{
    return xtars_xdesk_open(display, &g->desk, err);
}

/* Frees the policy and state unless they are another guard's. */
static void drop_policy(struct xtars_guard *g)
{
    if (!g->borrowed) {
        xtars_policy_state_free(g->state);
        xtars_policy_free(g->policy);
    }
}

void xtars_guard_cleanup(struct xtars_guard *g)
{
    drop_policy(g);
    xtars_xdesk_close(g->desk);
    xtars_guard_init(g);
}

void xtars_guard_share(struct xtars_guard *g, struct xtars_guard *with)
{
    drop_policy(g);
    g->policy = with->policy;
    g->state = with->state;
    g->borrowed = 1;
}

static xtars_err read_selection(void *data, enum xtars_policy_selection which, char **text,
                                char *err)
{
    struct xtars_guard *g = data;

    *text = NULL;
    if (g->desk == NULL && g->dry)
        return XTARS_OK;
    if (g->desk == NULL)
        return xtars_error(err, XTARS_ENOTSUP, "no X connection to read the selection");
    return xtars_xdesk_selection(g->desk, which == XTARS_POLICY_PRIMARY ? XTARS_XSEL_PRIMARY
                                                                         : XTARS_XSEL_CLIPBOARD,
                                 SELECTION_TIMEOUT_MS, SELECTION_MAX_BYTES, text, err);
}

/* Pointer actions land in the window under their point; keys go to the focus. */
static int aims_at_point(const struct xtars_action *x)
{
    return x->type == XTARS_ACTION_CLICK || x->type == XTARS_ACTION_DOUBLE_CLICK ||
           x->type == XTARS_ACTION_RIGHT_CLICK || x->type == XTARS_ACTION_MIDDLE_CLICK ||
           x->type == XTARS_ACTION_DRAG || x->type == XTARS_ACTION_MOUSE_DOWN ||
           x->type == XTARS_ACTION_MOUSE_UP;
}

enum xtars_policy_effect xtars_guard_check(struct xtars_guard *g, const struct xtars_action *x,
                                           char *reason, size_t reason_size)
{
    struct xtars_policy_input in;
    struct xtars_xwindow win;
    char err[XTARS_ERRLEN];
    xtars_err rc = XTARS_OK;

    memset(&win, 0, sizeof win);
    if (g->desk && aims_at_point(x))
        rc = xtars_xdesk_window_at(g->desk, x->has_point, x->x, x->y, &win, err);
    else if (g->desk) /* after a click a window manager may still be moving the focus */
        rc = xtars_xdesk_focus(g->desk, g->pressed ? XTARS_EXEC_FOCUS_WAIT_MS : 0, &win, err);
    if (rc != XTARS_OK) { /* a server that went away fails the action itself: no warning */
        if (rc != XTARS_EDISPLAY)
            xtars_log(XTARS_LOG_WARN, "policy: %s; the window is unknown for this check", err);
        memset(&win, 0, sizeof win);
    }
    memset(&in, 0, sizeof in);
    in.window = win.window;
    in.wm_instance = win.instance;
    in.wm_class = win.class_name;
    in.bounds = g->bounds;
    in.read_selection = read_selection;
    in.read_data = g;
    in.confirm = g->confirm;
    in.confirm_data = g->confirm_data;
    return xtars_policy_state_check(g->state, x, &in, reason, reason_size);
}

void xtars_guard_performed(struct xtars_guard *g, const struct xtars_action *x, int ok)
{
    if (!ok) /* the executor released every key and button it held */
        xtars_policy_state_released(g->state);
    g->pressed = ok && aims_at_point(x) && x->type != XTARS_ACTION_MOUSE_UP;
}
