/* task_judge.c: a task's questions to a model about the screen (assert,
 * query, wait_until), reading their answers tolerantly but checking them
 * strictly (a JSON Schema's types and required keys), and the ${name}
 * variables queries store. Requests go through the model client and the
 * request builder; this file never speaks HTTP, never prints, and never
 * lets a model's answer into a shell command unquoted. */
#include "agent/run/task_judge.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/clock.h"
#include "agent/config/config_internal.h"
#include "agent/loop/look.h"
#include "agent/model/prompt.h"
#include "agent/run/task_cache.h"
#include "xtars/buf.h"
#include "xtars/model.h"

#define SCHEMA_DEPTH_MAX 16

struct judge_var {
    char name[65];
    char *json;   /* the value as compact JSON */
};

struct xtars_judge {
    struct xtars_config cfg;       /* the agent's, with the judge's endpoint and model */
    struct xtars_model *model;     /* made on first use */
    struct judge_var vars[XTARS_JUDGE_MAX_VARS];
    int var_count;
};

xtars_err xtars_judge_new(const struct xtars_config *cfg, struct xtars_judge **out, char *err)
{
    struct xtars_judge *j = calloc(1, sizeof *j);

    *out = NULL;
    if (j == NULL)
        return xtars_error(err, XTARS_ENOMEM, "judge: out of memory");
    xtars_config_copy(&j->cfg, cfg);
    if (cfg->judge_endpoint[0])
        snprintf(j->cfg.endpoint, sizeof j->cfg.endpoint, "%s", cfg->judge_endpoint);
    if (cfg->judge_model[0])
        snprintf(j->cfg.model, sizeof j->cfg.model, "%s", cfg->judge_model);
    /* A judge on another provider needs that provider's key; the model
     * client registers the key with the redactor when it reads it. */
    if (cfg->judge_api_key_env[0])
        snprintf(j->cfg.api_key_env, sizeof j->cfg.api_key_env, "%s", cfg->judge_api_key_env);
    j->cfg.history_images = 1;
    *out = j;
    return XTARS_OK;
}

void xtars_judge_free(struct xtars_judge *j)
{
    if (j == NULL)
        return;
    for (int i = 0; i < j->var_count; i++)
        free(j->vars[i].json);
    xtars_model_free(j->model);
    free(j);
}

/* ---- variables ---- */

static struct judge_var *find_var(const struct xtars_judge *j, const char *name, size_t len)
{
    for (int i = 0; i < j->var_count; i++)
        if (strlen(j->vars[i].name) == len && memcmp(j->vars[i].name, name, len) == 0)
            return (struct judge_var *)&j->vars[i];
    return NULL;
}

