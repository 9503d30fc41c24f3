/* The pyautogui subset OSWorld records, translated to xtars actions and
 * written back: every function of the subset with the values worked out from
 * pyautogui's documented behaviour (int() truncation, positive scroll = up,
 * Shift characters), the idioms UI-TARS's OSWorld agent emits, and hostile
 * or out-of-subset code refused with the statement named. */
#include "test.h"
#include "agent/interop/import.h"

static const struct xtars_rect screen = {0, 0, 1920, 1080};

static struct xtars_pyautogui ok(const char *code, struct xtars_pyautogui_state *state)
{
    struct xtars_pyautogui out;
    struct xtars_pyautogui_state fresh = {0};
    char err[XTARS_ERRLEN];

    if (xtars_pyautogui_translate(code, strlen(code), &screen, state ? state : &fresh, &out, err) !=
        XTARS_OK)
        FAIL("translating \"%s\": %s", code, err);
    return out;
}

static void refused(const char *code, const char *message)
{
    struct xtars_pyautogui out;
    struct xtars_pyautogui_state state = {0};
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_pyautogui_translate(code, strlen(code), &screen, &state, &out, err), XTARS_EPARSE);
    ASSERT_EQ(out.action_count, 0);
    ASSERT_STR_CONTAINS(err, message);
}

static void point(const struct xtars_action *a, enum xtars_action_type type, int x, int y)
{
    ASSERT_EQ(a->type, type);
    ASSERT_EQ(a->has_point, 1);
    ASSERT_EQ(a->x, x);
    ASSERT_EQ(a->y, y);
}

TEST(clicks)
{
    struct xtars_pyautogui p = ok("pyautogui.click(960, 540)", NULL);

    ASSERT_EQ(p.action_count, 1);
    point(&p.actions[0], XTARS_ACTION_CLICK, 960, 540);
    ASSERT_NEAR(p.actions[0].model_x, 960, 0);
    p = ok("pyautogui.click(x=10.9, y=20.2)", NULL); /* int() truncates */
    point(&p.actions[0], XTARS_ACTION_CLICK, 10, 20);
    p = ok("pyautogui.click((30, 40))", NULL);
    point(&p.actions[0], XTARS_ACTION_CLICK, 30, 40);
    p = ok("pyautogui.click(100, 200, button='right')", NULL);
    point(&p.actions[0], XTARS_ACTION_RIGHT_CLICK, 100, 200);
    p = ok("pyautogui.click(100, 200, clicks=2)", NULL);
    ASSERT_EQ(p.action_count, 1);
    point(&p.actions[0], XTARS_ACTION_DOUBLE_CLICK, 100, 200);
    p = ok("pyautogui.tripleClick(5, 6)", NULL);
    ASSERT_EQ(p.action_count, 2);
    point(&p.actions[0], XTARS_ACTION_DOUBLE_CLICK, 5, 6);
    point(&p.actions[1], XTARS_ACTION_CLICK, 5, 6);
    p = ok("pyautogui.doubleClick(7, 8)\npyautogui.rightClick(9, 10)\npyautogui.middleClick(11, 12)",
           NULL);
    ASSERT_EQ(p.action_count, 3);
    point(&p.actions[0], XTARS_ACTION_DOUBLE_CLICK, 7, 8);
    point(&p.actions[1], XTARS_ACTION_RIGHT_CLICK, 9, 10);
    point(&p.actions[2], XTARS_ACTION_MIDDLE_CLICK, 11, 12);
    p = ok("pyautogui.click(1, 2, clicks=2, button='middle')", NULL);
    ASSERT_EQ(p.action_count, 2);
    point(&p.actions[1], XTARS_ACTION_MIDDLE_CLICK, 1, 2);
}

