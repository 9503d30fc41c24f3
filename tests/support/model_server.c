/* model_server.c: xtars-model-server, a scripted OpenAI-compatible chat
 * completions server for the tests and the demo (docs/model-server.md).
 * It listens on 127.0.0.1 only, answers from a script file in order, can
 * inject faults (status, delay, dropped connection, truncated, non-JSON or
 * oversized body, SSE streaming), and records every request as a JSON line.
 * It never writes an API key: only whether one came and whether it matched.
 * HTTP is libmicrohttpd's job; this file never parses HTTP itself. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "xtars/buf.h"
#include "agent/base/json.h"

#define USAGE                                                                              \
    "Usage: xtars-model-server --script FILE [--log FILE] [--port-file FILE] [--port N]\n" \
    "                          [--expect-key-env VAR] [--max-body BYTES]\n\n"              \
    "A scripted OpenAI-compatible chat-completions server for tests and demos. It binds\n"  \
    "127.0.0.1 on a port the OS chooses (or --port), prints \"port N\" as the first line\n" \
    "on stdout, and answers POST /v1/chat/completions with the entries of the script in\n" \
    "order: a reply text, or an object that also injects faults (docs/model-server.md).\n" \
    "When the script runs out it answers HTTP 500 with a clear error.\n\n"                 \
    "  --script FILE        JSON list of entries to answer with, in order\n"              \
    "  --log FILE           append one JSON line per request received\n"                  \
    "  --port-file FILE     also write the port number to FILE (atomically)\n"            \
    "  --port N             listen on port N instead of one the OS chooses\n"             \
    "  --expect-key-env VAR compare each request's Bearer key with $VAR; the log says\n"   \
    "                       whether it matched, never the key itself\n"                    \
    "  --max-body BYTES     largest request body accepted (default 268435456)\n"          \
    "  --help               show this help\n\n"                                            \
    "Stops cleanly on SIGTERM or SIGINT. Exit codes: 0 stopped, 1 runtime error,\n"        \
    "2 usage or script error.\n"

struct entry {
    char *reply;             /* message content */
    char *body;              /* raw body instead of a generated one */
    char *usage;             /* JSON text of the usage object, or NULL */
    char *reasoning;         /* message reasoning_content, or NULL */
    char *stream_error;      /* stream: an event sent after the content instead of the end */
    char finish_reason[32];
    int status;
    long delay_ms;
    char retry_after[64];    /* Retry-After value, "" for none */
    long oversize_bytes;
    int drop, truncate, non_json, stream, stream_cut;
    int repeat;
};

struct server {
    struct entry *entries;
    int entry_count;
    int next_entry, used_of_next;  /* script position */
    int requests;
    unsigned long connections;
    FILE *log;
    const char *expected_key;
    size_t max_body;
    struct timespec started;
    pthread_mutex_t lock;
};

struct request {
    struct xtars_buf body;
    int too_big;
};

/* A response body served in pieces: `cut` ends the connection early. */
struct pieces {
    char *data;
    size_t len;
    size_t *ends;            /* end offset of each piece */
    int count;
    int cut;                 /* close the connection after the last piece */
};

static volatile sig_atomic_t stopping;

static void die_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "xtars-model-server: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* ---- the script ---- */

static char *dup_json_string(const cJSON *item)
{
    char *s = strdup(item->valuestring);

    if (s == NULL)
        die_usage("out of memory%s", "");
    return s;
}

static int flag(const cJSON *obj, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

static long number(const cJSON *obj, const char *name, long fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    return cJSON_IsNumber(item) ? (long)item->valuedouble : fallback;
}

static void check_keys(const cJSON *obj, int index)
{
    static const char *const known[] = {"reply", "status", "body", "delay_ms", "drop", "truncate",
                                        "non_json", "oversize_bytes", "stream", "stream_cut",
                                        "finish_reason", "usage", "retry_after", "repeat", "reasoning",
                                        "stream_error", NULL};
    const cJSON *item;
    char where[200];

    cJSON_ArrayForEach(item, obj) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(item->string, known[i]) == 0;
        snprintf(where, sizeof where, "script entry %d: unknown key '%%s'", index + 1);
        if (!ok)
            die_usage(where, item->string);
    }
}

