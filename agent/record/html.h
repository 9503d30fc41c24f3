/* html.h: the pieces every HTML page xtars writes shares (the run report,
 * a batch's index.html): escaping untrusted text, relative links, and the
 * hashes a Content-Security-Policy allows inline style and script by.
 *
 * Everything appends to a caller's xtars_buf (whose errors are sticky, so
 * a page is checked once, at its last append); nothing is allocated.
 */
#ifndef XTARS_HTML_H
#define XTARS_HTML_H

#include <stddef.h>

#include "xtars/buf.h"

/* How every inline script of xtars's pages begins (a string literal, to be
 * joined with the rest of the script at compile time): strict mode inside
 * a function, any error counted on <html data-js-errors> and written into
 * the page's <p id="js-errors" hidden> (so it cannot go unnoticed; the
 * browser tests read both), and class "js" on <html> for the CSS that
 * shows what only works with the script. Variables d (document) and root
 * (<html>) are defined for the rest. */
#define XTARS_HTML_SCRIPT_START                                                                 \
    "\n(function () {\n"                                                                        \
    "'use strict';\n"                                                                           \
    "var d = document, root = d.documentElement, errors = 0;\n"                                 \
    "window.addEventListener('error', function (e) {\n"                                         \
    "  errors++; root.setAttribute('data-js-errors', String(errors));\n"                        \
    "  var p = d.getElementById('js-errors');\n"                                                \
    "  if (p) { p.hidden = false; p.textContent += 'script error: ' + e.message + '\\n'; }\n"   \
    "});\n"                                                                                     \
    "root.classList.add('js');\n"

/* Appends at most max bytes of text (NULL: nothing) with & < > " '
 * as entities, safe in element content and quoted attributes, and
 * "&hellip;" when it was cut. */
xtars_err xtars_html_text(struct xtars_buf *b, const char *text, size_t max);

/* Appends a path as an href: unreserved bytes and '/' as they are, every
 * other byte percent-encoded (no quote, '#', '?' or ':' can get through). */
xtars_err xtars_html_href(struct xtars_buf *b, const char *path);

/* Appends "'sha256-BASE64'" of text, for a CSP style-src or script-src. */
xtars_err xtars_html_csp_hash(struct xtars_buf *b, const char *text);

/* The path from directory `from` to `to` (both existing directories,
 * resolved with realpath) as "../../a/b" or "a/b", "." when they are the
 * same; `to` itself when either cannot be resolved. */
void xtars_html_relative_dir(const char *from, const char *to, char *out, size_t size);

#endif