TEST(ui_tars_osworld_code_block)
{
    const char *code = "import pyautogui\nimport time\n'''\nObservation:\n\nThought:\nOpen the 'File' "
                       "menu.\n'''\npyautogui.click(960.0, 540.0, button='left')\n\ntime.sleep(3)\n";
    struct xtars_pyautogui p = ok(code, NULL);

    ASSERT_EQ(p.action_count, 2);
    point(&p.actions[0], XTARS_ACTION_CLICK, 960, 540);
    ASSERT_EQ(p.actions[1].type, XTARS_ACTION_WAIT);
    ASSERT_EQ(p.actions[1].ms, 3000);
}

TEST(moves_and_drags_follow_the_pointer)
{
    struct xtars_pyautogui_state state = {0};
    struct xtars_pyautogui p = ok("pyautogui.moveTo(5, 6)\npyautogui.dragTo(50, 60, duration=1.0)", &state);

    ASSERT_EQ(p.action_count, 1); /* the moveTo is the drag's own start */
    point(&p.actions[0], XTARS_ACTION_DRAG, 5, 6);
    ASSERT_EQ(p.actions[0].has_end, 1);
    ASSERT_EQ(p.actions[0].x2, 50);
    ASSERT_EQ(p.actions[0].y2, 60);
    ASSERT_EQ(state.has_pointer, 1);
    ASSERT_EQ(state.x, 50);
    /* Across two action strings (two OSWorld lines). */
    p = ok("pyautogui.dragRel(10, -20)", &state);
    point(&p.actions[0], XTARS_ACTION_DRAG, 50, 60);
    ASSERT_EQ(p.actions[0].x2, 60);
    ASSERT_EQ(p.actions[0].y2, 40);
    p = ok("pyautogui.moveRel(-10, 5)\npyautogui.click()", &state);
    ASSERT_EQ(p.action_count, 2);
    point(&p.actions[0], XTARS_ACTION_HOVER, 50, 45);
    point(&p.actions[1], XTARS_ACTION_CLICK, 50, 45);
    p = ok("pyautogui.moveTo(y=100)", &state);
    point(&p.actions[0], XTARS_ACTION_HOVER, 50, 100);
    /* Another button: press, move, release. */
    p = ok("pyautogui.dragTo(70, 80, button='right')", &state);
    ASSERT_EQ(p.action_count, 3);
    point(&p.actions[0], XTARS_ACTION_MOUSE_DOWN, 50, 100);
    ASSERT_EQ(p.actions[0].button, XTARS_BUTTON_RIGHT);
    point(&p.actions[1], XTARS_ACTION_HOVER, 70, 80);
    ASSERT_EQ(p.actions[2].type, XTARS_ACTION_MOUSE_UP);
    ASSERT_EQ(p.actions[2].button, XTARS_BUTTON_RIGHT);
    p = ok("pyautogui.mouseDown(1, 2, button='left'); pyautogui.mouseUp()", &state);
    point(&p.actions[0], XTARS_ACTION_MOUSE_DOWN, 1, 2);
    ASSERT_EQ(p.actions[1].type, XTARS_ACTION_MOUSE_UP);
    ASSERT_EQ(p.actions[1].has_point, 0);
    ASSERT_EQ(p.actions[1].button, XTARS_BUTTON_LEFT);
}

TEST(unknown_pointer_is_refused)
{
    refused("pyautogui.dragTo(50, 60)", "pyautogui.dragTo(): the drag starts where the pointer is, and its "
            "position is not known");
    refused("pyautogui.click()", "pyautogui.click() without coordinates");
    refused("pyautogui.moveTo(x=5)", "only one coordinate given");
}

