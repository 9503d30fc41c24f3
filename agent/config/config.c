/* config.c: defaults, the field table, and every way a value enters or
 * leaves the config (JSON file, environment, command line, the opaque API's
 * set and getters). The table is the single source for loading, reading,
 * validation, printing and the docs, so a key cannot be documented without
 * being validated. Never prints, never exits. */
#include "agent/config/config_internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/json.h"
#include "agent/base/redact.h"

#define CONFIG_FILE_MAX (1 << 20)

xtars_err xtars_config_new(struct xtars_config **out)
{
    *out = malloc(sizeof **out);
    if (*out == NULL)
        return XTARS_ENOMEM;
    xtars_config_defaults(*out);
    return XTARS_OK;
}

void xtars_config_free(struct xtars_config *cfg)
{
    free(cfg);
}

void xtars_config_copy(struct xtars_config *dst, const struct xtars_config *src)
{
    memcpy(dst, src, sizeof *dst);
}

void xtars_config_defaults(struct xtars_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "http://127.0.0.1:8000/v1");
    snprintf(cfg->model, sizeof cfg->model, "ui-tars-1.5-7b");
    snprintf(cfg->api_key_env, sizeof cfg->api_key_env, "XTARS_API_KEY");
    cfg->redact[0]          = '\0';               /* the API key is always redacted */
    cfg->judge_api_key_env[0] = '\0';            /* empty: the judge uses api_key_env */
    cfg->family             = XTARS_FAMILY_UITARS15;
    cfg->max_pixels         = 16384L * 28 * 28;   /* Qwen2.5-VL processor default */
    cfg->min_pixels         = 100L * 28 * 28;
    cfg->image_format       = XTARS_IMAGE_PNG;
    cfg->png_level          = 1;                  /* fast; size differs little for UI images */
    cfg->jpeg_quality       = 85;
    cfg->history_images     = 5;                  /* what UI-TARS was trained with */
    cfg->max_steps          = 100;
    cfg->temperature        = 0.0;
    cfg->seed               = -1;                 /* not sent */
    cfg->top_p              = 0.7;
    cfg->max_tokens         = 1000;               /* 65535 breaks 32k-context servers */
    cfg->timeout_ms         = 60000;              /* whole request */
    cfg->connect_timeout_ms = 10000;
    cfg->retries            = 3;
    cfg->max_inflight_requests = 0;               /* batch: no limit; the server queues */
    cfg->max_request_bytes  = 64L << 20;          /* images dropped oldest first past this */
    cfg->max_response_bytes = 8L << 20;
    cfg->stream             = 0;
    snprintf(cfg->language, sizeof cfg->language, "English");
    snprintf(cfg->prompt, sizeof cfg->prompt, "computer_use");
    cfg->display[0]         = '\0';               /* empty: $DISPLAY */
    cfg->monitor[0]         = '\0';               /* empty: whole screen */
    cfg->cursor             = 0;
    cfg->wait_ms            = 5000;               /* what wait() means to the model */
    cfg->click_delay_ms     = 30;                 /* move -> press, for hover-sensitive apps */
    cfg->key_delay_ms       = 0;
    cfg->action_delay_ms    = 0;
    cfg->scroll_amount      = 5;                  /* notches, as the references send */
    cfg->double_click_ms    = 20;                 /* far inside every toolkit's 200-500 ms */
    cfg->clear_modifiers    = 1;                  /* a held Shift must not turn a click into shift-click */
    cfg->settle_timeout_ms  = 3000;
    cfg->stuck_limit        = 3;
    cfg->parse_fail_limit   = 3;
    cfg->policy[0]          = '\0';               /* empty: the built-in default policy */
    cfg->policy_mode        = 0;                  /* default: strict also confirms every terminal Enter */
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "runs");
    cfg->log_level          = 2;                  /* info */
}

enum field_type { T_STRING, T_INT, T_LONG, T_DOUBLE, T_ENUM, T_BOOL, T_HEADERS, T_NAMES };

struct field {
    const char *name;
    enum field_type type;
    size_t offset;
    size_t size;                 /* strings: array size */
    double min, max;             /* numbers */
    const char *const *choices;  /* enums: NULL-terminated, index = value */
    const char *help;
};

static const char *const family_choices[] = {"uitars-1.5", "uitars-1.0", "doubao", "pixels", NULL};
static const char *const format_choices[] = {"png", "jpeg", NULL};
static const char *const policy_mode_choices[] = {"default", "strict", NULL};
static const char *const level_choices[] = {"error", "warn", "info", "debug", NULL};

