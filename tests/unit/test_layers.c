/* test_layers.c: the source tree keeps its layers, and test labels say what runs.
 *
 * The layer check reads the #include "..." lines of every source and header
 * under agent/, capture/, actions/ and include/ and reports a file that
 * includes from a layer above its own or from a peer at the same rank, a
 * public header that includes a private one, an include that names no file,
 * a public header this table does not know, a .c directly in agent/, a folder
 * of more than 15 .c files and include cycles. It is a function over a root
 * directory, so the fixture cases below can prove it fails. Layer order and
 * the public-header table are documented in docs/ARCHITECTURE.md.
 *
 * The label check reads tests/CMakeLists.txt: a test file labelled unit must
 * not run the xtars binary (run.h's @xtars argument, the variable holding the
 * binary's path), and one labelled cli must. The needles below are split so
 * this file does not match itself.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- layers */

struct layer {
    const char *name;
    int rank;
};

/* Lowest first. Peers share a rank and may not include each other. */
static const struct layer layers[] = {
    {"base", 0},    {"capture", 1}, {"actions", 1}, {"config", 2}, {"reply", 3},
    {"model", 3},   {"record", 4},  {"interop", 5}, {"loop", 6},   {"run", 7},
    {"mcp", 8},     {"cli", 9},
};

/* include/xtars/NAME.h -> the layer implementing it. The umbrella
 * include/xtars.h may include every public header, so it sits with the
 * highest of them (the loop). A public header missing here is a failure. */
static const struct {
    const char *header;
    const char *layer;
} public_headers[] = {
    {"include/xtars/error.h", "base"},      {"include/xtars/buf.h", "base"},
    {"include/xtars/log.h", "base"},        {"include/xtars/action.h", "base"},
    {"include/xtars/coords.h", "base"},     {"include/xtars/version.h", "base"},
    {"include/xtars/capture.h", "capture"}, {"include/xtars/image.h", "capture"},
    {"include/xtars/exec.h", "actions"},    {"include/xtars/config.h", "config"},
    {"include/xtars/parse.h", "reply"},     {"include/xtars/model.h", "model"},
    {"include/xtars/trajectory.h", "record"}, {"include/xtars/replay.h", "loop"},
    {"include/xtars/agent.h", "loop"},      {"include/xtars.h", "loop"},
};

#define MAX_FOLDER_SOURCES 15
#define MAX_FILES 1024
#define MAX_INCLUDES 64

struct include_line {
    int line;
    char name[256];
    int target; /* index into files, or -1 */
};

struct file {
    char path[512]; /* relative to the root, e.g. capture/shot.c (a .h.in loses .in) */
    char real[512]; /* the name on disk */
    const struct layer *layer; /* NULL: not in a known layer */
    int public;
    int n_includes;
    struct include_line includes[MAX_INCLUDES];
};

struct report {
    char text[32768];
    size_t len;
    int count;
};

static void note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct report *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof r->text - r->len ? (size_t)n : sizeof r->text - r->len - 1;
    r->count++;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && strcmp(name + n - m, suffix) == 0;
}

static const struct layer *layer_named(const char *name)
{
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        if (strcmp(layers[i].name, name) == 0)
            return &layers[i];
    return NULL;
}

/* The layer of a file from its path; *public set for include/. NULL with a
 * note when the path belongs to no layer. */
static const struct layer *layer_of(const char *path, int *public, struct report *r)
{
    char folder[128];
    const char *slash;

    *public = strncmp(path, "include/", 8) == 0;
    if (*public) {
        for (size_t i = 0; i < sizeof public_headers / sizeof public_headers[0]; i++)
            if (strcmp(public_headers[i].header, path) == 0)
                return layer_named(public_headers[i].layer);
        note(r, "%s: public header with no layer in test_layers.c's table\n", path);
        return NULL;
    }
    if (strncmp(path, "capture/", 8) == 0)
        return layer_named("capture");
    if (strncmp(path, "actions/", 8) == 0)
        return layer_named("actions");
    slash = strchr(path + 6, '/');
    if (slash == NULL) {
        note(r, "%s: file directly in agent/ (each belongs in a layer folder)\n", path);
        return NULL;
    }
    snprintf(folder, sizeof folder, "%.*s", (int)(slash - (path + 6)), path + 6);
    if (layer_named(folder) && strcmp(folder, "capture") != 0 && strcmp(folder, "actions") != 0)
        return layer_named(folder);
    note(r, "%s: agent/%s/ is not a layer (add it to test_layers.c and docs/ARCHITECTURE.md)\n",
         path, folder);
    return NULL;
}