TEST(scrolls)
{
    struct xtars_pyautogui p = ok("pyautogui.scroll(-3)", NULL);

    ASSERT_EQ(p.actions[0].type, XTARS_ACTION_SCROLL);
    ASSERT_EQ(p.actions[0].direction, XTARS_SCROLL_DOWN);
    ASSERT_EQ(p.actions[0].amount, 3);
    ASSERT_EQ(p.actions[0].has_point, 0);
    p = ok("pyautogui.scroll(5, x=10, y=20)", NULL);
    point(&p.actions[0], XTARS_ACTION_SCROLL, 10, 20);
    ASSERT_EQ(p.actions[0].direction, XTARS_SCROLL_UP);
    p = ok("pyautogui.hscroll(2)\npyautogui.hscroll(-1)\npyautogui.vscroll(1)", NULL);
    ASSERT_EQ(p.actions[0].direction, XTARS_SCROLL_RIGHT);
    ASSERT_EQ(p.actions[1].direction, XTARS_SCROLL_LEFT);
    ASSERT_EQ(p.actions[2].direction, XTARS_SCROLL_UP);
    p = ok("pyautogui.scroll(-250)", NULL); /* one action carries at most 100 notches */
    ASSERT_EQ(p.action_count, 3);
    ASSERT_EQ(p.actions[0].amount, 100);
    ASSERT_EQ(p.actions[2].amount, 50);
    p = ok("pyautogui.scroll(0)", NULL);
    ASSERT_EQ(p.action_count, 0);
}

TEST(keyboard)
{
    struct xtars_pyautogui p = ok("pyautogui.write('hello\\n')", NULL);

    ASSERT_EQ(p.actions[0].type, XTARS_ACTION_TYPE);
    ASSERT_STR_EQ(p.actions[0].text, "hello\n");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.typewrite(['a', 'enter'])", NULL);
    ASSERT_EQ(p.action_count, 2);
    ASSERT_STR_EQ(p.actions[0].keys[0], "a");
    ASSERT_STR_EQ(p.actions[1].keys[0], "enter");
    p = ok("pyautogui.press('enter'); pyautogui.press(['tab', 'tab']); pyautogui.press('tab', presses=3)",
           NULL);
    ASSERT_EQ(p.action_count, 6);
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(p.actions[i].type, XTARS_ACTION_HOTKEY);
    ASSERT_STR_EQ(p.actions[5].keys[0], "tab");
    /* Shift characters are typed (pyautogui holds Shift for them). */
    p = ok("pyautogui.press('A')\npyautogui.press('\\n')\npyautogui.press('pgdn')", NULL);
    ASSERT_EQ(p.actions[0].type, XTARS_ACTION_TYPE);
    ASSERT_STR_EQ(p.actions[0].text, "A");
    ASSERT_STR_EQ(p.actions[1].keys[0], "enter");
    ASSERT_STR_EQ(p.actions[2].keys[0], "pagedown");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.hotkey('ctrl', 'shift', 't')\npyautogui.hotkey(['command', 'c'], interval=0.1)",
           NULL);
    ASSERT_EQ(p.actions[0].key_count, 3);
    ASSERT_STR_EQ(p.actions[0].keys[1], "shift");
    ASSERT_STR_EQ(p.actions[1].keys[0], "super");
    p = ok("pyautogui.keyDown('shift')\npyautogui.keyUp('shiftleft')", NULL);
    ASSERT_EQ(p.actions[0].type, XTARS_ACTION_KEY_DOWN);
    ASSERT_EQ(p.actions[1].type, XTARS_ACTION_KEY_UP);
    ASSERT_STR_EQ(p.actions[1].keys[0], "shift");
    p = ok("time.sleep(0.5)", NULL);
    ASSERT_EQ(p.actions[0].ms, 500);
    refused("pyautogui.press('hyper')", "unknown key 'hyper'");
}

TEST(clipboard_paste_idiom_is_typing)
{
    struct xtars_pyautogui p = ok("import pyperclip\npyperclip.copy('h\\u00e9llo w\\xf6rld')\n"
                                  "pyautogui.hotkey('ctrl', 'v')\ntime.sleep(0.5)\n", NULL);

    ASSERT_EQ(p.action_count, 2);
    ASSERT_EQ(p.actions[0].type, XTARS_ACTION_TYPE);
    ASSERT_STR_EQ(p.actions[0].text, "h\xc3\xa9llo w\xc3\xb6rld");
    ASSERT_EQ(p.actions[1].type, XTARS_ACTION_WAIT);
    xtars_pyautogui_cleanup(&p);
    refused("pyperclip.copy('x')", "pyperclip.copy() is not followed by a ctrl+v paste");
    refused("pyperclip.copy('x')\npyautogui.click(1, 2)", "not followed by a ctrl+v paste");
    refused("pyperclip.copy('x')\npyautogui.hotkey('ctrl', 'c')", "not followed by a ctrl+v paste");
}

