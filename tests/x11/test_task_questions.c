/* `xtars task` questions and caches end to end, against the scripted model
 * server on a private Xvfb per task: assert (passing, failing, unusable
 * answer), a query whose value a later check and assert use, wait_until
 * (succeeding after the screen changes, timing out), and cached runs of the
 * gui-test example: a second run with the endpoint down, a run where the
 * cache stops verifying part-way, and a run with the app moved. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"
#include "xtars/image.h"

static const char *tmp(const char *name)
{
    static char path[4][900];
    static int which;
    which = (which + 1) % 4;
    snprintf(path[which], sizeof path[which], "%s/%s", xt_tmpdir(), name);
    return path[which];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* xtars task --quiet --out OUT --endpoint E [--cache DIR [--cache-mode M]] [extra] FILE */
static struct xt_result task(const struct xt_mserver *server, const char *cache, const char *mode,
                             const char *extra, const char *file)
{
    const char *argv[20];
    int argc = 0;

    argv[argc++] = "@xtars";
    argv[argc++] = "task";
    argv[argc++] = "--quiet";
    argv[argc++] = "--out";
    argv[argc++] = tmp("runs");
    argv[argc++] = "--endpoint";
    argv[argc++] = server->endpoint;
    if (cache) {
        argv[argc++] = "--cache";
        argv[argc++] = cache;
    }
    if (mode) {
        argv[argc++] = "--cache-mode";
        argv[argc++] = mode;
    }
    if (extra) {
        argv[argc++] = "--set";
        argv[argc++] = extra;
    }
    argv[argc++] = file;
    argv[argc] = NULL;
    return xt_run(argv, NULL, NULL);
}