struct tree {
    const char *root;
    struct file *files;
    int n_files;
};

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

/* Adds every .c, .h and .h.in under root/dir (recursively) to t. */
static void collect(struct tree *t, const char *dir)
{
    char full[1024];
    struct dirent *e;
    DIR *d;

    snprintf(full, sizeof full, "%s/%s", t->root, dir);
    d = opendir(full);
    if (d == NULL) {
        if (errno == ENOENT)
            return;
        FAIL("cannot open %s: %s", full, strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        char rel[512];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(rel, sizeof rel, "%s/%s", dir, e->d_name);
        snprintf(full, sizeof full, "%s/%s", t->root, rel);
        if (stat(full, &st) != 0)
            FAIL("cannot stat %s", full);
        if (S_ISDIR(st.st_mode)) {
            collect(t, rel);
            continue;
        }
        if (!has_suffix(rel, ".c") && !has_suffix(rel, ".h") && !has_suffix(rel, ".h.in"))
            continue;
        if (t->n_files == MAX_FILES)
            FAIL("more than %d files under %s", MAX_FILES, t->root);
        struct file *f = &t->files[t->n_files++];
        memset(f, 0, sizeof *f);
        snprintf(f->real, sizeof f->real, "%s", rel);
        snprintf(f->path, sizeof f->path, "%.*s", (int)(strlen(rel) - (has_suffix(rel, ".in") ? 3 : 0)),
                 rel);
    }
    closedir(d);
}

static int find_file(const struct tree *t, const char *path)
{
    for (int i = 0; i < t->n_files; i++)
        if (strcmp(t->files[i].path, path) == 0)
            return i;
    return -1;
}

/* An include names a file from the source root ("agent/base/json.h"), from
 * include/ ("xtars/error.h"), or by bare name in the includer's folder. */
static int resolve(const struct tree *t, const struct file *from, const char *name)
{
    char candidate[600];
    int found;

    if (strchr(name, '/') != NULL) {
        if ((found = find_file(t, name)) >= 0)
            return found;
        snprintf(candidate, sizeof candidate, "include/%s", name);
        return find_file(t, candidate);
    }
    snprintf(candidate, sizeof candidate, "%.*s/%s",
             (int)(strrchr(from->path, '/') - from->path), from->path, name);
    return find_file(t, candidate);
}

/* Reads the #include "..." lines of f. */
static void read_includes(const struct tree *t, struct file *f)
{
    char full[1024], line[1024];
    int number = 0;
    FILE *in;

    snprintf(full, sizeof full, "%s/%s", t->root, f->real);
    in = fopen(full, "r");
    if (in == NULL)
        FAIL("cannot read %s: %s", full, strerror(errno));
    while (fgets(line, sizeof line, in) != NULL) {
        const char *p = line, *end;
        number++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '#')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "include", 7) != 0)
            continue;
        p += 7;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '"' || (end = strchr(p, '"')) == NULL)
            continue;
        if (f->n_includes == MAX_INCLUDES)
            FAIL("%s: more than %d includes", f->path, MAX_INCLUDES);
        struct include_line *inc = &f->includes[f->n_includes++];
        inc->line = number;
        snprintf(inc->name, sizeof inc->name, "%.*s", (int)(end - p), p);
    }
    fclose(in);
}