#define OFF(f) offsetof(struct xtars_config, f)
#define STR(f, help) {#f, T_STRING, OFF(f), sizeof(((struct xtars_config *)0)->f), 0, 0, NULL, help}
#define NUM(f, type, lo, hi, help) {#f, type, OFF(f), 0, lo, hi, NULL, help}
#define ENUMF(f, choices, help) {#f, T_ENUM, OFF(f), 0, 0, 0, choices, help}
#define HEADERS(f, help) {#f, T_HEADERS, OFF(f), sizeof(((struct xtars_config *)0)->f), 0, 0, NULL, help}
#define NAMES(f, help) {#f, T_NAMES, OFF(f), sizeof(((struct xtars_config *)0)->f), 0, 0, NULL, help}

static const struct field fields[] = {
    STR(endpoint, "Base URL of the OpenAI-compatible API; /chat/completions is appended"),
    STR(model, "Model name sent in each request"),
    STR(api_key_env, "Environment variable holding the API key (unset: no Authorization header)"),
    NAMES(redact, "Environment variables whose values must never appear in logs, trajectories or reports (comma-separated names, or a JSON list in files)"),
    HEADERS(extra_headers, "Extra HTTP headers for model requests, a JSON object of name to value; ${VAR} in a value reads the environment"),
    STR(ca_file, "PEM file of the certificate authorities trusted for an https endpoint (empty: the system's)"),
    STR(judge_endpoint, "Base URL for the questions of task assert, query and wait_until steps (empty: endpoint)"),
    STR(judge_model, "Model name for task assert, query and wait_until steps (empty: model)"),
    STR(judge_api_key_env, "Environment variable holding the API key for judge_endpoint (empty: api_key_env)"),
    ENUMF(family, family_choices, "Coordinate space of the model's replies"),
    NUM(max_pixels, T_LONG, 784, 1e9, "smart_resize upper bound on sent image pixels"),
    NUM(min_pixels, T_LONG, 784, 1e9, "smart_resize lower bound on sent image pixels"),
    ENUMF(image_format, format_choices, "Screenshot encoding sent to the model"),
    NUM(png_level, T_INT, 0, 9, "PNG compression level (0 none, 1 fastest, 9 smallest)"),
    NUM(jpeg_quality, T_INT, 1, 100, "JPEG quality when image_format is jpeg"),
    NUM(history_images, T_INT, 1, 50, "Screenshots kept in the request history"),
    NUM(max_steps, T_INT, 1, 100000, "Steps before a run stops as not completed"),
    NUM(temperature, T_DOUBLE, 0, 2, "Sampling temperature"),
    NUM(seed, T_INT, -1, 2147483647, "Sampling seed sent with each request (-1: none), for repeatable runs"),
    NUM(top_p, T_DOUBLE, 0, 1, "Nucleus sampling top_p"),
    NUM(max_tokens, T_INT, 1, 1000000, "Reply token limit"),
    NUM(timeout_ms, T_INT, 100, 3600000, "Total time limit of one model request"),
    NUM(connect_timeout_ms, T_INT, 100, 600000, "Connection time limit of one model request"),
    NUM(retries, T_INT, 0, 20, "Retries on connection errors, timeouts, 429 and 5xx"),
    NUM(max_inflight_requests, T_INT, 0, 1024, "xtars batch: model requests in flight at once across its tasks (0: no limit)"),
    NUM(max_request_bytes, T_LONG, 65536, 2e9, "Request body cap; oldest images are dropped to fit"),
    NUM(max_response_bytes, T_LONG, 1024, 1e9, "Response body cap"),
    NUM(stream, T_BOOL, 0, 1, "Use server-sent events streaming"),
    STR(language, "Language the model is asked to think in"),
    STR(prompt, "Prompt template: a name in configs/prompts/ or a file path"),
    STR(display, "X display to use (empty: $DISPLAY)"),
    STR(monitor, "XRandR monitor index or output name (empty: whole screen)"),
    NUM(cursor, T_BOOL, 0, 1, "Draw the mouse cursor into screenshots"),
    NUM(wait_ms, T_INT, 0, 3600000, "Duration of the wait() action"),
    NUM(click_delay_ms, T_INT, 0, 10000, "Pause between moving the pointer and pressing"),
    NUM(key_delay_ms, T_INT, 0, 10000, "Pause between typed keys"),
    NUM(action_delay_ms, T_INT, 0, 60000, "Pause after each action"),
    NUM(scroll_amount, T_INT, 1, 100, "Wheel notches per scroll action"),
    NUM(double_click_ms, T_INT, 0, 1000, "Pause between the two clicks of a double click"),
    NUM(clear_modifiers, T_BOOL, 0, 1, "Release modifiers held by others and unlock Caps Lock while acting"),
    NUM(settle_timeout_ms, T_INT, 0, 600000, "Longest wait for the screen to stop changing"),
    NUM(stuck_limit, T_INT, 1, 1000, "Repeats of one action without screen change before the run stops"),
    NUM(parse_fail_limit, T_INT, 1, 1000, "Unparseable replies in a row that are told to the model; one more stops the run"),
    STR(policy, "Action policy file (docs/policy.md); empty: built-in default; none: no policy"),
    ENUMF(policy_mode, policy_mode_choices, "strict: also confirm every Enter or paste into a terminal window (headless: refuse)"),
    STR(out_dir, "Directory under which run trajectories are written"),
    ENUMF(log_level, level_choices, "Log verbosity"),
};

