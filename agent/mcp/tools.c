/* tools.c: the tools xtars serves (their names are fixed: clients rely on
 * them), each with the table of its arguments. The table gives both the
 * JSON Schema of tools/list and the checks of tools/call, so the two cannot
 * disagree. An argument that breaks the schema is a JSON-RPC error
 * (-32602, naming the tool and the argument, as MCP 2025-06-18 asks for
 * invalid arguments); what goes wrong once the call is valid (a point off
 * the screen, a policy refusal, an unknown key name) is a result with
 * isError, for the model to read. Never touches X itself: desktop.c does. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/json.h"
#include "agent/mcp/mcp_internal.h"
#include "agent/reply/keys.h"
#include "xtars/image.h"
#include "xtars/log.h"

enum arg_kind { ARG_NUMBER, ARG_INTEGER, ARG_STRING, ARG_BOOLEAN };

struct tool_arg {
    const char *name;
    enum arg_kind kind;
    int required;
    double min, max;          /* numbers: the range; strings: length in characters */
    const char *choices;      /* strings: "a|b|c", or NULL */
    const char *description;
};

typedef void tool_fn(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                     const char *call_text, struct mcp_result *r);

struct tool {
    const char *name, *title, *description;
    int read_only;
    tool_fn *run;
    struct tool_arg args[8];  /* ends at a NULL name */
};

/* ---- results ---- */

static void put_text_item(struct mcp_result *r, const char *text)
{
    char *clean = xtars_log_redact(text); /* results are artefacts: no secrets */

    xtars_buf_puts(&r->content, r->content.len ? ",{\"type\":\"text\",\"text\":" : "{\"type\":\"text\",\"text\":");
    xtars_json_put_string(&r->content, clean ? clean : "[withheld]");
    xtars_buf_puts(&r->content, "}");
    free(clean);
}

