/* batch.c: task lists for `xtars batch` (one JSON task per line) and shard
 * assignment. Strict like task files: unknown keys, wrong types and
 * duplicate ids are errors naming the line, because a typo in a list of a
 * thousand tasks must fail before the first one runs. Never prints. */
#include "agent/run/batch.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/run/xvfb.h"

struct line_ctx {
    const char *name;
    int line;
    char *err;
};

static xtars_err line_error(const struct line_ctx *c, const char *what, const char *key)
{
    return xtars_error(c->err, XTARS_ECONFIG, "batch: %s line %d: %s%s%s", c->name, c->line, what,
                       key ? " " : "", key ? key : "");
}

static void task_cleanup(struct xtars_batch_task *t)
{
    free(t->instruction);
    free(t->task_file);
    for (int i = 0; i < t->launch_count; i++)
        free(t->launch[i]);
    memset(t, 0, sizeof *t);
}

void xtars_batch_list_cleanup(struct xtars_batch_list *list)
{
    if (list == NULL)
        return;
    for (int i = 0; i < list->count; i++)
        task_cleanup(&list->tasks[i]);
    free(list->tasks);
    memset(list, 0, sizeof *list);
}

static int id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > XTARS_BATCH_ID_MAX || id[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static xtars_err dup_string(const char *s, char **out, const struct line_ctx *c)
{
    *out = strdup(s);
    return *out ? XTARS_OK : xtars_error(c->err, XTARS_ENOMEM, "batch: out of memory");
}

static xtars_err take_launch(const cJSON *item, struct xtars_batch_task *t, const struct line_ctx *c)
{
    const cJSON *cmd;
    xtars_err rc;

    if (cJSON_IsString(item)) {
        if (item->valuestring[0] == '\0')
            return line_error(c, "'launch' is empty", NULL);
        t->launch_count = 1;
        return dup_string(item->valuestring, &t->launch[0], c);
    }
    if (!cJSON_IsArray(item))
        return line_error(c, "'launch' must be a command or a list of commands", NULL);
    if (cJSON_GetArraySize(item) > XTARS_BATCH_MAX_LAUNCH)
        return line_error(c, "more than 16 commands in", "'launch'");
    cJSON_ArrayForEach(cmd, item) {
        if (!cJSON_IsString(cmd) || cmd->valuestring[0] == '\0')
            return line_error(c, "every 'launch' entry must be a non-empty string", NULL);
        if ((rc = dup_string(cmd->valuestring, &t->launch[t->launch_count], c)) != XTARS_OK)
            return rc;
        t->launch_count++;
    }
    return XTARS_OK;
}

static xtars_err take_task_file(const char *path, const char *base_dir, struct xtars_batch_task *t,
                                const struct line_ctx *c)
{
    size_t size;

    if (path[0] == '\0')
        return line_error(c, "'task_file' is empty", NULL);
    if (path[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
        return dup_string(path, &t->task_file, c);
    size = strlen(base_dir) + strlen(path) + 2;
    t->task_file = malloc(size);
    if (t->task_file == NULL)
        return xtars_error(c->err, XTARS_ENOMEM, "batch: out of memory");
    snprintf(t->task_file, size, "%s/%s", base_dir, path);
    return XTARS_OK;
}

/* Checks key types and combinations, then fills t from the object. */
static xtars_err parse_object(const cJSON *obj, const char *base_dir, struct xtars_batch_task *t,
                              const struct line_ctx *c)
{
    static const char *const keys[] = {"id", "instruction", "task_file", "screen", "launch",
                                       "max_steps", NULL};
    const cJSON *item, *instruction, *task_file, *screen, *max_steps, *id;

    cJSON_ArrayForEach(item, obj) {
        int known = 0;
        for (int i = 0; keys[i] && !known; i++)
            known = strcmp(item->string, keys[i]) == 0;
        if (!known)
            return line_error(c, "unknown key", item->string);
    }
    id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    instruction = cJSON_GetObjectItemCaseSensitive(obj, "instruction");
    task_file = cJSON_GetObjectItemCaseSensitive(obj, "task_file");
    screen = cJSON_GetObjectItemCaseSensitive(obj, "screen");
    max_steps = cJSON_GetObjectItemCaseSensitive(obj, "max_steps");
    item = cJSON_GetObjectItemCaseSensitive(obj, "launch");
    if ((instruction == NULL) == (task_file == NULL))
        return line_error(c, "a task needs exactly one of instruction, task_file", NULL);
    if (task_file && (item || max_steps))
        return line_error(c, "'launch' and 'max_steps' go in the task file, not next to", "'task_file'");
    if ((instruction && !cJSON_IsString(instruction)) || (task_file && !cJSON_IsString(task_file)) ||
        (screen && !cJSON_IsString(screen)) || (id && !cJSON_IsString(id)))
        return line_error(c, "'id', 'instruction', 'task_file' and 'screen' must be strings", NULL);
    if (id && !id_ok(id->valuestring))
        return line_error(c, "'id' must be 1 to 64 of A-Z a-z 0-9 . _ - (not starting with '.')",
                          NULL);
    if (id)
        snprintf(t->id, sizeof t->id, "%s", id->valuestring);
    if (screen && xtars_parse_size(screen->valuestring, &t->width, &t->height) != XTARS_OK)
        return line_error(c, "'screen' must look like 1280x800", NULL);
    if (max_steps && (!cJSON_IsNumber(max_steps) || max_steps->valuedouble < 1 ||
                      max_steps->valuedouble > 100000 ||
                      max_steps->valuedouble != (double)(long)max_steps->valuedouble))
        return line_error(c, "'max_steps' must be a whole number from 1 to 100000", NULL);
    t->max_steps = max_steps ? (int)max_steps->valuedouble : 0;
    if (item && take_launch(item, t, c) != XTARS_OK)
        return XTARS_ECONFIG;
    if (task_file)
        return take_task_file(task_file->valuestring, base_dir, t, c);
    if (instruction->valuestring[0] == '\0')
        return line_error(c, "'instruction' is empty", NULL);
    return dup_string(instruction->valuestring, &t->instruction, c);
}

static void fnv_hex(const char *text, size_t len, char out[17])
{
    unsigned long long h = 14695981039346656037ull;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    snprintf(out, 17, "%016llx", h);
}

static xtars_err parse_line(const char *text, size_t len, const char *base_dir,
                            struct xtars_batch_task *t, const struct line_ctx *c)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    xtars_err rc;

    if (root == NULL)
        return line_error(c, "not valid JSON", NULL);
    if (!cJSON_IsObject(root))
        rc = line_error(c, "a task must be a JSON object", NULL);
    else
        rc = parse_object(root, base_dir, t, c);
    cJSON_Delete(root);
    if (rc == XTARS_OK)
        fnv_hex(text, len, t->hash);
    return rc;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int by_id(const void *a, const void *b, void *tasks)
{
    const struct xtars_batch_task *base = tasks;
    const struct xtars_batch_task *x = &base[*(const int *)a], *y = &base[*(const int *)b];
    int c = strcmp(x->id, y->id);

    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Default ids and uniqueness, once every line is parsed (sorted, so a list
 * of a million tasks is checked in a blink). */
static xtars_err check_ids(const char *name, struct xtars_batch_list *list, char *err)
{
    int *order = malloc((size_t)list->count * sizeof *order);
    xtars_err rc = XTARS_OK;

    if (order == NULL)
        return xtars_error(err, XTARS_ENOMEM, "batch: out of memory");
    for (int i = 0; i < list->count; i++) {
        if (list->tasks[i].id[0] == '\0')
            snprintf(list->tasks[i].id, sizeof list->tasks[i].id, "task-%04d", i + 1);
        order[i] = i;
    }
    qsort_r(order, (size_t)list->count, sizeof *order, by_id, list->tasks);
    for (int k = 1; k < list->count && rc == XTARS_OK; k++) {
        const struct xtars_batch_task *first = &list->tasks[order[k - 1]], *again = &list->tasks[order[k]];
        if (strcmp(first->id, again->id) == 0)
            rc = xtars_error(err, XTARS_ECONFIG, "batch: %s line %d: id '%s' is already used on "
                             "line %d", name, again->line, again->id, first->line);
    }
    free(order);
    return rc;
}

static xtars_err grow(struct xtars_batch_list *list, int *cap, char *err)
{
    struct xtars_batch_task *bigger;
    int n = *cap ? *cap * 2 : 64;

    if (list->count < *cap)
        return XTARS_OK;
    bigger = realloc(list->tasks, (size_t)n * sizeof *bigger);
    if (bigger == NULL)
        return xtars_error(err, XTARS_ENOMEM, "batch: out of memory");
    list->tasks = bigger;
    *cap = n;
    return XTARS_OK;
}

xtars_err xtars_batch_list_parse(const char *name, const char *text, size_t len,
                                 const char *base_dir, struct xtars_batch_list *list, char *err)
{
    struct line_ctx c = {name, 0, err};
    size_t pos = 0;
    int cap = 0;
    xtars_err rc = XTARS_OK;

    memset(list, 0, sizeof *list);
    while (pos < len && rc == XTARS_OK) {
        const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        struct xtars_batch_task *t;

        pos += n + 1;
        c.line++;
        if (blank(start, n))
            continue;
        if (list->count == XTARS_BATCH_MAX_TASKS)
            rc = line_error(&c, "too many tasks (at most 1000000)", NULL);
        if (rc == XTARS_OK)
            rc = grow(list, &cap, err);
        if (rc != XTARS_OK)
            break;
        t = &list->tasks[list->count++];
        memset(t, 0, sizeof *t);
        t->index = list->count - 1;
        t->line = c.line;
        rc = parse_line(start, n, base_dir, t, &c);
    }
    if (rc == XTARS_OK && list->count == 0)
        rc = xtars_error(err, XTARS_ECONFIG, "batch: %s: no tasks", name);
    if (rc == XTARS_OK)
        rc = check_ids(name, list, err);
    if (rc != XTARS_OK)
        xtars_batch_list_cleanup(list);
    return rc;
}

xtars_err xtars_batch_list_load(const char *path, struct xtars_batch_list *list, char *err)
{
    struct xtars_buf text;
    char reason[XTARS_ERRLEN], *dir, *slash;
    xtars_err rc;

    memset(list, 0, sizeof *list);
    rc = xtars_buf_read_file(&text, path, XTARS_BATCH_LIST_MAX, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, rc == XTARS_ETOOBIG ? XTARS_ECONFIG : rc, "batch: %s", reason);
    dir = strdup(path);
    if (dir == NULL) {
        xtars_buf_cleanup(&text);
        return xtars_error(err, XTARS_ENOMEM, "batch: out of memory");
    }
    slash = strrchr(dir, '/');
    if (slash == NULL)
        dir[0] = '\0';
    else
        slash[slash == dir ? 1 : 0] = '\0';
    rc = xtars_batch_list_parse(path, text.data ? text.data : "", text.len, dir, list, err);
    free(dir);
    xtars_buf_cleanup(&text);
    return rc;
}

int xtars_batch_list_find(const struct xtars_batch_list *list, const char *id)
{
    for (int i = 0; i < list->count; i++)
        if (strcmp(list->tasks[i].id, id) == 0)
            return i;
    return -1;
}

xtars_err xtars_batch_shard_parse(const char *text, int *shard_index, int *shard_count, char *err)
{
    const char *given = text;
    char *end;
    long i, n;

    *shard_index = 0;
    *shard_count = 1;
    i = strtol(text, &end, 10);
    if (end == text || *end != '/' || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        goto bad;
    text = end + 1;
    n = strtol(text, &end, 10);
    if (end == text || *end != '\0' || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        goto bad;
    if (n < 1 || n > 100000 || i >= n)
        goto bad;
    *shard_index = (int)i;
    *shard_count = (int)n;
    return XTARS_OK;
bad:
    return xtars_error(err, XTARS_ECONFIG, "batch: --shard wants I/N with 0 <= I < N <= 100000 "
                       "(such as 0/4), not '%.40s'", given);
}

int xtars_batch_in_shard(int task_index, int shard_index, int shard_count)
{
    return shard_count <= 1 || task_index % shard_count == shard_index;
}
