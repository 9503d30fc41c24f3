/* keys.c: every spelling of a key name the model (or a user) may write, mapped
 * onto the canonical names listed in keys.h; any other name that could be an
 * X keysym name is kept as written for the executor to resolve (this layer
 * must not depend on X). Pure table lookups over caller buffers: never
 * allocates, never prints. */
#include "agent/reply/keys.h"

#include <string.h>

/* Spellings after normalisation (ASCII lowercase, '_' and '-' removed), with
 * the canonical name they stand for. Canonical names map to themselves. */
static const struct alias {
    const char *spelling;
    const char *canonical;
} aliases[] = {
    {"ctrl", "ctrl"}, {"control", "ctrl"}, {"ctl", "ctrl"}, {"lctrl", "ctrl"},
    {"rctrl", "ctrl"}, {"ctrlleft", "ctrl"}, {"ctrlright", "ctrl"}, {"ctrll", "ctrl"},
    {"ctrlr", "ctrl"}, {"leftctrl", "ctrl"}, {"rightctrl", "ctrl"}, {"controll", "ctrl"},
    {"controlr", "ctrl"}, {"leftcontrol", "ctrl"}, {"rightcontrol", "ctrl"},
    {"shift", "shift"}, {"lshift", "shift"}, {"rshift", "shift"}, {"shiftleft", "shift"},
    {"shiftright", "shift"}, {"shiftl", "shift"}, {"shiftr", "shift"}, {"leftshift", "shift"},
    {"rightshift", "shift"},
    {"alt", "alt"}, {"option", "alt"}, {"opt", "alt"}, {"lalt", "alt"}, {"ralt", "alt"},
    {"altleft", "alt"}, {"altright", "alt"}, {"altl", "alt"}, {"altr", "alt"},
    {"leftalt", "alt"}, {"rightalt", "alt"},
    {"super", "super"}, {"win", "super"}, {"windows", "super"}, {"meta", "super"},
    {"cmd", "super"}, {"command", "super"}, {"lwin", "super"}, {"rwin", "super"},
    {"winleft", "super"}, {"winright", "super"}, {"superl", "super"}, {"superr", "super"},
    {"leftsuper", "super"}, {"rightsuper", "super"}, {"metal", "super"}, {"metar", "super"},
    {"leftwin", "super"}, {"rightwin", "super"}, {"leftcmd", "super"}, {"rightcmd", "super"},
    {"enter", "enter"}, {"return", "enter"}, {"ret", "enter"}, {"kpenter", "enter"},
    {"esc", "esc"}, {"escape", "esc"},
    {"tab", "tab"},
    {"backspace", "backspace"}, {"bksp", "backspace"},
    {"delete", "delete"}, {"del", "delete"},
    {"space", "space"}, {"spacebar", "space"},
    {"up", "up"}, {"arrowup", "up"}, {"uparrow", "up"},
    {"down", "down"}, {"arrowdown", "down"}, {"downarrow", "down"},
    {"left", "left"}, {"arrowleft", "left"}, {"leftarrow", "left"},
    {"right", "right"}, {"arrowright", "right"}, {"rightarrow", "right"},
    {"home", "home"}, {"end", "end"},
    {"pageup", "pageup"}, {"pgup", "pageup"}, {"prior", "pageup"},
    {"pagedown", "pagedown"}, {"pgdn", "pagedown"}, {"pgdown", "pagedown"}, {"next", "pagedown"},
    {"insert", "insert"}, {"ins", "insert"},
    {"capslock", "capslock"}, {"caps", "capslock"},
    {"printscreen", "printscreen"}, {"print", "printscreen"}, {"prtsc", "printscreen"},
    {"prtscr", "printscreen"}, {"prntscrn", "printscreen"}, {"printscrn", "printscreen"},
    {"snapshot", "printscreen"},
    /* pyautogui's names for keys without a canonical name: the X keysym
     * name, which the executor resolves like any other. */
    {"numlock", "Num_Lock"}, {"scrolllock", "Scroll_Lock"}, {"pause", "Pause"},
    {"menu", "Menu"}, {"apps", "Menu"}, {"contextmenu", "Menu"},
    {"volumemute", "XF86AudioMute"}, {"volumeup", "XF86AudioRaiseVolume"},
    {"volumedown", "XF86AudioLowerVolume"}, {"playpause", "XF86AudioPlay"},
    {"nexttrack", "XF86AudioNext"}, {"prevtrack", "XF86AudioPrev"},
    /* Keypad navigation keys do what the main ones do: one name each, so a
     * policy that denies "delete" also denies KP_Delete. */
    {"kpdelete", "delete"}, {"kpinsert", "insert"}, {"kphome", "home"}, {"kpend", "end"},
    {"kpup", "up"}, {"kpdown", "down"}, {"kpleft", "left"}, {"kpright", "right"},
    {"kpprior", "pageup"}, {"kppageup", "pageup"}, {"kpnext", "pagedown"},
    {"kppagedown", "pagedown"}, {"kptab", "tab"}, {"kpspace", "space"},
    /* Named punctuation (pyautogui / X keysym style) is the character itself. */
    {"plus", "+"}, {"minus", "-"}, {"equal", "="}, {"equals", "="}, {"comma", ","},
    {"period", "."}, {"dot", "."}, {"slash", "/"}, {"backslash", "\\"}, {"semicolon", ";"},
    {"apostrophe", "'"}, {"grave", "`"}, {"backtick", "`"}, {"bracketleft", "["},
    {"bracketright", "]"},
};

