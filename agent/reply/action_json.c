/* action_json.c: actions to and from their canonical JSON object, actions to
 * UI-TARS call text in model space, and the `xtars parse` reply object. The
 * JSON reader takes untrusted trajectories: strict, capped, every failure an
 * EPARSE naming the field. cJSON stays inside this file. Never prints. */
#include "agent/reply/action_json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/json.h"
#include "agent/reply/keys.h"
#include "xtars/parse.h"

/* ---- writing JSON ------------------------------------------------------ */

static xtars_err put_int_field(struct xtars_buf *out, const char *name, long v)
{
    return xtars_buf_printf(out, ",\"%s\":%ld", name, v);
}

static xtars_err put_number_field(struct xtars_buf *out, const char *name, double v)
{
    xtars_err rc = xtars_buf_printf(out, ",\"%s\":", name);

    return rc == XTARS_OK ? xtars_json_put_number(out, v) : rc;
}

static xtars_err put_string_field(struct xtars_buf *out, const char *name, const char *s)
{
    xtars_err rc = xtars_buf_printf(out, ",\"%s\":", name);

    return rc == XTARS_OK ? xtars_json_put_string(out, s) : rc;
}

static xtars_err put_points(const struct xtars_action *a, struct xtars_buf *out)
{
    xtars_err rc = XTARS_OK;

    if (a->has_point && rc == XTARS_OK)
        rc = put_int_field(out, "x", a->x);
    if (a->has_point && rc == XTARS_OK)
        rc = put_int_field(out, "y", a->y);
    if (a->has_end && rc == XTARS_OK)
        rc = put_int_field(out, "x2", a->x2);
    if (a->has_end && rc == XTARS_OK)
        rc = put_int_field(out, "y2", a->y2);
    if (a->has_point && rc == XTARS_OK)
        rc = put_number_field(out, "model_x", a->model_x);
    if (a->has_point && rc == XTARS_OK)
        rc = put_number_field(out, "model_y", a->model_y);
    if (a->has_end && rc == XTARS_OK)
        rc = put_number_field(out, "model_x2", a->model_x2);
    if (a->has_end && rc == XTARS_OK)
        rc = put_number_field(out, "model_y2", a->model_y2);
    return rc;
}

static xtars_err put_keys(const struct xtars_action *a, struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_puts(out, ",\"keys\":[");

    for (int i = 0; i < a->key_count && i < XTARS_ACTION_MAX_KEYS && rc == XTARS_OK; i++) {
        if (i > 0)
            rc = xtars_buf_putc(out, ',');
        if (rc == XTARS_OK)
            rc = xtars_json_put_stringn(out, a->keys[i], strnlen(a->keys[i], XTARS_KEY_NAME_LEN));
    }
    return rc == XTARS_OK ? xtars_buf_putc(out, ']') : rc;
}

static xtars_err put_details(const struct xtars_action *a, struct xtars_buf *out)
{
    xtars_err rc;

    switch (a->type) {
    case XTARS_ACTION_SCROLL:
        rc = put_string_field(out, "direction", xtars_scroll_direction_name(a->direction));
        return rc == XTARS_OK ? put_int_field(out, "amount", a->amount) : rc;
    case XTARS_ACTION_TYPE:
        return put_string_field(out, "text", a->text ? a->text : "");
    case XTARS_ACTION_HOTKEY:
    case XTARS_ACTION_KEY_DOWN:
    case XTARS_ACTION_KEY_UP:
        return put_keys(a, out);
    case XTARS_ACTION_MOUSE_DOWN:
    case XTARS_ACTION_MOUSE_UP:
        return put_string_field(out, "button", xtars_button_name(a->button));
    case XTARS_ACTION_WAIT:
        return put_int_field(out, "ms", a->ms);
    case XTARS_ACTION_FINISHED:
    case XTARS_ACTION_CALL_USER:
        return a->text ? put_string_field(out, "text", a->text) : XTARS_OK;
    default:
        return XTARS_OK;
    }
}

