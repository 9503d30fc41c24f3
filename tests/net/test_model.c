/* The model client against the scripted model server on 127.0.0.1: the
 * request as the server received it (headers, JSON, message order, images
 * decoded back to the bytes sent), connection reuse, retries and waits
 * (Retry-After, backoff, no retry on 400), timeouts (connect and total),
 * oversize, streaming, finish_reason "length", and every error message.
 * `xtars model-check` is run as a user would, with a planted API key that
 * must never show up in its output, even at debug level. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "mserver.h"
#include "run.h"
#include "test.h"
#include "agent/base/base64.h"
#include "xtars/model.h"
#include "agent/model/prompt.h"

#define KEY "sk-test-0123456789abcdefXYZ"

static const char *const server_env[] = {"XT_EXPECTED_KEY=" KEY, NULL};

static void quiet_proxies(void)
{
    /* A proxy from the environment must not take loopback requests. */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
}

static void config_for(struct xtars_config *cfg, const char *endpoint)
{
    quiet_proxies();
    xtars_config_defaults(cfg);
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s", endpoint);
    snprintf(cfg->api_key_env, sizeof cfg->api_key_env, "XT_TEST_KEY");
    setenv("XT_TEST_KEY", KEY, 1);
}

static struct xtars_model *model_for(const struct xtars_config *cfg)
{
    struct xtars_model *m;
    char err[XTARS_ERRLEN];

    if (xtars_model_new(cfg, &m, err) != XTARS_OK)
        FAIL("%s", err);
    xtars_model_set_backoff(m, 1, 4, 10000); /* fast retries; Retry-After still honoured */
    return m;
}

static const char minimal_body[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

/* One request with minimal_body; returns the result code. */
static xtars_err ask(const struct xtars_config *cfg, struct xtars_model_reply *reply, char *err)
{
    struct xtars_model *m = model_for(cfg);
    xtars_err rc = xtars_model_complete(m, minimal_body, strlen(minimal_body), reply, err);

    xtars_model_free(m);
    return rc;
}

static cJSON *request_at(cJSON *requests, int index)
{
    cJSON *item = cJSON_GetArrayItem(requests, index);

    if (item == NULL)
        FAIL("the server recorded %d requests, wanted at least %d", cJSON_GetArraySize(requests),
             index + 1);
    return item;
}

static const char *str_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, a);

    if (b)
        item = cJSON_GetObjectItemCaseSensitive(item, b);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static double num_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, a);

    if (b)
        item = cJSON_GetObjectItemCaseSensitive(item, b);
    if (!cJSON_IsNumber(item))
        FAIL("no number at %s%s%s", a, b ? "." : "", b ? b : "");
    return item->valuedouble;
}

static int bool_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, a), b);

    if (!cJSON_IsBool(item))
        FAIL("no boolean at %s.%s", a, b);
    return cJSON_IsTrue(item);
}

static void expect_image(const cJSON *msg, const void *bytes, size_t len, const char *mime)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const char *url = str_at(cJSON_GetArrayItem(content, 0), "image_url", "url");
    char prefix[64], err[XTARS_ERRLEN];
    struct xtars_buf raw;

    ASSERT_STR_EQ(str_at(msg, "role", NULL), "user");
    ASSERT_EQ(cJSON_GetArraySize(content), 1);
    ASSERT_STR_EQ(str_at(cJSON_GetArrayItem(content, 0), "type", NULL), "image_url");
    snprintf(prefix, sizeof prefix, "data:%s;base64,", mime);
    ASSERT(url != NULL && strncmp(url, prefix, strlen(prefix)) == 0);
    xtars_buf_init(&raw, 1 << 26);
    ASSERT_EQ(xtars_base64_decode(&raw, url + strlen(prefix), strlen(url) - strlen(prefix), err),
              XTARS_OK);
    ASSERT_EQ(raw.len, len);
    ASSERT_MEM_EQ(raw.data, bytes, len);
    xtars_buf_cleanup(&raw);
}

/* The whole path a run takes: template, history with two screenshots and a
 * reply, the body builder, the client; then what the server saw. */
