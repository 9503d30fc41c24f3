/* batch_index.c: index.html of a batch: one self-contained page with the
 * totals and a row per task linking its report and log by relative path,
 * so the directory can be copied or served anywhere. A small inline script
 * (allowed by its hash in the page's Content-Security-Policy, like the
 * report's) sorts the table by a column and filters it by status and text;
 * without it the page is the plain table. Every text from a task is
 * escaped and never reaches the script. Never prints. */
#include <stdio.h>
#include <string.h>

#include "agent/record/html.h"
#include "agent/run/batch.h"

static const char page_css[] =
    "\nbody{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1f21;background:#fafafa}\n"
    "h1{font-size:20px;margin:0 0 8px}\n"
    ".totals span{display:inline-block;margin-right:16px}\n"
    ".controls{display:none;gap:12px;align-items:center;margin-top:12px;color:#57606a}\n"
    ".js .controls{display:flex}\n"
    "input,select{font:inherit;padding:2px 6px}input{width:17em}\n"
    "table{border-collapse:collapse;margin-top:12px;background:#fff}\n"
    "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#eee;white-space:nowrap}\n"
    ".js th[data-type]{cursor:pointer}.js th[data-type]:hover{background:#e2e6ee}\n"
    "th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}\n"
    ".again{color:#9a6700;font-weight:600}.wait{color:#6e7781}\n"
    "td.msg{max-width:40em;overflow-wrap:anywhere}\n"
    "#js-errors{color:#cf222e}\n";

/* Sorts by the clicked column (again: the other way), filters by the
 * status select and the text box; the cells' data-v attributes, written by
 * xtars, hold the exact numbers. Errors are counted on <html
 * data-js-errors> and shown, as the report does. */
static const char page_js[] =
    XTARS_HTML_SCRIPT_START
    "var table = d.getElementById('tasks'), body = table.tBodies[0];\n"
    "var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);\n"
    "var text = d.getElementById('filter'), status = d.getElementById('status');\n"
    "var shown = d.getElementById('shown');\n"
    "function key(row, col, type) {\n"
    "  var cell = row.cells[col], v = cell.getAttribute('data-v');\n"
    "  if (type === 'num') return v === null || v === '' ? null : parseFloat(v);\n"
    "  return (v !== null ? v : cell.textContent).toLowerCase();\n"
    "}\n"
    "function sort(col) {\n"
    "  var th = heads[col], type = th.getAttribute('data-type');\n"
    "  var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;\n"
    "  heads.forEach(function (h) { h.removeAttribute('aria-sort'); });\n"
    "  th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');\n"
    "  var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {\n"
    "    return {row: r, k: key(r, col, type), i: i};\n"
    "  });\n"
    "  rows.sort(function (a, b) {\n"
    "    if (a.k === b.k) return a.i - b.i;\n"
    "    if (a.k === null) return 1;\n"
    "    if (b.k === null) return -1;\n"
    "    return (a.k < b.k ? -1 : 1) * dir;\n"
    "  });\n"
    "  rows.forEach(function (r) { body.appendChild(r.row); });\n"
    "}\n"
    "function filter() {\n"
    "  var q = text.value.trim().toLowerCase(), s = status.value, n = 0;\n"
    "  Array.prototype.forEach.call(body.rows, function (r) {\n"
    "    var ok = (!s || r.getAttribute('data-status') === s) &&\n"
    "             (!q || r.textContent.toLowerCase().indexOf(q) >= 0);\n"
    "    r.hidden = !ok;\n"
    "    if (ok) n++;\n"
    "  });\n"
    "  shown.textContent = n + ' of ' + body.rows.length + ' shown';\n"
    "}\n"
    "heads.forEach(function (th, col) {\n"
    "  if (!th.getAttribute('data-type')) return;\n"
    "  th.tabIndex = 0;\n"
    "  th.addEventListener('click', function () { sort(col); });\n"
    "  th.addEventListener('keydown', function (e) {\n"
    "    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(col); }\n"
    "  });\n"
    "});\n"
    "text.addEventListener('input', filter);\n"
    "status.addEventListener('change', filter);\n"
    "filter();\n"
    "})();\n";

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

static void put_link(struct xtars_buf *b, const char *path, const char *label)
{
    if (path == NULL || path[0] == '\0') {
        xtars_buf_puts(b, "<td></td>");
        return;
    }
    xtars_buf_puts(b, "<td><a href=\"");
    xtars_html_href(b, path);
    xtars_buf_printf(b, "\">%s</a></td>", label);
}

