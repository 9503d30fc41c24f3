/* bench_parse.c: parser throughput over the golden corpus (tests/data/parse).
 * Prints parses per second and nanoseconds per parse next to the reference
 * figure for the TypeScript parser (npm @ui-tars/action-parser 1.2.3 under
 * Node 20, about 220,000 parses/s on this class of machine). Each parse is
 * the whole xtars_parse_reply() call plus xtars_reply_cleanup(), with the
 * case's coordinate space. A figure printer, never a test.
 * Usage: bench_parse [GOLDEN_DIR] [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden.h"
#include "xtars/parse.h"

#define REFERENCE_PARSES_PER_SECOND 220000.0

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

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data/parse";
    double seconds = argc > 2 ? atof(argv[2]) : 2.0, start, cpu_start, elapsed, cpu, rate, wall_rate;
    struct golden_file *files;
    struct input *inputs;
    int file_count, count, ok;
    long passes = 0;
    size_t bytes = 0;

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
    printf("corpus:        %d replies from %s (%d parse, %d are errors), %zu bytes\n", count, dir,
           ok, count - ok, bytes);
    printf("xtars:         %.0f parses/s, %.0f ns/parse (CPU time: %ld passes in %.2f s)\n",
           rate, 1e9 / rate, passes, cpu);
    printf("               %.0f parses/s by the wall clock (%.2f s)\n", wall_rate, elapsed);
    printf("reference:     %.0f parses/s (TypeScript @ui-tars/action-parser 1.2.3, Node 20)\n",
           REFERENCE_PARSES_PER_SECOND);
    printf("ratio:         %.1fx the reference (target: at least 10x)\n",
           rate / REFERENCE_PARSES_PER_SECOND);
    for (int f = 0; f < file_count; f++)
        golden_free(&files[f]);
    free(files);
    free(inputs);
    return 0;
}