TEST(request_shape_as_received)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_buf tmpl, prompt, body;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    unsigned char png[5000], jpeg[3000];
    char err[XTARS_ERRLEN];
    cJSON *requests, *rq, *msgs;

    for (size_t i = 0; i < sizeof png; i++)
        png[i] = (unsigned char)(i * 7 + 3);
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 11 + 5);
    memcpy(jpeg, "\xff\xd8\xff", 3);
    xt_mserver_start(&s, "[{\"reply\": \"Thought: done\\nAction: finished(content='ok')\", "
                         "\"usage\": {\"prompt_tokens\": 1234, \"completion_tokens\": 56}}]",
                     server_env);
    config_for(&cfg, s.endpoint);
    snprintf(cfg.extra_headers, sizeof cfg.extra_headers, "X-Team: ui\nX-Trace: id-${XT_TRACE}\n");
    setenv("XT_TRACE", "abc123", 1);

    xtars_buf_init(&tmpl, 1 << 20);
    xtars_buf_init(&prompt, 1 << 20);
    xtars_buf_init(&body, 1 << 26);
    ASSERT_EQ(xtars_prompt_load("computer_use", NULL, &tmpl, err), XTARS_OK);
    ASSERT_EQ(xtars_prompt_render(tmpl.data, "English", "Open the settings", &prompt), XTARS_OK);
    ASSERT_EQ(xtars_history_new(5, &h), XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, png, sizeof png, XTARS_IMAGE_PNG), XTARS_OK);
    ASSERT_EQ(xtars_history_set_reply(h, "Thought: t\nAction: click(start_box='(10,20)')"), XTARS_OK);
    ASSERT_EQ(xtars_history_add_image(h, jpeg, sizeof jpeg, XTARS_IMAGE_JPEG), XTARS_OK);
    ASSERT_EQ(xtars_request_build(&cfg, prompt.data, h, NULL, &body, NULL, err), XTARS_OK);

    m = model_for(&cfg);
    ASSERT_STR_EQ(xtars_model_url(m), s.url);
    if (xtars_model_complete(m, body.data, body.len, &reply, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(reply.text, "Thought: done\nAction: finished(content='ok')");
    ASSERT_EQ(reply.prompt_tokens, 1234);
    ASSERT_EQ(reply.completion_tokens, 56);
    ASSERT_STR_EQ(reply.finish_reason, "stop");
    ASSERT_EQ(reply.attempts, 1);
    ASSERT_EQ(reply.http_status, 200);
    ASSERT_EQ(reply.streamed, 0);
    ASSERT_EQ(reply.backoff_ms, 0);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    xt_mserver_stop(&s);

    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 1);
    rq = request_at(requests, 0);
    ASSERT_STR_EQ(str_at(rq, "method", NULL), "POST");
    ASSERT_STR_EQ(str_at(rq, "path", NULL), "/v1/chat/completions");
    ASSERT_STR_EQ(str_at(rq, "headers", "content-type"), "application/json");
    ASSERT_STR_EQ(str_at(rq, "headers", "accept"), "application/json");
    ASSERT_STR_EQ(str_at(rq, "headers", "x-team"), "ui");
    ASSERT_STR_EQ(str_at(rq, "headers", "x-trace"), "id-abc123");
    ASSERT(str_at(rq, "headers", "expect") == NULL);
    ASSERT(strncmp(str_at(rq, "headers", "user-agent"), "xtars/", 6) == 0);
    ASSERT_EQ(bool_at(rq, "authorization", "present"), 1);
    ASSERT_STR_EQ(str_at(rq, "authorization", "scheme"), "Bearer");
    ASSERT_EQ(num_at(rq, "authorization", "length"), strlen(KEY));
    ASSERT_EQ(bool_at(rq, "authorization", "matches"), 1);
    ASSERT_EQ(num_at(rq, "body_bytes", NULL), body.len);
    ASSERT_STR_EQ(str_at(rq, "body", "model"), "ui-tars-1.5-7b");
    ASSERT_EQ(num_at(rq, "body", "temperature"), 0);
    ASSERT_NEAR(num_at(rq, "body", "top_p"), 0.7, 1e-12);
    ASSERT_EQ(num_at(rq, "body", "max_tokens"), 1000);
    ASSERT(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "body"),
                                            "stream") == NULL);
    msgs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "body"), "messages");
    ASSERT_EQ(cJSON_GetArraySize(msgs), 4);
    ASSERT_STR_EQ(str_at(cJSON_GetArrayItem(msgs, 0), "role", NULL), "user");
    ASSERT_STR_EQ(str_at(cJSON_GetArrayItem(msgs, 0), "content", NULL), prompt.data);
    ASSERT(strncmp(prompt.data, "You are a GUI agent.", 20) == 0);
    ASSERT_STR_CONTAINS(prompt.data, "- Use English in `Thought` part.\n");
    ASSERT_STR_CONTAINS(prompt.data, "## User Instruction\nOpen the settings\n");
    expect_image(cJSON_GetArrayItem(msgs, 1), png, sizeof png, "image/png");
    ASSERT_STR_EQ(str_at(cJSON_GetArrayItem(msgs, 2), "role", NULL), "assistant");
    ASSERT_STR_EQ(str_at(cJSON_GetArrayItem(msgs, 2), "content", NULL),
                  "Thought: t\nAction: click(start_box='<|box_start|>(10,20)<|box_end|>')");
    expect_image(cJSON_GetArrayItem(msgs, 3), jpeg, sizeof jpeg, "image/jpeg");
    cJSON_Delete(requests);
    xtars_history_free(h);
    xtars_buf_cleanup(&tmpl);
    xtars_buf_cleanup(&prompt);
    xtars_buf_cleanup(&body);
}

