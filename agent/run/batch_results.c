/* batch_results.c: results.jsonl for `xtars batch`: one JSON line per task
 * outcome, appended whole and flushed as each task ends, so a batch killed
 * at any moment leaves a file that reads back (at worst without a cut last
 * line, which the next run trims). Resumption, shard merging and the index
 * page are built on it. Never prints, never exits. */
#include "agent/run/batch.h"
#include "agent/base/files.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/json.h"
#include "xtars/log.h"
#include "xtars/trajectory.h"

#define LINE_MAX_BYTES (1 << 20)

void xtars_batch_result_cleanup(struct xtars_batch_result *r)
{
    if (r == NULL)
        return;
    free(r->task);
    free(r->trajectory);
    free(r->report);
    free(r->log);
    free(r->message);
    memset(r, 0, sizeof *r);
}

int xtars_batch_status_final(const char *status)
{
    static const char *const final[] = {"finished", "call_user", "max_steps", "stuck",
                                        "parse_errors", "failed", "diverged", NULL};

    for (int i = 0; final[i]; i++)
        if (strcmp(status, final[i]) == 0)
            return 1;
    return 0;
}

/* ---- one line ---- */

static int put_key_string(struct xtars_buf *b, const char *key, const char *value)
{
    return xtars_buf_printf(b, ", \"%s\": ", key) != XTARS_OK ||
           xtars_json_put_string(b, value && value[0] ? value : NULL) != XTARS_OK;
}

/* Free text (a task's instruction, a message quoting a server) with the
 * registered secrets redacted, as trajectories have them. */
static int put_key_redacted(struct xtars_buf *b, const char *key, const char *value)
{
    char *shown = value && value[0] ? xtars_log_redact(value) : NULL;
    int failed = (value && value[0] && shown == NULL) || put_key_string(b, key, shown);

    free(shown);
    return failed;
}

xtars_err xtars_batch_result_format(const struct xtars_batch_result *r, struct xtars_buf *out)
{
    size_t before = out->len;
    int failed = 0;

    failed |= xtars_buf_puts(out, "{\"id\": ") != XTARS_OK;
    failed |= xtars_json_put_string(out, r->id) != XTARS_OK;
    failed |= xtars_buf_printf(out, ", \"index\": %d, \"line\": %d, \"status\": ", r->index,
                               r->line) != XTARS_OK;
    failed |= xtars_json_put_string(out, r->status) != XTARS_OK;
    failed |= xtars_buf_printf(out, ", \"passed\": %s, \"exit_code\": %d, \"steps\": %d, "
                               "\"duration_s\": ", r->passed ? "true" : "false", r->exit_code,
                               r->steps) != XTARS_OK;
    failed |= xtars_json_put_number(out, round(r->duration_s * 1000.0) / 1000.0) != XTARS_OK;
    failed |= put_key_redacted(out, "task", r->task);
    failed |= put_key_string(out, "trajectory", r->trajectory);
    failed |= put_key_string(out, "report", r->report);
    failed |= put_key_string(out, "log", r->log);
    failed |= put_key_redacted(out, "message", r->message);
    failed |= put_key_string(out, "shard", r->shard);
    failed |= put_key_string(out, "started_at", r->started_at);
    failed |= put_key_string(out, "ended_at", r->ended_at);
    failed |= put_key_string(out, "task_hash", r->task_hash);
    failed |= xtars_buf_puts(out, "}\n") != XTARS_OK;
    if (failed) {
        /* A put that did not fit left the line incomplete: take it all back. */
        if (out->data) {
            out->len = before;
            out->data[before] = '\0';
        }
        return XTARS_ETOOBIG;
    }
    return XTARS_OK;
}

static int get_int(const cJSON *obj, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item) || item->valuedouble < -1e9 || item->valuedouble > 1e9)
        return fallback;
    return (int)item->valuedouble;
}

static void get_fixed(const cJSON *obj, const char *key, char *out, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    out[0] = '\0';
    if (cJSON_IsString(item) && strlen(item->valuestring) < size)
        snprintf(out, size, "%s", item->valuestring);
}

/* Copies an optional string; 0 on allocation failure. */
static int get_string(const cJSON *obj, const char *key, char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!cJSON_IsString(item))
        return 1;
    *out = strdup(item->valuestring);
    return *out != NULL;
}

