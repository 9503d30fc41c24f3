/* policy_state.c: the stateful policy. It replays the input stream on a
 * model of each window's current line (a shell's line editor: insertion at a
 * cursor, backspace, ctrl+u/k/w/y, ctrl+c) and asks xtars_policy_check() about
 * every line before the key that would submit it and about every key
 * combination with the keys already held. Where the effect of an event
 * depends on the application (does this click reset the line? does ctrl+v
 * paste? what does Tab complete?) it keeps every outcome as a separate
 * possible line and checks them all. It must never talk to X: desktop facts
 * come in through struct xtars_policy_input. Never prints. */
#include "agent/reply/policy_state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_CAP (64 * 1024)   /* the shell analyser's own limit: longer is "obfuscated" */
#define LINES_MAX 16           /* possible lines kept per window */
#define WINDOWS_MAX 16
#define HELD_MAX 16
#define SELECTION_MAX (LINE_CAP)

enum { MOD_CTRL = 1, MOD_ALT = 2, MOD_SHIFT = 4, MOD_SUPER = 8 };

enum {
    LINE_UNKNOWN = 1,   /* holds text the policy cannot see (history, completion, vi mode) */
    LINE_OVERFLOW = 2   /* longer than LINE_CAP */
};

struct line {
    char *text;         /* NUL-terminated; NULL while empty */
    size_t len, cursor; /* bytes */
    size_t cap;         /* bytes allocated at text (grows by doubling: text typed
                           key by key must not cost a realloc per key) */
    char *kill;         /* what ctrl+y yanks (readline's kill ring, last entry) */
    unsigned flags;
};

struct window {
    unsigned long id;
    int used;
    unsigned long long last_use;
    struct line lines[LINES_MAX];
    int count;
    int lost;           /* possible lines were dropped: some outcome is unchecked */
};

struct xtars_policy_state {
    const struct xtars_policy *policy;
    enum xtars_policy_mode mode;
    struct window windows[WINDOWS_MAX];
    unsigned long long clock;
    char held[HELD_MAX][XTARS_KEY_NAME_LEN];
    int held_count;
};

/* One check: a scratch copy of the target window and of the held keys,
 * committed only when the action is allowed. */
struct check {
    struct xtars_policy_state *st;
    const struct xtars_policy_input *in;
    int terminal;
    struct window work;
    char held[HELD_MAX][XTARS_KEY_NAME_LEN];
    int held_count;
    enum xtars_policy_effect effect;
    char reason[200];
    char *selection[2];
    int selection_read[2];
    int oom;
};

/* ---- verdicts ---- */

static void verdict(struct check *c, enum xtars_policy_effect effect, const char *why)
{
    if (effect > c->effect) {
        c->effect = effect;
        snprintf(c->reason, sizeof c->reason, "%s", why);
    }
}

static void check_action(struct check *c, const struct xtars_action *a, const char *context)
{
    char why[200], full[200];
    enum xtars_policy_effect e;

    if (c->effect == XTARS_POLICY_DENY)
        return;
    e = xtars_policy_check(c->st->policy, a, c->in->bounds, why, sizeof why);
    if (e == XTARS_POLICY_ALLOW)
        return;
    snprintf(full, sizeof full, "%.150s%.48s", why, context); /* the context stays visible */
    verdict(c, e, full);
}

/* ---- terminals ---- */

static const char *const terminal_names[] = {
    "xterm", "uxterm", "gnome-terminal", "gnome-terminal-server", "org.gnome.terminal",
    "org.gnome.console", "kgx", "konsole", "xfce4-terminal", "alacritty", "kitty",
    "terminator", "tilix", "com.gexperts.tilix", "urxvt", "rxvt", "urxvt-unicode", "st",
    "st-256color", "foot", "footclient", "wezterm", "org.wezfurlong.wezterm", "lxterminal",
    "mate-terminal", "qterminal", "sakura", "terminology", "guake", "tilda", "yakuake",
    "cool-retro-term", "eterm", "aterm", "kterm", "mlterm", "ghostty", "com.mitchellh.ghostty",
    "ptyxis", "org.gnome.ptyxis", "io.elementary.terminal", "deepin-terminal", "hyper",
    "tabby", "contour", "rio", "blackbox", "com.raggesilver.blackbox", "roxterm", "zutty",
    NULL};

