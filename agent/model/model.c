/* model.c: the model client; the only user of libcurl. One easy handle per
 * client keeps the connection open across steps. Every failure becomes one
 * line that names the URL and says what to look at; the API key never
 * reaches a message or a trace line. Never prints, never exits. */
#include "agent/config/config_internal.h"
#include "xtars/model.h"
#include "agent/base/clock.h"

/* libcurl is loaded with dlopen on first model use, so the commands that never
 * talk to a model (screenshot, act, parse, version, ...) do not pay for it and
 * its ~30 dependent libraries at start-up (issue 22). Only the types and
 * constants come from the header; every curl_* call below goes through the
 * table `curl_api`, filled by load_curl() (the macros after the includes). The
 * type-checking macros of curl/typecheck-gcc.h would call the real symbols. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "xtars/buf.h"
#include "agent/model/chat.h"
#include "agent/model/inflight.h"
#include "agent/model/model_internal.h"
#include "xtars/log.h"
#include "xtars/version.h"

#define ERROR_BODY_MAX 4096     /* bytes of an error response kept for the message */
#define ERROR_BODY_QUOTED 300   /* bytes of it quoted in the message */
#define RETRY_AFTER_MAX_MS 60000L

struct xtars_model {
    CURL *curl;
    struct curl_slist *headers;
    char url[600];
    char key_var[128];
    char *key;                  /* API key or NULL; wiped on free */
    int timeout_ms, connect_timeout_ms, retries, max_tokens;
    size_t max_response;
    long backoff_base_ms, backoff_max_ms, backoff_budget_ms;
    const atomic_int *stop;
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    unsigned rng;
    struct xtars_inflight *inflight; /* $XTARS_INFLIGHT_DIR: shared request slots, or NULL */
    int has_ca_file;            /* config ca_file is in use */
};

/* What one HTTP exchange produced. */
struct attempt {
    struct xtars_model *m;
    long status;
    int sse;                    /* the 2xx body is text/event-stream */
    int connected;              /* the connection was up when the request went out */
    int oversize;
    int stream_failed;          /* the stream parser rejected an event */
    size_t received;
    long retry_after_ms;        /* -1: no Retry-After */
    struct xtars_buf body;      /* JSON body, or the start of an error body */
    struct xtars_chat_result result;
    struct xtars_chat_stream stream;
    char stream_err[XTARS_ERRLEN];
    char curl_err[CURL_ERROR_SIZE];
};

/* The libcurl functions this file calls, resolved from libcurl.so.4 (the
 * SONAME of every libcurl since 7.16). */
static struct curl_functions {
    CURLcode (*global_init)(long flags);
    curl_version_info_data *(*version_info)(CURLversion stamp);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
    time_t (*getdate)(const char *text, const time_t *unused);
} curl_api;

/* curl.h defines these two as macros of themselves (to keep them from being
 * taken by address); they become table entries like the rest. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init curl_api.global_init
#define curl_version_info curl_api.version_info
#define curl_easy_init curl_api.easy_init
#define curl_easy_cleanup curl_api.easy_cleanup
#define curl_easy_setopt curl_api.easy_setopt
#define curl_easy_getinfo curl_api.easy_getinfo
#define curl_easy_perform curl_api.easy_perform
#define curl_easy_strerror curl_api.easy_strerror
#define curl_slist_append curl_api.slist_append
#define curl_slist_free_all curl_api.slist_free_all
#define curl_getdate curl_api.getdate

#define CURL_LIBRARY "libcurl.so.4"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static char curl_load_err[200];    /* why libcurl could not be loaded, or "" */

