/* Key names: canonical names map to themselves, aliases to the canonical set
 * in xtars/keys.h, and splitting finds every key with its position. */
#include "test.h"
#include "agent/reply/keys.h"

static void expect_key(const char *name, const char *want)
{
    char out[XTARS_KEY_NAME_LEN];

    if (xtars_key_canonical(name, strlen(name), out) != XTARS_OK)
        FAIL("'%s' was refused, expected '%s'", name, want);
    ASSERT_STR_EQ(out, want);
}

static void expect_name(const char *name, const char *want)
{
    char out[XTARS_KEY_NAME_LEN];

    if (xtars_key_name(name, strlen(name), out) != XTARS_OK)
        FAIL("'%s' was refused, expected '%s'", name, want);
    ASSERT_STR_EQ(out, want);
}

static void expect_unknown(const char *name, size_t len)
{
    char out[XTARS_KEY_NAME_LEN] = "x";

    ASSERT_EQ(xtars_key_canonical(name, len, out), XTARS_EINVAL);
    ASSERT_STR_EQ(out, "");
    strcpy(out, "x");
    ASSERT_EQ(xtars_key_name(name, len, out), XTARS_EINVAL);
    ASSERT_STR_EQ(out, "");
}

TEST(canonical_names_map_to_themselves)
{
    static const char *const names[] = {
        "ctrl", "shift", "alt", "super", "enter", "esc", "tab", "backspace", "delete", "space",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown", "insert", "capslock",
        "printscreen", "a", "z", "0", "9", "+", "-", "/", "`", "\\", "'", "\xc3\xa9"};
    char f[8];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        expect_key(names[i], names[i]);
    for (int n = 1; n <= 24; n++) {
        snprintf(f, sizeof f, "f%d", n);
        expect_key(f, f);
    }
}

TEST(aliases_from_the_format_page)
{
    expect_key("control", "ctrl");
    expect_key("option", "alt");
    expect_key("win", "super");
    expect_key("windows", "super");
    expect_key("meta", "super");
    expect_key("cmd", "super");
    expect_key("command", "super");
    expect_key("return", "enter");
    expect_key("escape", "esc");
    expect_key("del", "delete");
    expect_key("arrowup", "up");
    expect_key("arrowdown", "down");
    expect_key("arrowleft", "left");
    expect_key("arrowright", "right");
    expect_key("page_up", "pageup");
    expect_key("page_down", "pagedown");
}

TEST(case_underscores_and_dashes_do_not_matter)
{
    expect_key("CTRL", "ctrl");
    expect_key("Page_Down", "pagedown");
    expect_key("page-down", "pagedown");
    expect_key("PageDown", "pagedown");
    expect_key("F12", "f12");
    expect_key("A", "a");
    expect_key("Arrow_Left", "left");
    expect_key("_", "_");  /* one character is that character, not an empty name */
}

TEST(unknown_keys_are_einval)
{
    expect_unknown("", 0);
    expect_unknown("con-trl", 7);      /* '-' is no keysym character */
    expect_unknown("ctrl!", 5);
    expect_unknown("_a", 2);
    expect_unknown("XF86ThisNameIsMuchTooLongForAKey", 32);
    expect_unknown("\xc3", 1);          /* cut UTF-8 */
    expect_unknown("\xe9", 1);          /* Latin-1, not UTF-8 */
    expect_unknown("\xed\xa0\x80", 3);  /* a surrogate */
    expect_unknown("\xc0\x80", 2);      /* overlong NUL */
    expect_unknown("\x01", 1);          /* control character */
    expect_unknown("a very long name that does not fit", 34);
    expect_unknown("__", 2);            /* nothing left after dropping '_' */
}

/* Names that are no alias but could be X keysym names are kept as written;
 * the executor resolves them (and refuses what X does not know). */
TEST(keysym_like_names_are_kept_as_written)
{
    static const char *const names[] = {"XF86AudioMute", "KP_1", "ISO_Level3_Shift", "f25", "f0",
                                        "ab", "contrl", "XF86MonBrightnessDown"};
    char out[XTARS_KEY_NAME_LEN];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        expect_name(names[i], names[i]);
        /* the strict form (policy rules) refuses what it does not know */
        if (xtars_key_canonical(names[i], strlen(names[i]), out) != XTARS_EINVAL)
            FAIL("xtars_key_canonical accepted '%s' as '%s'", names[i], out);
    }
    expect_name("Page_Down", "pagedown"); /* known spellings first */
    expect_name("Control_R", "ctrl");
}