xtars_err xtars_judge_set_var(struct xtars_judge *j, const char *name, const char *value_json,
                              char *err)
{
    struct judge_var *v = find_var(j, name, strlen(name));
    cJSON *check;
    char *copy;

    if (strlen(name) >= sizeof v->name)
        return xtars_error(err, XTARS_ETOOBIG, "variable name '%.40s...' is too long", name);
    if (strlen(value_json) > XTARS_JUDGE_VALUE_MAX)
        return xtars_error(err, XTARS_ETOOBIG, "the value of ${%s} is larger than %d bytes", name,
                           XTARS_JUDGE_VALUE_MAX);
    if ((check = cJSON_Parse(value_json)) == NULL)
        return xtars_error(err, XTARS_EPARSE, "the value of ${%s} is not JSON", name);
    cJSON_Delete(check);
    if (v == NULL && j->var_count == XTARS_JUDGE_MAX_VARS)
        return xtars_error(err, XTARS_ETOOBIG, "more than %d variables", XTARS_JUDGE_MAX_VARS);
    if ((copy = strdup(value_json)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (v == NULL) {
        v = &j->vars[j->var_count++];
        snprintf(v->name, sizeof v->name, "%s", name);
    }
    free(v->json);
    v->json = copy;
    return XTARS_OK;
}

/* A value as text: a string as it is, anything else as compact JSON. */
static char *value_text(const cJSON *value)
{
    return cJSON_IsString(value) ? strdup(value->valuestring) : cJSON_PrintUnformatted(value);
}

/* The text of ${ref} (ref = name or name.key), or NULL with err set. */
static char *lookup(const struct xtars_judge *j, const char *ref, size_t len, char *err)
{
    const char *dot = memchr(ref, '.', len);
    const struct judge_var *v = find_var(j, ref, dot ? (size_t)(dot - ref) : len);
    cJSON *root, *member;
    char key[128], *text = NULL;

    if (v == NULL) {
        xtars_error(err, XTARS_ECONFIG, "unknown variable ${%.*s}: no query before this step "
                    "stored it (with \"into\")", (int)len, ref);
        return NULL;
    }
    if ((root = cJSON_Parse(v->json)) == NULL) {
        xtars_error(err, XTARS_ENOMEM, "out of memory");
        return NULL;
    }
    member = root;
    if (dot) {
        snprintf(key, sizeof key, "%.*s", (int)(len - (size_t)(dot - ref) - 1), dot + 1);
        member = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, key) : NULL;
    }
    if (member == NULL)
        xtars_error(err, XTARS_ECONFIG, "${%.*s}: the value of ${%s} has no member '%s'", (int)len,
                    ref, v->name, key);
    else if ((text = value_text(member)) == NULL)
        xtars_error(err, XTARS_ENOMEM, "out of memory");
    cJSON_Delete(root);
    return text;
}

static xtars_err put_quoted(struct xtars_buf *out, const char *value,
                            enum xtars_judge_quoting quoting)
{
    xtars_err rc = XTARS_OK;

    if (quoting == XTARS_QUOTE_NONE)
        return xtars_buf_puts(out, value);
    if (quoting == XTARS_QUOTE_SHELL)
        rc = xtars_buf_putc(out, '\'');
    for (const char *p = value; rc == XTARS_OK && *p; p++) {
        if (quoting == XTARS_QUOTE_SHELL)
            rc = *p == '\'' ? xtars_buf_puts(out, "'\\''") : xtars_buf_putc(out, *p);
        else if (*p == '\n')
            rc = xtars_buf_puts(out, "\\n");
        else if (*p == '\\' || *p == '\'' || *p == '"')
            rc = xtars_buf_printf(out, "\\%c", *p);
        else
            rc = xtars_buf_putc(out, *p);
    }
    if (rc == XTARS_OK && quoting == XTARS_QUOTE_SHELL)
        rc = xtars_buf_putc(out, '\'');
    return rc;
}

/* Length of a reference after "${": name[.key] then '}', or 0. */
static size_t ref_length(const char *p)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    size_t n = strspn(p, word);

    if (n == 0 || n > 64 || (p[0] >= '0' && p[0] <= '9'))
        return 0;
    if (p[n] == '.') {
        size_t k = strspn(p + n + 1, word);
        if (k == 0 || k > 100)
            return 0;
        n += 1 + k;
    }
    return p[n] == '}' ? n : 0;
}

xtars_err xtars_judge_expand(const struct xtars_judge *j, const char *text,
                             enum xtars_judge_quoting quoting, char **out, char *err)
{
    struct xtars_buf b;
    xtars_err rc = XTARS_OK;
    const char *p = text;