static void check_edges(const struct tree *t, const struct file *f, struct report *r)
{
    for (int i = 0; i < f->n_includes; i++) {
        const struct include_line *inc = &f->includes[i];
        const struct file *to;

        if (inc->target < 0) {
            note(r, "%s:%d: includes %s, which resolves to no file\n", f->path, inc->line, inc->name);
            continue;
        }
        to = &t->files[inc->target];
        if (f->public && !to->public)
            note(r, "%s:%d: public header includes private %s\n", f->path, inc->line, inc->name);
        if (f->layer == NULL || to->layer == NULL)
            continue;
        if (to->layer->rank > f->layer->rank)
            note(r, "%s:%d: includes %s (%s layer) from %s layer\n", f->path, inc->line, inc->name,
                 to->layer->name, f->layer->name);
        else if (to->layer->rank == f->layer->rank && to->layer != f->layer)
            note(r, "%s:%d: includes %s (%s layer) from %s layer, its peer\n", f->path, inc->line,
                 inc->name, to->layer->name, f->layer->name);
    }
}

static size_t folder_length(const char *path)
{
    return (size_t)(strrchr(path, '/') - path);
}

/* Folders of more than MAX_FOLDER_SOURCES .c files, each named once. */
static void check_folder_sizes(const struct tree *t, struct report *r)
{
    for (int i = 0; i < t->n_files; i++) {
        const char *dir = t->files[i].path;
        size_t dir_len = folder_length(dir);
        int sources = 0, seen = 0;

        for (int j = 0; j < t->n_files; j++) {
            const char *p = t->files[j].path;
            if (folder_length(p) != dir_len || strncmp(p, dir, dir_len) != 0)
                continue;
            if (j < i)
                seen = 1;
            sources += has_suffix(p, ".c");
        }
        if (!seen && sources > MAX_FOLDER_SOURCES)
            note(r, "%.*s/: %d .c files (at most %d per folder)\n", (int)dir_len, dir, sources,
                 MAX_FOLDER_SOURCES);
    }
}

enum { WHITE, GREY, BLACK };

/* Depth-first search; a grey target closes a cycle, written from it. */
static void visit(const struct tree *t, int at, int *colour, int *stack, int depth, struct report *r)
{
    const struct file *f = &t->files[at];

    colour[at] = GREY;
    stack[depth] = at;
    for (int i = 0; i < f->n_includes; i++) {
        int to = f->includes[i].target;
        if (to < 0)
            continue;
        if (colour[to] == GREY) {
            int from = depth;
            while (stack[from] != to)
                from--;
            char cycle[2048];
            size_t len = 0;
            for (int k = from; k <= depth; k++)
                len += (size_t)snprintf(cycle + len, sizeof cycle - len, "%s -> ",
                                        t->files[stack[k]].path);
            note(r, "include cycle: %s%s\n", cycle, t->files[to].path);
        } else if (colour[to] == WHITE) {
            visit(t, to, colour, stack, depth + 1, r);
        }
    }
    colour[at] = BLACK;
}

static void check_cycles(const struct tree *t, struct report *r)
{
    int colour[MAX_FILES] = {0}, stack[MAX_FILES];

    for (int i = 0; i < t->n_files; i++)
        if (colour[i] == WHITE)
            visit(t, i, colour, stack, 0, r);
}

/* Every layer rule over the tree at root; returns the number of findings, one
 * line each in r->text. */
static int check_layers(const char *root, struct report *r)
{
    static const char *const dirs[] = {"agent", "capture", "actions", "include"};
    struct tree t = {root, calloc(MAX_FILES, sizeof(struct file)), 0};

    ASSERT(t.files != NULL);
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        collect(&t, dirs[i]);
    qsort(t.files, (size_t)t.n_files, sizeof t.files[0], by_path);
    for (int i = 0; i < t.n_files; i++) {
        struct file *f = &t.files[i];
        f->layer = layer_of(f->path, &f->public, r);
        read_includes(&t, f);
        for (int k = 0; k < f->n_includes; k++)
            f->includes[k].target = resolve(&t, f, f->includes[k].name);
    }
    for (int i = 0; i < t.n_files; i++)
        check_edges(&t, &t.files[i], r);
    check_folder_sizes(&t, r);
    check_cycles(&t, r);
    free(t.files);
    return r->count;
}

/* ---------------------------------------------------------------- labels */

static char *slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    char *text;
    long size;

    if (in == NULL)
        return NULL;
    fseek(in, 0, SEEK_END);
    size = ftell(in);
    rewind(in);
    text = malloc((size_t)size + 1);
    ASSERT(text != NULL);
    ASSERT_EQ(fread(text, 1, (size_t)size, in), size);
    text[size] = '\0';
    fclose(in);
    return text;
}