/* Fills curl_api; the library stays loaded for the life of the process. */
static int load_curl(void)
{
    static const struct {
        const char *name;
        size_t offset;
    } symbols[] = {
#define CURL_SYMBOL(field, name) {name, offsetof(struct curl_functions, field)}
        CURL_SYMBOL(global_init, "curl_global_init"),
        CURL_SYMBOL(version_info, "curl_version_info"),
        CURL_SYMBOL(easy_init, "curl_easy_init"),
        CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup"),
        CURL_SYMBOL(easy_setopt, "curl_easy_setopt"),
        CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo"),
        CURL_SYMBOL(easy_perform, "curl_easy_perform"),
        CURL_SYMBOL(easy_strerror, "curl_easy_strerror"),
        CURL_SYMBOL(slist_append, "curl_slist_append"),
        CURL_SYMBOL(slist_free_all, "curl_slist_free_all"),
        CURL_SYMBOL(getdate, "curl_getdate"),
#undef CURL_SYMBOL
    };
    void *lib = dlopen(CURL_LIBRARY, RTLD_NOW | RTLD_LOCAL);

    if (lib == NULL) {
        snprintf(curl_load_err, sizeof curl_load_err, "cannot load %s (install libcurl4): %s",
                 CURL_LIBRARY, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *fn = dlsym(lib, symbols[i].name);
        if (fn == NULL) {
            snprintf(curl_load_err, sizeof curl_load_err, "%s has no %s", CURL_LIBRARY,
                     symbols[i].name);
            return -1;
        }
        memcpy((char *)&curl_api + symbols[i].offset, &fn, sizeof fn);
    }
    return 0;
}

static void init_curl(void)
{
    if (load_curl() != 0)
        return;
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_rc != CURLE_OK)
        snprintf(curl_load_err, sizeof curl_load_err, "libcurl initialisation failed: %s",
                 curl_easy_strerror(curl_init_rc));
}

const char *xtars_model_curl_built_version(void)
{
    return LIBCURL_VERSION;
}

const char *xtars_model_curl_version(void)
{
    pthread_once(&curl_once, init_curl);
    return curl_api.version_info ? curl_version_info(CURLVERSION_NOW)->version : "none";
}

void xtars_model_reply_cleanup(struct xtars_model_reply *reply)
{
    if (reply == NULL)
        return;
    free(reply->text);
    memset(reply, 0, sizeof *reply);
}

const char *xtars_model_url(const struct xtars_model *m)
{
    return m->url;
}

void xtars_model_set_stop(struct xtars_model *m, const atomic_int *stop)
{
    m->stop = stop;
}

void xtars_model_set_backoff(struct xtars_model *m, long base_ms, long max_ms, long budget_ms)
{
    m->backoff_base_ms = base_ms > 0 ? base_ms : 1;
    m->backoff_max_ms = max_ms > m->backoff_base_ms ? max_ms : m->backoff_base_ms;
    m->backoff_budget_ms = budget_ms >= 0 ? budget_ms : 0;
}

void xtars_model_set_trace(struct xtars_model *m, void (*trace)(void *ctx, const char *line),
                           void *ctx)
{
    m->trace = trace;
    m->trace_ctx = ctx;
}

long xtars_model_backoff_ms(int retry, long base_ms, long max_ms, unsigned random_value)
{
    long wait = base_ms;

    for (int i = 1; i < retry && wait < max_ms; i++)
        wait *= 2;
    if (wait > max_ms)
        wait = max_ms;
    /* "Equal jitter": half fixed, half random, so clients that failed
     * together do not come back together. */
    return wait - wait / 2 + (long)(random_value % (unsigned long)(wait / 2 + 1));
}

static void tracef(struct xtars_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tracef(struct xtars_model *m, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (m->trace == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->trace(m->trace_ctx, line);
}

/* Replaces every copy of the key in a message by "[redacted]": servers echo
 * keys back in 401 bodies. */
static void scrub_key(const struct xtars_model *m, char *text)
{
    static const char mark[] = "[redacted]";
    size_t key_len;
    char *hit;

    if (m->key == NULL || (key_len = strlen(m->key)) == 0)
        return;
    while ((hit = strstr(text, m->key)) != NULL) {
        size_t rest = strlen(hit + key_len);
        if (key_len >= sizeof mark - 1) {
            memcpy(hit, mark, sizeof mark - 1);
            memmove(hit + sizeof mark - 1, hit + key_len, rest + 1);
        } else {
            memset(hit, '*', key_len);
        }
    }
}

/* ---- setup ---- */

/* Expands ${NAME} in an extra header value; NAME must be set. */
static xtars_err expand_value(const char *name, const char *value, struct xtars_buf *out,
                              char *err)
{
    const char *p = value, *open;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && (open = strstr(p, "${")) != NULL) {
        const char *close = strchr(open, '}');
        char var[128];
        const char *env;
        if (close == NULL || close - open - 2 <= 0 || close - open - 2 >= (long)sizeof var)
            break;
        memcpy(var, open + 2, (size_t)(close - open - 2));
        var[close - open - 2] = '\0';
        env = getenv(var);
        if (env == NULL)
            return xtars_error(err, XTARS_ECONFIG,
                               "config: extra_headers: header '%s' uses ${%s}, which is not set",
                               name, var);
        rc = xtars_buf_append(out, p, (size_t)(open - p));
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, env);
        if (rc == XTARS_OK && strlen(env) >= 4)
            rc = xtars_log_add_secret(env); /* fails closed: no request without redaction */
        p = close + 1;
    }
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, p);
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "config: extra_headers: header '%s': %s", name,
                           xtars_strerror(rc));
    if (strpbrk(out->data, "\r\n"))
        return xtars_error(err, XTARS_ECONFIG,
                           "config: extra_headers: header '%s' would contain a line break", name);
    return XTARS_OK;
}