    *out = NULL;
    xtars_buf_init(&b, XTARS_JUDGE_TEXT_MAX);
    while (rc == XTARS_OK && *p) {
        const char *mark = strstr(p, "${");
        size_t n;
        char *value;
        if (mark == NULL) {
            rc = xtars_buf_puts(&b, p);
            break;
        }
        rc = xtars_buf_append(&b, p, (size_t)(mark - p));
        if (rc == XTARS_OK && (n = ref_length(mark + 2)) == 0) {
            rc = xtars_buf_puts(&b, "${");
            p = mark + 2;
            continue;
        }
        if (rc != XTARS_OK)
            break;
        if ((value = lookup(j, mark + 2, n, err)) == NULL) {
            xtars_buf_cleanup(&b);
            return strstr(err, "memory") ? XTARS_ENOMEM : XTARS_ECONFIG;
        }
        rc = put_quoted(&b, value, quoting);
        free(value);
        p = mark + 2 + n + 1;
    }
    if (rc == XTARS_OK && b.data == NULL)
        rc = xtars_buf_puts(&b, "");
    if (rc != XTARS_OK) {
        xtars_buf_cleanup(&b);
        return xtars_error(err, rc, rc == XTARS_ETOOBIG ? "the text is larger than %d bytes after "
                           "${...}" : "out of memory", XTARS_JUDGE_TEXT_MAX);
    }
    *out = xtars_buf_detach(&b, NULL);
    return XTARS_OK;
}

/* ---- reading answers ---- */

/* The JSON inside a model's answer: the first fenced code block, else from
 * the first '{' or '[' to the last '}' or ']', else the whole text, after
 * any <think> section. Models wrap JSON in prose, fences and thoughts. */
static cJSON *find_json(const char *reply, char *err)
{
    const char *start = reply, *end, *think = strstr(reply, "</think>"), *fence;
    cJSON *json;

    if (think)
        start = think + strlen("</think>");
    end = start + strlen(start);
    if ((fence = strstr(start, "```")) != NULL) {
        const char *body = strchr(fence, '\n'), *close;
        if (body && (close = strstr(body + 1, "```")) != NULL)
            start = body + 1, end = close;
    } else {
        const char *brace = strpbrk(start, "{[");
        if (brace) {
            char closer = *brace == '{' ? '}' : ']';
            const char *last = end;
            while (last > brace && last[-1] != closer)
                last--;
            if (last > brace)
                start = brace, end = last;
        }
    }
    json = cJSON_ParseWithLength(start, (size_t)(end - start));
    if (json == NULL) {
        char shown[84];
        size_t n = 0;
        for (const char *p = reply; *p && n < 80; p++)
            shown[n++] = *p == '\n' || *p == '\r' ? ' ' : *p;
        shown[n] = '\0';
        xtars_error(err, XTARS_EPARSE, "the answer is not the JSON asked for: \"%s%s\"", shown,
                    strlen(reply) > 80 ? "..." : "");
    }
    return json;
}

xtars_err xtars_judge_parse_verdict(const char *reply, int *pass, char *reason, size_t size,
                                    char *err)
{
    cJSON *json = find_json(reply ? reply : "", err);
    const cJSON *verdict, *why;

    *pass = 0;
    reason[0] = '\0';
    if (json == NULL)
        return XTARS_EPARSE;
    verdict = cJSON_GetObjectItemCaseSensitive(json, "pass");
    why = cJSON_GetObjectItemCaseSensitive(json, "reason");
    if (!cJSON_IsString(why))
        why = cJSON_GetObjectItemCaseSensitive(json, "thought");
    if (!cJSON_IsObject(json) || !cJSON_IsBool(verdict)) {
        cJSON_Delete(json);
        return xtars_error(err, XTARS_EPARSE, "the answer has no \"pass\": true or false");
    }
    *pass = cJSON_IsTrue(verdict);
    if (cJSON_IsString(why))
        snprintf(reason, size, "%s", why->valuestring);
    cJSON_Delete(json);
    return XTARS_OK;
}

static const char *type_of(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNull(v))
        return "null";
    return cJSON_IsArray(v) ? "array" : "object";
}

static int has_type(const cJSON *v, const char *type)
{
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
    return strcmp(type, type_of(v)) == 0;
}