/* A file of the trajectory named in the task's JSON line on stdout. */
static char *trajectory_file(const struct xt_result *r, const char *name)
{
    cJSON *line = cJSON_Parse(r->out);
    const cJSON *dir = cJSON_GetObjectItem(line, "trajectory");
    char path[1200];

    ASSERT(cJSON_IsString(dir));
    snprintf(path, sizeof path, "%s/%s", dir->valuestring, name);
    cJSON_Delete(line);
    return xt_slurp(path);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int requests(const struct xt_mserver *s)
{
    cJSON *list = xt_mserver_requests(s);
    int n = cJSON_GetArraySize(list);
    cJSON_Delete(list);
    return n;
}

/* The text of the first message of request i (0-based), and how many image
 * messages it had. */
static void request_facts(const struct xt_mserver *s, int i, char *text, size_t size, int *images,
                          cJSON **body_out)
{
    cJSON *list = xt_mserver_requests(s), *body, *messages, *m;

    ASSERT(i < cJSON_GetArraySize(list));
    body = cJSON_GetObjectItem(cJSON_GetArrayItem(list, i), "body");
    messages = cJSON_GetObjectItem(body, "messages");
    *images = 0;
    text[0] = '\0';
    cJSON_ArrayForEach(m, messages) {
        cJSON *content = cJSON_GetObjectItem(m, "content");
        if (cJSON_IsString(content) && text[0] == '\0')
            snprintf(text, size, "%s", content->valuestring);
        if (cJSON_IsArray(content)) {
            cJSON *part;
            cJSON_ArrayForEach(part, content) {
                cJSON *type = cJSON_GetObjectItem(part, "type"), *t = cJSON_GetObjectItem(part, "text");
                if (cJSON_IsString(type) && strcmp(type->valuestring, "image_url") == 0)
                    (*images)++;
                if (cJSON_IsString(t) && text[0] == '\0')
                    snprintf(text, size, "%s", t->valuestring);
            }
        }
    }
    if (body_out)
        *body_out = cJSON_Duplicate(body, 1);
    cJSON_Delete(list);
}

#define GREY_SETUP "\"setup\": [{\"launch\": \"xsetroot -solid '#3b4252'\"}]"

TEST(assert_passes_and_fails_with_the_reason)
{
    struct xt_mserver server;
    struct xt_result r;
    char text[8192], *steps;
    int images = 0;
    cJSON *body = NULL;

    xt_mserver_start(&server,
                     "[{\"reply\": \"```json\\n{\\\"pass\\\": true, \\\"reason\\\": \\\"all grey\\\"}\\n```\"},"
                     " {\"reply\": \"Thought: I see no window.\\n{\\\"pass\\\": false, \\\"reason\\\": "
                     "\\\"no window is open\\\"}\"}]", NULL);
    write_text(tmp("assert.json"),
               "{\"name\": \"asserts\", \"screen\": \"640x400\", " GREY_SETUP ", \"steps\": ["
               "{\"assert\": \"The screen is plain blue-grey\"},"
               "{\"assert\": \"A dialog is open\", \"name\": \"dialog\"},"
               "{\"check\": \"true\"}]}");
    r = task(&server, NULL, NULL, "judge_model=judge-vl", tmp("assert.json"));
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "[1/3] PASS assert The screen is plain blue-grey: all grey");
    ASSERT_STR_CONTAINS(r.err, "[2/3] FAIL assert dialog: no window is open");
    ASSERT_STR_CONTAINS(r.out, "\"steps_passed\": 1, \"steps_failed\": 1, \"steps_skipped\": 1");
    ASSERT_EQ(requests(&server), 2);
    /* the question is the template with the statement, then the screenshot */
    request_facts(&server, 0, text, sizeof text, &images, &body);
    ASSERT_STR_CONTAINS(text, "Decide whether this statement about the screenshot is true:\n"
                              "The screen is plain blue-grey\n");
    ASSERT_EQ(images, 1);
    ASSERT_STR_EQ(cJSON_GetObjectItem(body, "model")->valuestring, "judge-vl");
    ASSERT_EQ(cJSON_GetObjectItem(body, "temperature")->valuedouble, 0);
    cJSON_Delete(body);
    /* each answer is a step: screenshot, request, reply, model call */
    steps = trajectory_file(&r, "steps.jsonl");
    ASSERT_EQ(count(steps, "\"judge\": \"assert\""), 2);
    ASSERT_EQ(count(steps, "\"screenshot\": \"step-000"), 2);
    ASSERT_EQ(count(steps, "\"latency_ms\""), 2);
    ASSERT_STR_CONTAINS(steps, "\"request\": \"You check a screenshot");
    ASSERT_STR_CONTAINS(steps, "assert does not hold: no window is open");
    free(steps);
    steps = trajectory_file(&r, "run.json");
    ASSERT_STR_CONTAINS(steps, "step 2 (assert) failed: no window is open");
    free(steps);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(an_answer_that_is_not_the_json_asked_for_fails_naming_the_step)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_mserver_start(&server, "[\"Yes, it is.\"]", NULL);
    write_text(tmp("notjson.json"), "{\"name\": \"not json\", \"screen\": \"640x400\", " GREY_SETUP
                                    ", \"steps\": [{\"assert\": \"The screen is grey\"}]}");
    r = task(&server, NULL, NULL, "seed=7", tmp("notjson.json"));
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "[1/1] FAIL assert The screen is grey: the answer is not the JSON "
                               "asked for: \"Yes, it is.\"");
    {
        char text[64];
        int images;
        cJSON *body;
        request_facts(&server, 0, text, sizeof text, &images, &body);
        ASSERT_EQ(cJSON_GetObjectItem(body, "seed")->valueint, 7); /* repeatable runs */
        cJSON_Delete(body);
    }
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* Whether request i carried a Bearer key, and the one the server expected. */
static int auth_matches(const struct xt_mserver *s, int i)
{
    cJSON *list = xt_mserver_requests(s);
    const cJSON *auth = cJSON_GetObjectItem(cJSON_GetArrayItem(list, i), "authorization");
    int matches = cJSON_IsTrue(cJSON_GetObjectItem(auth, "matches"));

    ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(auth, "present")));
    cJSON_Delete(list);
    return matches;
}