static int terminal_name(const char *name)
{
    size_t len;

    if (name == NULL || name[0] == '\0')
        return 0;
    for (int i = 0; terminal_names[i]; i++)
        if (strcasecmp(name, terminal_names[i]) == 0)
            return 1;
    /* the families: *-terminal, *terminal*, *term (xterm-like names not listed) */
    len = strlen(name);
    for (size_t i = 0; i + 8 <= len; i++)
        if (strncasecmp(name + i, "terminal", 8) == 0)
            return 1;
    return len >= 4 && strcasecmp(name + len - 4, "term") == 0;
}

int xtars_policy_is_terminal(const char *wm_instance, const char *wm_class)
{
    return terminal_name(wm_instance) || terminal_name(wm_class);
}

static const char *const mode_names[] = {"default", "strict"};

const char *xtars_policy_mode_name(enum xtars_policy_mode mode)
{
    return (unsigned)mode <= XTARS_POLICY_MODE_STRICT ? mode_names[mode] : "?";
}

/* ---- one possible line ---- */

static void line_free(struct line *l)
{
    free(l->text);
    free(l->kill);
    memset(l, 0, sizeof *l);
}

static int line_copy(struct line *dst, const struct line *src)
{
    *dst = *src;
    dst->text = src->text ? strdup(src->text) : NULL;
    dst->cap = src->text ? src->len + 1 : 0;
    dst->kill = src->kill ? strdup(src->kill) : NULL;
    if ((src->text && !dst->text) || (src->kill && !dst->kill)) {
        line_free(dst);
        return -1;
    }
    return 0;
}

static int line_equal(const struct line *a, const struct line *b)
{
    return a->len == b->len && a->cursor == b->cursor && a->flags == b->flags &&
           (a->len == 0 || memcmp(a->text, b->text, a->len) == 0) &&
           strcmp(a->kill ? a->kill : "", b->kill ? b->kill : "") == 0;
}

/* Clears the line (an Enter, ctrl+c); the kill ring survives, as in readline. */
static void line_clear(struct line *l)
{
    free(l->text);
    l->text = NULL;
    l->len = l->cursor = l->cap = 0;
    l->flags = 0;
}

static int line_insert(struct line *l, const char *s, size_t n)
{
    char *grown;

    if (n == 0)
        return 0;
    if (l->len + n > LINE_CAP) {
        l->flags |= LINE_OVERFLOW;
        return 0;
    }
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        while (cap < l->len + n + 1)
            cap *= 2;
        if ((grown = realloc(l->text, cap)) == NULL)
            return -1;
        l->text = grown;
        l->cap = cap;
    }
    memmove(l->text + l->cursor + n, l->text + l->cursor, l->len - l->cursor);
    memcpy(l->text + l->cursor, s, n);
    l->len += n;
    l->cursor += n;
    l->text[l->len] = '\0';
    return 0;
}

/* Removes [from, to); with kill, it becomes what ctrl+y yanks. */
static int line_cut(struct line *l, size_t from, size_t to, int kill)
{
    if (to <= from)
        return 0;
    if (kill) {
        char *saved = malloc(to - from + 1);
        if (saved == NULL)
            return -1;
        memcpy(saved, l->text + from, to - from);
        saved[to - from] = '\0';
        free(l->kill);
        l->kill = saved;
    }
    memmove(l->text + from, l->text + to, l->len - to + 1);
    l->len -= to - from;
    if (l->cursor >= to)
        l->cursor -= to - from;
    else if (l->cursor > from)
        l->cursor = from;
    return 0;
}

