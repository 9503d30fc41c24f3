/* redact.c: which parts of an endpoint URL and of extra_headers are
 * credentials, so they are registered with the redactor (log.c) before
 * anything can print or record them. Never prints; registers copies only. */
#include "agent/base/redact.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xtars/log.h"

/* The '@' that ends the user information: the last one in the authority,
 * so a raw '@' inside a password never leaves a piece of it in the host. */
static const char *last_at(const char *host, const char *end)
{
    const char *at = NULL;

    for (const char *p = host; p < end; p++)
        if (*p == '@')
            at = p;
    return at;
}

void xtars_redact_url(const char *url, char *out, size_t size)
{
    const char *scheme_end = strstr(url, "://"), *host = url, *at, *slash;
    size_t used = 0;

    if (size == 0)
        return;
    out[0] = '\0';
    if (scheme_end) {
        host = scheme_end + 3;
        used = (size_t)snprintf(out, size, "%.*s", (int)(host - url), url);
    }
    slash = host + strcspn(host, "/?#"); /* the authority ends there */
    if ((at = last_at(host, slash)) != NULL)
        host = at + 1;
    if (used < size)
        snprintf(out + used, size - used, "%.*s", (int)strcspn(host, "?#"), host);
}

/* Registers s[0..n) as a secret (copied; short ones are skipped there). */
static xtars_err add_piece(const char *s, size_t n)
{
    char piece[1024];

    if (n == 0)
        return XTARS_OK;
    if (n >= sizeof piece)
        n = sizeof piece - 1; /* a prefix still hides the value's start */
    memcpy(piece, s, n);
    piece[n] = '\0';
    return xtars_log_add_secret(piece);
}

xtars_err xtars_redact_add_url(const char *url)
{
    const char *host = strstr(url, "://"), *at, *slash, *colon, *query;
    xtars_err rc = XTARS_OK;

    host = host ? host + 3 : url;
    slash = host + strcspn(host, "/?#");
    at = last_at(host, slash);
    if (at) {
        colon = memchr(host, ':', (size_t)(at - host));
        rc = add_piece(host, (size_t)(at - host));
        if (rc == XTARS_OK && colon)
            rc = add_piece(colon + 1, (size_t)(at - colon - 1));
    }
    query = strchr(url, '?');
    while (rc == XTARS_OK && query && *query && *query != '#') {
        const char *eq = strchr(query + 1, '='), *end = query + 1 + strcspn(query + 1, "&#");
        if (eq && eq < end)
            rc = add_piece(eq + 1, (size_t)(end - eq - 1));
        query = *end == '&' ? end : NULL;
    }
    return rc;
}

int xtars_redact_is_credential_header(const char *name, size_t len)
{
    static const char *const exact[] = {"authorization", "proxy-authorization", "cookie",
                                        "api-key", "x-api-key"};
    static const char *const parts[] = {"key", "token", "secret"};
    char lower[128];

    if (len >= sizeof lower)
        return 1; /* an odd name: treat its value as secret */
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    lower[len] = '\0';
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(lower, exact[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(lower, parts[i]))
            return 1;
    return 0;
}

xtars_err xtars_redact_add_headers(const char *lines)
{
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && lines && *lines) {
        size_t line_len = strcspn(lines, "\n");
        const char *colon = memchr(lines, ':', line_len), *value, *end = lines + line_len;
        if (colon && xtars_redact_is_credential_header(lines, (size_t)(colon - lines))) {
            const char *word;
            value = colon + 1 + strspn(colon + 1, " \t");
            while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
            rc = add_piece(value, (size_t)(end - value));
            for (word = end; word > value && word[-1] != ' '; word--)
                ;
            if (rc == XTARS_OK && word > value)
                rc = add_piece(word, (size_t)(end - word));
        }
        lines += line_len + (lines[line_len] == '\n');
    }
    return rc;
}
