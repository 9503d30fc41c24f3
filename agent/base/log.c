/* log.c: leveled logging to stderr, as text or JSON lines, with secret
 * redaction applied to every line and, in text lines, control characters
 * escaped (agent/base/term.h) so no line can act on the terminal. Used only
 * by the loop and the CLI. */
#include "xtars/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "xtars/buf.h"
#include "agent/base/json.h"
#include "agent/base/term.h"

#define REDACTED "[redacted]"

static enum xtars_log_level current_level = XTARS_LOG_INFO;
static enum xtars_log_format current_format = XTARS_LOG_TEXT;
static int out_fd = 2;
/* Grown as needed: a fixed cap would have to refuse a secret, and any
 * caller that shrugged that off would print it (fail open). */
static char **secrets;
static int secret_count, secret_cap;
static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void xtars_log_set_level(enum xtars_log_level level) { current_level = level; }
enum xtars_log_level xtars_log_get_level(void) { return current_level; }
void xtars_log_set_format(enum xtars_log_format format) { current_format = format; }
void xtars_log_set_fd(int fd) { out_fd = fd; }

const char *xtars_log_level_name(enum xtars_log_level level)
{
    return (unsigned)level <= XTARS_LOG_DEBUG ? level_names[level] : "?";
}

xtars_err xtars_log_level_from_name(const char *name, enum xtars_log_level *out)
{
    for (int i = 0; i <= XTARS_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum xtars_log_level)i;
            return XTARS_OK;
        }
    }
    return XTARS_EINVAL;
}

xtars_err xtars_log_format_from_name(const char *name, enum xtars_log_format *out)
{
    if (strcmp(name, "text") == 0)
        *out = XTARS_LOG_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = XTARS_LOG_JSON;
    else
        return XTARS_EINVAL;
    return XTARS_OK;
}

/* Adds one form of a secret (the caller holds the lock); known ones once. */
static xtars_err add_form(const char *form)
{
    for (int i = 0; i < secret_count; i++)
        if (strcmp(secrets[i], form) == 0)
            return XTARS_OK;
    if (secret_count == secret_cap) {
        int cap = secret_cap ? 2 * secret_cap : 32;
        char **grown = cap > (1 << 20) ? NULL : realloc(secrets, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return XTARS_ENOMEM;
        secrets = grown, secret_cap = cap;
    }
    if ((secrets[secret_count] = strdup(form)) == NULL)
        return XTARS_ENOMEM;
    secret_count++;
    return XTARS_OK;
}

xtars_err xtars_log_add_secret(const char *secret)
{
    struct xtars_buf escaped;
    xtars_err rc;

    if (secret == NULL || strlen(secret) < 4)
        return XTARS_OK;
    /* Trajectories are redacted as JSON text, where a value with quotes,
     * backslashes or control characters appears escaped: that form too. */
    xtars_buf_init(&escaped, 4 * strlen(secret) + 16);
    rc = xtars_json_put_string(&escaped, secret);
    pthread_mutex_lock(&secrets_lock);
    if (rc == XTARS_OK)
        rc = add_form(secret);
    if (rc == XTARS_OK && escaped.len > 2) {
        escaped.data[escaped.len - 1] = '\0'; /* without the quotes */
        if (strcmp(escaped.data + 1, secret) != 0)
            rc = add_form(escaped.data + 1);
    }
    pthread_mutex_unlock(&secrets_lock);
    if (escaped.data)
        memset(escaped.data, 0, escaped.len);
    xtars_buf_cleanup(&escaped);
    return rc;
}

xtars_err xtars_log_add_secret_vars(const char *names, char err[static XTARS_ERRLEN])
{
    char name[256];
    const char *p = names;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && p && *p) {
        size_t n = strcspn(p, ",");
        const char *value;

        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        name[strcspn(name, " \t")] = '\0';
        value = name[0] ? getenv(name) : NULL;
        if (value)
            rc = xtars_log_add_secret(value);
        if (rc != XTARS_OK)
            xtars_error(err, rc, "log: out of memory (at $%s)", name);
        p += n;
        if (*p == ',')
            p++;
    }
    return rc;
}

void xtars_log_cleanup(void)
{
    pthread_mutex_lock(&secrets_lock);
    for (int i = 0; i < secret_count; i++) {
        volatile char *p = secrets[i];
        while (*p)
            *p++ = 0;
        free(secrets[i]);
        secrets[i] = NULL;
    }
    free(secrets);
    secrets = NULL;
    secret_count = secret_cap = 0;
    pthread_mutex_unlock(&secrets_lock);
    current_level = XTARS_LOG_INFO;
    current_format = XTARS_LOG_TEXT;
    out_fd = 2;
}

/* Leftmost match of any secret at or after text; sets *which. */
static const char *find_secret(const char *text, int *which)
{
    const char *best = NULL;

    for (int i = 0; i < secret_count; i++) {
        const char *hit = strstr(text, secrets[i]);
        if (hit && (best == NULL || hit < best)) {
            best = hit;
            *which = i;
        }
    }
    return best;
}