static int type_matches(const cJSON *type, const cJSON *v)
{
    const cJSON *one;

    if (cJSON_IsString(type))
        return has_type(v, type->valuestring);
    cJSON_ArrayForEach(one, type)
        if (cJSON_IsString(one) && has_type(v, one->valuestring))
            return 1;
    return !cJSON_IsArray(type); /* a malformed "type" checks nothing */
}

static int check_schema(const cJSON *schema, const cJSON *v, const char *path, int depth,
                        char *err);

/* A key name for a one-line message: control characters become '?'. */
static const char *shown_name(const char *name, char *out, size_t size)
{
    size_t n = 0;

    for (; name[n] && n + 1 < size; n++)
        out[n] = (unsigned char)name[n] < 0x20 || name[n] == 0x7f ? '?' : name[n];
    out[n] = '\0';
    return out;
}

static int check_members(const cJSON *schema, const cJSON *v, const char *path, int depth,
                         char *err)
{
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items"), *one;
    char sub[512], name[101];
    int i = 0;

    if (cJSON_IsObject(v)) {
        cJSON_ArrayForEach(one, required)
            if (cJSON_IsString(one) && !cJSON_HasObjectItem(v, one->valuestring))
                return xtars_error(err, XTARS_EPARSE, "%s: the required key \"%s\" is missing",
                                   path, shown_name(one->valuestring, name, 61)), 0;
        cJSON_ArrayForEach(one, props) {
            const cJSON *member = cJSON_GetObjectItemCaseSensitive(v, one->string);
            snprintf(sub, sizeof sub, "%.300s.%s", path, shown_name(one->string, name, sizeof name));
            if (member && cJSON_IsObject(one) && !check_schema(one, member, sub, depth + 1, err))
                return 0;
        }
    }
    if (cJSON_IsArray(v) && cJSON_IsObject(items)) {
        cJSON_ArrayForEach(one, v) {
            snprintf(sub, sizeof sub, "%.300s[%d]", path, i++);
            if (!check_schema(items, one, sub, depth + 1, err))
                return 0;
        }
    }
    return 1;
}

/* 1 when v matches schema (type, enum, required, properties, items). */
static int check_schema(const cJSON *schema, const cJSON *v, const char *path, int depth,
                        char *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(schema, "enum"), *one;
    int found = 0;

    if (depth > SCHEMA_DEPTH_MAX)
        return xtars_error(err, XTARS_EPARSE, "%s: nested deeper than %d levels", path,
                           SCHEMA_DEPTH_MAX), 0;
    if (type && !type_matches(type, v)) {
        char *want = cJSON_IsString(type) ? NULL : cJSON_PrintUnformatted(type), name[81];
        xtars_error(err, XTARS_EPARSE, "%s: expected %.80s, got %s", path,
                    shown_name(want ? want : type->valuestring, name, sizeof name), type_of(v));
        free(want);
        return 0;
    }
    if (cJSON_IsArray(choices)) {
        cJSON_ArrayForEach(one, choices)
            found = found || cJSON_Compare(one, v, 1);
        if (!found)
            return xtars_error(err, XTARS_EPARSE, "%s: not one of the values the schema's enum "
                               "allows", path), 0;
    }
    return check_members(schema, v, path, depth, err);
}

xtars_err xtars_judge_parse_answer(const char *reply, const char *schema_json, char **value,
                                   char *err)
{
    cJSON *json = find_json(reply ? reply : "", err), *schema = NULL;
    const cJSON *answer;
    xtars_err rc = XTARS_OK;

    *value = NULL;
    if (json == NULL)
        return XTARS_EPARSE;
    answer = json;
    if (schema_json && (schema = cJSON_Parse(schema_json)) == NULL)
        rc = xtars_error(err, XTARS_EPARSE, "the step's schema is not JSON");
    if (rc == XTARS_OK && schema && !check_schema(schema, answer, "$", 0, err)) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(json, "data");
        char ignored[XTARS_ERRLEN];
        /* Midscene answers {"data": ...}: take the wrapped value if it fits */
        if (data && check_schema(schema, data, "$", 0, ignored))
            answer = data;
        else
            rc = XTARS_EPARSE;
    }
    if (rc == XTARS_OK && (*value = cJSON_PrintUnformatted(answer)) == NULL)
        rc = xtars_error(err, XTARS_ENOMEM, "out of memory");
    cJSON_Delete(schema);
    cJSON_Delete(json);
    return rc;
}

