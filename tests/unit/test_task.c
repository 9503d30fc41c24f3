/* Task files: every step kind, setup entries, and bad files with messages
 * that name the file, the entry and the key. */
#include "test.h"
#include "xtars/buf.h"
#include "agent/run/task.h"

static xtars_err parse(const char *text, struct xtars_task *task, char *err)
{
    return xtars_task_parse("t.json", text, strlen(text), task, err);
}

TEST(every_step_kind_and_setup)
{
    struct xtars_task t;
    char err[XTARS_ERRLEN];
    const char *text =
        "{\"name\": \"form\", \"screen\": \"1280x800\",\n"
        " \"setup\": [{\"launch\": \"xtars-demo-app\", \"wait_for\": \"ready\"},\n"
        "           {\"file\": \"notes.txt\", \"content\": \"hi\\n\"}],\n"
        " \"steps\": [{\"instruction\": \"Fill the form\", \"max_steps\": 8},\n"
        "           {\"action\": \"click(start_box='(10,20)')\", \"family\": \"pixels\", \"name\": \"poke\"},\n"
        "           {\"wait\": 250},\n"
        "           {\"check\": \"test -s form.json\", \"timeout_ms\": 3000}]}";

    if (parse(text, &t, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(t.name, "form");
    ASSERT_STR_EQ(t.path, "t.json");
    ASSERT_EQ(t.width, 1280);
    ASSERT_EQ(t.height, 800);
    ASSERT_EQ(t.setup_count, 2);
    ASSERT_STR_EQ(t.setup[0].launch, "xtars-demo-app");
    ASSERT_STR_EQ(t.setup[0].wait_for, "ready");
    ASSERT_STR_EQ(t.setup[1].file, "notes.txt");
    ASSERT_STR_EQ(t.setup[1].content, "hi\n");
    ASSERT_EQ(t.step_count, 4);
    ASSERT_EQ(t.steps[0].kind, XTARS_TASK_INSTRUCTION);
    ASSERT_STR_EQ(t.steps[0].text, "Fill the form");
    ASSERT_EQ(t.steps[0].max_steps, 8);
    ASSERT_EQ(t.steps[1].kind, XTARS_TASK_ACTION);
    ASSERT_STR_EQ(t.steps[1].text, "click(start_box='(10,20)')");
    ASSERT_STR_EQ(t.steps[1].family, "pixels");
    ASSERT_STR_EQ(t.steps[1].name, "poke");
    ASSERT_EQ(t.steps[2].kind, XTARS_TASK_WAIT);
    ASSERT_EQ(t.steps[2].ms, 250);
    ASSERT_EQ(t.steps[3].kind, XTARS_TASK_CHECK);
    ASSERT_EQ(t.steps[3].ms, 3000);
    ASSERT_STR_EQ(xtars_task_step_kind_name(t.steps[3].kind), "check");
    xtars_task_cleanup(&t);
    xtars_task_cleanup(&t);
}

TEST(defaults)
{
    struct xtars_task t;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse("{\"name\": \"n\", \"steps\": [{\"check\": \"true\"}]}", &t, err), XTARS_OK);
    ASSERT_EQ(t.width, 0);
    ASSERT_EQ(t.setup_count, 0);
    ASSERT_EQ(t.steps[0].ms, 10000);
    ASSERT(t.steps[0].family == NULL);
    xtars_task_cleanup(&t);
}

static void expect_error(const char *text, const char *message)
{
    struct xtars_task t;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse(text, &t, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, message);
    ASSERT(t.steps == NULL && t.name == NULL);
}

TEST(bad_files_name_the_problem)
{
    expect_error("{\"name\": \"n\",\n \"steps\": [ }", "task: t.json line 2: not valid JSON");
    expect_error("[]", "task: t.json: top level must be a JSON object");
    expect_error("{\"steps\": [{\"wait\": 1}]}", "task: t.json: 'name' is required");
    expect_error("{\"name\": \"n\"}", "task: t.json: 'steps' must be a non-empty array");
    expect_error("{\"name\": \"n\", \"steps\": []}", "task: t.json line 1: 'steps' must be a non-empty array");
    expect_error("{\"name\": \"n\", \"stesp\": []}", "task: t.json line 1: unknown key 'stesp' (did you mean 'steps'?)");
    expect_error("{\"name\": \"n\", \"screen\": \"big\", \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: 'screen' must look like 1280x800, not 'big'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait\": 1}, {\"wait\": 1, \"check\": \"x\"}]}",
                 "task: t.json line 1: steps[1]: a step needs exactly one of instruction, action, wait, "
                 "check, assert, query, wait_until");
    expect_error("{\"name\": \"n\", \"steps\": [{}]}",
                 "task: t.json line 1: steps[0]: a step needs exactly one of instruction, action, wait, "
                 "check, assert, query, wait_until");
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait\": -5}]}",
                 "task: t.json line 1: steps[0]: 'wait' must be a whole number from 0 to 3600000");
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait\": 1.5}]}",
                 "task: t.json line 1: steps[0]: 'wait' must be a whole number from 0 to 3600000");
    expect_error("{\"name\": \"n\", \"steps\": [{\"check\": 5}]}",
                 "task: t.json line 1: steps[0]: 'check' must be a string");
    expect_error("{\"name\": \"n\", \"steps\": [{\"instruction\": \"\"}]}",
                 "task: t.json line 1: steps[0]: 'instruction' is empty");
    expect_error("{\"name\": \"n\", \"steps\": [{\"instruction\": \"x\", \"max_step\": 3}]}",
                 "task: t.json line 1: steps[0]: unknown key 'max_step' (did you mean 'max_steps'?)");
    expect_error("{\"name\": \"n\", \"steps\": [\"click\"]}",
                 "task: t.json line 1: steps[0]: a step must be an object");
    expect_error("{\"name\": \"n\", \"setup\": [{\"launch\": \"a\", \"file\": \"b\"}], \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: setup[0]: needs exactly one of launch, file");
    expect_error("{\"name\": \"n\", \"setup\": [{\"file\": \"b\"}], \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: setup[0]: 'file' needs 'content'");
    expect_error("{\"name\": \"n\", \"setup\": {}, \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: 'setup' must be an array");
}

