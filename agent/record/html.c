/* html.c: escaping, links and CSP hashes for the HTML pages xtars writes
 * (html.h). Text from trajectories and task files is untrusted: it only
 * ever reaches a page through xtars_html_text() or xtars_html_href().
 * Never prints, never allocates. */
#include "agent/record/html.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/base64.h"
#include "agent/base/sha256.h"

xtars_err xtars_html_text(struct xtars_buf *b, const char *text, size_t max)
{
    const char *p = text ? text : "";
    size_t n = 0;

    for (; *p && n < max; p++, n++) {
        switch (*p) {
        case '&': xtars_buf_puts(b, "&amp;"); break;
        case '<': xtars_buf_puts(b, "&lt;"); break;
        case '>': xtars_buf_puts(b, "&gt;"); break;
        case '"': xtars_buf_puts(b, "&quot;"); break;
        case '\'': xtars_buf_puts(b, "&#39;"); break;
        default: xtars_buf_putc(b, *p);
        }
    }
    if (*p)
        xtars_buf_puts(b, "&hellip;");
    return b->error;
}

xtars_err xtars_html_href(struct xtars_buf *b, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == '/')
            xtars_buf_putc(b, (char)*p);
        else
            xtars_buf_printf(b, "%%%02X", *p);
    }
    return b->error;
}

xtars_err xtars_html_csp_hash(struct xtars_buf *b, const char *text)
{
    unsigned char digest[XTARS_SHA256_LEN];

    xtars_sha256(text, strlen(text), digest);
    xtars_buf_puts(b, "'sha256-");
    xtars_base64_encode(b, digest, sizeof digest);
    return xtars_buf_putc(b, '\'');
}

void xtars_html_relative_dir(const char *from, const char *to, char *out, size_t size)
{
    char a[PATH_MAX], t[PATH_MAX];
    size_t common = 0, used = 0;

    if (!realpath(from, a) || !realpath(to, t)) {
        snprintf(out, size, "%s", to);
        return;
    }
    /* the longest common prefix that ends at a component boundary */
    for (size_t i = 0;; i++) {
        int a_end = a[i] == '\0' || a[i] == '/', t_end = t[i] == '\0' || t[i] == '/';
        if (a_end && t_end)
            common = i;
        if (a[i] != t[i] || a[i] == '\0')
            break;
    }
    out[0] = '\0';
    for (const char *p = a + common; *p; p++) /* one ".." per component left in from */
        if (*p == '/' && p[1] != '\0' && used + 4 < size)
            used += (size_t)snprintf(out + used, size - used, "%s..", used ? "/" : "");
    if (t[common] == '/' && t[common + 1] != '\0')
        snprintf(out + used, size - used, "%s", t + common + (used ? 0 : 1));
    else if (used == 0)
        snprintf(out, size, ".");
}