static xtars_err add_header(struct xtars_model *m, const char *line, char *err)
{
    struct curl_slist *grown = curl_slist_append(m->headers, line);

    if (grown == NULL)
        return xtars_error(err, XTARS_ENOMEM, "model: out of memory");
    m->headers = grown;
    return XTARS_OK;
}

/* "Name: value\n" lines from the config, expanded; *has_auth is set when
 * one of them is an Authorization header. */
static xtars_err add_extra_headers(struct xtars_model *m, const char *lines, int *has_auth,
                                   char *err)
{
    const char *line = lines;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && *line) {
        const char *colon = strchr(line, ':'), *end = strchr(line, '\n');
        struct xtars_buf header;
        char name[128], value[2048];
        if (colon == NULL || end == NULL || colon > end || colon - line >= (long)sizeof name ||
            end - colon - 2 < 0 || end - colon - 2 >= (long)sizeof value)
            break;
        memcpy(name, line, (size_t)(colon - line));
        name[colon - line] = '\0';
        memcpy(value, colon + 2, (size_t)(end - colon - 2));
        value[end - colon - 2] = '\0';
        if (strcasecmp(name, "Authorization") == 0)
            *has_auth = 1;
        xtars_buf_init(&header, 8192);
        rc = xtars_buf_printf(&header, "%s: ", name);
        if (rc == XTARS_OK)
            rc = expand_value(name, value, &header, err);
        if (rc == XTARS_OK)
            rc = add_header(m, header.data, err);
        xtars_buf_cleanup(&header);
        line = end + 1;
    }
    return rc;
}

static xtars_err add_bearer(struct xtars_model *m, const char *key, char *err)
{
    struct xtars_buf auth;
    xtars_err rc;

    m->key = strdup(key);
    if (m->key == NULL || xtars_log_add_secret(m->key) != XTARS_OK)
        return xtars_error(err, XTARS_ENOMEM, "model: out of memory");
    xtars_buf_init(&auth, 8192);
    rc = xtars_buf_printf(&auth, "Authorization: Bearer %s", m->key);
    if (rc == XTARS_OK)
        rc = add_header(m, auth.data, err);
    else
        xtars_error(err, XTARS_ECONFIG, "model: the API key in $%s is too long", m->key_var);
    if (auth.data)
        memset(auth.data, 0, auth.len);
    xtars_buf_cleanup(&auth);
    return rc;
}

static xtars_err build_headers(struct xtars_model *m, const struct xtars_config *cfg, char *err)
{
    const char *key = getenv(cfg->api_key_env);
    int has_auth = 0;
    xtars_err rc;

    rc = add_header(m, "Content-Type: application/json", err);
    if (rc == XTARS_OK)
        rc = add_header(m, cfg->stream ? "Accept: text/event-stream, application/json"
                                       : "Accept: application/json", err);
    /* Without "Expect:" libcurl sends "Expect: 100-continue" with bodies over
     * 1 MB and waits up to a second for an answer many servers never send. */
    if (rc == XTARS_OK)
        rc = add_header(m, "Expect:", err);
    if (rc == XTARS_OK)
        rc = add_extra_headers(m, cfg->extra_headers, &has_auth, err);
    if (rc != XTARS_OK || key == NULL || *key == '\0' || has_auth)
        return rc;
    return add_bearer(m, key, err);
}

/* endpoint + "/chat/completions", the path going before a query string
 * (Azure-style "?api-version=...", or a token some gateways take there). */
static void make_url(struct xtars_model *m, const char *endpoint)
{
    size_t path_end = strcspn(endpoint, "?#"), n = path_end;

    while (n > 0 && endpoint[n - 1] == '/')
        n--;
    snprintf(m->url, sizeof m->url, "%.*s/chat/completions%s", (int)n, endpoint,
             endpoint + path_end);
}

