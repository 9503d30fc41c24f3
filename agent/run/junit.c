/* junit.c: JUnit XML reports (junit.h). Suites are formatted as cases
 * arrive, so the report holds text and counts, not copies of the cases.
 * Never prints; the only file written goes through files.h. */
#include "agent/run/junit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/base/files.h"
#include "agent/base/json.h"

struct suite {
    char *name;              /* the default classname of its cases */
    struct xtars_buf head;   /* name, file, timestamp attributes and properties */
    struct xtars_buf cases;  /* the <testcase> elements */
    int tests, failures, errors, skipped;
    double time_s;
};

struct xtars_junit {
    char *name;
    char timestamp[32];
    struct suite *suites;
    int count, capacity;
};

xtars_err xtars_xml_escape(struct xtars_buf *out, const char *text, int attribute)
{
    size_t n = text ? strlen(text) : 0;
    xtars_err rc = XTARS_OK;

    for (size_t i = 0; i < n && rc == XTARS_OK;) {
        unsigned char c = (unsigned char)text[i];
        size_t len = xtars_utf8_sequence_len(text + i, n - i);
        if (c == '&')
            rc = xtars_buf_puts(out, "&amp;");
        else if (c == '<')
            rc = xtars_buf_puts(out, "&lt;");
        else if (c == '>')
            rc = xtars_buf_puts(out, "&gt;");
        else if (c == '"' && attribute)
            rc = xtars_buf_puts(out, "&quot;");
        else if (c == '\'' && attribute)
            rc = xtars_buf_puts(out, "&apos;");
        else if (c == '\r' || ((c == '\n' || c == '\t') && attribute))
            rc = xtars_buf_printf(out, "&#%d;", c);
        else if (c < 0x20 && c != '\n' && c != '\t')
            rc = xtars_buf_printf(out, "\\x%02x", c); /* XML 1.0 has no way to hold it */
        else if (len == 0)
            rc = xtars_buf_puts(out, "\xef\xbf\xbd"); /* not UTF-8: U+FFFD */
        else if (len == 3 && c == 0xEF && (unsigned char)text[i + 1] == 0xBF &&
                 (unsigned char)text[i + 2] >= 0xBE)
            rc = xtars_buf_puts(out, "\xef\xbf\xbd"); /* U+FFFE, U+FFFF: not XML characters */
        else
            rc = xtars_buf_append(out, text + i, len);
        i += len ? len : 1;
    }
    return rc;
}

