/* The XTest executor against a real X client (tests/support/xclient.c) on a
 * private Xvfb: where clicks and drags land, which buttons scroll uses, key
 * order, holding, exact text in two layouts, the keymap afterwards, and that
 * nothing stays pressed after errors, interruptions and free. Expected values
 * come from the X protocol and the us/de layouts, not from the executor. */
#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "run.h"
#include "test.h"
#include "xclient_ctl.h"
#include "xfixture.h"
#include "xtars/exec.h"

/* The client window: 400x300 at (100,50) on an 800x600 screen. */
#define WIN_X 100
#define WIN_Y 50

static struct xt_client client;
static struct xtars_executor *ex;
static struct xtars_exec_options opts;
static struct xtars_exec_result result;
static char err[XTARS_ERRLEN];
static atomic_int stop_flag;

static void set_layout(const char *layout)
{
    struct xt_result r = xt_run((const char *const[]){"setxkbmap", "-layout", layout, NULL},
                                NULL, NULL);
    if (r.status != 0)
        FAIL("setxkbmap -layout %s: %s", layout, r.err);
    xt_result_free(&r);
}

static void open_executor(void)
{
    xtars_exec_free(ex);
    ASSERT_EQ(xtars_exec_new_xtest(&opts, &ex, err), XTARS_OK);
}

/* Xvfb, optionally a layout, the client, an executor with the default options. */
static void setup(const char *layout)
{
    xt_x_start(800, 600, NULL);
    if (layout)
        set_layout(layout);
    xt_client_start(&client, "400x300+100+50");
    xtars_exec_options_init(&opts); /* the config's defaults */
    opts.stop = &stop_flag;
    open_executor();
    cJSON_Delete(xt_client_events(&client)); /* focus_in and such */
}

static void teardown(void)
{
    xtars_exec_free(ex);
    ex = NULL;
    xt_client_stop(&client);
}

static struct xtars_action pointer_action(enum xtars_action_type type, int x, int y)
{
    struct xtars_action a;

    memset(&a, 0, sizeof a);
    a.type = type;
    a.has_point = 1;
    a.x = x;
    a.y = y;
    return a;
}

static struct xtars_action key_action(enum xtars_action_type type, const char *a0,
                                      const char *a1, const char *a2)
{
    const char *names[3] = {a0, a1, a2};
    struct xtars_action a;

    memset(&a, 0, sizeof a);
    a.type = type;
    for (int i = 0; i < 3 && names[i]; i++)
        snprintf(a.keys[a.key_count++], XTARS_KEY_NAME_LEN, "%s", names[i]);
    return a;
}

static xtars_err perform(const struct xtars_action *a)
{
    return xtars_exec_perform(ex, a, &result, err);
}

static xtars_err type_text(const char *text)
{
    struct xtars_action a;
    xtars_err rc;

    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_TYPE;
    a.text = strdup(text);
    rc = perform(&a);
    xtars_action_cleanup(&a);
    return rc;
}

static const char *str(const cJSON *event, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(event, name));
    if (s == NULL)
        FAIL("event has no string '%s'", name);
    return s;
}

/* The whole core keyboard map, to compare before and after. */
static KeySym *keymap(int *count)
{
    int min, max, per;
    KeySym *syms, *copy;

    XDisplayKeycodes(client.dpy, &min, &max);
    syms = XGetKeyboardMapping(client.dpy, (KeyCode)min, max - min + 1, &per);
    *count = (max - min + 1) * per;
    copy = malloc((size_t)*count * sizeof *copy);
    ASSERT(syms != NULL && copy != NULL);
    memcpy(copy, syms, (size_t)*count * sizeof *copy);
    XFree(syms);
    return copy;
}

static void assert_same_keymap(KeySym *before, int before_count)
{
    int after_count;
    KeySym *after = keymap(&after_count);

    ASSERT_EQ(after_count, before_count);
    for (int i = 0; i < after_count; i++)
        if (after[i] != before[i])
            FAIL("keymap entry %d changed: 0x%lx -> 0x%lx", i, before[i], after[i]);
    free(after);
}

static void assert_nothing_pressed(void)
{
    char keys[32];
    Window root, child;
    int rx, ry, wx, wy;
    unsigned mask;

    XQueryKeymap(client.dpy, keys);
    for (int kc = 0; kc < 256; kc++)
        if (keys[kc / 8] >> (kc % 8) & 1)
            FAIL("keycode %d is still pressed", kc);
    XQueryPointer(client.dpy, DefaultRootWindow(client.dpy), &root, &child, &rx, &ry, &wx, &wy,
                  &mask);
    ASSERT_EQ(mask & (Button1Mask | Button2Mask | Button3Mask | Button4Mask | Button5Mask), 0);
}

static int key_is_down(KeySym keysym)
{
    char keys[32];
    KeyCode kc = XKeysymToKeycode(client.dpy, keysym);

    XQueryKeymap(client.dpy, keys);
    return kc && (keys[kc / 8] >> (kc % 8) & 1);
}

/* ---- pointer ---- */

TEST(click_lands_on_the_point)
{
    struct xtars_action a = pointer_action(XTARS_ACTION_CLICK, 300, 200);
    const cJSON *press, *release;
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&a), XTARS_OK);
    ASSERT_STR_EQ(result.description, "click left at (300,200)");
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 1);
    ASSERT_EQ(xt_events_count(events, "button_release"), 1);
    press = xt_events_nth(events, "button_press", 0);
    release = xt_events_nth(events, "button_release", 0);
    ASSERT_EQ(xt_event_int(press, "button"), 1);
    ASSERT_EQ(xt_event_int(press, "root_x"), 300);
    ASSERT_EQ(xt_event_int(press, "root_y"), 200);
    ASSERT_EQ(xt_event_int(press, "x"), 300 - WIN_X);
    ASSERT_EQ(xt_event_int(press, "y"), 200 - WIN_Y);
    ASSERT_EQ(xt_event_int(release, "root_x"), 300);
    ASSERT_EQ(xt_event_int(release, "button"), 1);
    /* the pointer arrived before the press: the app saw the hover first */
    ASSERT(cJSON_GetArrayItem(events, 0) != press);
    ASSERT_STR_EQ(str(cJSON_GetArrayItem(events, 0), "type"), "motion");
    cJSON_Delete(events);
    teardown();
}

