/* Importing a big UI-TARS-desktop file stays within a memory bound: 100,000
 * steps (a screenshot and a click each, and 3 KB of text the importer does
 * not use, so the file is larger than the bound) imported by `xtars import`
 * with the peak resident memory of the child measured by getrusage(). Read
 * whole into one cJSON tree, with room for 64 actions in every step, this
 * took 2.5 GB; it must now stay under 300 MB (docs/replay.md, "Big files").
 * A memory bound, not a timing. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "run.h"
#include "test.h"
#include "xtars/buf.h"

#define STEPS 100000
#define BOUND_KB (300 * 1024)
/* a 1x1 PNG */
#define PNG "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

static int under_memcheck(void)
{
    const char *bin = getenv("XTARS_BIN");
    return bin && strstr(bin, "valgrind") != NULL;
}

/* Writes the file; returns its size in bytes. */
static long write_big(const char *path, int steps)
{
    char padding[3001];
    struct stat st;
    FILE *f = fopen(path, "w");

    ASSERT(f != NULL);
    memset(padding, 'x', sizeof padding - 1);
    padding[sizeof padding - 1] = '\0';
    fputs("{\"version\": \"v1\", \"systemPrompt\": \"You are a GUI agent.\", \"conversations\": [", f);
    for (int i = 0; i < steps; i++) {
        long long t = 1740823200000LL + i * 1000LL;
        fprintf(f, "%s{\"from\": \"human\", \"value\": \"<image>\", \"timing\": {\"start\": %lld}, "
                   "\"screenshotBase64\": \"" PNG "\", \"ocrText\": \"%s\"}, ",
                i ? ", " : "", t, padding);
        fprintf(f, "{\"from\": \"gpt\", \"value\": \"Thought: step %d\\nAction: click(start_box="
                   "'(0,0)')\", \"timing\": {\"start\": %lld, \"cost\": 800}, \"predictionParsed\": "
                   "[{\"action_type\": \"click\", \"action_inputs\": {\"start_box\": \"[0,0,0,0]\"}, "
                   "\"reflection\": null, \"thought\": \"step %d\"}]}",
                i, t + 50, i);
    }
    /* the run's own fields after the conversations, as a writer may order them */
    fputs("], \"instruction\": \"Click a hundred thousand times\", \"modelName\": \"m\", "
          "\"status\": \"end\", \"logTime\": 1740823200000}", f);
    ASSERT_EQ(fclose(f), 0);
    ASSERT_EQ(stat(path, &st), 0);
    return (long)st.st_size;
}

TEST(hundred_thousand_steps_within_the_memory_bound)
{
    char path[800], out[800], expected[200];
    int steps = under_memcheck() ? 2000 : STEPS; /* memcheck: its own memory, 50x slower */
    struct rusage usage;
    struct xt_result r;
    long size;

    snprintf(path, sizeof path, "%s/big.json", xt_tmpdir());
    snprintf(out, sizeof out, "%s/imported", xt_tmpdir());
    size = write_big(path, steps);
    if (steps == STEPS)
        ASSERT_GT(size, (long)BOUND_KB * 1024); /* the file alone would not fit */
    r = xt_run((const char *const[]){"@xtars", "import", "--from", "uitars-desktop", "--out", out,
                                     path, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    snprintf(expected, sizeof expected, "\"steps\": %d, \"not_replayable\": 0, \"screenshots\": %d, "
             "\"width\": 1, \"height\": 1", steps, steps);
    ASSERT_STR_CONTAINS(r.out, expected);
    ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
    printf("import of %d steps from %ld bytes: peak RSS %ld KB\n", steps, size, usage.ru_maxrss);
    /* AddressSanitizer keeps freed memory in quarantine and adds its shadow:
     * the bound is for the binary as shipped. */
    if (steps == STEPS && strstr(XT_BUILD_CFLAGS, "address") == NULL)
        ASSERT_LT(usage.ru_maxrss, BOUND_KB);
    xt_result_free(&r);
    {
        char run_json[900];
        struct xtars_buf b;
        char err[XTARS_ERRLEN];
        snprintf(run_json, sizeof run_json, "%s/run.json", out);
        ASSERT_EQ(xtars_buf_read_file(&b, run_json, 1 << 20, err), XTARS_OK);
        ASSERT_STR_CONTAINS(b.data, "\"instruction\": \"Click a hundred thousand times\"");
        ASSERT_STR_CONTAINS(b.data, "\"status\": \"finished\"");
        xtars_buf_cleanup(&b);
    }
}