/* A private CA for an https endpoint (a self-hosted model behind an
 * internal certificate). Checked here so a typo fails before the first step,
 * not as a TLS error after a screenshot. */
static xtars_err set_ca_file(struct xtars_model *m, const char *path, char *err)
{
    struct stat st;
    FILE *f;

    if (path[0] == '\0')
        return XTARS_OK;
    f = fopen(path, "r");
    if (f == NULL)
        return xtars_error(err, XTARS_ECONFIG, "config: ca_file: cannot read %s: %s", path,
                           strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return xtars_error(err, XTARS_ECONFIG, "config: ca_file: %s is a directory (name the "
                           "CA's PEM file)", path);
    }
    fclose(f);
    m->has_ca_file = 1;
    if (curl_easy_setopt(m->curl, CURLOPT_CAINFO, path) != CURLE_OK)
        return xtars_error(err, XTARS_ECONFIG, "config: ca_file: libcurl refused %s", path);
    return XTARS_OK;
}

/* `xtars batch` with max_inflight_requests hands its tasks a directory of
 * request slots; each request then holds one (include/xtars/inflight.h). */
static xtars_err open_inflight(struct xtars_model *m, char *err)
{
    const char *dir = getenv(XTARS_INFLIGHT_ENV);
    char why[XTARS_ERRLEN];

    if (dir == NULL || dir[0] == '\0')
        return XTARS_OK;
    if (xtars_inflight_open(dir, &m->inflight, why) != XTARS_OK)
        return xtars_error(err, XTARS_ECONFIG, "model: %s", why);
    return XTARS_OK;
}

xtars_err xtars_model_new(const struct xtars_config *cfg, struct xtars_model **out, char err[static XTARS_ERRLEN])
{
    struct xtars_model *m;
    xtars_err rc;

    *out = NULL;
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return xtars_error(err, XTARS_EMODEL, "model: %s", curl_load_err);
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return xtars_error(err, XTARS_ENOMEM, "model: out of memory");
    make_url(m, cfg->endpoint);
    snprintf(m->key_var, sizeof m->key_var, "%s", cfg->api_key_env);
    m->timeout_ms = cfg->timeout_ms;
    m->connect_timeout_ms = cfg->connect_timeout_ms;
    m->retries = cfg->retries;
    m->max_tokens = cfg->max_tokens;
    m->max_response = (size_t)cfg->max_response_bytes;
    xtars_model_set_backoff(m, 500, 8000, 60000);
    m->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)m;
    m->curl = curl_easy_init();
    if (m->curl == NULL) {
        free(m);
        return xtars_error(err, XTARS_EMODEL, "model: cannot create a libcurl handle");
    }
    rc = build_headers(m, cfg, err);
    if (rc == XTARS_OK)
        rc = set_ca_file(m, cfg->ca_file, err);
    if (rc == XTARS_OK)
        rc = open_inflight(m, err);
    if (rc != XTARS_OK) {
        xtars_model_free(m);
        return rc;
    }
    *out = m;
    return XTARS_OK;
}

void xtars_model_free(struct xtars_model *m)
{
    if (m == NULL)
        return;
    if (m->curl)
        curl_easy_cleanup(m->curl);
    /* The slist holds the Authorization line: wipe it before freeing. */
    for (struct curl_slist *h = m->headers; h; h = h->next)
        memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(m->headers);
    xtars_inflight_free(m->inflight);
    if (m->key) {
        volatile char *p = m->key;
        while (*p)
            *p++ = 0;
        free(m->key);
    }
    free(m);
}

/* ---- one exchange ---- */

static void attempt_init(struct attempt *a, struct xtars_model *m)
{
    memset(a, 0, sizeof *a);
    a->m = m;
    a->retry_after_ms = -1;
    xtars_buf_init(&a->body, m->max_response);
    xtars_chat_result_init(&a->result, m->max_response);
    xtars_chat_stream_init(&a->stream, &a->result, m->max_response);
}

static void attempt_cleanup(struct attempt *a)
{
    xtars_buf_cleanup(&a->body);
    xtars_chat_stream_cleanup(&a->stream);
    xtars_chat_result_cleanup(&a->result);
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
static long parse_retry_after(const char *value)
{
    char *end;
    long seconds;
    time_t when;

    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        errno = 0;
        seconds = strtol(value, &end, 10);
        if (errno == 0 && (*end == '\0' || isspace((unsigned char)*end)))
            return seconds > 86400 ? 86400L * 1000 : seconds * 1000;
        return -1;
    }
    when = curl_getdate(value, NULL);
    if (when == -1)
        return -1;
    return when <= time(NULL) ? 0 : (long)(when - time(NULL)) * 1000;
}

