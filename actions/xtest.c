/* xtest.c: the XTest backend, the only place xtars generates input. Keys are
 * found in the live XKB map (current group, shift and AltGr levels); a
 * character the layout lacks is bound to a spare keycode (one with no
 * symbols), the technique xdotool uses, with every binding of a chunk of text
 * made before its keys are sent. Bindings outlive the action: later actions
 * reuse them, and they are undone, after one settle pause, only when the
 * spare keycodes run out, by release_all() and on free. Everything pressed is
 * tracked so it can always be released, and no key it holds auto-repeats
 * (per-key auto-repeat is off while it is down). Must never leave a key or a
 * button behind on any path it returns from, nor a binding or a key's
 * auto-repeat turned off once release_all() or free has run. */
#include <X11/XKBlib.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/xerror.h"
#include "actions/keysym.h"
#include "backend.h"

#define MAX_HELD 32
#define NKEYCODES 256

enum { NEED_SHIFT = 1, NEED_LEVEL3 = 2 };

struct sym_entry {
    unsigned long keysym;
    unsigned char keycode;
    unsigned char needs;  /* NEED_SHIFT | NEED_LEVEL3 */
    unsigned char level;
};

struct plan {
    KeyCode keycode;
    unsigned char needs;
};

struct held_key {
    unsigned long keysym;
    KeyCode keycode;
    KeyCode mods[2];       /* modifier keys pressed for it (not held before) */
    int mod_count;
    int repeat_off;        /* this executor turned the key's auto-repeat off */
};

struct binding {
    KeyCode keycode;
    unsigned long keysym;
    int held;              /* used by a held key: kept until it is released */
};

/* Bindings are checked against each new snapshot: a client that rewrote the
 * keycode (setxkbmap, xmodmap) took it over, and it is forgotten, not undone. */

struct xt {
    Display *dpy;
    char display_name[128];  /* for messages */
    struct xtars_xconn conn; /* conn.dead: the server went away (xerror.h) */
    int screen;
    int key_delay_ms;
    const atomic_int *stop;
    void (*note)(void *note_data, const char *line);
    void *note_data;

    /* what this executor holds */
    unsigned char down[NKEYCODES / 8];
    KeyCode down_order[NKEYCODES];
    int down_count;
    unsigned buttons;
    struct held_key held[MAX_HELD];
    int held_count;
    struct binding bound[NKEYCODES];
    int bound_count;
    int relock_caps;
    Window clicked_toplevel; /* top-level window of the last click, until keys follow it */
    double clicked_at;       /* when (exec_now_ms) */
    unsigned char listed[NKEYCODES / 8]; /* keycodes this executor put in the registry */
    unsigned listed_buttons;             /* and buttons */
    unsigned char published_down[NKEYCODES / 8]; /* keys down when last listed */
    unsigned published_buttons;                  /* buttons down when last listed */

    /* keymap snapshot, taken at the start of each action */
    int have_snapshot;
    struct sym_entry *table;
    int table_count;
    unsigned char modmap[NKEYCODES];
    KeyCode shift_keycode, level3_keycode;
    KeyCode spare[NKEYCODES];
    int spare_count;
};

/* ---- X errors: trapped (agent/base/xerror.h) only around requests that can
 * fail on a valid connection (keyboard mapping changes, windows that may
 * vanish). A server that goes away marks x->conn dead; the action then fails
 * with a message and the loop can record what happened; nothing is sent to a
 * dead connection afterwards. ---- */

static xtars_err sync_checked(struct xt *x, const char *what, char *err)
{
    struct xtars_xtrap trap;
    int code;

    xtars_xtrap_begin(&trap, x->dpy);
    code = xtars_xtrap_end(&trap, 1);
    if (code != 0)
        return xtars_error(err, XTARS_EX11, "exec: X error %d while %s", code, what);
    return XTARS_OK;
}

static xtars_err dead_error(const struct xt *x, char *err)
{
    return xtars_error(err, XTARS_EDISPLAY,
                       "exec: lost the connection to the X server on display %s (it exited or was "
                       "killed)", x->display_name);
}

/* ---- keys and buttons held ---- */

static int is_down(const struct xt *x, KeyCode kc) { return x->down[kc / 8] >> (kc % 8) & 1; }

static void send_key(struct xt *x, KeyCode kc, int down)
{
    XTestFakeKeyEvent(x->dpy, kc, down ? True : False, CurrentTime);
    if (down && !is_down(x, kc)) {
        x->down[kc / 8] |= (unsigned char)(1u << (kc % 8));
        x->down_order[x->down_count++] = kc;
    } else if (!down && is_down(x, kc)) {
        x->down[kc / 8] &= (unsigned char)~(1u << (kc % 8));
        for (int i = 0; i < x->down_count; i++) {
            if (x->down_order[i] == kc) {
                memmove(&x->down_order[i], &x->down_order[i + 1],
                        (size_t)(x->down_count - i - 1) * sizeof x->down_order[0]);
                x->down_count--;
                break;
            }
        }
    }
}

/* ---- keymap snapshot ---- */

static void free_snapshot(struct xt *x)
{
    free(x->table);
    x->table = NULL;
    x->table_count = 0;
    x->spare_count = 0;
    x->have_snapshot = 0;
}

/* The modifier keys xtars can press to reach a level: Shift and, when the
 * layout has one, the ISO_Level3_Shift (AltGr) key. */
static void find_modifier_keys(struct xt *x, XkbDescPtr xkb, int group,
                               unsigned *level3_mask)
{
    x->shift_keycode = x->level3_keycode = 0;
    *level3_mask = 0;
    for (int kc = xkb->min_key_code; kc <= xkb->max_key_code; kc++) {
        int groups = XkbKeyNumGroups(xkb, kc);
        KeySym sym;

        if (groups == 0)
            continue;
        sym = XkbKeySymEntry(xkb, kc, 0, group % groups);
        if (sym == XK_Shift_L && !x->shift_keycode && (xkb->map->modmap[kc] & ShiftMask))
            x->shift_keycode = (KeyCode)kc;
        if (sym == XK_ISO_Level3_Shift && !x->level3_keycode && xkb->map->modmap[kc]) {
            x->level3_keycode = (KeyCode)kc;
            *level3_mask = xkb->map->modmap[kc];
        }
    }
}

