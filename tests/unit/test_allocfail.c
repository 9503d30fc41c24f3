/* Allocation failures: every parser of untrusted input and the config
 * loader, run with the 1st, 2nd, ... allocation failing until a run meets no
 * failure. Each run must return an error (ENOMEM or the parser's own) or the
 * same result as without failures, never crash, and free everything it
 * allocated (counted here; LeakSanitizer checks again under make test-asan). */
#include "agent/config/config_internal.h"
#include "allocfail.h"
#include "test.h"
#include "agent/reply/action_json.h"
#include "xtars/buf.h"
#include "agent/model/chat.h"
#include "xtars/config.h"
#include "xtars/parse.h"
#include "agent/reply/policy.h"
#include "agent/reply/policy_state.h"
#include "agent/run/task.h"
#include "xtars/trajectory.h"

struct job {
    const char *input;
    size_t len;
    char reference[1 << 14];   /* what the run without failures gives */
    int reference_rc;
    long runs, allocations;
};

/* An error must be one line (the loop shows it as is). */
static void check_error(xtars_err rc, const char *err)
{
    if (rc == XTARS_OK)
        return;
    ASSERT(err[0] != '\0');
    ASSERT(strchr(err, '\n') == NULL);
}

/* First run: fills the reference. Later runs: an OK result must equal it. */
static void compare(struct job *j, xtars_err rc, const char *result)
{
    if (j->runs++ == 0) {
        j->reference_rc = rc;
        snprintf(j->reference, sizeof j->reference, "%s", result ? result : "");
        return;
    }
    if (rc == XTARS_OK && j->reference_rc == XTARS_OK && strcmp(result ? result : "", j->reference))
        FAIL("a run with a failed allocation returned OK with a different result:\n%s\n%s",
             result ? result : "", j->reference);
    if (rc == XTARS_OK && j->reference_rc != XTARS_OK)
        FAIL("a run with a failed allocation returned OK where the input is bad");
}

static void run_job(struct job *j, void (*fn)(void *ctx))
{
    long live;

    xt_alloc_hook_cjson();
    xt_alloc_start(0);
    fn(j); /* the reference run, counted too: it must not leak either */
    j->allocations = xt_alloc_stop(&live);
    ASSERT_EQ(live, 0);
    ASSERT_EQ(xt_alloc_each(fn, j), j->allocations);
    printf("%ld allocations, each made to fail in turn\n", j->allocations);
}

/* ---- the reply parser ---- */

static void parse_reply(void *ctx)
{
    struct job *j = ctx;
    struct xtars_coord_space space = {.family = XTARS_FAMILY_UITARS10, .sent_width = 1932,
                                      .sent_height = 1092, .target = {0, 0, 1920, 1080}};
    struct xtars_reply reply;
    struct xtars_buf json;
    char err[XTARS_ERRLEN] = "";
    xtars_err rc = xtars_parse_reply(j->input, j->len, &space, &reply, err);

    check_error(rc, err);
    xt_alloc_pause(1);
    xtars_buf_init(&json, 1 << 13);
    if (rc == XTARS_OK)
        ASSERT_EQ(xtars_reply_to_json(&reply, &json), XTARS_OK);
    if (rc == XTARS_OK || j->runs == 0)
        compare(j, rc, json.data);
    xtars_buf_cleanup(&json);
    xt_alloc_pause(0);
    xtars_reply_cleanup(&reply);
}

TEST(reply_parser)
{
    static const char *const replies[] = {
        "Thought: Open the menu, then type.\nReflection: the last click missed\n"
        "Action: click(start_box='(197,525)')\n\nhotkey(key='ctrl shift t')\n"
        "type(content='h\\u00e9llo \\\\n world\\n')\n"
        "drag(start_box='<|box_start|>(10,20)<|box_end|>', end_box='(300,400,320,420)')\n"
        "scroll(start_box='(5,5)', direction='down')",
        "Action_Summary: done\nAction: finished(content='it\\'s saved')",
        "Action: clik(start_box='(1,1)')",   /* a parse error: its message allocates too */
    };

    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        struct job j = {.input = replies[i], .len = strlen(replies[i])};
        run_job(&j, parse_reply);
    }
}

/* ---- config ---- */

