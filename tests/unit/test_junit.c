/* JUnit XML (agent/run/junit.c) as CI reads it: each document is parsed by
 * a real XML parser (Python's ElementTree, tests/support/junit_check.py),
 * which also checks the counts against the cases; then the cases, the
 * failure messages and the escaping of hostile text are compared with what
 * was put in. The batch's report is made by the xtars binary from recorded
 * results; the task's, which needs a display, is in tests/x11/test_task_junit.c. */
#include <stdio.h>
#include <sys/stat.h>

#include "agent/run/junit.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"

#define CHECKER XT_SOURCE_DIR "/tests/support/junit_check.py"

/* The checker's summary of path; aborts the test when it rejects the file. */
static struct xt_result check(const char *path)
{
    struct xt_result r = xt_run((const char *const[]){"python3", CHECKER, path, NULL}, NULL, NULL);

    if (r.status != 0)
        FAIL("junit_check rejected %s: %s", path, r.err);
    return r;
}

TEST(the_checker_rejects_what_xml_forbids)
{
    /* The validator must be able to fail: a raw control character, an
     * unescaped '<' in a name, and counts that lie. */
    const char *bad[] = {
        "<testsuites tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\"><testsuite "
        "name=\"a\x01\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\"/></testsuites>",
        "<testsuites><testsuite name=\"</testcase>\"/></testsuites>",
        "<testsuites tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\"><testsuite "
        "name=\"a\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\"><testcase "
        "name=\"x\" classname=\"a\" time=\"0\"/></testsuite></testsuites>",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct xt_result r;
        xt_write_text(xt_tmp_path("bad.xml"), bad[i]);
        r = xt_run((const char *const[]){"python3", CHECKER, xt_tmp_path("bad.xml"), NULL}, NULL, NULL);
        ASSERT_EQ(r.status, 1);
        xt_result_free(&r);
    }
}

TEST(counts_outcomes_and_hostile_text)
{
    struct xtars_junit *j = NULL;
    struct xtars_buf doc;
    char err[XTARS_ERRLEN];
    struct xt_result r;
    /* A name that closes the element, control characters XML 1.0 cannot
     * hold, invalid UTF-8, U+FFFF, quotes, a CR, and "]]>". */
    const char *hostile = "</testcase><script>\"'&\x01\x1b[0m\xff\xef\xbf\xbf\r]]>";

    ASSERT_EQ(xtars_junit_new("run & <all>", &j), XTARS_OK);
    ASSERT_EQ(xtars_junit_suite(j, hostile, "tasks/t.json", "runs/t \"1\""), XTARS_OK);
    ASSERT_EQ(xtars_junit_case(j, &(struct xtars_junit_case){.name = "1. wait 10 ms", .time_s = 0.5}),
              XTARS_OK);
    ASSERT_EQ(xtars_junit_case(j, &(struct xtars_junit_case){
                  .name = hostile, .outcome = XTARS_JUNIT_FAILED, .type = "check",
                  .message = "exit status 3\nsecond line", .output = "out\nput\x02",
                  .trajectory = "runs/t", .attachment = "runs/t/report.html"}),
              XTARS_OK);
    ASSERT_EQ(xtars_junit_case(j, &(struct xtars_junit_case){
                  .name = "3. check later", .outcome = XTARS_JUNIT_SKIPPED,
                  .message = "not run: step 2 did not pass"}),
              XTARS_OK);
    ASSERT_EQ(xtars_junit_suite(j, "second", NULL, NULL), XTARS_OK);
    ASSERT_EQ(xtars_junit_case(j, &(struct xtars_junit_case){
                  .name = "load", .outcome = XTARS_JUNIT_ERROR, .type = "model_error",
                  .message = "model: HTTP 500"}),
              XTARS_OK);
    ASSERT_EQ(xtars_junit_write(j, xt_tmp_path("out.xml"), err), XTARS_OK);
    xtars_buf_init(&doc, 1 << 20);
    ASSERT_EQ(xtars_junit_format(j, &doc), XTARS_OK);
    /* Totals on the root, counted by hand: 4 cases, 1 failure, 1 error, 1 skipped. */
    ASSERT_STR_CONTAINS(doc.data, "<testsuites name=\"run &amp; &lt;all&gt;\" tests=\"4\" "
                                  "failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.500\"");
    ASSERT_STR_CONTAINS(doc.data, "<property name=\"trajectory\" value=\"runs/t &quot;1&quot;\"/>");
    ASSERT_STR_CONTAINS(doc.data, "<system-out>[[ATTACHMENT|runs/t/report.html]]</system-out>");
    ASSERT_STR_CONTAINS(doc.data, "message=\"exit status 3&#10;second line\"");
    xtars_buf_cleanup(&doc);
    xtars_junit_free(j);
    r = check(xt_tmp_path("out.xml"));
    /* What a parser gives back: the hostile text intact except for what XML
     * cannot carry (\x01 -> "\x01" as text, bad bytes and U+FFFF -> U+FFFD,
     * the CR kept as a character reference). */
    ASSERT_STR_EQ(r.out,
                  "</testcase><script>\"'&\\x01\\x1b[0m\xef\xbf\xbd\xef\xbf\xbd\r]]>|1. wait 10 ms|passed||\n"
                  "</testcase><script>\"'&\\x01\\x1b[0m\xef\xbf\xbd\xef\xbf\xbd\r]]>|"
                  "</testcase><script>\"'&\\x01\\x1b[0m\xef\xbf\xbd\xef\xbf\xbd\r]]>|failure|"
                  "exit status 3\nsecond line|out\\nput\\x02\n"
                  "</testcase><script>\"'&\\x01\\x1b[0m\xef\xbf\xbd\xef\xbf\xbd\r]]>|3. check later|"
                  "skipped|not run: step 2 did not pass|\n"
                  "second|load|error|model: HTTP 500|model: HTTP 500\n");
    xt_result_free(&r);
}