TEST(right_and_middle_click_use_buttons_3_and_2)
{
    struct xtars_action right = pointer_action(XTARS_ACTION_RIGHT_CLICK, 150, 100);
    struct xtars_action middle = pointer_action(XTARS_ACTION_MIDDLE_CLICK, 160, 110);
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&right), XTARS_OK);
    ASSERT_EQ(perform(&middle), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 2);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "button"), 3);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_release", 0), "button"), 3);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 1), "button"), 2);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 1), "root_x"), 160);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 1), "root_y"), 110);
    cJSON_Delete(events);
    teardown();
}

TEST(double_click_is_two_clicks_inside_the_double_click_time)
{
    struct xtars_action a = pointer_action(XTARS_ACTION_DOUBLE_CLICK, 250, 150);
    const cJSON *first, *second;
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&a), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 2);
    ASSERT_EQ(xt_events_count(events, "button_release"), 2);
    first = xt_events_nth(events, "button_press", 0);
    second = xt_events_nth(events, "button_press", 1);
    ASSERT_EQ(xt_event_int(second, "root_x"), 250);
    ASSERT_EQ(xt_event_int(second, "root_y"), 150);
    /* Xt's default multi-click time, the shortest of the common toolkits
     * (GTK and Qt use 400 ms), is 200 ms. */
    ASSERT_LE(xt_event_int(second, "time") - xt_event_int(first, "time"), 200);
    ASSERT_GE(xt_event_int(second, "time") - xt_event_int(first, "time"), 0);
    cJSON_Delete(events);
    teardown();
}

TEST(drag_presses_moves_in_steps_and_releases)
{
    struct xtars_action a = pointer_action(XTARS_ACTION_DRAG, 150, 100);
    const cJSON *event, *press = NULL, *release = NULL;
    int motions_while_pressed = 0, last_x = 150, last_y = 100;
    cJSON *events;

    a.has_end = 1;
    a.x2 = 450;
    a.y2 = 300;
    setup(NULL);
    ASSERT_EQ(perform(&a), XTARS_OK);
    events = xt_client_events(&client);
    cJSON_ArrayForEach(event, events) {
        const char *type = str(event, "type");
        if (strcmp(type, "button_press") == 0) {
            press = event;
        } else if (strcmp(type, "button_release") == 0) {
            release = event;
        } else if (strcmp(type, "motion") == 0 && press && !release) {
            int x = (int)xt_event_int(event, "root_x"), y = (int)xt_event_int(event, "root_y");
            ASSERT(xt_event_int(event, "state") & Button1Mask);
            ASSERT(x >= last_x && y >= last_y); /* moving towards the end */
            last_x = x;
            last_y = y;
            motions_while_pressed++;
        }
    }
    ASSERT(press && release);
    ASSERT_EQ(xt_event_int(press, "button"), 1);
    ASSERT_EQ(xt_event_int(press, "root_x"), 150);
    ASSERT_EQ(xt_event_int(press, "root_y"), 100);
    ASSERT_EQ(xt_event_int(release, "root_x"), 450);
    ASSERT_EQ(xt_event_int(release, "root_y"), 300);
    ASSERT_GE(motions_while_pressed, 5);
    ASSERT_EQ(last_x, 450);
    ASSERT_EQ(last_y, 300);
    cJSON_Delete(events);
    teardown();
}

TEST(scroll_uses_buttons_4_to_7_at_the_point)
{
    static const int expected_button[] = {4, 5, 6, 7}; /* up down left right */
    cJSON *events;

    setup(NULL);
    for (int dir = XTARS_SCROLL_UP; dir <= XTARS_SCROLL_RIGHT; dir++) {
        struct xtars_action a = pointer_action(XTARS_ACTION_SCROLL, 200 + dir, 120);
        a.direction = (enum xtars_scroll_direction)dir;
        a.amount = dir == XTARS_SCROLL_DOWN ? 0 : 3; /* 0: the configured 5 */
        ASSERT_EQ(perform(&a), XTARS_OK);
        events = xt_client_events(&client);
        ASSERT_EQ(xt_events_count(events, "button_press"), a.amount ? 3 : 5);
        ASSERT_EQ(xt_events_count(events, "button_release"), a.amount ? 3 : 5);
        for (int i = 0; i < xt_events_count(events, "button_press"); i++) {
            const cJSON *press = xt_events_nth(events, "button_press", i);
            ASSERT_EQ(xt_event_int(press, "button"), expected_button[dir]);
            ASSERT_EQ(xt_event_int(press, "root_x"), 200 + dir);
            ASSERT_EQ(xt_event_int(press, "root_y"), 120);
        }
        cJSON_Delete(events);
    }
    teardown();
}

TEST(mouse_down_and_up_hold_the_button_across_actions)
{
    struct xtars_action down = pointer_action(XTARS_ACTION_MOUSE_DOWN, 200, 100);
    struct xtars_action hover = pointer_action(XTARS_ACTION_HOVER, 260, 140);
    struct xtars_action up = pointer_action(XTARS_ACTION_MOUSE_UP, 260, 140);
    const cJSON *motion;
    cJSON *events;

    down.button = up.button = XTARS_BUTTON_RIGHT;
    setup(NULL);
    ASSERT_EQ(perform(&down), XTARS_OK);
    ASSERT_EQ(perform(&hover), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 1);
    ASSERT_EQ(xt_events_count(events, "button_release"), 0);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "button"), 3);
    motion = xt_events_nth(events, "motion", xt_events_count(events, "motion") - 1);
    ASSERT_EQ(xt_event_int(motion, "root_x"), 260);
    ASSERT(xt_event_int(motion, "state") & Button3Mask);
    cJSON_Delete(events);
    ASSERT_EQ(perform(&up), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_release"), 1);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_release", 0), "button"), 3);
    cJSON_Delete(events);
    assert_nothing_pressed();
    teardown();
}