static size_t char_before(const struct line *l, size_t at)
{
    while (at > 0 && ((unsigned char)l->text[--at] & 0xc0) == 0x80)
        ;
    return at;
}

static size_t char_after(const struct line *l, size_t at)
{
    if (at < l->len)
        at++;
    while (at < l->len && ((unsigned char)l->text[at] & 0xc0) == 0x80)
        at++;
    return at;
}

/* readline's unix-word-rubout (ctrl+w): back over spaces, then non-spaces. */
static size_t word_before(const struct line *l)
{
    size_t at = l->cursor;

    while (at > 0 && isspace((unsigned char)l->text[at - 1]))
        at--;
    while (at > 0 && !isspace((unsigned char)l->text[at - 1]))
        at--;
    return at;
}

/* ---- a window: the set of possible lines ---- */

static void window_free(struct window *w)
{
    for (int i = 0; i < w->count; i++)
        line_free(&w->lines[i]);
    w->count = 0;
}

static int window_copy(struct window *dst, const struct window *src)
{
    *dst = *src;
    dst->count = 0;
    for (int i = 0; i < src->count; i++) {
        if (line_copy(&dst->lines[i], &src->lines[i]) != 0) {
            window_free(dst);
            return -1;
        }
        dst->count++;
    }
    return 0;
}

/* Moves src's lines into dst, dropping duplicates; past LINES_MAX the
 * window is marked lost. src is left empty. */
static void window_merge(struct window *dst, struct window *src)
{
    for (int i = 0; i < src->count; i++) {
        int duplicate = 0;
        for (int k = 0; k < dst->count && !duplicate; k++)
            duplicate = line_equal(&dst->lines[k], &src->lines[i]);
        if (duplicate || dst->count == LINES_MAX) {
            dst->lost |= !duplicate;
            line_free(&src->lines[i]);
            continue;
        }
        dst->lines[dst->count++] = src->lines[i];
    }
    dst->lost |= src->lost;
    src->count = 0;
}

/* ---- checking a line that is about to be submitted ---- */

/* Bash's history expansion (`!!`, `!rm`, `!-2`) runs a line from the
 * history, which this policy never sees. */
static int expands_history(const char *s, size_t len)
{
    int single = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && !single) {
            i++;
        } else if (s[i] == '\'') {
            single = !single;
        } else if (s[i] == '!' && !single && i + 1 < len &&
                   !strchr(" \t\n=(", s[i + 1])) {
            return 1;
        } else if (s[i] == '^' && i == 0) {
            return 1; /* ^old^new: the previous line, edited */
        }
    }
    return 0;
}

static void check_line(struct check *c, const struct line *l, int lost)
{
    struct xtars_action typed;

    if (c->terminal && (l->flags & LINE_UNKNOWN))
        verdict(c, XTARS_POLICY_CONFIRM, "a terminal line holding text the policy cannot see "
                "(history recall, completion or editing keys) would run");
    if (l->flags & LINE_OVERFLOW)
        verdict(c, XTARS_POLICY_CONFIRM, "a line too long to check would be submitted");
    if (c->terminal && lost)
        verdict(c, XTARS_POLICY_CONFIRM, "too many possible lines to check before this Enter");
    if (l->len == 0)
        return;
    if (c->terminal && expands_history(l->text, l->len))
        verdict(c, XTARS_POLICY_CONFIRM, "a line that recalls shell history (!) would run");
    memset(&typed, 0, sizeof typed);
    typed.type = XTARS_ACTION_TYPE;
    typed.text = l->text;
    check_action(c, &typed, " (in the line this would submit)");
}

/* Every possible line empty (Enter, ctrl+c): outcomes dropped earlier were
 * cleared too, and only distinct kill rings remain. */
static void clear_lines(struct window *w)
{
    struct window cleared = *w;

    for (int i = 0; i < w->count; i++)
        line_clear(&cleared.lines[i]);
    w->count = 0;
    w->lost = 0;
    cleared.lost = 0;
    window_merge(w, &cleared);
}

