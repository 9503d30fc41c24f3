/* `xtars task --junit` end to end (no model: waits and checks): the XML is
 * parsed by a real parser (tests/support/junit_check.py) that checks the
 * counts; the cases, failure messages, the check's output and the escaping
 * of a hostile task name are compared with the task files. Also the PASS/
 * FAIL lines: an unnamed wait shows its duration, a failed check its output. */
#include <stdio.h>

#include "run.h"
#include "test.h"
#include "xtars/buf.h"

#define CHECKER XT_SOURCE_DIR "/tests/support/junit_check.py"

TEST(junit_has_a_case_per_step_with_failures_and_escaping)
{
    char bad[600], good[600], xml[600], out[600];
    struct xt_result r;

    snprintf(bad, sizeof bad, "%s/bad.json", xt_tmpdir());
    snprintf(good, sizeof good, "%s/good.json", xt_tmpdir());
    snprintf(xml, sizeof xml, "%s/junit.xml", xt_tmpdir());
    snprintf(out, sizeof out, "%s/runs", xt_tmpdir());
    xt_write_text(bad, "{\"name\": \"</testcase><script>\", \"screen\": \"320x200\", \"steps\": [\n"
                    "  {\"wait\": 10},\n"
                    "  {\"check\": \"printf 'one\\\\ntwo <&>\\\\001'; exit 3\", \"name\": \"fails\"},\n"
                    "  {\"check\": \"true\"}\n"
                    "]}\n");
    xt_write_text(good, "{\"name\": \"good\", \"screen\": \"320x200\", \"steps\": [\n"
                     "  {\"check\": \"test -d .\", \"name\": \"work dir exists\"}\n"
                     "]}\n");
    r = xt_run((const char *const[]){"@xtars", "task", "--junit", xml, "--out", out, "--no-report",
                                     bad, good, NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "[1/3] PASS wait 10 ms\n");
    ASSERT_STR_CONTAINS(r.err, "[2/3] FAIL check fails: exit status 3\n");
    ASSERT_STR_CONTAINS(r.err, "    | one\n");
    ASSERT_STR_CONTAINS(r.err, "[1/1] PASS check work dir exists\n");
    xt_result_free(&r);
    r = xt_run((const char *const[]){"python3", CHECKER, xml, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "</testcase><script>|1. wait 10 ms|passed||\n"
                         "</testcase><script>|2. check fails|failure|exit status 3|"
                         "one\\ntwo <&>\\x01\n"
                         "</testcase><script>|3. check true|skipped|not run: step 2 did not pass|\n"
                         "good|1. check work dir exists|passed||\n");
    xt_result_free(&r);
}

TEST(junit_names_the_task_files_that_did_not_load)
{
    char good[600], typo[600], xml[600];
    struct xt_result r;

    snprintf(good, sizeof good, "%s/ok.json", xt_tmpdir());
    snprintf(typo, sizeof typo, "%s/typo.json", xt_tmpdir());
    snprintf(xml, sizeof xml, "%s/load.xml", xt_tmpdir());
    xt_write_text(good, "{\"name\": \"ok\", \"steps\": [{\"check\": \"true\"}]}");
    xt_write_text(typo, "{\"name\": \"t\",\n \"steps\": [{\"chek\": \"true\"}]}");
    r = xt_run((const char *const[]){"@xtars", "task", "--junit", xml, good, typo, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "typo.json line 2: steps[0]: unknown key 'chek' (did you mean 'check'?)");
    ASSERT(strstr(r.err, "PASS") == NULL); /* nothing ran */
    xt_result_free(&r);
    r = xt_run((const char *const[]){"python3", CHECKER, xml, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "typo.json|load|error|");
    ASSERT_STR_CONTAINS(r.out, "unknown key 'chek' (did you mean 'check'?)");
    xt_result_free(&r);
}
