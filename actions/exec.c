/* exec.c: the action performer shared by every executor. It validates an
 * action (points inside the target, known keys, valid UTF-8), turns it into
 * primitive events with the configured pauses, checks the stop flag between
 * events, and on any failure makes the backend release everything. It never
 * talks to X itself (core library): backends do (backend.h). */
#include <X11/keysym.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "actions/keysym.h"

struct xtars_executor {
    const struct exec_backend *backend;
    void *impl;
    struct xtars_exec_options opts;
    struct xtars_rect target;   /* zero-sized: unbounded (dry run without bounds) */
    struct xtars_exec_result *result;
    char *err;
};

double exec_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

xtars_err exec_sleep_ms(int ms, const atomic_int *stop)
{
    double end = exec_now_ms() + ms;

    for (;;) {
        double left = end - exec_now_ms();
        struct timespec ts;

        if (stop && *stop)
            return XTARS_ESTOPPED;
        if (left <= 0)
            return XTARS_OK;
        if (left > 10)
            left = 10; /* check the stop flag at least every 10 ms */
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e6);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            if (stop && *stop)
                return XTARS_ESTOPPED;
    }
}

void xtars_exec_options_init(struct xtars_exec_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->click_delay_ms = 30;   /* move -> press, for hover-sensitive apps */
    opts->key_delay_ms = 0;
    opts->action_delay_ms = 0;
    opts->scroll_amount = 5;     /* notches, as the references send */
    opts->wait_ms = 5000;        /* what wait() means to the model */
    opts->double_click_ms = 20;  /* far inside every toolkit's 200-500 ms */
    opts->clear_modifiers = 1;   /* a held Shift must not turn a click into shift-click */
}

static xtars_err check_options(const struct xtars_exec_options *opts, struct xtars_rect screen,
                               char *err)
{
    const struct xtars_rect *b = &opts->bounds;

    if (opts->click_delay_ms < 0 || opts->key_delay_ms < 0 || opts->action_delay_ms < 0 ||
        opts->scroll_amount < 0 || opts->wait_ms < 0 || opts->double_click_ms < 0)
        return xtars_error(err, XTARS_EINVAL, "exec: delays and amounts must not be negative");
    if (b->width < 0 || b->height < 0 || b->x < 0 || b->y < 0)
        return xtars_error(err, XTARS_EINVAL, "exec: bounds %dx%d+%d+%d are invalid", b->width,
                           b->height, b->x, b->y);
    if (b->width > 0 && b->height > 0 && screen.width > 0 &&
        (b->x + b->width > screen.width || b->y + b->height > screen.height))
        return xtars_error(err, XTARS_EINVAL,
                           "exec: bounds %dx%d+%d+%d extend outside the %dx%d screen", b->width,
                           b->height, b->x, b->y, screen.width, screen.height);
    return XTARS_OK;
}

xtars_err exec_create(const struct exec_backend *backend, void *impl,
                      const struct xtars_exec_options *opts, struct xtars_rect screen,
                      struct xtars_executor **out, char *err)
{
    struct xtars_executor *ex;
    xtars_err rc;

    *out = NULL;
    rc = check_options(opts, screen, err);
    if (rc != XTARS_OK) {
        backend->destroy(impl);
        return rc;
    }
    ex = calloc(1, sizeof *ex);
    if (ex == NULL) {
        backend->destroy(impl);
        return xtars_error(err, XTARS_ENOMEM, "exec: out of memory");
    }
    ex->backend = backend;
    ex->impl = impl;
    ex->opts = *opts;
    ex->opts.display = NULL; /* only read while creating */
    ex->target = opts->bounds.width > 0 && opts->bounds.height > 0 ? opts->bounds : screen;
    *out = ex;
    return XTARS_OK;
}

void xtars_exec_release_all(struct xtars_executor *ex)
{
    if (ex)
        ex->backend->release_all(ex->impl);
}

void xtars_exec_free(struct xtars_executor *ex)
{
    if (ex == NULL)
        return;
    ex->backend->release_all(ex->impl);
    ex->backend->destroy(ex->impl);
    free(ex);
}

struct xtars_rect xtars_exec_target(const struct xtars_executor *ex) { return ex->target; }

const char *xtars_exec_kind(const struct xtars_executor *ex) { return ex->backend->kind; }

const char *xtars_exec_dry_log(const struct xtars_executor *ex)
{
    return ex->backend->log ? ex->backend->log(ex->impl) : NULL;
}