/* A judge on another provider gets its own key (judge_api_key_env) while the
 * agent keeps its own; unset, the judge sends the agent's. The judge's key
 * never shows: its answer repeats it, and the PASS line, the log and the
 * trajectory say [redacted]. */
TEST(the_judge_sends_its_own_api_key_and_never_shows_it)
{
    static const char judge_key[] = "judge-key-7f3a9c";
    struct xt_mserver agent, judge;
    const char *env[] = {"XTARS_API_KEY=agent-key-51d0e2", "XT_JUDGE_KEY=judge-key-7f3a9c", NULL};
    const char *agent_env[] = {"XT_EXPECTED_KEY=agent-key-51d0e2", NULL};
    const char *judge_env[] = {"XT_EXPECTED_KEY=judge-key-7f3a9c", NULL};
    char judge_endpoint[160], *steps;
    struct xt_result r;

    xt_mserver_start(&agent, "[{\"reply\": \"Action: finished(content='done')\", \"repeat\": 2}]", agent_env);
    xt_mserver_start(&judge, "[{\"reply\": \"{\\\"pass\\\": true, \\\"reason\\\": \\\"grey; the key is "
                             "judge-key-7f3a9c\\\"}\", \"repeat\": 2}]", judge_env);
    snprintf(judge_endpoint, sizeof judge_endpoint, "judge_endpoint=%s", judge.endpoint);
    write_text(tmp("keys.json"), "{\"name\": \"keys\", \"screen\": \"640x400\", " GREY_SETUP ", \"steps\": ["
                                 "{\"instruction\": \"Finish\", \"max_steps\": 1},"
                                 "{\"assert\": \"The screen is grey\"}]}");
    r = xt_run((const char *const[]){"@xtars", "task", "--quiet", "--out", tmp("runs"), "--endpoint",
                                     agent.endpoint, "--set", judge_endpoint, "--set",
                                     "judge_api_key_env=XT_JUDGE_KEY", tmp("keys.json"), NULL},
               env, NULL);
    if (r.status != 0)
        FAIL("task exited %d:\n%s", r.status, r.err);
    ASSERT_EQ(requests(&agent), 1);
    ASSERT_EQ(requests(&judge), 1);
    ASSERT_EQ(auth_matches(&agent, 0), 1);
    ASSERT_EQ(auth_matches(&judge, 0), 1);
    ASSERT_STR_CONTAINS(r.err, "PASS assert The screen is grey: grey; the key is [redacted]");
    ASSERT(strstr(r.err, judge_key) == NULL && strstr(r.out, judge_key) == NULL);
    steps = trajectory_file(&r, "steps.jsonl");
    ASSERT(strstr(steps, judge_key) == NULL);
    ASSERT_STR_CONTAINS(steps, "the key is [redacted]");
    free(steps);
    xt_result_free(&r);
    /* Without judge_api_key_env the judge sends the agent's key. */
    r = xt_run((const char *const[]){"@xtars", "task", "--quiet", "--out", tmp("runs"), "--endpoint",
                                     agent.endpoint, "--set", judge_endpoint, tmp("keys.json"), NULL},
               env, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_EQ(requests(&judge), 2);
    ASSERT_EQ(auth_matches(&agent, 1), 1);
    ASSERT_EQ(auth_matches(&judge, 1), 0);
    xt_result_free(&r);
    xt_mserver_stop(&agent);
    xt_mserver_stop(&judge);
}

TEST(a_query_answer_is_used_by_later_steps)
{
    struct xt_mserver server;
    struct xt_result r;
    char text[8192], *steps;
    int images;

    xt_mserver_start(&server,
                     "[{\"reply\": \"{\\\"data\\\": {\\\"email\\\": \\\"ada@example.org\\\", "
                     "\\\"count\\\": 2}}\"},"
                     " {\"reply\": \"{\\\"pass\\\": true, \\\"reason\\\": \\\"shown\\\"}\"},"
                     " {\"reply\": \"{\\\"email\\\": 42, \\\"count\\\": 1}\"}]", NULL);
    write_text(tmp("query.json"),
               "{\"name\": \"query\", \"screen\": \"640x400\", " GREY_SETUP ", \"steps\": ["
               "{\"query\": \"the email shown\", \"into\": \"who\", \"schema\": {\"type\": \"object\","
               " \"required\": [\"email\", \"count\"], \"properties\": {\"email\": {\"type\": \"string\"},"
               " \"count\": {\"type\": \"integer\"}}}},"
               "{\"check\": \"test ${who.email} = ada@example.org && test ${who.count} = 2\","
               " \"name\": \"the value reached the shell\"},"
               "{\"assert\": \"The address ${who.email} is shown\"},"
               "{\"query\": \"the email again\", \"schema\": {\"type\": \"object\", \"properties\":"
               " {\"email\": {\"type\": \"string\"}}}}]}");
    r = task(&server, NULL, NULL, NULL, tmp("query.json"));
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "[1/4] PASS query the email shown: ${who} = "
                               "{\"email\":\"ada@example.org\",\"count\":2}");
    ASSERT_STR_CONTAINS(r.err, "[2/4] PASS check the value reached the shell");
    ASSERT_STR_CONTAINS(r.err, "[3/4] PASS assert");
    ASSERT_STR_CONTAINS(r.err, "[4/4] FAIL query the email again: $.email: expected string, got number");
    request_facts(&server, 0, text, sizeof text, &images, NULL);
    ASSERT_STR_CONTAINS(text, "the email shown\n\nThe answer must match this JSON Schema:\n"
                              "{\"type\":\"object\",\"required\":[\"email\",\"count\"]");
    request_facts(&server, 1, text, sizeof text, &images, NULL);
    ASSERT_STR_CONTAINS(text, "The address ada@example.org is shown");
    steps = trajectory_file(&r, "steps.jsonl");
    ASSERT_STR_CONTAINS(steps, "check passed: test 'ada@example.org' = ada@example.org && test '2' = 2");
    ASSERT_STR_CONTAINS(steps, "query passed: ${who} = {\\\"email\\\":\\\"ada@example.org\\\"");
    free(steps);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(wait_until_asks_again_only_when_the_screen_changed)
{
    struct xt_mserver server;
    struct xt_result r;
    char *steps;

    xt_mserver_start(&server,
                     "[{\"reply\": \"{\\\"pass\\\": false, \\\"reason\\\": \\\"still grey\\\"}\"},"
                     " {\"reply\": \"{\\\"pass\\\": true, \\\"reason\\\": \\\"green now\\\"}\"}]", NULL);
    /* the app turns the screen green 1.5 s after the check lets it go */
    write_text(tmp("wait.json"),
               "{\"name\": \"wait\", \"screen\": \"640x400\", \"setup\": ["
               "{\"launch\": \"xsetroot -solid '#3b4252'\"},"
               "{\"launch\": \"echo ready; while [ ! -e go ]; do sleep 0.05; done; sleep 1.5; "
               "xsetroot -solid '#a3be8c'; exec sleep 60\", \"wait_for\": \"ready\"}],"
               " \"steps\": [{\"check\": \"touch go\"},"
               "{\"wait_until\": \"The background is green\", \"timeout_ms\": 20000, \"interval_ms\": 100}]}");
    r = task(&server, NULL, NULL, NULL, tmp("wait.json"));
    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "[2/2] PASS wait_until The background is green: green now");
    /* polled every 100 ms for seconds, but asked once per screen */
    ASSERT_EQ(requests(&server), 2);
    steps = trajectory_file(&r, "steps.jsonl");
    ASSERT_EQ(count(steps, "\"judge\": \"wait_until\""), 2);
    free(steps);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(wait_until_times_out_with_the_last_answer)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_mserver_start(&server, "[{\"reply\": \"{\\\"pass\\\": false, \\\"reason\\\": \\\"no dialog\\\"}\"}]",
                     NULL);
    write_text(tmp("timeout.json"),
               "{\"name\": \"timeout\", \"screen\": \"640x400\", " GREY_SETUP ", \"steps\": ["
               "{\"wait_until\": \"A dialog is open\", \"timeout_ms\": 1500, \"interval_ms\": 100}]}");
    r = task(&server, NULL, NULL, NULL, tmp("timeout.json"));
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "[1/1] FAIL wait_until A dialog is open: timed out after 1500 ms; "
                               "last answer: no dialog");
    ASSERT_EQ(requests(&server), 1); /* the screen never changed */
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* ---- cached runs of examples/gui-test ---- */