#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

_Static_assert(sizeof fields / sizeof fields[0] <= XTARS_CONFIG_MAX_FIELDS,
               "raise XTARS_CONFIG_MAX_FIELDS");

static const char *const source_names[] = {"default", "file", "env", "flag"};

int xtars_config_field_count(void) { return NFIELDS; }

const char *xtars_config_field_name(int index)
{
    return index >= 0 && index < NFIELDS ? fields[index].name : NULL;
}

int xtars_config_field_index(const char *key)
{
    for (int i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, key) == 0)
            return i;
    return -1;
}

const char *xtars_config_source_name(int source)
{
    return source >= 0 && source <= XTARS_SOURCE_FLAG ? source_names[source] : "?";
}

const char *xtars_family_name(int family)
{
    return family >= 0 && family <= XTARS_FAMILY_PIXELS ? family_choices[family] : "?";
}

xtars_err xtars_family_from_name(const char *name, int *out)
{
    for (int i = 0; family_choices[i]; i++) {
        if (strcmp(family_choices[i], name) == 0) {
            *out = i;
            return XTARS_OK;
        }
    }
    return XTARS_EINVAL;
}

const char *xtars_config_suggest(const char *key)
{
    struct xtars_nearest n;

    xtars_nearest_init(&n, key);
    for (int i = 0; i < NFIELDS; i++)
        xtars_nearest_offer(&n, fields[i].name);
    return xtars_nearest_get(&n);
}

/* "config: unknown key 'max_step' in f.json line 3 (did you mean 'max_steps'?)" */
static xtars_err unknown_key(const char *key, const char *where, char *err)
{
    const char *hint = xtars_config_suggest(key);

    if (hint)
        return xtars_error(err, XTARS_ECONFIG, "config: unknown key '%s'%s (did you mean '%s'?)",
                           key, where, hint);
    return xtars_error(err, XTARS_ECONFIG, "config: unknown key '%s'%s", key, where);
}

static void *field_ptr(struct xtars_config *cfg, const struct field *f)
{
    return (char *)cfg + f->offset;
}

static const void *field_cptr(const struct xtars_config *cfg, const struct field *f)
{
    return (const char *)cfg + f->offset;
}

static xtars_err set_number(struct xtars_config *cfg, const struct field *f, double v,
                            const char *where, char *err)
{
    if (isnan(v) || v < f->min || v > f->max) {
        if (f->type == T_DOUBLE)
            return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be between %g and %g",
                               f->name, where, f->min, f->max);
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be between %.0f and %.0f",
                           f->name, where, f->min, f->max);
    }
    if (f->type != T_DOUBLE && v != floor(v))
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a whole number", f->name,
                           where);
    if (f->type == T_DOUBLE)
        *(double *)field_ptr(cfg, f) = v;
    else if (f->type == T_LONG)
        *(long *)field_ptr(cfg, f) = (long)v;
    else
        *(int *)field_ptr(cfg, f) = (int)v;
    return XTARS_OK;
}

/* "A, B_2,C": environment variable names separated by commas (spaces
 * around them allowed); "" is an empty list. */
