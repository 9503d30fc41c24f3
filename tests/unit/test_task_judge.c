/* Task questions without a model or a screen: reading assert and query
 * answers (fences, thoughts, schemas), ${variables} quoted for where they
 * go, and task cache entries as untrusted input. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test.h"
#include "agent/base/files.h"
#include "agent/config/config_internal.h"
#include "agent/run/task_cache.h"
#include "agent/run/task_judge.h"

static void verdict(const char *reply, int want_pass, const char *want_reason)
{
    char reason[200], err[XTARS_ERRLEN];
    int pass = -1;

    if (xtars_judge_parse_verdict(reply, &pass, reason, sizeof reason, err) != XTARS_OK)
        FAIL("%s: %s", reply, err);
    ASSERT_EQ(pass, want_pass);
    ASSERT_STR_EQ(reason, want_reason);
}

static void bad_verdict(const char *reply, const char *want_err)
{
    char reason[200], err[XTARS_ERRLEN];
    int pass = -1;

    ASSERT_EQ(xtars_judge_parse_verdict(reply, &pass, reason, sizeof reason, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, want_err);
    ASSERT_EQ(pass, 0);
}

TEST(verdicts_are_read_from_what_models_write)
{
    verdict("{\"pass\": true, \"reason\": \"it says Thanks, Ada\"}", 1, "it says Thanks, Ada");
    verdict("```json\n{\"pass\": false, \"reason\": \"no dialog\"}\n```", 0, "no dialog");
    verdict("Thought: the form shows the name.\n{\"pass\": true, \"reason\": \"shown\"}", 1, "shown");
    verdict("<think>{\"pass\": false}</think>{\"pass\": true, \"reason\": \"r\"}", 1, "r");
    /* Midscene's aiAssert answers {pass, thought} */
    verdict("{\"pass\": false, \"thought\": \"the button is grey\"}", 0, "the button is grey");
    verdict("{\"pass\": true}", 1, "");
    verdict("Sure! {\"pass\": true, \"reason\": \"a } inside\"} Hope that helps.", 1, "a } inside");
}

TEST(unusable_verdicts_say_why_in_one_line)
{
    bad_verdict("Yes, it does.", "the answer is not the JSON asked for: \"Yes, it does.\"");
    bad_verdict("{\"pass\": \"yes\"}", "the answer has no \"pass\": true or false");
    bad_verdict("[true]", "the answer has no \"pass\": true or false");
    bad_verdict("line one\nline two {", "the answer is not the JSON asked for: \"line one line two {\"");
    bad_verdict("", "the answer is not the JSON asked for: \"\"");
}

static char *answer(const char *reply, const char *schema, xtars_err want, char *err)
{
    char *value = NULL;

    ASSERT_EQ(xtars_judge_parse_answer(reply, schema, &value, err), want);
    if (want != XTARS_OK)
        ASSERT(value == NULL);
    return value;
}

