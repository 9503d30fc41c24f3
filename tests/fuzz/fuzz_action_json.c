/* fuzz_action_json.c: libFuzzer target for the canonical JSON reader
 * (trajectories are untrusted). Whatever it accepts must write back and read
 * again to the same JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reply/action_json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_action a, b;
    struct xtars_buf first, second;
    char err[XTARS_ERRLEN];

    if (xtars_action_from_json((const char *)data, size, &a, err) != XTARS_OK)
        return 0;
    xtars_buf_init(&first, 1 << 20);
    xtars_buf_init(&second, 1 << 20);
    if (xtars_action_to_json(&a, &first) != XTARS_OK ||
        xtars_action_from_json(first.data, first.len, &b, err) != XTARS_OK ||
        xtars_action_to_json(&b, &second) != XTARS_OK || strcmp(first.data, second.data) != 0) {
        fprintf(stderr, "round trip failed: %s / %s\n", first.data ? first.data : "", err);
        abort();
    }
    xtars_action_cleanup(&a);
    xtars_action_cleanup(&b);
    xtars_buf_cleanup(&first);
    xtars_buf_cleanup(&second);
    return 0;
}
