/* fuzz_seeds.c: writes the seed corpora from the golden files: every golden
 * input (with the two header bytes fuzz_parse.c reads) into DIR/parse, and the
 * canonical JSON of every action they parse to into DIR/action_json.
 * Usage: fuzz_seeds GOLDEN_DIR OUT_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "golden.h"
#include "agent/reply/action_json.h"
#include "xtars/parse.h"

static int write_seed(const char *dir, const char *kind, int n, const void *head, size_t head_len,
                      const void *body, size_t body_len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/seed-%04d", dir, kind, n);
    f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fwrite(head, 1, head_len, f);
    fwrite(body, 1, body_len, f);
    return fclose(f);
}

/* Header bytes for a case's options: its family, target 0, or no space. */
static void header_for(const struct golden_case *c, unsigned char header[FUZZ_HEADER])
{
    struct xtars_coord_space space;
    char err[256];
    int have_space = 0;

    golden_space(c->options, &space, &have_space, err);
    header[0] = have_space ? (unsigned char)space.family : FUZZ_NO_SPACE;
    header[1] = 0;
}

static int seed_case(const char *out, const struct golden_case *c, int *n_parse, int *n_json)
{
    unsigned char header[FUZZ_HEADER];
    struct xtars_coord_space storage;
    struct xtars_reply reply;
    struct xtars_buf json;
    char err[XTARS_ERRLEN];

    header_for(c, header);
    if (write_seed(out, "parse", (*n_parse)++, header, FUZZ_HEADER, c->input, c->input_len) != 0)
        return -1;
    if (xtars_parse_reply(c->input, c->input_len, fuzz_space(header, &storage), &reply, err))
        return 0;
    xtars_buf_init(&json, 1 << 20);
    for (int i = 0; i < reply.action_count; i++) {
        xtars_buf_reset(&json);
        xtars_action_to_json(&reply.actions[i], &json);
        if (write_seed(out, "action_json", (*n_json)++, "", 0, json.data, json.len) != 0)
            return -1;
    }
    xtars_buf_cleanup(&json);
    xtars_reply_cleanup(&reply);
    return 0;
}

int main(int argc, char **argv)
{
    char **paths, err[256], dir[4096];
    int n, n_parse = 0, n_json = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_seeds GOLDEN_DIR OUT_DIR\n");
        return 2;
    }
    mkdir(argv[2], 0755);
    snprintf(dir, sizeof dir, "%s/parse", argv[2]);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/action_json", argv[2]);
    mkdir(dir, 0755);
    if ((n = golden_list(argv[1], &paths)) <= 0) {
        fprintf(stderr, "fuzz_seeds: no golden files in %s\n", argv[1]);
        return 1;
    }
    for (int f = 0; f < n; f++) {
        struct golden_file g;
        if (golden_load(paths[f], &g, err) != 0) {
            fprintf(stderr, "fuzz_seeds: %s\n", err);
            return 1;
        }
        for (int i = 0; i < g.count; i++)
            if (seed_case(argv[2], &g.cases[i], &n_parse, &n_json) != 0) {
                fprintf(stderr, "fuzz_seeds: cannot write into %s\n", argv[2]);
                return 1;
            }
        golden_free(&g);
    }
    golden_list_free(paths, n);
    printf("fuzz_seeds: %d parse seeds, %d action_json seeds\n", n_parse, n_json);
    return 0;
}
