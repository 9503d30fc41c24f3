/* keys.c: canonical key names, X keysym names and characters to X keysyms,
 * and UTF-8 decoding. Tables and arithmetic, plus libX11's keysym name table
 * (XStringToKeysym, XKeysymToString: no display, no connection). Shared by
 * both executors so a dry run rejects exactly the keys a real run would. */
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/base/suggest.h"
#include "xtars/exec.h"
#include "actions/keysym.h"

static const struct {
    const char *name;
    unsigned long keysym;
} named_keys[] = {
    {"ctrl", XK_Control_L},    {"shift", XK_Shift_L},      {"alt", XK_Alt_L},
    {"super", XK_Super_L},     {"enter", XK_Return},       {"esc", XK_Escape},
    {"tab", XK_Tab},           {"backspace", XK_BackSpace}, {"delete", XK_Delete},
    {"space", XK_space},       {"up", XK_Up},              {"down", XK_Down},
    {"left", XK_Left},         {"right", XK_Right},        {"home", XK_Home},
    {"end", XK_End},           {"pageup", XK_Prior},       {"pagedown", XK_Next},
    {"insert", XK_Insert},     {"capslock", XK_Caps_Lock}, {"printscreen", XK_Print},
};

int xtars_utf8_decode(const char *s, size_t n, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long value;
    int len;

    if (n == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xc2 && u[0] <= 0xdf)
        len = 2, value = u[0] & 0x1f;
    else if (u[0] >= 0xe0 && u[0] <= 0xef)
        len = 3, value = u[0] & 0x0f;
    else if (u[0] >= 0xf0 && u[0] <= 0xf4)
        len = 4, value = u[0] & 0x07;
    else
        return 0;
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        value = value << 6 | (u[i] & 0x3f);
    }
    if ((len == 3 && value < 0x800) || (len == 4 && (value < 0x10000 || value > 0x10ffff)) ||
        (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *cp = value;
    return len;
}

unsigned long xtars_exec_char_keysym(unsigned long cp)
{
    switch (cp) {
    case '\b': return XK_BackSpace;
    case '\t': return XK_Tab;
    case '\n': return XK_Return;
    case '\r': return XK_Return;
    case 0x1b: return XK_Escape;
    case 0x7f: return XK_Delete;
    }
    if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    if (cp < 0x100)
        return cp; /* Latin-1 keysyms are the code points */
    return 0x01000000UL + cp;
}

static int function_key(const char *name, unsigned long *keysym)
{
    int number = 0;

    if (name[0] != 'f' || name[1] < '1' || name[1] > '9')
        return 0;
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9' || p - name > 2)
            return 0;
        number = number * 10 + (*p - '0');
    }
    if (number < 1 || number > 24)
        return 0;
    *keysym = XK_F1 + (unsigned long)(number - 1);
    return 1;
}

/* The keysym ranges that have names other than "U1234" (Latin-1 and the
 * legacy scripts, the function and modifier keys, the XF86 media keys). */
static const struct {
    unsigned long first, last;
} named_ranges[] = {{0x20, 0x13ff}, {0xfe00, 0xffff}, {0x1008fe00, 0x1008ffff}};

/* Calls visit(name, keysym, data) for every named keysym until it returns 1. */
static void each_keysym_name(int (*visit)(const char *, unsigned long, void *), void *data)
{
    for (size_t r = 0; r < sizeof named_ranges / sizeof named_ranges[0]; r++) {
        for (unsigned long ks = named_ranges[r].first; ks <= named_ranges[r].last; ks++) {
            const char *name = XKeysymToString((KeySym)ks);
            if (name && visit(name, ks, data))
                return;
        }
    }
}

struct case_match {
    const char *name;
    unsigned long keysym;
};

static int same_but_case(const char *name, unsigned long keysym, void *data)
{
    struct case_match *m = data;

    if (strcasecmp(name, m->name) != 0)
        return 0;
    m->keysym = keysym;
    return 1;
}

static int offer_name(const char *name, unsigned long keysym, void *data)
{
    (void)keysym;
    if (name[1] != '\0') /* a one-letter name is never the key meant */
        xtars_nearest_offer(data, name);
    return 0;
}

/* An X keysym name: exactly as X spells it, else the one name that differs
 * only in case ("xf86audiomute"; of "Agrave" and "agrave" the first). */
static int keysym_by_name(const char *name, unsigned long *keysym)
{
    struct case_match m = {name, 0};
    KeySym ks;

    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    ks = XStringToKeysym(name);
    if (ks != NoSymbol) {
        *keysym = (unsigned long)ks;
        return 1;
    }
    each_keysym_name(same_but_case, &m);
    *keysym = m.keysym;
    return m.keysym != 0;
}

xtars_err xtars_exec_key_keysym(const char *name, unsigned long *keysym, char err[static XTARS_ERRLEN])
{
    size_t len = strlen(name);
    unsigned long cp;
    struct xtars_nearest hint;
    const char *best;

    *keysym = 0;
    xtars_nearest_init(&hint, name);
    for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++) {
        if (strcmp(named_keys[i].name, name) == 0) {
            *keysym = named_keys[i].keysym;
            return XTARS_OK;
        }
    }
    if (function_key(name, keysym))
        return XTARS_OK;
    if (len > 0 && (size_t)xtars_utf8_decode(name, len, &cp) == len && cp >= 0x20 && cp != 0x7f) {
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A'; /* a hotkey names the key; shift must be listed */
        *keysym = xtars_exec_char_keysym(cp);
        if (*keysym != 0)
            return XTARS_OK;
    }
    if (len > 1 && len < 64 && keysym_by_name(name, keysym))
        return XTARS_OK;
    *keysym = 0;
    if (len > 1 && len < 64) {
        for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
            xtars_nearest_offer(&hint, named_keys[i].name);
        each_keysym_name(offer_name, &hint);
    }
    best = xtars_nearest_get(&hint);
    if (best)
        return xtars_error(err, XTARS_EINVAL, "exec: unknown key '%.32s' (did you mean '%s'?)",
                           name, best);
    return xtars_error(err, XTARS_EINVAL, "exec: unknown key '%.32s'", name);
}
