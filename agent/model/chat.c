/* chat.c: chat-completion responses, as one JSON document or as a stream of
 * server-sent events (the WHATWG event-stream format: "data:" lines, a blank
 * line ends an event). Input is untrusted: every size is capped, nothing
 * asserts on it. Never prints, never touches the network. */
#include "agent/model/chat.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "xtars/log.h"

void xtars_chat_result_init(struct xtars_chat_result *r, size_t max_text)
{
    memset(r, 0, sizeof *r);
    xtars_buf_init(&r->text, max_text);
    r->prompt_tokens = -1;
    r->completion_tokens = -1;
}

void xtars_chat_result_cleanup(struct xtars_chat_result *r)
{
    if (r == NULL)
        return;
    xtars_buf_cleanup(&r->text);
}

static xtars_err append_text(struct xtars_chat_result *r, const char *s, char *err)
{
    xtars_err rc = xtars_buf_puts(&r->text, s);

    if (rc == XTARS_ETOOBIG)
        return xtars_error(err, rc, "reply text is larger than %zu bytes", r->text.max);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "out of memory");
    return XTARS_OK;
}

/* content: a string, or a list of parts of which the text ones count. */
static xtars_err take_content(struct xtars_chat_result *r, const cJSON *content, char *err)
{
    const cJSON *part;

    if (cJSON_IsString(content))
        return append_text(r, content->valuestring, err);
    if (cJSON_IsNull(content) || content == NULL)
        return XTARS_OK;
    if (!cJSON_IsArray(content))
        return xtars_error(err, XTARS_EPARSE, "'content' is neither text nor a list of parts");
    cJSON_ArrayForEach(part, content) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) {
            xtars_err rc = append_text(r, text->valuestring, err);
            if (rc != XTARS_OK)
                return rc;
        }
    }
    return XTARS_OK;
}

/* Text the server's reasoning parser moved out of content (vLLM and SGLang
 * "reasoning_content", newer vLLM and OpenRouter "reasoning"): only its
 * size is kept, to say where a reply went when content is empty. */
static void take_reasoning(struct xtars_chat_result *r, const cJSON *message)
{
    static const char *const keys[] = {"reasoning_content", "reasoning"};

    for (int i = 0; i < 2; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(message, keys[i]);
        if (cJSON_IsString(item)) {
            r->reasoning_bytes += strlen(item->valuestring);
            snprintf(r->reasoning_key, sizeof r->reasoning_key, "%s", keys[i]);
            return;
        }
    }
}

static void take_finish(struct xtars_chat_result *r, const cJSON *choice)
{
    const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");

    if (cJSON_IsString(finish))
        snprintf(r->finish_reason, sizeof r->finish_reason, "%s", finish->valuestring);
}

static void take_usage(struct xtars_chat_result *r, const cJSON *root)
{
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *completion = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");

    if (cJSON_IsNumber(prompt) && prompt->valuedouble >= 0 && prompt->valuedouble < 1e15)
        r->prompt_tokens = (long)prompt->valuedouble;
    if (cJSON_IsNumber(completion) && completion->valuedouble >= 0 &&
        completion->valuedouble < 1e15)
        r->completion_tokens = (long)completion->valuedouble;
}

/* The text of a "detail" (FastAPI): a string, or a list of validation
 * errors {"loc": [...], "msg": "..."} of which the first is told. */
static void detail_text(const cJSON *detail, char *out, size_t size)
{
    const cJSON *first = cJSON_GetArrayItem(detail, 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(first, "msg");
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(first, "loc"), *part;
    size_t used = 0;

    out[0] = '\0';
    if (cJSON_IsString(detail)) {
        snprintf(out, size, "%s", detail->valuestring);
        return;
    }
    if (!cJSON_IsString(msg))
        return;
    cJSON_ArrayForEach(part, loc) {
        if (used < size && cJSON_IsString(part))
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "." : "", part->valuestring);
        else if (used < size && cJSON_IsNumber(part))
            used += (size_t)snprintf(out + used, size - used, "[%d]", (int)part->valuedouble);
    }
    if (used < size)
        snprintf(out + used, size - used, "%s%s", used ? ": " : "", msg->valuestring);
}

int xtars_chat_error_text(const char *body, size_t len, char *out, size_t size)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    const cJSON *bare = cJSON_GetObjectItemCaseSensitive(root, "message");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
    char text[1024] = "";

    if (cJSON_IsString(message))            /* OpenAI, vLLM, SGLang: {"error": {"message"}} */
        snprintf(text, sizeof text, "%s", message->valuestring);
    else if (cJSON_IsString(error))         /* TGI, Ollama, llama.cpp's older server */
        snprintf(text, sizeof text, "%s", error->valuestring);
    else if (cJSON_IsString(bare))          /* vLLM before 0.10, SGLang: {"object": "error"} */
        snprintf(text, sizeof text, "%s", bare->valuestring);
    else if (detail != NULL)                /* FastAPI: {"detail": ...} */
        detail_text(detail, text, sizeof text);
    cJSON_Delete(root);
    if (text[0] == '\0')
        return 0;
    xtars_log_redact_copy(out, size, text); /* servers echo keys in errors */
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    return 1;
}

/* An error inside a 200 body or an event: {"error": ...} or vLLM's older
 * bare {"object": "error", "message": ...}: EMODEL quoting the message. */