static size_t on_header(char *data, size_t size, size_t count, void *userp)
{
    struct attempt *a = userp;
    size_t len = size * count;
    char line[512], *value;

    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), data);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {  /* a new response: forget the last one's */
        a->sse = 0;
        a->retry_after_ms = -1;
        return len;
    }
    value = strchr(line, ':');
    if (value == NULL)
        return len;
    *value++ = '\0';
    if (strcasecmp(line, "Content-Type") == 0)
        a->sse = strstr(value, "text/event-stream") != NULL;
    else if (strcasecmp(line, "Retry-After") == 0)
        a->retry_after_ms = parse_retry_after(value);
    return len;
}

static size_t on_write(char *data, size_t size, size_t count, void *userp)
{
    struct attempt *a = userp;
    size_t len = size * count;

    curl_easy_getinfo(a->m->curl, CURLINFO_RESPONSE_CODE, &a->status);
    if (a->status < 200 || a->status > 299) {
        size_t keep = a->body.max < ERROR_BODY_MAX ? a->body.max : ERROR_BODY_MAX;
        size_t room = a->body.len < keep ? keep - a->body.len : 0;
        xtars_buf_append(&a->body, data, len < room ? len : room);
        return len;
    }
    a->received += len;
    if (a->received > a->m->max_response) {
        a->oversize = 1;
        return 0;
    }
    if (a->sse) {
        if (xtars_chat_stream_feed(&a->stream, data, len, a->stream_err) != XTARS_OK) {
            a->stream_failed = 1;
            return 0;
        }
        return len;
    }
    return xtars_buf_append(&a->body, data, len) == XTARS_OK ? len : 0;
}

static int on_prereq(void *userp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    struct attempt *a = userp;

    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    a->connected = 1;
    return CURL_PREREQFUNC_OK;
}

static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct attempt *a = userp;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return a->m->stop && *a->m->stop ? 1 : 0;
}

/* Trace lines from libcurl's debug stream; the Authorization value is
 * replaced before the line leaves this file. */
static int on_debug(CURL *handle, curl_infotype type, char *data, size_t size, void *userp)
{
    struct xtars_model *m = ((struct attempt *)userp)->m;
    const char *mark = type == CURLINFO_HEADER_OUT ? ">" : type == CURLINFO_HEADER_IN ? "<" : "*";
    const char *p = data, *end = data + size;

    (void)handle;
    if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && strncasecmp(p, "Authorization:", 14) == 0)
            tracef(m, "%s Authorization: [hidden]", mark);
        else if (n > 0)
            tracef(m, "%s %.*s", mark, (int)(n > 900 ? 900 : n), p);
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static CURLcode perform(struct xtars_model *m, const char *body, size_t len, struct attempt *a)
{
    CURL *c = m->curl;

    curl_easy_setopt(c, CURLOPT_URL, m->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, m->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "xtars/" XTARS_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)m->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, a);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
    curl_easy_setopt(c, CURLOPT_VERBOSE, m->trace ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, a);
    return curl_easy_perform(c);
}

/* ---- what went wrong, in one line ---- */

static int is_tls_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CLIENTCERT:
        return 1;
    default:
        return 0;
    }
}

static const char *curl_detail(const struct attempt *a, CURLcode cc)
{
    return a->curl_err[0] ? a->curl_err : curl_easy_strerror(cc);
}