/* Which modifier keys reach `level` of a key of this type, or -1 when it
 * needs something else (Lock, NumLock, Control...). */
static int level_needs(const struct xt *x, XkbKeyTypePtr type, int level, unsigned level3_mask)
{
    if (level == 0)
        return 0;
    for (int i = 0; i < type->map_count; i++) {
        const XkbKTMapEntryRec *entry = &type->map[i];
        unsigned mask = entry->mods.mask;

        if (!entry->active || entry->level != level)
            continue;
        if (mask == ShiftMask && x->shift_keycode)
            return NEED_SHIFT;
        if (level3_mask && mask == level3_mask && x->level3_keycode)
            return NEED_LEVEL3;
        if (level3_mask && mask == (ShiftMask | level3_mask) && x->shift_keycode &&
            x->level3_keycode)
            return NEED_SHIFT | NEED_LEVEL3;
    }
    return -1;
}

static int compare_entries(const void *pa, const void *pb)
{
    const struct sym_entry *a = pa, *b = pb;

    if (a->keysym != b->keysym)
        return a->keysym < b->keysym ? -1 : 1;
    if (a->needs != b->needs) /* fewer modifiers first */
        return __builtin_popcount(a->needs) - __builtin_popcount(b->needs);
    if (a->level != b->level)
        return a->level - b->level;
    return a->keycode - b->keycode;
}

static void registry_publish(struct xt *x);

static int is_bound(const struct xt *x, KeyCode kc)
{
    for (int i = 0; i < x->bound_count; i++)
        if (x->bound[i].keycode == kc)
            return 1;
    return 0;
}

static xtars_err build_table(struct xt *x, XkbDescPtr xkb, int group, char *err)
{
    unsigned level3_mask;
    size_t cap = 0;

    find_modifier_keys(x, xkb, group, &level3_mask);
    for (int kc = xkb->min_key_code; kc <= xkb->max_key_code; kc++)
        cap += XkbKeyGroupsWidth(xkb, kc);
    x->table = calloc(cap + 1, sizeof *x->table);
    if (x->table == NULL)
        return xtars_error(err, XTARS_ENOMEM, "exec: out of memory");
    for (int kc = xkb->min_key_code; kc <= xkb->max_key_code; kc++) {
        int groups = XkbKeyNumGroups(xkb, kc), g;
        XkbKeyTypePtr type;

        /* Our own bindings are found through x->bound: the table lives for
         * the action, and a binding can be undone and its keycode reused
         * within it (text with more missing characters than spares). */
        if (groups == 0 || is_bound(x, (KeyCode)kc))
            continue;
        g = group % groups; /* XKB's default: out-of-range groups wrap */
        type = XkbKeyKeyType(xkb, kc, g);
        for (int level = 0; level < type->num_levels && (size_t)x->table_count < cap; level++) {
            KeySym sym = XkbKeySymEntry(xkb, kc, level, g);
            int needs = level_needs(x, type, level, level3_mask);
            if (sym == NoSymbol || needs < 0)
                continue;
            x->table[x->table_count++] = (struct sym_entry){sym, (unsigned char)kc,
                                                            (unsigned char)needs,
                                                            (unsigned char)level};
        }
    }
    qsort(x->table, (size_t)x->table_count, sizeof *x->table, compare_entries);
    return XTARS_OK;
}

/* Forgets the bindings whose keycode no longer carries their keysym. */
static void drop_lost_bindings(struct xt *x, XkbDescPtr xkb)
{
    int kept = 0;

    for (int i = 0; i < x->bound_count; i++) {
        const struct binding *b = &x->bound[i];
        int kc = b->keycode, ours = kc >= xkb->min_key_code && kc <= xkb->max_key_code &&
                                    XkbKeyNumGroups(xkb, kc) > 0 &&
                                    XkbKeySymEntry(xkb, kc, 0, 0) == (KeySym)b->keysym;
        if (ours || b->held) /* a held key is released on its keycode either way */
            x->bound[kept++] = *b;
    }
    if (kept != x->bound_count) {
        x->bound_count = kept;
        registry_publish(x);
    }
}

/* Spare keycodes: no symbols in any group, not a modifier, not pressed.
 * Listed upwards and taken from the end, so the highest are used first: low
 * keycodes are more likely to gain meaning (keycode 8 is never used). */
static void find_spares(struct xt *x, XkbDescPtr xkb, const char *keys_down)
{
    x->spare_count = 0;
    for (int kc = xkb->min_key_code > 9 ? xkb->min_key_code : 9; kc <= xkb->max_key_code; kc++) {
        int pressed = keys_down[kc / 8] >> (kc % 8) & 1;
        if (XkbKeyNumGroups(xkb, kc) == 0 && XkbKeyNumSyms(xkb, kc) == 0 &&
            xkb->map->modmap[kc] == 0 && !pressed && !is_bound(x, (KeyCode)kc))
            x->spare[x->spare_count++] = (KeyCode)kc;
    }
}

/* Reads the keymap once per action, when the action first needs it (pointer
 * actions usually never do). */