/* ---- primitive steps: each checks the stop flag and counts its events ---- */

static xtars_err stopped(struct xtars_executor *ex)
{
    if (ex->opts.stop && *ex->opts.stop)
        return xtars_error(ex->err, XTARS_ESTOPPED, "exec: stopped by request");
    return XTARS_OK;
}

static xtars_err pause_ms(struct xtars_executor *ex, int ms)
{
    double start;
    xtars_err rc;

    if (ms <= 0)
        return stopped(ex);
    start = exec_now_ms();
    rc = ex->backend->pause(ex->impl, ms, ex->err);
    ex->result->pause_ms += exec_now_ms() - start;
    if (rc == XTARS_ESTOPPED)
        return xtars_error(ex->err, XTARS_ESTOPPED, "exec: stopped by request");
    return rc;
}

static xtars_err move(struct xtars_executor *ex, int x, int y)
{
    xtars_err rc = stopped(ex);

    if (rc == XTARS_OK)
        rc = ex->backend->move(ex->impl, x, y, ex->err);
    ex->result->events++;
    return rc;
}

static xtars_err button(struct xtars_executor *ex, int number, int down)
{
    xtars_err rc = stopped(ex);

    if (rc == XTARS_OK)
        rc = ex->backend->button(ex->impl, number, down, ex->err);
    ex->result->events++;
    return rc;
}

static xtars_err key(struct xtars_executor *ex, const char *name, int down, int *pressed)
{
    unsigned long keysym;
    xtars_err rc = stopped(ex);

    if (rc == XTARS_OK)
        rc = xtars_exec_key_keysym(name, &keysym, ex->err);
    if (rc == XTARS_OK)
        rc = ex->backend->key(ex->impl, name, keysym, down, pressed, ex->err);
    ex->result->events++;
    return rc;
}