TEST(pyautogui_names_map_to_keysym_names)
{
    expect_key("numlock", "Num_Lock");
    expect_key("NumLock", "Num_Lock");
    expect_key("Num_Lock", "Num_Lock");
    expect_key("scrolllock", "Scroll_Lock");
    expect_key("menu", "Menu");
    expect_key("apps", "Menu");
    expect_key("pause", "Pause");
    expect_key("volumemute", "XF86AudioMute");
    expect_key("KP_Delete", "delete");
    expect_key("KP_Enter", "enter");
}

/* The name is bounded by len, not by a NUL. */
TEST(canonical_reads_only_len_bytes)
{
    char out[XTARS_KEY_NAME_LEN];

    ASSERT_EQ(xtars_key_canonical("ctrlXYZ", 4, out), XTARS_OK);
    ASSERT_STR_EQ(out, "ctrl");
}

static int split(const char *text, char keys[][XTARS_KEY_NAME_LEN], size_t *at, size_t *len)
{
    int count = -1;
    xtars_err rc = xtars_key_split(text, strlen(text), keys, XTARS_ACTION_MAX_KEYS, &count, at, len);

    return rc == XTARS_OK ? count : -(int)rc;
}

TEST(split_on_spaces_and_plus)
{
    char keys[XTARS_ACTION_MAX_KEYS][XTARS_KEY_NAME_LEN];
    size_t at, len;

    ASSERT_EQ(split("ctrl c", keys, &at, &len), 2);
    ASSERT_STR_EQ(keys[0], "ctrl");
    ASSERT_STR_EQ(keys[1], "c");
    ASSERT_EQ(split("ctrl+shift+esc", keys, &at, &len), 3);
    ASSERT_STR_EQ(keys[2], "esc");
    ASSERT_EQ(split("ctrl + alt +t", keys, &at, &len), 3);
    ASSERT_STR_EQ(keys[2], "t");
    ASSERT_EQ(split("\tctrl\n c ", keys, &at, &len), 2);
}

TEST(plus_as_a_key)
{
    char keys[XTARS_ACTION_MAX_KEYS][XTARS_KEY_NAME_LEN];
    size_t at, len;

    ASSERT_EQ(split("+", keys, &at, &len), 1);
    ASSERT_STR_EQ(keys[0], "+");
    ASSERT_EQ(split("ctrl++", keys, &at, &len), 2);
    ASSERT_STR_EQ(keys[1], "+");
    ASSERT_EQ(split("ctrl+", keys, &at, &len), 2);
    ASSERT_STR_EQ(keys[1], "+");
    ASSERT_EQ(split("ctrl + +", keys, &at, &len), 2);
    ASSERT_STR_EQ(keys[1], "+");
    ASSERT_EQ(split("shift+plus", keys, &at, &len), 2);
    ASSERT_STR_EQ(keys[1], "+");
}

TEST(split_errors_locate_the_bad_name)
{
    char keys[XTARS_ACTION_MAX_KEYS][XTARS_KEY_NAME_LEN];
    size_t at, len;
    int count;

    ASSERT_EQ(split("ctrl con-trl c", keys, &at, &len), -XTARS_EINVAL);
    ASSERT_EQ(at, 5);
    ASSERT_EQ(len, 7);
    ASSERT_EQ(split("ctrl+sh.ift+t", keys, &at, &len), -XTARS_EINVAL);
    ASSERT_EQ(at, 5);
    ASSERT_EQ(len, 6);
    ASSERT_EQ(split("   ", keys, &at, &len), -XTARS_EINVAL);
    ASSERT_EQ(len, 0);
    ASSERT_EQ(split("", keys, &at, &len), -XTARS_EINVAL);
    ASSERT_EQ(xtars_key_split("a b c", 5, keys, 2, &count, &at, &len), XTARS_ERANGE);
    ASSERT_EQ(count, 2);
    ASSERT_EQ(at, 4);
}