static const char *example_task(void)
{
    static char path[900];
    snprintf(path, sizeof path, "%s/examples/gui-test/task.json", XT_SOURCE_DIR);
    return path;
}

static char *example_text(const char *file)
{
    char path[900];
    snprintf(path, sizeof path, "%s/examples/gui-test/%s", XT_SOURCE_DIR, file);
    return xt_slurp(path);
}

/* The example's script with click coordinates moved by (dx, dy), from
 * script entry `first` on (JSON text, caller frees). */
static char *script_moved(int dx, int dy, int first)
{
    char *text = example_text("script.json");
    cJSON *list = cJSON_Parse(text), *out = cJSON_CreateArray(), *e;
    int i = 0;

    ASSERT(list != NULL);
    cJSON_ArrayForEach(e, list) {
        cJSON *reply = cJSON_GetObjectItem(e, "reply");
        char moved[2048], *p;
        int x, y, n;
        if (i++ < first)
            continue;
        snprintf(moved, sizeof moved, "%s", reply->valuestring);
        if ((p = strstr(moved, "start_box='(")) != NULL &&
            sscanf(p, "start_box='(%d,%d)')%n", &x, &y, &n) == 2) {
            char rest[1024];
            snprintf(rest, sizeof rest, "%s", p + n);
            snprintf(p, sizeof moved - (size_t)(p - moved), "start_box='(%d,%d)')%s", x + dx, y + dy,
                     rest);
        }
        cJSON_AddItemToArray(out, cJSON_CreateString(moved));
    }
    free(text);
    text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(list);
    return text;
}

