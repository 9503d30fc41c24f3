/* xtars/model.h: the model client (OpenAI-compatible chat completions over
 * HTTP). The only module that uses libcurl; no curl type appears here.
 *
 * Ownership: a struct xtars_model (from xtars_model_new, freed with
 * xtars_model_free) owns one HTTP connection that is reused across requests,
 * and a copy of the API key, which it registers with the logger as a secret
 * and wipes when freed. The key is never put in an error message or a trace
 * line. A struct xtars_model_reply owns `text`; release it with
 * xtars_model_reply_cleanup(), which accepts a zeroed or cleaned reply.
 * A model object is used by one thread at a time.
 */
#ifndef XTARS_MODEL_H
#define XTARS_MODEL_H

#include <stddef.h>

#include "xtars/config.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_model;

struct xtars_model_reply {
    char *text;               /* the model's text, NUL-terminated */
    long prompt_tokens;       /* -1 when the server reported no usage */
    long completion_tokens;   /* -1 when the server reported no usage */
    double latency_ms;        /* the answered attempt: request sent .. reply complete */
    double total_ms;          /* the whole call, failed attempts and waits included */
    long backoff_ms;          /* time spent (planned) waiting between attempts */
    int attempts;             /* requests sent, 1 + retries used */
    int http_status;          /* status of the last response, 0 if none */
    int streamed;             /* the reply came as server-sent events */
    char finish_reason[32];   /* "stop", "length", ... or "" if not reported */
};

/* Frees reply->text and zeroes the reply. NULL is allowed. */
XTARS_API
void xtars_model_reply_cleanup(struct xtars_model_reply *reply);

/* Creates a client for cfg->endpoint + "/chat/completions" with the config's
 * timeouts, retries, response cap, streaming and extra headers. The API key
 * is read from getenv(cfg->api_key_env); an unset or empty variable means no
 * Authorization header. ${NAME} in an extra header value is replaced by the
 * environment variable NAME (registered as a secret too).
 * When $XTARS_INFLIGHT_DIR names a slot directory (xtars batch,
 * include/xtars/inflight.h), every HTTP exchange holds one of its slots.
 * Errors: ECONFIG (an extra header names an unset variable, or the slot
 * directory cannot be opened), ENOMEM, EMODEL (libcurl could not be set up). */
XTARS_API
xtars_err xtars_model_new(const struct xtars_config *cfg, struct xtars_model **out,
                          char err[static XTARS_ERRLEN]);

XTARS_API
void xtars_model_free(struct xtars_model *m);

/* The full URL requests go to (owned by m). */
XTARS_API
const char *xtars_model_url(const struct xtars_model *m);

/* When *stop (the stop flag, xtars/error.h) becomes non-zero, a transfer in
 * progress or a wait between retries ends with XTARS_ESTOPPED. NULL: none. */
XTARS_API
void xtars_model_set_stop(struct xtars_model *m, const atomic_int *stop);

/* Retry waits: min(max_ms, base_ms * 2^(retry-1)) with jitter (the second
 * half of the wait is random), Retry-After when the server sends it, and at
 * most budget_ms of waiting in one call. Defaults 500, 8000, 60000. */
XTARS_API
void xtars_model_set_backoff(struct xtars_model *m, long base_ms, long max_ms, long budget_ms);

/* Receives one line per event for debug logs: the request line and headers
 * (Authorization value hidden), response headers, retries. The callback
 * logs; the client never prints. NULL turns tracing off. */
XTARS_API
void xtars_model_set_trace(struct xtars_model *m, void (*trace)(void *ctx, const char *line),
                           void *ctx);

/* POSTs body (a chat-completions request JSON, see xtars_request_build) and
 * fills reply. Retries, with waits, on connection errors, timeouts, dropped
 * or cut-short replies, HTTP 408, 429 and 5xx; never on other statuses.
 * A text/event-stream response is assembled from its deltas as it arrives.
 * Errors, each with a one-line message in err naming the URL:
 *   EMODEL  connection refused, DNS or TLS failure, timeout (connect or total,
 *           said which), HTTP status with the first 300 bytes of the body,
 *           a body that is not a chat completion, an empty reply, a reply
 *           larger than max_response_bytes, or a reply cut by max_tokens
 *           (finish_reason "length": reply->text then holds the partial text);
 *   ESTOPPED the stop flag was raised; ENOMEM.
 * reply is always filled with what is known (attempts, status, timings) and
 * must be cleaned up; on errors other than "length" its text is NULL. */
XTARS_API
xtars_err xtars_model_complete(struct xtars_model *m, const char *body, size_t body_len,
                               struct xtars_model_reply *reply, char err[static XTARS_ERRLEN]);

/* The wait before retry number `retry` (1-based) without Retry-After, given
 * a random value: exposed so the schedule can be tested. */
XTARS_API
long xtars_model_backoff_ms(int retry, long base_ms, long max_ms, unsigned random_value);

/* Version of the libcurl this process runs with (static string). */
XTARS_API
const char *xtars_model_curl_version(void);

#ifdef __cplusplus
}
#endif
#endif