/* A typo in a real, multi-line file: the line of the key itself (not of the
 * first step that has a key of that name), the step, and the suggestion. */
TEST(errors_give_the_line_of_the_key_and_a_suggestion)
{
    expect_error("{\n"
                 "  \"name\": \"n\",\n"
                 "  \"steps\": [\n"
                 "    {\"instruction\": \"a\", \"max_steps\": 3},\n"
                 "    {\"wait\": 100},\n"
                 "    {\"instrucion\": \"b\"}\n"
                 "  ]\n"
                 "}\n",
                 "task: t.json line 6: steps[2]: unknown key 'instrucion' (did you mean "
                 "'instruction'?)");
    expect_error("{\"name\": \"n\",\n"
                 " \"steps\": [{\"instruction\": \"a\", \"max_steps\": 3},\n"
                 "  {\"instruction\": \"b\",\n"
                 "   \"max_steps\": 0}]}",
                 "task: t.json line 4: steps[1]: 'max_steps' must be a whole number from 1 to 100000");
    /* No key at fault: the line where the step starts. */
    expect_error("{\"name\": \"n\",\n \"steps\": [\n{\"wait\": 1},\n\n {}]}",
                 "task: t.json line 5: steps[1]: a step needs exactly one of instruction, action, "
                 "wait, check, assert, query, wait_until");
    /* Nothing near enough: no suggestion. */
    expect_error("{\"name\": \"n\", \"zzzzzz\": 1, \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: unknown key 'zzzzzz'");
    /* A key with the same name earlier in the file does not mislead. */
    expect_error("{\"name\": \"n\", \"setup\": [{\"launch\": \"x\"}],\n"
                 " \"steps\": [{\"wait\": 1},\n {\"launch\": \"y\"}]}",
                 "task: t.json line 3: steps[1]: unknown key 'launch'");
}

TEST(missing_file)
{
    struct xtars_task t;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_task_load("/nonexistent/task.json", &t, err), XTARS_EIO);
    ASSERT_STR_EQ(err, "task: /nonexistent/task.json: No such file or directory");
}

TEST(too_many_steps)
{
    struct xtars_buf b;
    struct xtars_task t;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&b, 1 << 20);
    xtars_buf_puts(&b, "{\"name\": \"n\", \"steps\": [");
    for (int i = 0; i <= XTARS_TASK_MAX_STEPS; i++)
        xtars_buf_printf(&b, "%s{\"wait\": 1}", i ? "," : "");
    xtars_buf_puts(&b, "]}");
    ASSERT_EQ(xtars_task_parse("t.json", b.data, b.len, &t, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "task: t.json line 1: more than 1000 entries in 'steps'");
    xtars_buf_cleanup(&b);
}

/* Found by fuzz_task: with 'screen' given and 'name' missing or empty, the
 * screen string leaked (LeakSanitizer, make test-asan, sees it). */
TEST(missing_name_with_a_screen_leaks_nothing)
{
    expect_error("{\"screen\": \"640x480\", \"steps\": [{\"wait\": 1}]}",
                 "task: t.json: 'name' is required");
    expect_error("{\"name\": \"\", \"screen\": \"640x480\", \"steps\": [{\"wait\": 1}]}",
                 "task: t.json line 1: 'name' is required");
}

