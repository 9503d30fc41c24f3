/* Chat-completion responses: whole JSON bodies and SSE streams fed in any
 * split, with every kind of malformed input the servers in the wild send. */
#include "test.h"
#include "agent/model/chat.h"

static xtars_err parse_json(const char *body, struct xtars_chat_result *r, char *err)
{
    xtars_chat_result_init(r, 1 << 20);
    return xtars_chat_parse_json(body, strlen(body), r, err);
}

TEST(json_reply_usage_and_finish)
{
    struct xtars_chat_result r;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse_json("{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                         "\"content\":\"Action: wait()\"},\"finish_reason\":\"stop\"}],"
                         "\"usage\":{\"prompt_tokens\":1500,\"completion_tokens\":20,"
                         "\"total_tokens\":1520}}",
                         &r, err),
              XTARS_OK);
    ASSERT_STR_EQ(r.text.data, "Action: wait()");
    ASSERT_STR_EQ(r.finish_reason, "stop");
    ASSERT_EQ(r.prompt_tokens, 1500);
    ASSERT_EQ(r.completion_tokens, 20);
    xtars_chat_result_cleanup(&r);

    /* Content as a list of parts; no usage; null finish_reason. */
    ASSERT_EQ(parse_json("{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":"
                         "\"Thought: a\"},{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":"
                         "\"\\nAction: b\"}]},\"finish_reason\":null}]}",
                         &r, err),
              XTARS_OK);
    ASSERT_STR_EQ(r.text.data, "Thought: a\nAction: b");
    ASSERT_STR_EQ(r.finish_reason, "");
    ASSERT_EQ(r.prompt_tokens, -1);
    ASSERT_EQ(r.completion_tokens, -1);
    xtars_chat_result_cleanup(&r);

    /* null content (a tool-call reply): parsed, empty text. */
    ASSERT_EQ(parse_json("{\"choices\":[{\"message\":{\"content\":null}}],\"usage\":"
                         "{\"prompt_tokens\":-5,\"completion_tokens\":\"7\"}}", &r, err),
              XTARS_OK);
    ASSERT_EQ(r.text.len, 0);
    ASSERT_EQ(r.prompt_tokens, -1);
    ASSERT_EQ(r.completion_tokens, -1);
    xtars_chat_result_cleanup(&r);
}

TEST(json_that_is_not_a_chat_completion)
{
    struct xtars_chat_result r;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse_json("<html>", &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "the body is not JSON");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("[1]", &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "the body is JSON but not an object");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("{\"choices\":[]}", &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "no 'choices' in the body");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("{\"choices\":[{\"text\":\"completions API\"}]}", &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "no 'message' in choices[0]");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("{\"choices\":[{\"message\":{\"content\":5}}]}", &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "'content' is neither text nor a list of parts");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("", &r, err), XTARS_EPARSE);
    xtars_chat_result_cleanup(&r);
}

TEST(json_error_objects)
{
    struct xtars_chat_result r;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse_json("{\"error\":{\"message\":\"The model `x` does not exist.\",\"type\":"
                         "\"NotFoundError\"}}", &r, err),
              XTARS_EMODEL);
    ASSERT_STR_EQ(err, "the server reported an error: The model `x` does not exist.");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("{\"error\":\"Input validation error: too many images\"}", &r, err),
              XTARS_EMODEL);
    ASSERT_STR_EQ(err, "the server reported an error: Input validation error: too many images");
    xtars_chat_result_cleanup(&r);
    ASSERT_EQ(parse_json("{\"error\":{\"code\":500}}", &r, err), XTARS_EMODEL);
    ASSERT_STR_EQ(err, "the server reported an error without a message");
    xtars_chat_result_cleanup(&r);
    /* "error": null next to a good reply is not an error. */
    ASSERT_EQ(parse_json("{\"error\":null,\"choices\":[{\"message\":{\"content\":\"ok\"}}]}", &r,
                         err),
              XTARS_OK);
    ASSERT_STR_EQ(r.text.data, "ok");
    xtars_chat_result_cleanup(&r);
}

TEST(json_text_cap)
{
    struct xtars_chat_result r;
    char err[XTARS_ERRLEN];
    const char *body = "{\"choices\":[{\"message\":{\"content\":\"0123456789abcdef\"}}]}";

    xtars_chat_result_init(&r, 10);
    ASSERT_EQ(xtars_chat_parse_json(body, strlen(body), &r, err), XTARS_ETOOBIG);
    ASSERT_STR_EQ(err, "reply text is larger than 10 bytes");
    xtars_chat_result_cleanup(&r);
}

static const char stream_text[] =
    ": keep-alive comment\r\n"
    "\r\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]}\r\n"
    "\r\n"
    "event: message\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Thought: \xe7\x82\xb9\"},"
    "\"finish_reason\":null}]}\n"
    "\n"
    "data:{\"choices\":[{\"index\":0,\n"
    "data: \"delta\":{\"content\":\"\\nAction: wait()\"},\"finish_reason\":null}]}\n"
    "\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n"
    "\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4}}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