/* ---- keys ---- */

static void assert_key_event(const cJSON *events, int index, const char *type,
                             const char *keysym)
{
    const cJSON *event = cJSON_GetArrayItem(events, index);

    if (event == NULL)
        FAIL("no event %d (expected %s %s)", index, type, keysym);
    ASSERT_STR_EQ(str(event, "type"), type);
    ASSERT_STR_EQ(str(event, "keysym"), keysym);
}

static cJSON *key_events(cJSON *events)
{
    cJSON *keys = cJSON_CreateArray();
    const cJSON *event;

    cJSON_ArrayForEach(event, events)
        if (strncmp(str(event, "type"), "key_", 4) == 0)
            cJSON_AddItemToArray(keys, cJSON_Duplicate(event, 1));
    cJSON_Delete(events);
    return keys;
}

TEST(hotkey_presses_in_order_and_releases_in_reverse)
{
    struct xtars_action a = key_action(XTARS_ACTION_HOTKEY, "ctrl", "shift", "t");
    cJSON *keys;

    setup(NULL);
    ASSERT_EQ(perform(&a), XTARS_OK);
    ASSERT_STR_EQ(result.description, "hotkey ctrl+shift+t");
    keys = key_events(xt_client_events(&client));
    ASSERT_EQ(cJSON_GetArraySize(keys), 6);
    assert_key_event(keys, 0, "key_press", "Control_L");
    assert_key_event(keys, 1, "key_press", "Shift_L");
    assert_key_event(keys, 2, "key_press", "T");
    ASSERT_EQ(xt_event_int(cJSON_GetArrayItem(keys, 2), "state"), ControlMask | ShiftMask);
    assert_key_event(keys, 3, "key_release", "T");
    assert_key_event(keys, 4, "key_release", "Shift_L");
    assert_key_event(keys, 5, "key_release", "Control_L");
    cJSON_Delete(keys);
    assert_nothing_pressed();
    teardown();
}

TEST(hotkey_of_a_key_missing_from_the_layout_binds_it_and_restores_the_map)
{
    struct xtars_action a = key_action(XTARS_ACTION_HOTKEY, "ctrl", "f24", NULL);
    int count;
    KeySym *before;
    cJSON *keys;

    setup(NULL);
    before = keymap(&count);
    ASSERT_EQ(XKeysymToKeycode(client.dpy, XK_F24), 0); /* not in Xvfb's us map */
    ASSERT_EQ(perform(&a), XTARS_OK);
    keys = key_events(xt_client_events(&client));
    ASSERT_EQ(cJSON_GetArraySize(keys), 4);
    assert_key_event(keys, 0, "key_press", "Control_L");
    assert_key_event(keys, 1, "key_press", "F24");
    ASSERT_EQ(xt_event_int(cJSON_GetArrayItem(keys, 1), "state"), ControlMask);
    assert_key_event(keys, 2, "key_release", "F24");
    assert_key_event(keys, 3, "key_release", "Control_L");
    cJSON_Delete(keys);
    xtars_exec_release_all(ex);
    assert_same_keymap(before, count);
    free(before);
    teardown();
}

TEST(key_down_holds_until_key_up)
{
    struct xtars_action down = key_action(XTARS_ACTION_KEY_DOWN, "shift", NULL, NULL);
    struct xtars_action up = key_action(XTARS_ACTION_KEY_UP, "shift", NULL, NULL);
    struct xtars_action click = pointer_action(XTARS_ACTION_CLICK, 300, 200);
    struct xtars_action hotkey = key_action(XTARS_ACTION_HOTKEY, "shift", "a", NULL);
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&down), XTARS_OK);
    ASSERT(key_is_down(XK_Shift_L));
    ASSERT_EQ(perform(&click), XTARS_OK); /* a shift-click: the hold is intended */
    ASSERT_EQ(perform(&hotkey), XTARS_OK); /* shift already held: stays held */
    ASSERT(key_is_down(XK_Shift_L));
    events = xt_client_events(&client);
    ASSERT(xt_event_int(xt_events_nth(events, "button_press", 0), "state") & ShiftMask);
    ASSERT_EQ(xt_events_count(events, "key_press"), 2); /* Shift_L, A */
    ASSERT_EQ(xt_events_count(events, "key_release"), 1); /* A only */
    ASSERT_STR_EQ(str(xt_events_nth(events, "key_press", 1), "text"), "A");
    cJSON_Delete(events);
    ASSERT_EQ(perform(&up), XTARS_OK);
    ASSERT(!key_is_down(XK_Shift_L));
    ASSERT_EQ(perform(&click), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_STR_EQ(str(xt_events_nth(events, "key_release", 0), "keysym"), "Shift_L");
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "state") & ShiftMask, 0);
    cJSON_Delete(events);
    assert_nothing_pressed();
    teardown();
}

/* Whether the server auto-repeats keysym's key (per-key setting). */
static int key_repeats(KeySym keysym)
{
    XKeyboardState state;
    KeyCode kc = XKeysymToKeycode(client.dpy, keysym);

    ASSERT(kc != 0);
    XGetKeyboardControl(client.dpy, &state);
    return state.auto_repeats[kc / 8] >> (kc % 8) & 1;
}

/* An X server repeats a held key (Xvfb: 660 ms delay, then 25 a second): a
 * key held over a model's 1.5 s wait arrived as 22 presses. xtars turns the
 * key's auto-repeat off while it holds it, and back on at the release. */
TEST(a_held_key_does_not_auto_repeat)
{
    struct xtars_action down = key_action(XTARS_ACTION_KEY_DOWN, "a", NULL, NULL);
    struct xtars_action up = key_action(XTARS_ACTION_KEY_UP, "a", NULL, NULL);
    struct timespec wait = {1, 500 * 1000 * 1000};
    cJSON *events;

    setup(NULL);
    ASSERT(key_repeats(XK_a)); /* the server's default, or this test proves nothing */
    ASSERT_EQ(perform(&down), XTARS_OK);
    ASSERT(!key_repeats(XK_a));
    nanosleep(&wait, NULL); /* the model thinking, key held */
    ASSERT_EQ(perform(&up), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "key_press"), 1);
    ASSERT_EQ(xt_events_count(events, "key_release"), 1);
    cJSON_Delete(events);
    ASSERT(key_repeats(XK_a));
    assert_nothing_pressed();
    teardown();
}