TEST(batch_junit_has_a_case_per_task_from_the_results)
{
    struct xt_result r;
    struct stat st;

    mkdir(xt_tmp_path("b"), 0755);
    mkdir(xt_tmp_path("b/out"), 0755);
    /* Every task has a final result, so the batch runs nothing (no display
     * needed) and reports them; task c is in the other shard. */
    xt_write_text(xt_tmp_path("b/list.jsonl"), "{\"id\": \"a\", \"instruction\": \"A\"}\n"
                                    "{\"id\": \"c\", \"instruction\": \"C\"}\n"
                                    "{\"id\": \"b\", \"instruction\": \"B\"}\n");
    xt_write_text(xt_tmp_path("b/out/results.jsonl"),
               "{\"id\": \"a\", \"status\": \"finished\", \"passed\": true, \"exit_code\": 0, "
               "\"steps\": 2, \"duration_s\": 1.5, \"trajectory\": \"tasks/a/trajectory\"}\n"
               "{\"id\": \"b\", \"status\": \"max_steps\", \"passed\": false, \"exit_code\": 4, "
               "\"steps\": 5, \"message\": \"</testcase><script>\\u0001\", "
               "\"report\": \"tasks/b/trajectory/report.html\"}\n");
    r = xt_run((const char *const[]){"@xtars", "batch", "--shard", "0/2", "--junit", xt_tmp_path("b/j.xml"),
                                     "--out", xt_tmp_path("b/out"), xt_tmp_path("b/list.jsonl"), NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 4);
    xt_result_free(&r);
    r = check(xt_tmp_path("b/j.xml"));
    ASSERT_STR_CONTAINS(r.out, "|a|passed||\n");
    ASSERT_STR_CONTAINS(r.out, "|b|failure|max_steps after 5 steps (exit 4): </testcase><script>\\x01|"
                               "max_steps after 5 steps (exit 4): </testcase><script>\\x01\n");
    ASSERT(strstr(r.out, "|c|") == NULL);
    xt_result_free(&r);
    /* --junit is the batch's own: not with --merge. */
    r = xt_run((const char *const[]){"@xtars", "batch", "--merge", "--junit", xt_tmp_path("b/k.xml"), "--out",
                                     xt_tmp_path("b/m"), xt_tmp_path("b/out"), NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "--junit does not go with --merge");
    ASSERT(stat(xt_tmp_path("b/k.xml"), &st) != 0);
    xt_result_free(&r);
}