/* The history window and the byte cap, as the server counts images. */
TEST(history_window_and_byte_cap_on_the_wire)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_buf body;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    static unsigned char img[7][300000];
    char err[XTARS_ERRLEN];
    cJSON *requests;
    int images[2] = {0, 0}, assistants[2] = {0, 0};

    xt_mserver_start(&s, "[\"Action: wait()\", \"Action: wait()\"]", server_env);
    config_for(&cfg, s.endpoint);
    ASSERT_EQ(xtars_history_new(cfg.history_images, &h), XTARS_OK);
    for (int i = 0; i < 7; i++) {
        memset(img[i], 'a' + i, sizeof img[i]);
        ASSERT_EQ(xtars_history_add_image(h, img[i], sizeof img[i], XTARS_IMAGE_PNG), XTARS_OK);
        if (i < 6)
            ASSERT_EQ(xtars_history_set_reply(h, "Action: wait()"), XTARS_OK);
    }
    m = model_for(&cfg);
    xtars_buf_init(&body, 1 << 26);
    for (int round = 0; round < 2; round++) {
        /* Round 0: the default window of 5. Round 1: a cap that fits 2 (each
         * image message is a little over 400000 bytes). */
        cfg.max_request_bytes = round ? 900000 : cfg.max_request_bytes;
        ASSERT_EQ(xtars_request_build(&cfg, "p", h, NULL, &body, NULL, err), XTARS_OK);
        if (xtars_model_complete(m, body.data, body.len, &reply, err) != XTARS_OK)
            FAIL("%s", err);
        xtars_model_reply_cleanup(&reply);
    }
    xtars_model_free(m);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 2);
    for (int round = 0; round < 2; round++) {
        const cJSON *msg, *msgs = cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(request_at(requests, round), "body"),
                              "messages");
        cJSON_ArrayForEach(msg, msgs) {
            images[round] += cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(msg, "content"));
            assistants[round] += strcmp(str_at(msg, "role", NULL), "assistant") == 0;
        }
        ASSERT_LE(num_at(request_at(requests, round), "body_bytes", NULL),
                  round ? 900000 : 67108864);
    }
    /* Round 0 was over 1 MB, where libcurl would add "Expect: 100-continue"
     * and wait for an answer many servers never send. */
    ASSERT_GT(num_at(request_at(requests, 0), "body_bytes", NULL), 2000000);
    ASSERT(str_at(request_at(requests, 0), "headers", "expect") == NULL);
    ASSERT_EQ(images[0], 5);
    ASSERT_EQ(images[1], 2);
    ASSERT_EQ(assistants[0], 6);
    ASSERT_EQ(assistants[1], 6);
    cJSON_Delete(requests);
    xtars_buf_cleanup(&body);
    xtars_history_free(h);
}

TEST(no_key_means_no_authorization_header)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];
    cJSON *requests;

    xt_mserver_start(&s, "[\"Action: wait()\"]", server_env);
    config_for(&cfg, s.endpoint);
    unsetenv("XT_TEST_KEY");
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_OK);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(bool_at(request_at(requests, 0), "authorization", "present"), 0);
    cJSON_Delete(requests);
}

TEST(connection_is_reused_across_requests)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];
    cJSON *requests;

    xt_mserver_start(&s, "[\"a\", \"b\", \"c\"]", server_env);
    config_for(&cfg, s.endpoint);
    m = model_for(&cfg);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err), XTARS_OK);
        ASSERT_STR_EQ(reply.text, i ? "b" : "a");
        xtars_model_reply_cleanup(&reply);
    }
    xtars_model_free(m);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_OK); /* a new client: a new connection */
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(num_at(request_at(requests, 0), "connection", NULL),
              num_at(request_at(requests, 1), "connection", NULL));
    ASSERT_NE(num_at(request_at(requests, 1), "connection", NULL),
              num_at(request_at(requests, 2), "connection", NULL));
    cJSON_Delete(requests);
}

TEST(retry_after_is_honoured_on_429)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];
    cJSON *requests;

    xt_mserver_start(&s, "[{\"status\": 429, \"retry_after\": 1, \"body\": \"slow down\"}, "
                         "\"Action: wait()\"]", server_env);
    config_for(&cfg, s.endpoint);
    if (ask(&cfg, &reply, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(reply.text, "Action: wait()");
    ASSERT_EQ(reply.attempts, 2);
    ASSERT_EQ(reply.backoff_ms, 1000); /* Retry-After: 1, not the 1-4 ms backoff */
    ASSERT_EQ(reply.http_status, 200);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 2);
    cJSON_Delete(requests);
}

/* The HTTP-date form: a date in the past means "now". */
TEST(retry_after_as_http_date)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];

    xt_mserver_start(&s, "[{\"status\": 503, \"retry_after\": \"Wed, 21 Oct 2015 07:28:00 GMT\"}, "
                         "{\"status\": 503, \"retry_after\": \"Fri, 01 Jan 2100 00:00:00 GMT\"}, "
                         "\"Action: wait()\"]", server_env);
    config_for(&cfg, s.endpoint);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    /* past date: retried at once; far-future date: over a minute, refused */
    ASSERT_EQ(reply.attempts, 2);
    ASSERT_EQ(reply.backoff_ms, 0);
    ASSERT_STR_CONTAINS(err, "(the server asked to wait ");
    ASSERT_STR_CONTAINS(err, " s: not retrying) (after 2 attempts)");
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(backoff_on_5xx_then_give_up)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];
    cJSON *requests;

    xt_mserver_start(&s, "[{\"status\": 503}, \"Action: wait()\", "
                         "{\"status\": 500, \"body\": \"upstream exploded\", \"repeat\": 5}]",
                     server_env);
    config_for(&cfg, s.endpoint);
    cfg.retries = 2;
    m = model_for(&cfg);
    xtars_model_set_backoff(m, 10, 40, 10000);
    ASSERT_EQ(xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err), XTARS_OK);
    ASSERT_EQ(reply.attempts, 2);
    /* retry 1 waits between 10 - 10/2 and 10 ms */
    ASSERT_GE(reply.backoff_ms, 5);
    ASSERT_LE(reply.backoff_ms, 10);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err),
              XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: HTTP 500 from %s: upstream exploded (after 3 attempts)",
             s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 3);
    ASSERT_EQ(reply.http_status, 500);
    ASSERT(reply.text == NULL);
    /* waits 5..10 then 10..20 ms */
    ASSERT_GE(reply.backoff_ms, 15);
    ASSERT_LE(reply.backoff_ms, 30);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 5);
    cJSON_Delete(requests);
}