static void submit(struct check *c)
{
    if (c->st->mode == XTARS_POLICY_MODE_STRICT && c->terminal)
        verdict(c, XTARS_POLICY_CONFIRM, "strict policy mode: Enter in a terminal window");
    for (int i = 0; i < c->work.count; i++)
        check_line(c, &c->work.lines[i], c->work.lost);
    clear_lines(&c->work);
}

/* ---- keys ---- */

static unsigned modifier_bit(const char *key)
{
    return strcmp(key, "ctrl") == 0    ? MOD_CTRL
           : strcmp(key, "alt") == 0   ? MOD_ALT
           : strcmp(key, "shift") == 0 ? MOD_SHIFT
           : strcmp(key, "super") == 0 ? MOD_SUPER
                                       : 0;
}

/* What Shift makes of an ASCII character on a US layout (the layout xtars
 * binds its keysyms with; other layouts differ only in symbols). */
static char shifted(char ch)
{
    static const char plain[] = "`1234567890-=[]\\;',./";
    static const char shift[] = "~!@#$%^&*()_+{}|:\"<>?";
    const char *p;

    if (ch >= 'a' && ch <= 'z')
        return (char)(ch - 'a' + 'A');
    if (ch != '\0' && (p = strchr(plain, ch)) != NULL)
        return shift[p - plain];
    return ch;
}

static int single_char(const char *key)
{
    size_t len = strlen(key);
    unsigned char b = (unsigned char)key[0];

    return len > 0 && len == (b < 0x80 ? 1u : b < 0xe0 ? 2u : b < 0xf0 ? 3u : 4u);
}

static int is(const char *key, const char *name) { return strcmp(key, name) == 0; }

static void each_line_insert(struct check *c, const char *s, size_t n)
{
    for (int i = 0; i < c->work.count; i++)
        if (line_insert(&c->work.lines[i], s, n) != 0)
            c->oom = 1;
}

static void each_line_flag(struct check *c, unsigned flag)
{
    for (int i = 0; i < c->work.count; i++)
        c->work.lines[i].flags |= flag;
}

/* Tab: a shell completes the word, or (ambiguous) inserts nothing; as a glob
 * "*" the completed word matches every name it could become, and "* " also
 * covers the space a unique completion adds. */
static void tab(struct check *c)
{
    struct window spaced;

    if (window_copy(&spaced, &c->work) != 0) {
        c->oom = 1;
        return;
    }
    each_line_insert(c, "*", 1);
    for (int i = 0; i < spaced.count; i++)
        if (line_insert(&spaced.lines[i], "* ", 2) != 0)
            c->oom = 1;
    window_merge(&c->work, &spaced);
}

static void feed_text(struct check *c, const char *text, unsigned mods, int typed);

static const char *selection_text(struct check *c, enum xtars_policy_selection which)
{
    static const char *const names[] = {"clipboard", "primary selection"};
    char err[XTARS_ERRLEN], why[200];

    /* no rule could match what a paste inserts (policy=none): nothing to read */
    if (c->st->policy == NULL || xtars_policy_rule_count(c->st->policy) == 0)
        return NULL;
    if (!c->selection_read[which]) {
        c->selection_read[which] = 1;
        err[0] = '\0';
        if (c->in->read_selection == NULL ||
            c->in->read_selection(c->in->read_data, which, &c->selection[which], err) != XTARS_OK) {
            free(c->selection[which]);
            c->selection[which] = NULL;
            snprintf(why, sizeof why, "a paste of the %s, which could not be read%s%.150s",
                     names[which], err[0] ? ": " : "", err);
            verdict(c, XTARS_POLICY_CONFIRM, why);
        }
    }
    return c->selection[which];
}

