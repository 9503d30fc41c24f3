/* test_main.c: runs the TEST() cases of one test executable: the one named on
 * the command line (how ctest calls it), or all of them, each in a child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define MAX_CASES 512

static struct {
    const char *name;
    void (*fn)(void);
} cases[MAX_CASES];
static int case_count;
static char tmpdir[256];

void xt_register(const char *name, void (*fn)(void))
{
    if (case_count == MAX_CASES) {
        fprintf(stderr, "test.h: more than %d cases\n", MAX_CASES);
        exit(1);
    }
    cases[case_count].name = name;
    cases[case_count].fn = fn;
    case_count++;
}

const char *xt_data_path(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", XT_DATA_DIR, relative);
    return path;
}

static void remove_tmpdir(void)
{
    char command[400];

    if (tmpdir[0] == '\0' || getenv("XTARS_KEEP_TMP"))
        return;
    snprintf(command, sizeof command, "rm -rf '%s'", tmpdir);
    if (system(command) != 0)
        fprintf(stderr, "test: could not remove %s\n", tmpdir);
}

const char *xt_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/xtars-test-XXXXXX", base ? base : "/tmp");
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *xt_tmp_path(const char *name)
{
    static char pool[64][800];
    static int used;

    if (used == 64)
        FAIL("xt_tmp_path(): out of slots");
    snprintf(pool[used], sizeof pool[0], "%s/%s", xt_tmpdir(), name);
    return pool[used++];
}

void xt_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        FAIL("cannot write %s", path);
}

static int run_all(void)
{
    int failed = 0, skipped = 0;

    for (int i = 0; i < case_count; i++) {
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
            cases[i].fn();
            exit(0);
        }
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
            skipped++;
            printf("skip %s\n", cases[i].name);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failed++;
            printf("FAIL %s\n", cases[i].name);
        } else {
            printf("ok   %s\n", cases[i].name);
        }
    }
    printf("%d passed, %d failed, %d skipped\n", case_count - failed - skipped, failed, skipped);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return run_all();
    if (strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < case_count; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    for (int i = 0; i < case_count; i++) {
        if (strcmp(cases[i].name, argv[1]) == 0) {
            cases[i].fn();
            return 0;
        }
    }
    fprintf(stderr, "no test case named '%s' (try --list)\n", argv[1]);
    return 1;
}

char *xt_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n = -1;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
        FAIL("cannot read %s", path);
    rewind(f);
    text = malloc((size_t)n + 1);
    ASSERT(text != NULL);
    ASSERT_EQ((long)fread(text, 1, (size_t)n, f), n);
    text[n] = '\0';
    fclose(f);
    return text;
}