static xtars_err ensure_snapshot(struct xt *x, char *err)
{
    XkbDescPtr xkb;
    XkbStateRec state;
    char keys_down[32] = {0};
    int group = 0;
    xtars_err rc;

    if (x->conn.dead)
        return dead_error(x, err);
    if (x->have_snapshot)
        return XTARS_OK;
    xkb = XkbGetMap(x->dpy, XkbKeyTypesMask | XkbKeySymsMask | XkbModifierMapMask,
                    XkbUseCoreKbd);
    if (xkb == NULL || xkb->map == NULL || xkb->map->modmap == NULL) {
        if (xkb)
            XkbFreeKeyboard(xkb, 0, True);
        if (x->conn.dead)
            return dead_error(x, err);
        return xtars_error(err, XTARS_EX11, "exec: cannot read the keyboard map");
    }
    if (XkbGetState(x->dpy, XkbUseCoreKbd, &state) == Success)
        group = state.group;
    XQueryKeymap(x->dpy, keys_down);
    memset(x->modmap, 0, sizeof x->modmap);
    for (int kc = xkb->min_key_code; kc <= xkb->max_key_code; kc++)
        x->modmap[kc] = xkb->map->modmap[kc];
    drop_lost_bindings(x, xkb);
    rc = build_table(x, xkb, group, err);
    if (rc == XTARS_OK)
        find_spares(x, xkb, keys_down);
    XkbFreeKeyboard(xkb, 0, True);
    x->have_snapshot = rc == XTARS_OK;
    return rc;
}

/* Legacy keysyms some layouts use for characters that also have a Unicode
 * keysym (the euro sign on AltGr+E in most European layouts). */
static unsigned long legacy_keysym(unsigned long keysym)
{
    return keysym == 0x10020ac ? XK_EuroSign : 0;
}

static int find_in_table(const struct xt *x, unsigned long keysym, struct plan *plan)
{
    int lo = 0, hi = x->table_count;

    while (lo < hi) { /* first entry >= keysym; the best one for it comes first */
        int mid = (lo + hi) / 2;
        if (x->table[mid].keysym < keysym)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == x->table_count || x->table[lo].keysym != keysym)
        return 0;
    plan->keycode = x->table[lo].keycode;
    plan->needs = x->table[lo].needs;
    return 1;
}

static struct binding *find_binding(struct xt *x, unsigned long keysym)
{
    for (int i = 0; i < x->bound_count; i++)
        if (x->bound[i].keysym == keysym)
            return &x->bound[i];
    return NULL;
}

static int find_plan(struct xt *x, unsigned long keysym, struct plan *plan)
{
    struct binding *b;

    if (find_in_table(x, keysym, plan))
        return 1;
    if (legacy_keysym(keysym) && find_in_table(x, legacy_keysym(keysym), plan))
        return 1;
    b = find_binding(x, keysym);
    if (b == NULL)
        return 0;
    plan->keycode = b->keycode;
    plan->needs = 0;
    return 1;
}

/* ---- focus after a click ----
 * Under a click-to-focus window manager a press makes the window manager
 * move the focus, asynchronously: keys sent right after a click (xtars act
 * click then type, several actions in one reply, replay) could reach the
 * window that had the focus before. So a press remembers the top-level window
 * under the pointer, and the next key waits (at most XTARS_EXEC_FOCUS_WAIT_MS)
 * until the focus is inside it. Without an EWMH window manager, or with the
 * focus following the pointer, nothing waits. */

static int wm_present(struct xt *x)
{
    Atom check = XInternAtom(x->dpy, "_NET_SUPPORTING_WM_CHECK", False), type;
    unsigned long count = 0, after;
    unsigned char *data = NULL;
    int format, ok;

    ok = XGetWindowProperty(x->dpy, RootWindow(x->dpy, x->screen), check, 0, 1, False, XA_WINDOW,
                            &type, &format, &count, &after, &data) == Success && count == 1;
    if (data)
        XFree(data);
    return ok;
}

static void note_click(struct xt *x)
{
    Window root, child = None;
    XWindowAttributes attr;
    int rx, ry, wx, wy;
    unsigned mask;

    x->clicked_toplevel = None;
    if (!wm_present(x) ||
        !XQueryPointer(x->dpy, RootWindow(x->dpy, x->screen), &root, &child, &rx, &ry, &wx, &wy,
                       &mask) ||
        child == None) /* a click on the desktop itself */
        return;
    /* Menus and tooltips (override-redirect) are never given the focus. */
    {
        struct xtars_xtrap trap;
        int ok;
        xtars_xtrap_begin(&trap, x->dpy); /* it may be gone already */
        ok = XGetWindowAttributes(x->dpy, child, &attr);
        if (xtars_xtrap_end(&trap, 0) != 0 || !ok || attr.override_redirect)
            return;
    }
    x->clicked_toplevel = child;
    x->clicked_at = exec_now_ms();
}

/* The child of the root that holds w (w itself for a top-level window). */
static Window toplevel_of(struct xt *x, Window w)
{
    Window root = RootWindow(x->dpy, x->screen);

    for (int depth = 0; w != None && depth < 64; depth++) {
        Window r, parent, *children = NULL;
        unsigned count;
        if (!XQueryTree(x->dpy, w, &r, &parent, &children, &count))
            return None;
        if (children)
            XFree(children);
        if (parent == root)
            return w;
        w = parent;
    }
    return None;
}

static int focus_settled(struct xt *x)
{
    Window focus = None;
    int revert;

    XGetInputFocus(x->dpy, &focus, &revert);
    if (focus == None || focus == PointerRoot)
        return 1; /* keys follow the pointer, or go nowhere: nothing to wait for */
    return toplevel_of(x, focus) == x->clicked_toplevel;
}

static void wait_for_click_focus(struct xt *x)
{
    double deadline;
    struct xtars_xtrap trap;

    deadline = x->clicked_at + XTARS_EXEC_FOCUS_WAIT_MS; /* keys long after a click wait not */
    if (x->clicked_toplevel == None || exec_now_ms() >= deadline) {
        x->clicked_toplevel = None;
        return;
    }
    xtars_xtrap_begin(&trap, x->dpy); /* windows may vanish meanwhile */
    while (!focus_settled(x) && exec_now_ms() < deadline && !x->conn.dead &&
           !(x->stop && *x->stop))
        exec_sleep_ms(2, NULL);
    xtars_xtrap_end(&trap, 1);
    x->clicked_toplevel = None;
}

