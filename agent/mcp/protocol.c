/* protocol.c: the JSON-RPC 2.0 envelope and the MCP methods: initialize
 * (version negotiation), ping, tools/list, tools/call, and the
 * notifications initialized and cancelled. Every message is untrusted: each
 * field is type-checked, and whatever is wrong is answered with a JSON-RPC
 * error naming the field, never an abort. Tool failures are not JSON-RPC
 * errors but results with isError (tools.c). Logs nothing but debug lines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/mcp/mcp_internal.h"
#include "xtars/log.h"
#include "xtars/version.h"

static const char *const protocols[] = {XTARS_MCP_PROTOCOL_LATEST, "2025-03-26", "2024-11-05"};

void mcp_send(struct xtars_mcp *m, const char *text, size_t len)
{
    pthread_mutex_lock(&m->emit_lock);
    if (m->emit)
        m->emit(m->emit_user, text, len);
    pthread_mutex_unlock(&m->emit_lock);
}

static void send_buf(struct xtars_mcp *m, struct xtars_buf *b, const char *id)
{
    if (b->data == NULL) { /* over the cap or out of memory while building it */
        if (id)
            mcp_send_error(m, id, MCP_INTERNAL_ERROR, "response too large or out of memory");
        return;
    }
    mcp_send(m, b->data, b->len);
}

void mcp_send_error(struct xtars_mcp *m, const char *id, int code, const char *message)
{
    struct xtars_buf b;
    char *clean = xtars_log_redact(message);

    xtars_buf_init(&b, 1u << 16);
    xtars_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,\"message\":",
                     id ? id : "null", code);
    xtars_json_put_string(&b, clean ? clean : "[withheld]");
    xtars_buf_puts(&b, "}}");
    send_buf(m, &b, NULL);
    xtars_buf_cleanup(&b);
    free(clean);
    xtars_log_debug("mcp: error %d for id %s: %s", code, id ? id : "null", message);
}

static void send_result(struct xtars_mcp *m, const char *id, const char *result)
{
    struct xtars_buf b;

    /* the result was capped where it was built (a screenshot can be many
     * megabytes): the envelope only adds the id and a few bytes */
    xtars_buf_init(&b, strlen(result) + MCP_ID_LEN + 64);
    xtars_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", id, result);
    send_buf(m, &b, id);
    xtars_buf_cleanup(&b);
}

void mcp_progress(struct xtars_mcp *m, const struct mcp_call *call, double progress, double total,
                  const char *message)
{
    struct xtars_buf b;
    char *clean;

    if (call == NULL || call->token[0] == '\0')
        return;
    xtars_buf_init(&b, 1u << 16);
    xtars_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                     "\"params\":{\"progressToken\":%s,\"progress\":", call->token);
    xtars_json_put_number(&b, progress);
    if (total > 0) {
        xtars_buf_puts(&b, ",\"total\":");
        xtars_json_put_number(&b, total);
    }
    /* "message" arrived with 2025-03-26 */
    if (message && strcmp(m->protocol, "2024-11-05") != 0) {
        clean = xtars_log_redact(message);
        xtars_buf_puts(&b, ",\"message\":");
        xtars_json_put_string(&b, clean ? clean : "[withheld]");
        free(clean);
    }
    xtars_buf_puts(&b, "}}");
    send_buf(m, &b, NULL);
    xtars_buf_cleanup(&b);
}

/* An id is a string or an integral number (JSON-RPC: no fractions; MCP: not
 * null). Written back as JSON text, exactly as the client will compare it. */