xtars_err xtars_junit_new(const char *name, struct xtars_junit **out)
{
    struct xtars_junit *j = calloc(1, sizeof *j);
    time_t now = time(NULL);
    struct tm tm;

    *out = NULL;
    if (j == NULL || (j->name = strdup(name ? name : "xtars")) == NULL) {
        free(j);
        return XTARS_ENOMEM;
    }
    gmtime_r(&now, &tm);
    strftime(j->timestamp, sizeof j->timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *out = j;
    return XTARS_OK;
}

void xtars_junit_free(struct xtars_junit *j)
{
    if (j == NULL)
        return;
    for (int i = 0; i < j->count; i++) {
        free(j->suites[i].name);
        xtars_buf_cleanup(&j->suites[i].head);
        xtars_buf_cleanup(&j->suites[i].cases);
    }
    free(j->suites);
    free(j->name);
    free(j);
}

static xtars_err put_attr(struct xtars_buf *b, const char *name, const char *value)
{
    xtars_err rc;

    if (value == NULL)
        return XTARS_OK;
    if ((rc = xtars_buf_printf(b, " %s=\"", name)) != XTARS_OK ||
        (rc = xtars_xml_escape(b, value, 1)) != XTARS_OK)
        return rc;
    return xtars_buf_putc(b, '"');
}

static xtars_err put_property(struct xtars_buf *b, const char *indent, const char *name,
                              const char *value)
{
    xtars_err rc;

    if ((rc = xtars_buf_printf(b, "%s<property", indent)) != XTARS_OK ||
        (rc = put_attr(b, "name", name)) != XTARS_OK || (rc = put_attr(b, "value", value)) != XTARS_OK)
        return rc;
    return xtars_buf_puts(b, "/>\n");
}

xtars_err xtars_junit_suite(struct xtars_junit *j, const char *name, const char *file,
                            const char *trajectory)
{
    struct suite *s;
    xtars_err rc;

    if (j->count == j->capacity) {
        int capacity = j->capacity ? j->capacity * 2 : 8;
        struct suite *grown = realloc(j->suites, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return XTARS_ENOMEM;
        j->suites = grown;
        j->capacity = capacity;
    }
    s = &j->suites[j->count++];
    memset(s, 0, sizeof *s);
    xtars_buf_init(&s->head, XTARS_JUNIT_MAX_BYTES / 4);
    xtars_buf_init(&s->cases, XTARS_JUNIT_MAX_BYTES / 2);
    if ((s->name = strdup(name ? name : j->name)) == NULL)
        return XTARS_ENOMEM;
    if ((rc = put_attr(&s->head, "name", name ? name : j->name)) != XTARS_OK ||
        (rc = put_attr(&s->head, "timestamp", j->timestamp)) != XTARS_OK ||
        (rc = put_attr(&s->head, "file", file)) != XTARS_OK)
        return rc;
    if (trajectory &&
        ((rc = xtars_buf_puts(&s->head, ">\n    <properties>\n")) != XTARS_OK ||
         (rc = put_property(&s->head, "      ", "trajectory", trajectory)) != XTARS_OK ||
         (rc = xtars_buf_puts(&s->head, "    </properties>\n")) != XTARS_OK))
        return rc;
    if (trajectory == NULL)
        rc = xtars_buf_puts(&s->head, ">\n");
    return rc;
}

/* <failure message type>output</failure>, <error ...> or <skipped message/>. */
static xtars_err put_result(struct xtars_buf *b, const struct xtars_junit_case *c)
{
    static const char *const tags[] = {NULL, "failure", "error", "skipped"};
    const char *tag = tags[c->outcome];
    xtars_err rc;

    if ((rc = xtars_buf_printf(b, "      <%s", tag)) != XTARS_OK ||
        (rc = put_attr(b, "message", c->message ? c->message : "")) != XTARS_OK ||
        (rc = put_attr(b, "type", c->outcome == XTARS_JUNIT_SKIPPED ? NULL : c->type)) != XTARS_OK)
        return rc;
    if (c->outcome == XTARS_JUNIT_SKIPPED)
        return xtars_buf_puts(b, "/>\n");
    if ((rc = xtars_buf_putc(b, '>')) != XTARS_OK ||
        (rc = xtars_xml_escape(b, c->output ? c->output : c->message, 0)) != XTARS_OK)
        return rc;
    return xtars_buf_printf(b, "</%s>\n", tag);
}

static xtars_err put_case(struct xtars_buf *b, const struct xtars_junit_case *c,
                          const char *classname)
{
    xtars_err rc;

    if ((rc = xtars_buf_puts(b, "    <testcase")) != XTARS_OK ||
        (rc = put_attr(b, "name", c->name ? c->name : "")) != XTARS_OK ||
        (rc = put_attr(b, "classname", c->classname ? c->classname : classname)) != XTARS_OK ||
        (rc = xtars_buf_printf(b, " time=\"%.3f\"", c->time_s > 0 ? c->time_s : 0.0)) != XTARS_OK ||
        (rc = put_attr(b, "file", c->file)) != XTARS_OK || (rc = xtars_buf_puts(b, ">\n")) != XTARS_OK)
        return rc;
    if (c->trajectory || c->attachment) {
        if ((rc = xtars_buf_puts(b, "      <properties>\n")) != XTARS_OK ||
            (c->trajectory && (rc = put_property(b, "        ", "trajectory", c->trajectory)) != XTARS_OK) ||
            (c->attachment && (rc = put_property(b, "        ", "attachment", c->attachment)) != XTARS_OK) ||
            (rc = xtars_buf_puts(b, "      </properties>\n")) != XTARS_OK)
            return rc;
    }
    if (c->outcome != XTARS_JUNIT_PASSED && (rc = put_result(b, c)) != XTARS_OK)
        return rc;
    if (c->attachment &&
        ((rc = xtars_buf_puts(b, "      <system-out>[[ATTACHMENT|")) != XTARS_OK ||
         (rc = xtars_xml_escape(b, c->attachment, 0)) != XTARS_OK ||
         (rc = xtars_buf_puts(b, "]]</system-out>\n")) != XTARS_OK))
        return rc;
    return xtars_buf_puts(b, "    </testcase>\n");
}

xtars_err xtars_junit_case(struct xtars_junit *j, const struct xtars_junit_case *c)
{
    struct suite *s;
    xtars_err rc;
    size_t mark;

    if ((unsigned)c->outcome > XTARS_JUNIT_SKIPPED)
        return XTARS_EINVAL;
    if (j->count == 0 && (rc = xtars_junit_suite(j, NULL, NULL, NULL)) != XTARS_OK)
        return rc;
    s = &j->suites[j->count - 1];
    mark = s->cases.len;
    rc = put_case(&s->cases, c, s->name);
    if (rc != XTARS_OK) {
        s->cases.len = mark; /* no half-written case */
        if (s->cases.data)
            s->cases.data[mark] = '\0';
        return rc;
    }
    s->tests++;
    s->failures += c->outcome == XTARS_JUNIT_FAILED;
    s->errors += c->outcome == XTARS_JUNIT_ERROR;
    s->skipped += c->outcome == XTARS_JUNIT_SKIPPED;
    s->time_s += c->time_s > 0 ? c->time_s : 0;
    return XTARS_OK;
}

static xtars_err put_counts(struct xtars_buf *b, int tests, int failures, int errors, int skipped,
                            double time_s)
{
    return xtars_buf_printf(b, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\"",
                            tests, failures, errors, skipped, time_s);
}

xtars_err xtars_junit_format(const struct xtars_junit *j, struct xtars_buf *out)
{
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    double time_s = 0;
    xtars_err rc;

    for (int i = 0; i < j->count; i++) {
        tests += j->suites[i].tests;
        failures += j->suites[i].failures;
        errors += j->suites[i].errors;
        skipped += j->suites[i].skipped;
        time_s += j->suites[i].time_s;
    }
    if ((rc = xtars_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites")) != XTARS_OK ||
        (rc = put_attr(out, "name", j->name)) != XTARS_OK ||
        (rc = put_counts(out, tests, failures, errors, skipped, time_s)) != XTARS_OK ||
        (rc = put_attr(out, "timestamp", j->timestamp)) != XTARS_OK ||
        (rc = xtars_buf_puts(out, ">\n")) != XTARS_OK)
        return rc;
    for (int i = 0; i < j->count; i++) {
        const struct suite *s = &j->suites[i];
        const char *head = s->head.data ? s->head.data : ">\n";
        /* head is ' name="..." timestamp="..."[ file="..."]>\n[properties]':
         * the counts go before its first '>'. */
        size_t attrs = strcspn(head, ">");
        if ((rc = xtars_buf_puts(out, "  <testsuite")) != XTARS_OK ||
            (rc = xtars_buf_append(out, head, attrs)) != XTARS_OK ||
            (rc = put_counts(out, s->tests, s->failures, s->errors, s->skipped, s->time_s)) != XTARS_OK ||
            (rc = xtars_buf_puts(out, head + attrs)) != XTARS_OK ||
            (s->cases.data && (rc = xtars_buf_puts(out, s->cases.data)) != XTARS_OK) ||
            (rc = xtars_buf_puts(out, "  </testsuite>\n")) != XTARS_OK)
            return rc;
    }
    return xtars_buf_puts(out, "</testsuites>\n");
}

xtars_err xtars_junit_write(const struct xtars_junit *j, const char *path, char *err)
{
    struct xtars_buf doc;
    xtars_err rc;

    xtars_buf_init(&doc, XTARS_JUNIT_MAX_BYTES);
    rc = xtars_junit_format(j, &doc);
    if (rc != XTARS_OK)
        xtars_error(err, rc, "junit: %s: %s", path, xtars_strerror(rc));
    else
        rc = xtars_write_file_atomic(path, doc.data, doc.len, err);
    xtars_buf_cleanup(&doc);
    return rc;
}
