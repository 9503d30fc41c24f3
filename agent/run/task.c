/* task.c: loading task files. Strict: unknown keys, wrong types and steps
 * with zero or two kinds are errors, because a typo in a CI task must fail
 * loudly rather than silently skip a check. Never prints. */
#include "agent/run/task.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/json.h"
#include "agent/base/suggest.h"
#include "xtars/buf.h"
#include "agent/run/xvfb.h"

static const char *const kind_names[] = {"instruction", "action", "wait", "check",
                                         "assert", "query", "wait_until"};

const char *xtars_task_step_kind_name(enum xtars_task_step_kind kind)
{
    return (unsigned)kind <= XTARS_TASK_LAST_KIND ? kind_names[kind] : "?";
}

void xtars_task_cleanup(struct xtars_task *task)
{
    if (task == NULL)
        return;
    for (int i = 0; i < task->step_count; i++) {
        free(task->steps[i].text);
        free(task->steps[i].family);
        free(task->steps[i].name);
        free(task->steps[i].schema);
        free(task->steps[i].into);
    }
    for (int i = 0; i < task->setup_count; i++) {
        free(task->setup[i].launch);
        free(task->setup[i].wait_for);
        free(task->setup[i].file);
        free(task->setup[i].content);
    }
    free(task->steps);
    free(task->setup);
    free(task->name);
    free(task->path);
    memset(task, 0, sizeof *task);
}

/* Where a parser is: the file and its text (for line numbers) and the
 * entry of a list ("steps", 2) or the top level (list NULL). Every message
 * reads "task: FILE line L: steps[2]: ...", the line being the key's (or
 * the entry's when no key is at fault), as config errors do. */
struct where {
    const char *file, *text;
    size_t len;
    const char *list;
    int index;
    char *err;
};

static xtars_err fail(const struct where *w, xtars_err code, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static xtars_err fail(const struct where *w, xtars_err code, const char *key, const char *fmt, ...)
{
    struct xtars_json_step path[3];
    char what[XTARS_ERRLEN], line_text[32] = "", entry[96] = "";
    int n = 0, line;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (w->list) {
        path[n++] = (struct xtars_json_step){w->list, 0};
        path[n++] = (struct xtars_json_step){NULL, w->index};
        snprintf(entry, sizeof entry, " %s[%d]:", w->list, w->index);
    }
    if (key)
        path[n++] = (struct xtars_json_step){key, 0};
    line = n ? xtars_json_line_of(w->text, w->len, path, n) : 0;
    if (line == 0 && key && w->list) /* the key is missing: point at its entry */
        line = xtars_json_line_of(w->text, w->len, path, n - 1);
    if (line)
        snprintf(line_text, sizeof line_text, " line %d", line);
    return xtars_error(w->err, code, "task: %s%s:%s %s", w->file, line_text, entry, what);
}

/* Copies an optional string member; ECONFIG if present but not a string. */
static xtars_err take_string(const cJSON *obj, const char *key, char **out, const struct where *w)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (item == NULL)
        return XTARS_OK;
    if (!cJSON_IsString(item))
        return fail(w, XTARS_ECONFIG, key, "'%s' must be a string", key);
    *out = strdup(item->valuestring);
    return *out ? XTARS_OK : xtars_error(w->err, XTARS_ENOMEM, "task: out of memory");
}

static xtars_err take_int(const cJSON *obj, const char *key, int lo, int hi, int *out,
                          const struct where *w)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (item == NULL)
        return XTARS_OK;
    /* Range first: converting a double beyond long's range is undefined. */
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= lo && item->valuedouble <= hi) ||
        item->valuedouble != (double)(long)item->valuedouble)
        return fail(w, XTARS_ECONFIG, key, "'%s' must be a whole number from %d to %d", key, lo, hi);
    *out = (int)item->valuedouble;
    return XTARS_OK;
}

/* Every member of obj must be in allowed (NULL-terminated); a near miss
 * gets the config's "did you mean". */
static xtars_err only_keys(const cJSON *obj, const char *const *allowed, const struct where *w)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, obj) {
        int known = 0;
        const char *hint;
        for (int i = 0; allowed[i] && !known; i++)
            known = strcmp(item->string, allowed[i]) == 0;
        if (known)
            continue;
        hint = xtars_suggest(item->string, allowed);
        if (hint)
            return fail(w, XTARS_ECONFIG, item->string, "unknown key '%s' (did you mean '%s'?)",
                        item->string, hint);
        return fail(w, XTARS_ECONFIG, item->string, "unknown key '%s'", item->string);
    }
    return XTARS_OK;
}

/* A key that belongs to one kind of step only. */
static xtars_err only_with(const cJSON *obj, const char *key, enum xtars_task_step_kind kind,
                          const struct xtars_task_step *step, const struct where *w)
{
    if (step->kind == kind || cJSON_GetObjectItemCaseSensitive(obj, key) == NULL)
        return XTARS_OK;
    return fail(w, XTARS_ECONFIG, key, "'%s' goes with '%s'", key, kind_names[kind]);
}