static struct xt_result cached_run(const char *script, const char *mode, const char *file,
                                   int want_requests)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_mserver_start(&server, script, NULL);
    r = task(&server, tmp("cache"), mode, NULL, file);
    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "\"passed\": true, \"steps_passed\": 4");
    ASSERT_EQ(requests(&server), want_requests);
    xt_mserver_stop(&server);
    return r;
}

/* Replaces a cached screenshot with a white one of the same size: a screen
 * the replay verifier cannot match. */
static void whiten(const char *path)
{
    struct xtars_image img, white;
    struct xtars_buf b, png;
    char err[XTARS_ERRLEN];
    FILE *f;

    xtars_image_init(&img);
    xtars_image_init(&white);
    xtars_buf_init(&png, 1 << 26);
    ASSERT_EQ(xtars_buf_read_file(&b, path, 1 << 26, err), XTARS_OK);
    ASSERT_EQ(xtars_image_decode(b.data, b.len, &img, err), XTARS_OK);
    ASSERT_EQ(xtars_image_alloc(&white, img.width, img.height, err), XTARS_OK);
    memset(white.pixels, 255, (size_t)white.stride * (size_t)white.height);
    ASSERT_EQ(xtars_image_encode_png(&white, 1, &png, err), XTARS_OK);
    f = fopen(path, "wb");
    ASSERT(f != NULL);
    fwrite(png.data, 1, png.len, f);
    fclose(f);
    xtars_buf_cleanup(&b);
    xtars_buf_cleanup(&png);
    xtars_image_cleanup(&img);
    xtars_image_cleanup(&white);
}

