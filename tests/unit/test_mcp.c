/* test_mcp.c: the MCP server's message handler in-process (agent/mcp/):
 * scripted message sequences in, the exact messages out. No display: the
 * input tools run on the dry-run executor in screen space, which needs none.
 * Expected codes and shapes are MCP's (schema.ts of 2025-06-18, 2025-03-26,
 * 2024-11-05) and JSON-RPC 2.0's, written out by hand. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/mcp/mcp.h"
#include "test.h"
#include "xtars/buf.h"
#include "xtars/log.h"
#include <cjson/cJSON.h>

static struct xtars_buf sent; /* every message, one a line */
static struct xtars_mcp *server;

static void collect(void *user, const char *text, size_t len)
{
    (void)user;
    xtars_buf_append(&sent, text, len);
    xtars_buf_putc(&sent, '\n');
}

/* A dry-run server; policy NULL: the default policy. */
static void start_with_policy(const char *out_dir, const char *policy)
{
    struct xtars_config cfg;
    struct xtars_mcp_options opts = {out_dir, 1, collect, NULL};
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&cfg);
    if (policy)
        ASSERT_EQ(xtars_config_set(&cfg, "policy", policy, err), XTARS_OK);
    xtars_buf_init(&sent, 64u << 20);
    xtars_log_set_level(XTARS_LOG_ERROR);
    ASSERT_EQ(xtars_mcp_new(&cfg, &opts, &server, err), XTARS_OK);
}

static void start(const char *out_dir) { start_with_policy(out_dir, NULL); }

/* Sends one message; returns what came back (NULL: nothing), parsed. */
static cJSON *say(const char *message)
{
    cJSON *reply;

    xtars_buf_reset(&sent);
    xtars_mcp_handle(server, message, strlen(message));
    if (sent.len == 0)
        return NULL;
    ASSERT(memchr(sent.data, '\n', sent.len) == sent.data + sent.len - 1); /* one message */
    reply = cJSON_Parse(sent.data);
    ASSERT(reply != NULL);
    return reply;
}

static void init(const char *version)
{
    char message[300];
    snprintf(message, sizeof message,
             "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
             "\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}", version);
    cJSON_Delete(say(message));
}

static const cJSON *get(const cJSON *obj, const char *path)
{
    char key[64];
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        path = dot + 1;
    }
    return cJSON_GetObjectItemCaseSensitive(obj, path);
}

/* The reply must be a JSON-RPC error with this id (JSON text) and code. */
static void expect_error(const char *message, const char *id, int code, const char *text)
{
    cJSON *reply = say(message);
    char *id_text;

    ASSERT(reply != NULL);
    id_text = cJSON_PrintUnformatted(get(reply, "id"));
    ASSERT_STR_EQ(id_text, id);
    ASSERT_STR_EQ(get(reply, "jsonrpc")->valuestring, "2.0");
    ASSERT_EQ(get(reply, "error.code")->valueint, code);
    ASSERT_STR_CONTAINS(get(reply, "error.message")->valuestring, text);
    ASSERT(get(reply, "result") == NULL);
    free(id_text);
    cJSON_Delete(reply);
}

/* A tools/call result: isError as given, the text items joined. */
static char *call(const char *name_and_args, int is_error)
{
    char message[70000];
    cJSON *reply;
    const cJSON *item;
    struct xtars_buf text;

    snprintf(message, sizeof message,
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{%s}}", name_and_args);
    reply = say(message);
    ASSERT(reply != NULL);
    if (get(reply, "error"))
        FAIL("JSON-RPC error for %s: %s", name_and_args, get(reply, "error.message")->valuestring);
    ASSERT(cJSON_IsBool(get(reply, "result.isError")));
    ASSERT_EQ(cJSON_IsTrue(get(reply, "result.isError")), is_error);
    xtars_buf_init(&text, 1 << 20);
    xtars_buf_puts(&text, "");
    cJSON_ArrayForEach(item, get(reply, "result.content")) {
        ASSERT_STR_EQ(get(item, "type")->valuestring, "text");
        xtars_buf_puts(&text, get(item, "text")->valuestring);
    }
    cJSON_Delete(reply);
    return text.data;
}

