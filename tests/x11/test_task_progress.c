/* The agent's progress lines during `xtars task` (issue 18 point 5), read
 * from stderr as a user sees them: each instruction counts its own steps
 * against its own max_steps ("step 1/2 (trajectory step 5)", never
 * "step 5/2"), and a typed newline shows as U+23CE, not as a space. A
 * two-instruction task with a literal action between them, on the task's
 * own Xvfb, against the scripted model server. */
#include <stdio.h>
#include <stdlib.h>

#include "mserver.h"
#include "run.h"
#include "test.h"

#define ENTER "\xe2\x8f\x8e" /* U+23CE, what a progress line shows for "\n" */

static const char *const task_json =
    "{\"name\": \"two instructions\", \"screen\": \"320x240\", \"steps\": [\n"
    "  {\"instruction\": \"first\", \"max_steps\": 3},\n"
    "  {\"action\": \"wait()\"},\n"
    "  {\"instruction\": \"second\", \"max_steps\": 2}\n"
    "]}\n";

/* Three replies for the first instruction, two for the second. */
static const char *const script =
    "[\"Thought: two lines\\nAction: type(content='hi\\\\nthere\\\\n')\","
    " \"Action: hover(start_box='(10,10)')\","
    " \"Action: finished(content='one')\","
    " \"Action: hover(start_box='(20,20)')\","
    " \"Action: finished(content='two')\"]";

/* Each "step N/M" of the progress lines in text, in order. */
static int counters(const char *text, int n[][2], int max)
{
    int count = 0;

    for (const char *p = text; (p = strstr(p, "xtars: step ")) != NULL; p++) {
        ASSERT(count < max);
        if (sscanf(p, "xtars: step %d/%d", &n[count][0], &n[count][1]) != 2)
            FAIL("not a step counter: %.60s", p);
        count++;
    }
    return count;
}

TEST(each_instruction_counts_its_own_steps_and_newlines_show)
{
    struct xt_mserver server;
    struct xt_result r;
    const char *file = xt_tmp_path("two.json");
    static const int expected[][2] = {{1, 3}, {2, 3}, {3, 3}, {1, 2}, {2, 2}};
    int seen[16][2], count;
    char endpoint[200];

    xt_write_text(file, task_json);
    xt_mserver_start(&server, script, NULL);
    snprintf(endpoint, sizeof endpoint, "%s", server.endpoint);
    r = xt_run((const char *const[]){"@xtars", "task", "--out", xt_tmp_path("runs"), "--endpoint",
                                     endpoint, file, NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("xtars task exited %d:\n%s", r.status, r.err);
    count = counters(r.err, seen, 16);
    if (count != 5)
        FAIL("%d progress lines, not 5:\n%s", count, r.err);
    for (int i = 0; i < count; i++)
        if (seen[i][0] != expected[i][0] || seen[i][1] != expected[i][1])
            FAIL("progress line %d says step %d/%d, not %d/%d:\n%s", i + 1, seen[i][0], seen[i][1],
                 expected[i][0], expected[i][1], r.err);
    /* the second instruction's steps are the trajectory's 5th and 6th: the
     * literal action was the 4th */
    ASSERT_STR_CONTAINS(r.err, "step 1/2 (trajectory step 5)  hover");
    ASSERT_STR_CONTAINS(r.err, "step 2/2 (trajectory step 6)  finished");
    ASSERT_STR_CONTAINS(r.err, "step 1/3  type 'hi" ENTER "there" ENTER "'  capture");
    ASSERT(strstr(r.err, "hi there") == NULL);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}