xtars_err xtars_action_to_json(const struct xtars_action *action, struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_printf(out, "{\"type\":\"%s\"", xtars_action_type_name(action->type));

    if (rc == XTARS_OK)
        rc = put_points(action, out);
    if (rc == XTARS_OK)
        rc = put_details(action, out);
    return rc == XTARS_OK ? xtars_buf_putc(out, '}') : rc;
}

xtars_err xtars_reply_to_json(const struct xtars_reply *reply, struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_puts(out, "{\"thought\":");

    if (rc == XTARS_OK)
        rc = xtars_json_put_string(out, reply->thought);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, ",\"reflection\":");
    if (rc == XTARS_OK)
        rc = xtars_json_put_string(out, reply->reflection);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, ",\"actions\":[");
    for (int i = 0; i < reply->action_count && rc == XTARS_OK; i++) {
        if (i > 0)
            rc = xtars_buf_putc(out, ',');
        if (rc == XTARS_OK)
            rc = xtars_action_to_json(&reply->actions[i], out);
    }
    return rc == XTARS_OK ? xtars_buf_puts(out, "]}") : rc;
}

/* ---- reading JSON ------------------------------------------------------ */

enum field {
    F_X, F_Y, F_X2, F_Y2, F_MODEL_X, F_MODEL_Y, F_MODEL_X2, F_MODEL_Y2,
    F_TEXT, F_KEYS, F_DIRECTION, F_AMOUNT, F_BUTTON, F_MS, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "x", "y", "x2", "y2", "model_x", "model_y", "model_x2", "model_y2",
    "text", "keys", "direction", "amount", "button", "ms",
};

#define BIT(f) (1u << (f))
#define POINT (BIT(F_X) | BIT(F_Y) | BIT(F_MODEL_X) | BIT(F_MODEL_Y))
#define END (BIT(F_X2) | BIT(F_Y2) | BIT(F_MODEL_X2) | BIT(F_MODEL_Y2))

/* Which fields each type takes, and which of those it needs. */
static const struct {
    unsigned allowed, required;
} shapes[XTARS_ACTION_TYPE_COUNT] = {
    [XTARS_ACTION_CLICK] = {POINT, BIT(F_X) | BIT(F_Y)},
    [XTARS_ACTION_DOUBLE_CLICK] = {POINT, BIT(F_X) | BIT(F_Y)},
    [XTARS_ACTION_RIGHT_CLICK] = {POINT, BIT(F_X) | BIT(F_Y)},
    [XTARS_ACTION_MIDDLE_CLICK] = {POINT, BIT(F_X) | BIT(F_Y)},
    [XTARS_ACTION_HOVER] = {POINT, BIT(F_X) | BIT(F_Y)},
    [XTARS_ACTION_DRAG] = {POINT | END, BIT(F_X) | BIT(F_Y) | BIT(F_X2) | BIT(F_Y2)},
    [XTARS_ACTION_SCROLL] = {POINT | BIT(F_DIRECTION) | BIT(F_AMOUNT), BIT(F_DIRECTION)},
    [XTARS_ACTION_TYPE] = {BIT(F_TEXT), BIT(F_TEXT)},
    [XTARS_ACTION_HOTKEY] = {BIT(F_KEYS), BIT(F_KEYS)},
    [XTARS_ACTION_KEY_DOWN] = {BIT(F_KEYS), BIT(F_KEYS)},
    [XTARS_ACTION_KEY_UP] = {BIT(F_KEYS), BIT(F_KEYS)},
    [XTARS_ACTION_MOUSE_DOWN] = {POINT | BIT(F_BUTTON), 0},
    [XTARS_ACTION_MOUSE_UP] = {POINT | BIT(F_BUTTON), 0},
    [XTARS_ACTION_WAIT] = {BIT(F_MS), 0},
    [XTARS_ACTION_FINISHED] = {BIT(F_TEXT), 0},
    [XTARS_ACTION_CALL_USER] = {BIT(F_TEXT), 0},
};