/* ---- asking ---- */

/* The question's text: the template with the statement (and, for a query,
 * the schema) as its {instruction}. */
static xtars_err render_question(const struct xtars_task_step *step, const char *text,
                                 struct xtars_buf *out, char *err)
{
    const char *name = step->kind == XTARS_TASK_QUERY ? "judge_query" : "judge_assert";
    struct xtars_buf template_text, what;
    xtars_err rc;

    xtars_buf_init(&template_text, XTARS_PROMPT_MAX_BYTES);
    xtars_buf_init(&what, XTARS_JUDGE_TEXT_MAX * 2);
    rc = xtars_prompt_load(name, NULL, &template_text, err);
    if (rc == XTARS_OK)
        rc = xtars_buf_puts(&what, text);
    if (rc == XTARS_OK && step->kind == XTARS_TASK_QUERY)
        rc = xtars_buf_printf(&what, "\n\nThe answer must match this JSON Schema:\n%s",
                              step->schema ? step->schema : "{} (any JSON value)");
    if (rc == XTARS_OK)
        rc = xtars_prompt_render(template_text.data, "English", what.data, out);
    if (rc != XTARS_OK && err[0] == '\0')
        xtars_error(err, rc, "judge: the question is too large");
    xtars_buf_cleanup(&template_text);
    xtars_buf_cleanup(&what);
    return rc;
}

/* Sends the question with the look's screenshot to the judge model. */
static xtars_err ask_model(struct xtars_judge *j, struct xtars_agent *agent,
                           const struct xtars_look *look, const char *question,
                           struct xtars_model_reply *reply, char *err)
{
    struct xtars_history *history = NULL;
    struct xtars_buf body;
    xtars_err rc = XTARS_OK;

    if (j->model == NULL && (rc = xtars_model_new(&j->cfg, &j->model, err)) != XTARS_OK)
        return rc;
    xtars_model_set_stop(j->model, xtars_agent_stop_flag(agent));
    xtars_buf_init(&body, (size_t)j->cfg.max_request_bytes + (1u << 20));
    if (xtars_history_new(1, &history) != XTARS_OK ||
        xtars_history_add_image(history, look->image, look->image_len, look->format) != XTARS_OK)
        rc = xtars_error(err, XTARS_ENOMEM, "out of memory");
    if (rc == XTARS_OK)
        rc = xtars_request_build(&j->cfg, question, history, NULL, &body, NULL, err);
    if (rc == XTARS_OK)
        rc = xtars_model_complete(j->model, body.data, body.len, reply, err);
    xtars_history_free(history);
    xtars_buf_cleanup(&body);
    return rc;
}

/* One question on one look: from the cache when the screen verifies,
 * else from the model; recorded as a step either way. *answer is the
 * reply's text (malloc'd) or NULL when the model failed (out says why). */
struct asking {
    struct xtars_judge *j;
    struct xtars_agent *agent;
    struct xtars_task_cache *cache;
    const struct xtars_task_step *step;
    char key[XTARS_TASK_CACHE_KEY_LEN];
    struct xtars_buf question;
    int cache_entry;        /* the cache has a usable entry for this step */
};

static void set_failure(struct xtars_judge_outcome *out, enum xtars_run_status status,
                        const char *fmt, const char *what)
{
    out->passed = 0;
    out->status = status;
    snprintf(out->detail, sizeof out->detail, fmt, what);
}

/* Asks (or takes the cached answer) and decides. passed/detail in out;
 * *recorded is the step number of the recorded question. */