TEST(backoff_schedule)
{
    /* min(max, base * 2^(retry-1)) = w; the wait is w - w/2 + r % (w/2 + 1). */
    ASSERT_EQ(xtars_model_backoff_ms(1, 500, 8000, 0), 250);
    ASSERT_EQ(xtars_model_backoff_ms(1, 500, 8000, 250), 500);
    ASSERT_EQ(xtars_model_backoff_ms(1, 500, 8000, 251), 250);
    ASSERT_EQ(xtars_model_backoff_ms(2, 500, 8000, 0), 500);
    ASSERT_EQ(xtars_model_backoff_ms(2, 500, 8000, 500), 1000);
    ASSERT_EQ(xtars_model_backoff_ms(5, 500, 8000, 0), 4000);
    ASSERT_EQ(xtars_model_backoff_ms(6, 500, 8000, 4000), 8000);
    ASSERT_EQ(xtars_model_backoff_ms(30, 500, 8000, 1), 4001);
    ASSERT_EQ(xtars_model_backoff_ms(1, 1, 4, 7), 1);
}

TEST(no_retry_on_400_and_hints_for_401_404)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[600];
    cJSON *requests;

    xt_mserver_start(&s, "[{\"status\": 400, \"body\": \"{\\\"error\\\": {\\\"message\\\": "
                         "\\\"At most 1 image(s) may be provided in one request.\\\"}}\"}, "
                         "{\"status\": 401, \"body\": \"Incorrect API key provided: " KEY "\"}, "
                         "{\"status\": 404, \"body\": \"\"}, \"never sent\"]",
                     server_env);
    config_for(&cfg, s.endpoint);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: HTTP 400 from %s: At most 1 image(s) may be provided in one request.", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    xtars_model_reply_cleanup(&reply);

    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: HTTP 401 from %s: Incorrect API key provided: [redacted] (the API key in "
             "$XT_TEST_KEY was refused)", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);

    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: HTTP 404 from %s (empty body) (check 'endpoint' (usually ending in /v1) and "
             "'model')", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 3);
    cJSON_Delete(requests);
}

/* The server holds the reply for 3 s; the client gives up after 300 ms. */
TEST(total_timeout_says_which)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"delay_ms\": 3000, \"reply\": \"late\"}]", server_env);
    config_for(&cfg, s.endpoint);
    cfg.timeout_ms = 300;
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: total timeout: no complete reply from %s within timeout_ms=300 (request "
             "sent, 0 reply bytes received)", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    ASSERT_EQ(reply.http_status, 0);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

/* A listening socket whose accept queue is full drops new SYNs, so a
 * connect() to it hangs: the connect timeout, on loopback. */
TEST(connect_timeout_says_which)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    int listener = socket(AF_INET, SOCK_STREAM, 0), fillers[4];
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char endpoint[64], err[XTARS_ERRLEN], expect[400];

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    ASSERT_EQ(listen(listener, 0), 0);
    ASSERT_EQ(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
        fcntl(fillers[i], F_SETFL, O_NONBLOCK);
        connect(fillers[i], (struct sockaddr *)&addr, sizeof addr);
    }
    usleep(100000);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1", ntohs(addr.sin_port));
    config_for(&cfg, endpoint);
    cfg.connect_timeout_ms = 300;
    cfg.timeout_ms = 20000;
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: connect timeout: no connection to %s/chat/completions within "
             "connect_timeout_ms=300", endpoint);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(listener);
}

TEST(connection_refused_is_retried_and_named)
{
    int port = xt_free_port(); /* nothing listens on it */
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char endpoint[64], err[XTARS_ERRLEN], expect[400];

    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1/", port);
    config_for(&cfg, endpoint);
    cfg.retries = 1;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: cannot connect to http://127.0.0.1:%d/v1/chat/completions: connection "
             "refused (is the server running?) (after 2 attempts)", port);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 2);
    xtars_model_reply_cleanup(&reply);
}

/* A name that cannot resolve (.invalid is reserved for that, RFC 6761):
 * one line naming the URL and the lookup, after the retries. The resolver is
 * the machine's; when it does not answer in time the case says so and skips. */
TEST(dns_failure_is_named)
{
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];

    config_for(&cfg, "http://xtars-test.invalid/v1");
    cfg.retries = 1;
    cfg.connect_timeout_ms = 3000;
    unsetenv("http_proxy"); /* a proxy would do the lookup itself */
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    if (strstr(err, "connect timeout"))
        SKIP("the resolver did not answer within 3 s: %s", err);
    ASSERT_STR_CONTAINS(err, "model: DNS lookup failed for http://xtars-test.invalid/v1/chat/completions: ");
    ASSERT_STR_CONTAINS(err, "xtars-test.invalid");
    ASSERT_STR_CONTAINS(err, "(after 2 attempts)");
    ASSERT_EQ(reply.attempts, 2);
    xtars_model_reply_cleanup(&reply);
}