static void check_stream_result(const struct xtars_chat_result *r)
{
    ASSERT_STR_EQ(r->text.data, "Thought: \xe7\x82\xb9\nAction: wait()");
    ASSERT_STR_EQ(r->finish_reason, "stop");
    ASSERT_EQ(r->prompt_tokens, 11);
    ASSERT_EQ(r->completion_tokens, 4);
    ASSERT_EQ(r->done, 1);
    ASSERT_EQ(r->events, 6);
}

TEST(stream_whole_and_byte_by_byte)
{
    struct xtars_chat_result r;
    struct xtars_chat_stream s;
    char err[XTARS_ERRLEN];

    xtars_chat_result_init(&r, 1 << 20);
    xtars_chat_stream_init(&s, &r, 1 << 20);
    ASSERT_EQ(xtars_chat_stream_feed(&s, stream_text, strlen(stream_text), err), XTARS_OK);
    ASSERT_EQ(xtars_chat_stream_finish(&s, err), XTARS_OK);
    check_stream_result(&r);
    xtars_chat_stream_cleanup(&s);
    xtars_chat_result_cleanup(&r);

    xtars_chat_result_init(&r, 1 << 20);
    xtars_chat_stream_init(&s, &r, 1 << 20);
    for (size_t i = 0; i < strlen(stream_text); i++)
        ASSERT_EQ(xtars_chat_stream_feed(&s, stream_text + i, 1, err), XTARS_OK);
    ASSERT_EQ(xtars_chat_stream_finish(&s, err), XTARS_OK);
    check_stream_result(&r);
    xtars_chat_stream_cleanup(&s);
    xtars_chat_result_cleanup(&r);
}

TEST(stream_last_event_without_blank_line)
{
    struct xtars_chat_result r;
    struct xtars_chat_stream s;
    char err[XTARS_ERRLEN];
    const char *text = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":"
                       "\"length\"}]}";

    xtars_chat_result_init(&r, 1 << 20);
    xtars_chat_stream_init(&s, &r, 1 << 20);
    ASSERT_EQ(xtars_chat_stream_feed(&s, text, strlen(text), err), XTARS_OK);
    ASSERT_EQ(r.text.len, 0); /* not dispatched yet */
    ASSERT_EQ(xtars_chat_stream_finish(&s, err), XTARS_OK);
    ASSERT_STR_EQ(r.text.data, "hi");
    ASSERT_STR_EQ(r.finish_reason, "length");
    ASSERT_EQ(r.done, 0);
    xtars_chat_stream_cleanup(&s);
    xtars_chat_result_cleanup(&r);
}

static xtars_err feed_all(const char *text, size_t line_max, size_t text_max, char *err)
{
    struct xtars_chat_result r;
    struct xtars_chat_stream s;
    xtars_err rc;

    xtars_chat_result_init(&r, text_max);
    xtars_chat_stream_init(&s, &r, line_max);
    rc = xtars_chat_stream_feed(&s, text, strlen(text), err);
    if (rc == XTARS_OK)
        rc = xtars_chat_stream_finish(&s, err);
    xtars_chat_stream_cleanup(&s);
    xtars_chat_result_cleanup(&r);
    return rc;
}

TEST(stream_errors)
{
    char err[XTARS_ERRLEN];

    ASSERT_EQ(feed_all("data: {\"choices\":[]}\n\ndata: {not json\n\n", 1 << 20, 1 << 20, err),
              XTARS_EPARSE);
    ASSERT_STR_EQ(err, "event 2 of the stream is not a JSON object");
    ASSERT_EQ(feed_all("data: {\"error\":{\"message\":\"CUDA out of memory\"}}\n\n", 1 << 20,
                       1 << 20, err),
              XTARS_EMODEL);
    ASSERT_STR_EQ(err, "the server reported an error: CUDA out of memory");
    ASSERT_EQ(feed_all("data: 0123456789012345678901234567890123456789\n\n", 16, 16, err),
              XTARS_ETOOBIG);
    ASSERT_STR_EQ(err, "a stream line is longer than 16 bytes");
    ASSERT_EQ(feed_all("data: 0123456789\ndata: 0123456789\n\n", 16, 16, err), XTARS_ETOOBIG);
    ASSERT_STR_EQ(err, "a stream event is larger than 16 bytes");
    ASSERT_EQ(feed_all("data: {\"choices\":[{\"delta\":{\"content\":\"0123456789abcdefghij\"}}]}\n\n",
                       1 << 20, 10, err),
              XTARS_ETOOBIG);
    ASSERT_STR_EQ(err, "reply text is larger than 10 bytes");
    /* Fields other than data and stray text are ignored. */
    ASSERT_EQ(feed_all("id: 1\nretry: 10\nnonsense\n\n\n\n", 1 << 20, 1 << 20, err), XTARS_OK);
}