static void stop(void)
{
    xtars_mcp_free(server);
    server = NULL;
    xtars_buf_cleanup(&sent);
}

TEST(initialize_negotiates_the_version)
{
    static const char *const asked[] = {"2025-06-18", "2025-03-26", "2024-11-05", "2023-01-01"};
    static const char *const got[] = {"2025-06-18", "2025-03-26", "2024-11-05", "2025-06-18"};

    for (int i = 0; i < 4; i++) {
        char message[300];
        cJSON *reply;
        start(NULL);
        snprintf(message, sizeof message, "{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"initialize\","
                 "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{},"
                 "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}", asked[i]);
        reply = say(message);
        ASSERT_STR_EQ(get(reply, "id")->valuestring, "a-1");
        ASSERT_STR_EQ(get(reply, "result.protocolVersion")->valuestring, got[i]);
        ASSERT(cJSON_IsFalse(get(reply, "result.capabilities.tools.listChanged")));
        ASSERT_STR_EQ(get(reply, "result.serverInfo.name")->valuestring, "xtars");
        ASSERT(cJSON_IsString(get(reply, "result.serverInfo.version")));
        /* Implementation.title exists from 2025-06-18 on */
        ASSERT_EQ(get(reply, "result.serverInfo.title") != NULL, strcmp(got[i], "2025-06-18") == 0);
        cJSON_Delete(reply);
        expect_error(message, "\"a-1\"", -32600, "already initialized");
        ASSERT(say("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == NULL);
        stop();
    }
}

TEST(requests_before_initialize)
{
    cJSON *reply;

    start(NULL);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", "1", -32600,
                 "not initialized");
    reply = say("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"); /* ping is always allowed */
    ASSERT_EQ(get(reply, "id")->valueint, 2);
    ASSERT(cJSON_IsObject(get(reply, "result")) && get(reply, "result")->child == NULL);
    cJSON_Delete(reply);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{}}", "3", -32602,
                 "initialize: params.protocolVersion must be a string");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                 "\"2025-06-18\",\"capabilities\":[]}}", "3", -32602, "params.capabilities must be an object");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\"}", "3", -32602, "params are required");
    stop();
}

TEST(malformed_messages_get_jsonrpc_errors)
{
    start(NULL);
    init("2025-06-18");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,", "null", -32700, "parse error");
    expect_error("", "null", -32700, "parse error");
    expect_error("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "null", -32600, "batches");
    expect_error("42", "null", -32600, "must be a JSON object");
    expect_error("{\"id\":1,\"method\":\"ping\"}", "1", -32600, "jsonrpc must be \"2.0\"");
    expect_error("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", "1", -32600, "jsonrpc must be");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", "null", -32600,
                 "id must be a string or an integer");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", "null", -32600, "id must be");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", "null", -32600, "id must be");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", "1", -32600, "method must be a string");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"resources/list\"}", "\"x\"", -32601,
                 "method not found: resources/list");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":[1]}", "1", -32602,
                 "params must be an object");
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":5}}", "1",
                 -32602, "params.cursor must be a string");
    /* notifications and responses are never answered, whatever they hold */
    ASSERT(say("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\",\"params\":3}") == NULL);
    ASSERT(say("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":99}}") == NULL);
    ASSERT(say("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}") == NULL);
    ASSERT(say("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}") == NULL);
    stop();
}

