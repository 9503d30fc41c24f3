/* policy_state.h: the stateful action policy. xtars_policy_check() judges
 * one action; a model can split a command over several (type('rm -') then
 * type('rf x\n'), keys one by one, key_down(ctrl) before hotkey(v)). The
 * state follows the input stream the way the receiving window would: per
 * focused window, the line being composed since the last Enter (as a small
 * set of possible lines when an event's effect depends on the application:
 * a click, a paste key, Tab completion), the keys held by key_down, and
 * checks the whole line before the key or paste that would submit it, and
 * every key combination with the modifiers already held (docs/policy.md).
 *
 * The loop owns one state per agent and calls xtars_policy_state_check()
 * once per action, before executing it; everything the state needs from the
 * desktop (focused window, WM_CLASS, selection text) comes in through
 * struct xtars_policy_input, so this layer never talks to X.
 *
 * Ownership: _new returns a state freed by xtars_policy_state_free()
 * (accepts NULL). The policy is borrowed and must outlive the state.
 */
#ifndef XTARS_POLICY_STATE_H
#define XTARS_POLICY_STATE_H

#include <stddef.h>

#include "agent/reply/policy.h"

enum xtars_policy_mode {
    XTARS_POLICY_MODE_DEFAULT = 0,
    XTARS_POLICY_MODE_STRICT = 1   /* also confirm every Enter or paste into a terminal */
};

enum xtars_policy_selection { XTARS_POLICY_CLIPBOARD = 0, XTARS_POLICY_PRIMARY = 1 };

/* What the loop knows right before an action. Every member may be zero. */
struct xtars_policy_input {
    unsigned long window;          /* opaque id of the focused top-level window; 0: unknown */
    const char *wm_instance;       /* its WM_CLASS (NULL or "": unknown) */
    const char *wm_class;
    const struct xtars_rect *bounds;
    /* The text a paste from `which` would insert (malloc'd into *text, "" for
     * nothing). Called only for paste keys and middle clicks, at most once per
     * selection and action. NULL, or an error: the paste needs confirmation. */
    xtars_err (*read_selection)(void *data, enum xtars_policy_selection which, char **text,
                                char *err);
    void *read_data;
    /* Asked when the verdict is CONFIRM: nonzero allows. NULL: refuse. */
    int (*confirm)(const struct xtars_action *action, const char *reason, void *data);
    void *confirm_data;
};

struct xtars_policy_state;

/* ENOMEM. */
xtars_err xtars_policy_state_new(const struct xtars_policy *policy, enum xtars_policy_mode mode,
                                 struct xtars_policy_state **out, char *err);
void xtars_policy_state_free(struct xtars_policy_state *state);

/* Decides for one action the loop is about to execute: the action alone
 * (xtars_policy_check), every key combination it makes with the keys held,
 * and every line it would submit, in every window state it may leave. On
 * CONFIRM, input->confirm is asked. Returns ALLOW (the state now assumes the
 * action was performed), or CONFIRM / DENY with the reason, one line, in
 * reason (the state is unchanged: the action must not be performed). Out of
 * memory denies. */
enum xtars_policy_effect xtars_policy_state_check(struct xtars_policy_state *state,
                                                  const struct xtars_action *action,
                                                  const struct xtars_policy_input *input,
                                                  char *reason, size_t reason_size);

/* The executor failed and released every key it held (xtars_exec_perform's
 * contract): forget the held keys. The lines are kept. */
void xtars_policy_state_released(struct xtars_policy_state *state);

/* Whether WM_CLASS names a terminal emulator (xterm, XTerm, gnome-terminal,
 * konsole, alacritty, kitty, urxvt, st, foot, wezterm, ...). */
int xtars_policy_is_terminal(const char *wm_instance, const char *wm_class);

/* "default" / "strict" and back (EINVAL). */
const char *xtars_policy_mode_name(enum xtars_policy_mode mode);

#endif