static int id_text(const cJSON *id, char out[MCP_ID_LEN], char *why, size_t why_size)
{
    struct xtars_buf b;

    if (cJSON_IsNumber(id)) {
        double v = id->valuedouble;
        if (!isfinite(v) || v != floor(v) || fabs(v) > 9007199254740991.0) {
            snprintf(why, why_size, "id must be a string or an integer");
            return -1;
        }
        snprintf(out, MCP_ID_LEN, "%.0f", v);
        return 0;
    }
    if (!cJSON_IsString(id)) {
        snprintf(why, why_size, "id must be a string or an integer");
        return -1;
    }
    if (strlen(id->valuestring) > 256) {
        snprintf(why, why_size, "id is longer than 256 bytes");
        return -1;
    }
    xtars_buf_init(&b, MCP_ID_LEN);
    /* a piece that did not fit leaves a cut string behind: the return
     * code, not the length, says whether the whole id was written */
    if (xtars_json_put_string(&b, id->valuestring) != XTARS_OK || b.data == NULL ||
        b.len >= MCP_ID_LEN) {
        xtars_buf_cleanup(&b);
        snprintf(why, why_size, "id is too long once escaped");
        return -1;
    }
    memcpy(out, b.data, b.len + 1);
    xtars_buf_cleanup(&b);
    return 0;
}

/* ---- initialize ---- */

static const char *negotiate(const char *asked)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(asked, protocols[i]) == 0)
            return protocols[i];
    return XTARS_MCP_PROTOCOL_LATEST;
}

static const char instructions[] =
    "Controls an X11 desktop. Call screenshot first: the other tools take x, y in that "
    "image's pixels unless space is \"screen\". Pass screenshot: true to an input tool to see "
    "the result. run_task hands a whole task to the configured UI-TARS model.";

static void on_initialize(struct xtars_mcp *m, const char *id, const cJSON *params)
{
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(params, "capabilities");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(params, "clientInfo");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(info, "name");
    struct xtars_buf b;

    if (m->initialized)
        return mcp_send_error(m, id, MCP_INVALID_REQUEST, "initialize: already initialized");
    if (!cJSON_IsString(version))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS,
                              "initialize: params.protocolVersion must be a string");
    if (caps && !cJSON_IsObject(caps))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS,
                              "initialize: params.capabilities must be an object");
    if (info && (!cJSON_IsObject(info) || (name && !cJSON_IsString(name))))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS,
                              "initialize: params.clientInfo must be an object with a string name");
    snprintf(m->protocol, sizeof m->protocol, "%s", negotiate(version->valuestring));
    m->initialized = 1;
    xtars_buf_init(&b, 1u << 16);
    xtars_buf_printf(&b, "{\"protocolVersion\":\"%s\",\"capabilities\":{\"tools\":"
                     "{\"listChanged\":false}},\"serverInfo\":{\"name\":\"xtars\",",
                     m->protocol);
    if (strcmp(m->protocol, "2025-06-18") == 0) /* Implementation.title: 2025-06-18 */
        xtars_buf_puts(&b, "\"title\":\"xtars X11 desktop\",");
    xtars_buf_printf(&b, "\"version\":\"%s\"},\"instructions\":", XTARS_VERSION);
    xtars_json_put_string(&b, instructions);
    xtars_buf_puts(&b, "}");
    if (b.data)
        send_result(m, id, b.data);
    xtars_buf_cleanup(&b);
    xtars_log_info("mcp: client %s asked for protocol %s, speaking %s",
                   cJSON_IsString(name) ? name->valuestring : "(unnamed)", version->valuestring,
                   m->protocol);
}

static void on_tools_list(struct xtars_mcp *m, const char *id, const cJSON *params)
{
    const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(params, "cursor");
    struct xtars_buf b;

    if (cursor && !cJSON_IsString(cursor))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "tools/list: params.cursor must be a string");
    if (cursor) /* one page: no cursor was ever handed out */
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "tools/list: unknown cursor");
    xtars_buf_init(&b, 1u << 20);
    xtars_buf_puts(&b, "{\"tools\":");
    mcp_tools_list(m->protocol, &b);
    xtars_buf_puts(&b, "}");
    if (b.data)
        send_result(m, id, b.data);
    else
        mcp_send_error(m, id, MCP_INTERNAL_ERROR, "out of memory");
    xtars_buf_cleanup(&b);
}

/* ---- tools/call ---- */

void mcp_call_free(struct mcp_call *call)
{
    if (call == NULL)
        return;
    cJSON_Delete(call->params);
    free(call);
}