static xtars_err check_names(const struct field *f, const char *s, const char *where, char *err)
{
    const char *p = s;

    while (*s && *p) {
        size_t n;
        while (*p == ' ')
            p++;
        n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        if (n == 0 || isdigit((unsigned char)*p))
            return xtars_error(err, XTARS_ECONFIG,
                               "config: '%s'%s must be environment variable names separated by "
                               "commas, not '%.64s'", f->name, where, s);
        p += n;
        while (*p == ' ')
            p++;
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p != '\0')
            return xtars_error(err, XTARS_ECONFIG,
                               "config: '%s'%s must be environment variable names separated by "
                               "commas, not '%.64s'", f->name, where, s);
    }
    return XTARS_OK;
}

static xtars_err set_string(struct xtars_config *cfg, const struct field *f, const char *s,
                            const char *where, char *err)
{
    if (f->type == T_ENUM) {
        struct xtars_buf list;
        for (int i = 0; f->choices[i]; i++) {
            if (strcmp(f->choices[i], s) == 0) {
                *(int *)field_ptr(cfg, f) = i;
                return XTARS_OK;
            }
        }
        xtars_buf_init(&list, 512);
        for (int i = 0; f->choices[i]; i++)
            xtars_buf_printf(&list, "%s%s", i ? ", " : "", f->choices[i]);
        xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be one of %s, not '%.64s'", f->name,
                    where, list.data ? list.data : "", s);
        xtars_buf_cleanup(&list);
        return XTARS_ECONFIG;
    }
    if (strlen(s) >= f->size)
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s is longer than %zu bytes", f->name,
                           where, f->size - 1);
    /* Printed configs must load back: invalid UTF-8 would come out as U+FFFD. */
    if (!xtars_json_utf8_valid(s, strlen(s)))
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s is not valid UTF-8", f->name, where);
    if (f->type == T_NAMES && check_names(f, s, where, err) != XTARS_OK)
        return XTARS_ECONFIG;
    memcpy(field_ptr(cfg, f), s, strlen(s) + 1);
    return XTARS_OK;
}

/* Header names are RFC 9110 tokens; values must not break the header line. */
static int header_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 100)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && strchr("!#$%&'*+-.^_`|~", name[i]) == NULL)
            return 0;
    return strcasecmp(name, "Content-Length") != 0 && strcasecmp(name, "Transfer-Encoding") != 0;
}

/* extra_headers is stored as "Name: value\n" lines, the form libcurl takes;
 * it is given as a JSON object in files and in --set / XTARS_EXTRA_HEADERS. */
static xtars_err set_headers(struct xtars_config *cfg, const struct field *f, const cJSON *obj,
                             const char *where, char *err)
{
    struct xtars_buf lines;
    const cJSON *item;
    xtars_err rc = XTARS_OK;

    if (!cJSON_IsObject(obj))
        return xtars_error(err, XTARS_ECONFIG,
                           "config: '%s'%s must be a JSON object of header name to value", f->name,
                           where);
    xtars_buf_init(&lines, f->size - 1);
    cJSON_ArrayForEach(item, obj) {
        if (!header_name_ok(item->string)) {
            rc = xtars_error(err, XTARS_ECONFIG, "config: '%s'%s: '%.100s' is not a usable header name",
                             f->name, where, item->string);
        } else if (!cJSON_IsString(item) || strpbrk(item->valuestring, "\r\n") ||
                   !xtars_json_utf8_valid(item->valuestring, strlen(item->valuestring))) {
            rc = xtars_error(err, XTARS_ECONFIG,
                             "config: '%s'%s: header '%s' must have a one-line UTF-8 string value", f->name,
                             where, item->string);
        } else if (xtars_buf_printf(&lines, "%s: %s\n", item->string, item->valuestring) != XTARS_OK) {
            rc = xtars_error(err, XTARS_ECONFIG, "config: '%s'%s is longer than %zu bytes", f->name,
                             where, f->size - 1);
        }
        if (rc != XTARS_OK)
            break;
    }
    if (rc == XTARS_OK)
        memcpy(field_ptr(cfg, f), lines.data ? lines.data : "", lines.len + 1);
    xtars_buf_cleanup(&lines);
    return rc;
}

static xtars_err set_headers_text(struct xtars_config *cfg, const struct field *f,
                                  const char *value, const char *where, char *err)
{
    cJSON *obj = cJSON_Parse(value);
    xtars_err rc;

    if (obj == NULL)
        return xtars_error(err, XTARS_ECONFIG,
                           "config: '%s'%s must be a JSON object such as {\"X-Name\": \"value\"}",
                           f->name, where);
    rc = set_headers(cfg, f, obj, where, err);
    cJSON_Delete(obj);
    return rc;
}