/* The keys of questions to a model: schema and into (query), interval_ms
 * (wait_until). A variable name is what ${...} can refer to later. */
static xtars_err parse_question(const cJSON *obj, struct xtars_task_step *step,
                                const struct where *w)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(obj, "schema");
    xtars_err rc;

    if ((rc = only_with(obj, "schema", XTARS_TASK_QUERY, step, w)) != XTARS_OK ||
        (rc = only_with(obj, "into", XTARS_TASK_QUERY, step, w)) != XTARS_OK ||
        (rc = only_with(obj, "interval_ms", XTARS_TASK_WAIT_UNTIL, step, w)) != XTARS_OK)
        return rc;
    step->interval_ms = 1000;
    if ((rc = take_int(obj, "interval_ms", 10, 600000, &step->interval_ms, w)) != XTARS_OK ||
        (rc = take_string(obj, "into", &step->into, w)) != XTARS_OK)
        return rc;
    if (step->into) {
        size_t n = strspn(step->into, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        if (n == 0 || n > 64 || step->into[n] != '\0' || (step->into[0] >= '0' && step->into[0] <= '9'))
            return fail(w, XTARS_ECONFIG, "into", "'into' must be a name of letters, digits and _ "
                        "(at most 64, not starting with a digit), not '%.40s'", step->into);
    }
    if (schema == NULL)
        return XTARS_OK;
    if (!cJSON_IsObject(schema))
        return fail(w, XTARS_ECONFIG, "schema", "'schema' must be a JSON Schema object");
    step->schema = cJSON_PrintUnformatted(schema);
    return step->schema ? XTARS_OK : fail(w, XTARS_ENOMEM, NULL, "out of memory");
}

static xtars_err parse_step(const cJSON *obj, struct xtars_task_step *step, const struct where *w)
{
    static const char *const allowed[] = {"instruction", "action", "wait", "check", "max_steps",
                                          "family", "timeout_ms", "name", "assert", "query",
                                          "wait_until", "schema", "into", "interval_ms", NULL};
    int kinds = 0;
    xtars_err rc;

    if (!cJSON_IsObject(obj))
        return fail(w, XTARS_ECONFIG, NULL, "a step must be an object");
    if ((rc = only_keys(obj, allowed, w)) != XTARS_OK)
        return rc;
    for (int k = 0; k <= XTARS_TASK_LAST_KIND; k++) {
        if (cJSON_GetObjectItemCaseSensitive(obj, kind_names[k])) {
            kinds++;
            step->kind = (enum xtars_task_step_kind)k;
        }
    }
    if (kinds != 1)
        return fail(w, XTARS_ECONFIG, NULL,
                    "a step needs exactly one of instruction, action, wait, check, assert, query, "
                    "wait_until");
    if ((rc = take_string(obj, "name", &step->name, w)) != XTARS_OK)
        return rc;
    if (step->kind == XTARS_TASK_WAIT)
        return take_int(obj, "wait", 0, 3600000, &step->ms, w);
    if ((rc = take_string(obj, kind_names[step->kind], &step->text, w)) != XTARS_OK)
        return rc;
    if (step->text[0] == '\0')
        return fail(w, XTARS_ECONFIG, kind_names[step->kind], "'%s' is empty",
                    kind_names[step->kind]);
    if ((rc = take_int(obj, "max_steps", 1, 100000, &step->max_steps, w)) != XTARS_OK)
        return rc;
    step->ms = step->kind == XTARS_TASK_WAIT_UNTIL ? 15000 : 10000;
    if ((rc = take_int(obj, "timeout_ms", 1, 3600000, &step->ms, w)) != XTARS_OK)
        return rc;
    if ((rc = parse_question(obj, step, w)) != XTARS_OK)
        return rc;
    return take_string(obj, "family", &step->family, w);
}

static xtars_err parse_setup(const cJSON *obj, struct xtars_task_setup *setup, const struct where *w)
{
    static const char *const allowed[] = {"launch", "wait_for", "file", "content", NULL};
    xtars_err rc;

    if (!cJSON_IsObject(obj))
        return fail(w, XTARS_ECONFIG, NULL, "a setup entry must be an object");
    if ((rc = only_keys(obj, allowed, w)) != XTARS_OK ||
        (rc = take_string(obj, "launch", &setup->launch, w)) != XTARS_OK ||
        (rc = take_string(obj, "wait_for", &setup->wait_for, w)) != XTARS_OK ||
        (rc = take_string(obj, "file", &setup->file, w)) != XTARS_OK ||
        (rc = take_string(obj, "content", &setup->content, w)) != XTARS_OK)
        return rc;
    if ((setup->launch == NULL) == (setup->file == NULL))
        return fail(w, XTARS_ECONFIG, NULL, "needs exactly one of launch, file");
    if (setup->file && setup->content == NULL)
        return fail(w, XTARS_ECONFIG, "file", "'file' needs 'content'");
    if (setup->launch && setup->content)
        return fail(w, XTARS_ECONFIG, "content", "'content' goes with 'file'");
    if (setup->file && setup->wait_for)
        return fail(w, XTARS_ECONFIG, "wait_for", "'wait_for' goes with 'launch'");
    return XTARS_OK;
}