/* A paste key or middle click: the application may paste (any of the
 * selections given) or not, and a shell may take the text as keys (each
 * newline runs a line) or, with bracketed paste (bash >= 5.1 by default), as
 * one block of text that the next Enter runs whole, newlines included, and
 * that Backspace can join back into one line. Every outcome is kept. */
static void paste(struct check *c, int clipboard, int primary)
{
    struct window outcomes;
    int wanted[2] = {clipboard, primary};

    if (c->st->mode == XTARS_POLICY_MODE_STRICT && c->terminal)
        verdict(c, XTARS_POLICY_CONFIRM, "strict policy mode: paste into a terminal window");
    memset(&outcomes, 0, sizeof outcomes);
    for (int which = 0; which < 2 && !c->oom; which++) {
        const char *text = wanted[which] ? selection_text(c, (enum xtars_policy_selection)which) : NULL;
        struct xtars_action pasted;
        struct window before, block;
        if (text == NULL || text[0] == '\0')
            continue;
        memset(&pasted, 0, sizeof pasted);
        pasted.type = XTARS_ACTION_TYPE;
        pasted.text = (char *)text;
        check_action(c, &pasted, which ? " (in the primary selection a paste would insert)"
                                       : " (in the clipboard a paste would insert)");
        if (window_copy(&before, &c->work) != 0) {
            c->oom = 1;
            break;
        }
        if (window_copy(&block, &c->work) != 0) {
            window_free(&before);
            c->oom = 1;
            break;
        }
        for (int i = 0; i < block.count; i++)
            if (line_insert(&block.lines[i], text, strlen(text)) != 0)
                c->oom = 1;
        window_merge(&outcomes, &block);
        feed_text(c, text, 0, 0); /* c->work: the text as keys */
        window_merge(&outcomes, &c->work);
        c->work = before;         /* back to the state before the paste */
    }
    window_merge(&c->work, &outcomes); /* not pasted, and each paste */
}

/* One key press with the modifiers in effect. insert: what it types when it
 * is a character (a typed character's own text), else NULL. */
