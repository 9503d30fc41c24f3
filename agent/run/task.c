/* task.c: loading task files. Strict: unknown keys, wrong types and steps
 * with zero or two kinds are errors, because a typo in a CI task must fail
 * loudly rather than silently skip a check. Never prints. */
#include "agent/run/task.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Copies an optional string member; ECONFIG if present but not a string. */
static xtars_err take_string(const cJSON *obj, const char *key, char **out, const char *where,
                             char *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (item == NULL)
        return XTARS_OK;
    if (!cJSON_IsString(item))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: '%s' must be a string", where, key);
    *out = strdup(item->valuestring);
    return *out ? XTARS_OK : xtars_error(err, XTARS_ENOMEM, "task: out of memory");
}

static xtars_err take_int(const cJSON *obj, const char *key, int lo, int hi, int *out,
                          const char *where, char *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (item == NULL)
        return XTARS_OK;
    /* Range first: converting a double beyond long's range is undefined. */
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= lo && item->valuedouble <= hi) ||
        item->valuedouble != (double)(long)item->valuedouble)
        return xtars_error(err, XTARS_ECONFIG, "task: %s: '%s' must be a whole number from %d to %d",
                           where, key, lo, hi);
    *out = (int)item->valuedouble;
    return XTARS_OK;
}

/* Every member of obj must be in allowed (NULL-terminated). */
static xtars_err only_keys(const cJSON *obj, const char *const *allowed, const char *where,
                           char *err)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, obj) {
        int known = 0;
        for (int i = 0; allowed[i] && !known; i++)
            known = strcmp(item->string, allowed[i]) == 0;
        if (!known)
            return xtars_error(err, XTARS_ECONFIG, "task: %s: unknown key '%s'", where,
                               item->string);
    }
    return XTARS_OK;
}

/* A key that belongs to one kind of step only. */
static xtars_err only_with(const cJSON *obj, const char *key, enum xtars_task_step_kind kind,
                          const struct xtars_task_step *step, const char *where, char *err)
{
    if (step->kind == kind || cJSON_GetObjectItemCaseSensitive(obj, key) == NULL)
        return XTARS_OK;
    return xtars_error(err, XTARS_ECONFIG, "task: %s: '%s' goes with '%s'", where, key,
                       kind_names[kind]);
}

/* The keys of questions to a model: schema and into (query), interval_ms
 * (wait_until). A variable name is what ${...} can refer to later. */
static xtars_err parse_question(const cJSON *obj, struct xtars_task_step *step, const char *where,
                                char *err)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(obj, "schema");
    xtars_err rc;

    if ((rc = only_with(obj, "schema", XTARS_TASK_QUERY, step, where, err)) != XTARS_OK ||
        (rc = only_with(obj, "into", XTARS_TASK_QUERY, step, where, err)) != XTARS_OK ||
        (rc = only_with(obj, "interval_ms", XTARS_TASK_WAIT_UNTIL, step, where, err)) != XTARS_OK)
        return rc;
    step->interval_ms = 1000;
    if ((rc = take_int(obj, "interval_ms", 10, 600000, &step->interval_ms, where, err)) != XTARS_OK ||
        (rc = take_string(obj, "into", &step->into, where, err)) != XTARS_OK)
        return rc;
    if (step->into) {
        size_t n = strspn(step->into, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        if (n == 0 || n > 64 || step->into[n] != '\0' || (step->into[0] >= '0' && step->into[0] <= '9'))
            return xtars_error(err, XTARS_ECONFIG, "task: %s: 'into' must be a name of letters, "
                               "digits and _ (at most 64, not starting with a digit), not '%.40s'",
                               where, step->into);
    }
    if (schema == NULL)
        return XTARS_OK;
    if (!cJSON_IsObject(schema))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: 'schema' must be a JSON Schema object",
                           where);
    step->schema = cJSON_PrintUnformatted(schema);
    return step->schema ? XTARS_OK : xtars_error(err, XTARS_ENOMEM, "task: out of memory");
}

static xtars_err parse_step(const cJSON *obj, struct xtars_task_step *step, const char *where,
                            char *err)
{
    static const char *const allowed[] = {"instruction", "action", "wait", "check", "max_steps",
                                          "family", "timeout_ms", "name", "assert", "query",
                                          "wait_until", "schema", "into", "interval_ms", NULL};
    int kinds = 0;
    xtars_err rc;

    if (!cJSON_IsObject(obj))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: a step must be an object", where);
    if ((rc = only_keys(obj, allowed, where, err)) != XTARS_OK)
        return rc;
    for (int k = 0; k <= XTARS_TASK_LAST_KIND; k++) {
        if (cJSON_GetObjectItemCaseSensitive(obj, kind_names[k])) {
            kinds++;
            step->kind = (enum xtars_task_step_kind)k;
        }
    }
    if (kinds != 1)
        return xtars_error(err, XTARS_ECONFIG,
                           "task: %s: a step needs exactly one of instruction, action, wait, check, "
                           "assert, query, wait_until", where);
    if ((rc = take_string(obj, "name", &step->name, where, err)) != XTARS_OK)
        return rc;
    if (step->kind == XTARS_TASK_WAIT)
        return take_int(obj, "wait", 0, 3600000, &step->ms, where, err);
    if ((rc = take_string(obj, kind_names[step->kind], &step->text, where, err)) != XTARS_OK)
        return rc;
    if (step->text[0] == '\0')
        return xtars_error(err, XTARS_ECONFIG, "task: %s: '%s' is empty", where,
                           kind_names[step->kind]);
    if ((rc = take_int(obj, "max_steps", 1, 100000, &step->max_steps, where, err)) != XTARS_OK)
        return rc;
    step->ms = step->kind == XTARS_TASK_WAIT_UNTIL ? 15000 : 10000;
    if ((rc = take_int(obj, "timeout_ms", 1, 3600000, &step->ms, where, err)) != XTARS_OK)
        return rc;
    if ((rc = parse_question(obj, step, where, err)) != XTARS_OK)
        return rc;
    return take_string(obj, "family", &step->family, where, err);
}

