/* bench_parse.c: parser throughput over the golden corpus (tests/data/parse),
 * for xtars and, in the same run on the same replies, for the TypeScript
 * parser UI-TARS-desktop uses (npm @ui-tars/action-parser under node,
 * bench/parse_peer.js, installed into bench/node_modules by
 * bench/npm_peers.sh). Each xtars parse is the whole xtars_parse_reply() call
 * plus xtars_reply_cleanup(), with the case's coordinate space. Prints both
 * figures and their ratio, or "not measured" for the peer when node or the
 * package is missing: no constant is ever printed as a measurement. A figure
 * printer, never a test. Usage: bench_parse [GOLDEN_DIR] [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "golden.h"
#include "xtars/parse.h"

#ifndef XT_SOURCE_DIR
#define XT_SOURCE_DIR "."
#endif

struct input {
    const char *text;
    size_t len;
    struct xtars_coord_space space;
    int have_space;
};

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over every input; returns how many parsed without error. */
static int pass(const struct input *inputs, int count)
{
    char err[XTARS_ERRLEN];
    int ok = 0;

    for (int i = 0; i < count; i++) {
        struct xtars_reply reply;
        ok += xtars_parse_reply(inputs[i].text, inputs[i].len,
                                inputs[i].have_space ? &inputs[i].space : NULL, &reply,
                                err) == XTARS_OK;
        xtars_reply_cleanup(&reply);
    }
    return ok;
}

static int load(const char *dir, struct golden_file **files, int *file_count,
                struct input **inputs, int *count)
{
    char **paths, err[256];
    int n = golden_list(dir, &paths);

    if (n <= 0) {
        fprintf(stderr, "bench_parse: no *.test files in %s\n", dir);
        return -1;
    }
    *files = calloc((size_t)n, sizeof **files);
    *inputs = NULL;
    *count = 0;
    for (int f = 0; f < n; f++) {
        if (golden_load(paths[f], &(*files)[f], err) != 0) {
            fprintf(stderr, "bench_parse: %s\n", err);
            return -1;
        }
        *inputs = realloc(*inputs, sizeof **inputs * (size_t)(*count + (*files)[f].count));
        for (int i = 0; i < (*files)[f].count; i++) {
            const struct golden_case *c = &(*files)[f].cases[i];
            struct input *in = &(*inputs)[*count];
            if (c->is_call)
                continue;
            in->text = c->input;
            in->len = c->input_len;
            golden_space(c->options, &in->space, &in->have_space, err);
            (*count)++;
        }
    }
    *file_count = n;
    golden_list_free(paths, n);
    return 0;
}

static const char *const family_names[] = {"uitars-1.5", "uitars-1.0", "doubao", "pixels"};

/* The replies as parse_peer.js reads them: [{text, family, width, height}]. */
static int write_corpus(const char *path, const struct input *inputs, int count)
{
    cJSON *list = cJSON_CreateArray();
    char *text;
    FILE *f;
    int rc = -1;

    for (int i = 0; i < count; i++) {
        cJSON *c = cJSON_CreateObject();
        char *copy = strndup(inputs[i].text, inputs[i].len);
        cJSON_AddStringToObject(c, "text", copy);
        free(copy);
        cJSON_AddStringToObject(c, "family", family_names[inputs[i].space.family & 3]);
        if (inputs[i].have_space) {
            cJSON_AddNumberToObject(c, "width", inputs[i].space.target.width);
            cJSON_AddNumberToObject(c, "height", inputs[i].space.target.height);
        }
        cJSON_AddItemToArray(list, c);
    }
    text = cJSON_PrintUnformatted(list);
    f = fopen(path, "w");
    if (f && text && fputs(text, f) >= 0)
        rc = 0;
    if (f && fclose(f) != 0)
        rc = -1;
    free(text);
    cJSON_Delete(list);
    return rc;
}

/* Runs parse_peer.js on the same replies; returns parses per CPU second, or
 * 0 with the reason in why. */