/* Found by fuzz_task: a number beyond long's range was converted to long
 * before its range was checked (undefined behaviour, UBSan). */
TEST(huge_numbers_are_range_errors)
{
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait\": 1e300}]}",
                 "task: t.json line 1: steps[0]: 'wait' must be a whole number from 0 to 3600000");
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait\": -1e300}]}",
                 "task: t.json line 1: steps[0]: 'wait' must be a whole number from 0 to 3600000");
}

TEST(questions_assert_query_wait_until)
{
    struct xtars_task t;
    char err[XTARS_ERRLEN];
    const char *text =
        "{\"name\": \"q\", \"steps\": [\n"
        " {\"assert\": \"The form says Thanks\", \"name\": \"thanked\"},\n"
        " {\"query\": \"the email\", \"schema\": {\"type\": \"object\",\n"
        "   \"required\": [\"email\"], \"properties\": {\"email\": {\"type\": \"string\"}}}, \"into\": \"who\"},\n"
        " {\"query\": \"anything\"},\n"
        " {\"wait_until\": \"The dialog has closed\", \"timeout_ms\": 3000, \"interval_ms\": 250},\n"
        " {\"wait_until\": \"Done\"}]}";

    if (parse(text, &t, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_EQ(t.step_count, 5);
    ASSERT_EQ(t.steps[0].kind, XTARS_TASK_ASSERT);
    ASSERT_STR_EQ(t.steps[0].text, "The form says Thanks");
    ASSERT_STR_EQ(xtars_task_step_kind_name(t.steps[0].kind), "assert");
    ASSERT_EQ(t.steps[1].kind, XTARS_TASK_QUERY);
    ASSERT_STR_EQ(t.steps[1].into, "who");
    /* kept as compact JSON text: keys in the file's order */
    ASSERT_STR_EQ(t.steps[1].schema, "{\"type\":\"object\",\"required\":[\"email\"],"
                                     "\"properties\":{\"email\":{\"type\":\"string\"}}}");
    ASSERT(t.steps[2].schema == NULL && t.steps[2].into == NULL);
    ASSERT_EQ(t.steps[3].kind, XTARS_TASK_WAIT_UNTIL);
    ASSERT_STR_EQ(xtars_task_step_kind_name(t.steps[3].kind), "wait_until");
    ASSERT_EQ(t.steps[3].ms, 3000);
    ASSERT_EQ(t.steps[3].interval_ms, 250);
    ASSERT_EQ(t.steps[4].ms, 15000);         /* Midscene's aiWaitFor default */
    ASSERT_EQ(t.steps[4].interval_ms, 1000);
    xtars_task_cleanup(&t);
}

TEST(bad_questions_name_the_problem)
{
    expect_error("{\"name\": \"n\", \"steps\": [{\"assert\": \"\"}]}",
                 "task: t.json line 1: steps[0]: 'assert' is empty");
    expect_error("{\"name\": \"n\", \"steps\": [{\"assert\": \"x\", \"query\": \"y\"}]}",
                 "task: t.json line 1: steps[0]: a step needs exactly one of instruction, action, wait, check, "
                 "assert, query, wait_until");
    expect_error("{\"name\": \"n\", \"steps\": [{\"assert\": \"x\", \"into\": \"v\"}]}",
                 "task: t.json line 1: steps[0]: 'into' goes with 'query'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"check\": \"true\", \"schema\": {}}]}",
                 "task: t.json line 1: steps[0]: 'schema' goes with 'query'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"query\": \"x\", \"interval_ms\": 100}]}",
                 "task: t.json line 1: steps[0]: 'interval_ms' goes with 'wait_until'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"query\": \"x\", \"schema\": \"string\"}]}",
                 "task: t.json line 1: steps[0]: 'schema' must be a JSON Schema object");
    expect_error("{\"name\": \"n\", \"steps\": [{\"query\": \"x\", \"into\": \"my-var\"}]}",
                 "task: t.json line 1: steps[0]: 'into' must be a name of letters, digits and _ (at most 64, "
                 "not starting with a digit), not 'my-var'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"query\": \"x\", \"into\": \"1st\"}]}",
                 "task: t.json line 1: steps[0]: 'into' must be a name of letters, digits and _ (at most 64, "
                 "not starting with a digit), not '1st'");
    expect_error("{\"name\": \"n\", \"steps\": [{\"wait_until\": \"x\", \"interval_ms\": 5}]}",
                 "task: t.json line 1: steps[0]: 'interval_ms' must be a whole number from 10 to 600000");
}