/* Fields that only make sense together. */
static const enum field pairs[][2] = {
    {F_X, F_Y}, {F_X2, F_Y2}, {F_MODEL_X, F_MODEL_Y}, {F_MODEL_X2, F_MODEL_Y2}
};

/* cJSON cuts strings at \u0000; refuse them instead of silently truncating.
 * Scans string literals only, honouring escapes. */
static int has_nul_escape(const char *text, size_t len)
{
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = text[i] == '"';
        } else if (text[i] == '"') {
            in_string = 0;
        } else if (text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
                return 1;
            i++;
        }
    }
    return 0;
}

static xtars_err get_int(const cJSON *item, const char *name, long lo, long hi, long *out,
                         char *err)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) ||
        item->valuedouble != floor(item->valuedouble) || item->valuedouble < lo ||
        item->valuedouble > hi)
        return xtars_error(err, XTARS_EPARSE, "action: '%s' must be an integer from %ld to %ld",
                           name, lo, hi);
    *out = (long)item->valuedouble;
    return XTARS_OK;
}

static xtars_err get_number(const cJSON *item, const char *name, double *out, char *err)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return xtars_error(err, XTARS_EPARSE, "action: '%s' must be a number", name);
    *out = item->valuedouble;
    return XTARS_OK;
}

static xtars_err get_keys(const cJSON *item, struct xtars_action *a, char *err)
{
    const cJSON *key;
    int n = cJSON_GetArraySize(item);

    if (!cJSON_IsArray(item) || n < 1 || n > XTARS_ACTION_MAX_KEYS)
        return xtars_error(err, XTARS_EPARSE, "action: 'keys' must be an array of 1 to %d names",
                           XTARS_ACTION_MAX_KEYS);
    cJSON_ArrayForEach(key, item) {
        if (!cJSON_IsString(key) ||
            xtars_key_name(key->valuestring, strlen(key->valuestring),
                                a->keys[a->key_count]) != XTARS_OK)
            return xtars_error(err, XTARS_EPARSE, "action: unknown key %s%.40s%s in 'keys'",
                               cJSON_IsString(key) ? "'" : "", cJSON_IsString(key) ?
                               key->valuestring : "(not a string)", cJSON_IsString(key) ? "'" : "");
        a->key_count++;
    }
    return XTARS_OK;
}

static xtars_err get_text(const cJSON *item, struct xtars_action *a, char *err)
{
    size_t n;

    if (cJSON_IsNull(item) && a->type != XTARS_ACTION_TYPE)
        return XTARS_OK;
    if (!cJSON_IsString(item))
        return xtars_error(err, XTARS_EPARSE, "action: 'text' must be a string");
    n = strlen(item->valuestring);
    if (n > XTARS_PARSE_MAX_CONTENT)
        return xtars_error(err, XTARS_EPARSE, "action: 'text' longer than %d bytes",
                           XTARS_PARSE_MAX_CONTENT);
    if ((a->text = malloc(n + 1)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "action: out of memory");
    memcpy(a->text, item->valuestring, n + 1);
    return XTARS_OK;
}

static xtars_err get_name(const cJSON *item, const char *name, const char *expected,
                          char *value, size_t size, char *err)
{
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= size)
        return xtars_error(err, XTARS_EPARSE, "action: '%s' must be %s", name, expected);
    strcpy(value, item->valuestring);
    return XTARS_OK;
}