/* Bytes in the UTF-8 sequence starting with lead byte c; 0 if c cannot start one. */
static size_t utf8_sequence_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* 1 if name[0..len) is exactly one well-formed UTF-8 character. */
static int is_one_character(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = utf8_sequence_length(s[0]);

    if (n == 0 || n != len)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* Overlong and surrogate forms that the lead byte alone does not rule out. */
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return name[0] > ' ' || (unsigned char)name[0] >= 0x80 ? 1 : 0;
}

/* "f1" .. "f24". */
static int function_key(const char *norm, char out[XTARS_KEY_NAME_LEN])
{
    int n = 0;

    if (norm[0] != 'f' || norm[1] < '1' || norm[1] > '9')
        return 0;
    for (const char *p = norm + 1; *p; p++) {
        if (*p < '0' || *p > '9' || p - norm > 2)
            return 0;
        n = n * 10 + (*p - '0');
    }
    if (n < 1 || n > 24)
        return 0;
    memcpy(out, norm, strlen(norm) + 1);
    return 1;
}

/* 1 if name[0..len) could be an X keysym name (Num_Lock, XF86AudioMute,
 * KP_1, 3270_Enter): letters, digits and '_', starting with a letter or a
 * digit, short enough to store. */
static int keysym_like(const char *name, size_t len)
{
    if (len < 2 || len >= XTARS_KEY_NAME_LEN || name[0] == '_')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* The canonical name of a known spelling; with keep_keysyms, also any name
 * that could be an X keysym name, as written. */
static xtars_err key_name(const char *name, size_t len, int keep_keysyms,
                          char out[XTARS_KEY_NAME_LEN])
{
    char norm[32];
    size_t n = 0;
    int normalised = 1;

    out[0] = '\0';
    if (len == 0)
        return XTARS_EINVAL;
    if (is_one_character(name, len)) {
        memcpy(out, name, len);
        out[len] = '\0';
        if (len == 1 && out[0] >= 'A' && out[0] <= 'Z')
            out[0] = (char)(out[0] - 'A' + 'a');
        return XTARS_OK;
    }
    for (size_t i = 0; i < len && normalised; i++) {
        char c = name[i];
        if (c == '_' || c == '-')
            continue;
        if (n + 1 >= sizeof norm)
            normalised = 0;
        else
            norm[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    norm[n] = '\0';
    if (normalised && function_key(norm, out))
        return XTARS_OK;
    for (size_t i = 0; normalised && i < sizeof aliases / sizeof aliases[0]; i++) {
        if (aliases[i].spelling[0] == norm[0] && strcmp(aliases[i].spelling, norm) == 0) {
            strcpy(out, aliases[i].canonical);
            return XTARS_OK;
        }
    }
    if (keep_keysyms && keysym_like(name, len)) {
        memcpy(out, name, len);
        out[len] = '\0';
        return XTARS_OK;
    }
    return XTARS_EINVAL;
}

xtars_err xtars_key_canonical(const char *name, size_t len, char out[XTARS_KEY_NAME_LEN])
{
    return key_name(name, len, 0, out);
}

xtars_err xtars_key_name(const char *name, size_t len, char out[XTARS_KEY_NAME_LEN])
{
    return key_name(name, len, 1, out);
}

static int is_key_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Stores the canonical name of text[at..at+n) as the next key. */
static xtars_err add_key(const char *text, size_t at, size_t n, char keys[][XTARS_KEY_NAME_LEN],
                         int max_keys, int *count, size_t *bad_at, size_t *bad_len)
{
    *bad_at = at;
    *bad_len = n;
    if (*count == max_keys)
        return XTARS_ERANGE;
    if (xtars_key_name(text + at, n, keys[*count]) != XTARS_OK)
        return XTARS_EINVAL;
    (*count)++;
    return XTARS_OK;
}

/* Keys are separated by whitespace and/or one '+'. A '+' where a key is
 * expected (first, or right after a '+' separator) or left over at the end
 * ("ctrl+", "ctrl + +") is the plus key itself. */
xtars_err xtars_key_split(const char *text, size_t len, char keys[][XTARS_KEY_NAME_LEN],
                          int max_keys, int *count, size_t *bad_at, size_t *bad_len)
{
    size_t i = 0, pending_plus = 0;
    int after_key = 0, have_pending = 0;
    xtars_err rc;

    *count = 0;
    for (;;) {
        while (i < len && is_key_space(text[i]))
            i++;
        if (i == len)
            break;
        if (text[i] == '+' && after_key && !have_pending) {
            have_pending = 1;
            pending_plus = i++;
            continue;
        }
        if (text[i] == '+') {
            rc = add_key(text, i, 1, keys, max_keys, count, bad_at, bad_len);
            i++;
        } else {
            size_t start = i;
            while (i < len && text[i] != '+' && !is_key_space(text[i]))
                i++;
            rc = add_key(text, start, i - start, keys, max_keys, count, bad_at, bad_len);
        }
        if (rc != XTARS_OK)
            return rc;
        after_key = 1;
        have_pending = 0;
    }
    if (have_pending)
        return add_key(text, pending_plus, 1, keys, max_keys, count, bad_at, bad_len);
    if (*count == 0) {
        *bad_at = len;
        *bad_len = 0;
        return XTARS_EINVAL;
    }
    *bad_at = 0;
    *bad_len = 0;
    return XTARS_OK;
}