/* ---- the bindings registry ----
 * Bindings live as long as the executor, so a process killed with SIGKILL
 * (a batch timeout, the OOM killer) would leave them behind for good, and
 * every such death would shrink the pool of spare keycodes on that display.
 * So each process lists its bindings on the root window, in the property
 * XTARS_BINDINGS_PROPERTY: CARDINAL triples (pid, keycode, keysym). A new
 * executor on a local display undoes the bindings of processes that no longer
 * exist, when the keycode still carries the keysym they bound. A held key
 * whose auto-repeat the process turned off is listed as (pid, keycode, 0):
 * its auto-repeat is turned on again. Keys and buttons still down at the end
 * of an action (key_down, mouse_down, held across steps) are listed as (pid,
 * keycode, REGISTRY_KEY_DOWN) and (pid, button, REGISTRY_BUTTON_DOWN): the
 * next executor releases them, so a killed xtars cannot leave Ctrl held on
 * the desktop. The markers are above every keysym (keysyms end at
 * 0x1fffffff). */

#define XTARS_BINDINGS_PROPERTY "_XTARS_KEY_BINDINGS"
#define MAX_REGISTRY 1024 /* triples */
#define REGISTRY_KEY_DOWN 0x7ffffff1L
#define REGISTRY_BUTTON_DOWN 0x7ffffff2L

/* Reads the registry into out (3 longs per entry); returns the entry count. */
static int registry_read(struct xt *x, long *out, int max)
{
    Atom atom = XInternAtom(x->dpy, XTARS_BINDINGS_PROPERTY, False), type;
    unsigned long count = 0, after;
    unsigned char *data = NULL;
    int format, n = 0;

    if (XGetWindowProperty(x->dpy, RootWindow(x->dpy, x->screen), atom, 0, 3 * max, False,
                           XA_CARDINAL, &type, &format, &count, &after, &data) == Success &&
        data && format == 32) {
        n = (int)(count / 3);
        memcpy(out, data, (size_t)n * 3 * sizeof(long)); /* format 32 arrives as longs */
    }
    if (data)
        XFree(data);
    return n;
}

static void registry_write(struct xt *x, const long *entries, int n)
{
    Window root = RootWindow(x->dpy, x->screen);
    Atom atom = XInternAtom(x->dpy, XTARS_BINDINGS_PROPERTY, False);

    if (n == 0)
        XDeleteProperty(x->dpy, root, atom);
    else
        XChangeProperty(x->dpy, root, atom, XA_CARDINAL, 32, PropModeReplace,
                        (const unsigned char *)entries, 3 * n);
}

/* Appends this executor's keys and buttons that are down; returns the new
 * entry count. */
static int publish_down(struct xt *x, long *entries, int kept, long pid)
{
    x->listed_buttons = 0;
    for (int i = 0; i < x->down_count && kept < MAX_REGISTRY; i++, kept++) {
        KeyCode kc = x->down_order[i];
        entries[3 * kept] = pid;
        entries[3 * kept + 1] = kc;
        entries[3 * kept + 2] = REGISTRY_KEY_DOWN;
        x->listed[kc / 8] |= (unsigned char)(1u << (kc % 8));
    }
    for (int number = 1; number < 32 && kept < MAX_REGISTRY; number++) {
        if (!(x->buttons & (1u << number)))
            continue;
        entries[3 * kept] = pid;
        entries[3 * kept + 1] = number;
        entries[3 * kept + 2] = REGISTRY_BUTTON_DOWN;
        x->listed_buttons |= 1u << number;
        kept++;
    }
    memcpy(x->published_down, x->down, sizeof x->down);
    x->published_buttons = x->buttons;
    return kept;
}

/* Replaces this executor's entries with its current bindings. Another
 * executor of the same process on the same display binds other keycodes (a
 * bound keycode is not spare), so entries are this executor's when they
 * carry this pid and a keycode it listed. */
static void registry_publish(struct xt *x)
{
    long *entries, pid = (long)getpid();
    int n, kept = 0;

    if (x->conn.dead || (entries = malloc(3 * MAX_REGISTRY * sizeof(long))) == NULL)
        return;
    n = registry_read(x, entries, MAX_REGISTRY);
    for (int i = 0; i < n; i++) {
        long kc = entries[3 * i + 1];
        int ours = entries[3 * i] == pid && kc >= 0 && kc < NKEYCODES &&
                   (entries[3 * i + 2] == REGISTRY_BUTTON_DOWN
                        ? kc < 32 && (x->listed_buttons >> kc & 1)
                        : (x->listed[kc / 8] >> (kc % 8) & 1));
        if (!ours) {
            memmove(&entries[3 * kept], &entries[3 * i], 3 * sizeof(long));
            kept++;
        }
    }
    memset(x->listed, 0, sizeof x->listed);
    for (int i = 0; i < x->bound_count + x->held_count && kept < MAX_REGISTRY; i++) {
        int binding = i < x->bound_count;
        const struct held_key *h = binding ? NULL : &x->held[i - x->bound_count];
        KeyCode kc = binding ? x->bound[i].keycode : h->keycode;
        if (h && !h->repeat_off)
            continue;
        entries[3 * kept] = pid;
        entries[3 * kept + 1] = kc;
        entries[3 * kept + 2] = binding ? (long)x->bound[i].keysym : 0;
        x->listed[kc / 8] |= (unsigned char)(1u << (kc % 8));
        kept++;
    }
    kept = publish_down(x, entries, kept, pid);
    registry_write(x, entries, kept);
    free(entries);
}