/* 1 when a header value is only a reference to a variable ("${KEY}" or
 * "Bearer ${KEY}"): the secret is not in the text, which may be shown. */
static int is_reference(const char *value, size_t len)
{
    size_t i = 0, name;

    while (i < len && ((value[i] >= 'A' && value[i] <= 'Z') || (value[i] >= 'a' && value[i] <= 'z')))
        i++;
    if (i > 0 && i < len && value[i] == ' ')
        i++;
    else
        i = 0;
    if (len - i < 4 || value[i] != '$' || value[i + 1] != '{' || value[len - 1] != '}')
        return 0;
    name = strspn(value + i + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    return i + 2 + name == len - 1 && name > 0;
}

/* Credential headers written literally show as "***" (docs: secrets). */
static xtars_err put_headers(struct xtars_buf *out, const char *lines)
{
    xtars_err rc = xtars_buf_putc(out, '{');
    const char *line = lines;

    while (rc == XTARS_OK && *line) {
        const char *colon = strchr(line, ':'), *end = strchr(line, '\n');
        if (colon == NULL || end == NULL || colon > end)
            break;
        if (line != lines)
            rc = xtars_buf_puts(out, ", ");
        if (rc == XTARS_OK)
            rc = xtars_json_put_stringn(out, line, (size_t)(colon - line));
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, ": ");
        if (rc == XTARS_OK && xtars_redact_is_credential_header(line, (size_t)(colon - line)) &&
            !is_reference(colon + 2, (size_t)(end - colon - 2)))
            rc = xtars_json_put_string(out, "***");
        else if (rc == XTARS_OK)
            rc = xtars_json_put_stringn(out, colon + 2, (size_t)(end - colon - 2));
        line = end + 1;
    }
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, '}');
    return rc;
}

static xtars_err parse_text_number(const struct field *f, const char *value, double *out,
                                   const char *where, char *err)
{
    char *end;

    if (f->type == T_BOOL) {
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes"))
            *out = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no"))
            *out = 0;
        else
            return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be true or false, not '%.64s'",
                               f->name, where, value);
        return XTARS_OK;
    }
    errno = 0;
    *out = strtod(value, &end);
    if (end == value || *end != '\0' || errno == ERANGE)
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a number, not '%.64s'",
                           f->name, where, value);
    return XTARS_OK;
}

static xtars_err set_from_text(struct xtars_config *cfg, int index, const char *value,
                               enum xtars_config_source source, const char *where, char *err)
{
    const struct field *f = &fields[index];
    xtars_err rc;
    double number = 0;

    if (f->type == T_STRING || f->type == T_ENUM || f->type == T_NAMES) {
        rc = set_string(cfg, f, value, where, err);
    } else if (f->type == T_HEADERS) {
        rc = set_headers_text(cfg, f, value, where, err);
    } else {
        rc = parse_text_number(f, value, &number, where, err);
        if (rc == XTARS_OK)
            rc = set_number(cfg, f, number, where, err);
    }
    if (rc == XTARS_OK)
        cfg->source[index] = (unsigned char)source;
    return rc;
}

xtars_err xtars_config_set_from(struct xtars_config *cfg, const char *key, const char *value,
                                enum xtars_config_source source, char err[static XTARS_ERRLEN])
{
    int index = xtars_config_field_index(key);
    const char *where = source == XTARS_SOURCE_FLAG ? " (command line)" : "";

    if (index < 0)
        return unknown_key(key, where, err);
    return set_from_text(cfg, index, value, source, where, err);
}

xtars_err xtars_config_set(struct xtars_config *cfg, const char *key, const char *value,
                           char err[static XTARS_ERRLEN])
{
    int index = xtars_config_field_index(key);

    if (index < 0)
        return unknown_key(key, "", err);
    return set_from_text(cfg, index, value, XTARS_SOURCE_FLAG, "", err);
}

xtars_err xtars_config_load_env(struct xtars_config *cfg, char err[static XTARS_ERRLEN])
{
    char var[96], where[128];

    for (int i = 0; i < NFIELDS; i++) {
        const char *value;
        size_t j;

        for (j = 0; fields[i].name[j] && j < 80; j++)
            var[6 + j] = (char)toupper((unsigned char)fields[i].name[j]);
        memcpy(var, "XTARS_", 6);
        var[6 + j] = '\0';
        value = getenv(var);
        if (value == NULL)
            continue;
        snprintf(where, sizeof where, " (from $%s)", var);
        if (set_from_text(cfg, i, value, XTARS_SOURCE_ENV, where, err) != XTARS_OK)
            return XTARS_ECONFIG;
    }
    return XTARS_OK;
}