TEST(tools_list_has_the_fixed_tools_with_schemas)
{
    static const char *const names[] = {"screenshot", "click", "move", "drag", "scroll",
                                        "type", "key", "wait", "run_task", "replay"};
    static const char *const versions[] = {"2025-06-18", "2025-03-26", "2024-11-05"};

    for (int v = 0; v < 3; v++) {
        cJSON *reply;
        const cJSON *tool;
        int i = 0;
        start(NULL);
        init(versions[v]);
        reply = say("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}");
        ASSERT(get(reply, "result.nextCursor") == NULL);
        cJSON_ArrayForEach(tool, get(reply, "result.tools")) {
            const cJSON *schema = get(tool, "inputSchema");
            ASSERT(i < 10);
            ASSERT_STR_EQ(get(tool, "name")->valuestring, names[i]);
            ASSERT(strlen(get(tool, "description")->valuestring) > 20);
            ASSERT_STR_EQ(get(schema, "type")->valuestring, "object");
            ASSERT(cJSON_IsObject(get(schema, "properties")));
            ASSERT(cJSON_IsArray(get(schema, "required")));
            ASSERT(cJSON_IsFalse(get(schema, "additionalProperties")));
            ASSERT_EQ(get(tool, "title") != NULL, v == 0);       /* Tool.title: 2025-06-18 */
            ASSERT_EQ(get(tool, "annotations") != NULL, v < 2);  /* annotations: 2025-03-26 */
            i++;
        }
        ASSERT_EQ(i, 10);
        tool = cJSON_GetArrayItem(get(reply, "result.tools"), 1); /* click */
        {
            char *required = cJSON_PrintUnformatted(get(tool, "inputSchema.required"));
            char *buttons = cJSON_PrintUnformatted(get(tool, "inputSchema.properties.button.enum"));
            ASSERT_STR_EQ(required, "[\"x\",\"y\"]");
            ASSERT_STR_EQ(buttons, "[\"left\",\"right\",\"middle\"]");
            free(required);
            free(buttons);
        }
        ASSERT_EQ(get(tool, "inputSchema.properties.count.maximum")->valueint, 3);
        cJSON_Delete(reply);
        stop();
    }
}

TEST(bad_arguments_are_invalid_params_naming_the_field)
{
    static const struct { const char *call, *message; } cases[] = {
        {"\"name\":\"clack\"", "unknown tool: clack"},
        {"\"arguments\":{}", "tools/call: params.name must be a string"},
        {"\"name\":\"click\",\"arguments\":[1]", "params.arguments must be an object"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1}", "click: missing argument 'y'"},
        {"\"name\":\"click\",\"arguments\":{\"x\":\"1\",\"y\":2}", "click: argument 'x' must be a number from 0 to 100000"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1,\"y\":2,\"count\":4}", "click: argument 'count' must be an integer from 1 to 3"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1,\"y\":2,\"count\":1.5}", "argument 'count' must be an integer"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1,\"y\":2,\"button\":\"left \"}", "click: argument 'button' must be one of left,right,middle"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1,\"y\":2,\"z\":3}", "click: unknown argument 'z' (it takes x, y, button, count, space, screenshot)"},
        {"\"name\":\"click\",\"arguments\":{\"x\":1,\"y\":2,\"screenshot\":1}", "argument 'screenshot' must be true or false"},
        {"\"name\":\"type\",\"arguments\":{\"text\":\"\"}", "type: argument 'text' must be 1 to 65536 characters long"},
        {"\"name\":\"scroll\",\"arguments\":{\"x\":1,\"direction\":\"up\"}", "scroll: give both x and y, or neither"},
        {"\"name\":\"scroll\",\"arguments\":{}", "scroll: missing argument 'direction'"},
        {"\"name\":\"wait\",\"arguments\":{\"ms\":-1}", "wait: argument 'ms' must be an integer from 1 to 60000"},
        {"\"name\":\"screenshot\",\"arguments\":{\"format\":\"gif\"}", "must be one of png,jpeg"},
        {"\"name\":\"wait\",\"_meta\":{\"progressToken\":{}}", "progressToken must be a string or an integer"},
        {"\"name\":\"wait\",\"_meta\":3", "params._meta must be an object"},
    };

    start(NULL);
    init("2025-06-18");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char message[600];
        snprintf(message, sizeof message,
                 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":{%s}}", i,
                 cases[i].call);
        char id[16];
        snprintf(id, sizeof id, "%zu", i);
        expect_error(message, id, -32602, cases[i].message);
    }
    stop();
}

