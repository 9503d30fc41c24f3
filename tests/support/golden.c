/* golden.c: reads the parser's golden files (format: tests/data/parse/README.md)
 * and builds the coordinate space of a case's options line. */
#include "golden.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config_internal.h"
#include "xtars/buf.h"
#include "xtars/config.h"

struct lines {
    char **v;
    int count;
};

static int split_lines(char *text, size_t len, struct lines *out)
{
    int cap = 256;

    out->count = 0;
    out->v = malloc(sizeof(char *) * (size_t)cap);
    if (out->v == NULL)
        return -1;
    for (size_t i = 0; i < len;) {
        char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (out->count == cap) {
            char **grown = realloc(out->v, sizeof(char *) * (size_t)(cap *= 2));
            if (grown == NULL)
                return -1;
            out->v = grown;
        }
        text[end] = '\0';
        out->v[out->count++] = text + i;
        i = end + 1;
    }
    return 0;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Joins lines[from, to) with '\n'. */
static char *join(struct lines *l, int from, int to, size_t *len)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 64 << 20);
    for (int i = from; i < to; i++) {
        if (i > from)
            xtars_buf_putc(&b, '\n');
        xtars_buf_puts(&b, l->v[i]);
    }
    return xtars_buf_detach(&b, len);
}

/* "reply-json: "..."": the reply as a JSON string (for bytes a text block
 * cannot show: trailing spaces, \r, NUL, control characters). */
static int json_input(const char *json, struct golden_case *c, char *err)
{
    cJSON *s = cJSON_Parse(json);
    size_t n;

    if (!cJSON_IsString(s)) {
        cJSON_Delete(s);
        snprintf(err, 256, "line %d: -json input is not a JSON string", c->line);
        return -1;
    }
    /* cJSON stops at \u0000: count it back in from the escapes. */
    n = strlen(s->valuestring);
    c->input = malloc(n + 2);
    memcpy(c->input, s->valuestring, n + 1);
    if (strstr(json, "\\u0000")) {
        c->input[n] = '\0';
        n++;
        if (strstr(json, "\\u0000\"") == NULL) {
            snprintf(err, 256, "line %d: \\u0000 only at the end of a -json input", c->line);
            cJSON_Delete(s);
            return -1;
        }
    }
    c->input_len = n;
    cJSON_Delete(s);
    return 0;
}

/* One case starting at the "###" line *i; leaves *i at the next case. */
static int read_case(struct lines *l, int *i, struct golden_case *c, const char *path, char *err)
{
    int at = *i + 1, body;

    memset(c, 0, sizeof *c);
    c->line = *i + 1;
    snprintf(c->name, sizeof c->name, "%s", l->v[*i] + 3 + (l->v[*i][3] == ' '));
    if (at < l->count && starts(l->v[at], "options:"))
        snprintf(c->options, sizeof c->options, "%s", l->v[at++] + 8);
    if (at >= l->count)
        goto bad;
    c->is_call = starts(l->v[at], "call");
    if (strcmp(l->v[at], "reply:") == 0 || strcmp(l->v[at], "call:") == 0) {
        body = ++at;
        while (at < l->count && !starts(l->v[at], "expect:") && !starts(l->v[at], "error:"))
            at++;
        c->input = join(l, body, at, &c->input_len);
    } else if (starts(l->v[at], "reply-json:") || starts(l->v[at], "call-json:")) {
        if (json_input(strchr(l->v[at], ':') + 1, c, err) != 0)
            return -1;
        at++;
    } else {
        goto bad;
    }
    if (at >= l->count)
        goto bad;
    if (starts(l->v[at], "error:")) {
        c->error = strdup(l->v[at] + 6 + (l->v[at][6] == ' '));
        at++;
    } else {
        body = at;
        l->v[at] += 7;  /* JSON may start on the expect: line itself */
        while (at + 1 < l->count && l->v[at + 1][0] != '\0' && !starts(l->v[at + 1], "###"))
            at++;
        c->expect = join(l, body, at + 1, NULL);
        at++;
    }
    while (at < l->count && !starts(l->v[at], "###"))
        at++;
    *i = at;
    return 0;
bad:
    snprintf(err, 256, "%s:%d: case '%s' needs reply:/call: and expect:/error:", path, c->line,
             c->name);
    return -1;
}