static double run_peer(const struct input *inputs, int count, double seconds, char *why,
                       size_t why_size)
{
    char script[1024], corpus[] = "/tmp/bench_parse_XXXXXX", cmd[3000], line[1024] = "";
    const char *source = getenv("XTARS_SOURCE_DIR") ? getenv("XTARS_SOURCE_DIR") : XT_SOURCE_DIR;
    double parses = 0, cpu = 0;
    cJSON *j, *item;
    FILE *p;
    int fd;

    snprintf(script, sizeof script, "%s/bench/node_modules/@ui-tars/action-parser/package.json",
             source);
    if (access(script, R_OK) != 0) {
        snprintf(why, why_size, "@ui-tars/action-parser is not installed (bench/npm_peers.sh)");
        return 0;
    }
    fd = mkstemp(corpus);
    if (fd < 0 || (close(fd), write_corpus(corpus, inputs, count)) != 0) {
        snprintf(why, why_size, "cannot write %s", corpus);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "cd '%s/bench' && node parse_peer.js '%s' %.2f 2>&1", source,
             corpus, seconds);
    p = popen(cmd, "r");
    if (p) {
        while (fgets(line, sizeof line, p) && line[0] != '{')
            ;
        pclose(p);
    }
    unlink(corpus);
    j = cJSON_Parse(line);
    if ((item = cJSON_GetObjectItemCaseSensitive(j, "parses")) && cJSON_IsNumber(item))
        parses = item->valuedouble;
    if ((item = cJSON_GetObjectItemCaseSensitive(j, "cpu_seconds")) && cJSON_IsNumber(item))
        cpu = item->valuedouble;
    if (parses > 0 && cpu > 0) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
        cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "node");
        cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "wall_seconds");
        snprintf(why, why_size, "@ui-tars/action-parser %s, node %s; %.0f parses/s by the wall "
                 "clock", cJSON_IsString(v) ? v->valuestring : "?",
                 cJSON_IsString(n) ? n->valuestring : "?",
                 cJSON_IsNumber(w) && w->valuedouble > 0 ? parses / w->valuedouble : 0.0);
    } else {
        snprintf(why, why_size, "node parse_peer.js failed: %.200s", line[0] ? line : "no output");
    }
    cJSON_Delete(j);
    return parses > 0 && cpu > 0 ? parses / cpu : 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data/parse";
    double seconds = argc > 2 ? atof(argv[2]) : 2.0, start, cpu_start, elapsed, cpu, rate, wall_rate;
    double peer_rate;
    struct golden_file *files;
    struct input *inputs;
    int file_count, count, ok;
    long passes = 0;
    size_t bytes = 0;
    char peer_note[400];

    if (load(dir, &files, &file_count, &inputs, &count) != 0)
        return 1;
    for (int i = 0; i < count; i++)
        bytes += inputs[i].len;
    ok = pass(inputs, count);  /* warm-up */
    /* CPU time is the figure: on a shared machine wall time also counts the
     * time other processes held the core. Both are printed. */
    start = clock_seconds(CLOCK_MONOTONIC);
    cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    do {
        pass(inputs, count);
        passes++;
        cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    } while (cpu < seconds);
    elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
    rate = (double)passes * count / cpu;
    wall_rate = (double)passes * count / elapsed;
    peer_rate = run_peer(inputs, count, seconds, peer_note, sizeof peer_note);
    printf("corpus:        %d replies from %s (%d parse, %d are errors), %zu bytes\n", count, dir,
           ok, count - ok, bytes);
    printf("xtars:         %.0f parses/s, %.0f ns/parse (CPU time: %ld passes in %.2f s)\n",
           rate, 1e9 / rate, passes, cpu);
    printf("               %.0f parses/s by the wall clock (%.2f s)\n", wall_rate, elapsed);
    if (peer_rate > 0) {
        printf("peer:          %.0f parses/s, %.0f ns/parse (CPU time; same replies, same run)\n",
               peer_rate, 1e9 / peer_rate);
        printf("               %s\n", peer_note);
        printf("ratio:         xtars %.1fx the peer (target: at least 10x)\n", rate / peer_rate);
    } else {
        printf("peer:          not measured: %s\n", peer_note);
        printf("ratio:         not measured\n");
    }
    for (int f = 0; f < file_count; f++)
        golden_free(&files[f]);
    free(files);
    free(inputs);
    return 0;
}