/* One field's value into the action. */
static xtars_err get_field(enum field f, const cJSON *item, struct xtars_action *a, char *err)
{
    static const char *const directions = "\"up\", \"down\", \"left\" or \"right\"";
    static const char *const buttons = "\"left\", \"middle\" or \"right\"";
    long v = 0;
    char name[16];
    xtars_err rc = XTARS_OK;

    switch (f) {
    case F_X: case F_Y: case F_X2: case F_Y2:
        rc = get_int(item, field_names[f], 0, XTARS_ACTION_MAX_COORD, &v, err);
        *(f == F_X ? &a->x : f == F_Y ? &a->y : f == F_X2 ? &a->x2 : &a->y2) = (int)v;
        return rc;
    case F_MODEL_X:
        return get_number(item, field_names[f], &a->model_x, err);
    case F_MODEL_Y:
        return get_number(item, field_names[f], &a->model_y, err);
    case F_MODEL_X2:
        return get_number(item, field_names[f], &a->model_x2, err);
    case F_MODEL_Y2:
        return get_number(item, field_names[f], &a->model_y2, err);
    case F_TEXT:
        return get_text(item, a, err);
    case F_KEYS:
        return get_keys(item, a, err);
    case F_DIRECTION:
        if ((rc = get_name(item, "direction", directions, name, sizeof name, err)) != XTARS_OK)
            return rc;
        if (xtars_scroll_direction_from_name(name, &a->direction) != XTARS_OK)
            return xtars_error(err, XTARS_EPARSE, "action: 'direction' must be %s", directions);
        return XTARS_OK;
    case F_AMOUNT:
        rc = get_int(item, "amount", 0, 100, &v, err);
        a->amount = (int)v;
        return rc;
    case F_BUTTON:
        if ((rc = get_name(item, "button", buttons, name, sizeof name, err)) != XTARS_OK)
            return rc;
        if (xtars_button_from_name(name, &a->button) != XTARS_OK)
            return xtars_error(err, XTARS_EPARSE, "action: 'button' must be %s", buttons);
        return XTARS_OK;
    case F_MS:
        rc = get_int(item, "ms", 0, 3600000, &v, err);
        a->ms = (int)v;
        return rc;
    default:
        return xtars_error(err, XTARS_EPARSE, "action: bad field");
    }
}

static int field_index(const char *name)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(field_names[f], name) == 0)
            return f;
    return -1;
}

/* Every member after "type": known, applicable, unique, well-typed. */
static xtars_err get_fields(const cJSON *root, struct xtars_action *a, char *err)
{
    const char *type = xtars_action_type_name(a->type);
    const cJSON *item;
    unsigned seen = 0;
    xtars_err rc;

    cJSON_ArrayForEach(item, root) {
        int f;
        if (strcmp(item->string, "type") == 0)
            continue;
        f = field_index(item->string);
        if (f < 0)
            return xtars_error(err, XTARS_EPARSE, "action: unknown field '%.40s'", item->string);
        if (!(shapes[a->type].allowed & BIT(f)))
            return xtars_error(err, XTARS_EPARSE, "action: '%s' does not apply to %s",
                               field_names[f], type);
        if (seen & BIT(f))
            return xtars_error(err, XTARS_EPARSE, "action: duplicate field '%s'", field_names[f]);
        seen |= BIT(f);
        if ((rc = get_field((enum field)f, item, a, err)) != XTARS_OK)
            return rc;
    }
    for (int f = 0; f < F_COUNT; f++)
        if ((shapes[a->type].required & BIT(f)) && !(seen & BIT(f)))
            return xtars_error(err, XTARS_EPARSE, "action: %s needs '%s'", type, field_names[f]);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (!(seen & BIT(pairs[i][0])) != !(seen & BIT(pairs[i][1])))
            return xtars_error(err, XTARS_EPARSE, "action: '%s' and '%s' go together",
                               field_names[pairs[i][0]], field_names[pairs[i][1]]);
    a->has_point = (seen & BIT(F_X)) != 0;
    a->has_end = (seen & BIT(F_X2)) != 0;
    if ((a->type == XTARS_ACTION_MOUSE_DOWN || a->type == XTARS_ACTION_MOUSE_UP) &&
        !(seen & BIT(F_BUTTON)))
        a->button = XTARS_BUTTON_LEFT;
    return XTARS_OK;
}