static xtars_err error_object(const cJSON *root, char *err)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *object = cJSON_GetObjectItemCaseSensitive(root, "object");
    int bare = cJSON_IsString(object) && strcmp(object->valuestring, "error") == 0;
    char *text, quoted[301];

    if ((error == NULL || cJSON_IsNull(error)) && !bare)
        return XTARS_OK;
    text = cJSON_PrintUnformatted(root);
    if (text != NULL && xtars_chat_error_text(text, strlen(text), quoted, sizeof quoted)) {
        cJSON_free(text);
        return xtars_error(err, XTARS_EMODEL, "the server reported an error: %s", quoted);
    }
    cJSON_free(text);
    return xtars_error(err, XTARS_EMODEL, "the server reported an error without a message");
}

static cJSON *parse(const char *text, size_t len, char *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);

    if (root == NULL) {
        xtars_error(err, XTARS_EPARSE, "the body is not JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        xtars_error(err, XTARS_EPARSE, "the body is JSON but not an object");
        return NULL;
    }
    return root;
}

xtars_err xtars_chat_parse_json(const char *body, size_t len, struct xtars_chat_result *r,
                                char *err)
{
    cJSON *root = parse(body, len, err);
    const cJSON *choice, *message;
    xtars_err rc;

    if (root == NULL)
        return XTARS_EPARSE;
    rc = error_object(root, err);
    if (rc == XTARS_OK) {
        choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
        message = cJSON_GetObjectItemCaseSensitive(choice, "message");
        if (!cJSON_IsObject(choice))
            rc = xtars_error(err, XTARS_EPARSE, "no 'choices' in the body");
        else if (!cJSON_IsObject(message))
            rc = xtars_error(err, XTARS_EPARSE, "no 'message' in choices[0]");
        else
            rc = take_content(r, cJSON_GetObjectItemCaseSensitive(message, "content"), err);
        if (rc == XTARS_OK) {
            take_reasoning(r, message);
            take_finish(r, choice);
            take_usage(r, root);
        }
    }
    cJSON_Delete(root);
    return rc;
}

void xtars_chat_stream_init(struct xtars_chat_stream *s, struct xtars_chat_result *result,
                            size_t max_bytes)
{
    xtars_buf_init(&s->line, max_bytes);
    xtars_buf_init(&s->data, max_bytes);
    s->result = result;
}

void xtars_chat_stream_cleanup(struct xtars_chat_stream *s)
{
    if (s == NULL)
        return;
    xtars_buf_cleanup(&s->line);
    xtars_buf_cleanup(&s->data);
}

/* One event: a chunk, an error object, or [DONE]. */
static xtars_err dispatch(struct xtars_chat_stream *s, char *err)
{
    struct xtars_chat_result *r = s->result;
    const cJSON *choice;
    cJSON *root;
    xtars_err rc;

    if (s->data.len == 0)
        return XTARS_OK;
    r->events++;
    if (strcmp(s->data.data, "[DONE]") == 0) {
        r->done = 1;
        xtars_buf_reset(&s->data);
        return XTARS_OK;
    }
    root = parse(s->data.data, s->data.len, err);
    xtars_buf_reset(&s->data);
    if (root == NULL)
        return xtars_error(err, XTARS_EPARSE, "event %d of the stream is not a JSON object",
                           r->events);
    rc = error_object(root, err);
    choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    if (rc == XTARS_OK && cJSON_IsObject(choice)) {
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
        rc = take_content(r, cJSON_GetObjectItemCaseSensitive(delta, "content"), err);
        take_reasoning(r, delta);
        take_finish(r, choice);
    }
    if (rc == XTARS_OK)
        take_usage(r, root);
    cJSON_Delete(root);
    return rc;
}

/* One complete line, without its end of line. */
static xtars_err handle_line(struct xtars_chat_stream *s, const char *line, size_t n, char *err)
{
    xtars_err rc = XTARS_OK;

    if (n == 0)
        return dispatch(s, err);
    if (n >= 5 && memcmp(line, "data:", 5) == 0) {
        line += 5, n -= 5;
        if (n > 0 && *line == ' ')
            line++, n--;
        if (s->data.len > 0)
            rc = xtars_buf_putc(&s->data, '\n');
        if (rc == XTARS_OK)
            rc = xtars_buf_append(&s->data, line, n);
        if (rc == XTARS_ETOOBIG)
            return xtars_error(err, rc, "a stream event is larger than %zu bytes", s->data.max);
        if (rc != XTARS_OK)
            return xtars_error(err, rc, "out of memory");
    }
    return XTARS_OK;
}

xtars_err xtars_chat_stream_feed(struct xtars_chat_stream *s, const char *bytes, size_t n,
                                 char *err)
{
    const char *end = bytes + n;

    while (bytes < end) {
        const char *nl = memchr(bytes, '\n', (size_t)(end - bytes));
        size_t take = nl ? (size_t)(nl - bytes) : (size_t)(end - bytes);
        xtars_err rc = xtars_buf_append(&s->line, bytes, take);

        if (rc == XTARS_ETOOBIG)
            return xtars_error(err, rc, "a stream line is longer than %zu bytes", s->line.max);
        if (rc != XTARS_OK)
            return xtars_error(err, rc, "out of memory");
        if (nl == NULL)
            break;
        if (s->line.len > 0 && s->line.data[s->line.len - 1] == '\r')
            s->line.len--;
        rc = handle_line(s, s->line.data ? s->line.data : "", s->line.len, err);
        xtars_buf_reset(&s->line);
        if (rc != XTARS_OK)
            return rc;
        bytes = nl + 1;
    }
    return XTARS_OK;
}

xtars_err xtars_chat_stream_finish(struct xtars_chat_stream *s, char *err)
{
    xtars_err rc = XTARS_OK;

    if (s->line.len > 0) {
        rc = handle_line(s, s->line.data, s->line.len, err);
        xtars_buf_reset(&s->line);
    }
    if (rc == XTARS_OK)
        rc = dispatch(s, err);
    return rc;
}
