/* junit.h: JUnit XML test reports for CI (docs/tasks.md "JUnit XML"): the
 * file GitHub Actions reporters, GitLab (artifacts:reports:junit) and
 * Jenkins (junit step) show as test results. `xtars task --junit` writes one
 * testsuite per task file and one testcase per step; `xtars batch --junit`
 * one testcase per task. Shared here so both write the same shape.
 *
 * The shape is the common one (testmoapp/junitxml documents it; the Ant and
 * Jenkins XSDs agree on it): <testsuites> with tests/failures/errors/
 * skipped/time totals, <testsuite> per group with the same counts, and
 * <testcase name classname time [file]> holding <properties> (trajectory,
 * attachment), then at most one of <failure>, <error>, <skipped>, then
 * <system-out> with [[ATTACHMENT|path]] lines (the Jenkins attachments
 * convention GitLab also reads). Every text is escaped for XML 1.0,
 * including the control characters XML 1.0 cannot hold at all (shown as
 * "\xNN") and invalid UTF-8 (U+FFFD).
 *
 * Ownership: xtars_junit_new() returns a report that copies everything it is
 * given; xtars_junit_free() frees it and accepts NULL. Never prints.
 */
#ifndef XTARS_JUNIT_H
#define XTARS_JUNIT_H

#include "xtars/buf.h"
#include "xtars/error.h"

#define XTARS_JUNIT_MAX_BYTES (256u << 20)

enum xtars_junit_outcome {
    XTARS_JUNIT_PASSED = 0,
    XTARS_JUNIT_FAILED,   /* the check or task did not pass: <failure> */
    XTARS_JUNIT_ERROR,    /* it could not be judged (runtime or model error): <error> */
    XTARS_JUNIT_SKIPPED   /* not run (an earlier step failed): <skipped> */
};

struct xtars_junit_case {
    const char *name;
    const char *classname;   /* NULL: the suite's name */
    const char *file;        /* NULL: none */
    double time_s;
    enum xtars_junit_outcome outcome;
    const char *type;        /* failure/error type ("check", "max_steps"); NULL: none */
    const char *message;     /* one line: why it failed, errored or was skipped */
    const char *output;      /* the failure's text (a check's output); NULL: the message */
    const char *trajectory;  /* property "trajectory"; NULL: none */
    const char *attachment;  /* property "attachment" and [[ATTACHMENT|...]]; NULL: none */
};

struct xtars_junit;

/* A report named `name` (the <testsuites> name). ENOMEM. */
xtars_err xtars_junit_new(const char *name, struct xtars_junit **out);

/* Starts a <testsuite>; the cases added next belong to it. file and
 * trajectory may be NULL; trajectory becomes a suite property. ENOMEM,
 * ETOOBIG. */
xtars_err xtars_junit_suite(struct xtars_junit *j, const char *name, const char *file,
                            const char *trajectory);

/* Adds a testcase to the current suite (one is started, named after the
 * report, when there is none). ENOMEM, ETOOBIG. */
xtars_err xtars_junit_case(struct xtars_junit *j, const struct xtars_junit_case *c);

/* The whole document. ENOMEM, ETOOBIG. */
xtars_err xtars_junit_format(const struct xtars_junit *j, struct xtars_buf *out);

/* Writes the document to path, whole (atomically replaced). EIO etc. with
 * the path in err. */
xtars_err xtars_junit_write(const struct xtars_junit *j, const char *path, char *err);

void xtars_junit_free(struct xtars_junit *j);

/* Appends text escaped for XML 1.0 (attribute: also quotes and whitespace
 * as character references, so they survive attribute normalisation). */
xtars_err xtars_xml_escape(struct xtars_buf *out, const char *text, int attribute);

#endif