TEST(release_all_and_free_turn_auto_repeat_back_on)
{
    struct xtars_action down = key_action(XTARS_ACTION_KEY_DOWN, "b", NULL, NULL);

    setup(NULL);
    ASSERT_EQ(perform(&down), XTARS_OK);
    ASSERT(!key_repeats(XK_b));
    xtars_exec_release_all(ex);
    ASSERT(key_repeats(XK_b));
    ASSERT_EQ(perform(&down), XTARS_OK);
    ASSERT(!key_repeats(XK_b));
    xtars_exec_free(ex);
    ex = NULL;
    ASSERT(key_repeats(XK_b));
    teardown();
}

/* Forks a process that opens its own executor, performs the actions and
 * waits to be killed (SIGKILL: no cleanup of any kind). Returns once they
 * are done; the child exits 1, and the read here fails, if one failed. */
static pid_t perform_in_a_child_then_wait(const struct xtars_action *actions, int count)
{
    int ready[2];
    pid_t child;
    char byte;

    ASSERT_EQ(pipe(ready), 0);
    child = fork();
    ASSERT(child >= 0);
    if (child == 0) {
        struct xtars_executor *own;
        char why[XTARS_ERRLEN];
        if (xtars_exec_new_xtest(&opts, &own, why) != XTARS_OK)
            _exit(1);
        for (int i = 0; i < count; i++) {
            if (xtars_exec_perform(own, &actions[i], NULL, why) != XTARS_OK) {
                fprintf(stderr, "child: %s\n", why);
                _exit(1);
            }
        }
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        pause(); /* killed here, whatever it holds still held */
        _exit(0);
    }
    close(ready[1]);
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    return child;
}

static void kill_child(pid_t child)
{
    int status;

    kill(child, SIGKILL);
    ASSERT_EQ(waitpid(child, &status, 0), child);
}

/* A process killed while holding a key (SIGKILL: no cleanup) leaves its
 * auto-repeat off; the next executor on the display turns it on again. */
TEST(auto_repeat_left_off_by_a_killed_process_is_restored)
{
    struct xtars_action a = key_action(XTARS_ACTION_KEY_DOWN, "c", NULL, NULL);

    setup(NULL);
    xtars_exec_free(ex);
    ex = NULL;
    kill_child(perform_in_a_child_then_wait(&a, 1)); /* c held */
    ASSERT(!key_repeats(XK_c)); /* nobody cleaned up */
    open_executor();
    ASSERT(key_repeats(XK_c));
    XTestFakeKeyEvent(client.dpy, XKeysymToKeycode(client.dpy, XK_c), False, CurrentTime);
    XSync(client.dpy, False); /* the dead process's key is still down: let go */
    cJSON_Delete(xt_client_events(&client));
    teardown();
}

/* Keys and buttons a killed process left held (key_down, mouse_down across
 * steps, then SIGKILL): the next executor on the display lets go of them,
 * so the desktop is not left with Ctrl or a button stuck down. */
TEST(keys_and_buttons_left_held_by_a_killed_process_are_released)
{
    struct xtars_action held[2] = {key_action(XTARS_ACTION_KEY_DOWN, "ctrl", NULL, NULL),
                                   pointer_action(XTARS_ACTION_MOUSE_DOWN, 200, 100)};

    held[1].button = XTARS_BUTTON_LEFT; /* 0 is no button: refused */
    setup(NULL);
    xtars_exec_free(ex);
    ex = NULL;
    kill_child(perform_in_a_child_then_wait(held, 2)); /* ctrl and button 1 down */
    ASSERT(key_is_down(XK_Control_L)); /* nobody cleaned up */
    open_executor();
    assert_nothing_pressed();
    cJSON_Delete(xt_client_events(&client));
    teardown();
}

TEST(unknown_key_is_an_error_and_presses_nothing)
{
    struct xtars_action a = key_action(XTARS_ACTION_HOTKEY, "ctrl", "xyz", NULL);
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&a), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "exec: unknown key 'xyz'");
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "key_press"), 0);
    cJSON_Delete(events);
    teardown();
}

/* ---- targets ---- */

TEST(points_outside_the_target_are_errors)
{
    struct xtars_action off_screen = pointer_action(XTARS_ACTION_CLICK, 800, 10);
    struct xtars_action outside = pointer_action(XTARS_ACTION_CLICK, 50, 60);
    struct xtars_action inside = pointer_action(XTARS_ACTION_CLICK, 150, 60);
    struct xtars_action drag = pointer_action(XTARS_ACTION_DRAG, 150, 60);
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&off_screen), XTARS_ERANGE);
    ASSERT_STR_EQ(err, "exec: point (800,10) is outside the target 800x600+0+0");
    opts.bounds = (struct xtars_rect){WIN_X, WIN_Y, 400, 300};
    open_executor();
    ASSERT_EQ(perform(&outside), XTARS_ERANGE);
    ASSERT_STR_EQ(err, "exec: point (50,60) is outside the target 400x300+100+50");
    drag.has_end = 1;
    drag.x2 = 500; /* the end is outside: nothing at all is done */
    drag.y2 = 100;
    ASSERT_EQ(perform(&drag), XTARS_ERANGE);
    ASSERT_EQ(perform(&inside), XTARS_OK);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 1);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "root_x"), 150);
    cJSON_Delete(events);
    opts.bounds = (struct xtars_rect){500, 0, 400, 300};
    xtars_exec_free(ex);
    ASSERT_EQ(xtars_exec_new_xtest(&opts, &ex, err), XTARS_EINVAL);
    ASSERT(ex == NULL);
    ASSERT_STR_EQ(err, "exec: bounds 400x300+500+0 extend outside the 800x600 screen");
    teardown();
}