/* Line of the first occurrence of "key" in the len bytes of text (which
 * need not end in a NUL), for messages; 0 if unknown. */
static int key_line(const char *text, size_t len, const char *key)
{
    char quoted[160];
    const char *hit;
    int line, column;

    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    hit = memmem(text, len, quoted, strlen(quoted));
    if (hit == NULL)
        return 0;
    xtars_json_position(text, (size_t)(hit - text), &line, &column);
    return line;
}

/* A names field in a file: "A,B" or ["A", "B"]. */
static xtars_err set_names(struct xtars_config *cfg, const struct field *f, const cJSON *item,
                           const char *where, char *err)
{
    struct xtars_buf joined;
    const cJSON *name;
    xtars_err rc = XTARS_OK;

    if (cJSON_IsString(item))
        return set_string(cfg, f, item->valuestring, where, err);
    if (!cJSON_IsArray(item))
        return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a list of variable names",
                           f->name, where);
    xtars_buf_init(&joined, f->size - 1);
    cJSON_ArrayForEach(name, item) {
        if (!cJSON_IsString(name) || name->valuestring[0] == '\0' || strchr(name->valuestring, ','))
            rc = xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a list of variable names",
                             f->name, where);
        else if (xtars_buf_printf(&joined, "%s%s", joined.len ? "," : "", name->valuestring) != XTARS_OK)
            rc = xtars_error(err, XTARS_ECONFIG, "config: '%s'%s is longer than %zu bytes", f->name,
                             where, f->size - 1);
        if (rc != XTARS_OK)
            break;
    }
    if (rc == XTARS_OK)
        rc = set_string(cfg, f, joined.data ? joined.data : "", where, err);
    xtars_buf_cleanup(&joined);
    return rc;
}

static xtars_err load_item(struct xtars_config *cfg, const cJSON *item, const char *name,
                           const char *text, size_t len, char *err)
{
    char where[1200];
    int index = xtars_config_field_index(item->string);
    int line = key_line(text, len, item->string);
    const struct field *f;

    if (line)
        snprintf(where, sizeof where, " in %s line %d", name, line);
    else
        snprintf(where, sizeof where, " in %s", name);
    if (index < 0)
        return unknown_key(item->string, where, err);
    f = &fields[index];
    if (f->type == T_HEADERS) {
        if (set_headers(cfg, f, item, where, err) != XTARS_OK)
            return XTARS_ECONFIG;
    } else if (f->type == T_NAMES) {
        if (set_names(cfg, f, item, where, err) != XTARS_OK)
            return XTARS_ECONFIG;
    } else if (f->type == T_STRING || f->type == T_ENUM) {
        if (!cJSON_IsString(item))
            return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a string", f->name,
                               where);
        if (set_string(cfg, f, item->valuestring, where, err) != XTARS_OK)
            return XTARS_ECONFIG;
    } else if (f->type == T_BOOL) {
        if (!cJSON_IsBool(item))
            return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be true or false",
                               f->name, where);
        *(int *)field_ptr(cfg, f) = cJSON_IsTrue(item);
    } else {
        if (!cJSON_IsNumber(item))
            return xtars_error(err, XTARS_ECONFIG, "config: '%s'%s must be a number", f->name,
                               where);
        if (set_number(cfg, f, item->valuedouble, where, err) != XTARS_OK)
            return XTARS_ECONFIG;
    }
    cfg->source[index] = XTARS_SOURCE_FILE;
    return XTARS_OK;
}

xtars_err xtars_config_load_text(struct xtars_config *cfg, const char *name, const char *text,
                                 size_t len, char err[static XTARS_ERRLEN])
{
    const char *end = NULL;
    cJSON *root, *item;
    xtars_err rc = XTARS_OK;

    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        int line = 1, column = 1;
        if (end)
            xtars_json_position(text, (size_t)(end - text), &line, &column);
        return xtars_error(err, XTARS_ECONFIG, "config: %s line %d column %d: not valid JSON",
                           name, line, column);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return xtars_error(err, XTARS_ECONFIG, "config: %s: top level must be a JSON object",
                           name);
    }
    cJSON_ArrayForEach(item, root) {
        rc = load_item(cfg, item, name, text, len, err);
        if (rc != XTARS_OK)
            break;
    }
    cJSON_Delete(root);
    if (rc == XTARS_OK)
        snprintf(cfg->file, sizeof cfg->file, "%s", name);
    return rc;
}