TEST(input_tools_in_a_dry_run)
{
    char *text;

    start(NULL);
    init("2025-06-18");
    text = call("\"name\":\"click\",\"arguments\":{\"x\":5,\"y\":7.9,\"space\":\"screen\"}", 0);
    ASSERT_STR_CONTAINS(text, "click left at (5,7)"); /* screen pixels: floor */
    ASSERT_STR_CONTAINS(text, "dry run");
    free(text);
    text = call("\"name\":\"click\",\"arguments\":{\"x\":5,\"y\":7,\"space\":\"screen\",\"count\":2}", 0);
    ASSERT_STR_CONTAINS(text, "double");
    free(text);
    text = call("\"name\":\"click\",\"arguments\":{\"x\":5,\"y\":7,\"space\":\"screen\",\"button\":\"right\",\"count\":3}", 0);
    ASSERT_STR_CONTAINS(text, "; "); /* three right clicks, one description each */
    free(text);
    /* a drag may drop the primary selection: a dry run sends nothing, so there is none */
    text = call("\"name\":\"drag\",\"arguments\":{\"x\":1,\"y\":2,\"x2\":30,\"y2\":40,\"space\":\"screen\"}", 0);
    ASSERT_STR_CONTAINS(text, "(30,40)");
    free(text);
    text = call("\"name\":\"scroll\",\"arguments\":{\"direction\":\"down\",\"amount\":2}", 0);
    ASSERT_STR_CONTAINS(text, "scroll");
    free(text);
    text = call("\"name\":\"key\",\"arguments\":{\"keys\":\"ctrl+s\"}", 0);
    ASSERT_STR_CONTAINS(text, "ctrl");
    free(text);
    text = call("\"name\":\"key\",\"arguments\":{\"keys\":\"ctrl+frobnicate\"}", 1);
    ASSERT_STR_CONTAINS(text, "unknown key 'frobnicate'");
    free(text);
    text = call("\"name\":\"wait\",\"arguments\":{\"ms\":20}", 0);
    ASSERT_STR_CONTAINS(text, "wait");
    free(text);
    text = call("\"name\":\"type\",\"arguments\":{\"text\":\"h\\u00e9llo\"}", 0);
    ASSERT_STR_CONTAINS(text, "type");
    free(text);
    /* image space needs a screenshot or a display: a tool error, not a crash */
    text = call("\"name\":\"click\",\"arguments\":{\"x\":5,\"y\":7}", 1);
    ASSERT_STR_CONTAINS(text, "no screenshot yet to take x, y from, and no X display");
    free(text);
    text = call("\"name\":\"screenshot\"", 1);
    ASSERT_STR_CONTAINS(text, "no X display");
    free(text);
    /* the client cannot add a display: the advice is for whoever set the server up */
    text = call("\"name\":\"run_task\",\"arguments\":{\"instruction\":\"x\"}", 1);
    ASSERT_STR_CONTAINS(text, "run_task: no X display: this xtars mcp server was started without "
                              "DISPLAY set; whoever configured the server must add --display D");
    ASSERT_STR_CONTAINS(text, "--xvfb WxH");
    ASSERT(strstr(text, "xtars run") == NULL);
    free(text);
    text = call("\"name\":\"replay\",\"arguments\":{\"dir\":\"/nonexistent/run\"}", 1);
    ASSERT_STR_CONTAINS(text, "replay: ");
    free(text);
    stop();
}

TEST(the_policy_refuses_with_is_error)
{
    char *text;

    start(NULL);
    init("2025-06-18");
    text = call("\"name\":\"type\",\"arguments\":{\"text\":\"sudo rm -rf /\\n\"}", 1);
    ASSERT_STR_CONTAINS(text, "refused by the action policy");
    free(text);
    text = call("\"name\":\"key\",\"arguments\":{\"keys\":\"ctrl+alt+delete\"}", 1);
    ASSERT_STR_CONTAINS(text, "refused by the action policy");
    free(text);
    stop();
}

