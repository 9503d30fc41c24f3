/* Terminal safety: whatever a model or a server sends, nothing xtars writes on
 * stdout or stderr can act on the operator's terminal. The scripted model
 * answers with OSC 52 (write the clipboard), OSC 0 (retitle), CSI 2J (clear),
 * bracketed-paste markers, a C1 CSI both as U+009B and as a raw 0x9b byte,
 * DEL and invalid UTF-8, in finished() content, thoughts, replies the parser
 * quotes, error bodies, model-check output and task check output. Every
 * output must hold no control byte but newline and tab, no C1 and only valid
 * UTF-8, and still show the text, escaped as \xHH (agent/base/term.h). */
#include <stdio.h>
#include <unistd.h>

#include "agent/base/json.h"
#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xfixture.h"
#include "xtars/buf.h"

/* The sequences, as written inside a JSON string of the script. */
#define OSC52 "\\u001b]52;c;cm0gLXJmIH4K\\u0007" /* clipboard := "rm -rf ~" */
#define OSC0 "\\u001b]0;pwned\\u0007"
#define CLEAR "\\u001b[2J\\u001b[H"
#define PASTE "\\u001b[200~echo hi\\u001b[201~"
#define C1 "\\u009b31m"  /* U+009B, a one-character CSI */
#define RAW "\x9b" "1m \xff\xfe" /* a raw 0x9b and bytes that are never UTF-8 */
#define DEL "\\u007f"
#define EVIL OSC52 " " OSC0 " " CLEAR " " PASTE " " C1 " " RAW " " DEL

/* Fails on the first byte that a terminal could act on: a C0 control other
 * than newline and tab, DEL, a C1 control (U+0080-U+009F), invalid UTF-8. */
static void assert_terminal_safe(const char *what, const char *text)
{
    size_t n = strlen(text);

    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)text[i];
        size_t len = xtars_utf8_sequence_len(text + i, n - i);

        if (len == 0)
            FAIL("%s: byte 0x%02x at %zu is not UTF-8:\n%s", what, ch, i, text);
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            FAIL("%s: control byte 0x%02x at %zu:\n%s", what, ch, i, text);
        if (len == 2 && ch == 0xC2 && (unsigned char)text[i + 1] < 0xA0)
            FAIL("%s: C1 control U+%04X at %zu:\n%s", what, (unsigned char)text[i + 1], i, text);
        i += len;
    }
}

static void assert_both_safe(const struct xt_result *r)
{
    assert_terminal_safe("stdout", r->out);
    assert_terminal_safe("stderr", r->err);
}

static struct xt_result run_xtars(const struct xt_mserver *server, const char *log_format)
{
    char endpoint[160], dir[700];

    snprintf(endpoint, sizeof endpoint, "endpoint=%s", server->endpoint);
    snprintf(dir, sizeof dir, "%s/traj", xt_tmpdir());
    return xt_run((const char *const[]){"@xtars", "run", "--log-level", "debug", "--log-format",
                                        log_format, "--out", dir, "--set", endpoint, "--set",
                                        "family=pixels", "--set", "policy=none", "--set",
                                        "retries=0", "--set", "wait_ms=0", "do it", NULL},
                  NULL, NULL);
}

/* A script entry whose HTTP body is a chat completion of `content` (text as
 * inside a JSON string) sent verbatim: the model server would write a reply
 * given as "reply" as valid UTF-8, so raw bytes reach xtars only this way. */
static void put_body_entry(struct xtars_buf *script, const char *content)
{
    struct xtars_buf body;

    xtars_buf_init(&body, 1 << 16);
    xtars_buf_printf(&body, "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", "
                            "\"content\": \"%s\"}, \"finish_reason\": \"stop\"}]}", content);
    xtars_buf_puts(script, "{\"body\": \"");
    for (const char *c = body.data; *c; c++) {
        if (*c == '"' || *c == '\\')
            xtars_buf_putc(script, '\\');
        xtars_buf_putc(script, *c);
    }
    xtars_buf_puts(script, "\"}");
    xtars_buf_cleanup(&body);
}

/* A thought, a reply the parser refuses and quotes, then finished() content
 * with every kind of sequence: text logs and stdout escape them. */
static char *finished_script(void)
{
    struct xtars_buf script;

    xtars_buf_init(&script, 1 << 16);
    xtars_buf_puts(&script, "[\"Thought: " EVIL "\\nAction: wait()\", "
                            "\"Action: " OSC0 "click(" CLEAR ")\", ");
    put_body_entry(&script, "Thought: done " C1 "\\nAction: finished(content='line one " EVIL
                            "\\nline two')");
    xtars_buf_puts(&script, "]");
    return xtars_buf_detach(&script, NULL);
}

/* xtars run on a private Xvfb against the script above, to exit 0. */
static struct xt_result run_finished_script(struct xt_mserver *server, const char *log_format)
{
    char *script = finished_script();
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(server, script, NULL);
    free(script);
    r = run_xtars(server, log_format);
    ASSERT_EQ(r.status, 0);
    return r;
}