static void parse_entry(const cJSON *item, int index, struct entry *e)
{
    const cJSON *v;

    memset(e, 0, sizeof *e);
    e->status = 200;
    e->repeat = 1;
    snprintf(e->finish_reason, sizeof e->finish_reason, "stop");
    if (cJSON_IsString(item)) {
        e->reply = dup_json_string(item);
        return;
    }
    if (!cJSON_IsObject(item)) {
        char number_text[16];
        snprintf(number_text, sizeof number_text, "%d", index + 1);
        die_usage("script entry %s must be a string or an object", number_text);
    }
    check_keys(item, index);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(item, "reply")))
        e->reply = dup_json_string(v);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(item, "body")))
        e->body = dup_json_string(v);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(item, "reasoning")))
        e->reasoning = dup_json_string(v);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(item, "stream_error")))
        e->stream_error = dup_json_string(v);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(item, "finish_reason")))
        snprintf(e->finish_reason, sizeof e->finish_reason, "%s", v->valuestring);
    if ((v = cJSON_GetObjectItemCaseSensitive(item, "usage")) != NULL)
        e->usage = cJSON_PrintUnformatted(v);
    e->status = (int)number(item, "status", 200);
    e->delay_ms = number(item, "delay_ms", 0);
    v = cJSON_GetObjectItemCaseSensitive(item, "retry_after");
    if (cJSON_IsNumber(v))
        snprintf(e->retry_after, sizeof e->retry_after, "%ld", (long)v->valuedouble);
    else if (cJSON_IsString(v))  /* an HTTP date, or anything to test the client with */
        snprintf(e->retry_after, sizeof e->retry_after, "%s", v->valuestring);
    e->oversize_bytes = number(item, "oversize_bytes", 0);
    e->repeat = (int)number(item, "repeat", 1);
    e->drop = flag(item, "drop");
    e->truncate = flag(item, "truncate");
    e->non_json = flag(item, "non_json");
    e->stream = flag(item, "stream");
    e->stream_cut = flag(item, "stream_cut");
    if (e->status < 100 || e->status > 599 || e->repeat < 1) {
        char number_text[16];
        snprintf(number_text, sizeof number_text, "%d", index + 1);
        die_usage("script entry %s: status must be 100..599 and repeat at least 1", number_text);
    }
    if (e->reply == NULL)
        e->reply = strdup("");
}

static void load_script(struct server *s, const char *path)
{
    struct xtars_buf text;
    char err[XTARS_ERRLEN];
    cJSON *root, *item;
    int i = 0;

    if (xtars_buf_read_file(&text, path, 64u << 20, err) != XTARS_OK)
        die_usage("%s", err);
    root = cJSON_ParseWithLength(text.data, text.len);
    xtars_buf_cleanup(&text);
    if (!cJSON_IsArray(root))
        die_usage("%s: the script must be a JSON list", path);
    s->entry_count = cJSON_GetArraySize(root);
    s->entries = calloc((size_t)s->entry_count + 1, sizeof *s->entries);
    if (s->entries == NULL)
        die_usage("out of memory%s", "");
    cJSON_ArrayForEach(item, root)
        parse_entry(item, i, &s->entries[i]), i++;
    cJSON_Delete(root);
}

/* The next entry, or NULL when the script is used up. Caller holds lock. */
static const struct entry *take_entry(struct server *s, int *index)
{
    const struct entry *e;

    if (s->next_entry >= s->entry_count)
        return *index = -1, NULL;
    e = &s->entries[s->next_entry];
    *index = s->next_entry;
    if (++s->used_of_next >= e->repeat) {
        s->next_entry++;
        s->used_of_next = 0;
    }
    return e;
}

/* ---- the request log ---- */

