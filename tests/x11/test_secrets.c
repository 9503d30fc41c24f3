/* Secrets never appear: an API key (XTARS_API_KEY) and a password named in
 * config `redact` are planted where they would leak (the instruction, text
 * the model types and says, a 401 body that echoes the key right where
 * xtars cuts the quote), then every artefact of the run is searched: stdout,
 * stderr at --log-level debug, run.json, steps.jsonl, report.html, every
 * other file of the trajectory. Not only the whole values: no 8-byte piece
 * of them may show either (a cut quote would leave one). The model server's
 * request log may hold facts about the key (present, length), never the key. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xfixture.h"
#include "xtars/buf.h"

#define KEY "sk-Q7vX2pL9mW4tR8yB6nK3jH5gF1dS0aZ"
/* A quote, a '<' and an '&': the value takes other forms in JSON and HTML. */
#define PASSWORD "Pw\"<9fK2&xQ7mZv4"
#define PASSWORD_JSON "Pw\\\"<9fK2&xQ7mZv4" /* as written inside a JSON string */
#define PASSWORD_JSON2 "Pw\\\\\\\"<9fK2&xQ7mZv4" /* inside JSON inside a JSON string */

/* Fails if `data` holds any 8-byte piece of `secret`. */
static void check_no_piece(const char *what, const char *data, size_t len, const char *secret)
{
    size_t n = strlen(secret);

    for (size_t i = 0; i + 8 <= n; i++)
        if (memmem(data, len, secret + i, 8) != NULL)
            FAIL("%s contains \"%.8s\" (a piece of a planted secret):\n%.2000s", what, secret + i,
                 data);
}

/* Credentials written into the config itself: the endpoint's user
 * information and query, a literal credential header. */
#define URL_PASSWORD "UrlPw4471qazXsw"
#define URL_TOKEN "QueryTok9918plmOkn"
#define HEADER_KEY "LiteralHdr3306edcRfv"

static void check_text(const char *what, const char *data, size_t len)
{
    check_no_piece(what, data, len, KEY);
    check_no_piece(what, data, len, PASSWORD);
    check_no_piece(what, data, len, URL_PASSWORD);
    check_no_piece(what, data, len, URL_TOKEN);
    check_no_piece(what, data, len, HEADER_KEY);
}

static int check_file(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1u << 28, err) != XTARS_OK)
        FAIL("%s", err);
    check_text(path, b.data ? b.data : "", b.len);
    xtars_buf_cleanup(&b);
    return 1;
}

/* Every regular file under dir; returns how many were searched. */
static int check_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        FAIL("cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        n += S_ISDIR(st.st_mode) ? check_tree(path) : check_file(path);
    }
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1 << 26, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

/* A 401 whose body echoes the key so that byte 300, where xtars cuts its
 * quote of an error body, falls in the middle of it. */
static void unauthorized_entry(struct xtars_buf *script)
{
    /* the body as sent: {"error": {"message": "Incorrect API key provided. ...
     * 23 + 28 bytes, then dots up to byte 281, "key ", the key at 285 */
    int offset = 23 + 28;

    xtars_buf_puts(script, "{\"status\": 401, \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"");
    xtars_buf_puts(script, "Incorrect API key provided. ");
    for (; offset < 281; offset++)
        xtars_buf_putc(script, '.');
    xtars_buf_puts(script, "key " KEY " and password " PASSWORD_JSON2 " refused\\\"}}\"}");
}

static const char *const planted_env[] = {"XTARS_API_KEY=" KEY, "XT_DB_PASSWORD=" PASSWORD, NULL};

static void check_request_log(const struct xt_mserver *server, int expected)
{
    char *log = slurp(server->log);
    cJSON *requests = xt_mserver_requests(server);
    const cJSON *auth;

    /* The requests carry the instruction and the model's own replies (the
     * password is in those: the model must see what it is asked to do);
     * the key travels only in the Authorization header, which the log
     * reduces to facts. */
    check_no_piece("the request log", log, strlen(log), KEY);
    ASSERT_EQ(cJSON_GetArraySize(requests), expected);
    auth = cJSON_GetObjectItem(cJSON_GetArrayItem(requests, 0), "authorization");
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(auth, "present")));
    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(auth, "matches")));
    ASSERT_EQ(cJSON_GetObjectItem(auth, "length")->valueint, (int)strlen(KEY));
    cJSON_Delete(requests);
    free(log);
}