static void key_event(struct check *c, const char *key, const char *insert, unsigned mods)
{
    unsigned command = mods & (MOD_CTRL | MOD_ALT | MOD_SUPER);
    char ch = single_char(key) && (unsigned char)key[0] < 0x80 ? key[0] : '\0';

    if (is(key, "enter") || (mods == MOD_CTRL && ch && strchr("mjo", ch))) {
        submit(c); /* ctrl+o: readline's operate-and-get-next also runs the line */
    } else if ((command == MOD_CTRL && ch == 'v') || ((mods & ~MOD_CTRL) == MOD_SHIFT && is(key, "insert"))) {
        paste(c, 1, is(key, "insert"));
    } else if (command == 0 && (is(key, "tab"))) {
        tab(c);
    } else if (mods == MOD_CTRL && ch == 'i') {
        tab(c);
    } else if (command == MOD_CTRL && (ch == 'c' || ch == 'l' || ch == 'g') && (mods & MOD_SHIFT)) {
        /* ctrl+shift+c copies in terminals; nothing happens to the line */
    } else if (command == MOD_CTRL && ch == 'c') {
        clear_lines(&c->work);
    } else if (command == MOD_CTRL && (ch == 'l' || ch == 'g')) {
        /* redraw, abort a search: the line stays */
    } else if ((command == 0 && (mods == 0 || mods == MOD_SHIFT) && is(key, "backspace")) ||
               (mods == MOD_CTRL && ch == 'h')) {
        for (int i = 0; i < c->work.count; i++) {
            struct line *l = &c->work.lines[i];
            if (line_cut(l, char_before(l, l->cursor), l->cursor, 0) != 0)
                c->oom = 1;
        }
    } else if ((mods == 0 && is(key, "delete")) || (mods == MOD_CTRL && ch == 'd')) {
        for (int i = 0; i < c->work.count; i++) {
            struct line *l = &c->work.lines[i];
            if (line_cut(l, l->cursor, char_after(l, l->cursor), 0) != 0)
                c->oom = 1;
        }
    } else if ((mods == 0 && (is(key, "left") || is(key, "right") || is(key, "home") || is(key, "end"))) ||
               (mods == MOD_CTRL && ch && strchr("bfae", ch))) {
        for (int i = 0; i < c->work.count; i++) {
            struct line *l = &c->work.lines[i];
            if (is(key, "left") || ch == 'b')
                l->cursor = char_before(l, l->cursor);
            else if (is(key, "right") || ch == 'f')
                l->cursor = char_after(l, l->cursor);
            else
                l->cursor = is(key, "home") || ch == 'a' ? 0 : l->len;
        }
    } else if (mods == MOD_CTRL && ch && strchr("ukw", ch)) {
        for (int i = 0; i < c->work.count; i++) {
            struct line *l = &c->work.lines[i];
            size_t from = ch == 'u' ? 0 : ch == 'w' ? word_before(l) : l->cursor;
            size_t to = ch == 'k' ? l->len : l->cursor;
            if (line_cut(l, from, to, 1) != 0)
                c->oom = 1;
        }
    } else if (mods == MOD_CTRL && ch == 'y') {
        for (int i = 0; i < c->work.count; i++) {
            struct line *l = &c->work.lines[i];
            if (l->kill && line_insert(l, l->kill, strlen(l->kill)) != 0)
                c->oom = 1;
        }
    } else if (command == 0 && (single_char(key) || is(key, "space"))) {
        /* a character: its own text when typed, else the key's (Shift applied) */
        char one[2] = {is(key, "space") ? ' ' : ch, '\0'};
        const char *text = insert ? insert : ch || is(key, "space") ? one : key;
        if ((mods & MOD_SHIFT) && text[0] && !text[1])
            one[0] = shifted(text[0]), one[1] = '\0', text = one;
        each_line_insert(c, text, strlen(text));
    } else if (is(key, "printscreen") || modifier_bit(key)) {
        /* a screenshot key, or a modifier alone: nothing reaches the line */
    } else {
        /* history (up, down, page keys), escape sequences (esc, alt+x, f-keys),
         * other ctrl combinations: the line is no longer what we know */
        each_line_flag(c, LINE_UNKNOWN);
    }
}

static unsigned held_mods(const struct check *c)
{
    unsigned mods = 0;

    for (int i = 0; i < c->held_count; i++)
        mods |= modifier_bit(c->held[i]);
    return mods;
}

/* The combination the server sees: the modifiers held plus these keys, as
 * one hotkey for the rules (ctrl+alt+delete made of key_down(ctrl),
 * key_down(alt), hotkey(delete)). */
static void check_chord(struct check *c, const char (*keys)[XTARS_KEY_NAME_LEN], int count)
{
    struct xtars_action chord;

    memset(&chord, 0, sizeof chord);
    chord.type = XTARS_ACTION_HOTKEY;
    for (int i = 0; i < c->held_count; i++)
        if (modifier_bit(c->held[i]) && chord.key_count < XTARS_ACTION_MAX_KEYS)
            memcpy(chord.keys[chord.key_count++], c->held[i], XTARS_KEY_NAME_LEN);
    for (int i = 0; i < count && chord.key_count < XTARS_ACTION_MAX_KEYS; i++) {
        int dup = 0;
        for (int k = 0; k < chord.key_count && !dup; k++)
            dup = strcmp(chord.keys[k], keys[i]) == 0;
        if (!dup)
            memcpy(chord.keys[chord.key_count++], keys[i], XTARS_KEY_NAME_LEN);
    }
    check_action(c, &chord, " (with the keys held)");
}

/* Typed or pasted text, character by character. typed: the executor's text
 * (control characters are keys: "\n" Enter, "\t" Tab, "\b" BackSpace...);
 * mods: modifiers held meanwhile (a held ctrl turns "u" into ctrl+u). */