static xtars_err ask_once(struct asking *q, const struct xtars_look *look, int use_model,
                          struct xtars_judge_outcome *out, int *recorded, char *err)
{
    struct xtars_model_reply reply = {0};
    struct xtars_agent_question rec = {0};
    char why[XTARS_ERRLEN] = "", reason[800], verdict[1100], *cached = NULL, *value = NULL;
    double t0 = xtars_clock_ms();
    int pass = 0, exists = 0;
    xtars_err rc = XTARS_OK, asked = XTARS_OK;

    rec.similarity = -1;
    if (q->cache && xtars_task_cache_answer(q->cache, q->key, look->frame, &cached, &rec.similarity,
                                            &exists, why))
        rec.cached = 1, rec.reply = cached;
    q->cache_entry = exists;
    if (!rec.cached && !use_model) {
        set_failure(out, XTARS_RUN_FAILED, "%s", why);
        return XTARS_OK;
    }
    if (!rec.cached) {
        asked = ask_model(q->j, q->agent, look, q->question.data, &reply, why);
        rec.model = &reply, rec.reply = reply.text, rec.model_ms = xtars_clock_ms() - t0;
    }
    if (asked != XTARS_OK) {
        set_failure(out, asked == XTARS_ESTOPPED ? XTARS_RUN_STOPPED : XTARS_RUN_MODEL_ERROR, "%s",
                    why);
        snprintf(verdict, sizeof verdict, "%s failed: %.1000s", xtars_task_step_kind_name(q->step->kind),
                 why);
    } else if (q->step->kind == XTARS_TASK_QUERY) {
        if (xtars_judge_parse_answer(rec.reply, q->step->schema, &value, why) != XTARS_OK)
            set_failure(out, XTARS_RUN_FAILED, "%s", why);
        else if (q->step->into && xtars_judge_set_var(q->j, q->step->into, value, why) != XTARS_OK)
            set_failure(out, XTARS_RUN_FAILED, "%s", why);
        else
            out->passed = 1, out->status = XTARS_RUN_FINISHED,
            snprintf(out->detail, sizeof out->detail, "%s%s%s%.900s", q->step->into ? "${" : "",
                     q->step->into ? q->step->into : "", q->step->into ? "} = " : "", value);
        snprintf(verdict, sizeof verdict, "query %s: %.1000s", out->passed ? "passed" : "failed",
                 out->detail);
    } else if (xtars_judge_parse_verdict(rec.reply, &pass, reason, sizeof reason, why) != XTARS_OK) {
        set_failure(out, XTARS_RUN_FAILED, "%s", why);
        snprintf(verdict, sizeof verdict, "%s failed: %.1000s", xtars_task_step_kind_name(q->step->kind),
                 why);
    } else {
        out->passed = pass, out->status = pass ? XTARS_RUN_FINISHED : XTARS_RUN_FAILED;
        snprintf(out->detail, sizeof out->detail, "%s", reason[0] ? reason : "(no reason given)");
        snprintf(verdict, sizeof verdict, "%s %s: %.1000s", xtars_task_step_kind_name(q->step->kind),
                 pass ? "holds" : "does not hold", out->detail);
    }
    rec.judge = xtars_task_step_kind_name(q->step->kind);
    rec.request = q->question.data;
    rec.verdict = verdict;
    rec.total_ms = xtars_clock_ms() - t0 + look->capture_ms + look->encode_ms;
    rc = xtars_agent_record_question(q->agent, look, &rec, err);
    *recorded = xtars_agent_steps_recorded(q->agent);
    free(cached);
    free(value);
    xtars_model_reply_cleanup(&reply);
    return rc;
}

/* Polls until the statement holds or the timeout passes. The model is
 * asked only when the screen changed since it was last asked; while the
 * cache has an entry for the step, only the cached screen is looked for,
 * and the model is asked once, at the timeout (so an unchanged app makes
 * no request, and a changed one still gets an answer). */