static int runs_binary(const char *text)
{
    return strstr(text, "\"@" "xtars\"") || strstr(text, "XTARS_" "BIN") || strstr(text, "xt_" "xtars(");
}

/* For each `xtars_add_test(FILE LABELS` line of root/tests/CMakeLists.txt:
 * unit must not run the binary, cli must. Returns the number of findings. */
static int check_labels(const char *root, struct report *r)
{
    char path[1024];
    char *cmake, *line;

    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/tests/CMakeLists.txt", root);
    cmake = slurp(path);
    if (cmake == NULL)
        FAIL("cannot read %s", path);
    for (line = strtok(cmake, "\n"); line; line = strtok(NULL, "\n")) {
        char file[256], labels[128], *text;
        int is_unit, is_cli;

        if (sscanf(line, "xtars_add_test(%255s %127[^ )]", file, labels) != 2)
            continue;
        is_unit = strstr(labels, "unit") != NULL;
        is_cli = strstr(labels, "cli") != NULL;
        snprintf(path, sizeof path, "%s/tests/%s", root, file);
        if ((text = slurp(path)) == NULL) {
            note(r, "tests/%s: registered but missing\n", file);
            continue;
        }
        if (is_unit && runs_binary(text))
            note(r, "tests/%s: labelled unit but runs the xtars binary (label it cli)\n", file);
        if (is_cli && !runs_binary(text))
            note(r, "tests/%s: labelled cli but never runs the xtars binary\n", file);
        free(text);
    }
    free(cmake);
    return r->count;
}

/* ---------------------------------------------------------------- fixtures */