static xtars_err transport_error(struct xtars_model *m, struct attempt *a, CURLcode cc,
                                 int *retryable, char *err)
{
    long os_errno = 0;

    *retryable = 1;
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(m->curl, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED)
            return xtars_error(err, XTARS_EMODEL,
                               "model: cannot connect to %s: connection refused (is the server "
                               "running?)", m->url);
        return xtars_error(err, XTARS_EMODEL, "model: cannot connect to %s: %s", m->url,
                           os_errno ? strerror((int)os_errno) : curl_detail(a, cc));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return xtars_error(err, XTARS_EMODEL, "model: DNS lookup failed for %s: %s", m->url,
                           curl_detail(a, cc));
    case CURLE_OPERATION_TIMEDOUT:
        if (!a->connected && m->connect_timeout_ms < m->timeout_ms)
            return xtars_error(err, XTARS_EMODEL,
                               "model: connect timeout: no connection to %s within "
                               "connect_timeout_ms=%d", m->url, m->connect_timeout_ms);
        return xtars_error(err, XTARS_EMODEL,
                           "model: total timeout: no complete reply from %s within timeout_ms=%d "
                           "(%s, %zu reply bytes received)", m->url, m->timeout_ms,
                           a->connected ? "request sent" : "not connected", a->received);
    case CURLE_GOT_NOTHING:
        return xtars_error(err, XTARS_EMODEL, "model: %s closed the connection without replying",
                           m->url);
    case CURLE_PARTIAL_FILE:
        return xtars_error(err, XTARS_EMODEL, "model: the reply from %s was cut short: %s", m->url,
                           curl_detail(a, cc));
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return xtars_error(err, XTARS_EMODEL, "model: connection to %s lost: %s", m->url,
                           curl_detail(a, cc));
    default:
        break;
    }
    *retryable = cc == CURLE_SSL_CONNECT_ERROR;
    if (cc == CURLE_PEER_FAILED_VERIFICATION)
        return xtars_error(err, XTARS_EMODEL, "model: TLS failure with %s: %s (%s)", m->url,
                           curl_detail(a, cc),
                           m->has_ca_file ? "ca_file does not vouch for this server"
                                          : "for a private CA, set ca_file to its PEM file");
    if (is_tls_error(cc))
        return xtars_error(err, XTARS_EMODEL, "model: TLS failure with %s: %s", m->url,
                           curl_detail(a, cc));
    return xtars_error(err, XTARS_EMODEL, "model: request to %s failed: %s", m->url,
                       curl_detail(a, cc));
}

/* The start of a body as one printable line. Secrets are redacted in the
 * whole body before it is cut: a server echoing the key near the cut must
 * not leave its first bytes in the message. */
