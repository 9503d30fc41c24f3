/* golden.h: reader for the parser's golden files (the .test files in tests/data/parse,
 * format in tests/data/parse/README.md). Used by the golden test, the parse
 * benchmark and the fuzz seed writer. Test support code: on malformed files it
 * reports an error string, it never aborts. */
#ifndef XTARS_TEST_GOLDEN_H
#define XTARS_TEST_GOLDEN_H

#include <stddef.h>

#include "xtars/coords.h"

struct golden_case {
    char name[128];
    int line;            /* line of the "###" header, for messages */
    char options[256];   /* the options line, "" if none */
    int is_call;         /* 1: "call:" block (xtars_parse_action), 0: "reply:" */
    char *input;         /* reply or call text (malloc'd; may contain any byte) */
    size_t input_len;
    char *expect;        /* expected JSON text, or NULL */
    char *error;         /* expected error message, or NULL */
};

struct golden_file {
    struct golden_case *cases;
    int count;
};

/* Loads one golden file. Returns 0, or -1 with a message in err (256 bytes). */
int golden_load(const char *path, struct golden_file *out, char *err);

void golden_free(struct golden_file *file);

/* Builds the coordinate space an options line asks for (--family, --screen
 * WxH[+X+Y], --sent WxH, --max-pixels N, --min-pixels N). *have_space is 0
 * when there is no --screen. Returns 0, or -1 with a message in err. */
int golden_space(const char *options, struct xtars_coord_space *space, int *have_space,
                 char *err);

/* Paths of every *.test file in dir, sorted (malloc'd array of malloc'd
 * strings). Returns the count, -1 on error. */
int golden_list(const char *dir, char ***paths);
void golden_list_free(char **paths, int count);

#endif
