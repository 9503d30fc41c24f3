/* test_doc_links.c: every document the repository points to exists.
 *
 * Help texts, error messages and comments name files such as docs/capture.md,
 * and the Markdown files link to each other; a renamed or never-written file
 * leaves a user at a dead end. These cases read the sources and the Markdown
 * from the source tree and check each reference against the file system.
 */
#include "test.h"
#include "xtars/buf.h"
#include "xtars/error.h"

#include <dirent.h>
#include <sys/stat.h>

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n > m && strcmp(name + n - m, suffix) == 0;
}

/* Calls fn(path, text) for every file in DIR (relative to the source tree)
 * whose name ends in one of the suffixes. Returns how many it read. */
static int for_each_file(const char *dir, const char *const *suffixes,
                         void (*fn)(const char *path, const char *text, int *missing), int *missing)
{
    char root[1024], path[2048], err[XTARS_ERRLEN];
    struct dirent *e;
    DIR *d;
    int count = 0;

    snprintf(root, sizeof root, "%s/%s", XT_SOURCE_DIR, dir);
    d = opendir(root);
    if (d == NULL)
        FAIL("cannot open %s", root);
    while ((e = readdir(d)) != NULL) {
        int match = 0;
        for (int i = 0; suffixes[i]; i++)
            match |= has_suffix(e->d_name, suffixes[i]);
        if (!match)
            continue;
        struct xtars_buf text;
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if (xtars_buf_read_file(&text, path, 4 << 20, err) != XTARS_OK)
            FAIL("%s", err);
        fn(path, text.data, missing);
        xtars_buf_cleanup(&text);
        count++;
    }
    closedir(d);
    return count;
}

/* "docs/NAME.md" anywhere in the text names a file of the source tree. */
static void check_docs_mentions(const char *path, const char *text, int *missing)
{
    for (const char *p = strstr(text, "docs/"); p; p = strstr(p + 1, "docs/")) {
        size_t n = 5;
        char rel[256], full[1400];
        while (p[n] && (p[n] == '-' || p[n] == '_' || p[n] == '.' || (p[n] >= 'a' && p[n] <= 'z') ||
                        (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9')))
            n++;
        while (n > 5 && p[n - 1] == '.') /* a sentence's full stop */
            n--;
        if (n <= 5 || n >= sizeof rel || (p > text && (p[-1] == '_' || p[-1] == '-')))
            continue;
        snprintf(rel, sizeof rel, "%.*s", (int)n, p);
        if (!has_suffix(rel, ".md"))
            continue;
        snprintf(full, sizeof full, "%s/%s", XT_SOURCE_DIR, rel);
        if (!exists(full)) {
            fprintf(stderr, "%s names %s, which does not exist\n", path, rel);
            (*missing)++;
        }
    }
}

/* Markdown links "](target)" to local files resolve from the file's folder. */
static void check_markdown_links(const char *path, const char *text, int *missing)
{
    char dir[1400];
    const char *slash = strrchr(path, '/');

    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    for (const char *p = strstr(text, "]("); p; p = strstr(p + 2, "](")) {
        const char *t = p + 2;
        size_t n = strcspn(t, ")# \n");
        char full[2048];
        if (n == 0 || strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0 ||
            strncmp(t, "mailto:", 7) == 0)
            continue;
        snprintf(full, sizeof full, "%s/%.*s", dir, (int)n, t);
        if (!exists(full)) {
            fprintf(stderr, "%s links to %.*s, which does not exist\n", path, (int)n, t);
            (*missing)++;
        }
    }
}

static const char *const sources[] = {".c", ".h", NULL};
static const char *const markdown[] = {".md", NULL};

TEST(docs_named_in_sources_exist)
{
    /* for_each_file does not descend: every layer folder of agent/ is listed
     * (a new layer folder goes here and in test_layers.c). */
    static const char *const dirs[] = {"agent/base", "agent/config", "agent/reply", "agent/model",
                                       "agent/record", "agent/interop", "agent/loop", "agent/run", "agent/mcp",
                                       "agent/cli", "agent/cli/cmd", "capture", "actions", "include/xtars", "bench"};
    int missing = 0, files = 0;

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        files += for_each_file(dirs[i], sources, check_docs_mentions, &missing);
    ASSERT_INT_OP(files, >, 80);
    ASSERT_EQ(missing, 0);
}

TEST(docs_named_in_markdown_exist)
{
    int missing = 0, files = 0;

    files += for_each_file(".", markdown, check_docs_mentions, &missing);
    files += for_each_file("docs", markdown, check_docs_mentions, &missing);
    ASSERT_INT_OP(files, >, 5);
    ASSERT_EQ(missing, 0);
}

TEST(markdown_links_resolve)
{
    static const char *const dirs[] = {".", "docs", "examples", "examples/kubernetes"};
    int missing = 0, files = 0;

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", XT_SOURCE_DIR, dirs[i]);
        if (exists(full))
            files += for_each_file(dirs[i], markdown, check_markdown_links, &missing);
    }
    ASSERT_INT_OP(files, >, 5);
    ASSERT_EQ(missing, 0);
}