/* ---- typing ---- */

static const char ascii[] = "The quick brown fox jumps over the lazy dog 0123456789 "
                            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ THE END";

/* Types text twice in two actions, checks what the client read each time and
 * how many keysyms each action had to bind (the second reuses the first's
 * bindings: -1 skips that check), then that release_all() restores the map. */
static void check_typing2(const char *text, const char *expected, int expected_remapped,
                          int expected_remapped_again)
{
    int count;
    KeySym *before = keymap(&count);
    cJSON *events;
    char *typed;

    for (int pass = 0; pass < 2; pass++) {
        ASSERT_EQ(type_text(text), XTARS_OK);
        if (pass == 0)
            ASSERT_EQ(result.remapped, expected_remapped);
        else if (expected_remapped_again >= 0)
            ASSERT_EQ(result.remapped, expected_remapped_again);
        events = xt_client_events(&client);
        typed = xt_events_text(events);
        ASSERT_STR_EQ(typed, expected);
        free(typed);
        cJSON_Delete(events);
        assert_nothing_pressed();
    }
    xtars_exec_release_all(ex);
    assert_same_keymap(before, count);
    free(before);
}

static void check_typing(const char *text, const char *expected, int expected_remapped)
{
    check_typing2(text, expected, expected_remapped, 0);
}

TEST(types_ascii_exactly_under_us)
{
    setup("us");
    check_typing(ascii, ascii, 0);
    check_typing("line one\nline two\n", "line one\nline two\n", 0);
    teardown();
}

/* In the German layout y and z swap, @ { [ ] } \ | ~ need AltGr (level 3),
 * and ^ and ` are dead keys, so exactly those two need a spare keycode. */
TEST(types_ascii_exactly_under_de)
{
    setup("de");
    ASSERT(XKeysymToKeycode(client.dpy, XK_ssharp) != 0); /* the layout is active */
    check_typing(ascii, ascii, 2);
    teardown();
}

static const char unicode[] = "café é ß ü Ü 你好 😀 €";

TEST(types_unicode_exactly_under_us)
{
    setup("us");
    /* é ß ü Ü 你 好 😀 € are all missing from the us layout */
    check_typing(unicode, unicode, 8);
    teardown();
}

TEST(types_unicode_exactly_under_de)
{
    setup("de");
    /* ß ü Ü (Shift) and € (AltGr+e) are on German keys; é is a dead-key
     * composition there, so é 你 好 😀 need spare keycodes. */
    check_typing(unicode, unicode, 4);
    teardown();
}

TEST(types_more_distinct_characters_than_spare_keycodes)
{
    char text[3 * 200 + 1], *p = text;

    for (int i = 0; i < 200; i++) /* 200 distinct CJK characters from U+4E00 */
        p += sprintf(p, "%c%c%c", 0xe4, 0xb8 + (i >> 6), 0x80 + (i & 0x3f));
    setup("us");
    check_typing2(text, text, 200, -1);
    teardown();
}

/* The spare keycodes xtars may bind: no symbols, not a modifier (keycode 8
 * and below are never used). */
static int count_spares(void)
{
    int min, max, per, spares = 0;
    KeySym *syms;
    XModifierKeymap *mods = XGetModifierMapping(client.dpy);

    XDisplayKeycodes(client.dpy, &min, &max);
    syms = XGetKeyboardMapping(client.dpy, (KeyCode)min, max - min + 1, &per);
    for (int kc = min > 9 ? min : 9; kc <= max; kc++) {
        int empty = 1;
        for (int j = 0; j < per; j++)
            empty &= syms[(kc - min) * per + j] == NoSymbol;
        for (int j = 0; j < 8 * mods->max_keypermod; j++)
            empty &= mods->modifiermap[j] != kc;
        spares += empty;
    }
    XFree(syms);
    XFreeModifiermap(mods);
    return spares;
}

/* The keycode that carries keysym now, read from the server (not the
 * client's cache). */
static KeyCode server_keycode(KeySym keysym)
{
    int min, max, per;
    KeyCode found = 0;
    KeySym *syms;

    XDisplayKeycodes(client.dpy, &min, &max);
    syms = XGetKeyboardMapping(client.dpy, (KeyCode)min, max - min + 1, &per);
    for (int kc = min; kc <= max && !found; kc++)
        if (syms[(kc - min) * per] == keysym)
            found = (KeyCode)kc;
    XFree(syms);
    return found;
}

/* Bindings outlive the action that made them, so a later action with the
 * same characters binds nothing; release_all() undoes them. */
TEST(bindings_are_reused_by_later_actions_and_undone_by_release_all)
{
    struct xtars_action f24 = key_action(XTARS_ACTION_HOTKEY, "f24", NULL, NULL);
    int count;
    KeySym *before;

    setup("us");
    before = keymap(&count);
    ASSERT_EQ(type_text("é"), XTARS_OK);
    ASSERT_EQ(result.remapped, 1);
    ASSERT(server_keycode(XK_eacute) != 0); /* still bound between actions */
    ASSERT_EQ(perform(&f24), XTARS_OK);
    ASSERT_EQ(type_text("éé"), XTARS_OK);
    ASSERT_EQ(result.remapped, 0);
    ASSERT(server_keycode(XK_F24) != 0);
    {
        cJSON *events = xt_client_events(&client);
        char *typed = xt_events_text(events);
        ASSERT_STR_EQ(typed, "ééé");
        free(typed);
        cJSON_Delete(events);
    }
    xtars_exec_release_all(ex);
    ASSERT_EQ(server_keycode(XK_eacute), 0);
    ASSERT_EQ(server_keycode(XK_F24), 0);
    assert_same_keymap(before, count);
    free(before);
    teardown();
}

/* When earlier actions hold every spare keycode, a new character frees them
 * (text and hotkeys alike) instead of failing. */