xtars_err xtars_config_load_file(struct xtars_config *cfg, const char *path,
                                 char err[static XTARS_ERRLEN])
{
    struct xtars_buf text;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    rc = xtars_buf_read_file(&text, path, CONFIG_FILE_MAX, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, rc == XTARS_ETOOBIG ? XTARS_ECONFIG : rc, "config: %s", reason);
    rc = xtars_config_load_text(cfg, path, text.data, text.len, err);
    xtars_buf_cleanup(&text);
    return rc;
}

xtars_err xtars_config_validate(const struct xtars_config *cfg, char err[static XTARS_ERRLEN])
{
    if (cfg->min_pixels > cfg->max_pixels)
        return xtars_error(err, XTARS_ECONFIG,
                           "config: min_pixels (%ld) is larger than max_pixels (%ld)",
                           cfg->min_pixels, cfg->max_pixels);
    if (strncmp(cfg->endpoint, "http://", 7) != 0 && strncmp(cfg->endpoint, "https://", 8) != 0)
        return xtars_error(err, XTARS_ECONFIG,
                           "config: endpoint '%.200s' must start with http:// or https://",
                           cfg->endpoint);
    if (cfg->model[0] == '\0')
        return xtars_error(err, XTARS_ECONFIG, "config: model must not be empty");
    if (cfg->prompt[0] == '\0')
        return xtars_error(err, XTARS_ECONFIG, "config: prompt must not be empty");
    return XTARS_OK;
}

static xtars_err put_value(struct xtars_buf *out, const struct xtars_config *cfg,
                           const struct field *f)
{
    const void *p = field_cptr(cfg, f);

    switch (f->type) {
    case T_STRING:
        if (p == cfg->endpoint) { /* shown and recorded without credentials */
            char shown[sizeof cfg->endpoint];
            xtars_redact_url(p, shown, sizeof shown);
            return xtars_json_put_string(out, shown);
        }
        return xtars_json_put_string(out, p);
    case T_NAMES:
        return xtars_json_put_string(out, p);
    case T_ENUM:
        return xtars_json_put_string(out, f->choices[*(const int *)p]);
    case T_BOOL:
        return xtars_buf_puts(out, *(const int *)p ? "true" : "false");
    case T_INT:
        return xtars_buf_printf(out, "%d", *(const int *)p);
    case T_LONG:
        return xtars_buf_printf(out, "%ld", *(const long *)p);
    case T_DOUBLE:
        return xtars_json_put_number(out, *(const double *)p);
    case T_HEADERS:
        return put_headers(out, p);
    }
    return XTARS_EINVAL;
}

static const char *type_name(const struct field *f)
{
    static const char *const names[] = {"string", "integer", "integer", "number", "choice", "boolean",
                                        "object", "names"};
    return names[f->type];
}

/* The field for a getter, or ECONFIG naming the unknown key. */
static const struct field *get_field(const char *key, char *err)
{
    int index = xtars_config_field_index(key);

    if (index < 0) {
        unknown_key(key, "", err);
        return NULL;
    }
    return &fields[index];
}

static xtars_err wrong_type(const struct field *f, const char *wanted, char *err)
{
    return xtars_error(err, XTARS_ECONFIG, "config: '%s' is of type %s, not %s", f->name, type_name(f),
                       wanted);
}

xtars_err xtars_config_get_int(const struct xtars_config *cfg, const char *key, long *out,
                               char err[static XTARS_ERRLEN])
{
    const struct field *f = get_field(key, err);

    if (f == NULL)
        return XTARS_ECONFIG;
    if (f->type == T_LONG)
        *out = *(const long *)field_cptr(cfg, f);
    else if (f->type == T_INT || f->type == T_BOOL || f->type == T_ENUM)
        *out = *(const int *)field_cptr(cfg, f);
    else
        return wrong_type(f, "an integer", err);
    return XTARS_OK;
}

xtars_err xtars_config_get_double(const struct xtars_config *cfg, const char *key, double *out,
                                  char err[static XTARS_ERRLEN])
{
    const struct field *f = get_field(key, err);
    long whole;

    if (f == NULL)
        return XTARS_ECONFIG;
    if (f->type == T_DOUBLE) {
        *out = *(const double *)field_cptr(cfg, f);
        return XTARS_OK;
    }
    if (f->type != T_INT && f->type != T_LONG)
        return wrong_type(f, "a number", err);
    if (xtars_config_get_int(cfg, key, &whole, err) != XTARS_OK)
        return XTARS_ECONFIG;
    *out = (double)whole;
    return XTARS_OK;
}