TEST(run_escapes_model_text_on_stdout_and_stderr)
{
    struct xt_mserver server;
    struct xt_result r = run_finished_script(&server, "text");

    assert_both_safe(&r);
    /* still readable: each sequence is there, escaped; newline and tab pass */
    ASSERT_STR_CONTAINS(r.out, "line one \\x1b]52;c;cm0gLXJmIH4K\\x07 \\x1b]0;pwned\\x07 "
                               "\\x1b[2J\\x1b[H \\x1b[200~echo hi\\x1b[201~ \\x9b31m "
                               "\\x9b1m \\xff\\xfe \\x7f\nline two\n");
    ASSERT_STR_CONTAINS(r.err, "]0;pwned?click("); /* the parse error's quote (its own '?') */
    ASSERT_STR_CONTAINS(r.err, "finished after 3 steps: line one \\x1b]52;c;");
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* --log-format json: every stderr line is JSON whose strings escape DEL and
 * C1 as well (JSON allows them raw), and decodes back to the model's text. */
TEST(json_logs_escape_del_and_c1)
{
    struct xt_mserver server;
    struct xt_result r = run_finished_script(&server, "json");
    int lines = 0, found = 0;

    assert_both_safe(&r);
    for (char *line = r.err, *end; *line; line = end + 1) {
        cJSON *item;
        const char *msg;
        end = strchr(line, '\n');
        ASSERT(end != NULL);
        *end = '\0';
        item = cJSON_Parse(line);
        if (item == NULL)
            FAIL("stderr line is not JSON: %s", line);
        msg = cJSON_GetStringValue(cJSON_GetObjectItem(item, "msg"));
        ASSERT(msg != NULL);
        if (strstr(msg, "finished after 3 steps: line one \x1b]52;c;cm0gLXJmIH4K\x07"))
            found = strstr(msg, "\xc2\x9b" "31m \xef\xbf\xbd" "1m") != NULL && strchr(msg, 0x7f);
        cJSON_Delete(item);
        lines++;
    }
    ASSERT_GE(lines, 4);
    ASSERT_EQ(found, 1);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* A server's error body is quoted in the error line. */
TEST(server_error_body_is_escaped)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server,
                     "[{\"status\": 400, \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"bad "
                     "\\\\u009b2J \x9b\\\\u001b]0;t\\\\u0007 \\\\u007f \xc2\x9b" "0m\\\"}}\"}]",
                     NULL);
    r = run_xtars(&server, "text");
    ASSERT_EQ(r.status, 3);
    assert_both_safe(&r);
    ASSERT_STR_CONTAINS(r.err, "HTTP 400 from");
    ASSERT_STR_CONTAINS(r.err, "bad \\x9b2J \\x9b");
    ASSERT_STR_CONTAINS(r.err, "\\x7f \\x9b0m");
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* model-check prints the server's reply as text, or as JSON with --json. */
TEST(model_check_reply_is_escaped)
{
    struct xt_mserver server;
    struct xt_result r;
    char endpoint[160];
    struct xtars_buf script;
    cJSON *item;

    xtars_buf_init(&script, 1 << 16);
    xtars_buf_puts(&script, "[");
    put_body_entry(&script, "Thought: " EVIL);
    xtars_buf_puts(&script, ", ");
    put_body_entry(&script, "Thought: " EVIL);
    xtars_buf_puts(&script, "]");
    xt_mserver_start(&server, script.data, NULL);
    xtars_buf_cleanup(&script);
    snprintf(endpoint, sizeof endpoint, "endpoint=%s", server.endpoint);
    r = xt_run((const char *const[]){"@xtars", "model-check", "--set", endpoint, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    assert_both_safe(&r);
    ASSERT_STR_CONTAINS(r.out, "reply      Thought: \\x1b]52;c;cm0gLXJmIH4K\\x07 ");
    ASSERT_STR_CONTAINS(r.out, "\\x9b31m \\x9b1m \\xff\\xfe \\x7f\n");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"@xtars", "model-check", "--json", "--set", endpoint, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    assert_both_safe(&r);
    ASSERT_STR_CONTAINS(r.out, "\\u001b]52;c;cm0gLXJmIH4K\\u0007");
    /* U+009B and DEL escaped; the invalid bytes became U+FFFD */
    ASSERT_STR_CONTAINS(r.out, "\\u009b31m \xef\xbf\xbd" "1m \xef\xbf\xbd\xef\xbf\xbd \\u007f");
    item = cJSON_Parse(r.out);
    ASSERT(item != NULL);
    cJSON_Delete(item);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* A failing check's output is shown line by line under its FAIL line. */
TEST(task_check_output_is_escaped)
{
    const char *task = xt_tmp_path("evil.json");
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_write_text(task, "{\"name\": \"evil check\", \"steps\": [{\"check\": \"printf '\\\\033]0;pwned\\\\007"
          " \\\\233 \\\\302\\\\233 \\\\177 \\\\033[2J'; exit 1\", \"name\": \"probe\"}]}");
    r = xt_run((const char *const[]){"@xtars", "task", "--out", xt_tmp_path("runs"), task, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 4);
    assert_both_safe(&r);
    ASSERT_STR_CONTAINS(r.err, "FAIL check probe");
    ASSERT_STR_CONTAINS(r.err, "| \\x1b]0;pwned\\x07 \\x9b \\x9b \\x7f \\x1b[2J");
    xt_result_free(&r);
}