static void feed_text(struct check *c, const char *text, unsigned mods, int typed)
{
    for (size_t i = 0; text[i] && !c->oom;) {
        unsigned char b = (unsigned char)text[i];
        size_t n = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        char one[5] = {0}, name[XTARS_KEY_NAME_LEN] = {0};
        const char *named;

        for (size_t k = 0; k < n && text[i + k]; k++)
            one[k] = text[i + k];
        i += strlen(one) + (b == '\r' && text[i + 1] == '\n');
        named = b == '\n' || b == '\r' ? "enter" : b == '\t' ? "tab" : b == '\b' ? "backspace"
                : b == 0x1b ? "esc" : b == 0x7f ? "delete" : NULL;
        snprintf(name, sizeof name, "%s", named ? named : b == ' ' ? "space" : one);
        if (b >= 'A' && b <= 'Z')
            name[0] = (char)(b - 'A' + 'a'); /* the key; Shift is the executor's business */
        if (typed && (mods & (MOD_CTRL | MOD_ALT | MOD_SUPER))) {
            char chord[1][XTARS_KEY_NAME_LEN];
            memcpy(chord[0], name, sizeof name);
            check_chord(c, (const char (*)[XTARS_KEY_NAME_LEN])chord, 1);
        }
        key_event(c, name, named ? NULL : one, mods);
    }
}

/* hotkey() presses its keys in order and releases them; key_down() leaves
 * them held. Each key that is not a modifier is one press. */
static void press_keys(struct check *c, const struct xtars_action *a, int stays)
{
    unsigned mods = held_mods(c);

    if (stays || mods)
        check_chord(c, (const char (*)[XTARS_KEY_NAME_LEN])a->keys, a->key_count);
    for (int i = 0; i < a->key_count && !c->oom; i++) {
        unsigned bit = modifier_bit(a->keys[i]);
        int already = 0;
        for (int k = 0; k < c->held_count && !already; k++)
            already = strcmp(c->held[k], a->keys[i]) == 0;
        if (bit)
            mods |= bit;
        else if (!already) /* a held key pressed again sends nothing */
            key_event(c, a->keys[i], NULL, mods);
        if (stays && !already && c->held_count < HELD_MAX)
            memcpy(c->held[c->held_count++], a->keys[i], XTARS_KEY_NAME_LEN);
    }
}

static void release_keys(struct check *c, const struct xtars_action *a)
{
    for (int i = 0; i < a->key_count; i++)
        for (int k = 0; k < c->held_count; k++)
            if (strcmp(c->held[k], a->keys[i]) == 0) {
                memmove(c->held[k], c->held[k + 1], (size_t)(c->held_count - k - 1) * sizeof c->held[0]);
                c->held_count--;
                break;
            }
}

/* A click may move the text cursor to a new, empty field, or do nothing to
 * the line (a terminal): both are kept. */
static void click(struct check *c)
{
    struct window reset;

    if (window_copy(&reset, &c->work) != 0) {
        c->oom = 1;
        return;
    }
    for (int i = 0; i < reset.count; i++)
        line_clear(&reset.lines[i]);
    window_merge(&c->work, &reset);
}