static void describe(struct xtars_executor *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void describe(struct xtars_executor *ex, const char *fmt, ...)
{
    va_list ap;
    size_t used = strlen(ex->result->description);

    va_start(ap, fmt);
    vsnprintf(ex->result->description + used, sizeof ex->result->description - used, fmt, ap);
    va_end(ap);
}

/* ---- validation ---- */

static xtars_err check_point(struct xtars_executor *ex, int x, int y)
{
    const struct xtars_rect *t = &ex->target;

    if (x < 0 || y < 0)
        return xtars_error(ex->err, XTARS_ERANGE, "exec: point (%d,%d) is off the screen", x, y);
    if (t->width <= 0 || t->height <= 0)
        return XTARS_OK;
    if (x < t->x || y < t->y || x >= t->x + t->width || y >= t->y + t->height)
        return xtars_error(ex->err, XTARS_ERANGE,
                           "exec: point (%d,%d) is outside the target %dx%d+%d+%d", x, y,
                           t->width, t->height, t->x, t->y);
    return XTARS_OK;
}

static xtars_err check_keys(struct xtars_executor *ex, const struct xtars_action *a)
{
    unsigned long keysym;

    if (a->key_count < 1 || a->key_count > XTARS_ACTION_MAX_KEYS)
        return xtars_error(ex->err, XTARS_EINVAL, "exec: %s needs 1 to %d keys, got %d",
                           xtars_action_type_name(a->type), XTARS_ACTION_MAX_KEYS, a->key_count);
    for (int i = 0; i < a->key_count; i++) {
        if (memchr(a->keys[i], '\0', XTARS_KEY_NAME_LEN) == NULL)
            return xtars_error(ex->err, XTARS_EINVAL, "exec: key name %d is not terminated", i);
        if (xtars_exec_key_keysym(a->keys[i], &keysym, ex->err) != XTARS_OK)
            return XTARS_EINVAL;
    }
    return XTARS_OK;
}

static xtars_err check_text(struct xtars_executor *ex, const char *text)
{
    size_t len = text ? strlen(text) : 0;
    unsigned long cp;

    for (size_t i = 0; i < len;) {
        int n = xtars_utf8_decode(text + i, len - i, &cp);
        if (n == 0)
            return xtars_error(ex->err, XTARS_EINVAL, "exec: type: invalid UTF-8 at byte %zu", i);
        if (xtars_exec_char_keysym(cp) == 0)
            return xtars_error(ex->err, XTARS_EINVAL,
                               "exec: type: cannot type control character U+%04lX at byte %zu",
                               cp, i);
        i += (size_t)n;
    }
    return XTARS_OK;
}

static int needs_point(enum xtars_action_type type)
{
    return type == XTARS_ACTION_CLICK || type == XTARS_ACTION_DOUBLE_CLICK ||
           type == XTARS_ACTION_RIGHT_CLICK || type == XTARS_ACTION_MIDDLE_CLICK ||
           type == XTARS_ACTION_HOVER || type == XTARS_ACTION_DRAG;
}

static xtars_err validate(struct xtars_executor *ex, const struct xtars_action *a)
{
    xtars_err rc = XTARS_OK;

    if ((int)a->type < 0 || a->type >= XTARS_ACTION_TYPE_COUNT)
        return xtars_error(ex->err, XTARS_EINVAL, "exec: unknown action type %d", (int)a->type);
    if (needs_point(a->type) && !a->has_point)
        return xtars_error(ex->err, XTARS_EINVAL, "exec: %s needs a point",
                           xtars_action_type_name(a->type));
    if (a->type == XTARS_ACTION_DRAG && !a->has_end)
        return xtars_error(ex->err, XTARS_EINVAL, "exec: drag needs an end point");
    if (a->has_point)
        rc = check_point(ex, a->x, a->y);
    if (rc == XTARS_OK && a->type == XTARS_ACTION_DRAG)
        rc = check_point(ex, a->x2, a->y2);
    if (rc != XTARS_OK)
        return rc;
    switch (a->type) {
    case XTARS_ACTION_HOTKEY:
    case XTARS_ACTION_KEY_DOWN:
    case XTARS_ACTION_KEY_UP:
        return check_keys(ex, a);
    case XTARS_ACTION_TYPE:
        return check_text(ex, a->text);
    case XTARS_ACTION_SCROLL:
        if ((int)a->direction < XTARS_SCROLL_UP || a->direction > XTARS_SCROLL_RIGHT ||
            a->amount < 0 || a->amount > 1000)
            return xtars_error(ex->err, XTARS_EINVAL, "exec: scroll direction %d amount %d",
                               (int)a->direction, a->amount);
        return XTARS_OK;
    case XTARS_ACTION_MOUSE_DOWN:
    case XTARS_ACTION_MOUSE_UP:
        if (a->button < XTARS_BUTTON_LEFT || a->button > XTARS_BUTTON_RIGHT)
            return xtars_error(ex->err, XTARS_EINVAL, "exec: unknown mouse button %d",
                               (int)a->button);
        return XTARS_OK;
    case XTARS_ACTION_WAIT:
        if (a->ms < 0)
            return xtars_error(ex->err, XTARS_EINVAL, "exec: wait of %d ms", a->ms);
        return XTARS_OK;
    default:
        return XTARS_OK;
    }
}

/* ---- actions ---- */

static const char *button_name(int number)
{
    return number == 1 ? "left" : number == 2 ? "middle" : number == 3 ? "right" : "?";
}

static xtars_err do_click(struct xtars_executor *ex, const struct xtars_action *a, int number,
                          int count)
{
    xtars_err rc = move(ex, a->x, a->y);

    if (rc == XTARS_OK)
        rc = pause_ms(ex, ex->opts.click_delay_ms);
    for (int i = 0; i < count && rc == XTARS_OK; i++) {
        if (i > 0)
            rc = pause_ms(ex, ex->opts.double_click_ms);
        if (rc == XTARS_OK)
            rc = button(ex, number, 1);
        if (rc == XTARS_OK)
            rc = button(ex, number, 0);
    }
    describe(ex, "%s %s at (%d,%d)", count == 2 ? "double click" : "click", button_name(number),
             a->x, a->y);
    return rc;
}

static xtars_err do_drag(struct xtars_executor *ex, const struct xtars_action *a)
{
    xtars_err rc = move(ex, a->x, a->y);

    if (rc == XTARS_OK)
        rc = pause_ms(ex, ex->opts.click_delay_ms);
    if (rc == XTARS_OK)
        rc = button(ex, 1, 1);
    /* Intermediate motion so applications that track it see a drag, not a
     * jump; the last step lands exactly on the end point. */
    for (int i = 1; i <= XTARS_EXEC_DRAG_STEPS && rc == XTARS_OK; i++) {
        int x = a->x + (int)((long)(a->x2 - a->x) * i / XTARS_EXEC_DRAG_STEPS);
        int y = a->y + (int)((long)(a->y2 - a->y) * i / XTARS_EXEC_DRAG_STEPS);
        rc = move(ex, x, y);
        if (rc == XTARS_OK)
            rc = pause_ms(ex, XTARS_EXEC_DRAG_STEP_MS);
    }
    if (rc == XTARS_OK)
        rc = pause_ms(ex, ex->opts.click_delay_ms);
    if (rc == XTARS_OK)
        rc = button(ex, 1, 0);
    describe(ex, "drag from (%d,%d) to (%d,%d)", a->x, a->y, a->x2, a->y2);
    return rc;
}

static xtars_err do_scroll(struct xtars_executor *ex, const struct xtars_action *a)
{
    static const int buttons[] = {4, 5, 6, 7}; /* up, down, left, right */
    int amount = a->amount > 0 ? a->amount : ex->opts.scroll_amount;
    int number = buttons[a->direction];
    xtars_err rc = XTARS_OK;

    if (a->has_point) {
        rc = move(ex, a->x, a->y);
        if (rc == XTARS_OK)
            rc = pause_ms(ex, ex->opts.click_delay_ms);
    }
    for (int i = 0; i < amount && rc == XTARS_OK; i++) {
        rc = button(ex, number, 1);
        if (rc == XTARS_OK)
            rc = button(ex, number, 0);
    }
    describe(ex, "scroll %s %d notch%s", xtars_scroll_direction_name(a->direction), amount,
             amount == 1 ? "" : "es");
    if (a->has_point)
        describe(ex, " at (%d,%d)", a->x, a->y);
    return rc;
}

static xtars_err do_hotkey(struct xtars_executor *ex, const struct xtars_action *a)
{
    int pressed[XTARS_ACTION_MAX_KEYS] = {0};
    int count = 0;
    xtars_err rc = XTARS_OK;

    for (int i = 0; i < a->key_count && rc == XTARS_OK; i++) {
        if (i > 0)
            rc = pause_ms(ex, ex->opts.key_delay_ms);
        if (rc == XTARS_OK)
            rc = key(ex, a->keys[i], 1, &pressed[i]);
        if (rc == XTARS_OK)
            count = i + 1;
        describe(ex, "%s%s", i ? "+" : "hotkey ", a->keys[i]);
    }
    /* Release in reverse order; keys that were already held (key_down) stay. */
    for (int i = count - 1; i >= 0 && rc == XTARS_OK; i--) {
        if (!pressed[i])
            continue;
        rc = pause_ms(ex, ex->opts.key_delay_ms);
        if (rc == XTARS_OK)
            rc = key(ex, a->keys[i], 0, NULL);
    }
    return rc;
}

static xtars_err do_hold(struct xtars_executor *ex, const struct xtars_action *a, int down)
{
    xtars_err rc = XTARS_OK;

    describe(ex, "%s", down ? "key_down" : "key_up");
    for (int n = 0; n < a->key_count && rc == XTARS_OK; n++) {
        int i = down ? n : a->key_count - 1 - n;
        rc = key(ex, a->keys[i], down, NULL);
        describe(ex, " %s", a->keys[i]);
    }
    return rc;
}

static xtars_err do_mouse(struct xtars_executor *ex, const struct xtars_action *a, int down)
{
    xtars_err rc = XTARS_OK;

    if (a->has_point) {
        rc = move(ex, a->x, a->y);
        if (rc == XTARS_OK && down)
            rc = pause_ms(ex, ex->opts.click_delay_ms);
    }
    if (rc == XTARS_OK)
        rc = button(ex, (int)a->button, down);
    describe(ex, "mouse_%s %s", down ? "down" : "up", button_name((int)a->button));
    if (a->has_point)
        describe(ex, " at (%d,%d)", a->x, a->y);
    return rc;
}

static xtars_err type_segment(struct xtars_executor *ex, const char *s, size_t n)
{
    xtars_err rc = stopped(ex);

    if (rc == XTARS_OK && n > 0)
        rc = ex->backend->text(ex->impl, s, n, &ex->result->events, &ex->result->remapped,
                               ex->err);
    return rc;
}

/* Text goes to the backend in runs without line breaks; each "\n" (or
 * "\r\n", or a lone "\r") presses Enter, so a trailing newline submits. */
static xtars_err do_type(struct xtars_executor *ex, const char *text)
{
    size_t len = text ? strlen(text) : 0, start = 0, chars = 0;
    xtars_err rc = XTARS_OK;
    int enters = 0;

    for (size_t i = 0; i <= len && rc == XTARS_OK; i++) {
        if (i < len && text[i] != '\n' && text[i] != '\r') {
            chars += ((unsigned char)text[i] & 0xc0) != 0x80;
            continue;
        }
        rc = type_segment(ex, text + start, i - start);
        if (rc != XTARS_OK || i == len)
            break;
        if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            i++;
        start = i + 1;
        rc = pause_ms(ex, ex->opts.key_delay_ms);
        if (rc == XTARS_OK)
            rc = key(ex, "enter", 1, NULL);
        if (rc == XTARS_OK)
            rc = key(ex, "enter", 0, NULL);
        enters++;
        if (rc == XTARS_OK)
            rc = pause_ms(ex, ex->opts.key_delay_ms);
    }
    describe(ex, "type %zu character%s", chars, chars == 1 ? "" : "s");
    if (enters)
        describe(ex, " and %d enter%s", enters, enters == 1 ? "" : "s");
    return rc;
}

static int clears_modifiers(enum xtars_action_type type)
{
    return type == XTARS_ACTION_CLICK || type == XTARS_ACTION_DOUBLE_CLICK ||
           type == XTARS_ACTION_RIGHT_CLICK || type == XTARS_ACTION_MIDDLE_CLICK ||
           type == XTARS_ACTION_DRAG || type == XTARS_ACTION_SCROLL ||
           type == XTARS_ACTION_TYPE || type == XTARS_ACTION_HOTKEY;
}

static xtars_err dispatch(struct xtars_executor *ex, const struct xtars_action *a)
{
    switch (a->type) {
    case XTARS_ACTION_CLICK: return do_click(ex, a, 1, 1);
    case XTARS_ACTION_DOUBLE_CLICK: return do_click(ex, a, 1, 2);
    case XTARS_ACTION_RIGHT_CLICK: return do_click(ex, a, 3, 1);
    case XTARS_ACTION_MIDDLE_CLICK: return do_click(ex, a, 2, 1);
    case XTARS_ACTION_HOVER:
        describe(ex, "hover at (%d,%d)", a->x, a->y);
        return move(ex, a->x, a->y);
    case XTARS_ACTION_DRAG: return do_drag(ex, a);
    case XTARS_ACTION_SCROLL: return do_scroll(ex, a);
    case XTARS_ACTION_TYPE: return do_type(ex, a->text);
    case XTARS_ACTION_HOTKEY: return do_hotkey(ex, a);
    case XTARS_ACTION_KEY_DOWN: return do_hold(ex, a, 1);
    case XTARS_ACTION_KEY_UP: return do_hold(ex, a, 0);
    case XTARS_ACTION_MOUSE_DOWN: return do_mouse(ex, a, 1);
    case XTARS_ACTION_MOUSE_UP: return do_mouse(ex, a, 0);
    default: return XTARS_OK;
    }
}

static xtars_err perform_input(struct xtars_executor *ex, const struct xtars_action *a)
{
    xtars_err rc = ex->backend->begin(ex->impl, ex->opts.clear_modifiers && clears_modifiers(a->type),
                                      ex->err);

    if (rc == XTARS_OK)
        rc = dispatch(ex, a);
    if (rc == XTARS_OK)
        rc = ex->backend->end(ex->impl, ex->err);
    if (rc == XTARS_OK)
        rc = pause_ms(ex, ex->opts.action_delay_ms);
    return rc;
}

xtars_err xtars_exec_perform(struct xtars_executor *ex, const struct xtars_action *action,
                             struct xtars_exec_result *result, char err[static XTARS_ERRLEN])
{
    struct xtars_exec_result scratch;
    double start = exec_now_ms();
    xtars_err rc;

    ex->result = result ? result : &scratch;
    ex->err = err;
    memset(ex->result, 0, sizeof *ex->result);
    rc = validate(ex, action);
    if (rc != XTARS_OK)
        describe(ex, "%s rejected", xtars_action_type_name(action->type));
    else if (action->type == XTARS_ACTION_FINISHED || action->type == XTARS_ACTION_CALL_USER) {
        ex->result->ends_run = 1;
        describe(ex, "%s", xtars_action_type_name(action->type));
    } else if (action->type == XTARS_ACTION_WAIT) {
        int ms = action->ms > 0 ? action->ms : ex->opts.wait_ms;
        describe(ex, "wait %d ms", ms);
        rc = pause_ms(ex, ms);
    } else {
        rc = perform_input(ex, action);
    }
    if (rc != XTARS_OK)
        ex->backend->release_all(ex->impl);
    ex->result->duration_ms = exec_now_ms() - start;
    ex->result = NULL;
    ex->err = NULL;
    return rc;
}