/* The cache entry directory of the instruction (named s001-instruction-*). */
static void instruction_entry(char *out, size_t size)
{
    struct xt_result r = xt_run((const char *const[]){"sh", "-c", "ls -d \"$0\"/s001-instruction-*",
                                                      tmp("cache"), NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    r.out[strcspn(r.out, "\n")] = '\0';
    snprintf(out, size, "%s", r.out);
    xt_result_free(&r);
}

TEST(cached_runs_replay_without_the_model_and_heal)
{
    char *script = example_text("script.json"), *steps, *moved_task, entry[1000], shot[1100];
    const char *down = "[{\"status\": 500, \"repeat\": 1000}]";
    struct xt_result r;

    /* 1: no cache yet: the model does everything, the cache is written */
    r = cached_run(script, NULL, example_task(), 9);
    ASSERT_STR_CONTAINS(r.err, "cache: no entry s001-instruction-");
    ASSERT_STR_CONTAINS(r.err, "cache: 3 entries written");
    xt_result_free(&r);

    /* 2: the endpoint is down, the app unchanged: no request at all */
    r = cached_run(down, "read-only", example_task(), 0);
    ASSERT_STR_CONTAINS(r.err, "[1/4] PASS instruction");
    ASSERT_STR_CONTAINS(r.err, "cache: 7 steps replayed");
    ASSERT(strstr(r.err, "entries written") == NULL); /* read-only */
    steps = trajectory_file(&r, "steps.jsonl");
    ASSERT_EQ(count(steps, "\"origin\": \"cache\""), 9);
    ASSERT_EQ(count(steps, "\"model\": {"), 0);
    free(steps);
    steps = trajectory_file(&r, "report.html");
    ASSERT_EQ(count(steps, "<span class=\"badge origin cached\""), 9);
    free(steps);
    xt_result_free(&r);

    /* 3: the cache stops verifying at its third step: two replayed, then the
     * model (told of them: 2 screenshots of history + the live one) */
    instruction_entry(entry, sizeof entry);
    snprintf(shot, sizeof shot, "%s/step-0003.png", entry);
    whiten(shot);
    free(script);
    script = script_moved(0, 0, 2);
    {
        struct xt_mserver server;
        char text[64];
        int images = 0;
        xt_mserver_start(&server, script, NULL);
        r = task(&server, tmp("cache"), NULL, NULL, example_task());
        if (r.status != 0)
            FAIL("xtars task exited %d:\n%s", r.status, r.err);
        ASSERT_EQ(requests(&server), 5); /* the asserts and queries still verify */
        request_facts(&server, 0, text, sizeof text, &images, NULL);
        ASSERT_EQ(images, 3);
        xt_mserver_stop(&server);
    }
    ASSERT_STR_CONTAINS(r.err, "cache: 2 steps replayed, then the model took over (step 3 diverged "
                               "from recorded step 3");
    xt_result_free(&r);

    /* 4: the app moved: nothing verifies, the model does it all and passes,
     * and the cache is re-recorded ... */
    moved_task = example_text("task.json");
    ASSERT(strstr(moved_task, "+320+200") != NULL);
    memcpy(strstr(moved_task, "+320+200"), "+100+100", 8);
    write_text(tmp("moved.json"), moved_task);
    free(script);
    script = script_moved(-220, -100, 0);
    r = cached_run(script, NULL, tmp("moved.json"), 9);
    ASSERT_STR_CONTAINS(r.err, "cache: 0 steps replayed, then the model took over");
    ASSERT_STR_CONTAINS(r.err, "cache: 3 entries written");
    xt_result_free(&r);

    /* 5: ... so the moved app now passes with the endpoint down */
    r = cached_run(down, NULL, tmp("moved.json"), 0);
    xt_result_free(&r);
    free(moved_task);
    free(script);
}