static void replay(struct check *c, const struct xtars_action *a)
{
    int middle = a->type == XTARS_ACTION_MIDDLE_CLICK ||
                 (a->type == XTARS_ACTION_MOUSE_DOWN && a->button == XTARS_BUTTON_MIDDLE);

    switch (a->type) {
    case XTARS_ACTION_TYPE:
        feed_text(c, a->text ? a->text : "", held_mods(c), 1);
        break;
    case XTARS_ACTION_HOTKEY:
        press_keys(c, a, 0);
        break;
    case XTARS_ACTION_KEY_DOWN:
        press_keys(c, a, 1);
        break;
    case XTARS_ACTION_KEY_UP:
        release_keys(c, a);
        break;
    case XTARS_ACTION_CLICK:
    case XTARS_ACTION_DOUBLE_CLICK:
    case XTARS_ACTION_RIGHT_CLICK:
    case XTARS_ACTION_MIDDLE_CLICK:
    case XTARS_ACTION_DRAG:
    case XTARS_ACTION_MOUSE_DOWN:
        click(c);
        if (middle || a->type == XTARS_ACTION_DRAG) /* a drag may drop the selected text */
            paste(c, 0, 1);
        break;
    case XTARS_ACTION_HOVER:
    case XTARS_ACTION_SCROLL:
    case XTARS_ACTION_MOUSE_UP:
    case XTARS_ACTION_WAIT:
    case XTARS_ACTION_FINISHED:
    case XTARS_ACTION_CALL_USER:
        break;
    default: /* a kind added later: its keys are pressed, its text typed */
        if (a->key_count > 0)
            press_keys(c, a, 0);
        if (a->text)
            feed_text(c, a->text, held_mods(c), 1);
        break;
    }
}

/* ---- the state ---- */

xtars_err xtars_policy_state_new(const struct xtars_policy *policy, enum xtars_policy_mode mode,
                                 struct xtars_policy_state **out, char *err)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return xtars_error(err, XTARS_ENOMEM, "policy: out of memory");
    (*out)->policy = policy;
    (*out)->mode = mode;
    return XTARS_OK;
}

void xtars_policy_state_free(struct xtars_policy_state *st)
{
    if (st == NULL)
        return;
    for (int i = 0; i < WINDOWS_MAX; i++)
        window_free(&st->windows[i]);
    free(st);
}

void xtars_policy_state_released(struct xtars_policy_state *st)
{
    if (st)
        st->held_count = 0;
}

/* The window's slot: found, free, or the least recently used one recycled. */
static struct window *window_slot(struct xtars_policy_state *st, unsigned long id)
{
    struct window *oldest = &st->windows[0];

    for (int i = 0; i < WINDOWS_MAX; i++) {
        struct window *w = &st->windows[i];
        if (w->used && w->id == id)
            return w;
        if (!w->used || (oldest->used && w->last_use < oldest->last_use))
            oldest = w;
    }
    window_free(oldest);
    memset(oldest, 0, sizeof *oldest);
    oldest->used = 1;
    oldest->id = id;
    oldest->count = 1; /* one empty line */
    return oldest;
}

enum xtars_policy_effect xtars_policy_state_check(struct xtars_policy_state *st,
                                                  const struct xtars_action *action,
                                                  const struct xtars_policy_input *input,
                                                  char *reason, size_t reason_size)
{
    static const struct xtars_policy_input none;
    struct check c;
    struct window *slot;

    memset(&c, 0, sizeof c);
    c.st = st;
    c.in = input ? input : &none;
    c.terminal = xtars_policy_is_terminal(c.in->wm_instance, c.in->wm_class);
    check_action(&c, action, "");
    slot = window_slot(st, c.in->window);
    slot->last_use = ++st->clock;
    memcpy(c.held, st->held, sizeof c.held);
    c.held_count = st->held_count;
    if (window_copy(&c.work, slot) != 0)
        c.oom = 1;
    else
        replay(&c, action);
    if (c.oom)
        verdict(&c, XTARS_POLICY_DENY, "out of memory while following the input");
    if (c.effect == XTARS_POLICY_CONFIRM && c.in->confirm &&
        c.in->confirm(action, c.reason, c.in->confirm_data))
        c.effect = XTARS_POLICY_ALLOW;
    if (c.effect == XTARS_POLICY_ALLOW) {
        window_free(slot);
        *slot = c.work; /* the action will be performed: this is the state now */
        memcpy(st->held, c.held, sizeof st->held);
        st->held_count = c.held_count;
    } else {
        window_free(&c.work);
    }
    free(c.selection[0]);
    free(c.selection[1]);
    if (reason && reason_size)
        snprintf(reason, reason_size, "%s", c.effect == XTARS_POLICY_ALLOW ? "" : c.reason);
    return c.effect;
}