static void put_row(struct xtars_buf *b, const struct xtars_batch_result *r)
{
    xtars_buf_printf(b, "<tr data-status=\"%s\">", status_class(r));
    if (r->index >= 0)
        xtars_buf_printf(b, "<td class=\"num\" data-v=\"%d\">%d</td><td>", r->index + 1,
                         r->index + 1);
    else
        xtars_buf_puts(b, "<td class=\"num\"></td><td>");
    xtars_html_text(b, r->id, 200);
    xtars_buf_printf(b, "</td><td class=\"%s\">", status_class(r));
    xtars_html_text(b, r->status, 64);
    if (r->exit_code >= 0)
        xtars_buf_printf(b, "</td><td class=\"num\" data-v=\"%d\">%d</td><td class=\"num\" "
                            "data-v=\"%.3f\">%.1f s</td><td class=\"num\" data-v=\"%d\">%d</td><td>",
                         r->steps, r->steps, r->duration_s, r->duration_s, r->exit_code,
                         r->exit_code);
    else
        xtars_buf_puts(b, "</td><td class=\"num\"></td><td class=\"num\"></td><td class=\"num\">"
                          "</td><td>");
    xtars_html_text(b, r->task, 160);
    xtars_buf_puts(b, "</td>");
    put_link(b, r->report, "report");
    put_link(b, r->log, "log");
    xtars_buf_puts(b, "<td class=\"msg\">");
    xtars_html_text(b, r->message, 400);
    xtars_buf_puts(b, "</td></tr>\n");
}

static void put_head(struct xtars_buf *b, const char *title)
{
    xtars_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src ");
    xtars_html_csp_hash(b, page_css);
    xtars_buf_puts(b, "; script-src ");
    xtars_html_csp_hash(b, page_js);
    xtars_buf_puts(b, "; base-uri 'none'; form-action 'none'\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    xtars_html_text(b, title, 300);
    xtars_buf_printf(b, "</title>\n<style>%s</style></head><body>\n<h1>", page_css);
    xtars_html_text(b, title, 300);
    xtars_buf_puts(b, "</h1>\n");
}

/* The filter box and status select: shown only when the script runs. */
static void put_controls(struct xtars_buf *b)
{
    xtars_buf_puts(b, "<div class=\"controls\"><label>show <select id=\"status\"><option value=\"\">"
                      "every status</option><option value=\"pass\">passed</option><option "
                      "value=\"fail\">failed</option><option value=\"again\">not completed</option>"
                      "<option value=\"wait\">pending or running</option></select></label>"
                      "<input type=\"search\" id=\"filter\" placeholder=\"filter: id, task, message\" "
                      "aria-label=\"filter\"><span id=\"shown\"></span><span>click a column "
                      "heading to sort</span></div>\n");
}

xtars_err xtars_batch_index_html(const struct xtars_batch_result *items, int count,
                                 const char *title, struct xtars_buf *out)
{
    int passed = 0, failed_tasks = 0, other = 0;
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
    put_head(out, title);
    xtars_buf_printf(out, "<p class=\"totals\"><span>%d task%s</span>"
                          "<span class=\"pass\">%d passed</span><span class=\"fail\">%d failed"
                          "</span><span class=\"again\">%d not completed</span>"
                          "<span>%.1f s of task time</span></p>\n", count,
                     count == 1 ? "" : "s", passed, failed_tasks, other, total_s);
    put_controls(out);
    xtars_buf_puts(out, "<table id=\"tasks\">\n<thead><tr><th data-type=\"num\">#</th>"
                        "<th data-type=\"text\">id</th><th data-type=\"text\">status</th>"
                        "<th data-type=\"num\">steps</th><th data-type=\"num\">time</th>"
                        "<th data-type=\"num\">exit</th><th data-type=\"text\">task</th><th></th>"
                        "<th></th><th>message</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < count && out->error == XTARS_OK; i++)
        put_row(out, &items[i]);
    xtars_buf_puts(out, "</tbody></table>\n<p id=\"js-errors\" hidden></p>\n<script>");
    xtars_buf_puts(out, page_js);
    xtars_buf_puts(out, "</script>\n</body></html>\n");
    return out->error;
}
