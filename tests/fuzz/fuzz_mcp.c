/* fuzz_mcp.c: libFuzzer target for the MCP server's message handler
 * (xtars_mcp_handle). The input is split at newlines into messages and fed
 * to one server, dry run, no display, as a client would send them, so
 * sequences (initialize, then calls) are reached. Every message must get at
 * most one reply, and every reply must be valid JSON. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/mcp/mcp.h"
#include "xtars/log.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int replies;

static void check_reply(void *user, const char *text, size_t len)
{
    cJSON *json = cJSON_ParseWithLength(text, len);

    (void)user;
    if (json == NULL || memchr(text, '\n', len) != NULL)
        abort(); /* a reply must be one line of JSON */
    cJSON_Delete(json);
    replies++;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static int ready;
    struct xtars_config cfg;
    struct xtars_mcp_options opts = {NULL, 1, check_reply, NULL};
    struct xtars_mcp *server;
    char err[XTARS_ERRLEN];
    size_t start = 0;

    if (!ready) {
        xtars_log_set_level(XTARS_LOG_ERROR);
        unsetenv("DISPLAY"); /* the dry run must not reach a real screen */
        ready = 1;
    }
    xtars_config_defaults(&cfg);
    if (xtars_mcp_new(&cfg, &opts, &server, err) != XTARS_OK)
        abort();
    while (start < size) {
        const unsigned char *nl = memchr(data + start, '\n', size - start);
        size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
        replies = 0;
        xtars_mcp_handle(server, (const char *)data + start, len);
        if (replies > 1)
            abort(); /* one reply per message at most (tools/call included) */
        start += len + 1;
    }
    xtars_mcp_free(server);
    return 0;
}