TEST(python_strings)
{
    struct xtars_pyautogui p = ok("pyautogui.write(\"it's \\u00e9\\x41\\\\ \\\"q\\\"\")", NULL);

    ASSERT_STR_EQ(p.actions[0].text, "it's \xc3\xa9" "A\\ \"q\"");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.write(r'a\\nb')", NULL);
    ASSERT_STR_EQ(p.actions[0].text, "a\\nb");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.write('a' 'b', interval=0.1)  # joined literals", NULL);
    ASSERT_STR_EQ(p.actions[0].text, "ab");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.write('''two\nlines''')", NULL);
    ASSERT_STR_EQ(p.actions[0].text, "two\nlines");
    xtars_pyautogui_cleanup(&p);
    p = ok("pyautogui.hotkey(\n    'ctrl',\n    'a'\n)", NULL);
    ASSERT_EQ(p.actions[0].key_count, 2);
    refused("pyautogui.write(f'{x}')", "f-strings are not supported");
    refused("pyautogui.write(b'x')", "bytes literals are not supported");
    refused("pyautogui.write('abc)", "unterminated string");
    refused("pyautogui.write('\\x0')", "bad \\x, \\u or \\U escape");
    refused("pyautogui.write('\\x00')", "NUL");
}

TEST(outside_the_subset_names_the_statement)
{
    refused("import pyautogui\npyautogui.locateOnScreen('ok.png')",
            "pyautogui: statement 2: 'pyautogui.locateOnScreen' is not in the replayable pyautogui subset");
    refused("import os\nos.system('rm -rf /')", "statement 2: 'os.system' is not in the replayable");
    refused("pyautogui.click(1, 2)\nx, y = pyautogui.position()",
            "statement 2: 'x ,...' is an assignment or expression, not a call");
    refused("pyautogui.PAUSE = 0.5", "is an assignment or expression");
    refused("pyautogui.click(5000, 10)", "x 5000 is outside the 1920x1080 screen");
    refused("pyautogui.click(10, -1)", "y -1 is outside");
    refused("pyautogui.click(10, 20, foo=1)", "pyautogui.click() has no argument 'foo'");
    refused("pyautogui.click(10, 20, x=1)", "argument 'x' given twice");
    refused("pyautogui.click(10, 20", "expected ',' or ')'");
    refused("pyautogui.click(10, 20) pyautogui.click(1, 2)", "unexpected text after the statement");
    refused("pyautogui.click(1e999, 2)", "number out of range");
    refused("pyautogui.click(0x10, 2)", "malformed number");
    refused("pyautogui.press('a', presses=100)", "more than 64 actions");
    refused("pyautogui.press('a', presses=101)", "presses must be a whole number from 0 to 100");
    refused("time.sleep(-1)", "sleep of -1 s is outside 0..3600");
    refused("pyautogui.click(1, 2) ; $", "unexpected character '$'");
}

TEST(bounds_and_failure_leave_state_alone)
{
    struct xtars_pyautogui out;
    struct xtars_pyautogui_state state = {1, 7, 8};
    static char big[XTARS_PYAUTOGUI_MAX_CODE + 2];
    char err[XTARS_ERRLEN];

    memset(big, ' ', sizeof big - 1);
    ASSERT_EQ(xtars_pyautogui_translate(big, strlen(big), &screen, &state, &out, err), XTARS_EPARSE);
    ASSERT_STR_CONTAINS(err, "longer than 65536 bytes");
    ASSERT_EQ(xtars_pyautogui_translate("pyautogui.click(1,2)\0x", 22, &screen, &state, &out, err),
              XTARS_EPARSE);
    ASSERT_STR_CONTAINS(err, "NUL byte");
    ASSERT_EQ(xtars_pyautogui_translate("pyautogui.moveTo(1, 2)\nbad(", 27, &screen, &state, &out, err),
              XTARS_EPARSE);
    ASSERT_EQ(state.x, 7); /* the moveTo before the error did not stick */
    ASSERT_EQ(state.y, 8);
    ASSERT_EQ(xtars_pyautogui_translate("", 0, &screen, &state, &out, err), XTARS_OK);
    ASSERT_EQ(out.action_count, 0);
    xtars_pyautogui_cleanup(NULL);
}