TEST(run_artefacts_hold_no_planted_secret)
{
    struct xt_mserver server;
    struct xtars_buf script;
    struct xt_result r;
    char endpoint[160], dir[700];
    int files;

    xt_x_start(640, 480, NULL);
    xtars_buf_init(&script, 1 << 16);
    /* step 1 types 50 bytes then the password: the progress line cuts typed
     * text at 60 bytes, in the middle of it */
    xtars_buf_puts(&script, "[\"Thought: the password is " PASSWORD_JSON ", typing it\\nAction: "
                            "type(content='0123456789012345678901234567890123456789012345678 "
                            PASSWORD_JSON "')\", ");
    /* step 2 is not a call: the parse error quotes 40 bytes of it, cutting
     * the password after its first 10 */
    xtars_buf_puts(&script, "\"Action: I cannot find the field, pw is " PASSWORD_JSON
                            " so now what\", ");
    unauthorized_entry(&script);
    xtars_buf_puts(&script, "]");
    xt_mserver_start(&server, script.data, (const char *const[]){"XT_EXPECTED_KEY=" KEY, NULL});
    snprintf(endpoint, sizeof endpoint, "endpoint=%s", server.endpoint);
    snprintf(dir, sizeof dir, "%s/traj", xt_tmpdir());
    r = xt_run((const char *const[]){"@xtars", "run", "--log-level", "debug", "--out", dir, "--set",
                                     endpoint, "--set", "family=pixels", "--set", "policy=none",
                                     "--set", "retries=0", "--set", "redact=XT_DB_PASSWORD",
                                     "Log in with the password " PASSWORD, NULL},
               planted_env, NULL);
    ASSERT_EQ(r.status, 3);
    /* what was said is still said, with the values replaced */
    ASSERT_STR_CONTAINS(r.err, "HTTP 401 from");
    ASSERT_STR_CONTAINS(r.err, "type '0123456789012345678901234567890123456789012345678 [redacted]'");
    ASSERT_STR_CONTAINS(r.err, "(the API key in $XTARS_API_KEY was refused)");
    ASSERT_STR_CONTAINS(r.err, "got 'I cannot find the field, pw is [redacted]'");
    check_text("stdout", r.out, strlen(r.out));
    check_text("stderr", r.err, strlen(r.err));
    files = check_tree(dir);
    ASSERT_GE(files, 4); /* run.json, steps.jsonl, report.html, screenshots */
    {
        char path[800], *text;
        snprintf(path, sizeof path, "%s/run.json", dir);
        text = slurp(path);
        ASSERT_STR_CONTAINS(text, "\"instruction\": \"Log in with the password [redacted]\"");
        ASSERT_STR_CONTAINS(text, "\"redact\": \"XT_DB_PASSWORD\"");
        free(text);
        snprintf(path, sizeof path, "%s/steps.jsonl", dir);
        text = slurp(path);
        ASSERT_STR_CONTAINS(text, "\"thought\": \"the password is [redacted], typing it\"");
        free(text);
        snprintf(path, sizeof path, "%s/report.html", dir);
        free(slurp(path));
    }
    check_request_log(&server, 3);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xtars_buf_cleanup(&script);
}