static void load_config(void *ctx)
{
    struct job *j = ctx;
    struct xtars_config cfg;
    struct xtars_buf json;
    char err[XTARS_ERRLEN] = "";
    xtars_err rc;

    xtars_config_defaults(&cfg);
    rc = xtars_config_load_text(&cfg, "c.json", j->input, j->len, err);
    check_error(rc, err);
    xt_alloc_pause(1);
    xtars_buf_init(&json, 1 << 14);
    if (rc == XTARS_OK)
        ASSERT_EQ(xtars_config_to_json(&cfg, 1, &json), XTARS_OK);
    if (rc == XTARS_OK || j->runs == 0)
        compare(j, rc, json.data);
    xtars_buf_cleanup(&json);
    xt_alloc_pause(0);
}

TEST(config_loader)
{
    static const char *const configs[] = {
        "{\"endpoint\": \"https://api.example.com/v1\", \"model\": \"m\", \"family\": \"doubao\",\n"
        " \"extra_headers\": {\"X-Team\": \"ui\", \"X-Other\": \"${HOME}\"}, \"max_pixels\": 2359296,\n"
        " \"temperature\": 0.5, \"stream\": true, \"image_format\": \"jpeg\", \"log_level\": \"debug\"}",
        "{\"max_step\": 3}",
        "{\"max_steps\": \"three\"}",
    };

    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        struct job j = {.input = configs[i], .len = strlen(configs[i])};
        run_job(&j, load_config);
    }
}

/* ---- task files ---- */

static void parse_task(void *ctx)
{
    struct job *j = ctx;
    struct xtars_task task;
    struct xtars_buf summary;
    char err[XTARS_ERRLEN] = "";
    xtars_err rc = xtars_task_parse("t.json", j->input, j->len, &task, err);

    check_error(rc, err);
    xt_alloc_pause(1);
    xtars_buf_init(&summary, 1 << 14);
    for (int i = 0; rc == XTARS_OK && i < task.step_count; i++)
        ASSERT_EQ(xtars_buf_printf(&summary, "%d %s %s %d|", task.steps[i].kind,
                                   task.steps[i].text ? task.steps[i].text : "-",
                                   task.steps[i].name ? task.steps[i].name : "-", task.steps[i].ms),
                  XTARS_OK);
    if (rc == XTARS_OK || j->runs == 0)
        compare(j, rc, summary.data);
    xtars_buf_cleanup(&summary);
    xt_alloc_pause(0);
    xtars_task_cleanup(&task);
}

TEST(task_loader)
{
    static const char text[] =
        "{\"name\": \"every kind\", \"screen\": \"640x480\",\n"
        " \"setup\": [{\"file\": \"notes.txt\", \"content\": \"a\"}, {\"launch\": \"xclient\", \"wait_for\": \"ready\"}],\n"
        " \"steps\": [{\"instruction\": \"Open the notes\", \"max_steps\": 5},\n"
        "  {\"action\": \"click(start_box='(10,10)')\", \"family\": \"uitars-1.0\"},\n"
        "  {\"wait\": 100, \"name\": \"pause\"}, {\"check\": \"test -f notes.txt\", \"timeout_ms\": 2000}]}";
    struct job j = {.input = text, .len = sizeof text - 1};

    run_job(&j, parse_task);
}

/* ---- policy files ---- */

static void parse_policy(void *ctx)
{
    struct job *j = ctx;
    struct xtars_policy *policy = NULL;
    char err[XTARS_ERRLEN] = "", count[32];
    xtars_err rc = xtars_policy_parse("p.json", j->input, j->len, &policy, err);

    check_error(rc, err);
    snprintf(count, sizeof count, "%d", rc == XTARS_OK ? xtars_policy_rule_count(policy) : -1);
    compare(j, rc, count);
    xtars_policy_free(policy);
}

TEST(policy_loader)
{
    static const char text[] =
        "{\"rules\": [{\"effect\": \"allow\", \"types\": [\"type\"], \"text\": \"^ls$\"},"
        " {\"effect\": \"deny\", \"types\": [\"hotkey\"], \"keys\": \"ctrl alt f1\"},"
        " {\"effect\": \"confirm\", \"region\": {\"x\": 0, \"y\": 0, \"width\": 10, \"height\": 10}}]}";
    struct job j = {.input = text, .len = sizeof text - 1};

    run_job(&j, parse_policy);
}