TEST(oversize_reply_is_refused_without_retry)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"oversize_bytes\": 5000}, \"never\"]", server_env);
    config_for(&cfg, s.endpoint);
    cfg.max_response_bytes = 1024;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s is larger than max_response_bytes=1024", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(streaming_assembles_the_reply)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN];
    const char *text = "Thought: 点击设置按钮, then go on\nAction: click(start_box='(3,4)')";
    char script[512];
    cJSON *requests, *rq;

    snprintf(script, sizeof script,
             "[{\"stream\": true, \"reply\": \"%s\", \"usage\": {\"prompt_tokens\": 7, "
             "\"completion_tokens\": 9}}, \"plain JSON\"]",
             "Thought: 点击设置按钮, then go on\\nAction: click(start_box='(3,4)')");
    xt_mserver_start(&s, script, server_env);
    config_for(&cfg, s.endpoint);
    cfg.stream = 1;
    m = model_for(&cfg);
    if (xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(reply.text, text);
    ASSERT_EQ(reply.streamed, 1);
    ASSERT_EQ(reply.prompt_tokens, 7);
    ASSERT_EQ(reply.completion_tokens, 9);
    ASSERT_STR_EQ(reply.finish_reason, "stop");
    xtars_model_reply_cleanup(&reply);
    /* A server that ignores "stream" and answers JSON is fine too. */
    ASSERT_EQ(xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err), XTARS_OK);
    ASSERT_STR_EQ(reply.text, "plain JSON");
    ASSERT_EQ(reply.streamed, 0);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    xt_mserver_stop(&s);
    requests = xt_mserver_requests(&s);
    rq = request_at(requests, 0);
    ASSERT_STR_EQ(str_at(rq, "headers", "accept"), "text/event-stream, application/json");
    cJSON_Delete(requests);
}

TEST(stream_request_body_asks_for_usage)
{
    struct xtars_config cfg;
    struct xtars_history *h;
    struct xtars_buf body;
    char err[XTARS_ERRLEN];

    config_for(&cfg, "http://127.0.0.1:9/v1");
    cfg.stream = 1;
    ASSERT_EQ(xtars_history_new(1, &h), XTARS_OK);
    xtars_buf_init(&body, 1 << 20);
    ASSERT_EQ(xtars_request_build(&cfg, "p", h, NULL, &body, NULL, err), XTARS_OK);
    ASSERT_STR_CONTAINS(body.data, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    xtars_buf_cleanup(&body);
    xtars_history_free(h);
}

TEST(stream_cut_short_is_retried_then_reported)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"stream\": true, \"stream_cut\": true, \"reply\": \"Thought: part\"}, "
                         "{\"stream\": true, \"reply\": \"Action: wait()\"}, "
                         "{\"stream\": true, \"stream_cut\": true, \"reply\": \"Thought: x\"}]",
                     server_env);
    config_for(&cfg, s.endpoint);
    cfg.stream = 1;
    cfg.retries = 1;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_OK);
    ASSERT_STR_EQ(reply.text, "Action: wait()");
    ASSERT_EQ(reply.attempts, 2);
    xtars_model_reply_cleanup(&reply);
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    /* role chunk + "Thoug" + "ht: x" = 3 events */
    snprintf(expect, sizeof expect,
             "model: the event stream from %s ended before the reply was complete (3 events, no "
             "finish_reason or [DONE])", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(finish_reason_length_keeps_the_text)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"reply\": \"Thought: a very long plan\", \"finish_reason\": "
                         "\"length\"}]", server_env);
    config_for(&cfg, s.endpoint);
    cfg.max_tokens = 16;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s was cut at max_tokens=16 (finish_reason 'length'): raise "
             "max_tokens", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_STR_EQ(reply.text, "Thought: a very long plan");
    ASSERT_STR_EQ(reply.finish_reason, "length");
    ASSERT_EQ(reply.attempts, 1);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(bodies_that_are_not_chat_completions)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[600];

    xt_mserver_start(&s, "[{\"non_json\": true}, {\"body\": \"{\\\"object\\\": \\\"list\\\"}\"}, "
                         "{\"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"model overloaded\\\"}}\"}, "
                         "\"\"]", server_env);
    config_for(&cfg, s.endpoint);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s is not a chat completion: the body is not JSON: "
             "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s is not a chat completion: no 'choices' in the body: "
             "{\"object\": \"list\"}", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: %s answered HTTP 200 but the server reported an error: model overloaded",
             s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: empty reply from %s (finish_reason 'stop')", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

/* Every error shape the servers xtars talks to send, as the one line a user
 * reads: the server's own message, not the JSON around it. Bodies as sent
 * by current vLLM and SGLang ({"error": {...}}), vLLM before 0.10 (bare
 * {"object": "error"}, also as a stream event), FastAPI ({"detail": ...}),
 * TGI/Ollama ({"error": "..."}) and a proxy's plain text. */
