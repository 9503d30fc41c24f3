/* fuzz_policy.c: libFuzzer target for policy files (xtars_policy_parse). A
 * policy that loads is checked against a few fixed actions of every kind
 * (the regular expressions and regions run on them); errors must be one
 * "policy: " line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reply/policy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_all(const struct xtars_policy *policy)
{
    static char text[] = "sudo rm -rf / ; echo sk-abcdefghijklmnopqrstuvwxyz";
    static char key_ctrl[] = "ctrl", key_alt[] = "alt", key_del[] = "delete";
    const struct xtars_rect bounds = {100, 100, 800, 600};
    char reason[200];

    for (int type = 0; type < XTARS_ACTION_TYPE_COUNT; type++) {
        struct xtars_action a;
        memset(&a, 0, sizeof a);
        a.type = (enum xtars_action_type)type;
        a.has_point = 1, a.x = 50, a.y = 700;
        a.has_end = 1, a.x2 = 500, a.y2 = 300;
        a.text = text;
        snprintf(a.keys[0], sizeof a.keys[0], "%s", key_ctrl);
        snprintf(a.keys[1], sizeof a.keys[1], "%s", key_alt);
        snprintf(a.keys[2], sizeof a.keys[2], "%s", key_del);
        a.key_count = 3;
        if ((unsigned)xtars_policy_check(policy, &a, type % 2 ? &bounds : NULL, reason,
                                         sizeof reason) > XTARS_POLICY_DENY)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_policy *policy = NULL;
    char err[XTARS_ERRLEN];

    if (xtars_policy_parse("fuzz.json", (const char *)data, size, &policy, err) != XTARS_OK) {
        if (policy != NULL || strncmp(err, "policy: ", 8) != 0 || strchr(err, '\n') != NULL) {
            fprintf(stderr, "error is not one 'policy: ' line: %s\n", err);
            abort();
        }
        return 0;
    }
    check_all(policy);
    xtars_policy_free(policy);
    return 0;
}