xtars_err xtars_config_get_string(const struct xtars_config *cfg, const char *key,
                                  const char **out, char err[static XTARS_ERRLEN])
{
    const struct field *f = get_field(key, err);

    if (f == NULL)
        return XTARS_ECONFIG;
    if (f->type == T_STRING || f->type == T_NAMES)
        *out = field_cptr(cfg, f);
    else if (f->type == T_ENUM)
        *out = f->choices[*(const int *)field_cptr(cfg, f)];
    else
        return wrong_type(f, "a string", err);
    return XTARS_OK;
}

xtars_err xtars_config_get_text(const struct xtars_config *cfg, const char *key,
                                struct xtars_buf *out, char err[static XTARS_ERRLEN])
{
    const struct field *f = get_field(key, err);
    const char *text;
    xtars_err rc;

    if (f == NULL)
        return XTARS_ECONFIG;
    if (f->type == T_STRING || f->type == T_NAMES || f->type == T_ENUM) {
        xtars_config_get_string(cfg, key, &text, err);
        rc = xtars_buf_puts(out, text);
    } else {
        rc = put_value(out, cfg, f); /* numbers, true/false, the headers object */
    }
    if (rc != XTARS_OK)
        return xtars_error(err, rc, "config: '%s': %s", f->name, xtars_strerror(rc));
    return XTARS_OK;
}

xtars_err xtars_config_to_json(const struct xtars_config *cfg, int with_sources,
                               struct xtars_buf *out)
{
    xtars_err rc = xtars_buf_puts(out, "{\n");

    for (int i = 0; rc == XTARS_OK && i < NFIELDS; i++) {
        rc = xtars_buf_printf(out, "  \"%s\": ", fields[i].name);
        if (rc == XTARS_OK && with_sources)
            rc = xtars_buf_puts(out, "{\"value\": ");
        if (rc == XTARS_OK)
            rc = put_value(out, cfg, &fields[i]);
        if (rc == XTARS_OK && with_sources)
            rc = xtars_buf_printf(out, ", \"source\": \"%s\"}",
                                  xtars_config_source_name(cfg->source[i]));
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, i + 1 < NFIELDS ? ",\n" : "\n");
    }
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(out, "}\n");
    return rc;
}

xtars_err xtars_config_markdown(struct xtars_buf *out)
{
    struct xtars_config defaults;
    xtars_err rc;

    xtars_config_defaults(&defaults);
    rc = xtars_buf_puts(out, "| key | type | default | allowed | meaning |\n"
                             "| --- | --- | --- | --- | --- |\n");
    for (int i = 0; rc == XTARS_OK && i < NFIELDS; i++) {
        const struct field *f = &fields[i];
        rc = xtars_buf_printf(out, "| `%s` | %s | `", f->name, type_name(f));
        if (rc == XTARS_OK)
            rc = put_value(out, &defaults, f);
        if (rc == XTARS_OK)
            rc = xtars_buf_puts(out, "` | ");
        if (rc == XTARS_OK && f->type == T_ENUM) {
            for (int c = 0; rc == XTARS_OK && f->choices[c]; c++)
                rc = xtars_buf_printf(out, "%s`%s`", c ? ", " : "", f->choices[c]);
        } else if (rc == XTARS_OK && f->type == T_STRING) {
            rc = xtars_buf_printf(out, "up to %zu bytes", f->size - 1);
        } else if (rc == XTARS_OK && f->type == T_NAMES) {
            rc = xtars_buf_printf(out, "variable names, up to %zu bytes", f->size - 1);
        } else if (rc == XTARS_OK && f->type == T_HEADERS) {
            rc = xtars_buf_printf(out, "JSON object of strings, up to %zu bytes", f->size - 1);
        } else if (rc == XTARS_OK && f->type == T_BOOL) {
            rc = xtars_buf_puts(out, "`true`, `false`");
        } else if (rc == XTARS_OK) {
            rc = xtars_buf_printf(out, "%g .. %g", f->min, f->max);
        }
        if (rc == XTARS_OK)
            rc = xtars_buf_printf(out, " | %s |\n", f->help);
    }
    return rc;
}