static xtars_err from_tree(const cJSON *root, struct xtars_action *a, char *err)
{
    const cJSON *type = NULL, *item;

    if (!cJSON_IsObject(root))
        return xtars_error(err, XTARS_EPARSE, "action: expected a JSON object");
    cJSON_ArrayForEach(item, root) {
        if (strcmp(item->string, "type") == 0) {
            if (type)
                return xtars_error(err, XTARS_EPARSE, "action: duplicate field 'type'");
            type = item;
        }
    }
    if (type == NULL)
        return xtars_error(err, XTARS_EPARSE, "action: missing 'type'");
    if (!cJSON_IsString(type) || xtars_action_type_from_name(type->valuestring, &a->type))
        return xtars_error(err, XTARS_EPARSE, "action: unknown type %s%.40s%s",
                           cJSON_IsString(type) ? "'" : "",
                           cJSON_IsString(type) ? type->valuestring : "(not a string)",
                           cJSON_IsString(type) ? "'" : "");
    return get_fields(root, a, err);
}

xtars_err xtars_action_from_json(const char *text, size_t len, struct xtars_action *out,
                                 char *err)
{
    const char *end = NULL;
    cJSON *root;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    if (len > XTARS_ACTION_JSON_MAX)
        return xtars_error(err, XTARS_ETOOBIG, "action: JSON longer than %d bytes",
                           XTARS_ACTION_JSON_MAX);
    if (text == NULL || memchr(text, '\0', len) || has_nul_escape(text, len))
        return xtars_error(err, XTARS_EPARSE, "action: NUL characters are not allowed");
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL)
        return xtars_error(err, XTARS_EPARSE, "action: invalid JSON near byte %zu",
                           end && end >= text ? (size_t)(end - text) : (size_t)0);
    while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != text + len)
        rc = xtars_error(err, XTARS_EPARSE, "action: trailing text after the JSON object");
    else
        rc = from_tree(root, out, err);
    cJSON_Delete(root);
    if (rc != XTARS_OK)
        xtars_action_cleanup(out);
    return rc;
}

/* ---- call text --------------------------------------------------------- */

static const char *call_name(enum xtars_action_type type)
{
    switch (type) {
    case XTARS_ACTION_DOUBLE_CLICK:
        return "left_double";
    case XTARS_ACTION_RIGHT_CLICK:
        return "right_single";
    case XTARS_ACTION_KEY_DOWN:
        return "keydown";
    case XTARS_ACTION_KEY_UP:
        return "keyup";
    default:
        return xtars_action_type_name(type);
    }
}

/* A coordinate in plain decimal, the fewest digits that read back to the
 * same double: the call grammar has no exponents (docs/parser.md), and
 * JSON's shortest form would write 1.72e-08 for a tiny coordinate. Numbers
 * the parser produced need at most 40 digits. */
static xtars_err put_model_number(struct xtars_buf *out, double v, unsigned flags)
{
    char text[400];

    if (flags & XTARS_CALL_ROUND)
        v = floor(v + 0.5);
    if (!isfinite(v) || fabs(v) >= 1e15 || v == floor(v))
        return xtars_json_put_number(out, v);
    for (int places = 1; places <= 60; places++) {
        snprintf(text, sizeof text, "%.*f", places, v);
        if (strtod(text, NULL) == v)
            return xtars_buf_puts(out, text);
    }
    return xtars_json_put_number(out, v); /* not from the parser: no call reads it back */
}

/* name='<|box_start|>(x,y)<|box_end|>' or name='(x,y)'. */
static xtars_err put_box(struct xtars_buf *out, const char *name, double x, double y,
                         unsigned flags)
{
    int tokens = (flags & XTARS_CALL_BOX_TOKENS) != 0;
    xtars_err rc = xtars_buf_printf(out, "%s='%s(", name, tokens ? "<|box_start|>" : "");

    if (rc == XTARS_OK)
        rc = put_model_number(out, x, flags);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, ',');
    if (rc == XTARS_OK)
        rc = put_model_number(out, y, flags);
    if (rc == XTARS_OK)
        rc = xtars_buf_printf(out, ")%s'", tokens ? "<|box_end|>" : "");
    return rc;
}