struct header_walk {
    cJSON *headers;
    const char *expected_key;
    int auth_present, auth_matches;
    char auth_scheme[32];
    size_t auth_length;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    struct header_walk *w = cls;
    const char *space, *credential;
    char name[128];
    size_t i;

    (void)kind;
    for (i = 0; key[i] && i + 1 < sizeof name; i++)
        name[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
    name[i] = '\0';
    value = value ? value : "";
    if (strcmp(name, "authorization") != 0) {
        cJSON_AddStringToObject(w->headers, name, value);
        return MHD_YES;
    }
    /* Only facts about the key are recorded, never the key. */
    space = strchr(value, ' ');
    credential = space ? space + 1 : "";
    w->auth_present = 1;
    snprintf(w->auth_scheme, sizeof w->auth_scheme, "%.*s", space ? (int)(space - value) : 0,
             value);
    w->auth_length = strlen(credential);
    w->auth_matches = w->expected_key && strcmp(credential, w->expected_key) == 0;
    return MHD_YES;
}

static cJSON *auth_facts(const struct header_walk *w)
{
    cJSON *auth = cJSON_CreateObject();

    cJSON_AddBoolToObject(auth, "present", w->auth_present);
    if (w->auth_present) {
        cJSON_AddStringToObject(auth, "scheme", w->auth_scheme);
        cJSON_AddNumberToObject(auth, "length", (double)w->auth_length);
        if (w->expected_key)
            cJSON_AddBoolToObject(auth, "matches", w->auth_matches);
    }
    return auth;
}

static double elapsed_ms(const struct server *s)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->started.tv_sec) * 1e3 +
           (double)(now.tv_nsec - s->started.tv_nsec) / 1e6;
}

static void log_request(struct server *s, struct MHD_Connection *conn, const char *method,
                        const char *path, const struct request *rq, int seq, int entry)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct header_walk w = {.headers = cJSON_CreateObject(), .expected_key = s->expected_key};
    cJSON *line = cJSON_CreateObject(), *body;
    char *text;

    cJSON_AddNumberToObject(line, "seq", seq);
    cJSON_AddNumberToObject(line, "t_ms", (double)(long)elapsed_ms(s));
    cJSON_AddNumberToObject(line, "connection", info ? (double)(uintptr_t)info->socket_context : 0);
    cJSON_AddStringToObject(line, "method", method);
    cJSON_AddStringToObject(line, "path", path);
    cJSON_AddNumberToObject(line, "entry", entry >= 0 ? entry + 1 : 0);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &w);
    cJSON_AddItemToObject(line, "headers", w.headers);
    cJSON_AddItemToObject(line, "authorization", auth_facts(&w));
    cJSON_AddNumberToObject(line, "body_bytes", (double)rq->body.len);
    body = rq->body.len ? cJSON_ParseWithLength(rq->body.data, rq->body.len) : NULL;
    if (body == NULL)
        body = cJSON_CreateString(rq->body.data ? rq->body.data : "");
    cJSON_AddItemToObject(line, "body", body);
    text = cJSON_PrintUnformatted(line);
    if (text && s->log) {
        fprintf(s->log, "%s\n", text);
        fflush(s->log);
    }
    free(text);
    cJSON_Delete(line);
}

/* ---- responses ---- */

