/* xtars/chat.h: reading chat-completion responses, whole (JSON) or streamed
 * (server-sent events). Pure parsing of untrusted bytes, no network: the
 * model client feeds it what libcurl receives, and tests and fuzzers feed it
 * directly.
 *
 * Ownership: a struct xtars_chat_result owns its text buffer
 * (xtars_chat_result_init / _cleanup). A struct xtars_chat_stream owns its
 * line and event buffers and writes into a result the caller owns.
 */
#ifndef XTARS_CHAT_H
#define XTARS_CHAT_H

#include <stddef.h>

#include "xtars/buf.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_chat_result {
    struct xtars_buf text;   /* choices[0] content, assembled */
    long prompt_tokens;      /* -1 until usage is seen */
    long completion_tokens;
    char finish_reason[32];  /* "" until seen */
    int done;                /* stream: "data: [DONE]" seen */
    int events;              /* stream: events dispatched */
    size_t reasoning_bytes;  /* text the server put in reasoning_content instead */
    char reasoning_key[24];  /* the key it used: "reasoning_content" or "reasoning" */
};

/* Empty result whose text may grow to max_text bytes. */
void xtars_chat_result_init(struct xtars_chat_result *r, size_t max_text);
void xtars_chat_result_cleanup(struct xtars_chat_result *r);

/* Parses one non-streaming response body into r. The content may be a
 * string or an array of {"type":"text","text":...} parts. Errors (err says
 * what was wrong, without the body): EPARSE (not JSON, not a chat
 * completion), EMODEL (the body is an error object: its message is quoted),
 * ETOOBIG (text over the cap), ENOMEM. */
xtars_err xtars_chat_parse_json(const char *body, size_t len, struct xtars_chat_result *r,
                                char *err);

/* The server's own message in an error body, whatever its shape:
 * {"error": {"message": ...}} (OpenAI, current vLLM, SGLang), {"error": "..."}
 * (TGI, Ollama), {"object": "error", "message": ...} (older vLLM),
 * {"detail": "..."} or {"detail": [{"loc": [...], "msg": ...}]} (FastAPI).
 * Writes it (secrets redacted, control characters as spaces) into out and
 * returns 1; returns 0 with out untouched when the body is none of these
 * (plain text, HTML). */
int xtars_chat_error_text(const char *body, size_t len, char *out, size_t size);

struct xtars_chat_stream {
    struct xtars_buf line;   /* the incomplete last line */
    struct xtars_buf data;   /* data: lines of the current event */
    struct xtars_chat_result *result;
};

/* Prepares a stream parser writing into result; lines and events may grow
 * to max_bytes. */
void xtars_chat_stream_init(struct xtars_chat_stream *s, struct xtars_chat_result *result,
                            size_t max_bytes);
void xtars_chat_stream_cleanup(struct xtars_chat_stream *s);

/* Feeds n received bytes (any split: lines and events may span calls).
 * Each event's data is a chat.completion.chunk: choices[0].delta.content is
 * appended, finish_reason and usage are recorded, "[DONE]" sets done.
 * Comments (":") and other fields are ignored. Errors as for
 * xtars_chat_parse_json, for the first bad event; the stream should then be
 * abandoned. */
xtars_err xtars_chat_stream_feed(struct xtars_chat_stream *s, const char *bytes, size_t n,
                                 char *err);

/* Dispatches an event left without its closing blank line at the end of the
 * body. Same errors. */
xtars_err xtars_chat_stream_finish(struct xtars_chat_stream *s, char *err);

#ifdef __cplusplus
}
#endif
#endif