/* Turns the per-key auto-repeat of kc on or off. */
static void set_auto_repeat(struct xt *x, KeyCode kc, int on)
{
    XKeyboardControl control;

    control.key = kc;
    control.auto_repeat_mode = on ? AutoRepeatModeOn : AutoRepeatModeOff;
    XChangeKeyboardControl(x->dpy, KBKey | KBAutoRepeatMode, &control);
}

/* 1 if a live process other than entry `skip`'s also turned kc's repeat off. */
static int repeat_off_by_other(const long *entries, int n, int skip)
{
    for (int j = 0; j < n; j++)
        if (j != skip && entries[3 * j + 2] == 0 && entries[3 * j + 1] == entries[3 * skip + 1] &&
            (kill((pid_t)entries[3 * j], 0) == 0 || errno != ESRCH))
            return 1;
    return 0;
}

static int is_local_display(Display *dpy)
{
    const char *name = DisplayString(dpy);
    return name[0] == ':' || strncmp(name, "unix:", 5) == 0;
}

/* Lets go of a key or button a dead process left down, when the server
 * still has it down. Returns 1 when something was released. */
static int release_orphan(struct xt *x, int button, long code)
{
    if (button) {
        Window root, child;
        int rx, ry, wx, wy;
        unsigned mask = 0;
        if (code < 1 || code > 31)
            return 0;
        XQueryPointer(x->dpy, RootWindow(x->dpy, x->screen), &root, &child, &rx, &ry, &wx, &wy,
                      &mask);
        if (code <= 5 && !(mask & (Button1Mask << (code - 1))))
            return 0;
        XTestFakeButtonEvent(x->dpy, (unsigned)code, False, CurrentTime);
    } else {
        char keys[32];
        if (code < 8 || code >= NKEYCODES)
            return 0;
        XQueryKeymap(x->dpy, keys);
        if (!(keys[code / 8] >> (code % 8) & 1))
            return 0;
        XTestFakeKeyEvent(x->dpy, (unsigned)code, False, CurrentTime);
    }
    return 1;
}

/* Undoes bindings whose process is gone (checked only on a local display,
 * where the pids are this machine's). */
static void registry_reclaim_orphans(struct xt *x)
{
    long *entries;
    int n, kept = 0, undone = 0, released = 0;

    if (!is_local_display(x->dpy) || (entries = malloc(3 * MAX_REGISTRY * sizeof(long))) == NULL)
        return;
    XGrabServer(x->dpy); /* another executor starting now sees all or nothing */
    n = registry_read(x, entries, MAX_REGISTRY);
    for (int i = 0; i < n; i++) {
        pid_t pid = (pid_t)entries[3 * i];
        KeyCode kc = (KeyCode)entries[3 * i + 1];
        int per = 0;
        KeySym *now;

        if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) {
            memmove(&entries[3 * kept++], &entries[3 * i], 3 * sizeof(long));
            continue;
        }
        if (entries[3 * i + 2] == 0) { /* a held key's auto-repeat */
            if (!repeat_off_by_other(entries, n, i))
                set_auto_repeat(x, kc, 1);
            continue;
        }
        if (entries[3 * i + 2] == REGISTRY_KEY_DOWN || entries[3 * i + 2] == REGISTRY_BUTTON_DOWN) {
            released += release_orphan(x, entries[3 * i + 2] == REGISTRY_BUTTON_DOWN,
                                        entries[3 * i + 1]);
            continue;
        }
        now = XGetKeyboardMapping(x->dpy, kc, 1, &per);
        if (now && per > 0 && now[0] == (KeySym)entries[3 * i + 2]) {
            KeySym none = NoSymbol;
            XChangeKeyboardMapping(x->dpy, kc, 1, &none, 1);
            undone++;
        }
        if (now)
            XFree(now);
    }
    if (kept != n)
        registry_write(x, entries, kept);
    XUngrabServer(x->dpy);
    XSync(x->dpy, False);
    free(entries);
    if (undone && x->note) {
        char line[256];
        snprintf(line, sizeof line, "exec: undid %d key binding%s left on %s by a process that died",
                 undone, undone == 1 ? "" : "s", x->display_name);
        x->note(x->note_data, line);
    }
    if (released && x->note) {
        char line[256];
        snprintf(line, sizeof line, "exec: released %d key%s or button%s left held on %s by a "
                 "process that died", released, released == 1 ? "" : "s",
                 released == 1 ? "" : "s", x->display_name);
        x->note(x->note_data, line);
    }
}

/* ---- temporary bindings ---- */

/* Binds keysym to a spare keycode (the caller syncs). Both levels get the
 * symbol so neither Shift nor Caps Lock can change what it types. */
static struct binding *bind_keysym(struct xt *x, unsigned long keysym)
{
    KeySym syms[2] = {keysym, keysym};
    struct binding *b;

    if (x->spare_count == 0)
        return NULL;
    b = &x->bound[x->bound_count++];
    b->keycode = x->spare[--x->spare_count];
    b->keysym = keysym;
    b->held = 0;
    XChangeKeyboardMapping(x->dpy, b->keycode, 2, syms, 1);
    return b;
}

/* Undoes the bindings not used by a held key (all of them with
 * include_held), and gives their keycodes back to the spares. Clients look
 * keysyms up when they read a key event, which can be after the server got
 * the events, so the mapping stays until they had time to read them:
 * XTARS_EXEC_REMAP_SETTLE_MS. */
static xtars_err unbind(struct xt *x, int include_held, char *err)
{
    KeySym none = NoSymbol;
    int kept = 0, undone = 0;

    for (int i = 0; i < x->bound_count; i++)
        undone += include_held || !x->bound[i].held;
    if (undone == 0)
        return XTARS_OK;
    XSync(x->dpy, False);
    exec_sleep_ms(XTARS_EXEC_REMAP_SETTLE_MS, NULL); /* even when stopping: the map must come back */
    for (int i = 0; i < x->bound_count; i++) {
        if (!include_held && x->bound[i].held) {
            x->bound[kept++] = x->bound[i];
            continue;
        }
        XChangeKeyboardMapping(x->dpy, x->bound[i].keycode, 1, &none, 1);
        if (x->spare_count < NKEYCODES)
            x->spare[x->spare_count++] = x->bound[i].keycode;
    }
    x->bound_count = kept;
    registry_publish(x);
    return sync_checked(x, "restoring the keyboard mapping", err);
}

