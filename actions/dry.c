/* dry.c: the dry-run backend. Sends nothing; appends one line per event it
 * would have sent to a log ("move 10 20", "button 1 down", "key ctrl down",
 * "type \"hi\"", "pause 30", "clear_modifiers"), and tracks held keys and
 * buttons like the XTest backend so release_all() logs the same releases.
 * Pauses are logged, not slept. Core library: no X. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "xtars/buf.h"
#include "agent/base/json.h"

#define DRY_LOG_MAX (16u << 20)
#define DRY_MAX_HELD 32

struct dry {
    struct xtars_buf log;
    const atomic_int *stop;
    unsigned buttons;                           /* bit n: button n held */
    char held[DRY_MAX_HELD][XTARS_KEY_NAME_LEN]; /* in pressing order */
    int held_count;
};

static xtars_err logf_line(struct dry *d, char *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static xtars_err logf_line(struct dry *d, char *err, const char *fmt, ...)
{
    va_list ap;
    xtars_err rc;

    va_start(ap, fmt);
    rc = xtars_buf_vprintf(&d->log, fmt, ap);
    va_end(ap);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(&d->log, '\n');
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "exec: dry-run log: %s", xtars_strerror(rc));
    return XTARS_OK;
}

static xtars_err dry_begin(void *impl, int clear_modifiers, char *err)
{
    return clear_modifiers ? logf_line(impl, err, "clear_modifiers") : XTARS_OK;
}

static xtars_err dry_end(void *impl, char *err)
{
    (void)impl;
    (void)err;
    return XTARS_OK;
}

static xtars_err dry_move(void *impl, int x, int y, char *err)
{
    return logf_line(impl, err, "move %d %d", x, y);
}

static xtars_err dry_button(void *impl, int number, int down, char *err)
{
    struct dry *d = impl;
    unsigned bit = 1u << number;

    if (down && (d->buttons & bit))
        return XTARS_OK;
    d->buttons = down ? d->buttons | bit : d->buttons & ~bit;
    return logf_line(d, err, "button %d %s", number, down ? "down" : "up");
}

static int find_held(const struct dry *d, const char *name)
{
    for (int i = 0; i < d->held_count; i++)
        if (strcmp(d->held[i], name) == 0)
            return i;
    return -1;
}

static xtars_err dry_key(void *impl, const char *name, unsigned long keysym, int down,
                         int *pressed, char *err)
{
    struct dry *d = impl;
    int at = find_held(d, name);

    (void)keysym;
    if (pressed)
        *pressed = 1;
    if (down && at >= 0) {
        if (pressed)
            *pressed = 0;
        return XTARS_OK;
    }
    if (down) {
        if (d->held_count == DRY_MAX_HELD)
            return xtars_error(err, XTARS_ETOOBIG, "exec: more than %d keys held", DRY_MAX_HELD);
        snprintf(d->held[d->held_count++], XTARS_KEY_NAME_LEN, "%s", name);
    } else if (at >= 0) {
        memmove(d->held[at], d->held[at + 1], (size_t)(d->held_count - at - 1) * sizeof d->held[0]);
        d->held_count--;
    }
    return logf_line(d, err, "key %s %s", name, down ? "down" : "up");
}

static xtars_err dry_text(void *impl, const char *utf8, size_t len, int *events, int *remapped,
                          char *err)
{
    struct dry *d = impl;
    xtars_err rc = xtars_buf_puts(&d->log, "type ");

    (void)remapped;
    if (rc == XTARS_OK)
        rc = xtars_json_put_stringn(&d->log, utf8, len);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(&d->log, '\n');
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "exec: dry-run log: %s", xtars_strerror(rc));
    for (size_t i = 0; i < len; i++)
        *events += 2 * (((unsigned char)utf8[i] & 0xc0) != 0x80); /* press + release */
    return XTARS_OK;
}

static xtars_err dry_pause(void *impl, int ms, char *err)
{
    struct dry *d = impl;

    if (d->stop && *d->stop)
        return XTARS_ESTOPPED;
    return logf_line(d, err, "pause %d", ms);
}

static void dry_release_all(void *impl)
{
    struct dry *d = impl;

    while (d->held_count > 0)
        logf_line(d, NULL, "key %s up", d->held[--d->held_count]);
    for (int number = 1; number < 32; number++)
        if (d->buttons & (1u << number))
            logf_line(d, NULL, "button %d up", number);
    d->buttons = 0;
}

static void dry_destroy(void *impl)
{
    struct dry *d = impl;

    if (d) {
        xtars_buf_cleanup(&d->log);
        free(d);
    }
}

static const char *dry_log(const void *impl)
{
    const struct dry *d = impl;

    return d->log.data ? d->log.data : "";
}

static const struct exec_backend dry_backend = {
    .kind = "dry",
    .begin = dry_begin,
    .end = dry_end,
    .move = dry_move,
    .button = dry_button,
    .key = dry_key,
    .text = dry_text,
    .pause = dry_pause,
    .release_all = dry_release_all,
    .destroy = dry_destroy,
    .log = dry_log,
};

xtars_err xtars_exec_new_dry(const struct xtars_exec_options *opts, struct xtars_executor **out,
                             char err[static XTARS_ERRLEN])
{
    struct dry *d = calloc(1, sizeof *d);
    struct xtars_rect screen = {0, 0, 0, 0};

    *out = NULL;
    if (d == NULL)
        return xtars_error(err, XTARS_ENOMEM, "exec: out of memory");
    xtars_buf_init(&d->log, DRY_LOG_MAX);
    if (xtars_buf_reserve(&d->log, 256) != XTARS_OK) {
        dry_destroy(d);
        return xtars_error(err, XTARS_ENOMEM, "exec: out of memory");
    }
    d->log.data[0] = '\0';
    d->stop = opts->stop;
    if (opts->bounds.width > 0 && opts->bounds.height > 0) {
        screen.width = opts->bounds.x + opts->bounds.width;
        screen.height = opts->bounds.y + opts->bounds.height;
    }
    return exec_create(&dry_backend, d, opts, screen, out, err);
}