TEST(error_shapes_show_the_servers_message)
{
    static const char script[] =
        "[{\"status\": 400, \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"max_tokens is too large\\\", "
        "\\\"type\\\": \\\"BadRequestError\\\", \\\"param\\\": null, \\\"code\\\": 400}}\"},"
        " {\"status\": 400, \"body\": \"{\\\"object\\\": \\\"error\\\", \\\"message\\\": \\\"This model's "
        "maximum context length is 32768 tokens.\\\", \\\"type\\\": \\\"BadRequestError\\\", "
        "\\\"param\\\": null, \\\"code\\\": 400}\"},"
        " {\"status\": 422, \"body\": \"{\\\"detail\\\": [{\\\"type\\\": \\\"missing\\\", \\\"loc\\\": "
        "[\\\"body\\\", \\\"messages\\\", 0, \\\"role\\\"], \\\"msg\\\": \\\"Field required\\\"}]}\"},"
        " {\"status\": 404, \"body\": \"{\\\"detail\\\": \\\"Not Found\\\"}\"},"
        " {\"status\": 400, \"body\": \"{\\\"error\\\": \\\"model 'ui-tars' not found\\\"}\"},"
        " {\"status\": 400, \"body\": \"bad request\\nfrom the proxy\"},"
        " {\"body\": \"{\\\"object\\\": \\\"error\\\", \\\"message\\\": \\\"engine dead\\\", \\\"code\\\": 500}\"},"
        " {\"stream\": true, \"reply\": \"Thought: I\", \"stream_error\": \"{\\\"object\\\": \\\"error\\\", "
        "\\\"message\\\": \\\"CUDA out of memory\\\", \\\"type\\\": \\\"InternalServerError\\\", \\\"code\\\": 500}\"},"
        " {\"stream\": true, \"reply\": \"Thought: I\", \"stream_error\": \"{\\\"error\\\": {\\\"message\\\": "
        "\\\"request aborted\\\", \\\"code\\\": 500}}\"}]";
    static const char *const want[] = {
        "model: HTTP 400 from %s: max_tokens is too large",
        "model: HTTP 400 from %s: This model's maximum context length is 32768 tokens.",
        "model: HTTP 422 from %s: body.messages[0].role: Field required",
        "model: HTTP 404 from %s: Not Found (check 'endpoint' (usually ending in /v1) and 'model')",
        "model: HTTP 400 from %s: model 'ui-tars' not found",
        "model: HTTP 400 from %s: bad request from the proxy",
        "model: %s answered HTTP 200 but the server reported an error: engine dead",
        "model: bad event stream from %s: the server reported an error: CUDA out of memory",
        "model: bad event stream from %s: the server reported an error: request aborted",
    };
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[600];

    xt_mserver_start(&s, script, server_env);
    config_for(&cfg, s.endpoint);
    cfg.retries = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
        snprintf(expect, sizeof expect, want[i], s.url);
        ASSERT_STR_EQ(err, expect);
        xtars_model_reply_cleanup(&reply);
    }
    xt_mserver_stop(&s);
}

/* A reasoning server (vLLM or SGLang with --reasoning-parser) that moved the
 * whole reply into reasoning_content: the message says where it went and
 * what to change, whole or streamed, and when it was cut. */
TEST(reasoning_only_reply_says_where_the_text_went)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[700];

    xt_mserver_start(&s, "[{\"reasoning\": \"Thought: click it\\nAction: click(start_box='(1,2)')\"},"
                         " {\"stream\": true, \"reasoning\": \"Thought: click\"},"
                         " {\"body\": \"{\\\"choices\\\": [{\\\"message\\\": {\\\"content\\\": null, "
                         "\\\"reasoning\\\": \\\"abc\\\"}, \\\"finish_reason\\\": \\\"length\\\"}]}\"}]",
                     server_env);
    config_for(&cfg, s.endpoint);
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s came back only in reasoning_content (50 bytes; content "
             "empty, finish_reason 'stop'): the server's reasoning parser took the text; start the "
             "server without a reasoning parser (vLLM/SGLang --reasoning-parser) or, if it was "
             "cut, raise max_tokens", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    cfg.stream = 1;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    ASSERT_STR_CONTAINS(err, "came back only in reasoning_content (14 bytes;");
    xtars_model_reply_cleanup(&reply);
    cfg.stream = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: the reply from %s was cut at max_tokens=%d (finish_reason 'length'): raise "
             "max_tokens (all of it came back in reasoning: the server's reasoning parser took it)",
             s.url, cfg.max_tokens);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(dropped_and_truncated_replies_are_retried)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"drop\": true}, {\"truncate\": true, \"reply\": \"abcdefghijkl\"}, "
                         "\"Action: wait()\", {\"drop\": true}, "
                         "{\"truncate\": true, \"reply\": \"abcdefghijkl\"}]", server_env);
    config_for(&cfg, s.endpoint);
    cfg.retries = 2;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_OK);
    ASSERT_STR_EQ(reply.text, "Action: wait()");
    ASSERT_EQ(reply.attempts, 3);
    xtars_model_reply_cleanup(&reply);
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: %s closed the connection without replying", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: the reply from %s was cut short: transfer closed with ",
             s.url);
    if (strncmp(err, expect, strlen(expect)) != 0)
        FAIL("got: %s", err);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(retry_after_beyond_a_minute_is_not_waited_for)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[{\"status\": 503, \"retry_after\": 3600, \"body\": \"maintenance\"}]",
                     server_env);
    config_for(&cfg, s.endpoint);
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: HTTP 503 from %s: maintenance (the server asked to wait 3600 s: not retrying)",
             s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    ASSERT_EQ(reply.backoff_ms, 0);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

TEST(script_exhausted_is_a_clear_500)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];

    xt_mserver_start(&s, "[]", server_env);
    config_for(&cfg, s.endpoint);
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect,
             "model: HTTP 500 from %s: xtars-model-server: the script has no reply left (all 0 "
             "entries used)", s.url);
    ASSERT_STR_EQ(err, expect);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}

static atomic_int stop_flag, retry_waiting;

/* The client's trace says when it starts waiting to retry. */
static void note_retry(void *ctx, const char *line)
{
    (void)ctx;
    if (strncmp(line, "retrying in ", 12) == 0)
        retry_waiting = 1;
}

/* Raises the stop 0.2 s into the retry wait (not a fixed time from the
 * start: under valgrind the first exchange alone can take longer). */