TEST(bindings_left_by_earlier_actions_are_freed_when_spares_run_out)
{
    struct xtars_action f24 = key_action(XTARS_ACTION_HOTKEY, "ctrl", "f24", NULL);
    char text[3 * 256 + 1], text2[3 * 256 + 1], want[2 * sizeof text + 8], *typed;
    int spares, count;
    KeySym *before;
    cJSON *events;

    setup("us");
    spares = count_spares();
    ASSERT_INT_OP(spares, >, 2);
    ASSERT_INT_OP(spares, <, 200);
    for (int i = 0, n = 0, m = 0; i < 2 * spares - 1; i++) /* distinct CJK characters */
        if (i < spares)
            n += sprintf(text + n, "%c%c%c", 0xe4, 0xb8 + (i >> 6), 0x80 + (i & 0x3f));
        else
            m += sprintf(text2 + m, "%c%c%c", 0xe4, 0xb8 + (i >> 6), 0x80 + (i & 0x3f));
    before = keymap(&count);
    ASSERT_EQ(type_text(text), XTARS_OK); /* as many characters as spares */
    ASSERT_EQ(result.remapped, spares);
    ASSERT_EQ(count_spares(), 0);         /* all bound, and kept */
    ASSERT_EQ(type_text("é"), XTARS_OK); /* frees them */
    ASSERT_EQ(result.remapped, 1);
    ASSERT_EQ(count_spares(), spares - 1);
    ASSERT_EQ(type_text(text2), XTARS_OK); /* fills the rest */
    ASSERT_EQ(result.remapped, spares - 1);
    ASSERT_EQ(count_spares(), 0);
    events = xt_client_events(&client);
    typed = xt_events_text(events);
    snprintf(want, sizeof want, "%sé%s", text, text2);
    ASSERT_STR_EQ(typed, want);
    free(typed);
    cJSON_Delete(events);
    ASSERT_EQ(perform(&f24), XTARS_OK); /* a held key frees them too */
    events = key_events(xt_client_events(&client));
    ASSERT_EQ(cJSON_GetArraySize(events), 4);
    assert_key_event(events, 1, "key_press", "F24");
    ASSERT_EQ(xt_event_int(cJSON_GetArrayItem(events, 1), "state"), ControlMask);
    cJSON_Delete(events);
    ASSERT_EQ(count_spares(), spares - 1);
    xtars_exec_release_all(ex);
    assert_same_keymap(before, count);
    free(before);
    teardown();
}

/* The keysyms listed in the bindings registry on the root window (up to
 * max into out); returns how many entries there are. */
static int registry_keysyms(long *out, int max)
{
    Atom atom = XInternAtom(client.dpy, "_XTARS_KEY_BINDINGS", False), type;
    unsigned long n = 0, after;
    unsigned char *data = NULL;
    int format;

    XGetWindowProperty(client.dpy, DefaultRootWindow(client.dpy), atom, 0, 3 * 1024, False,
                       AnyPropertyType, &type, &format, &n, &after, &data);
    for (unsigned long i = 0; i < n / 3 && (int)i < max; i++)
        out[i] = ((long *)data)[3 * i + 2];
    if (data)
        XFree(data);
    return (int)(n / 3);
}

/* Two executors of one process on one display each keep their own entries. */
TEST(registry_keeps_each_executors_entries)
{
    struct xtars_executor *first;
    long syms[4];

    setup("us");
    ASSERT_EQ(type_text("é"), XTARS_OK);
    first = ex;
    ex = NULL;
    open_executor();
    ASSERT_EQ(type_text("ñ"), XTARS_OK);
    ASSERT_EQ(registry_keysyms(syms, 4), 2);
    xtars_exec_free(ex); /* undoes ñ and its entry only */
    ex = first;
    ASSERT_EQ(registry_keysyms(syms, 4), 1);
    ASSERT_EQ(syms[0], XK_eacute);
    ASSERT(server_keycode(XK_eacute) != 0);
    ASSERT_EQ(server_keycode(XK_ntilde), 0);
    xtars_exec_release_all(ex);
    ASSERT_EQ(registry_keysyms(syms, 4), 0);
    cJSON_Delete(xt_client_events(&client));
    teardown();
}

/* A process killed while its bindings were in place (SIGKILL: no cleanup)
 * leaves them in the registry on the root window; the next executor on the
 * display undoes them, and leaves a live process's bindings alone. */
TEST(bindings_of_a_killed_process_are_undone_by_the_next_executor)
{
    int count;
    KeySym *before;
    struct xtars_action a;
    pid_t child;

    setup("us");
    xtars_exec_free(ex); /* the child makes its own */
    ex = NULL;
    before = keymap(&count);
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_TYPE;
    a.text = (char *)"é€";
    child = perform_in_a_child_then_wait(&a, 1); /* bindings in place */
    ASSERT(server_keycode(XK_eacute) != 0);
    ASSERT(server_keycode(XK_EuroSign) != 0 || server_keycode(0x10020ac) != 0);
    kill_child(child);
    ASSERT(server_keycode(XK_eacute) != 0); /* nobody cleaned up */
    open_executor();
    ASSERT_EQ(server_keycode(XK_eacute), 0);
    assert_same_keymap(before, count);
    ASSERT_EQ(registry_keysyms(NULL, 0), 0); /* the dead process's entries are gone */
    cJSON_Delete(xt_client_events(&client));
    free(before);
    teardown();
}

TEST(bindings_of_a_live_process_are_left_alone)
{
    int status;
    pid_t child;

    setup("us");
    ASSERT_EQ(type_text("é"), XTARS_OK); /* this process keeps the binding */
    ASSERT(server_keycode(XK_eacute) != 0);
    child = fork();
    ASSERT(child >= 0);
    if (child == 0) { /* must not touch the parent's connections */
        struct xtars_executor *other;
        char why[XTARS_ERRLEN];
        Display *parents = client.dpy; /* kept reachable, for leak checkers */
        int kept;
        if (xtars_exec_new_xtest(&opts, &other, why) != XTARS_OK)
            _exit(2);
        client.dpy = XOpenDisplay(NULL);
        kept = client.dpy && server_keycode(XK_eacute) != 0;
        xtars_exec_free(other);
        if (client.dpy)
            XCloseDisplay(client.dpy);
        client.dpy = parents;
        _exit(kept ? 0 : 1);
    }
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT(server_keycode(XK_eacute) != 0);
    teardown();
}