/* Frees the spare keycodes earlier actions left bound, when a new binding
 * finds none; fails when there is nothing to free (all held). */
static xtars_err reclaim(struct xt *x, char *err)
{
    int before = x->spare_count;
    xtars_err rc = unbind(x, 0, err);

    if (rc != XTARS_OK)
        return rc;
    return x->spare_count > before ? XTARS_OK : XTARS_ENOTSUP;
}

/* ---- typing ---- */

static int tap(struct xt *x, const struct plan *plan)
{
    KeyCode mods[2];
    int count = 0;

    if ((plan->needs & NEED_SHIFT) && !is_down(x, x->shift_keycode))
        mods[count++] = x->shift_keycode;
    if ((plan->needs & NEED_LEVEL3) && !is_down(x, x->level3_keycode))
        mods[count++] = x->level3_keycode;
    for (int i = 0; i < count; i++)
        send_key(x, mods[i], 1);
    send_key(x, plan->keycode, 1);
    send_key(x, plan->keycode, 0);
    for (int i = count - 1; i >= 0; i--)
        send_key(x, mods[i], 0);
    return 2 + 2 * count;
}

/* Makes every character from s[pos] on typeable, binding missing keysyms to
 * spare keycodes until they run out; *end is where the chunk stops. */
static xtars_err prepare_chunk(struct xt *x, const char *s, size_t pos, size_t len, size_t *end,
                               int *remapped, char *err)
{
    int bound_now = 0;
    size_t i = pos;
    unsigned long cp = 0;

    while (i < len) {
        struct plan plan;
        int n = xtars_utf8_decode(s + i, len - i, &cp);
        unsigned long keysym = n ? xtars_exec_char_keysym(cp) : 0;

        if (keysym == 0)
            return xtars_error(err, XTARS_EINVAL, "exec: type: cannot type byte %zu", i);
        if (!find_plan(x, keysym, &plan)) {
            if (bind_keysym(x, keysym) == NULL && i == pos && reclaim(x, err) == XTARS_OK)
                bind_keysym(x, keysym); /* earlier actions' bindings held every spare */
            if (find_binding(x, keysym) == NULL)
                break;
            bound_now++;
        }
        i += (size_t)n;
    }
    if (i == pos)
        return xtars_error(err, XTARS_ENOTSUP,
                           "exec: no spare keycode to type U+%04lX (every keycode is in use)", cp);
    *end = i;
    *remapped += bound_now;
    if (bound_now == 0)
        return XTARS_OK;
    registry_publish(x);
    return sync_checked(x, "binding a spare keycode", err);
}

static xtars_err type_range(struct xt *x, const char *s, size_t pos, size_t end, int *events)
{
    for (size_t i = pos; i < end;) {
        struct plan plan;
        unsigned long cp;
        int n = xtars_utf8_decode(s + i, end - i, &cp);

        if (x->stop && *x->stop)
            return XTARS_ESTOPPED;
        if (n == 0 || !find_plan(x, xtars_exec_char_keysym(cp), &plan))
            return XTARS_EINVAL; /* prepare_chunk made every one findable */
        *events += tap(x, &plan);
        i += (size_t)n;
        if (x->key_delay_ms > 0 && i < end) {
            XFlush(x->dpy);
            if (exec_sleep_ms(x->key_delay_ms, x->stop) != XTARS_OK)
                return XTARS_ESTOPPED;
        }
    }
    return XTARS_OK;
}

static xtars_err xt_text(void *impl, const char *s, size_t len, int *events, int *remapped,
                         char *err)
{
    struct xt *x = impl;
    size_t pos = 0;
    xtars_err rc = ensure_snapshot(x, err);

    if (rc == XTARS_OK)
        wait_for_click_focus(x);
    while (rc == XTARS_OK && pos < len) {
        size_t end = pos;

        rc = prepare_chunk(x, s, pos, len, &end, remapped, err);
        if (rc == XTARS_OK)
            rc = type_range(x, s, pos, end, events);
        if (rc == XTARS_ESTOPPED)
            return xtars_error(err, rc, "exec: stopped by request");
        if (rc == XTARS_EINVAL)
            return xtars_error(err, rc, "exec: type: lost a key binding at byte %zu", pos);
        if (rc != XTARS_OK)
            return rc;
        pos = end;
        if (pos < len) /* spare keycodes ran out: free them for the next chunk */
            rc = unbind(x, 0, err);
    }
    XFlush(x->dpy);
    return rc;
}

/* ---- the backend ---- */

/* A modifier someone else holds (the user, a crashed earlier run) would turn
 * a click into a shift-click and "a" into "A": release it for good (pressing
 * it again afterwards could leave it stuck if the user let go meanwhile).
 * Caps Lock is unlocked for the action and locked again at its end. */
static xtars_err clear_foreign_modifiers(struct xt *x, char *err)
{
    XkbStateRec state;
    char keys_down[32] = {0}; /* stays so when the server is gone */
    int any = 0;

    XQueryKeymap(x->dpy, keys_down);
    if (x->conn.dead)
        return dead_error(x, err);
    for (int kc = 8; kc < NKEYCODES; kc++)
        any |= (keys_down[kc / 8] >> (kc % 8) & 1) && !is_down(x, (KeyCode)kc);
    if (any && ensure_snapshot(x, err) != XTARS_OK)
        return XTARS_EX11;
    for (int kc = 8; kc < NKEYCODES && any; kc++)
        if ((keys_down[kc / 8] >> (kc % 8) & 1) && x->modmap[kc] && !is_down(x, (KeyCode)kc))
            XTestFakeKeyEvent(x->dpy, (unsigned)kc, False, CurrentTime);
    if (XkbGetState(x->dpy, XkbUseCoreKbd, &state) != Success)
        return XTARS_OK;
    if (state.locked_mods & LockMask) {
        XkbLockModifiers(x->dpy, XkbUseCoreKbd, LockMask, 0);
        x->relock_caps = 1;
    }
    if (state.latched_mods)
        XkbLatchModifiers(x->dpy, XkbUseCoreKbd, state.latched_mods, 0);
    return XTARS_OK;
}