/* Writes root/rel (creating folders) with the given text. */
static void put(const char *root, const char *rel, const char *text)
{
    char path[1024];
    FILE *out;

    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            FAIL("mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    out = fopen(path, "w");
    if (out == NULL)
        FAIL("cannot write %s: %s", path, strerror(errno));
    fputs(text, out);
    fclose(out);
}

/* A small tree that passes: each fixture case adds its one fault. */
static const char *clean_fixture(const char *name)
{
    static char root[512];

    snprintf(root, sizeof root, "%s/%s", xt_tmpdir(), name);
    put(root, "include/xtars/error.h", "/* error */\n");
    put(root, "include/xtars/config.h", "#include \"xtars/error.h\"\n");
    put(root, "include/xtars/version.h.in", "#define XTARS_VERSION \"@PROJECT_VERSION@\"\n");
    put(root, "agent/base/json.h", "#include \"xtars/error.h\"\n");
    put(root, "agent/base/json.c", "#include \"agent/base/json.h\"\n#include \"xtars/version.h\"\n");
    put(root, "agent/config/config.c",
        "#include \"xtars/config.h\"\n#include \"agent/base/json.h\"\n");
    put(root, "capture/codec.h", "#include \"xtars/error.h\"\n");
    put(root, "capture/shot.c", "#include \"codec.h\"\n#include \"agent/base/json.h\"\n");
    put(root, "actions/exec.c", "#include \"xtars/error.h\"\n");
    return root;
}

/* Adds the (path, text) pairs of files (NULL-terminated) to a clean fixture
 * and checks that the layer check reports exactly `expected`. */
static void expect_report(const char *name, const char *const *files, const char *expected, int count)
{
    const char *root = clean_fixture(name);
    struct report r;

    for (int i = 0; files[i]; i += 2)
        put(root, files[i], files[i + 1]);
    check_layers(root, &r);
    ASSERT_STR_EQ(r.text, expected);
    ASSERT_EQ(r.count, count);
}

#define FILES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------- cases */

TEST(source_tree_keeps_its_layers)
{
    struct report r;

    if (check_layers(XT_SOURCE_DIR, &r) != 0)
        FAIL("%d layer violation(s) (docs/ARCHITECTURE.md):\n%s", r.count, r.text);
}

TEST(fixture_clean_tree_passes)
{
    expect_report("clean", FILES("actions/keys.c", "#include \"agent/base/json.h\"\n"), "", 0);
}

TEST(fixture_upward_include_is_reported)
{
    expect_report("upward",
                  FILES("capture/shot.c", "/* shot.c */\n#include \"codec.h\"\n#  include \"xtars/config.h\"\n"
                                          "#include <stdio.h>\n"),
                  "capture/shot.c:3: includes xtars/config.h (config layer) from capture layer\n", 1);
}

TEST(fixture_peer_include_is_reported)
{
    expect_report("peer", FILES("actions/exec.c", "#include \"capture/codec.h\"\n"),
                  "actions/exec.c:1: includes capture/codec.h (capture layer) from actions layer, its peer\n",
                  1);
}

TEST(fixture_unknown_header_and_unresolved_include_are_reported)
{
    expect_report("unknown",
                  FILES("include/xtars/widget.h", "/* no layer */\n", "agent/base/json.c",
                        "#include \"json.h\"\n#include \"nothere.h\"\n"),
                  "include/xtars/widget.h: public header with no layer in test_layers.c's table\n"
                  "agent/base/json.c:2: includes nothere.h, which resolves to no file\n",
                  2);
}

TEST(fixture_public_header_including_private_is_reported)
{
    expect_report("public", FILES("include/xtars/config.h", "#include \"agent/base/json.h\"\n"),
                  "include/xtars/config.h:1: public header includes private agent/base/json.h\n", 1);
}

TEST(fixture_folder_rules_are_reported)
{
    char names[MAX_FOLDER_SOURCES][32];
    const char *files[2 * MAX_FOLDER_SOURCES + 5] = {"agent/main.c", "\n", "agent/extra/thing.c", "\n"};

    for (int i = 0; i < MAX_FOLDER_SOURCES; i++) {
        snprintf(names[i], sizeof names[i], "capture/c%02d.c", i);
        files[4 + 2 * i] = names[i];
        files[5 + 2 * i] = "#include \"codec.h\"\n";
    }
    expect_report("folders", files,
                  "agent/extra/thing.c: agent/extra/ is not a layer (add it to test_layers.c and "
                  "docs/ARCHITECTURE.md)\n"
                  "agent/main.c: file directly in agent/ (each belongs in a layer folder)\n"
                  "capture/: 16 .c files (at most 15 per folder)\n",
                  3);
}

TEST(fixture_include_cycle_is_reported)
{
    expect_report("cycle",
                  FILES("capture/a.h", "#include \"b.h\"\n", "capture/b.h",
                        "#include \"codec.h\"\n#include \"a.h\"\n"),
                  "include cycle: capture/a.h -> capture/b.h -> capture/a.h\n", 1);
}

TEST(unit_tests_do_not_run_the_binary)
{
    struct report r;

    if (check_labels(XT_SOURCE_DIR, &r) != 0)
        FAIL("%d test label(s) to fix in tests/CMakeLists.txt:\n%s", r.count, r.text);
}

TEST(fixture_mislabelled_tests_are_reported)
{
    char root[512];
    struct report r;

    snprintf(root, sizeof root, "%s/labels", xt_tmpdir());
    put(root, "tests/CMakeLists.txt",
        "# xtars_add_test(FILE LABEL)\n"
        "xtars_add_test(unit/test_a.c unit)\n"
        "xtars_add_test(unit/test_b.c cli)\n"
        "xtars_add_test(unit/test_c.c cli)\n"
        "xtars_add_test(x11/test_d.c \"x11;net\" TIMEOUT 5)\n");
    put(root, "tests/unit/test_a.c", "r = xt_run((const char *const[]){\"@xtars\", \"parse\"});\n");
    put(root, "tests/unit/test_b.c", "/* in process */\n");
    put(root, "tests/unit/test_c.c", "getenv(\"XTARS_" "BIN\");\n");
    put(root, "tests/x11/test_d.c", "\"@xtars\"\n");
    ASSERT_EQ(check_labels(root, &r), 2);
    ASSERT_STR_EQ(r.text, "tests/unit/test_a.c: labelled unit but runs the xtars binary (label it cli)\n"
                          "tests/unit/test_b.c: labelled cli but never runs the xtars binary\n");
}