static void *raise_stop(void *arg)
{
    (void)arg;
    while (!retry_waiting)
        usleep(10000);
    usleep(200000);
    stop_flag = 1;
    return NULL;
}

/* Retry-After 30 s, stop raised after 0.2 s: the wait ends at once. */
TEST(stop_flag_interrupts_a_retry_wait)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model *m;
    struct xtars_model_reply reply;
    char err[XTARS_ERRLEN], expect[400];
    pthread_t thread;

    xt_mserver_start(&s, "[{\"status\": 503, \"retry_after\": 30}, \"never\"]", server_env);
    config_for(&cfg, s.endpoint);
    m = model_for(&cfg);
    xtars_model_set_backoff(m, 1, 4, 100000);
    xtars_model_set_stop(m, &stop_flag);
    xtars_model_set_trace(m, note_retry, NULL);
    pthread_create(&thread, NULL, raise_stop, NULL);
    ASSERT_EQ(xtars_model_complete(m, minimal_body, strlen(minimal_body), &reply, err),
              XTARS_ESTOPPED);
    pthread_join(thread, NULL);
    snprintf(expect, sizeof expect, "model: stopped while waiting to retry %s", s.url);
    ASSERT_STR_EQ(err, expect);
    ASSERT_EQ(reply.attempts, 1);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    xt_mserver_stop(&s);
}

TEST(extra_header_with_unset_variable_is_a_config_error)
{
    struct xtars_config cfg;
    struct xtars_model *m;
    char err[XTARS_ERRLEN];

    config_for(&cfg, "http://127.0.0.1:9/v1");
    unsetenv("XT_UNSET_VAR");
    snprintf(cfg.extra_headers, sizeof cfg.extra_headers, "api-key: ${XT_UNSET_VAR}\n");
    ASSERT_EQ(xtars_model_new(&cfg, &m, err), XTARS_ECONFIG);
    ASSERT(m == NULL);
    ASSERT_STR_EQ(err, "config: extra_headers: header 'api-key' uses ${XT_UNSET_VAR}, which is not "
                       "set");
}

/* ---- xtars model-check, run as a user runs it ---- */

static struct xt_result model_check(const struct xt_mserver *s, const char *extra_arg)
{
    char endpoint[96];
    const char *env[] = {"XTARS_API_KEY=" KEY, endpoint, "no_proxy=127.0.0.1", NULL};

    snprintf(endpoint, sizeof endpoint, "XTARS_ENDPOINT=%s", s->endpoint);
    return xt_run((const char *const[]){"@xtars", "model-check", "--log-level", "debug",
                                        "--set", "retries=0", extra_arg, NULL},
                  env, NULL);
}

/* Credentials in the endpoint URL and a reply that echoes the key: neither
 * shows in model-check's text or JSON output (issue 16, secrets). */
TEST(model_check_shows_no_credentials_and_redacts_the_reply)
{
    struct xt_mserver s;
    struct xt_result r;
    char endpoint[300];
    const char *env[] = {"XTARS_API_KEY=" KEY, endpoint, "no_proxy=127.0.0.1", NULL};

    xt_mserver_start(&s, "[{\"reply\": \"Thought: the key is " KEY "\\nAction: wait()\"}, "
                         "{\"reply\": \"Thought: again " KEY "\\nAction: wait()\"}]",
                     server_env);
    snprintf(endpoint, sizeof endpoint, "XTARS_ENDPOINT=http://ada:UrlPw55tgbYhn@%s?sig=QTok77ujmIk",
             strstr(s.endpoint, "://") + 3);
    for (int json = 0; json < 2; json++) {
        r = xt_run((const char *const[]){"@xtars", "model-check", "--set", "retries=0",
                                         "--log-level", "debug", json ? "--json" : NULL, NULL},
                   env, NULL);
        if (r.status != 0)
            FAIL("exit %d, stderr: %s", r.status, r.err);
        ASSERT_STR_CONTAINS(r.out, json ? "\"url\": \"http://127.0.0.1:" : "endpoint   http://127.0.0.1:");
        ASSERT_STR_CONTAINS(r.out, "[redacted]");
        for (int i = 0; i < 2; i++) {
            const char *text = i ? r.err : r.out;
            ASSERT(strstr(text, KEY) == NULL);
            ASSERT(strstr(text, "UrlPw55tgbYhn") == NULL);
            ASSERT(strstr(text, "QTok77ujmIk") == NULL);
            ASSERT(strstr(text, "ada:") == NULL);
        }
        xt_result_free(&r);
    }
    xt_mserver_stop(&s);
}