static xtars_err xt_begin(void *impl, int clear_modifiers, char *err)
{
    struct xt *x = impl;

    if (x->conn.dead)
        return dead_error(x, err);
    free_snapshot(x); /* the layout may have changed since the last action */
    return clear_modifiers ? clear_foreign_modifiers(x, err) : XTARS_OK;
}

/* Bindings stay for later actions (undoing them would cost the settle pause
 * every time and race slow clients each time): release_all() undoes them. */
static xtars_err xt_end(void *impl, char *err)
{
    struct xt *x = impl;
    xtars_err rc;

    if (x->relock_caps) {
        XkbLockModifiers(x->dpy, XkbUseCoreKbd, LockMask, LockMask);
        x->relock_caps = 0;
    }
    if (!x->conn.dead && (x->buttons != x->published_buttons ||
                          memcmp(x->down, x->published_down, sizeof x->down) != 0))
        registry_publish(x); /* what stays held past this action is listed */
    rc = sync_checked(x, "sending input", err);
    free_snapshot(x);
    return x->conn.dead ? dead_error(x, err) : rc;
}

static xtars_err xt_move(void *impl, int px, int py, char *err)
{
    struct xt *x = impl;

    if (x->conn.dead)
        return dead_error(x, err);
    XTestFakeMotionEvent(x->dpy, x->screen, px, py, CurrentTime);
    return XTARS_OK;
}

static xtars_err xt_button(void *impl, int number, int down, char *err)
{
    struct xt *x = impl;
    unsigned bit = 1u << number;

    if (x->conn.dead)
        return dead_error(x, err);
    if (down && (x->buttons & bit))
        return XTARS_OK;
    if (down && number <= 3)
        note_click(x);
    XTestFakeButtonEvent(x->dpy, (unsigned)number, down ? True : False, CurrentTime);
    x->buttons = down ? x->buttons | bit : x->buttons & ~bit;
    return XTARS_OK;
}

static int find_held(const struct xt *x, unsigned long keysym)
{
    for (int i = 0; i < x->held_count; i++)
        if (x->held[i].keysym == keysym)
            return i;
    return -1;
}

/* A key held over a model's wait would auto-repeat (an X server repeats a
 * held key: 22 presses in 1.5 s on Xvfb), so its auto-repeat is off while
 * xtars holds it, when it was on, and listed in the registry in case this
 * process dies before release_held() turns it on again. */
static void hold_without_repeat(struct xt *x, struct held_key *h)
{
    XKeyboardState state;

    XGetKeyboardControl(x->dpy, &state);
    if (!(state.auto_repeats[h->keycode / 8] >> (h->keycode % 8) & 1))
        return; /* does not repeat (a modifier, or the user's setting) */
    set_auto_repeat(x, h->keycode, 0);
    h->repeat_off = 1;
    registry_publish(x);
}

static xtars_err press_held(struct xt *x, const char *name, unsigned long keysym, char *err)
{
    struct held_key *h;
    struct plan plan;

    if (x->held_count == MAX_HELD)
        return xtars_error(err, XTARS_ETOOBIG, "exec: more than %d keys held", MAX_HELD);
    if (!find_plan(x, keysym, &plan)) {
        struct binding *b = bind_keysym(x, keysym);
        xtars_err rc;
        if (b == NULL && reclaim(x, err) == XTARS_OK)
            b = bind_keysym(x, keysym);
        if (b == NULL)
            return xtars_error(err, XTARS_ENOTSUP, "exec: no spare keycode for key '%s'", name);
        registry_publish(x);
        rc = sync_checked(x, "binding a spare keycode", err);
        if (rc != XTARS_OK)
            return rc;
        b->held = 1;
        plan.keycode = b->keycode;
        plan.needs = 0;
    }
    h = &x->held[x->held_count++];
    memset(h, 0, sizeof *h);
    h->keysym = keysym;
    h->keycode = plan.keycode;
    if ((plan.needs & NEED_SHIFT) && !is_down(x, x->shift_keycode))
        h->mods[h->mod_count++] = x->shift_keycode;
    if ((plan.needs & NEED_LEVEL3) && !is_down(x, x->level3_keycode))
        h->mods[h->mod_count++] = x->level3_keycode;
    for (int i = 0; i < h->mod_count; i++)
        send_key(x, h->mods[i], 1);
    hold_without_repeat(x, h);
    send_key(x, h->keycode, 1);
    return XTARS_OK;
}

static void release_held(struct xt *x, int at)
{
    struct held_key *h = &x->held[at];
    struct binding *b;

    int repeat_off = h->repeat_off;

    send_key(x, h->keycode, 0);
    if (repeat_off)
        set_auto_repeat(x, h->keycode, 1);
    for (int i = h->mod_count - 1; i >= 0; i--)
        send_key(x, h->mods[i], 0);
    for (b = x->bound; b < x->bound + x->bound_count; b++)
        if (b->keycode == h->keycode)
            b->held = 0; /* kept for later actions, like any binding */
    memmove(h, h + 1, (size_t)(x->held_count - at - 1) * sizeof *h);
    x->held_count--;
    if (repeat_off)
        registry_publish(x);
}