/* A single-quoted Python string with the escapes the parser decodes. */
static xtars_err put_quoted(struct xtars_buf *out, const char *s)
{
    xtars_err rc = xtars_buf_putc(out, '\'');

    for (; rc == XTARS_OK && *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '\'' ? "\\'" : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : NULL;
        rc = esc ? xtars_buf_puts(out, esc) : xtars_buf_putc(out, *s);
    }
    return rc == XTARS_OK ? xtars_buf_putc(out, '\'') : rc;
}

/* key='ctrl c' (canonical names joined by spaces). */
static xtars_err put_key_list(struct xtars_buf *out, const struct xtars_action *a)
{
    char joined[XTARS_ACTION_MAX_KEYS * XTARS_KEY_NAME_LEN + XTARS_ACTION_MAX_KEYS] = "";
    size_t n = 0;

    for (int i = 0; i < a->key_count && i < XTARS_ACTION_MAX_KEYS; i++) {
        /* A lone "+" between spaces reads back as a separator: spell it out. */
        const char *name = strcmp(a->keys[i], "+") == 0 ? "plus" : a->keys[i];
        size_t k = strnlen(name, XTARS_KEY_NAME_LEN - 1);
        if (i > 0)
            joined[n++] = ' ';
        memcpy(joined + n, name, k);
        n += k;
    }
    joined[n] = '\0';
    xtars_err rc = xtars_buf_puts(out, "key=");
    return rc == XTARS_OK ? put_quoted(out, joined) : rc;
}

/* The arguments after the name, without the parentheses. */
static xtars_err put_call_args(const struct xtars_action *a, unsigned flags, struct xtars_buf *out)
{
    xtars_err rc = XTARS_OK;
    int point = a->has_point;

    if (point)
        rc = put_box(out, "start_box", a->model_x, a->model_y, flags);
    switch (a->type) {
    case XTARS_ACTION_DRAG:
        if (rc == XTARS_OK && a->has_end)
            rc = xtars_buf_puts(out, point ? ", " : "");
        return rc == XTARS_OK && a->has_end ? put_box(out, "end_box", a->model_x2, a->model_y2, flags) : rc;
    case XTARS_ACTION_SCROLL:
        if (rc == XTARS_OK)
            rc = xtars_buf_printf(out, "%sdirection='%s'", point ? ", " : "",
                                  xtars_scroll_direction_name(a->direction));
        return rc == XTARS_OK && a->amount ? xtars_buf_printf(out, ", amount='%d'", a->amount) : rc;
    case XTARS_ACTION_TYPE:
    case XTARS_ACTION_FINISHED:
    case XTARS_ACTION_CALL_USER:
        if (a->text == NULL && a->type != XTARS_ACTION_TYPE)
            return rc;
        rc = xtars_buf_puts(out, "content=");
        return rc == XTARS_OK ? put_quoted(out, a->text ? a->text : "") : rc;
    case XTARS_ACTION_HOTKEY:
    case XTARS_ACTION_KEY_DOWN:
    case XTARS_ACTION_KEY_UP:
        return put_key_list(out, a);
    case XTARS_ACTION_MOUSE_DOWN:
    case XTARS_ACTION_MOUSE_UP:
        return rc == XTARS_OK ? xtars_buf_printf(out, "%sbutton='%s'", point ? ", " : "",
                                                 xtars_button_name(a->button)) : rc;
    case XTARS_ACTION_WAIT:
        return a->ms ? xtars_buf_printf(out, "ms='%d'", a->ms) : rc;
    default:
        return rc;
    }
}

xtars_err xtars_action_to_call(const struct xtars_action *action, unsigned flags,
                               struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_printf(out, "%s(", call_name(action->type));

    if (rc == XTARS_OK)
        rc = put_call_args(action, flags, out);
    return rc == XTARS_OK ? xtars_buf_putc(out, ')') : rc;
}
