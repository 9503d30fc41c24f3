/* guard.h: the stateful action policy as every path that sends input uses
 * it: the agent loop, `xtars mcp`'s input tools and `xtars act`. A guard
 * holds the policy, the state that follows the input stream
 * (agent/reply/policy_state.h) and its own view of the desktop
 * (actions/selection.h: the window input goes to, its WM_CLASS, the
 * selection a paste inserts). Each action is checked right before it is
 * performed (xtars_guard_check) and reported right after
 * (xtars_guard_performed), so a command split over actions, calls or steps
 * is judged as the line it becomes. One guard per input stream: an agent, an
 * MCP session, one `xtars act` call.
 *
 * Ownership: xtars_guard_init() / xtars_guard_cleanup() (accepts a guard
 * that was only initialised). The guard owns its policy, state and desktop
 * connection; bounds and the confirm callback's data are borrowed. One thread
 * at a time (the desktop connection's rule).
 */
#ifndef XTARS_LOOP_GUARD_H
#define XTARS_LOOP_GUARD_H

#include <stddef.h>

#include "actions/selection.h"
#include "agent/config/config_internal.h"
#include "agent/reply/policy.h"
#include "agent/reply/policy_state.h"

struct xtars_guard {
    struct xtars_policy *policy;
    struct xtars_policy_state *state;
    struct xtars_xdesk *desk;       /* NULL: no display; windows unknown, selections unreadable */
    const struct xtars_rect *bounds;/* what actions may touch (borrowed); NULL: no bound */
    int pressed;                    /* the last action pressed a button: focus may be moving */
    int dry;                        /* a dry run: nothing is sent, so without a display there is
                                       no selection a paste could insert (read as empty) */
    int borrowed;                   /* policy and state belong to another guard (share) */
    /* Asked when the policy wants a person's yes; nonzero allows. NULL refuses. */
    int (*confirm)(const struct xtars_action *action, const char *reason, void *data);
    void *confirm_data;
};

void xtars_guard_init(struct xtars_guard *g);

/* The policy of cfg's `policy` and `policy_mode` settings, with a fresh
 * state. ECONFIG (a policy file that cannot be loaded), ENOMEM. */
xtars_err xtars_guard_open_policy(struct xtars_guard *g, const struct xtars_config *cfg,
                                  char err[static XTARS_ERRLEN]);

/* The guard's own connection to display (NULL or "": $DISPLAY). EDISPLAY. */
xtars_err xtars_guard_open_desk(struct xtars_guard *g, const char *display,
                                char err[static XTARS_ERRLEN]);

void xtars_guard_cleanup(struct xtars_guard *g);

/* Makes g judge with the policy and the state of `with`, dropping its own:
 * one input stream fed through two guards (an `xtars mcp` session's input
 * tools, then the agent its run_task starts, which must not see a fresh
 * line where the session typed half a command). Borrowed: `with` outlives
 * g's checks, on the same thread. */
void xtars_guard_share(struct xtars_guard *g, struct xtars_guard *with);

/* The guard an agent checks its actions with (agent.c), for sharing. */
struct xtars_agent;
struct xtars_guard *xtars_agent_guard(struct xtars_agent *a);

/* The verdict on x, about to be performed: learns the window from the
 * desktop (a window that cannot be learnt is logged and taken as unknown),
 * asks g->confirm on CONFIRM. ALLOW: the state assumes x is performed;
 * otherwise the reason, one line, is in reason and nothing changed. */
enum xtars_policy_effect xtars_guard_check(struct xtars_guard *g, const struct xtars_action *x,
                                           char *reason, size_t reason_size);

/* After an allowed action: ok 0 when the executor failed (and released
 * every key and button it held). */
void xtars_guard_performed(struct xtars_guard *g, const struct xtars_action *x, int ok);

#endif