/* One policy state for the session: a command split over calls, or typed
 * key by key, is judged as the line it becomes (docs/policy.md). Each call
 * alone is harmless, so a stateless check lets all of them through. */
TEST(the_policy_follows_the_input_across_calls)
{
    static const char *const keys[] = {"r", "m", "space", "minus", "r", "f", "space", "asciitilde"};
    char *text, args[200];

    start(NULL);
    init("2025-06-18");
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"rm -r\"}", 0));
    text = call("\"name\":\"type\",\"arguments\":{\"text\":\"f ~\\n\"}", 1);
    ASSERT_STR_CONTAINS(text, "refused by the action policy: ");
    ASSERT_STR_CONTAINS(text, "(in the line this would submit)");
    ASSERT_STR_CONTAINS(text, "has no one to ask");
    free(text);
    /* the refused call changed nothing: the line is still "rm -r" */
    free(call("\"name\":\"key\",\"arguments\":{\"keys\":\"ctrl+c\"}", 0));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(args, sizeof args, "\"name\":\"key\",\"arguments\":{\"keys\":\"%s\"}", keys[i]);
        free(call(args, 0));
    }
    text = call("\"name\":\"key\",\"arguments\":{\"keys\":\"Return\"}", 1);
    ASSERT_STR_CONTAINS(text, "(in the line this would submit)");
    free(text);
    stop();
}

/* Ordinary work split over calls goes through, "rm -r build" included (the
 * default policy allows it on purpose). */
TEST(a_benign_sequence_across_calls_is_allowed)
{
    char *text;

    start(NULL);
    init("2025-06-18");
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"ls -l\"}", 0));
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\" /tmp\\n\"}", 0));
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"rm -r\"}", 0));
    text = call("\"name\":\"type\",\"arguments\":{\"text\":\" build\\n\"}", 0);
    ASSERT_STR_CONTAINS(text, "dry run");
    free(text);
    free(call("\"name\":\"key\",\"arguments\":{\"keys\":\"Return\"}", 0));
    stop();
}

/* policy=none: the same split command goes through (so the refusal above
 * is the policy's). */
TEST(without_a_policy_the_split_command_goes_through)
{
    char *text;

    start_with_policy(NULL, "none");
    init("2025-06-18");
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"rm -r\"}", 0));
    text = call("\"name\":\"type\",\"arguments\":{\"text\":\"f ~\\n\"}", 0);
    ASSERT_STR_CONTAINS(text, "dry run");
    free(text);
    stop();
}

TEST(secrets_never_appear_in_results)
{
    struct xtars_config cfg;
    struct xtars_mcp_options opts = {NULL, 1, collect, NULL};
    char err[XTARS_ERRLEN];

    setenv("XT_MCP_SECRET", "hunter2-very-secret", 1);
    xtars_config_defaults(&cfg);
    snprintf(cfg.redact, sizeof cfg.redact, "XT_MCP_SECRET");
    xtars_buf_init(&sent, 64u << 20);
    ASSERT_EQ(xtars_mcp_new(&cfg, &opts, &server, err), XTARS_OK);
    init("2025-06-18");
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"hunter2-very-secret\"}", 0));
    xtars_buf_reset(&sent);
    { /* an unknown key name is echoed in the error: redacted */
        const char *m = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                        "{\"name\":\"key\",\"arguments\":{\"keys\":\"hunter2-very-secret\"}}}";
        xtars_mcp_handle(server, m, strlen(m));
    }
    ASSERT(sent.len > 0);
    ASSERT(strstr(sent.data, "hunter2") == NULL);
    ASSERT_STR_CONTAINS(sent.data, "[redacted]");
    stop();
}

/* Without a display the screen size is unknown, so only the files are
 * checked here (the x11 SDK test reads a whole recorded session back). */