TEST(query_answers_are_checked_against_the_schema)
{
    const char *person = "{\"type\":\"object\",\"required\":[\"email\",\"age\"],\"properties\":"
                         "{\"email\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"},"
                         "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                         "\"plan\":{\"enum\":[\"free\",\"pro\"]}}}";
    char err[XTARS_ERRLEN], *v;

    v = answer("```json\n{\"email\": \"ada@example.org\", \"age\": 36}\n```", person, XTARS_OK, err);
    ASSERT_STR_EQ(v, "{\"email\":\"ada@example.org\",\"age\":36}");
    free(v);
    v = answer("{\"data\": {\"email\": \"a@b\", \"age\": 1}, \"errors\": []}", person, XTARS_OK, err);
    ASSERT_STR_EQ(v, "{\"email\":\"a@b\",\"age\":1}"); /* Midscene's aiQuery wrapper */
    free(v);
    answer("{\"email\": \"a@b\"}", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$: the required key \"age\" is missing");
    answer("{\"email\": 5, \"age\": 1}", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$.email: expected string, got number");
    answer("{\"email\": \"a\", \"age\": 1.5}", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$.age: expected integer, got number");
    answer("{\"email\": \"a\", \"age\": 1, \"tags\": [\"x\", 2]}", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$.tags[1]: expected string, got number");
    answer("{\"email\": \"a\", \"age\": 1, \"plan\": \"gold\"}", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$.plan: not one of the values the schema's enum allows");
    answer("[1, 2]", person, XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$: expected object, got array");
    v = answer("Thought: it is shown.\n\"ada@example.org\"", "{\"type\":\"string\"}", XTARS_EPARSE,
               err); /* prose before a bare string: not the JSON asked for */
    ASSERT_STR_CONTAINS(err, "the answer is not the JSON asked for");
    v = answer("\"ada@example.org\"", "{\"type\":[\"string\",\"null\"]}", XTARS_OK, err);
    ASSERT_STR_EQ(v, "\"ada@example.org\"");
    free(v);
    answer("3", "{\"type\":[\"string\",\"null\"]}", XTARS_EPARSE, err);
    ASSERT_STR_EQ(err, "$: expected [\"string\",\"null\"], got number");
    v = answer("[1, {\"a\": null}]", NULL, XTARS_OK, err); /* no schema: any JSON */
    ASSERT_STR_EQ(v, "[1,{\"a\":null}]");
    free(v);
}

static struct xtars_judge *judge_with_vars(void)
{
    struct xtars_config cfg;
    struct xtars_judge *j;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&cfg);
    ASSERT_EQ(xtars_judge_new(&cfg, &j, err), XTARS_OK);
    ASSERT_EQ(xtars_judge_set_var(j, "email", "\"ada@example.org\"", err), XTARS_OK);
    ASSERT_EQ(xtars_judge_set_var(j, "evil", "\"it's $(rm -rf ~) \\\"x\\\"\\nend\"", err), XTARS_OK);
    ASSERT_EQ(xtars_judge_set_var(j, "who", "{\"name\":\"Ada\",\"age\":36}", err), XTARS_OK);
    return j;
}

static void expands(const struct xtars_judge *j, const char *text, enum xtars_judge_quoting q,
                    const char *want)
{
    char err[XTARS_ERRLEN], *out = NULL;

    if (xtars_judge_expand(j, text, q, &out, err) != XTARS_OK)
        FAIL("%s: %s", text, err);
    ASSERT_STR_EQ(out, want);
    free(out);
}

TEST(variables_are_quoted_for_where_they_go)
{
    struct xtars_judge *j = judge_with_vars();
    char err[XTARS_ERRLEN], *out = (char *)1;

    expands(j, "Check ${email} twice: ${email}.", XTARS_QUOTE_NONE,
            "Check ada@example.org twice: ada@example.org.");
    expands(j, "${who.name} is ${who.age}; all: ${who}", XTARS_QUOTE_NONE,
            "Ada is 36; all: {\"name\":\"Ada\",\"age\":36}");
    /* one shell word whatever the model read off the screen */
    expands(j, "grep -q ${evil} f", XTARS_QUOTE_SHELL, "grep -q 'it'\\''s $(rm -rf ~) \"x\"\nend' f");
    expands(j, "type(content='${evil}')", XTARS_QUOTE_CALL,
            "type(content='it\\'s $(rm -rf ~) \\\"x\\\"\\nend')");
    /* not references: kept as they are */
    expands(j, "cost ${ 5 } and ${} and ${1x} and $HOME and ${email", XTARS_QUOTE_SHELL,
            "cost ${ 5 } and ${} and ${1x} and $HOME and ${email");
    expands(j, "", XTARS_QUOTE_NONE, "");
    ASSERT_EQ(xtars_judge_expand(j, "mail ${mail}", XTARS_QUOTE_NONE, &out, err), XTARS_ECONFIG);
    ASSERT(out == NULL);
    ASSERT_STR_EQ(err, "unknown variable ${mail}: no query before this step stored it (with \"into\")");
    ASSERT_EQ(xtars_judge_expand(j, "${who.email}", XTARS_QUOTE_NONE, &out, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "${who.email}: the value of ${who} has no member 'email'");
    ASSERT_EQ(xtars_judge_expand(j, "${email.x}", XTARS_QUOTE_NONE, &out, err), XTARS_ECONFIG);
    ASSERT_EQ(xtars_judge_set_var(j, "bad", "{not json", err), XTARS_EPARSE);
    xtars_judge_free(j);
    xtars_judge_free(NULL);
}

/* ---- the cache as untrusted input ---- */

static struct xtars_task_cache *open_cache(const char *name, int mode)
{
    struct xtars_task_cache *c;
    char dir[700], err[XTARS_ERRLEN];

    snprintf(dir, sizeof dir, "%s/%s", xt_tmpdir(), name);
    ASSERT_EQ(xtars_task_cache_open(dir, mode, 0, "demo task", &c, err), XTARS_OK);
    return c;
}

static void put(const char *cache, const char *key, const char *file, const char *text)
{
    char path[900], err[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/%s/%s", xt_tmpdir(), cache, key);
    ASSERT_EQ(xtars_mkdir_p(path, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/%s/%s/%s", xt_tmpdir(), cache, key, file);
    ASSERT_EQ(xtars_write_file_atomic(path, text, strlen(text), err), XTARS_OK);
}

#define RUN_JSON(source, steps)                                                                  \
    "{\"format\": \"xtars-trajectory\", \"version\": 1, \"source\": \"" source "\", "             \
    "\"steps\": " #steps ", \"screen\": {\"width\": 640, \"height\": 400}, \"target\": {\"x\": 0, \"y\": 0, \"width\": 640, \"height\": 400}}"

static void miss(struct xtars_task_cache *c, const char *key, const char *want)
{
    struct xtars_traj_run run;
    char why[XTARS_ERRLEN];

    ASSERT_NE(xtars_task_cache_load(c, key, &run, why), XTARS_OK);
    ASSERT_STR_CONTAINS(why, want);
    ASSERT(run.steps == NULL && run.step_count == 0);
}

TEST(cache_keys_name_the_step_and_change_with_its_text)
{
    struct xtars_task_cache *c = open_cache("keys", XTARS_CACHE_READ_WRITE);
    char a[XTARS_TASK_CACHE_KEY_LEN], b[XTARS_TASK_CACHE_KEY_LEN], d[XTARS_TASK_CACHE_KEY_LEN];
    int mode = -1;

    xtars_task_cache_key(c, 2, "assert", "The form says Thanks", a);
    xtars_task_cache_key(c, 2, "assert", "The form says Thanks!", b);
    xtars_task_cache_key(c, 2, "assert", "The form says Thanks", d);
    ASSERT_EQ(strncmp(a, "s003-assert-", 12), 0);
    ASSERT_EQ(strlen(a), 12 + 16);
    ASSERT_EQ(strspn(a + 12, "0123456789abcdef"), 16);
    ASSERT(strcmp(a, b) != 0);
    ASSERT_STR_EQ(a, d);
    ASSERT_EQ(xtars_task_cache_mode_from_name("read-only", &mode), XTARS_OK);
    ASSERT_EQ(mode, XTARS_CACHE_READ_ONLY);
    ASSERT_EQ(xtars_task_cache_mode_from_name("readonly", &mode), XTARS_EUSAGE);
    xtars_task_cache_free(c);
}

TEST(bad_cache_entries_are_misses_with_a_reason)
{
    struct xtars_task_cache *c = open_cache("bad", XTARS_CACHE_READ_WRITE);
    struct xtars_task_cache *fresh = open_cache("bad", XTARS_CACHE_REFRESH);
    const char *step = "{\"step\": 1, \"screenshot\": \"step-0001.png\", \"actions\": []}\n";

    miss(c, "s001-instruction-0000000000000000", "no entry");
    put("bad", "k1", "run.json", "{not json");
    miss(c, "k1", "entry k1 is unusable");
    put("bad", "k2", "run.json", RUN_JSON("run", 1));
    put("bad", "k2", "steps.jsonl", step);
    miss(c, "k2", "not a task cache entry");
    put("bad", "k3", "run.json", RUN_JSON("task-cache", 1));
    put("bad", "k3", "steps.jsonl", "{\"step\": 1, \"screenshot\": \"../../etc/passwd\"}\n");
    miss(c, "k3", "bad screenshot name");
    put("bad", "k4", "run.json", RUN_JSON("task-cache", 2));
    put("bad", "k4", "steps.jsonl", step);
    miss(c, "k4", "holds 1 steps of 2");
    put("bad", "k5", "run.json", RUN_JSON("task-cache", 1));
    put("bad", "k5", "steps.jsonl", "{\"step\": 1, \"actions\": []}\n");
    miss(c, "k5", "step 1 has no screenshot");
    put("bad", "k6", "run.json", RUN_JSON("task-cache", 1));
    put("bad", "k6", "steps.jsonl", step);
    {
        struct xtars_traj_run run;
        char why[XTARS_ERRLEN];
        ASSERT_EQ(xtars_task_cache_load(c, "k6", &run, why), XTARS_OK); /* the good one */
        ASSERT_EQ(run.step_count, 1);
        xtars_traj_run_cleanup(&run);
    }
    miss(fresh, "k6", "refreshing");
    xtars_task_cache_free(c);
    xtars_task_cache_free(fresh);
}

TEST(read_only_creates_nothing_and_commits_nothing)
{
    struct xtars_task_cache *c;
    char dir[700], err[XTARS_ERRLEN];
    struct stat st;
    int written = -1;

    snprintf(dir, sizeof dir, "%s/none/cache", xt_tmpdir());
    ASSERT_EQ(xtars_task_cache_open(dir, XTARS_CACHE_READ_ONLY, 0, "t", &c, err), XTARS_OK);
    ASSERT_EQ(xtars_task_cache_keep(c, "s001-instruction-0", 1, 3, err), XTARS_OK);
    ASSERT_EQ(xtars_task_cache_commit(c, "/nonexistent", &written, err), XTARS_OK);
    ASSERT_EQ(written, 0);
    ASSERT(stat(dir, &st) != 0);
    xtars_task_cache_free(c);
}