char *xtars_log_redact(const char *text)
{
    struct xtars_buf out;
    const char *cursor = text, *hit;
    int which = 0;
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&out, (size_t)-1 / 2);
    pthread_mutex_lock(&secrets_lock);
    while (rc == XTARS_OK && (hit = find_secret(cursor, &which)) != NULL) {
        rc = xtars_buf_append(&out, cursor, (size_t)(hit - cursor));
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(&out, REDACTED);
        cursor = hit + strlen(secrets[which]);
    }
    pthread_mutex_unlock(&secrets_lock);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(&out, cursor);
    if (rc != XTARS_OK) {
        xtars_buf_cleanup(&out);
        return NULL;
    }
    return xtars_buf_detach(&out, NULL);
}

void xtars_log_redact_copy(char *out, size_t size, const char *text)
{
    char *clean;

    if (size == 0)
        return;
    clean = xtars_log_redact(text ? text : "");
    snprintf(out, size, "%s", clean ? clean : "[withheld]");
    free(clean);
}

/* Length of the longest piece (>= 4 bytes) of a secret that text starts
 * with as the secret's end (at_end 0), or ends with as its start (1). */
static size_t edge_piece(const char *text, size_t len, int at_end)
{
    size_t best = 0;

    for (int i = 0; i < secret_count; i++) {
        size_t slen = strlen(secrets[i]);
        for (size_t k = slen - 1 < len ? slen - 1 : len; k >= 4 && k > best; k--) {
            int hit = at_end ? memcmp(text + len - k, secrets[i], k) == 0
                             : memcmp(text, secrets[i] + slen - k, k) == 0;
            if (hit) {
                best = k;
                break;
            }
        }
    }
    return best;
}

void xtars_log_redact_window(char *out, size_t size, const char *s, size_t n)
{
    char *raw = malloc(n + 1), *clean;
    size_t len, head, tail;

    if (size == 0)
        return;
    if (raw == NULL) {
        snprintf(out, size, "[withheld]");
        return;
    }
    memcpy(raw, s, n);
    raw[n] = '\0';
    clean = xtars_log_redact(raw);
    free(raw);
    if (clean == NULL) {
        snprintf(out, size, "[withheld]");
        return;
    }
    len = strlen(clean);
    pthread_mutex_lock(&secrets_lock);
    head = edge_piece(clean, len, 0);
    tail = len > head ? edge_piece(clean + head, len - head, 1) : 0;
    pthread_mutex_unlock(&secrets_lock);
    snprintf(out, size, "%s%.*s%s", head ? REDACTED : "", (int)(len - head - tail), clean + head,
             tail ? REDACTED : "");
    free(clean);
}

xtars_err xtars_term_escape(struct xtars_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && i < n) {
        size_t len = p[i] < 0x80 ? 1 : xtars_utf8_sequence_len(s + i, n - i);
        unsigned code;

        if (len == 1 && (p[i] >= 0x20 || p[i] == '\n' || p[i] == '\t') && p[i] != 0x7f) {
            run++, i++;
            continue;
        }
        if (len > 1 && !(len == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)) { /* not C1 */
            run += len, i += len;
            continue;
        }
        if (run)
            rc = xtars_buf_append(out, p + i - run, run);
        run = 0;
        /* a C0 control or DEL (len 1), a C1 control (U+0080-U+009F, two
         * bytes) or a byte that starts no valid sequence (len 0) */
        code = len == 2 ? p[i + 1] : p[i];
        if (rc == XTARS_OK)
            rc = xtars_buf_printf(out, "\\x%02x", code);
        i += len ? len : 1;
    }
    if (rc == XTARS_OK && run)
        rc = xtars_buf_append(out, p + i - run, run);
    return rc;
}

char *xtars_term_clean(const char *text)
{
    char *clean = xtars_log_redact(text ? text : "");
    struct xtars_buf out;

    if (clean == NULL)
        return NULL;
    xtars_buf_init(&out, (size_t)-1 / 2);
    if (xtars_term_escape(&out, clean, strlen(clean)) != XTARS_OK) {
        free(clean);
        xtars_buf_cleanup(&out);
        return NULL;
    }
    free(clean);
    return xtars_buf_detach(&out, NULL);
}

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

void xtars_log(enum xtars_log_level level, const char *fmt, ...)
{
    struct xtars_buf raw, line;
    va_list ap;
    char *clean;

    if (level > current_level)
        return;
    xtars_buf_init(&raw, 1 << 20);
    va_start(ap, fmt);
    xtars_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    clean = xtars_log_redact(raw.data ? raw.data : "");
    xtars_buf_cleanup(&raw);
    if (clean == NULL)
        return;
    xtars_buf_init(&line, 7 << 20); /* 1 MB of controls escaped takes up to 6 (\u0001) */
    if (current_format == XTARS_LOG_JSON) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        xtars_buf_printf(&line, "{\"ts\":%lld.%03d,\"level\":\"%s\",\"msg\":",
                         (long long)tv.tv_sec, (int)(tv.tv_usec / 1000), level_names[level]);
        xtars_json_put_string(&line, clean);
        xtars_buf_puts(&line, "}\n");
    } else {
        for (char *p = clean; *p; p++)
            if (*p == '\n')
                *p = ' ';
        xtars_buf_printf(&line, "xtars: %s%s", level == XTARS_LOG_INFO ? "" : level_names[level],
                         level == XTARS_LOG_INFO ? "" : ": ");
        xtars_term_escape(&line, clean, strlen(clean));
        xtars_buf_putc(&line, '\n');
    }
    if (line.data && line.error == XTARS_OK) /* never a partial line */
        write_all(out_fd, line.data, line.len);
    xtars_buf_cleanup(&line);
    free(clean);
}
