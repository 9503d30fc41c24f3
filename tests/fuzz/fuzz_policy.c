/* fuzz_policy.c: libFuzzer target for policy files (xtars_policy_parse) and
 * the shell analyser behind command rules. A policy that loads is checked
 * against a few fixed actions of every kind (the regular expressions and
 * regions run on them); errors must be one "policy: " line. Every input is
 * also typed text: analysed by xtars_shell_parse (every command walked and
 * matched) and checked against the default policy; and a stream of actions
 * (chunks separated by 0x01; a chunk's first byte picks the action, window
 * and terminal-ness, the rest is its text or the selection) fed to one
 * stateful policy in strict and default mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reply/policy.h"
#include "agent/reply/policy_state.h"
#include "agent/reply/shell.h"

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

/* The input as a typed line: the analysis must hold together (every string
 * readable, counts sane) and the default policy must decide. */
static void check_typed(const unsigned char *data, size_t size)
{
    static struct xtars_policy *defaults;
    struct xtars_shell_line *line;
    struct xtars_action a;
    char err[XTARS_ERRLEN], reason[200], *text;

    if (xtars_shell_parse((const char *)data, size, &line, err) != XTARS_OK)
        abort();
    for (int i = 0; i < line->count; i++) {
        const struct xtars_shell_command *c = &line->commands[i];
        size_t total = strlen(c->name) + strlen(c->via);
        if (c->arg_count < 0 || c->redirect_count < 0)
            abort();
        for (int k = 0; k < c->arg_count; k++)
            total += strlen(c->args[k].text);
        for (int k = 0; k < c->redirect_count; k++)
            total += strlen(c->redirects[k].text);
        (void)total;
        (void)(xtars_shell_name_matches(c, "rm|mkfs*") + xtars_shell_has_option(c, "r|force") +
               xtars_shell_has_arg(c, "/|/etc/*") + xtars_shell_has_redirect(c, "/dev/sd*") +
               xtars_shell_runs_via(c, "sudo") + xtars_shell_is_generated(c));
    }
    xtars_shell_line_free(line);
    if (defaults == NULL && xtars_policy_new_default(&defaults, err) != XTARS_OK)
        abort();
    if ((text = malloc(size + 1)) == NULL)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_TYPE;
    a.text = text;
    if ((unsigned)xtars_policy_check(defaults, &a, NULL, reason, sizeof reason) > XTARS_POLICY_DENY)
        abort();
    free(text);
}

static const char *selection_now;

static xtars_err read_selection(void *data, enum xtars_policy_selection which, char **text,
                                char *err)
{
    (void)data;
    if (which == XTARS_POLICY_PRIMARY && selection_now[0] == 'x')
        return xtars_error(err, XTARS_ETIMEOUT, "no answer");
    *text = strdup(selection_now);
    return *text ? XTARS_OK : XTARS_ENOMEM;
}

static void check_stream(const unsigned char *data, size_t size, enum xtars_policy_mode mode)
{
    static const char *const keys[] = {"enter", "backspace", "ctrl", "shift", "alt", "v", "u",
                                       "y", "w", "k", "c", "left", "home", "end", "tab", "up",
                                       "insert", "delete", "m", "r", "-", "space", "esc", "a"};
    static struct xtars_policy *defaults;
    struct xtars_policy_state *state;
    char err[XTARS_ERRLEN], reason[200], *copy;
    size_t start = 0;

    if (defaults == NULL && xtars_policy_new_default(&defaults, err) != XTARS_OK)
        abort();
    if (xtars_policy_state_new(defaults, mode, &state, err) != XTARS_OK)
        abort();
    if ((copy = malloc(size + 1)) == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    while (start < size) {
        size_t end = start;
        unsigned char pick;
        struct xtars_action a;
        struct xtars_policy_input in;
        while (end < size && copy[end] != 0x01)
            end++;
        copy[end] = '\0';
        pick = (unsigned char)copy[start];
        memset(&a, 0, sizeof a);
        memset(&in, 0, sizeof in);
        in.window = pick >> 6;
        in.wm_class = pick & 0x20 ? "XTerm" : "Gedit";
        in.read_selection = read_selection;
        selection_now = copy + start + 1;
        a.text = copy + start + 1;
        a.has_point = 1;
        switch (pick % 8) {
        case 0: a.type = XTARS_ACTION_TYPE; break;
        case 1: case 2: case 3:
            a.type = pick % 8 == 1 ? XTARS_ACTION_HOTKEY : pick % 8 == 2 ? XTARS_ACTION_KEY_DOWN
                                                                         : XTARS_ACTION_KEY_UP;
            for (size_t i = start + 1; i < end && a.key_count < 3; i++)
                snprintf(a.keys[a.key_count++], sizeof a.keys[0], "%s",
                         keys[(unsigned char)copy[i] % (sizeof keys / sizeof keys[0])]);
            a.text = NULL;
            break;
        case 4: a.type = XTARS_ACTION_CLICK; break;
        case 5: a.type = XTARS_ACTION_MIDDLE_CLICK; break;
        case 6: a.type = XTARS_ACTION_MOUSE_DOWN, a.button = XTARS_BUTTON_MIDDLE; break;
        default: xtars_policy_state_released(state); a.type = XTARS_ACTION_WAIT; break;
        }
        if ((unsigned)xtars_policy_state_check(state, &a, &in, reason, sizeof reason) >
            XTARS_POLICY_DENY)
            abort();
        start = end + 1;
    }
    free(copy);
    xtars_policy_state_free(state);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_policy *policy = NULL;
    char err[XTARS_ERRLEN];

    check_typed(data, size);
    check_stream(data, size, size % 2 ? XTARS_POLICY_MODE_STRICT : XTARS_POLICY_MODE_DEFAULT);

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