static xtars_err parse_setup(const cJSON *obj, struct xtars_task_setup *setup, const char *where,
                             char *err)
{
    static const char *const allowed[] = {"launch", "wait_for", "file", "content", NULL};
    xtars_err rc;

    if (!cJSON_IsObject(obj))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: a setup entry must be an object", where);
    if ((rc = only_keys(obj, allowed, where, err)) != XTARS_OK ||
        (rc = take_string(obj, "launch", &setup->launch, where, err)) != XTARS_OK ||
        (rc = take_string(obj, "wait_for", &setup->wait_for, where, err)) != XTARS_OK ||
        (rc = take_string(obj, "file", &setup->file, where, err)) != XTARS_OK ||
        (rc = take_string(obj, "content", &setup->content, where, err)) != XTARS_OK)
        return rc;
    if ((setup->launch == NULL) == (setup->file == NULL))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: needs exactly one of launch, file", where);
    if (setup->file && setup->content == NULL)
        return xtars_error(err, XTARS_ECONFIG, "task: %s: 'file' needs 'content'", where);
    if (setup->launch && setup->content)
        return xtars_error(err, XTARS_ECONFIG, "task: %s: 'content' goes with 'file'", where);
    if (setup->file && setup->wait_for)
        return xtars_error(err, XTARS_ECONFIG, "task: %s: 'wait_for' goes with 'launch'", where);
    return XTARS_OK;
}

/* Parses an array member into calloc'd elements via fn. */
static xtars_err parse_list(const cJSON *root, const char *key, const char *file, int max,
                            size_t elem_size, void **out, int *count, int required,
                            xtars_err (*fn)(const cJSON *, void *, const char *, char *), char *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key), *item;
    char where[1200];
    int n, i = 0;
    xtars_err rc;

    if (list == NULL && !required)
        return XTARS_OK;
    if (!cJSON_IsArray(list) || (required && cJSON_GetArraySize(list) == 0))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: '%s' must be a%s array", file, key,
                           required ? " non-empty" : "n");
    n = cJSON_GetArraySize(list);
    if (n > max)
        return xtars_error(err, XTARS_ECONFIG, "task: %s: more than %d entries in '%s'", file, max,
                           key);
    *out = calloc((size_t)n + 1, elem_size);
    if (*out == NULL)
        return xtars_error(err, XTARS_ENOMEM, "task: out of memory");
    cJSON_ArrayForEach(item, list) {
        snprintf(where, sizeof where, "%s: %s[%d]", file, key, i);
        *count = i + 1;
        rc = fn(item, (char *)*out + (size_t)i * elem_size, where, err);
        if (rc != XTARS_OK)
            return rc;
        i++;
    }
    return XTARS_OK;
}

static xtars_err step_fn(const cJSON *obj, void *elem, const char *where, char *err)
{
    return parse_step(obj, elem, where, err);
}

static xtars_err setup_fn(const cJSON *obj, void *elem, const char *where, char *err)
{
    return parse_setup(obj, elem, where, err);
}

static xtars_err parse_root(const cJSON *root, const char *file, struct xtars_task *task, char *err)
{
    static const char *const allowed[] = {"name", "screen", "setup", "steps", "description", NULL};
    char *screen = NULL;
    xtars_err rc;

    if (!cJSON_IsObject(root))
        return xtars_error(err, XTARS_ECONFIG, "task: %s: top level must be a JSON object", file);
    if ((rc = only_keys(root, allowed, file, err)) != XTARS_OK ||
        (rc = take_string(root, "name", &task->name, file, err)) != XTARS_OK)
        return rc;
    if (task->name == NULL || task->name[0] == '\0')
        return xtars_error(err, XTARS_ECONFIG, "task: %s: 'name' is required", file);
    if ((rc = take_string(root, "screen", &screen, file, err)) != XTARS_OK)
        return rc;
    if (screen && xtars_parse_size(screen, &task->width, &task->height) != XTARS_OK)
        rc = xtars_error(err, XTARS_ECONFIG, "task: %s: 'screen' must look like 1280x800, not '%.40s'",
                         file, screen);
    free(screen);
    if (rc != XTARS_OK)
        return rc;
    rc = parse_list(root, "setup", file, XTARS_TASK_MAX_SETUP, sizeof(struct xtars_task_setup),
                    (void **)&task->setup, &task->setup_count, 0, setup_fn, err);
    if (rc != XTARS_OK)
        return rc;
    return parse_list(root, "steps", file, XTARS_TASK_MAX_STEPS, sizeof(struct xtars_task_step),
                      (void **)&task->steps, &task->step_count, 1, step_fn, err);
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
    rc = parse_root(root, name, task, err);
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