TEST(model_check_reports_and_never_shows_the_key)
{
    struct xt_mserver s;
    struct xt_result r;
    char line[200];
    cJSON *requests, *msgs;

    xt_mserver_start(&s, "[{\"reply\": \"Thought: the square\\nAction: click(start_box='(56,56)')\", "
                         "\"usage\": {\"prompt_tokens\": 321, \"completion_tokens\": 12}}]",
                     server_env);
    r = model_check(&s, NULL);
    xt_mserver_stop(&s);
    if (r.status != 0)
        FAIL("exit %d, stderr: %s", r.status, r.err);
    snprintf(line, sizeof line, "endpoint   %s\n", s.url);
    ASSERT_STR_CONTAINS(r.out, line);
    ASSERT_STR_CONTAINS(r.out, "\nmodel      ui-tars-1.5-7b\n");
    ASSERT_STR_CONTAINS(r.out, "\nlatency    ");
    ASSERT_STR_CONTAINS(r.out, "\ntokens     prompt 321, completion 12\n");
    ASSERT_STR_CONTAINS(r.out, "\nfinish     stop\n");
    ASSERT_STR_CONTAINS(r.out, "\nreply      Thought: the square\nAction: click(start_box='(56,56)')\n");
    /* The debug trace is there, with the header hidden, and the key nowhere. */
    ASSERT_STR_CONTAINS(r.err, "model: > Authorization: [hidden]");
    ASSERT_STR_CONTAINS(r.err, "model: > POST /v1/chat/completions HTTP/1.1");
    ASSERT(strstr(r.err, KEY) == NULL);
    ASSERT(strstr(r.out, KEY) == NULL);
    ASSERT(strstr(r.err, "0123456789abcdef") == NULL);
    xt_result_free(&r);

    requests = xt_mserver_requests(&s);
    ASSERT_EQ(bool_at(request_at(requests, 0), "authorization", "matches"), 1);
    msgs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(request_at(requests, 0), "body"), "messages");
    ASSERT_EQ(cJSON_GetArraySize(msgs), 2);
    ASSERT_STR_CONTAINS(str_at(cJSON_GetArrayItem(msgs, 0), "content", NULL),
                        "## User Instruction\nClick the black square.\n");
    {
        /* The built-in image: a 112x112 PNG (IHDR width and height). */
        const char *url = str_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetArrayItem(msgs, 1), "content"), 0),
                                 "image_url", "url");
        struct xtars_buf png;
        char err[XTARS_ERRLEN];
        ASSERT(url && strncmp(url, "data:image/png;base64,", 22) == 0);
        xtars_buf_init(&png, 1 << 20);
        ASSERT_EQ(xtars_base64_decode(&png, url + 22, strlen(url + 22), err), XTARS_OK);
        ASSERT_MEM_EQ(png.data, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x70\0\0\0\x70", 24);
        xtars_buf_cleanup(&png);
    }
    cJSON_Delete(requests);
}

/* A server that echoes the key in its error: exit 3, one line, key hidden. */
TEST(model_check_failure_is_one_line_exit_3)
{
    struct xt_mserver s;
    struct xt_result r;
    char expect[400];
    const char *last_line;

    xt_mserver_start(&s, "[{\"status\": 401, \"body\": \"invalid key " KEY "\"}]", server_env);
    r = model_check(&s, "--json");
    xt_mserver_stop(&s);
    ASSERT_EQ(r.status, 3);
    /* --json: the failure as a JSON object on stdout too, redacted like the line. */
    snprintf(expect, sizeof expect,
             "{\"error\": {\"command\": \"model-check\", \"code\": 3, \"message\": \"model: HTTP 401 "
             "from %s: invalid key [redacted] (the API key in $XTARS_API_KEY was refused)\"}}\n",
             s.url);
    ASSERT_STR_EQ(r.out, expect);
    snprintf(expect, sizeof expect,
             "xtars model-check: model: HTTP 401 from %s: invalid key [redacted] (the API key in "
             "$XTARS_API_KEY was refused)\n", s.url);
    last_line = strstr(r.err, "xtars model-check: ");
    ASSERT(last_line != NULL);
    ASSERT_STR_EQ(last_line, expect);
    ASSERT(strstr(r.err, KEY) == NULL);
    xt_result_free(&r);
}

TEST(model_check_json_output)
{
    struct xt_mserver s;
    struct xt_result r;
    cJSON *out;

    xt_mserver_start(&s, "[\"Action: wait()\"]", server_env);
    r = model_check(&s, "--json");
    xt_mserver_stop(&s);
    ASSERT_EQ(r.status, 0);
    out = cJSON_Parse(r.out);
    ASSERT(out != NULL);
    ASSERT_STR_EQ(str_at(out, "url", NULL), s.url);
    ASSERT_STR_EQ(str_at(out, "reply", NULL), "Action: wait()");
    ASSERT_EQ(num_at(out, "attempts", NULL), 1);
    ASSERT_EQ(num_at(out, "prompt_tokens", NULL), -1);
    cJSON_Delete(out);
    xt_result_free(&r);
}

TEST(model_server_help_and_bad_script)
{
    struct xt_result r = xt_run((const char *const[]){XT_BINARY_DIR "/xtars-model-server", "--help",
                                                      NULL},
                                NULL, NULL);

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "Usage: xtars-model-server --script FILE");
    xt_result_free(&r);
    r = xt_run((const char *const[]){XT_BINARY_DIR "/xtars-model-server", NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars-model-server: --script FILE is required (see --help)\n");
    xt_result_free(&r);
}

/* https:// to a plain-HTTP server: the TLS handshake fails on loopback. */
TEST(tls_failure_is_named)
{
    struct xt_mserver s;
    struct xtars_config cfg;
    struct xtars_model_reply reply;
    char endpoint[64], err[XTARS_ERRLEN], expect[200];

    xt_mserver_start(&s, "[\"never\"]", server_env);
    snprintf(endpoint, sizeof endpoint, "https://127.0.0.1:%d/v1", s.port);
    config_for(&cfg, endpoint);
    cfg.retries = 0;
    ASSERT_EQ(ask(&cfg, &reply, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: TLS failure with %s/chat/completions: ", endpoint);
    if (strncmp(err, expect, strlen(expect)) != 0)
        FAIL("got: %s", err);
    xtars_model_reply_cleanup(&reply);
    xt_mserver_stop(&s);
}