int golden_load(const char *path, struct golden_file *out, char *err)
{
    struct xtars_buf text;
    char lib_err[XTARS_ERRLEN];
    struct lines l = {NULL, 0};
    int i = 0, rc = -1;

    memset(out, 0, sizeof *out);
    xtars_buf_init(&text, 64 << 20);
    if (xtars_buf_read_file(&text, path, 64 << 20, lib_err) != XTARS_OK) {
        snprintf(err, 256, "%.200s", lib_err);
        return -1;
    }
    if (split_lines(text.data ? text.data : "", text.len, &l) != 0)
        goto out;
    out->cases = calloc((size_t)l.count + 1, sizeof *out->cases);
    while (i < l.count && !starts(l.v[i], "###"))
        i++;
    while (i < l.count) {
        if (read_case(&l, &i, &out->cases[out->count], path, err) != 0)
            goto out;
        out->count++;
    }
    rc = 0;
out:
    free(l.v);
    xtars_buf_cleanup(&text);
    if (rc != 0)
        golden_free(out);
    return rc;
}

void golden_free(struct golden_file *file)
{
    for (int i = 0; file->cases && i <= file->count; i++) {
        free(file->cases[i].input);
        free(file->cases[i].expect);
        free(file->cases[i].error);
    }
    free(file->cases);
    memset(file, 0, sizeof *file);
}

static int geometry(const char *s, struct xtars_rect *r)
{
    char tail;

    r->x = r->y = 0;
    if (sscanf(s, "%dx%d+%d+%d%c", &r->width, &r->height, &r->x, &r->y, &tail) == 4)
        return 0;
    r->x = r->y = 0;
    return sscanf(s, "%dx%d%c", &r->width, &r->height, &tail) == 2 ? 0 : -1;
}

int golden_space(const char *options, struct xtars_coord_space *space, int *have_space, char *err)
{
    char buf[256], *save = NULL, *opt, *value;
    long min_pixels = XTARS_DEFAULT_MIN_PIXELS, max_pixels = XTARS_DEFAULT_MAX_PIXELS;
    struct xtars_rect sent = {0, 0, 0, 0};

    memset(space, 0, sizeof *space);
    *have_space = 0;
    snprintf(buf, sizeof buf, "%s", options);
    for (opt = strtok_r(buf, " ", &save); opt; opt = strtok_r(NULL, " ", &save)) {
        value = strtok_r(NULL, " ", &save);
        if (value == NULL)
            goto bad;
        if (strcmp(opt, "--family") == 0 && xtars_family_from_name(value, &space->family) == 0)
            continue;
        if (strcmp(opt, "--screen") == 0 && geometry(value, &space->target) == 0)
            *have_space = 1;
        else if (strcmp(opt, "--sent") == 0 && geometry(value, &sent) == 0)
            continue;
        else if (strcmp(opt, "--max-pixels") == 0)
            max_pixels = atol(value);
        else if (strcmp(opt, "--min-pixels") == 0)
            min_pixels = atol(value);
        else
            goto bad;
    }
    space->sent_width = sent.width;
    space->sent_height = sent.height;
    if (*have_space && sent.width == 0 &&
        xtars_smart_resize(space->target.width, space->target.height, min_pixels, max_pixels,
                           &space->sent_width, &space->sent_height) != XTARS_OK)
        goto bad;
    return 0;
bad:
    snprintf(err, 256, "bad options '%s'", options);
    return -1;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int golden_list(const char *dir, char ***paths)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int count = 0, cap = 32;

    *paths = NULL;
    if (d == NULL)
        return -1;
    *paths = malloc(sizeof(char *) * (size_t)cap);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".test") != 0 || count == cap)
            continue;
        (*paths)[count] = malloc(strlen(dir) + n + 2);
        sprintf((*paths)[count++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(*paths, (size_t)count, sizeof(char *), compare_paths);
    return count;
}

void golden_list_free(char **paths, int count)
{
    for (int i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}
