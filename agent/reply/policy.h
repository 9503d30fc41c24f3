/* xtars/policy.h: the action policy: rules that allow, deny, or require
 * confirmation for actions before they are executed (docs/policy.md).
 *
 * Rules are checked in file order and the first rule that matches decides;
 * no match allows. Within a rule every condition given must hold. A policy
 * that cannot be loaded is an error, never "no policy": the run does not
 * start. Ownership: _new/_load return a policy freed by xtars_policy_free()
 * (accepts NULL).
 */
#ifndef XTARS_POLICY_H
#define XTARS_POLICY_H

#include <stddef.h>

#include "xtars/action.h"
#include "xtars/coords.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xtars_policy_effect {
    XTARS_POLICY_ALLOW = 0,
    XTARS_POLICY_CONFIRM = 1,  /* ask a human; deny when there is no terminal */
    XTARS_POLICY_DENY = 2
};

struct xtars_policy;

/* The policy that ships: confirmation for destructive shell commands typed,
 * in any spelling a shell accepts (recursive forced rm, find -delete, shred,
 * wipefs, mkfs, dd of=, writes to block devices, recursive chmod/chown of
 * system paths, code piped or substituted into a shell, sudo/su/pkexec/doas,
 * fork bombs, commands whose name is computed), for text that looks like a
 * secret, and for ctrl+alt+delete / ctrl+alt+backspace (docs/policy.md). */
xtars_err xtars_policy_new_default(struct xtars_policy **out, char *err);

/* An empty policy that allows everything (config policy "none"). */
xtars_err xtars_policy_new_empty(struct xtars_policy **out, char *err);

/* Loads a policy file. ECONFIG naming the file, the rule and the key for bad
 * rules (unknown keys, bad regular expressions, unknown key names). */
xtars_err xtars_policy_load(const char *path, struct xtars_policy **out, char *err);
xtars_err xtars_policy_parse(const char *name, const char *text, size_t len,
                             struct xtars_policy **out, char *err);

/* The policy a config's `policy` setting names: "" the default policy,
 * "none" the empty one, anything else a file for xtars_policy_load(). The
 * one reading of that setting, for the agent and xtars mcp alike. */
xtars_err xtars_policy_from_setting(const char *setting, struct xtars_policy **out, char *err);

void xtars_policy_free(struct xtars_policy *policy);

/* Number of rules (for logs and tests). */
int xtars_policy_rule_count(const struct xtars_policy *policy);

/* Decides for one action. bounds is the rectangle the run is bound to (NULL:
 * no bound). On CONFIRM or DENY, reason (reason_size bytes) receives the
 * rule's reason, one line. Command rules analyse action->text as one shell
 * line (agent/reply/shell.h), so a whole composed line can be checked by
 * passing it as the text of a type action. Text that cannot be analysed
 * (out of memory) is denied. */
enum xtars_policy_effect xtars_policy_check(const struct xtars_policy *policy,
                                            const struct xtars_action *action,
                                            const struct xtars_rect *bounds, char *reason,
                                            size_t reason_size);

const char *xtars_policy_effect_name(enum xtars_policy_effect effect);

#ifdef __cplusplus
}
#endif
#endif