/* A client that rewrites a keycode xtars bound (xmodmap, setxkbmap) owns it:
 * xtars binds another one instead of typing the wrong symbol, and leaves that
 * client's mapping alone when it restores the map. */
TEST(a_binding_another_client_rewrote_is_not_trusted_nor_undone)
{
    KeySym odiaeresis[2] = {XK_odiaeresis, XK_odiaeresis}, none = NoSymbol;
    KeyCode taken;
    cJSON *events;
    char *typed;

    setup("us");
    ASSERT_EQ(type_text("é"), XTARS_OK);
    events = xt_client_events(&client); /* the client read it before the rewrite */
    typed = xt_events_text(events);
    ASSERT_STR_EQ(typed, "é");
    free(typed);
    cJSON_Delete(events);
    taken = server_keycode(XK_eacute);
    ASSERT(taken != 0);
    XChangeKeyboardMapping(client.dpy, taken, 2, odiaeresis, 1);
    XSync(client.dpy, False);
    ASSERT_EQ(type_text("é"), XTARS_OK);
    ASSERT_EQ(result.remapped, 1);
    ASSERT(server_keycode(XK_eacute) != taken);
    events = xt_client_events(&client);
    typed = xt_events_text(events);
    ASSERT_STR_EQ(typed, "é");
    free(typed);
    cJSON_Delete(events);
    xtars_exec_release_all(ex);
    ASSERT_EQ(server_keycode(XK_eacute), 0);
    ASSERT_EQ(server_keycode(XK_odiaeresis), taken); /* the other client's */
    XChangeKeyboardMapping(client.dpy, taken, 1, &none, 1);
    XSync(client.dpy, False);
    teardown();
}

TEST(types_a_thousand_characters_in_order)
{
    char text[1001];

    for (int i = 0; i < 1000; i++)
        text[i] = "abcdefghijklmnopqrstuvwxyz0123456789 ,.ABCXYZ"[i * 7 % 45];
    text[1000] = '\0';
    setup(NULL);
    check_typing(text, text, 0);
    teardown();
}

/* ---- clean input state ---- */

TEST(modifiers_held_by_someone_else_are_cleared)
{
    KeyCode shift;
    cJSON *events;
    char *typed;

    setup(NULL);
    shift = XKeysymToKeycode(client.dpy, XK_Shift_L);
    XTestFakeKeyEvent(client.dpy, shift, True, CurrentTime); /* "the user" holds Shift */
    XkbLockModifiers(client.dpy, XkbUseCoreKbd, LockMask, LockMask); /* and Caps Lock is on */
    XSync(client.dpy, False);
    ASSERT_EQ(type_text("abc"), XTARS_OK);
    events = xt_client_events(&client);
    typed = xt_events_text(events);
    ASSERT_STR_EQ(typed, "abc");
    free(typed);
    cJSON_Delete(events);
    ASSERT(!key_is_down(XK_Shift_L));
    {
        XkbStateRec state;
        ASSERT_EQ(XkbGetState(client.dpy, XkbUseCoreKbd, &state), Success);
        ASSERT(state.locked_mods & LockMask); /* Caps Lock restored */
        XkbLockModifiers(client.dpy, XkbUseCoreKbd, LockMask, 0);
    }
    /* Without the option the held Shift applies, as with any keyboard. */
    opts.clear_modifiers = 0;
    open_executor();
    XTestFakeKeyEvent(client.dpy, shift, True, CurrentTime);
    XSync(client.dpy, False);
    ASSERT_EQ(type_text("abc"), XTARS_OK);
    events = xt_client_events(&client);
    typed = xt_events_text(events);
    ASSERT_STR_EQ(typed, "ABC");
    free(typed);
    cJSON_Delete(events);
    XTestFakeKeyEvent(client.dpy, shift, False, CurrentTime);
    teardown();
}

static void raise_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

TEST(interrupted_action_leaves_nothing_pressed_and_the_map_restored)
{
    struct xtars_action hold = key_action(XTARS_ACTION_KEY_DOWN, "ctrl", NULL, NULL);
    struct xtars_action press = pointer_action(XTARS_ACTION_MOUSE_DOWN, 200, 100);
    struct itimerval timer = {{0, 0}, {0, 200 * 1000}};
    char text[4000], *p = text;
    int count;
    KeySym *before;

    for (int i = 0; i < 400; i++)
        p += sprintf(p, i % 2 ? "x" : "é");
    setup(NULL);
    opts.key_delay_ms = 3; /* about 1.2 s of typing, interrupted after 0.2 s */
    open_executor();
    before = keymap(&count);
    press.button = XTARS_BUTTON_LEFT;
    ASSERT_EQ(perform(&hold), XTARS_OK);
    ASSERT_EQ(perform(&press), XTARS_OK);
    ASSERT(key_is_down(XK_Control_L));
    signal(SIGALRM, raise_stop);
    setitimer(ITIMER_REAL, &timer, NULL);
    ASSERT_EQ(type_text(text), XTARS_ESTOPPED);
    ASSERT_STR_EQ(err, "exec: stopped by request");
    ASSERT(stop_flag);
    assert_nothing_pressed();
    assert_same_keymap(before, count);
    free(before);
    teardown();
}

TEST(free_releases_everything_held)
{
    struct xtars_action hold = key_action(XTARS_ACTION_KEY_DOWN, "alt", "shift", NULL);
    struct xtars_action press = pointer_action(XTARS_ACTION_MOUSE_DOWN, 200, 100);

    setup(NULL);
    press.button = XTARS_BUTTON_MIDDLE;
    ASSERT_EQ(perform(&hold), XTARS_OK);
    ASSERT_EQ(perform(&press), XTARS_OK);
    ASSERT(key_is_down(XK_Alt_L) && key_is_down(XK_Shift_L));
    xtars_exec_free(ex);
    ex = NULL;
    assert_nothing_pressed();
    teardown();
}