static cJSON *read_json(const char *dir, const char *name, int line)
{
    char path[700];
    struct xtars_buf text;
    char err[XTARS_ERRLEN];
    cJSON *json;
    char *p;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    xtars_buf_init(&text, 1 << 20);
    if (xtars_buf_read_file(&text, path, 1 << 20, err) != XTARS_OK)
        FAIL("%s", err);
    p = text.data;
    for (int i = 0; i < line && p; i++)
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    ASSERT(p != NULL);
    json = cJSON_Parse(p); /* cJSON stops at the end of the first value: not here */
    if (json == NULL) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        json = cJSON_Parse(p);
    }
    ASSERT(json != NULL);
    xtars_buf_cleanup(&text);
    return json;
}

TEST(out_records_every_call_as_a_trajectory)
{
    char dir[600];
    cJSON *run, *step;

    snprintf(dir, sizeof dir, "%s/record", xt_tmpdir());
    start(dir);
    init("2025-06-18");
    run = read_json(dir, "run.json", 0); /* written from the start */
    ASSERT_STR_EQ(get(run, "source")->valuestring, "mcp");
    ASSERT_STR_EQ(get(run, "status")->valuestring, "running");
    cJSON_Delete(run);
    free(call("\"name\":\"click\",\"arguments\":{\"x\":12,\"y\":34,\"space\":\"screen\"}", 0));
    free(call("\"name\":\"type\",\"arguments\":{\"text\":\"sudo rm -rf /\"}", 1));
    step = read_json(dir, "steps.jsonl", 0);
    ASSERT_EQ(get(step, "step")->valueint, 1);
    ASSERT_STR_CONTAINS(get(step, "reply")->valuestring, "click {\"x\":12");
    ASSERT_STR_EQ(get(cJSON_GetArrayItem(get(step, "actions"), 0), "type")->valuestring, "click");
    ASSERT_EQ(get(cJSON_GetArrayItem(get(step, "actions"), 0), "x")->valueint, 12);
    ASSERT(cJSON_IsTrue(get(cJSON_GetArrayItem(get(step, "results"), 0), "ok")));
    cJSON_Delete(step);
    step = read_json(dir, "steps.jsonl", 1); /* refused: recorded, not performed */
    ASSERT(cJSON_IsFalse(get(cJSON_GetArrayItem(get(step, "results"), 0), "ok")));
    ASSERT_STR_CONTAINS(get(cJSON_GetArrayItem(get(step, "results"), 0), "error")->valuestring, "policy");
    cJSON_Delete(step);
    stop();
    run = read_json(dir, "run.json", 0);
    ASSERT_STR_EQ(get(run, "status")->valuestring, "finished");
    ASSERT_STR_EQ(get(run, "message")->valuestring, "2 tool calls");
    ASSERT_EQ(get(run, "steps")->valueint, 2);
    cJSON_Delete(run);
}

/* serve(): lines split anywhere, \r\n, an over-long line answered once, and
 * the session ending at end of input. */
TEST(serve_reads_lines)
{
    int fds[2];
    char err[XTARS_ERRLEN];
    static char big[XTARS_MCP_MAX_LINE + 100];
    const char *script = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
                         "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";

    start(NULL);
    ASSERT_EQ(pipe(fds), 0);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 2] = '\n';
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        (void)!write(fds[1], script, 20);
        usleep(20000);
        (void)!write(fds[1], script + 20, strlen(script) - 20);
        (void)!write(fds[1], big, sizeof big - 1);
        (void)!write(fds[1], script, strlen(script));
        _exit(0);
    }
    close(fds[1]);
    ASSERT_EQ(xtars_mcp_serve(server, fds[0], NULL, err), XTARS_OK);
    close(fds[0]);
    waitpid(child, NULL, 0);
    ASSERT_STR_EQ(sent.data, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
                             "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n"
                             "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
                             "\"message longer than 1048576 bytes: dropped\"}}\n"
                             "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
                             "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
    stop();
}