/* finished() content goes to stdout: redacted there too. */
TEST(finished_content_on_stdout_is_redacted)
{
    struct xt_mserver server;
    struct xt_result r;
    char endpoint[160], dir[700];

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[\"Action: finished(content='the key was " KEY "')\"]", NULL);
    snprintf(endpoint, sizeof endpoint, "endpoint=%s", server.endpoint);
    snprintf(dir, sizeof dir, "%s/traj", xt_tmpdir());
    r = xt_run((const char *const[]){"@xtars", "run", "--log-level", "debug", "--out", dir, "--set",
                                     endpoint, "--set", "family=pixels", "do it", NULL},
               planted_env, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "the key was [redacted]\n");
    check_text("stderr", r.err, strlen(r.err));
    check_tree(dir);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* Credentials inside the endpoint URL (user:password@, a query token) and a
 * credential header written literally in extra_headers: nowhere in the
 * output, the trajectory, or the message of a failed request, which names
 * the URL. The request still reaches the server (the path goes before the
 * query). */
TEST(credentials_inside_the_config_are_never_shown_or_recorded)
{
    struct xt_mserver server;
    struct xt_result r;
    struct xtars_buf script;
    char endpoint[300], dir[700], *run_json;
    const char *host;

    xt_x_start(320, 240, NULL);
    xtars_buf_init(&script, 1 << 16);
    xtars_buf_puts(&script, "[\"Action: wait()\", ");
    unauthorized_entry(&script);
    xtars_buf_puts(&script, "]");
    xt_mserver_start(&server, script.data, NULL);
    host = strstr(server.endpoint, "://") + 3;
    snprintf(endpoint, sizeof endpoint, "endpoint=http://ada:" URL_PASSWORD "@%s?token=" URL_TOKEN,
             host);
    snprintf(dir, sizeof dir, "%s/traj", xt_tmpdir());
    r = xt_run((const char *const[]){"@xtars", "run", "--log-level", "debug", "--out", dir, "--set",
                                     endpoint, "--set", "family=pixels", "--set", "retries=0",
                                     "--set", "wait_ms=0", "--set", "redact=XT_DB_PASSWORD", "--set",
                                     "extra_headers={\"X-Api-Key\": \"" HEADER_KEY "\"}", "do it",
                                     NULL},
               planted_env, NULL);
    ASSERT_EQ(r.status, 3);
    ASSERT_STR_CONTAINS(r.err, "HTTP 401 from");
    check_text("stdout", r.out, strlen(r.out));
    check_text("stderr", r.err, strlen(r.err));
    ASSERT_GE(check_tree(dir), 3);
    {
        char path[800];
        snprintf(path, sizeof path, "%s/run.json", dir);
        run_json = slurp(path);
        ASSERT_STR_CONTAINS(run_json, "\"X-Api-Key\": \"***\"");
        free(run_json);
    }
    xt_result_free(&r);
    /* `xtars config` prints the config without them too. */
    r = xt_run((const char *const[]){"@xtars", "config", "--set", endpoint, "--set",
                                     "extra_headers={\"X-Api-Key\": \"" HEADER_KEY "\"}", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "\"endpoint\": \"http://");
    check_text("xtars config", r.out, strlen(r.out));
    check_text("xtars config stderr", r.err, strlen(r.err));
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xtars_buf_cleanup(&script);
}

/* The same through `xtars task`: its step lines, summary and trajectory. */
TEST(task_artefacts_hold_no_planted_secret)
{
    struct xt_mserver server;
    struct xtars_buf script;
    struct xt_result r;
    char task_path[700], out[700];
    FILE *f;

    xtars_buf_init(&script, 1 << 16);
    xtars_buf_puts(&script, "[\"Action: type(content='" PASSWORD_JSON "')\", ");
    unauthorized_entry(&script);
    xtars_buf_puts(&script, "]");
    xt_mserver_start(&server, script.data, (const char *const[]){"XT_EXPECTED_KEY=" KEY, NULL});
    snprintf(task_path, sizeof task_path, "%s/secret-task.json", xt_tmpdir());
    f = fopen(task_path, "w");
    ASSERT(f != NULL);
    fputs("{\"name\": \"log in\", \"screen\": \"320x240\", \"steps\": ["
          "{\"instruction\": \"Log in; the password is " PASSWORD_JSON " and it must be typed "
          "exactly, with no extra spaces around it at all\"}]}", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/runs", xt_tmpdir());
    r = xt_run((const char *const[]){"@xtars", "task", "--log-level", "debug", "--out", out,
                                     "--endpoint", server.endpoint, "--set", "policy=none",
                                     "--set", "retries=0", "--set", "redact=XT_DB_PASSWORD",
                                     task_path, NULL},
               planted_env, NULL);
    ASSERT_EQ(r.status, 3);
    ASSERT_STR_CONTAINS(r.err, "HTTP 401 from");
    check_text("stdout", r.out, strlen(r.out));
    check_text("stderr", r.err, strlen(r.err));
    ASSERT_GE(check_tree(out), 3);
    check_request_log(&server, 2);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xtars_buf_cleanup(&script);
}