static void answer_call(struct xtars_mcp *m, const struct mcp_call *call, struct mcp_result *r)
{
    struct xtars_buf b;

    if (r->rpc_code)
        return mcp_send_error(m, call->id, r->rpc_code, r->rpc_message);
    /* The whole message in one buffer: a screenshot makes it megabytes
     * (send_result()'s 1 MiB is for the small answers). */
    xtars_buf_init(&b, MCP_RESULT_MAX_BYTES + 4096);
    xtars_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"content\":[", call->id);
    if (r->content.data)
        xtars_buf_append(&b, r->content.data, r->content.len);
    xtars_buf_printf(&b, "],\"isError\":%s}}", r->is_error ? "true" : "false");
    if (b.data && r->content.data)
        mcp_send(m, b.data, b.len);
    else
        mcp_send_error(m, call->id, MCP_INTERNAL_ERROR, "tool result too large or out of memory");
    xtars_buf_cleanup(&b);
}

void mcp_run_call(struct xtars_mcp *m, struct mcp_call *call)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(call->params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(call->params, "arguments");
    double started = xtars_clock_ms(), ran, answered;
    struct mcp_result r;
    int cancelled;

    memset(&r, 0, sizeof r);
    xtars_buf_init(&r.content, MCP_RESULT_MAX_BYTES);
    mcp_tools_call(m, call, name->valuestring, args, &r);
    ran = xtars_clock_ms();
    pthread_mutex_lock(&m->lock);
    cancelled = call->cancelled;
    pthread_mutex_unlock(&m->lock);
    if (cancelled) /* MCP: the receiver of a cancellation sends no response */
        xtars_log_info("mcp: %s cancelled by the client", name->valuestring);
    else
        answer_call(m, call, &r);
    m->calls++;
    /* xtars's own cost of the call, from its line read to its response
     * written: what bench/bench_mcp.cjs reports (docs/performance.md). */
    answered = xtars_clock_ms();
    xtars_log_debug("mcp: %s answered in %.3f ms (parse and queue %.3f, tool %.3f, response %.3f)",
                    name->valuestring, answered - call->read_ms, started - call->read_ms,
                    ran - started, answered - ran);
    xtars_buf_cleanup(&r.content);
}

/* The call's envelope is checked here, so a queued call cannot fail later
 * for a malformed request; its arguments are checked by tools.c. */
static void on_tools_call(struct xtars_mcp *m, const char *id, cJSON *request)
{
    cJSON *params = cJSON_GetObjectItemCaseSensitive(request, "params");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
    struct mcp_call *call;
    char why[80];

    if (!cJSON_IsObject(params))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "tools/call: params must be an object");
    if (!cJSON_IsString(name))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "tools/call: params.name must be a string");
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS,
                              "tools/call: params.arguments must be an object");
    if (meta && !cJSON_IsObject(meta))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "tools/call: params._meta must be an object");
    call = calloc(1, sizeof *call);
    if (call == NULL)
        return mcp_send_error(m, id, MCP_INTERNAL_ERROR, "out of memory");
    snprintf(call->id, sizeof call->id, "%s", id);
    call->read_ms = m->read_ms;
    if (token && id_text(token, call->token, why, sizeof why) != 0) {
        mcp_call_free(call);
        return mcp_send_error(m, id, MCP_INVALID_PARAMS,
                              "tools/call: params._meta.progressToken must be a string or an integer");
    }
    call->params = cJSON_DetachItemViaPointer(request, params);
    if (!m->async) {
        m->stop = 0;
        mcp_run_call(m, call);
        mcp_call_free(call);
        return;
    }
    pthread_mutex_lock(&m->lock);
    if (m->queued == MCP_QUEUE_MAX) {
        pthread_mutex_unlock(&m->lock);
        mcp_call_free(call);
        return mcp_send_error(m, id, MCP_INTERNAL_ERROR, "tools/call: too many calls waiting (64)");
    }
    m->queue[m->queued++] = call;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

/* ---- notifications ---- */