TEST(failed_action_releases_keys_held_before_it)
{
    struct xtars_action hold = key_action(XTARS_ACTION_KEY_DOWN, "ctrl", NULL, NULL);
    struct xtars_action outside = pointer_action(XTARS_ACTION_CLICK, 900, 10);

    setup(NULL);
    ASSERT_EQ(perform(&hold), XTARS_OK);
    ASSERT(key_is_down(XK_Control_L));
    ASSERT_EQ(perform(&outside), XTARS_ERANGE);
    assert_nothing_pressed();
    teardown();
}

TEST(wait_finished_and_call_user_send_nothing)
{
    struct xtars_action wait = {.type = XTARS_ACTION_WAIT, .ms = 30};
    struct xtars_action finished = {.type = XTARS_ACTION_FINISHED};
    struct xtars_action call_user = {.type = XTARS_ACTION_CALL_USER};
    cJSON *events;

    setup(NULL);
    ASSERT_EQ(perform(&wait), XTARS_OK);
    ASSERT_EQ(result.ends_run, 0);
    ASSERT_GE(result.pause_ms, 30);
    ASSERT_EQ(perform(&finished), XTARS_OK);
    ASSERT_EQ(result.ends_run, 1);
    ASSERT_EQ(perform(&call_user), XTARS_OK);
    ASSERT_EQ(result.ends_run, 1);
    events = xt_client_events(&client);
    ASSERT_EQ(cJSON_GetArraySize(events), 0);
    cJSON_Delete(events);
    teardown();
}

TEST(missing_display_is_a_clear_error)
{
    struct xtars_exec_options o = {0};

    o.display = ":4242";
    ASSERT_EQ(xtars_exec_new_xtest(&o, &ex, err), XTARS_EDISPLAY);
    ASSERT(ex == NULL);
    ASSERT_STR_EQ(err, "exec: cannot open X display ':4242'");
}

/* ---- xtars act ---- */

TEST(act_performs_calls_on_the_display)
{
    struct xt_result r;
    const cJSON *press;
    cJSON *events;
    char *typed;

    setup(NULL);
    r = xt_run((const char *const[]){"@xtars", "act", "--family", "pixels",
                                     "click(start_box='(300,200)')",
                                     "type(content='h\xc3\xa9llo \xe4\xbd\xa0\\n')", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"done\": \"click left at (300,200)\"");
    ASSERT_STR_CONTAINS(r.out, "\"done\": \"type 7 characters and 1 enter\"");
    ASSERT_STR_CONTAINS(r.out, "\"remapped\": 2"); /* é and 你 are not in the us layout */
    xt_result_free(&r);
    events = xt_client_events(&client);
    press = xt_events_nth(events, "button_press", 0);
    ASSERT_EQ(xt_event_int(press, "root_x"), 300);
    ASSERT_EQ(xt_event_int(press, "root_y"), 200);
    typed = xt_events_text(events);
    ASSERT_STR_EQ(typed, "h\xc3\xa9llo \xe4\xbd\xa0\n");
    free(typed);
    cJSON_Delete(events);
    assert_nothing_pressed();
    teardown();
}

/* With an XRandR monitor chosen (--monitor, or config 'monitor' as a run
 * uses it), relative coordinates map into that monitor, as in its
 * screenshot, and points outside it are refused. */
TEST(act_maps_into_the_chosen_monitor)
{
    struct xt_result r;
    const cJSON *press;
    cJSON *events;

    setup(NULL); /* 800x600; the client window is 400x300+100+50 */
    r = xt_run((const char *const[]){"xrandr", "--setmonitor", "right", "400/100x600/150+400+0",
                                     "none", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    /* 0..1000 of the 400x600 monitor at x 400: (125,500) is (450,300). */
    r = xt_run((const char *const[]){"@xtars", "act", "--family", "uitars-1.0", "--monitor",
                                     "right", "click(start_box='(125,500)')", NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("exit %d: %s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"done\": \"click left at (450,300)\"");
    xt_result_free(&r);
    /* The same from the config: (150,250) is (460,150). */
    r = xt_run((const char *const[]){"@xtars", "act", "--family", "uitars-1.0", "--set",
                                     "monitor=right", "click(start_box='(150,250)')", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 2);
    press = xt_events_nth(events, "button_press", 0);
    ASSERT_EQ(xt_event_int(press, "root_x"), 450);
    ASSERT_EQ(xt_event_int(press, "root_y"), 300);
    press = xt_events_nth(events, "button_press", 1);
    ASSERT_EQ(xt_event_int(press, "root_x"), 460);
    ASSERT_EQ(xt_event_int(press, "root_y"), 150);
    cJSON_Delete(events);
    /* A screen point well past the monitor is refused; an unknown monitor is named. */
    r = xt_run((const char *const[]){"@xtars", "act", "--family", "pixels", "--monitor", "right",
                                     "click(start_box='(900,100)')", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 1);
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "act", "--monitor", "middle",
                                     "click(start_box='(1,1)')", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "xtars act: capture: no monitor 'middle'");
    xt_result_free(&r);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 0);
    cJSON_Delete(events);
    teardown();
}

TEST(act_stops_on_sigint_and_releases_what_it_held)
{
    const char *bin = getenv("XTARS_BIN");
    struct timespec pause = {0, 100 * 1000 * 1000};
    int status, devnull;
    pid_t pid;

    ASSERT(bin != NULL);
    setup(NULL);
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execl(bin, bin, "act", "--set", "wait_ms=60000", "key_down(key='shift')",
              "mouse_down(button='left')", "wait()", (char *)NULL);
        _exit(127);
    }
    /* until the wait() is running with shift held (polled: under valgrind
     * xtars takes seconds to start) */
    for (int i = 0; i < 200 && !key_is_down(XK_Shift_L); i++)
        nanosleep(&pause, NULL);
    ASSERT(key_is_down(XK_Shift_L));
    kill(pid, SIGINT);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 4);
    assert_nothing_pressed();
    teardown();
}