static void put_completion(struct xtars_buf *b, int seq, const char *model, const char *content,
                           const char *reasoning, const char *finish_reason, const char *usage)
{
    xtars_buf_printf(b, "{\"id\":\"chatcmpl-xtars-%d\",\"object\":\"chat.completion\","
                        "\"created\":0,\"model\":", seq);
    xtars_json_put_string(b, model);
    xtars_buf_puts(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    xtars_json_put_string(b, content);
    if (reasoning) {
        xtars_buf_puts(b, ",\"reasoning_content\":");
        xtars_json_put_string(b, reasoning);
    }
    xtars_buf_puts(b, "},\"finish_reason\":");
    xtars_json_put_string(b, finish_reason);
    xtars_buf_puts(b, "}]");
    if (usage)
        xtars_buf_printf(b, ",\"usage\":%s", usage);
    xtars_buf_puts(b, "}");
}

static void put_chunk(struct xtars_buf *b, int seq, const char *model, const char *delta_json,
                      const char *finish_reason, const char *usage)
{
    xtars_buf_printf(b, "data: {\"id\":\"chatcmpl-xtars-%d\",\"object\":\"chat.completion.chunk\","
                        "\"created\":0,\"model\":", seq);
    xtars_json_put_string(b, model);
    xtars_buf_printf(b, ",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":", delta_json);
    if (finish_reason)
        xtars_json_put_string(b, finish_reason);
    else
        xtars_buf_puts(b, "null");
    xtars_buf_puts(b, "}]");
    if (usage)
        xtars_buf_printf(b, ",\"usage\":%s", usage);
    xtars_buf_puts(b, "}\n\n");
}

static void end_piece(struct pieces *p, const struct xtars_buf *b)
{
    size_t *grown = realloc(p->ends, (size_t)(p->count + 1) * sizeof *grown);

    if (grown == NULL)
        return;
    p->ends = grown;
    p->ends[p->count++] = b->len;
}

/* SSE: a role chunk, the content in pieces of up to 5 bytes (never splitting
 * a UTF-8 sequence), a finish chunk with usage, then [DONE]. */
static void build_stream(const struct entry *e, int seq, const char *model, struct pieces *p,
                         struct xtars_buf *b)
{
    const char *c = e->reply;

    put_chunk(b, seq, model, "{\"role\":\"assistant\",\"content\":\"\"}", NULL, NULL);
    end_piece(p, b);
    if (e->reasoning) {
        struct xtars_buf delta;
        xtars_buf_init(&delta, 1 << 20);
        xtars_buf_puts(&delta, "{\"reasoning_content\":");
        xtars_json_put_string(&delta, e->reasoning);
        xtars_buf_puts(&delta, "}");
        put_chunk(b, seq, model, delta.data, NULL, NULL);
        xtars_buf_cleanup(&delta);
        end_piece(p, b);
    }
    while (*c) {
        size_t n = 0;
        struct xtars_buf delta;
        while (c[n] && (n < 5 || ((unsigned char)c[n] & 0xC0) == 0x80))
            n++;
        xtars_buf_init(&delta, 1 << 20);
        xtars_buf_puts(&delta, "{\"content\":");
        xtars_json_put_stringn(&delta, c, n);
        xtars_buf_puts(&delta, "}");
        put_chunk(b, seq, model, delta.data, NULL, NULL);
        xtars_buf_cleanup(&delta);
        end_piece(p, b);
        c += n;
    }
    if (e->stream_error) { /* a server failing mid-stream sends one error event, then stops */
        xtars_buf_printf(b, "data: %s\n\n", e->stream_error);
        end_piece(p, b);
        return;
    }
    if (e->stream_cut)
        return;
    put_chunk(b, seq, model, "{}", e->finish_reason, e->usage);
    end_piece(p, b);
    xtars_buf_puts(b, "data: [DONE]\n\n");
    end_piece(p, b);
}

static ssize_t read_piece(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct pieces *p = cls;
    size_t end = p->len;

    if (pos >= p->len)
        return p->cut ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    for (int i = 0; i < p->count; i++) {
        if (p->ends[i] > pos) {
            end = p->ends[i];
            break;
        }
    }
    if (end - pos < max)
        max = (size_t)(end - pos);
    memcpy(buf, p->data + pos, max);
    if (p->count > 1)
        usleep(2000);  /* let each event leave in its own packet */
    return (ssize_t)max;
}

static void free_pieces(void *cls)
{
    struct pieces *p = cls;

    free(p->data);
    free(p->ends);
    free(p);
}

static struct MHD_Response *pieces_response(struct xtars_buf *b, struct pieces *p,
                                            uint64_t announced)
{
    p->data = xtars_buf_detach(b, &p->len);
    return MHD_create_response_from_callback(announced, 4096, read_piece, p, free_pieces);
}

static struct MHD_Response *scripted_response(const struct entry *e, int seq, const char *model,
                                              const char **type)
{
    struct xtars_buf b;
    struct pieces *p;

    xtars_buf_init(&b, (size_t)1 << 31);
    *type = "application/json";
    if (e->non_json) {
        *type = "text/html";
        xtars_buf_puts(&b, "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>\n");
    } else if (e->body) {
        xtars_buf_puts(&b, e->body);
    } else if (e->status != 200) {
        xtars_buf_printf(&b, "{\"error\":{\"message\":\"scripted error\",\"type\":\"scripted\","
                             "\"code\":%d}}", e->status);
    } else if (e->oversize_bytes > 0) {
        char *big = malloc((size_t)e->oversize_bytes + 1);
        if (big) {
            memset(big, 'x', (size_t)e->oversize_bytes);
            big[e->oversize_bytes] = '\0';
            put_completion(&b, seq, model, big, NULL, e->finish_reason, e->usage);
            free(big);
        }
    } else if (!e->stream) {
        put_completion(&b, seq, model, e->reply, e->reasoning, e->finish_reason, e->usage);
    }
    if (e->stream && !e->non_json && !e->body && e->status == 200) {
        *type = "text/event-stream";
        p = calloc(1, sizeof *p);
        build_stream(e, seq, model, p, &b);
        return pieces_response(&b, p, MHD_SIZE_UNKNOWN);
    }
    if (e->truncate) {
        uint64_t full = b.len;
        p = calloc(1, sizeof *p);
        p->cut = 1;
        {
            struct MHD_Response *r = pieces_response(&b, p, full);
            p->len = (size_t)full / 2;
            return r;
        }
    }
    {
        size_t len = 0;
        char *data = xtars_buf_detach(&b, &len);
        return MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    }
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, const char *json)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void pause_ms(long ms)
{
    for (long waited = 0; waited < ms && !stopping; waited += 10)
        usleep(10000);
}

static enum MHD_Result answer_script(struct server *s, struct MHD_Connection *conn,
                                     const struct entry *e, int seq, const char *model)
{
    struct MHD_Response *r;
    const char *type;
    enum MHD_Result ret;

    if (e == NULL) {
        char msg[300];
        snprintf(msg, sizeof msg, "{\"error\":{\"message\":\"xtars-model-server: the script has no "
                                  "reply left (all %d entries used)\",\"type\":\"script_exhausted\"}}",
                 s->entry_count);
        return send_json(conn, 500, msg);
    }
    pause_ms(e->delay_ms);
    if (e->drop)
        return MHD_NO;  /* libmicrohttpd closes the connection without a response */
    r = scripted_response(e, seq, model, &type);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (e->retry_after[0])
        MHD_add_response_header(r, "Retry-After", e->retry_after);
    ret = MHD_queue_response(conn, (unsigned)e->status, r);
    MHD_destroy_response(r);
    return ret;
}

static int is_chat_path(const char *url)
{
    return strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/chat/completions") == 0;
}

static enum MHD_Result answer(struct server *s, struct MHD_Connection *conn, const char *url,
                              const char *method, struct request *rq)
{
    const struct entry *e = NULL;
    cJSON *body = NULL;
    char model[128] = "xtars-scripted";
    int seq, index = -1, chat = strcmp(method, "POST") == 0 && is_chat_path(url);

    if (chat && !rq->too_big)
        body = cJSON_ParseWithLength(rq->body.data ? rq->body.data : "", rq->body.len);
    pthread_mutex_lock(&s->lock);
    seq = ++s->requests;
    if (body != NULL)
        e = take_entry(s, &index);
    log_request(s, conn, method, url, rq, seq, index);
    pthread_mutex_unlock(&s->lock);
    if (strcmp(method, "GET") == 0 && (strcmp(url, "/v1/models") == 0 || strcmp(url, "/models") == 0))
        return send_json(conn, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"xtars-scripted\","
                                    "\"object\":\"model\",\"owned_by\":\"xtars\"}]}");
    if (!chat)
        return send_json(conn, 404, "{\"error\":{\"message\":\"xtars-model-server: only POST "
                                    "/v1/chat/completions is served\",\"type\":\"not_found\"}}");
    if (rq->too_big)
        return send_json(conn, 413, "{\"error\":{\"message\":\"request body larger than "
                                    "--max-body\",\"type\":\"too_large\"}}");
    if (body == NULL)
        return send_json(conn, 400, "{\"error\":{\"message\":\"the request body is not JSON\","
                                    "\"type\":\"invalid_request_error\"}}");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "model")))
        snprintf(model, sizeof model, "%s", cJSON_GetObjectItemCaseSensitive(body, "model")->valuestring);
    cJSON_Delete(body);
    return answer_script(s, conn, e, seq, model);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct server *s = cls;
    struct request *rq = *con_cls;

    (void)version;
    if (rq == NULL) {
        rq = calloc(1, sizeof *rq);
        if (rq == NULL)
            return MHD_NO;
        xtars_buf_init(&rq->body, s->max_body);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rq->too_big && xtars_buf_append(&rq->body, upload_data, *upload_size) != XTARS_OK)
            rq->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(s, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;

    (void)cls, (void)conn, (void)toe;
    if (rq) {
        xtars_buf_cleanup(&rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

/* Numbers connections so the log shows when a client reused one. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct server *s = cls;

    (void)conn;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&s->lock);
    *socket_context = (void *)(uintptr_t)++s->connections;
    pthread_mutex_unlock(&s->lock);
}

/* ---- main ---- */

static void write_port_file(const char *path, unsigned port)
{
    char tmp[4200];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "xtars-model-server: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

struct options {
    const char *script, *log, *port_file, *key_env;
    unsigned port;
    size_t max_body;
};

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"script", required_argument, NULL, 's'},   {"log", required_argument, NULL, 'l'},
        {"port-file", required_argument, NULL, 'f'}, {"port", required_argument, NULL, 'p'},
        {"expect-key-env", required_argument, NULL, 'k'},
        {"max-body", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(o, 0, sizeof *o);
    o->max_body = 256u << 20;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': o->script = optarg; break;
        case 'l': o->log = optarg; break;
        case 'f': o->port_file = optarg; break;
        case 'k': o->key_env = optarg; break;
        case 'p': o->port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': o->max_body = (size_t)strtoull(optarg, NULL, 10); break;
        case 'h': fputs(USAGE, stdout); exit(0);
        default: fputs(USAGE, stderr); exit(2);
        }
    }
    if (optind < argc)
        die_usage("unexpected argument '%s' (see --help)", argv[optind]);
    if (o->script == NULL)
        die_usage("--script FILE is required (see --help)%s", "");
}

static struct MHD_Daemon *start(struct server *s, unsigned port)
{
    struct sockaddr_in addr;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                            (uint16_t)port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    static struct server s;
    struct options o;
    struct MHD_Daemon *d;
    sigset_t set;
    unsigned port;
    int sig;

    parse_options(argc, argv, &o);
    load_script(&s, o.script);
    pthread_mutex_init(&s.lock, NULL);
    s.max_body = o.max_body;
    s.expected_key = o.key_env ? getenv(o.key_env) : NULL;
    if (o.log && (s.log = fopen(o.log, "a")) == NULL)
        die_usage("cannot open the log: %s", strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &s.started);
    /* Block the stop signals in every thread; main collects them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d = start(&s, o.port);
    if (d == NULL) {
        fprintf(stderr, "xtars-model-server: cannot listen on 127.0.0.1:%u\n", o.port);
        return 1;
    }
    port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    if (o.port_file)
        write_port_file(o.port_file, port);
    printf("port %u\n", port);
    fflush(stdout);
    sigwait(&set, &sig);
    stopping = 1;
    MHD_stop_daemon(d);
    if (s.log)
        fclose(s.log);
    return 0;
}