/* ---- trajectories ---- */

static void parse_traj(void *ctx)
{
    struct job *j = ctx;
    const char *split = memchr(j->input, '\f', j->len);
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN] = "", summary[1024];
    xtars_err rc = xtars_traj_parse("t", j->input, (size_t)(split - j->input), split + 1,
                                    j->len - (size_t)(split - j->input) - 1, &run, err);

    check_error(rc, err);
    snprintf(summary, sizeof summary, "%d steps, %d actions in the last, warning '%s'",
             run.step_count, run.step_count ? run.steps[run.step_count - 1].action_count : 0,
             run.warning);
    /* A failed strdup of an optional text reads as "absent", and cJSON
     * cannot tell a failed allocation from bad JSON, so a line it could not
     * parse ends the steps read with a warning (docs/reliability.md). Either
     * the same steps, or fewer with a warning naming the line. */
    if (rc != XTARS_OK || j->runs == 0)
        compare(j, rc, summary);
    else if (strcmp(summary, j->reference) != 0 && strstr(run.warning, "steps.jsonl line ") == NULL)
        FAIL("trajectory read differently under allocation failure: %s vs %s", summary, j->reference);
    xtars_traj_run_cleanup(&run);
}

TEST(trajectory_reader)
{
    struct xtars_buf text;
    char err[XTARS_ERRLEN];
    struct job *j = calloc(1, sizeof *j);

    if (xtars_buf_read_file(&text, xt_data_path("fuzz/traj/run.traj"), 1 << 20, err) != XTARS_OK)
        FAIL("%s", err);
    j->input = text.data;
    j->len = text.len;
    run_job(j, parse_traj);
    ASSERT_STR_CONTAINS(j->reference, "5 steps");
    xtars_buf_cleanup(&text);
    free(j);
}

/* ---- chat completions ---- */

static void parse_chat(void *ctx)
{
    struct job *j = ctx;
    struct xtars_chat_result r;
    char err[XTARS_ERRLEN] = "";
    xtars_err rc;

    xtars_chat_result_init(&r, 1 << 16);
    rc = xtars_chat_parse_json(j->input, j->len, &r, err);
    check_error(rc, err);
    if (rc == XTARS_OK || j->runs == 0)
        compare(j, rc, r.text.data);
    xtars_chat_result_cleanup(&r);
}

TEST(chat_completion_reader)
{
    static const char text[] =
        "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"Action: finished()\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}";
    struct job j = {.input = text, .len = sizeof text - 1};

    run_job(&j, parse_chat);
}

/* ---- the stateful policy following a long line ---- */

/* Text typed into a terminal is followed character by character; the line
 * it builds grows by doubling. It once grew one byte per character, a
 * realloc each: 10,000 characters were 10,000 reallocations, and a fuzzed
 * stream of long lines allocated 2.8 GB (docs/reliability.md). */
TEST(policy_state_follows_a_long_line_in_few_allocations)
{
    struct xtars_policy *policy = NULL;
    struct xtars_policy_state *state = NULL;
    struct xtars_policy_input in = {.window = 1, .wm_instance = "xterm", .wm_class = "XTerm"};
    struct xtars_action a = {.type = XTARS_ACTION_TYPE};
    char err[XTARS_ERRLEN], reason[200], *text = malloc(10001);
    long live, allocations;

    ASSERT(text != NULL);
    memset(text, 'a', 10000);
    text[10000] = '\0';
    a.text = text;
    ASSERT_EQ(xtars_policy_new_default(&policy, err), XTARS_OK);
    ASSERT_EQ(xtars_policy_state_new(policy, XTARS_POLICY_MODE_DEFAULT, &state, err), XTARS_OK);
    xt_alloc_start(0);
    ASSERT_EQ(xtars_policy_state_check(state, &a, &in, reason, sizeof reason), XTARS_POLICY_ALLOW);
    allocations = xt_alloc_stop(&live);
    printf("%ld allocations to follow 10000 typed characters\n", allocations);
    ASSERT_LT(allocations, 200);
    xtars_policy_state_free(state);
    xtars_policy_free(policy);
    free(text);
}
