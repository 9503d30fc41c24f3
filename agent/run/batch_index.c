/* batch_index.c: index.html of a batch: one self-contained page (inline
 * CSS, no script, no network) with the totals and a row per task linking
 * its report and log by relative path, so the directory can be copied or
 * served anywhere. Every text from a task is escaped. Never prints. */
#include <stdio.h>
#include <string.h>

#include "agent/run/batch.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";

static const char page_style[] =
    "</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1f21;background:#fafafa}\n"
    "h1{font-size:20px;margin:0 0 8px}\n"
    ".totals span{display:inline-block;margin-right:16px}\n"
    "table{border-collapse:collapse;margin-top:16px;background:#fff}\n"
    "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#eee}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}\n"
    ".again{color:#9a6700;font-weight:600}.wait{color:#6e7781}\n"
    "td.msg{max-width:40em;overflow-wrap:anywhere}\n"
    "</style></head><body>\n";

static int put_html(struct xtars_buf *b, const char *s, size_t max)
{
    int failed = 0;
    size_t n = 0;

    for (; s && *s && n < max; s++, n++) {
        switch (*s) {
        case '&': failed |= xtars_buf_puts(b, "&amp;") != XTARS_OK; break;
        case '<': failed |= xtars_buf_puts(b, "&lt;") != XTARS_OK; break;
        case '>': failed |= xtars_buf_puts(b, "&gt;") != XTARS_OK; break;
        case '"': failed |= xtars_buf_puts(b, "&quot;") != XTARS_OK; break;
        case '\'': failed |= xtars_buf_puts(b, "&#39;") != XTARS_OK; break;
        default: failed |= xtars_buf_putc(b, *s) != XTARS_OK; break;
        }
    }
    if (s && *s)
        failed |= xtars_buf_puts(b, "&hellip;") != XTARS_OK;
    return failed;
}

/* A relative path as an href: unreserved bytes and '/' as they are, every
 * other byte percent-encoded (this also keeps quotes out of the attribute). */
static int put_href(struct xtars_buf *b, const char *path)
{
    int failed = 0;

    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == '/')
            failed |= xtars_buf_putc(b, (char)*p) != XTARS_OK;
        else
            failed |= xtars_buf_printf(b, "%%%02X", *p) != XTARS_OK;
    }
    return failed;
}

static const char *status_class(const struct xtars_batch_result *r)
{
    if (r->passed)
        return "pass";
    if (xtars_batch_status_final(r->status))
        return "fail";
    if (strcmp(r->status, "pending") == 0 || strcmp(r->status, "running") == 0)
        return "wait";
    return "again";
}

static int put_link(struct xtars_buf *b, const char *path, const char *label)
{
    int failed = 0;

    if (path == NULL || path[0] == '\0')
        return xtars_buf_puts(b, "<td></td>") != XTARS_OK;
    failed |= xtars_buf_puts(b, "<td><a href=\"") != XTARS_OK;
    failed |= put_href(b, path);
    failed |= xtars_buf_printf(b, "\">%s</a></td>", label) != XTARS_OK;
    return failed;
}

static int put_row(struct xtars_buf *b, const struct xtars_batch_result *r)
{
    int failed = 0;

    if (r->index >= 0)
        failed |= xtars_buf_printf(b, "<tr><td class=\"num\">%d</td><td>", r->index + 1) != XTARS_OK;
    else
        failed |= xtars_buf_puts(b, "<tr><td class=\"num\"></td><td>") != XTARS_OK;
    failed |= put_html(b, r->id, 200);
    failed |= xtars_buf_printf(b, "</td><td class=\"%s\">", status_class(r)) != XTARS_OK;
    failed |= put_html(b, r->status, 64);
    if (r->exit_code >= 0)
        failed |= xtars_buf_printf(b, "</td><td class=\"num\">%d</td><td class=\"num\">%.1f s</td>"
                                   "<td class=\"num\">%d</td><td>", r->steps, r->duration_s,
                                   r->exit_code) != XTARS_OK;
    else
        failed |= xtars_buf_puts(b, "</td><td></td><td></td><td></td><td>") != XTARS_OK;
    failed |= put_html(b, r->task, 160);
    failed |= xtars_buf_puts(b, "</td>") != XTARS_OK;
    failed |= put_link(b, r->report, "report");
    failed |= put_link(b, r->log, "log");
    failed |= xtars_buf_puts(b, "<td class=\"msg\">") != XTARS_OK;
    failed |= put_html(b, r->message, 400);
    failed |= xtars_buf_puts(b, "</td></tr>\n") != XTARS_OK;
    return failed;
}

xtars_err xtars_batch_index_html(const struct xtars_batch_result *items, int count,
                                 const char *title, struct xtars_buf *out)
{
    int passed = 0, failed_tasks = 0, other = 0, failed = 0;
    double total_s = 0;

    for (int i = 0; i < count; i++) {
        if (items[i].passed)
            passed++;
        else if (xtars_batch_status_final(items[i].status))
            failed_tasks++;
        else
            other++;
        total_s += items[i].duration_s;
    }
    failed |= xtars_buf_puts(out, page_head) != XTARS_OK;
    failed |= put_html(out, title, 300);
    failed |= xtars_buf_puts(out, page_style) != XTARS_OK;
    failed |= xtars_buf_puts(out, "<h1>") != XTARS_OK;
    failed |= put_html(out, title, 300);
    failed |= xtars_buf_printf(out, "</h1>\n<p class=\"totals\"><span>%d task%s</span>"
                               "<span class=\"pass\">%d passed</span><span class=\"fail\">%d failed"
                               "</span><span class=\"again\">%d not completed</span>"
                               "<span>%.1f s of task time</span></p>\n", count,
                               count == 1 ? "" : "s", passed, failed_tasks, other, total_s) != XTARS_OK;
    failed |= xtars_buf_puts(out, "<table>\n<tr><th>#</th><th>id</th><th>status</th><th>steps</th>"
                             "<th>time</th><th>exit</th><th>task</th><th></th><th></th>"
                             "<th>message</th></tr>\n") != XTARS_OK;
    for (int i = 0; i < count && !failed; i++)
        failed |= put_row(out, &items[i]);
    failed |= xtars_buf_puts(out, "</table>\n</body></html>\n") != XTARS_OK;
    return failed ? XTARS_ETOOBIG : XTARS_OK;
}