static void quote_body(const struct xtars_buf *body, size_t max, char *out, size_t out_size)
{
    char quoted[ERROR_BODY_MAX + 1];
    size_t n, j = 0;

    xtars_log_redact_copy(quoted, sizeof quoted, body->data ? body->data : "");
    n = strlen(quoted) < max ? strlen(quoted) : max;
    for (size_t i = 0; i < n && j + 1 < out_size; i++) {
        unsigned char c = (unsigned char)quoted[i];
        out[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    while (j > 0 && out[j - 1] == ' ')
        j--;
    out[j] = '\0';
}

static xtars_err http_error(struct xtars_model *m, struct attempt *a, size_t request_len,
                            int *retryable, char *err)
{
    char quoted[ERROR_BODY_QUOTED + 1], hint[300] = "";
    const char *key_state = m->key ? "was refused" : "is not set: no key was sent";

    *retryable = a->status == 408 || a->status == 429 || a->status >= 500;
    /* The server's own message when the body is an error object of a known
     * shape (chat.h), else the start of the body as it came (plain text). */
    if (!a->body.data || !xtars_chat_error_text(a->body.data, a->body.len, quoted, sizeof quoted))
        quote_body(&a->body, ERROR_BODY_QUOTED, quoted, sizeof quoted);
    if (a->status == 401 || a->status == 403)
        snprintf(hint, sizeof hint, " (the API key in $%s %s)", m->key_var, key_state);
    else if (a->status == 404)
        snprintf(hint, sizeof hint, " (check 'endpoint' (usually ending in /v1) and 'model')");
    else if (a->status == 413)
        snprintf(hint, sizeof hint,
                 " (the request was %zu bytes: lower history_images or max_request_bytes)",
                 request_len);
    if (quoted[0] == '\0')
        return xtars_error(err, XTARS_EMODEL, "model: HTTP %ld from %s (empty body)%s", a->status,
                           m->url, hint);
    return xtars_error(err, XTARS_EMODEL, "model: HTTP %ld from %s: %s%s", a->status, m->url,
                       quoted, hint);
}

static xtars_err parse_reply(struct xtars_model *m, struct attempt *a, int *retryable, char *err)
{
    char reason[XTARS_ERRLEN], quoted[201];
    xtars_err rc;

    if (a->sse) {
        rc = xtars_chat_stream_finish(&a->stream, reason);
        if (rc == XTARS_OK && !a->result.done && a->result.finish_reason[0] == '\0') {
            *retryable = 1;
            return xtars_error(err, XTARS_EMODEL,
                               "model: the event stream from %s ended before the reply was "
                               "complete (%d events, no finish_reason or [DONE])",
                               m->url, a->result.events);
        }
    } else {
        rc = xtars_chat_parse_json(a->body.data ? a->body.data : "", a->body.len, &a->result,
                                   reason);
    }
    if (rc == XTARS_EMODEL)
        return xtars_error(err, rc, "model: %s answered HTTP %ld but %s", m->url, a->status,
                           reason);
    if (rc != XTARS_OK && a->sse)
        return xtars_error(err, XTARS_EMODEL, "model: bad event stream from %s: %s", m->url,
                           reason);
    if (rc != XTARS_OK) {
        quote_body(&a->body, 200, quoted, sizeof quoted);
        return xtars_error(err, XTARS_EMODEL,
                           "model: the reply from %s is not a chat completion: %s: %s", m->url,
                           reason, quoted);
    }
    return XTARS_OK;
}

/* Sorts one exchange into success or an error; *keep_text marks a reply
 * that failed but whose text is still worth returning. */
static xtars_err classify(struct xtars_model *m, struct attempt *a, CURLcode cc,
                          size_t request_len, int *retryable, int *keep_text, char *err)
{
    xtars_err rc;

    *retryable = 0;
    *keep_text = 0;
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return xtars_error(err, XTARS_ESTOPPED, "model: stopped while waiting for %s", m->url);
    if (a->oversize)
        return xtars_error(err, XTARS_EMODEL,
                           "model: the reply from %s is larger than max_response_bytes=%zu",
                           m->url, m->max_response);
    if (a->stream_failed)
        return xtars_error(err, XTARS_EMODEL, "model: bad event stream from %s: %s", m->url,
                           a->stream_err);
    if (cc != CURLE_OK)
        return transport_error(m, a, cc, retryable, err);
    curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &a->status);
    if (a->status < 200 || a->status > 299)
        return http_error(m, a, request_len, retryable, err);
    rc = parse_reply(m, a, retryable, err);
    if (rc != XTARS_OK)
        return rc;
    if (strcmp(a->result.finish_reason, "length") == 0) {
        *keep_text = 1;
        return xtars_error(err, XTARS_EMODEL,
                           "model: the reply from %s was cut at max_tokens=%d (finish_reason "
                           "'length'): raise max_tokens%s%s%s", m->url, m->max_tokens,
                           a->result.text.len == 0 && a->result.reasoning_bytes > 0
                               ? " (all of it came back in " : "",
                           a->result.text.len == 0 && a->result.reasoning_bytes > 0
                               ? a->result.reasoning_key : "",
                           a->result.text.len == 0 && a->result.reasoning_bytes > 0
                               ? ": the server's reasoning parser took it)" : "");
    }
    if (a->result.text.len == 0 && a->result.reasoning_bytes > 0)
        return xtars_error(err, XTARS_EMODEL,
                           "model: the reply from %s came back only in %s (%zu bytes; content "
                           "empty, finish_reason '%s'): the server's reasoning parser took the "
                           "text; start the server without a reasoning parser (vLLM/SGLang "
                           "--reasoning-parser) or, if it was cut, raise max_tokens",
                           m->url, a->result.reasoning_key, a->result.reasoning_bytes,
                           a->result.finish_reason[0] ? a->result.finish_reason : "none");
    if (a->result.text.len == 0)
        return xtars_error(err, XTARS_EMODEL, "model: empty reply from %s (finish_reason '%s')",
                           m->url, a->result.finish_reason[0] ? a->result.finish_reason : "none");
    return XTARS_OK;
}

/* ---- retries ---- */

static int stopped(const struct xtars_model *m)
{
    return m->stop && *m->stop;
}

/* Sleeps in short slices so a stop request ends the wait. 1 if stopped. */
static int wait_ms(const struct xtars_model *m, long ms)
{
    double until = xtars_clock_ms() + (double)ms;

    while (!stopped(m)) {
        double left = until - xtars_clock_ms();
        struct timespec ts;
        if (left <= 0)
            return 0;
        if (left > 50)
            left = 50;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e6);
        nanosleep(&ts, NULL);
    }
    return 1;
}

static void take_reply(struct attempt *a, double latency_ms, struct xtars_model_reply *reply)
{
    reply->text = xtars_buf_detach(&a->result.text, NULL);
    reply->prompt_tokens = a->result.prompt_tokens;
    reply->completion_tokens = a->result.completion_tokens;
    reply->latency_ms = latency_ms;
    reply->streamed = a->sse;
    snprintf(reply->finish_reason, sizeof reply->finish_reason, "%s", a->result.finish_reason);
}