static xtars_err fill(const cJSON *obj, struct xtars_batch_result *r, char *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(obj, "status");
    const cJSON *duration = cJSON_GetObjectItemCaseSensitive(obj, "duration_s");

    if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
        strlen(id->valuestring) > XTARS_BATCH_ID_MAX)
        return xtars_error(err, XTARS_EFORMAT, "no usable 'id'");
    if (!cJSON_IsString(status) || status->valuestring[0] == '\0' ||
        strlen(status->valuestring) >= sizeof r->status)
        return xtars_error(err, XTARS_EFORMAT, "no usable 'status'");
    snprintf(r->id, sizeof r->id, "%s", id->valuestring);
    snprintf(r->status, sizeof r->status, "%s", status->valuestring);
    r->index = get_int(obj, "index", -1);
    r->line = get_int(obj, "line", -1);
    r->exit_code = get_int(obj, "exit_code", -1);
    r->steps = get_int(obj, "steps", 0);
    r->passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "passed"));
    r->duration_s = cJSON_IsNumber(duration) ? duration->valuedouble : 0;
    get_fixed(obj, "shard", r->shard, sizeof r->shard);
    get_fixed(obj, "started_at", r->started_at, sizeof r->started_at);
    get_fixed(obj, "ended_at", r->ended_at, sizeof r->ended_at);
    get_fixed(obj, "task_hash", r->task_hash, sizeof r->task_hash);
    if (!get_string(obj, "task", &r->task) || !get_string(obj, "trajectory", &r->trajectory) ||
        !get_string(obj, "report", &r->report) || !get_string(obj, "log", &r->log) ||
        !get_string(obj, "message", &r->message))
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    return XTARS_OK;
}

xtars_err xtars_batch_result_parse(const char *line, size_t len, struct xtars_batch_result *r,
                                   char *err)
{
    cJSON *root;
    xtars_err rc;

    memset(r, 0, sizeof *r);
    root = cJSON_ParseWithLength(line, len);
    if (root == NULL)
        return xtars_error(err, XTARS_EFORMAT, "not valid JSON");
    rc = cJSON_IsObject(root) ? fill(root, r, err)
                              : xtars_error(err, XTARS_EFORMAT, "not a JSON object");
    cJSON_Delete(root);
    if (rc != XTARS_OK)
        xtars_batch_result_cleanup(r);
    return rc;
}

/* ---- the set ---- */

void xtars_batch_results_init(struct xtars_batch_results *set) { memset(set, 0, sizeof *set); }

void xtars_batch_results_cleanup(struct xtars_batch_results *set)
{
    if (set == NULL)
        return;
    for (int i = 0; i < set->count; i++)
        xtars_batch_result_cleanup(&set->items[i]);
    free(set->items);
    free(set->table);
    memset(set, 0, sizeof *set);
}

static unsigned id_hash(const char *id)
{
    unsigned h = 2166136261u;

    while (*id)
        h = (h ^ (unsigned char)*id++) * 16777619u;
    return h;
}

/* The table slot holding id, or the empty slot where it would go. */
static int slot_of(const struct xtars_batch_results *set, const char *id)
{
    unsigned mask = (unsigned)set->table_size - 1, i = id_hash(id) & mask;

    while (set->table[i] >= 0 && strcmp(set->items[set->table[i]].id, id) != 0)
        i = (i + 1) & mask;
    return (int)i;
}

/* Keeps the table at most half full. */
static xtars_err rehash(struct xtars_batch_results *set)
{
    int size = set->table_size ? set->table_size : 64;
    int *table;

    if (set->table && (set->count + 1) * 2 <= set->table_size)
        return XTARS_OK;
    while ((set->count + 1) * 2 > size)
        size *= 2;
    table = malloc((size_t)size * sizeof *table);
    if (table == NULL)
        return XTARS_ENOMEM;
    for (int i = 0; i < size; i++)
        table[i] = -1;
    free(set->table);
    set->table = table;
    set->table_size = size;
    for (int k = 0; k < set->count; k++)
        set->table[slot_of(set, set->items[k].id)] = k;
    return XTARS_OK;
}

struct xtars_batch_result *xtars_batch_results_find(struct xtars_batch_results *set, const char *id)
{
    int slot;