static int same_id(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The call named is dropped from the queue, or stopped if it is running;
 * an unknown or finished one is ignored, as MCP asks. */
static void on_cancelled(struct xtars_mcp *m, const cJSON *params)
{
    const cJSON *request = cJSON_GetObjectItemCaseSensitive(params, "requestId");
    char id[MCP_ID_LEN], why[80];

    if (id_text(request, id, why, sizeof why) != 0) {
        xtars_log_debug("mcp: notifications/cancelled without a valid requestId: ignored");
        return;
    }
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->queued; i++) {
        if (same_id(m->queue[i]->id, id)) {
            mcp_call_free(m->queue[i]);
            memmove(&m->queue[i], &m->queue[i + 1], (size_t)(m->queued - i - 1) * sizeof m->queue[0]);
            m->queued--;
            break;
        }
    }
    if (m->running && same_id(m->running->id, id)) {
        m->running->cancelled = 1;
        m->stop = 1;
        if (m->task_agent)
            xtars_agent_stop(m->task_agent);
    }
    pthread_mutex_unlock(&m->lock);
}

static void on_notification(struct xtars_mcp *m, const char *method, const cJSON *params)
{
    if (strcmp(method, "notifications/cancelled") == 0)
        on_cancelled(m, params);
    else if (strcmp(method, "notifications/initialized") != 0)
        xtars_log_debug("mcp: notification %.80s ignored", method);
}

/* ---- the envelope ---- */

static void on_request(struct xtars_mcp *m, const char *id, const char *method, cJSON *request)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(request, "params");

    if (params && !cJSON_IsObject(params))
        return mcp_send_error(m, id, MCP_INVALID_PARAMS, "params must be an object");
    if (strcmp(method, "ping") == 0)
        return send_result(m, id, "{}");
    if (strcmp(method, "initialize") == 0)
        return params ? on_initialize(m, id, params)
                      : mcp_send_error(m, id, MCP_INVALID_PARAMS, "initialize: params are required");
    if (strcmp(method, "tools/list") != 0 && strcmp(method, "tools/call") != 0) {
        char text[160];
        snprintf(text, sizeof text, "method not found: %.100s", method);
        return mcp_send_error(m, id, MCP_METHOD_NOT_FOUND, text);
    }
    if (!m->initialized)
        return mcp_send_error(m, id, MCP_INVALID_REQUEST,
                              "not initialized: send initialize before any other request");
    if (strcmp(method, "tools/list") == 0)
        return on_tools_list(m, id, params);
    on_tools_call(m, id, request);
}

void xtars_mcp_handle(struct xtars_mcp *m, const char *text, size_t len)
{
    double read_ms = xtars_clock_ms();
    cJSON *msg = cJSON_ParseWithLength(text, len);
    const cJSON *id, *method, *version;
    char idbuf[MCP_ID_LEN], why[80];

    m->read_ms = read_ms;
    if (msg == NULL)
        return mcp_send_error(m, NULL, MCP_PARSE_ERROR, "parse error: not valid JSON");
    if (cJSON_IsArray(msg)) {
        cJSON_Delete(msg);
        return mcp_send_error(m, NULL, MCP_INVALID_REQUEST,
                              "JSON-RPC batches are not supported: send one message a line");
    }
    if (!cJSON_IsObject(msg)) {
        cJSON_Delete(msg);
        return mcp_send_error(m, NULL, MCP_INVALID_REQUEST, "a message must be a JSON object");
    }
    id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    version = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
    if (id && id_text(id, idbuf, why, sizeof why) != 0) {
        mcp_send_error(m, NULL, MCP_INVALID_REQUEST, why);
    } else if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0) {
        mcp_send_error(m, id ? idbuf : NULL, MCP_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    } else if (method == NULL && id && (cJSON_HasObjectItem(msg, "result") ||
                                        cJSON_HasObjectItem(msg, "error"))) {
        xtars_log_debug("mcp: a response to id %s ignored (xtars sends no requests)", idbuf);
    } else if (!cJSON_IsString(method)) {
        mcp_send_error(m, id ? idbuf : NULL, MCP_INVALID_REQUEST, "method must be a string");
    } else if (id == NULL) {
        on_notification(m, method->valuestring, cJSON_GetObjectItemCaseSensitive(msg, "params"));
    } else {
        on_request(m, idbuf, method->valuestring, msg);
    }
    cJSON_Delete(msg);
}