static xtars_err wait_until(struct asking *q, struct xtars_judge_outcome *out, int *recorded,
                            char *err)
{
    double deadline = xtars_clock_ms() + q->step->ms;
    const atomic_int *stop = xtars_agent_stop_flag(q->agent);
    uint64_t asked_on = 0;
    int asked = 0;
    xtars_err rc = XTARS_OK;

    while (rc == XTARS_OK && !*stop) {
        struct xtars_look look;
        char why[XTARS_ERRLEN];
        double next = xtars_clock_ms() + q->step->interval_ms;
        int last = xtars_clock_ms() >= deadline, model = !q->cache_entry || last;

        if ((rc = xtars_agent_look(q->agent, &look, why)) != XTARS_OK) {
            set_failure(out, XTARS_RUN_ERROR, "%s", why);
            return XTARS_OK;
        }
        if (!model || !asked || look.fingerprint != asked_on) {
            rc = ask_once(q, &look, model, out, recorded, err);
            if (model)
                asked = 1, asked_on = look.fingerprint;
            if (out->passed || out->status == XTARS_RUN_MODEL_ERROR ||
                out->status == XTARS_RUN_STOPPED)
                break;
        }
        if (last)
            break;
        while (!*stop && xtars_clock_ms() < next && xtars_clock_ms() < deadline)
            xtars_clock_sleep_ms(10);
    }
    if (rc == XTARS_OK && *stop && !out->passed)
        set_failure(out, XTARS_RUN_STOPPED, "%s", "interrupted");
    else if (rc == XTARS_OK && !out->passed && out->status == XTARS_RUN_FAILED) {
        char last_answer[900];
        snprintf(last_answer, sizeof last_answer, "%.899s", out->detail);
        snprintf(out->detail, sizeof out->detail, "timed out after %d ms; last answer: %s",
                 q->step->ms, last_answer);
    }
    return rc;
}

xtars_err xtars_judge_run_step(struct xtars_judge *j, struct xtars_agent *agent,
                               struct xtars_task_cache *cache, const struct xtars_task_step *step,
                               int index, const char *text, struct xtars_judge_outcome *out,
                               char *err)
{
    struct asking q = {.j = j, .agent = agent, .cache = cache, .step = step};
    struct xtars_look look;
    char why[XTARS_ERRLEN];
    int recorded = 0;
    xtars_err rc;

    memset(out, 0, sizeof *out);
    out->status = XTARS_RUN_FAILED;
    xtars_buf_init(&q.question, XTARS_PROMPT_MAX_BYTES * 2);
    if (render_question(step, text, &q.question, why) != XTARS_OK) {
        set_failure(out, XTARS_RUN_ERROR, "%s", why);
        xtars_buf_cleanup(&q.question);
        return XTARS_OK;
    }
    if (cache) {
        xtars_task_cache_key(cache, index, xtars_task_step_kind_name(step->kind), text, q.key);
        if (step->kind == XTARS_TASK_WAIT_UNTIL) { /* learn whether an entry exists at all */
            struct xtars_traj_run run;
            q.cache_entry = xtars_task_cache_load(cache, q.key, &run, why) == XTARS_OK;
            xtars_traj_run_cleanup(&run);
        }
    }
    if (step->kind == XTARS_TASK_WAIT_UNTIL) {
        rc = wait_until(&q, out, &recorded, err);
    } else if ((rc = xtars_agent_look(agent, &look, why)) != XTARS_OK) {
        set_failure(out, XTARS_RUN_ERROR, "%s", why);
        rc = XTARS_OK;
    } else {
        rc = ask_once(&q, &look, 1, out, &recorded, err);
    }
    if (rc == XTARS_OK && out->passed && cache && recorded > 0)
        rc = xtars_task_cache_keep(cache, q.key, recorded, recorded, err);
    xtars_buf_cleanup(&q.question);
    return rc;
}