void mcp_result_text(struct mcp_result *r, const char *fmt, ...)
{
    char text[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    put_text_item(r, text);
}

void mcp_result_fail(struct mcp_result *r, const char *fmt, ...)
{
    char text[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    put_text_item(r, text);
    r->is_error = 1;
}

void mcp_result_rpc(struct mcp_result *r, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->rpc_message, sizeof r->rpc_message, fmt, ap);
    va_end(ap);
    r->rpc_code = code;
}

/* ---- reading checked arguments ---- */

static const cJSON *arg(const cJSON *args, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(args, name);
}

static double num(const cJSON *args, const char *name, double fallback)
{
    const cJSON *v = arg(args, name);
    return v ? v->valuedouble : fallback;
}

static const char *str(const cJSON *args, const char *name, const char *fallback)
{
    const cJSON *v = arg(args, name);
    return v ? v->valuestring : fallback;
}

static int flag(const cJSON *args, const char *name)
{
    return cJSON_IsTrue(arg(args, name));
}

/* ---- the input tools ---- */

static int point(struct xtars_mcp *m, const cJSON *args, const char *xn, const char *yn,
                 struct xtars_action *a, int end, struct mcp_result *r)
{
    int space = strcmp(str(args, "space", "image"), "screen") == 0 ? MCP_SPACE_SCREEN
                                                                    : MCP_SPACE_IMAGE;
    double x = num(args, xn, 0), y = num(args, yn, 0);
    char err[XTARS_ERRLEN];
    int sx, sy;

    if (mcp_desktop_point(m, space, x, y, &sx, &sy, err) != XTARS_OK) {
        mcp_result_fail(r, "%s", err);
        return -1;
    }
    if (end) {
        a->has_end = 1, a->x2 = sx, a->y2 = sy, a->model_x2 = x, a->model_y2 = y;
    } else {
        a->has_point = 1, a->x = sx, a->y = sy, a->model_x = x, a->model_y = y;
    }
    return 0;
}

static void tool_click(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                       const char *call_text, struct mcp_result *r)
{
    const char *button = str(args, "button", "left");
    int count = (int)num(args, "count", 1);
    struct xtars_action actions[3];
    int n = 0;

    (void)call;
    memset(actions, 0, sizeof actions);
    if (point(m, args, "x", "y", &actions[0], 0, r) != 0)
        return;
    actions[0].type = strcmp(button, "right") == 0    ? XTARS_ACTION_RIGHT_CLICK
                      : strcmp(button, "middle") == 0 ? XTARS_ACTION_MIDDLE_CLICK
                                                      : XTARS_ACTION_CLICK;
    if (actions[0].type == XTARS_ACTION_CLICK && count == 2) {
        actions[0].type = XTARS_ACTION_DOUBLE_CLICK; /* one action: the configured gap */
        n = 1;
    } else { /* a triple click, or repeated clicks of another button */
        for (n = 1; n < count; n++)
            actions[n] = actions[0];
    }
    mcp_desktop_act(m, "click", call_text, actions, n, flag(args, "screenshot"), r);
}

static void tool_move(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                      const char *call_text, struct mcp_result *r)
{
    struct xtars_action a;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_HOVER;
    if (point(m, args, "x", "y", &a, 0, r) == 0)
        mcp_desktop_act(m, "move", call_text, &a, 1, flag(args, "screenshot"), r);
}

static void tool_drag(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                      const char *call_text, struct mcp_result *r)
{
    struct xtars_action a;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_DRAG;
    if (point(m, args, "x", "y", &a, 0, r) == 0 && point(m, args, "x2", "y2", &a, 1, r) == 0)
        mcp_desktop_act(m, "drag", call_text, &a, 1, flag(args, "screenshot"), r);
}

static void tool_scroll(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                        const char *call_text, struct mcp_result *r)
{
    struct xtars_action a;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_SCROLL;
    if ((arg(args, "x") == NULL) != (arg(args, "y") == NULL))
        return mcp_result_rpc(r, MCP_INVALID_PARAMS, "scroll: give both x and y, or neither");
    if (arg(args, "x") && point(m, args, "x", "y", &a, 0, r) != 0)
        return;
    xtars_scroll_direction_from_name(str(args, "direction", "down"), &a.direction);
    a.amount = (int)num(args, "amount", 0);
    xtars_action_fill_defaults(&a, m->cfg.scroll_amount, m->cfg.wait_ms);
    mcp_desktop_act(m, "scroll", call_text, &a, 1, flag(args, "screenshot"), r);
}

static void tool_type(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                      const char *call_text, struct mcp_result *r)
{
    struct xtars_action a;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_TYPE;
    a.text = strdup(str(args, "text", ""));
    if (a.text == NULL)
        return mcp_result_rpc(r, MCP_INTERNAL_ERROR, "out of memory");
    mcp_desktop_act(m, "type", call_text, &a, 1, flag(args, "screenshot"), r);
    xtars_action_cleanup(&a);
}

static void tool_key(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                     const char *call_text, struct mcp_result *r)
{
    const char *keys = str(args, "keys", "");
    struct xtars_action a;
    size_t bad_at = 0, bad_len = 0;
    xtars_err rc;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_HOTKEY;
    rc = xtars_key_split(keys, strlen(keys), a.keys, XTARS_ACTION_MAX_KEYS, &a.key_count, &bad_at,
                         &bad_len);
    if (rc == XTARS_ERANGE)
        return mcp_result_fail(r, "key: at most %d keys at once", XTARS_ACTION_MAX_KEYS);
    if (rc != XTARS_OK && bad_len == 0)
        return mcp_result_fail(r, "key: no key named in '%s'", keys);
    if (rc != XTARS_OK)
        return mcp_result_fail(r, "key: unknown key '%.*s' (names: ctrl, shift, alt, super, enter, "
                               "esc, tab, backspace, delete, space, up, down, left, right, home, "
                               "end, pageup, pagedown, insert, f1..f24, one character, or an X "
                               "keysym name such as XF86AudioMute; join them with '+')",
                               (int)bad_len, keys + bad_at);
    mcp_desktop_act(m, "key", call_text, &a, 1, flag(args, "screenshot"), r);
}

static void tool_wait(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                      const char *call_text, struct mcp_result *r)
{
    struct xtars_action a;

    (void)call;
    memset(&a, 0, sizeof a);
    a.type = XTARS_ACTION_WAIT;
    a.ms = (int)num(args, "ms", m->cfg.wait_ms);
    mcp_desktop_act(m, "wait", call_text, &a, 1, flag(args, "screenshot"), r);
}

static void tool_screenshot(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                            const char *call_text, struct mcp_result *r)
{
    struct mcp_shot_request req;
    char err[XTARS_ERRLEN];

    (void)call;
    req.format = strcmp(str(args, "format", "png"), "jpeg") == 0 ? XTARS_IMAGE_JPEG : XTARS_IMAGE_PNG;
    req.max_width = (int)num(args, "max_width", 0);
    req.max_height = (int)num(args, "max_height", 0);
    if (mcp_desktop_screenshot(m, &req, r, err) != XTARS_OK)
        return mcp_result_fail(r, "%s", err);
    mcp_desktop_record(m, call_text, 1, NULL);
}

static void tool_run_task(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                          const char *call_text, struct mcp_result *r)
{
    mcp_task_run(m, call, str(args, "instruction", ""), (int)num(args, "max_steps", 0), call_text, r);
}

static void tool_replay(struct xtars_mcp *m, struct mcp_call *call, const cJSON *args,
                        const char *call_text, struct mcp_result *r)
{
    mcp_task_replay(m, call, str(args, "dir", ""), flag(args, "verify"), call_text, r);
}

/* ---- the table ---- */

#define ARG_X {"x", ARG_NUMBER, 1, 0, 100000, NULL, "x of the point, in the last screenshot's pixels (or screen pixels with space \"screen\")"}
#define ARG_Y {"y", ARG_NUMBER, 1, 0, 100000, NULL, "y of the point, like x"}
#define ARG_SPACE {"space", ARG_STRING, 0, 0, 0, "image|screen", "coordinate space of x and y: \"image\" (default: pixels of the last screenshot) or \"screen\" (root window pixels)"}
#define ARG_SHOT {"screenshot", ARG_BOOLEAN, 0, 0, 0, NULL, "also return a screenshot taken once the screen has settled"}

static const struct tool tools[] = {
    {"screenshot", "Take a screenshot",
     "Capture the screen. Returns the image (resized as a UI-TARS model sees it, unless "
     "max_width/max_height are given) and a text with the screen size, the image size and the "
     "coordinate space the other tools use: x, y in this image's pixels.",
     1, tool_screenshot,
     {{"format", ARG_STRING, 0, 0, 0, "png|jpeg", "image format, png (default) or jpeg"},
      {"max_width", ARG_INTEGER, 0, 28, 16384, NULL, "fit the image into this width (keeps the aspect ratio)"},
      {"max_height", ARG_INTEGER, 0, 28, 16384, NULL, "fit the image into this height"},
      {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"click", "Click",
     "Click at a point of the last screenshot (move the pointer there, press and release). "
     "count 2 is a double click, 3 a triple click.",
     0, tool_click,
     {ARG_X, ARG_Y,
      {"button", ARG_STRING, 0, 0, 0, "left|right|middle", "mouse button, left (default), right or middle"},
      {"count", ARG_INTEGER, 0, 1, 3, NULL, "number of clicks, 1 (default) to 3"},
      ARG_SPACE, ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"move", "Move the pointer", "Move the mouse pointer to a point without clicking (hover).",
     0, tool_move, {ARG_X, ARG_Y, ARG_SPACE, ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"drag", "Drag", "Press the left button at (x, y), move to (x2, y2) and release there.",
     0, tool_drag,
     {ARG_X, ARG_Y,
      {"x2", ARG_NUMBER, 1, 0, 100000, NULL, "x where the drag ends"},
      {"y2", ARG_NUMBER, 1, 0, 100000, NULL, "y where the drag ends"},
      ARG_SPACE, ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"scroll", "Scroll",
     "Turn the mouse wheel at (x, y), or where the pointer is when x and y are left out.",
     0, tool_scroll,
     {{"x", ARG_NUMBER, 0, 0, 100000, NULL, "x of the point to scroll at (with y)"},
      {"y", ARG_NUMBER, 0, 0, 100000, NULL, "y of the point to scroll at (with x)"},
      {"direction", ARG_STRING, 1, 0, 0, "up|down|left|right", "which way to scroll"},
      {"amount", ARG_INTEGER, 0, 1, 100, NULL, "wheel notches (default: the configured scroll_amount)"},
      ARG_SPACE, ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"type", "Type text",
     "Type text into the focused window, exactly as given (any Unicode, whatever the keyboard "
     "layout). \"\\n\" presses Enter.",
     0, tool_type,
     {{"text", ARG_STRING, 1, 1, 65536, NULL, "the text to type"}, ARG_SHOT,
      {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"key", "Press keys",
     "Press a key or a combination and release it, such as \"enter\", \"ctrl+s\", "
     "\"ctrl+shift+t\", \"alt+f4\".",
     0, tool_key,
     {{"keys", ARG_STRING, 1, 1, 200, NULL, "keys joined with '+': ctrl, shift, alt, super, enter, esc, tab, backspace, delete, space, arrows (up, down, left, right), home, end, pageup, pagedown, insert, f1..f24, or one character"},
      ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"wait", "Wait", "Wait a while, for a page or an application to finish loading.",
     1, tool_wait,
     {{"ms", ARG_INTEGER, 0, 1, 60000, NULL, "milliseconds (default: the configured wait_ms)"},
      ARG_SHOT, {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"run_task", "Run a task with UI-TARS",
     "Hand a whole task to the configured UI-TARS model, which drives the desktop step by step "
     "until it is done. Sends a progress notification per step. Returns the final status, what "
     "the model reported with finished(), and the trajectory directory.",
     0, tool_run_task,
     {{"instruction", ARG_STRING, 1, 1, 4000, NULL, "the task, in plain words"},
      {"max_steps", ARG_INTEGER, 0, 1, 1000, NULL, "steps before giving up (default: the configured max_steps)"},
      {NULL, 0, 0, 0, 0, NULL, NULL}}},
    {"replay", "Replay a recorded run",
     "Perform the actions of a recorded trajectory again (xtars run, task or mcp --out).",
     0, tool_replay,
     {{"dir", ARG_STRING, 1, 1, 4000, NULL, "the trajectory directory"},
      {"verify", ARG_BOOLEAN, 0, 0, 0, NULL, "compare each step's screen with the recording and stop where they differ"},
      {NULL, 0, 0, 0, 0, NULL, NULL}}},
};

#define TOOL_COUNT (sizeof tools / sizeof tools[0])

static void put_choices(struct xtars_buf *b, const char *choices)
{
    const char *p = choices;

    xtars_buf_puts(b, ",\"enum\":[");
    while (*p) {
        size_t n = strcspn(p, "|");
        xtars_buf_printf(b, "%s\"%.*s\"", p == choices ? "" : ",", (int)n, p);
        p += n + (p[n] == '|');
    }
    xtars_buf_puts(b, "]");
}

static void put_schema(struct xtars_buf *b, const struct tool *t)
{
    static const char *const kinds[] = {"number", "integer", "string", "boolean"};
    int required = 0;

    xtars_buf_puts(b, "{\"type\":\"object\",\"properties\":{");
    for (const struct tool_arg *a = t->args; a->name; a++) {
        xtars_buf_printf(b, "%s\"%s\":{\"type\":\"%s\"", a == t->args ? "" : ",", a->name,
                         kinds[a->kind]);
        if (a->kind == ARG_NUMBER || a->kind == ARG_INTEGER)
            xtars_buf_printf(b, ",\"minimum\":%g,\"maximum\":%g", a->min, a->max);
        if (a->kind == ARG_STRING && a->choices)
            put_choices(b, a->choices);
        else if (a->kind == ARG_STRING)
            xtars_buf_printf(b, ",\"minLength\":%g,\"maxLength\":%g", a->min, a->max);
        xtars_buf_puts(b, ",\"description\":");
        xtars_json_put_string(b, a->description);
        xtars_buf_puts(b, "}");
    }
    xtars_buf_puts(b, "},\"required\":[");
    for (const struct tool_arg *a = t->args; a->name; a++)
        if (a->required)
            xtars_buf_printf(b, "%s\"%s\"", required++ ? "," : "", a->name);
    xtars_buf_puts(b, "],\"additionalProperties\":false}");
}

xtars_err mcp_tools_list(const char *protocol, struct xtars_buf *out)
{
    int titled = strcmp(protocol, "2025-06-18") == 0;   /* Tool.title: 2025-06-18 */
    int annotated = strcmp(protocol, "2024-11-05") != 0; /* annotations: 2025-03-26 */

    xtars_buf_puts(out, "[");
    for (size_t i = 0; i < TOOL_COUNT; i++) {
        const struct tool *t = &tools[i];
        xtars_buf_printf(out, "%s{\"name\":\"%s\",", i ? "," : "", t->name);
        if (titled)
            xtars_buf_printf(out, "\"title\":\"%s\",", t->title);
        xtars_buf_puts(out, "\"description\":");
        xtars_json_put_string(out, t->description);
        xtars_buf_puts(out, ",\"inputSchema\":");
        put_schema(out, t);
        if (annotated)
            xtars_buf_printf(out, ",\"annotations\":{\"title\":\"%s\",\"readOnlyHint\":%s,"
                             "\"destructiveHint\":%s,\"openWorldHint\":false}",
                             t->title, t->read_only ? "true" : "false",
                             t->read_only ? "false" : "true");
        xtars_buf_puts(out, "}");
    }
    xtars_buf_puts(out, "]");
    return out->data ? XTARS_OK : XTARS_ENOMEM;
}

/* ---- checking the arguments ---- */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int in_choices(const char *choices, const char *value)
{
    size_t len = strlen(value);
    for (const char *p = choices; *p;) {
        size_t n = strcspn(p, "|");
        if (n == len && strncmp(p, value, n) == 0)
            return 1;
        p += n + (p[n] == '|');
    }
    return 0;
}

/* "must be ..." for one value, or NULL when it fits. */
static const char *check_value(const struct tool_arg *a, const cJSON *v, char *why, size_t size)
{
    switch (a->kind) {
    case ARG_BOOLEAN:
        return cJSON_IsBool(v) ? NULL : "must be true or false";
    case ARG_NUMBER:
    case ARG_INTEGER:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
            (a->kind == ARG_INTEGER && v->valuedouble != floor(v->valuedouble)) ||
            v->valuedouble < a->min || v->valuedouble > a->max) {
            snprintf(why, size, "must be %s from %g to %g",
                     a->kind == ARG_INTEGER ? "an integer" : "a number", a->min, a->max);
            return why;
        }
        return NULL;
    case ARG_STRING:
        if (!cJSON_IsString(v) || !xtars_json_utf8_valid(v->valuestring, strlen(v->valuestring)))
            return "must be a string";
        if (a->choices && !in_choices(a->choices, v->valuestring)) {
            snprintf(why, size, "must be one of %s", a->choices);
            for (char *p = why; *p; p++)
                if (*p == '|')
                    *p = ',';
            return why;
        }
        if (!a->choices && (utf8_chars(v->valuestring) < a->min || utf8_chars(v->valuestring) > a->max)) {
            snprintf(why, size, "must be %g to %g characters long", a->min, a->max);
            return why;
        }
        return NULL;
    }
    return "has an unknown kind";
}

static int check_args(const struct tool *t, const cJSON *args, struct mcp_result *r)
{
    char why[120];
    const cJSON *item;

    cJSON_ArrayForEach(item, args) {
        const struct tool_arg *a = t->args;
        const char *problem;
        while (a->name && strcmp(a->name, item->string) != 0)
            a++;
        if (a->name == NULL) {
            char names[200] = "";
            for (const struct tool_arg *k = t->args; k->name; k++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         k == t->args ? "" : ", ", k->name);
            mcp_result_rpc(r, MCP_INVALID_PARAMS, "%s: unknown argument '%.60s' (it takes %s)",
                           t->name, item->string, names);
            return -1;
        }
        if ((problem = check_value(a, item, why, sizeof why)) != NULL) {
            mcp_result_rpc(r, MCP_INVALID_PARAMS, "%s: argument '%s' %s", t->name, a->name, problem);
            return -1;
        }
    }
    for (const struct tool_arg *a = t->args; a->name; a++) {
        if (a->required && arg(args, a->name) == NULL) {
            mcp_result_rpc(r, MCP_INVALID_PARAMS, "%s: missing argument '%s'", t->name, a->name);
            return -1;
        }
    }
    return 0;
}

void mcp_tools_call(struct xtars_mcp *m, struct mcp_call *call, const char *name,
                    const cJSON *args, struct mcp_result *r)
{
    static const cJSON empty = {.type = cJSON_Object};
    const struct tool *t = NULL;
    char *text, line[600];

    for (size_t i = 0; i < TOOL_COUNT && t == NULL; i++)
        if (strcmp(tools[i].name, name) == 0)
            t = &tools[i];
    if (t == NULL)
        return mcp_result_rpc(r, MCP_INVALID_PARAMS, "unknown tool: %.100s", name);
    if (args == NULL || cJSON_IsNull(args))
        args = &empty;
    if (check_args(t, args, r) != 0)
        return;
    text = cJSON_PrintUnformatted(args);
    snprintf(line, sizeof line, "%s %.500s", t->name, text ? text : "{}");
    free(text);
    xtars_log_debug("mcp: tool %s", line);
    t->run(m, call, args, line, r);
}