static xtars_err xt_key(void *impl, const char *name, unsigned long keysym, int down,
                        int *pressed, char *err)
{
    struct xt *x = impl;
    int at = find_held(x, keysym);
    struct plan plan;
    xtars_err rc = ensure_snapshot(x, err);

    if (pressed)
        *pressed = down && at < 0;
    if (rc != XTARS_OK)
        return rc;
    if (down && at < 0)
        wait_for_click_focus(x);
    if (down)
        return at >= 0 ? XTARS_OK : press_held(x, name, keysym, err);
    if (at >= 0)
        release_held(x, at);
    else if (find_plan(x, keysym, &plan))
        XTestFakeKeyEvent(x->dpy, plan.keycode, False, CurrentTime); /* held by someone else */
    return XTARS_OK;
}

static xtars_err xt_pause(void *impl, int ms, char *err)
{
    struct xt *x = impl;

    XFlush(x->dpy);
    if (x->conn.dead)
        return dead_error(x, err);
    return exec_sleep_ms(ms, x->stop);
}

static void xt_release_all(void *impl)
{
    struct xt *x = impl;

    if (x->conn.dead) { /* nothing can be held on a server that is gone */
        x->down_count = x->held_count = x->bound_count = 0;
        memset(x->down, 0, sizeof x->down);
        x->buttons = 0;
        x->relock_caps = 0;
        free_snapshot(x);
        return;
    }

    while (x->down_count > 0)
        send_key(x, x->down_order[x->down_count - 1], 0);
    for (int i = 0; i < x->held_count; i++)
        if (x->held[i].repeat_off)
            set_auto_repeat(x, x->held[i].keycode, 1);
    x->held_count = 0;
    registry_publish(x);
    for (int number = 1; number < 32; number++)
        if (x->buttons & (1u << number))
            XTestFakeButtonEvent(x->dpy, (unsigned)number, False, CurrentTime);
    x->buttons = 0;
    unbind(x, 1, NULL);
    if (x->relock_caps) {
        XkbLockModifiers(x->dpy, XkbUseCoreKbd, LockMask, LockMask);
        x->relock_caps = 0;
    }
    sync_checked(x, "releasing input", NULL);
    free_snapshot(x);
}

static void xt_destroy(void *impl)
{
    struct xt *x = impl;

    if (x == NULL)
        return;
    free_snapshot(x);
    if (x->dpy)
        XCloseDisplay(x->dpy);
    xtars_xconn_unwatch(&x->conn);
    free(x);
}

static const struct exec_backend xtest_backend = {
    .kind = "xtest",
    .begin = xt_begin,
    .end = xt_end,
    .move = xt_move,
    .button = xt_button,
    .key = xt_key,
    .text = xt_text,
    .pause = xt_pause,
    .release_all = xt_release_all,
    .destroy = xt_destroy,
};

static const char *display_label(const char *name)
{
    const char *env = getenv("DISPLAY");

    if (name && name[0])
        return name;
    return env && env[0] ? env : "(DISPLAY not set)";
}

static xtars_err open_display(const char *name, Display **out, char *err)
{
    const char *env = getenv("DISPLAY");

    if ((name == NULL || name[0] == '\0') && (env == NULL || env[0] == '\0')) {
        *out = NULL;
        return xtars_error(err, XTARS_EDISPLAY, "%s", XTARS_NO_DISPLAY_MESSAGE);
    }
    *out = XOpenDisplay(name && name[0] ? name : NULL);
    if (*out == NULL)
        return xtars_error(err, XTARS_EDISPLAY, "exec: cannot open X display '%s'",
                           display_label(name));
    return XTARS_OK;
}

xtars_err xtars_exec_screen_size(const char *display, int *width, int *height, char err[static XTARS_ERRLEN])
{
    Display *dpy;
    xtars_err rc = open_display(display, &dpy, err);

    *width = *height = 0;
    if (rc != XTARS_OK)
        return rc;
    *width = DisplayWidth(dpy, DefaultScreen(dpy));
    *height = DisplayHeight(dpy, DefaultScreen(dpy));
    XCloseDisplay(dpy);
    return XTARS_OK;
}

xtars_err xtars_exec_new_xtest(const struct xtars_exec_options *opts, struct xtars_executor **out,
                               char err[static XTARS_ERRLEN])
{
    struct xt *x = calloc(1, sizeof *x);
    int event_base, error_base, major = 0, minor = 0, opcode, has_xtest;
    struct xtars_rect screen = {0, 0, 0, 0};
    xtars_err rc;

    *out = NULL;
    if (x == NULL)
        return xtars_error(err, XTARS_ENOMEM, "exec: out of memory");
    rc = open_display(opts->display, &x->dpy, err);
    if (rc != XTARS_OK) {
        xt_destroy(x);
        return rc;
    }
    xtars_xconn_watch(&x->conn, x->dpy);
    snprintf(x->display_name, sizeof x->display_name, "%s", DisplayString(x->dpy));
    has_xtest = XTestQueryExtension(x->dpy, &event_base, &error_base, &major, &minor);
    major = XkbMajorVersion;
    minor = XkbMinorVersion;
    if (!has_xtest || !XkbQueryExtension(x->dpy, &opcode, &event_base, &error_base, &major, &minor)) {
        xt_destroy(x);
        return xtars_error(err, XTARS_ENOTSUP, "exec: X display '%s' lacks XTEST or XKEYBOARD",
                           display_label(opts->display));
    }
    XTestGrabControl(x->dpy, True); /* our events pass even when a client grabs the server */
    x->note = opts->note;
    x->note_data = opts->note_data;
    registry_reclaim_orphans(x);
    x->screen = DefaultScreen(x->dpy);
    x->key_delay_ms = opts->key_delay_ms;
    x->stop = opts->stop;
    screen.width = DisplayWidth(x->dpy, x->screen);
    screen.height = DisplayHeight(x->dpy, x->screen);
    return exec_create(&xtest_backend, x, opts, screen, out, err);
}