/* Parses an array member into calloc'd elements via fn. */
static xtars_err parse_list(const cJSON *root, const char *key, const struct where *top, int max,
                            size_t elem_size, void **out, int *count, int required,
                            xtars_err (*fn)(const cJSON *, void *, const struct where *))
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key), *item;
    struct where w = *top;
    int n, i = 0;
    xtars_err rc;

    if (list == NULL && !required)
        return XTARS_OK;
    if (!cJSON_IsArray(list) || (required && cJSON_GetArraySize(list) == 0))
        return fail(top, XTARS_ECONFIG, list ? key : NULL, "'%s' must be a%s array", key,
                    required ? " non-empty" : "n");
    n = cJSON_GetArraySize(list);
    if (n > max)
        return fail(top, XTARS_ECONFIG, key, "more than %d entries in '%s'", max, key);
    *out = calloc((size_t)n + 1, elem_size);
    if (*out == NULL)
        return xtars_error(top->err, XTARS_ENOMEM, "task: out of memory");
    w.list = key;
    cJSON_ArrayForEach(item, list) {
        w.index = i;
        *count = i + 1;
        rc = fn(item, (char *)*out + (size_t)i * elem_size, &w);
        if (rc != XTARS_OK)
            return rc;
        i++;
    }
    return XTARS_OK;
}

static xtars_err step_fn(const cJSON *obj, void *elem, const struct where *w)
{
    return parse_step(obj, elem, w);
}

static xtars_err setup_fn(const cJSON *obj, void *elem, const struct where *w)
{
    return parse_setup(obj, elem, w);
}

static xtars_err parse_root(const cJSON *root, const struct where *w, struct xtars_task *task)
{
    static const char *const allowed[] = {"name", "screen", "setup", "steps", "description", NULL};
    char *screen = NULL, why[XTARS_ERRLEN];
    xtars_err rc;

    if (!cJSON_IsObject(root))
        return fail(w, XTARS_ECONFIG, NULL, "top level must be a JSON object");
    if ((rc = only_keys(root, allowed, w)) != XTARS_OK ||
        (rc = take_string(root, "name", &task->name, w)) != XTARS_OK)
        return rc;
    if (task->name == NULL || task->name[0] == '\0')
        return fail(w, XTARS_ECONFIG, task->name ? "name" : NULL, "'name' is required");
    if ((rc = take_string(root, "screen", &screen, w)) != XTARS_OK)
        return rc;
    if (screen && xtars_parse_size(screen, &task->width, &task->height) != XTARS_OK)
        rc = fail(w, XTARS_ECONFIG, "screen", "'screen' must look like 1280x800, not '%.40s'", screen);
    else if (screen && xtars_xvfb_check_size(task->width, task->height, why) != XTARS_OK)
        rc = fail(w, XTARS_ECONFIG, "screen", "'screen' %s", why);
    free(screen);
    if (rc != XTARS_OK)
        return rc;
    rc = parse_list(root, "setup", w, XTARS_TASK_MAX_SETUP, sizeof(struct xtars_task_setup),
                    (void **)&task->setup, &task->setup_count, 0, setup_fn);
    if (rc != XTARS_OK)
        return rc;
    return parse_list(root, "steps", w, XTARS_TASK_MAX_STEPS, sizeof(struct xtars_task_step),
                      (void **)&task->steps, &task->step_count, 1, step_fn);
}

xtars_err xtars_task_parse(const char *name, const char *text, size_t len, struct xtars_task *task,
                           char *err)
{
    const char *end = NULL;
    cJSON *root;
    xtars_err rc;

    memset(task, 0, sizeof *task);
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        int line = 1;
        for (const char *p = text; end && p < end; p++)
            line += *p == '\n';
        return xtars_error(err, XTARS_ECONFIG, "task: %s line %d: not valid JSON", name, line);
    }
    rc = parse_root(root, &(struct where){name, text, len, NULL, 0, err}, task);
    cJSON_Delete(root);
    if (rc == XTARS_OK && (task->path = strdup(name)) == NULL)
        rc = xtars_error(err, XTARS_ENOMEM, "task: out of memory");
    if (rc != XTARS_OK)
        xtars_task_cleanup(task);
    return rc;
}

xtars_err xtars_task_load(const char *path, struct xtars_task *task, char *err)
{
    struct xtars_buf text;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    memset(task, 0, sizeof *task);
    rc = xtars_buf_read_file(&text, path, XTARS_TASK_FILE_MAX, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, rc == XTARS_ETOOBIG ? XTARS_ECONFIG : rc, "task: %s", reason);
    rc = xtars_task_parse(path, text.data, text.len, task, err);
    xtars_buf_cleanup(&text);
    return rc;
}
