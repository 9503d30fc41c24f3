/* The action performer through the dry-run executor: which events each action
 * becomes, in which order, with which pauses; validation; releasing what is
 * held on error, stop and free; and the key-name table. Expected logs are
 * written from docs/actions.md by hand. */
#include <stdlib.h>

#include "agent/config/config_internal.h"
#include "actions/keysym.h"
#include "test.h"
#include "xtars/exec.h"

static struct xtars_executor *ex;
static struct xtars_exec_result result;
static char err[XTARS_ERRLEN];
static atomic_int stop_flag;
static size_t log_seen;

/* Delays chosen so every pause shows in the log with a distinct value. */
static void open_dry(int clear_modifiers, struct xtars_rect bounds)
{
    struct xtars_exec_options opts = {0};

    opts.click_delay_ms = 30;
    opts.key_delay_ms = 0;
    opts.action_delay_ms = 0;
    opts.scroll_amount = 5;
    opts.wait_ms = 5000;
    opts.double_click_ms = 20;
    opts.clear_modifiers = clear_modifiers;
    opts.bounds = bounds;
    opts.stop = &stop_flag;
    xtars_exec_free(ex);
    ASSERT_EQ(xtars_exec_new_dry(&opts, &ex, err), XTARS_OK);
    ASSERT_STR_EQ(xtars_exec_kind(ex), "dry");
    log_seen = 0;
}

static void open_default(void) { open_dry(0, (struct xtars_rect){0, 0, 1920, 1080}); }

/* The log lines added since the last call. */
static const char *new_log(void)
{
    const char *log = xtars_exec_dry_log(ex);
    const char *fresh = log + log_seen;

    log_seen = strlen(log);
    return fresh;
}

static struct xtars_action at(enum xtars_action_type type, int x, int y)
{
    struct xtars_action a;

    memset(&a, 0, sizeof a);
    a.type = type;
    a.has_point = 1;
    a.x = x;
    a.y = y;
    return a;
}

static struct xtars_action keys(enum xtars_action_type type, const char *list)
{
    struct xtars_action a;
    char copy[128], *save = NULL;

    memset(&a, 0, sizeof a);
    a.type = type;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save))
        snprintf(a.keys[a.key_count++], XTARS_KEY_NAME_LEN, "%s", k);
    return a;
}

static xtars_err run(const struct xtars_action *a) { return xtars_exec_perform(ex, a, &result, err); }

static xtars_err type(const char *text)
{
    struct xtars_action a = {.type = XTARS_ACTION_TYPE};
    xtars_err rc;

    a.text = strdup(text);
    rc = run(&a);
    xtars_action_cleanup(&a);
    return rc;
}