    if (set->table == NULL)
        return NULL;
    slot = slot_of(set, id);
    return set->table[slot] >= 0 ? &set->items[set->table[slot]] : NULL;
}

static int replaces(const struct xtars_batch_result *old, const struct xtars_batch_result *new_r,
                    enum xtars_batch_put mode)
{
    if (mode == XTARS_BATCH_PUT_PREFER_FINAL) {
        int old_final = xtars_batch_status_final(old->status);
        int new_final = xtars_batch_status_final(new_r->status);
        if (old_final != new_final)
            return new_final;
    }
    return 1;
}

xtars_err xtars_batch_results_put(struct xtars_batch_results *set, struct xtars_batch_result *r,
                                  enum xtars_batch_put mode, int *duplicate)
{
    struct xtars_batch_result *old;
    int slot;

    if (duplicate)
        *duplicate = 0;
    if (rehash(set) != XTARS_OK)
        goto nomem;
    r->seq = set->next_seq++;
    slot = slot_of(set, r->id);
    if (set->table[slot] >= 0) {
        old = &set->items[set->table[slot]];
        if (duplicate)
            *duplicate = 1;
        if (replaces(old, r, mode)) {
            xtars_batch_result_cleanup(old);
            *old = *r;
        } else {
            xtars_batch_result_cleanup(r);
        }
        memset(r, 0, sizeof *r);
        return XTARS_OK;
    }
    if (set->count == set->cap) {
        int cap = set->cap ? set->cap * 2 : 64;
        struct xtars_batch_result *items = realloc(set->items, (size_t)cap * sizeof *items);
        if (items == NULL)
            goto nomem;
        set->items = items;
        set->cap = cap;
    }
    set->items[set->count] = *r;
    set->table[slot] = set->count++;
    memset(r, 0, sizeof *r);
    return XTARS_OK;
nomem:
    xtars_batch_result_cleanup(r);
    return XTARS_ENOMEM;
}

xtars_err xtars_batch_results_parse(struct xtars_batch_results *set, const char *name,
                                    const char *text, size_t len, char *err)
{
    size_t pos = 0;
    int line = 0;

    while (pos < len) {
        const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        struct xtars_batch_result r;
        char why[XTARS_ERRLEN];
        xtars_err rc;

        pos += n + 1;
        line++;
        if (n == 0)
            continue;
        rc = xtars_batch_result_parse(start, n, &r, why);
        if (rc == XTARS_ENOMEM)
            return xtars_error(err, rc, "batch: out of memory reading %s", name);
        if (rc != XTARS_OK) {
            if (set->bad_lines++ == 0)
                snprintf(set->warning, sizeof set->warning, "%.200s line %d: %.200s%s", name, line, why,
                         nl ? "" : " (cut short)");
            continue;
        }
        if (xtars_batch_results_put(set, &r, XTARS_BATCH_PUT_LATEST, NULL) != XTARS_OK)
            return xtars_error(err, XTARS_ENOMEM, "batch: out of memory reading %s", name);
    }
    return XTARS_OK;
}

xtars_err xtars_batch_results_load(struct xtars_batch_results *set, const char *path, char *err)
{
    struct xtars_buf text;
    xtars_err rc;

    if (access(path, F_OK) != 0 && errno == ENOENT)
        return XTARS_OK;
    rc = xtars_buf_read_file(&text, path, XTARS_BATCH_RESULTS_MAX, err);
    if (rc != XTARS_OK)
        return rc;
    rc = xtars_batch_results_parse(set, path, text.data ? text.data : "", text.len, err);
    xtars_buf_cleanup(&text);
    return rc;
}

static int by_position(const void *a, const void *b)
{
    const struct xtars_batch_result *x = a, *y = b;
    long xi = x->index < 0 ? 0x7fffffffL : x->index, yi = y->index < 0 ? 0x7fffffffL : y->index;

    if (xi != yi)
        return xi < yi ? -1 : 1;
    return strcmp(x->id, y->id);
}

void xtars_batch_results_sort(struct xtars_batch_results *set)
{
    if (set->count > 1)
        qsort(set->items, (size_t)set->count, sizeof set->items[0], by_position);
    if (set->table) {
        for (int i = 0; i < set->table_size; i++)
            set->table[i] = -1;
        for (int k = 0; k < set->count; k++)
            set->table[slot_of(set, set->items[k].id)] = k;
    }
}