static char *code_of(const struct xtars_action *a, int ox, int oy)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_pyautogui_from_action(a, ox, oy, 5000, 5, &b), XTARS_OK);
    return xtars_buf_detach(&b, NULL);
}

TEST(writing_pyautogui)
{
    struct xtars_action click = {.type = XTARS_ACTION_CLICK, .has_point = 1, .x = 110, .y = 220};
    struct xtars_action hotkey = {.type = XTARS_ACTION_HOTKEY, .key_count = 2, .keys = {"super", "'"}};
    struct xtars_action press = {.type = XTARS_ACTION_HOTKEY, .key_count = 1, .keys = {"enter"}};
    struct xtars_action text = {.type = XTARS_ACTION_TYPE, .text = "it's\n\\"};
    struct xtars_action scroll = {.type = XTARS_ACTION_SCROLL, .direction = XTARS_SCROLL_DOWN,
                                  .has_point = 1, .x = 10, .y = 20};
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT};
    struct xtars_action up = {.type = XTARS_ACTION_KEY_UP, .key_count = 2, .keys = {"ctrl", "shift"}};
    struct xtars_action done = {.type = XTARS_ACTION_FINISHED};
    struct xtars_buf b;
    char *s;

    s = code_of(&click, 100, 20);
    ASSERT_STR_EQ(s, "pyautogui.click(10, 200)");
    free(s);
    s = code_of(&hotkey, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.hotkey('win', '\\'')");
    free(s);
    s = code_of(&press, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.press('enter')");
    free(s);
    s = code_of(&text, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.write('it\\'s\\n\\\\')");
    free(s);
    s = code_of(&scroll, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.scroll(-5, x=10, y=20)");
    free(s);
    s = code_of(&wait, 0, 0);
    ASSERT_STR_EQ(s, "time.sleep(5)");
    free(s);
    s = code_of(&up, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.keyUp('shift')\npyautogui.keyUp('ctrl')");
    free(s);
    xtars_buf_init(&b, 100);
    ASSERT_EQ(xtars_pyautogui_from_action(&done, 0, 0, 5000, 5, &b), XTARS_EINVAL);
    xtars_buf_cleanup(&b);
}

/* pyautogui.write() drops what is not in its US key map on X11: text with
 * non-ASCII is pasted the way OSWorld's UI-TARS agent does it, a trailing
 * newline as press('enter'); the translator reads that back as one text. */
TEST(non_ascii_text_is_pasted_and_reads_back)
{
    struct xtars_action text = {.type = XTARS_ACTION_TYPE, .text = "\xe5\x8c\x97\xe4\xba\xac it's\n"};
    struct xtars_action plain = {.type = XTARS_ACTION_TYPE, .text = "plain\n"};
    struct xtars_pyautogui back;
    char *s = code_of(&text, 0, 0);

    ASSERT_STR_EQ(s, "import pyperclip\npyperclip.copy('\xe5\x8c\x97\xe4\xba\xac it\\'s')\n"
                     "pyautogui.hotkey('ctrl', 'v')\npyautogui.press('enter')");
    back = ok(s, NULL);
    ASSERT_EQ(back.action_count, 1);
    ASSERT_EQ(back.actions[0].type, XTARS_ACTION_TYPE);
    ASSERT_STR_EQ(back.actions[0].text, text.text);
    xtars_pyautogui_cleanup(&back);
    free(s);
    s = code_of(&plain, 0, 0);
    ASSERT_STR_EQ(s, "pyautogui.write('plain\\n')");
    free(s);
    /* Enter after a pause is its own action, as it was performed. */
    back = ok("pyperclip.copy('\xc3\xa9')\npyautogui.hotkey('ctrl', 'v')\ntime.sleep(0.5)\n"
              "pyautogui.press('enter')", NULL);
    ASSERT_EQ(back.action_count, 3);
    ASSERT_STR_EQ(back.actions[0].text, "\xc3\xa9");
    ASSERT_EQ(back.actions[2].type, XTARS_ACTION_HOTKEY);
    xtars_pyautogui_cleanup(&back);
}

TEST(written_code_reads_back_to_the_same_actions)
{
    struct xtars_action actions[] = {
        {.type = XTARS_ACTION_DOUBLE_CLICK, .has_point = 1, .x = 3, .y = 4},
        {.type = XTARS_ACTION_RIGHT_CLICK, .has_point = 1, .x = 5, .y = 6},
        {.type = XTARS_ACTION_MIDDLE_CLICK, .has_point = 1, .x = 7, .y = 8},
        {.type = XTARS_ACTION_HOVER, .has_point = 1, .x = 9, .y = 10},
        {.type = XTARS_ACTION_DRAG, .has_point = 1, .x = 11, .y = 12, .has_end = 1, .x2 = 13, .y2 = 14},
        {.type = XTARS_ACTION_SCROLL, .direction = XTARS_SCROLL_LEFT, .amount = 7},
        {.type = XTARS_ACTION_TYPE, .text = "\xe4\xb8\xad 'x' \"y\" \t\r"},
        {.type = XTARS_ACTION_HOTKEY, .key_count = 3, .keys = {"ctrl", "alt", "delete"}},
        {.type = XTARS_ACTION_KEY_DOWN, .key_count = 1, .keys = {"shift"}},
        {.type = XTARS_ACTION_MOUSE_DOWN, .button = XTARS_BUTTON_MIDDLE, .has_point = 1, .x = 1, .y = 1},
        {.type = XTARS_ACTION_MOUSE_UP, .button = XTARS_BUTTON_RIGHT},
        {.type = XTARS_ACTION_WAIT, .ms = 1234},
    };

    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        const struct xtars_action *a = &actions[i];
        struct xtars_pyautogui_state state = {0};
        struct xtars_pyautogui back;
        char *code = code_of(a, 0, 0);
        back = ok(code, &state);
        ASSERT_EQ(back.action_count, 1);
        ASSERT_EQ(back.actions[0].type, a->type);
        ASSERT_EQ(back.actions[0].has_point, a->has_point);
        ASSERT_EQ(back.actions[0].x, a->x);
        ASSERT_EQ(back.actions[0].y, a->y);
        ASSERT_EQ(back.actions[0].x2, a->x2);
        ASSERT_EQ(back.actions[0].y2, a->y2);
        ASSERT_EQ(back.actions[0].key_count, a->key_count);
        for (int k = 0; k < a->key_count; k++)
            ASSERT_STR_EQ(back.actions[0].keys[k], a->keys[k]);
        if (a->type == XTARS_ACTION_TYPE)
            ASSERT_STR_EQ(back.actions[0].text, a->text);
        if (a->type == XTARS_ACTION_SCROLL) {
            ASSERT_EQ(back.actions[0].amount, a->amount);
            ASSERT_EQ(back.actions[0].direction, a->direction);
        }
        if (a->type == XTARS_ACTION_MOUSE_DOWN || a->type == XTARS_ACTION_MOUSE_UP)
            ASSERT_EQ(back.actions[0].button, a->button);
        if (a->type == XTARS_ACTION_WAIT)
            ASSERT_EQ(back.actions[0].ms, a->ms);
        xtars_pyautogui_cleanup(&back);
        free(code);
    }
}