TEST(click_moves_pauses_then_presses)
{
    struct xtars_action a = at(XTARS_ACTION_CLICK, 100, 200);

    open_default();
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 100 200\npause 30\nbutton 1 down\nbutton 1 up\n");
    ASSERT_STR_EQ(result.description, "click left at (100,200)");
    ASSERT_EQ(result.ends_run, 0);
    a.type = XTARS_ACTION_RIGHT_CLICK;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 100 200\npause 30\nbutton 3 down\nbutton 3 up\n");
    a.type = XTARS_ACTION_MIDDLE_CLICK;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 100 200\npause 30\nbutton 2 down\nbutton 2 up\n");
    a.type = XTARS_ACTION_HOVER;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 100 200\n");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(double_click_pauses_between_clicks)
{
    struct xtars_action a = at(XTARS_ACTION_DOUBLE_CLICK, 5, 6);

    open_default();
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 5 6\npause 30\nbutton 1 down\nbutton 1 up\npause 20\n"
                             "button 1 down\nbutton 1 up\n");
    ASSERT_STR_EQ(result.description, "double click left at (5,6)");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(drag_moves_in_ten_steps_between_press_and_release)
{
    struct xtars_action a = at(XTARS_ACTION_DRAG, 100, 100);

    a.has_end = 1;
    a.x2 = 200;
    a.y2 = 150;
    open_default();
    ASSERT_EQ(run(&a), XTARS_OK);
    /* step i of 10 is start + (end - start) * i / 10, truncated */
    ASSERT_STR_EQ(new_log(), "move 100 100\npause 30\nbutton 1 down\n"
                             "move 110 105\npause 5\nmove 120 110\npause 5\n"
                             "move 130 115\npause 5\nmove 140 120\npause 5\n"
                             "move 150 125\npause 5\nmove 160 130\npause 5\n"
                             "move 170 135\npause 5\nmove 180 140\npause 5\n"
                             "move 190 145\npause 5\nmove 200 150\npause 5\n"
                             "pause 30\nbutton 1 up\n");
    ASSERT_STR_EQ(result.description, "drag from (100,100) to (200,150)");
    a.has_end = 0;
    ASSERT_EQ(run(&a), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: drag needs an end point");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(scroll_directions_and_amounts)
{
    struct xtars_action a = at(XTARS_ACTION_SCROLL, 10, 20);

    open_default();
    a.direction = XTARS_SCROLL_LEFT;
    a.amount = 2;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 10 20\npause 30\nbutton 6 down\nbutton 6 up\n"
                             "button 6 down\nbutton 6 up\n");
    ASSERT_STR_EQ(result.description, "scroll left 2 notches at (10,20)");
    a.direction = XTARS_SCROLL_RIGHT;
    a.amount = 1;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 10 20\npause 30\nbutton 7 down\nbutton 7 up\n");
    a.direction = XTARS_SCROLL_UP;
    a.has_point = 0; /* where the pointer is; amount 0 = the configured 5 */
    a.amount = 0;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "button 4 down\nbutton 4 up\nbutton 4 down\nbutton 4 up\n"
                             "button 4 down\nbutton 4 up\nbutton 4 down\nbutton 4 up\n"
                             "button 4 down\nbutton 4 up\n");
    ASSERT_STR_EQ(result.description, "scroll up 5 notches");
    a.direction = XTARS_SCROLL_DOWN;
    a.amount = 1;
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "button 5 down\nbutton 5 up\n");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(hotkey_presses_in_order_releases_in_reverse)
{
    struct xtars_action a = keys(XTARS_ACTION_HOTKEY, "ctrl shift t");

    open_default();
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "key ctrl down\nkey shift down\nkey t down\n"
                             "key t up\nkey shift up\nkey ctrl up\n");
    ASSERT_STR_EQ(result.description, "hotkey ctrl+shift+t");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(key_down_holds_across_actions_and_hotkey_keeps_it)
{
    struct xtars_action down = keys(XTARS_ACTION_KEY_DOWN, "shift alt");
    struct xtars_action hotkey = keys(XTARS_ACTION_HOTKEY, "shift f5");
    struct xtars_action up = keys(XTARS_ACTION_KEY_UP, "shift alt");
    struct xtars_action click = at(XTARS_ACTION_CLICK, 1, 2);

    open_default();
    ASSERT_EQ(run(&down), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "key shift down\nkey alt down\n");
    ASSERT_EQ(run(&click), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "move 1 2\npause 30\nbutton 1 down\nbutton 1 up\n");
    ASSERT_EQ(run(&hotkey), XTARS_OK); /* shift is already held: only f5 goes down and up */
    ASSERT_STR_EQ(new_log(), "key f5 down\nkey f5 up\n");
    ASSERT_EQ(run(&up), XTARS_OK); /* released in reverse */
    ASSERT_STR_EQ(new_log(), "key alt up\nkey shift up\n");
    ASSERT_STR_EQ(result.description, "key_up alt shift");
    xtars_exec_free(ex);
    ASSERT(1); /* nothing held: free logs nothing (checked in the next test) */
    ex = NULL;
}

TEST(free_and_release_all_release_what_is_held)
{
    struct xtars_action down = keys(XTARS_ACTION_KEY_DOWN, "ctrl");
    struct xtars_action mouse = at(XTARS_ACTION_MOUSE_DOWN, 3, 4);

    open_default();
    mouse.button = XTARS_BUTTON_RIGHT;
    ASSERT_EQ(run(&down), XTARS_OK);
    ASSERT_EQ(run(&mouse), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "key ctrl down\nmove 3 4\npause 30\nbutton 3 down\n");
    ASSERT_STR_EQ(result.description, "mouse_down right at (3,4)");
    xtars_exec_release_all(ex);
    ASSERT_STR_EQ(new_log(), "key ctrl up\nbutton 3 up\n");
    xtars_exec_release_all(ex); /* nothing left */
    ASSERT_STR_EQ(new_log(), "");
    mouse.type = XTARS_ACTION_MOUSE_UP;
    mouse.has_point = 0;
    ASSERT_EQ(run(&mouse), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "button 3 up\n");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(type_splits_lines_into_enter_presses)
{
    open_default();
    ASSERT_EQ(type("héllo 你好\n"), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "type \"héllo 你好\"\nkey enter down\nkey enter up\n");
    ASSERT_STR_EQ(result.description, "type 8 characters and 1 enter");
    ASSERT_EQ(type("a\r\nb\n\nc"), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "type \"a\"\nkey enter down\nkey enter up\ntype \"b\"\n"
                             "key enter down\nkey enter up\nkey enter down\nkey enter up\n"
                             "type \"c\"\n");
    ASSERT_EQ(type("tab\there \"quoted\""), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "type \"tab\\there \\\"quoted\\\"\"\n");
    ASSERT_EQ(type(""), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "");
    ASSERT_STR_EQ(result.description, "type 0 characters");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(type_rejects_invalid_utf8_and_control_characters)
{
    open_default();
    ASSERT_EQ(type("ok\xc3("), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: type: invalid UTF-8 at byte 2");
    ASSERT_EQ(type("\xed\xa0\x80"), XTARS_EINVAL); /* a UTF-16 surrogate */
    ASSERT_EQ(type("\xc0\xaf"), XTARS_EINVAL);     /* overlong '/' */
    ASSERT_EQ(type("bell\a"), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: type: cannot type control character U+0007 at byte 4");
    ASSERT_STR_EQ(new_log(), "");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(points_outside_the_bounds_are_rejected_before_any_event)
{
    struct xtars_action a = at(XTARS_ACTION_CLICK, 100, 50);

    open_dry(0, (struct xtars_rect){100, 50, 300, 200});
    ASSERT_EQ(run(&a), XTARS_OK);
    a.x = 399; /* last column inside */
    a.y = 249;
    ASSERT_EQ(run(&a), XTARS_OK);
    new_log();
    a.x = 400;
    ASSERT_EQ(run(&a), XTARS_ERANGE);
    ASSERT_STR_EQ(err, "exec: point (400,249) is outside the target 300x200+100+50");
    a.x = 99;
    ASSERT_EQ(run(&a), XTARS_ERANGE);
    a.x = -1;
    ASSERT_EQ(run(&a), XTARS_ERANGE);
    ASSERT_STR_EQ(err, "exec: point (-1,249) is off the screen");
    ASSERT_STR_EQ(new_log(), "");
    ASSERT_STR_EQ(result.description, "click rejected");
    a.has_point = 0;
    ASSERT_EQ(run(&a), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: click needs a point");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(unbounded_dry_run_accepts_any_non_negative_point)
{
    struct xtars_action a = at(XTARS_ACTION_HOVER, 100000, 5);

    open_dry(0, (struct xtars_rect){0, 0, 0, 0});
    ASSERT_EQ(run(&a), XTARS_OK);
    ASSERT_EQ(xtars_exec_target(ex).width, 0);
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(unknown_key_fails_and_releases_earlier_holds)
{
    struct xtars_action down = keys(XTARS_ACTION_KEY_DOWN, "ctrl");
    struct xtars_action bad = keys(XTARS_ACTION_HOTKEY, "alt xyz");

    open_default();
    ASSERT_EQ(run(&down), XTARS_OK);
    new_log();
    ASSERT_EQ(run(&bad), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: unknown key 'xyz'"); /* nothing close: no hint */
    /* nothing of the hotkey was pressed; the held ctrl is released */
    ASSERT_STR_EQ(new_log(), "key ctrl up\n");
    bad.key_count = 0;
    ASSERT_EQ(run(&bad), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: hotkey needs 1 to 8 keys, got 0");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(stop_flag_aborts_and_releases)
{
    struct xtars_action down = keys(XTARS_ACTION_KEY_DOWN, "shift");
    struct xtars_action click = at(XTARS_ACTION_CLICK, 1, 1);
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT};

    open_default();
    ASSERT_EQ(run(&down), XTARS_OK);
    new_log();
    stop_flag = 1;
    ASSERT_EQ(run(&click), XTARS_ESTOPPED);
    ASSERT_STR_EQ(err, "exec: stopped by request");
    ASSERT_STR_EQ(new_log(), "key shift up\n");
    ASSERT_EQ(run(&wait), XTARS_ESTOPPED);
    stop_flag = 0;
    ASSERT_EQ(run(&click), XTARS_OK);
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(wait_finished_call_user)
{
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT};
    struct xtars_action finished = {.type = XTARS_ACTION_FINISHED};
    struct xtars_action call_user = {.type = XTARS_ACTION_CALL_USER};

    open_default();
    ASSERT_EQ(run(&wait), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "pause 5000\n"); /* the configured wait_ms, logged not slept */
    ASSERT_STR_EQ(result.description, "wait 5000 ms");
    wait.ms = 1500;
    ASSERT_EQ(run(&wait), XTARS_OK);
    ASSERT_STR_EQ(new_log(), "pause 1500\n");
    ASSERT_EQ(run(&finished), XTARS_OK);
    ASSERT_EQ(result.ends_run, 1);
    ASSERT_STR_EQ(result.description, "finished");
    ASSERT_EQ(run(&call_user), XTARS_OK);
    ASSERT_EQ(result.ends_run, 1);
    ASSERT_STR_EQ(new_log(), "");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(clear_modifiers_and_action_delay_show_in_the_log)
{
    struct xtars_exec_options opts = {0};
    struct xtars_action click = at(XTARS_ACTION_CLICK, 7, 8);
    struct xtars_action hover = at(XTARS_ACTION_HOVER, 7, 8);

    opts.clear_modifiers = 1;
    opts.action_delay_ms = 250;
    opts.scroll_amount = 5;
    ASSERT_EQ(xtars_exec_new_dry(&opts, &ex, err), XTARS_OK);
    ASSERT_EQ(run(&click), XTARS_OK);
    ASSERT_STR_EQ(xtars_exec_dry_log(ex),
                  "clear_modifiers\nmove 7 8\nbutton 1 down\nbutton 1 up\npause 250\n");
    ASSERT_EQ(run(&hover), XTARS_OK); /* hover keeps modifiers: shift+hover is a thing */
    ASSERT_STR_EQ(xtars_exec_dry_log(ex) + strlen("clear_modifiers\nmove 7 8\nbutton 1 down\n"
                                                  "button 1 up\npause 250\n"),
                  "move 7 8\npause 250\n");
    xtars_exec_free(ex);
    ex = NULL;
}

TEST(bad_options_are_rejected)
{
    struct xtars_exec_options opts = {0};

    opts.click_delay_ms = -1;
    ASSERT_EQ(xtars_exec_new_dry(&opts, &ex, err), XTARS_EINVAL);
    ASSERT(ex == NULL);
    ASSERT_STR_EQ(err, "exec: delays and amounts must not be negative");
    opts.click_delay_ms = 0;
    opts.bounds = (struct xtars_rect){-5, 0, 10, 10};
    ASSERT_EQ(xtars_exec_new_dry(&opts, &ex, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: bounds 10x10+-5+0 are invalid");
    xtars_exec_free(NULL);
    xtars_exec_release_all(NULL);
}

TEST(options_init_sets_the_documented_defaults)
{
    struct xtars_exec_options opts;

    memset(&opts, 0x5a, sizeof opts);
    xtars_exec_options_init(&opts);
    ASSERT(opts.display == NULL); /* $DISPLAY */
    ASSERT_EQ(opts.click_delay_ms, 30);
    ASSERT_EQ(opts.key_delay_ms, 0);
    ASSERT_EQ(opts.action_delay_ms, 0);
    ASSERT_EQ(opts.scroll_amount, 5);
    ASSERT_EQ(opts.wait_ms, 5000);
    ASSERT_EQ(opts.double_click_ms, 20);
    ASSERT_EQ(opts.clear_modifiers, 1);
    ASSERT_EQ(opts.bounds.width, 0);
    ASSERT(opts.stop == NULL);
    ASSERT(opts.note == NULL);
}

/* ---- key names ---- */

TEST(key_names_map_to_x_keysyms)
{
    static const struct {
        const char *name;
        unsigned long keysym; /* values from X11/keysymdef.h */
    } cases[] = {
        {"ctrl", 0xffe3},   {"shift", 0xffe1},    {"alt", 0xffe9},       {"super", 0xffeb},
        {"enter", 0xff0d},  {"esc", 0xff1b},      {"tab", 0xff09},       {"backspace", 0xff08},
        {"delete", 0xffff}, {"space", 0x20},      {"up", 0xff52},        {"down", 0xff54},
        {"left", 0xff51},   {"right", 0xff53},    {"home", 0xff50},      {"end", 0xff57},
        {"pageup", 0xff55}, {"pagedown", 0xff56}, {"insert", 0xff63},    {"capslock", 0xffe5},
        {"printscreen", 0xff61}, {"f1", 0xffbe},  {"f12", 0xffc9},       {"f24", 0xffd5},
        {"a", 0x61},        {"A", 0x61},          {"1", 0x31},           {"+", 0x2b},
        {"é", 0xe9},        {"ß", 0xdf},          {"你", 0x1004f60},      {"😀", 0x101f600},
        /* any X keysym name, as X spells it or differing only in case
         * (X11/keysymdef.h, X11/XF86keysym.h) */
        {"XF86AudioMute", 0x1008ff12}, {"xf86audiomute", 0x1008ff12}, {"Num_Lock", 0xff7f},
        {"num_lock", 0xff7f},          {"Menu", 0xff67},              {"KP_1", 0xffb1},
        {"f25", 0xffd6},               {"F35", 0xffe0},               {"ISO_Level3_Shift", 0xfe03},
        {"Return", 0xff0d},            {"Control_R", 0xffe4},
    };
    unsigned long keysym;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (xtars_exec_key_keysym(cases[i].name, &keysym, err) != XTARS_OK)
            FAIL("key '%s' rejected: %s", cases[i].name, err);
        if (keysym != cases[i].keysym)
            FAIL("key '%s': 0x%lx, expected 0x%lx", cases[i].name, keysym, cases[i].keysym);
    }
}

TEST(other_key_names_are_errors_naming_the_key)
{
    static const char *const bad[] = {"xyz", "f0", "f01", "Ctrl", "control", "ab", "",
                                      "\t", "\x7f", "\xc3", "con-trl", "NoSymbol"};
    unsigned long keysym;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (xtars_exec_key_keysym(bad[i], &keysym, err) != XTARS_EINVAL)
            FAIL("key '%s' accepted as 0x%lx", bad[i], keysym);
    xtars_exec_key_keysym("xyz", &keysym, err);
    ASSERT_STR_EQ(err, "exec: unknown key 'xyz'");
    xtars_exec_key_keysym("contrl", &keysym, err);
    ASSERT_STR_EQ(err, "exec: unknown key 'contrl' (did you mean 'ctrl'?)");
    xtars_exec_key_keysym("Retrun", &keysym, err);
    ASSERT_STR_EQ(err, "exec: unknown key 'Retrun' (did you mean 'Return'?)");
}

TEST(char_keysyms_follow_the_x_conventions)
{
    ASSERT_EQ(xtars_exec_char_keysym('a'), 0x61);
    ASSERT_EQ(xtars_exec_char_keysym(0xa0), 0xa0);   /* no-break space, Latin-1 */
    ASSERT_EQ(xtars_exec_char_keysym(0xff), 0xff);   /* ÿ */
    ASSERT_EQ(xtars_exec_char_keysym(0x100), 0x1000100);
    ASSERT_EQ(xtars_exec_char_keysym(0x20ac), 0x10020ac);
    ASSERT_EQ(xtars_exec_char_keysym('\t'), 0xff09);
    ASSERT_EQ(xtars_exec_char_keysym('\n'), 0xff0d);
    ASSERT_EQ(xtars_exec_char_keysym(0x7f), 0xffff);
    ASSERT_EQ(xtars_exec_char_keysym(0x07), 0);
    ASSERT_EQ(xtars_exec_char_keysym(0x85), 0);      /* C1 control */
    ASSERT_EQ(xtars_exec_char_keysym(0xd800), 0);
    ASSERT_EQ(xtars_exec_char_keysym(0x110000), 0);
}

TEST(utf8_decoding)
{
    unsigned long cp;

    ASSERT_EQ(xtars_utf8_decode("A", 1, &cp), 1);
    ASSERT_EQ(cp, 0x41);
    ASSERT_EQ(xtars_utf8_decode("é", 2, &cp), 2);
    ASSERT_EQ(cp, 0xe9);
    ASSERT_EQ(xtars_utf8_decode("你", 3, &cp), 3);
    ASSERT_EQ(cp, 0x4f60);
    ASSERT_EQ(xtars_utf8_decode("😀", 4, &cp), 4);
    ASSERT_EQ(cp, 0x1f600);
    ASSERT_EQ(xtars_utf8_decode("😀", 3, &cp), 0);       /* truncated */
    ASSERT_EQ(xtars_utf8_decode("\xe0\x80\xaf", 3, &cp), 0); /* overlong */
    ASSERT_EQ(xtars_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* above U+10FFFF */
    ASSERT_EQ(xtars_utf8_decode("\x80", 1, &cp), 0);
    ASSERT_EQ(xtars_utf8_decode("", 0, &cp), 0);
}

TEST(action_helpers)
{
    struct xtars_action a = {.type = XTARS_ACTION_TYPE}, b;
    enum xtars_action_type type;

    a.text = strdup("hello");
    ASSERT_EQ(xtars_action_copy(&b, &a), XTARS_OK);
    ASSERT(b.text != a.text);
    ASSERT_STR_EQ(b.text, "hello");
    xtars_action_cleanup(&a);
    ASSERT(a.text == NULL);
    xtars_action_cleanup(&b);
    xtars_action_cleanup(NULL);
    ASSERT_STR_EQ(xtars_action_type_name(XTARS_ACTION_DOUBLE_CLICK), "double_click");
    ASSERT_STR_EQ(xtars_action_type_name(XTARS_ACTION_CALL_USER), "call_user");
    ASSERT_EQ(xtars_action_type_from_name("key_down", &type), XTARS_OK);
    ASSERT_EQ(type, XTARS_ACTION_KEY_DOWN);
    ASSERT_EQ(xtars_action_type_from_name("clik", &type), XTARS_EINVAL);
    ASSERT_STR_EQ(xtars_scroll_direction_name(XTARS_SCROLL_RIGHT), "right");
}