/* ---- the file ---- */

xtars_err xtars_batch_results_repair(const char *path, char *err)
{
    char tail[4096];
    struct stat st;
    off_t end;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? XTARS_OK
                               : xtars_error(err, XTARS_EIO, "batch: cannot open %s: %s", path,
                                             strerror(errno));
    if (fstat(fd, &st) != 0)
        goto fail;
    end = st.st_size;
    /* Walk back to the last newline; everything after it is a cut line. */
    while (end > 0) {
        off_t from = end > (off_t)sizeof tail ? end - (off_t)sizeof tail : 0;
        ssize_t n = pread(fd, tail, (size_t)(end - from), from);
        char *nl;
        if (n != (ssize_t)(end - from))
            goto fail;
        nl = memrchr(tail, '\n', (size_t)n);
        if (nl) {
            end = from + (nl - tail) + 1;
            break;
        }
        end = from;
    }
    if (end != st.st_size && (ftruncate(fd, end) != 0 || fsync(fd) != 0))
        goto fail;
    close(fd);
    return XTARS_OK;
fail:
    close(fd);
    return xtars_error(err, XTARS_EIO, "batch: cannot repair %s: %s", path, strerror(errno));
}

xtars_err xtars_batch_results_append(const char *path, const struct xtars_batch_result *r,
                                     char *err)
{
    struct xtars_buf line;
    ssize_t n;
    int fd;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&line, LINE_MAX_BYTES);
    if (xtars_batch_result_format(r, &line) != XTARS_OK) {
        xtars_buf_cleanup(&line);
        return xtars_error(err, XTARS_ENOMEM, "batch: result of '%s' too large or out of memory",
                           r->id);
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = xtars_error(err, XTARS_EIO, "batch: cannot open %s: %s", path, strerror(errno));
    } else {
        n = write(fd, line.data, line.len);
        if (n != (ssize_t)line.len || fdatasync(fd) != 0)
            rc = xtars_error(err, XTARS_EIO, "batch: cannot append to %s: %s", path,
                             n < 0 || n == (ssize_t)line.len ? strerror(errno) : "short write");
        close(fd);
    }
    xtars_buf_cleanup(&line);
    return rc;
}

xtars_err xtars_batch_results_write(const struct xtars_batch_results *set, const char *path,
                                    char *err)
{
    struct xtars_buf all;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&all, XTARS_BATCH_RESULTS_MAX);
    for (int i = 0; i < set->count && rc == XTARS_OK; i++)
        rc = xtars_batch_result_format(&set->items[i], &all);
    if (rc != XTARS_OK)
        rc = xtars_error(err, rc, "batch: %s would be too large", path);
    else
        rc = xtars_write_file_atomic(path, all.data ? all.data : "", all.len, err);
    xtars_buf_cleanup(&all);
    return rc;
}

/* ---- paths ---- */

/* Length of the next path component at p. */
static size_t component(const char *p) { return strcspn(p, "/"); }

static const char *skip_slashes(const char *p)
{
    while (*p == '/')
        p++;
    return p;
}

xtars_err xtars_path_relative(const char *from_dir, const char *to, char *out, size_t size)
{
    const char *f = from_dir, *t = to;
    size_t used = 0;
    int n;

    if (from_dir[0] != '/' || to[0] != '/')
        return XTARS_EINVAL;
    f = skip_slashes(f);
    t = skip_slashes(t);
    /* Common leading components. */
    while (*f && *t && component(f) == component(t) && memcmp(f, t, component(f)) == 0) {
        f = skip_slashes(f + component(f));
        t = skip_slashes(t + component(t));
    }
    out[0] = '\0';
    for (; *f; f = skip_slashes(f + component(f))) {
        n = snprintf(out + used, size - used, "%s..", used ? "/" : "");
        if (n < 0 || (size_t)n >= size - used)
            return XTARS_ETOOBIG;
        used += (size_t)n;
    }
    n = snprintf(out + used, size - used, "%s%s", used && *t ? "/" : "", *t ? t : (used ? "" : "."));
    if (n < 0 || (size_t)n >= size - used)
        return XTARS_ETOOBIG;
    used += (size_t)n;
    while (used > 1 && out[used - 1] == '/')
        out[--used] = '\0';
    return XTARS_OK;
}
