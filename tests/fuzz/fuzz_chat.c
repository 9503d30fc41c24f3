/* fuzz_chat.c: libFuzzer target for the chat-completion response parsers.
 * The same bytes go through the JSON parser and, split at a point taken
 * from the first byte, through the SSE stream parser; both must return an
 * error or a result, never crash or exceed their caps. */
#include <stddef.h>
#include <stdint.h>

#include "agent/model/chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xtars_chat_result r;
    struct xtars_chat_stream s;
    char err[XTARS_ERRLEN];
    size_t split = size ? data[0] % (size + 1) : 0;

    xtars_chat_result_init(&r, 4096);
    xtars_chat_parse_json((const char *)data, size, &r, err);
    if (r.text.len > 4096)
        __builtin_trap();
    xtars_chat_result_cleanup(&r);

    xtars_chat_result_init(&r, 4096);
    xtars_chat_stream_init(&s, &r, 4096);
    if (xtars_chat_stream_feed(&s, (const char *)data, split, err) == XTARS_OK &&
        xtars_chat_stream_feed(&s, (const char *)data + split, size - split, err) == XTARS_OK)
        xtars_chat_stream_finish(&s, err);
    if (r.text.len > 4096)
        __builtin_trap();
    xtars_chat_stream_cleanup(&s);
    xtars_chat_result_cleanup(&r);
    return 0;
}