/* The wait before the next attempt, or -1 (with a note in err) if none. */
static long next_wait(struct xtars_model *m, int retry, long retry_after_ms,
                      const struct xtars_model_reply *reply, char *err)
{
    char first[XTARS_ERRLEN];
    long wait;

    m->rng = m->rng * 1103515245u + 12345u;
    wait = retry_after_ms >= 0 ? retry_after_ms
                               : xtars_model_backoff_ms(retry, m->backoff_base_ms,
                                                        m->backoff_max_ms, m->rng >> 8);
    if (retry_after_ms > RETRY_AFTER_MAX_MS ||
        reply->backoff_ms + wait > m->backoff_budget_ms) {
        snprintf(first, sizeof first, "%s", err);
        if (retry_after_ms >= 0)
            xtars_error(err, XTARS_EMODEL, "%s (the server asked to wait %ld s: not retrying)",
                        first, retry_after_ms / 1000);
        else
            xtars_error(err, XTARS_EMODEL, "%s (retry wait budget of %ld ms used up)", first,
                        m->backoff_budget_ms);
        return -1;
    }
    return wait;
}

/* One request and its classification; fills the reply on success. */
static xtars_err attempt_once(struct xtars_model *m, const char *body, size_t body_len,
                              int attempt, struct xtars_model_reply *reply, int *retryable,
                              long *retry_after, char *err)
{
    struct attempt a;
    int keep_text = 0;
    double sent;
    CURLcode cc;
    xtars_err rc;

    if (m->inflight) {
        double waited;
        *retryable = 0;
        *retry_after = -1;
        if ((rc = xtars_inflight_acquire(m->inflight, m->stop, &waited, err)) != XTARS_OK)
            return rc == XTARS_ESTOPPED
                       ? xtars_error(err, rc, "model: stopped while waiting to ask %s", m->url)
                       : rc;
        if (waited >= 1)
            tracef(m, "waited %.0f ms for one of %d request slots", waited,
                   xtars_inflight_slots(m->inflight));
    }
    attempt_init(&a, m);
    tracef(m, "POST %s (%zu bytes, attempt %d of %d)", m->url, body_len, attempt,
           m->retries + 1);
    sent = xtars_clock_ms();
    cc = perform(m, body, body_len, &a);
    xtars_inflight_release(m->inflight);
    rc = classify(m, &a, cc, body_len, retryable, &keep_text, err);
    reply->attempts = attempt;
    reply->http_status = (int)a.status;
    if (rc == XTARS_OK || keep_text)
        take_reply(&a, xtars_clock_ms() - sent, reply);
    *retry_after = a.retry_after_ms;
    attempt_cleanup(&a);
    return rc;
}

xtars_err xtars_model_complete(struct xtars_model *m, const char *body, size_t body_len,
                               struct xtars_model_reply *reply, char err[static XTARS_ERRLEN])
{
    double start = xtars_clock_ms();
    xtars_err rc = XTARS_OK;
    char first[XTARS_ERRLEN];

    memset(reply, 0, sizeof *reply);
    reply->prompt_tokens = reply->completion_tokens = -1;
    for (int attempt = 1;; attempt++) {
        int retryable = 0;
        long retry_after, wait;

        if (stopped(m)) {
            rc = xtars_error(err, XTARS_ESTOPPED, "model: stopped before asking %s", m->url);
            break;
        }
        rc = attempt_once(m, body, body_len, attempt, reply, &retryable, &retry_after, err);
        if (rc == XTARS_OK || !retryable || attempt > m->retries)
            break;
        wait = next_wait(m, attempt, retry_after, reply, err);
        if (wait < 0)
            break;
        tracef(m, "retrying in %ld ms after: %s", wait, err);
        reply->backoff_ms += wait;
        if (wait_ms(m, wait)) {
            rc = xtars_error(err, XTARS_ESTOPPED, "model: stopped while waiting to retry %s",
                             m->url);
            break;
        }
    }
    if (rc != XTARS_OK && rc != XTARS_ESTOPPED && reply->attempts > 1) {
        snprintf(first, sizeof first, "%s", err);
        xtars_error(err, rc, "%s (after %d attempts)", first, reply->attempts);
    }
    if (rc != XTARS_OK)
        scrub_key(m, err);
    reply->total_ms = xtars_clock_ms() - start;
    return rc;
}
