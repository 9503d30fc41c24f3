/* fuzz_parse.c: libFuzzer target for the reply parser and everything that
 * reads its output. Besides "no crash, no out-of-bounds read" (ASan, UBSan),
 * it checks two invariants on every successful parse:
 *   - JSON round trip: to_json(from_json(to_json(a))) == to_json(a);
 *   - call round trip: parse_action(to_call(a)) has the same JSON as a.
 * Input: two header bytes choosing the coordinate space (fuzz_common.h), then
 * the reply. The same bytes are also parsed as one call. The seeds are every
 * golden input (tests/data/parse), the tag dialects of seed.test included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "agent/reply/action_json.h"
#include "xtars/parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void json_of(const struct xtars_action *a, struct xtars_buf *out)
{
    xtars_buf_reset(out);
    if (xtars_action_to_json(a, out) != XTARS_OK)
        abort();
}

static void check_round_trips(const struct xtars_action *a, const struct xtars_coord_space *space)
{
    struct xtars_buf first, second, call;
    struct xtars_action b;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&first, 1 << 20);
    xtars_buf_init(&second, 1 << 20);
    xtars_buf_init(&call, 1 << 20);
    json_of(a, &first);
    if (xtars_action_from_json(first.data, first.len, &b, err) != XTARS_OK) {
        fprintf(stderr, "from_json refused to_json output %s: %s\n", first.data, err);
        abort();
    }
    json_of(&b, &second);
    if (strcmp(first.data, second.data) != 0) {
        fprintf(stderr, "JSON round trip:\n%s\n%s\n", first.data, second.data);
        abort();
    }
    xtars_action_cleanup(&b);
    if (xtars_action_to_call(a, XTARS_CALL_BOX_TOKENS, &call) != XTARS_OK)
        abort();
    if (xtars_parse_action(call.data, call.len, space, &b, err) != XTARS_OK) {
        fprintf(stderr, "parse_action refused to_call output %s: %s\n", call.data, err);
        abort();
    }
    json_of(&b, &second);
    if (strcmp(first.data, second.data) != 0) {
        fprintf(stderr, "call round trip via %s:\n%s\n%s\n", call.data, first.data, second.data);
        abort();
    }
    xtars_action_cleanup(&b);
    xtars_buf_cleanup(&first);
    xtars_buf_cleanup(&second);
    xtars_buf_cleanup(&call);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_coord_space storage;
    const struct xtars_coord_space *space;
    struct xtars_reply reply;
    struct xtars_action action;
    char err[XTARS_ERRLEN];
    const char *text;
    size_t len;

    if (size < FUZZ_HEADER)
        return 0;
    space = fuzz_space(data, &storage);
    text = (const char *)data + FUZZ_HEADER;
    len = size - FUZZ_HEADER;
    if (xtars_parse_reply(text, len, space, &reply, err) == XTARS_OK) {
        for (int i = 0; i < reply.action_count; i++)
            check_round_trips(&reply.actions[i], space);
    } else if (strncmp(err, "parse: ", 7) != 0) {
        abort();
    }
    xtars_reply_cleanup(&reply);
    if (xtars_parse_action(text, len, space, &action, err) == XTARS_OK)
        check_round_trips(&action, space);
    xtars_action_cleanup(&action);
    return 0;
}
