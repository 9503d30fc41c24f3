/* traj_read.c: reading trajectory directories (docs/trajectory.md). Files
 * may come from a killed run or another machine: every field is checked,
 * a bad line of steps.jsonl ends the steps read (the complete ones before it
 * are kept and the bad one is reported), and nothing in them can make this
 * crash or allocate without bound. Never prints. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "agent/base/files.h"
#include "agent/record/traj_file.h"
#include "agent/record/traj_schema.h"
#include "agent/reply/action_json.h"
#include "xtars/buf.h"
#include "xtars/config.h"
#include "xtars/trajectory.h"

#define RUN_JSON_MAX (16u << 20)
#define STEPS_MAX (512u << 20)
#define MAX_STEPS_READ 100000

static const cJSON *item(const cJSON *obj, enum traj_key key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, traj_key_name(key));
}

static char *dup_string(const cJSON *obj, enum traj_key key)
{
    const cJSON *value = item(obj, key);
    return cJSON_IsString(value) ? strdup(value->valuestring) : NULL;
}

static double get_number(const cJSON *obj, enum traj_key key, double fallback)
{
    const cJSON *value = item(obj, key);
    return cJSON_IsNumber(value) ? value->valuedouble : fallback;
}

static int get_int(const cJSON *obj, enum traj_key key, int lo, int hi, int fallback)
{
    double v = get_number(obj, key, fallback);
    return v >= lo && v <= hi ? (int)v : fallback;
}

/* A token count: 0..1e15, else 0 (a double beyond long's range must never
 * be converted). */
static long get_count(const cJSON *obj, enum traj_key key)
{
    double v = get_number(obj, key, 0);
    return v >= 0 && v <= 1e15 ? (long)v : 0;
}

static int get_bool(const cJSON *obj, enum traj_key key, int fallback)
{
    const cJSON *value = item(obj, key);
    return cJSON_IsBool(value) ? cJSON_IsTrue(value) : fallback;
}

/* A string member copied into a fixed array ("" when absent). */
static void copy_string(const cJSON *obj, enum traj_key key, char *out, size_t size)
{
    const cJSON *value = item(obj, key);
    snprintf(out, size, "%s", cJSON_IsString(value) ? value->valuestring : "");
}

static void free_step(struct xtars_traj_step *s)
{
    for (int i = 0; i < s->action_count; i++) {
        xtars_action_cleanup(&s->actions[i]);
        if (s->action_errors)
            free(s->action_errors[i]);
    }
    for (int i = 0; i < s->note_count; i++)
        free(s->notes[i]);
    free(s->actions);
    free(s->action_ok);
    free(s->action_ms);
    free(s->action_errors);
    free(s->notes);
    free(s->started_at);
    free(s->finish_reason);
    free(s->screenshot);
    free(s->reply);
    free(s->thought);
    free(s->reflection);
    free(s->parse_error);
    free(s->source_action);
    free(s->origin);
    free(s->judge);
    free(s->request);
    free(s->model_request);
    free(s->instruction);
    free(s->check_command);
    free(s->check_error);
    free(s->check_output);
    memset(s, 0, sizeof *s);
}

void xtars_traj_run_cleanup(struct xtars_traj_run *run)
{
    if (run == NULL)
        return;
    for (int i = 0; i < run->step_count; i++)
        free_step(&run->steps[i]);
    free(run->steps);
    free(run->source);
    free(run->instruction);
    free(run->model);
    free(run->endpoint);
    free(run->status);
    free(run->message);
    free(run->started_at);
    free(run->ended_at);
    free(run->replay_of);
    free(run->imported_from);
    free(run->xtars_version);
    free(run->config);
    memset(run, 0, sizeof *run);
}

static void read_size(const cJSON *obj, enum traj_key key, int *w, int *h)
{
    const cJSON *size = item(obj, key);

    *w = get_int(size, TRAJ_WIDTH, 1, 32767, 0);
    *h = get_int(size, TRAJ_HEIGHT, 1, 32767, 0);
}

/* format and version: refused unless this xtars reads them. */
static xtars_err check_format(const struct xtars_traj_run *run, const cJSON *root, char *err)
{
    const cJSON *format = item(root, TRAJ_FORMAT), *version = item(root, TRAJ_VERSION);

    if (!cJSON_IsString(format) || strcmp(format->valuestring, XTARS_TRAJ_FORMAT) != 0)
        return xtars_error(err, XTARS_EFORMAT, "%s/run.json: not an xtars trajectory", run->dir);
    if (!cJSON_IsNumber(version))
        return xtars_error(err, XTARS_EFORMAT, "%s/run.json: '%s' must be a number (this xtars "
                           "reads version %d)", run->dir, traj_key_name(TRAJ_VERSION),
                           XTARS_TRAJ_VERSION);
    if (version->valuedouble != XTARS_TRAJ_VERSION)
        return xtars_error(err, XTARS_EFORMAT,
                           "%s/run.json: trajectory format version %g is not supported (this xtars "
                           "reads version %d)",
                           run->dir, version->valuedouble, XTARS_TRAJ_VERSION);
    return XTARS_OK;
}

/* Who wrote it: source, origin, version, recorder. */
static void parse_origin(struct xtars_traj_run *run, const cJSON *root)
{
    const cJSON *recorder = item(root, TRAJ_RECORDER);
    double pid = get_number(recorder, TRAJ_PID, 0);

    run->source = dup_string(root, TRAJ_SOURCE);
    run->replay_of = dup_string(root, TRAJ_REPLAY_OF);
    run->imported_from = dup_string(root, TRAJ_IMPORTED_FROM);
    run->xtars_version = dup_string(root, TRAJ_XTARS_VERSION);
    run->recorder_pid = pid >= 0 && pid <= 4194304 ? (long)pid : 0; /* Linux's pid_max limit */
    copy_string(recorder, TRAJ_HOST, run->recorder_host, sizeof run->recorder_host);
    copy_string(recorder, TRAJ_PID_NS, run->recorder_pid_ns, sizeof run->recorder_pid_ns);
}

/* What was asked of which model, on what screen, with which settings. */
static void parse_setup(struct xtars_traj_run *run, const cJSON *root)
{
    const cJSON *target = item(root, TRAJ_TARGET), *fmt = item(root, TRAJ_IMAGE_FORMAT);
    const cJSON *config = item(root, TRAJ_CONFIG);
    char *family;

    run->instruction = dup_string(root, TRAJ_INSTRUCTION);
    run->model = dup_string(root, TRAJ_MODEL);
    run->endpoint = dup_string(root, TRAJ_ENDPOINT);
    family = dup_string(root, TRAJ_FAMILY);
    if (family == NULL || xtars_family_from_name(family, &run->family) != XTARS_OK)
        run->family = XTARS_FAMILY_PIXELS;
    free(family);
    run->dry_run = get_bool(root, TRAJ_DRY_RUN, 0);
    read_size(root, TRAJ_SCREEN, &run->screen_width, &run->screen_height);
    run->target_x = get_int(target, TRAJ_X, -32768, 32767, 0);
    run->target_y = get_int(target, TRAJ_Y, -32768, 32767, 0);
    run->target_width = get_int(target, TRAJ_WIDTH, 1, 32767, run->screen_width);
    run->target_height = get_int(target, TRAJ_HEIGHT, 1, 32767, run->screen_height);
    read_size(root, TRAJ_SENT, &run->sent_width, &run->sent_height);
    run->image_format = cJSON_IsString(fmt) && strcmp(fmt->valuestring, "jpeg") == 0;
    run->config = cJSON_IsObject(config) ? cJSON_PrintUnformatted(config) : NULL;
}

static xtars_err parse_run(struct xtars_traj_run *run, const cJSON *root, char *err)
{
    const cJSON *usage = item(root, TRAJ_USAGE);
    xtars_err rc = check_format(run, root, err);

    if (rc != XTARS_OK)
        return rc;
    parse_origin(run, root);
    parse_setup(run, root);
    run->started_at = dup_string(root, TRAJ_STARTED_AT);
    run->ended_at = dup_string(root, TRAJ_ENDED_AT);
    run->status = dup_string(root, TRAJ_STATUS);
    run->message = dup_string(root, TRAJ_MESSAGE);
    run->steps_written = get_int(root, TRAJ_STEPS, 0, MAX_STEPS_READ * 10, 0);
    run->prompt_tokens = get_count(usage, TRAJ_PROMPT_TOKENS);
    run->completion_tokens = get_count(usage, TRAJ_COMPLETION_TOKENS);
    if (run->screen_width == 0 || run->target_width == 0)
        return xtars_error(err, XTARS_EFORMAT, "%s/run.json: no screen size", run->dir);
    return XTARS_OK;
}

static xtars_err parse_actions(struct xtars_traj_step *s, const cJSON *line, char *err)
{
    const cJSON *actions = item(line, TRAJ_ACTIONS), *results = item(line, TRAJ_RESULTS), *action;
    int n = cJSON_GetArraySize(actions), i = 0;

    if (!cJSON_IsArray(actions) || n > 4096)
        return xtars_error(err, XTARS_EFORMAT, "'%s' must be an array",
                           traj_key_name(TRAJ_ACTIONS));
    s->actions = calloc((size_t)n + 1, sizeof *s->actions);
    s->action_ok = calloc((size_t)n + 1, sizeof *s->action_ok);
    s->action_ms = calloc((size_t)n + 1, sizeof *s->action_ms);
    s->action_errors = calloc((size_t)n + 1, sizeof *s->action_errors);
    if (!s->actions || !s->action_ok || !s->action_ms || !s->action_errors)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    cJSON_ArrayForEach(action, actions) {
        char *text = cJSON_PrintUnformatted(action);
        const cJSON *result = cJSON_GetArrayItem(results, i);
        xtars_err rc;

        if (text == NULL)
            return xtars_error(err, XTARS_ENOMEM, "out of memory");
        rc = xtars_action_from_json(text, strlen(text), &s->actions[i], err);
        free(text);
        if (rc != XTARS_OK)
            return rc;
        s->action_count = ++i;
        s->action_ok[i - 1] = get_bool(result, TRAJ_OK, 1);
        s->action_ms[i - 1] = get_number(result, TRAJ_MS, 0);
        s->action_errors[i - 1] = dup_string(result, TRAJ_ERROR);
    }
    return XTARS_OK;
}

/* timings and the model call. */
static void parse_timings(struct xtars_traj_step *s, const cJSON *line)
{
    const cJSON *timings = item(line, TRAJ_TIMINGS), *model = item(line, TRAJ_MODEL);

    s->capture_ms = get_number(timings, TRAJ_CAPTURE_MS, 0);
    s->encode_ms = get_number(timings, TRAJ_ENCODE_MS, 0);
    s->model_ms = get_number(timings, TRAJ_MODEL_MS, 0);
    s->exec_ms = get_number(timings, TRAJ_EXEC_MS, 0);
    s->settle_ms = get_number(timings, TRAJ_SETTLE_MS, 0);
    s->total_ms = get_number(timings, TRAJ_TOTAL_MS, 0);
    s->model_called = cJSON_IsObject(model);
    s->latency_ms = get_number(model, TRAJ_LATENCY_MS, 0);
    s->attempts = get_int(model, TRAJ_ATTEMPTS, 0, 1000000, 0);
    s->prompt_tokens = get_count(model, TRAJ_PROMPT_TOKENS);
    s->completion_tokens = get_count(model, TRAJ_COMPLETION_TOKENS);
    s->finish_reason = dup_string(model, TRAJ_FINISH_REASON);
}

static xtars_err parse_notes(struct xtars_traj_step *s, const cJSON *line)
{
    const cJSON *notes = item(line, TRAJ_NOTES), *note;

    if (!cJSON_IsArray(notes) || cJSON_GetArraySize(notes) > 64)
        return XTARS_OK;
    s->notes = calloc((size_t)cJSON_GetArraySize(notes) + 1, sizeof *s->notes);
    if (s->notes == NULL)
        return XTARS_ENOMEM;
    cJSON_ArrayForEach(note, notes)
        if (cJSON_IsString(note) && (s->notes[s->note_count] = strdup(note->valuestring)))
            s->note_count++;
    return XTARS_OK;
}

/* instruction, request, check: what only some steps have. */
static xtars_err parse_extras(struct xtars_traj_step *s, const cJSON *line)
{
    const cJSON *request = item(line, TRAJ_MODEL_REQUEST), *check = item(line, TRAJ_CHECK);

    s->instruction = dup_string(line, TRAJ_INSTRUCTION);
    if (cJSON_IsObject(request) && (s->model_request = cJSON_PrintUnformatted(request)) == NULL)
        return XTARS_ENOMEM;
    if (cJSON_IsObject(check) && (s->check_command = dup_string(check, TRAJ_COMMAND)) != NULL) {
        s->check_exit_status = get_int(check, TRAJ_EXIT_STATUS, 0, 255, -1);
        s->check_error = dup_string(check, TRAJ_ERROR);
        s->check_output = dup_string(check, TRAJ_OUTPUT);
    }
    return XTARS_OK;
}

static xtars_err parse_step(struct xtars_traj_step *s, const cJSON *line, char *err)
{
    if (!cJSON_IsObject(line))
        return xtars_error(err, XTARS_EFORMAT, "not a JSON object");
    s->step = get_int(line, TRAJ_STEP, 1, MAX_STEPS_READ * 10, 0);
    if (s->step == 0)
        return xtars_error(err, XTARS_EFORMAT, "no step number");
    s->screenshot = dup_string(line, TRAJ_SCREENSHOT);
    if (s->screenshot && (strchr(s->screenshot, '/') || s->screenshot[0] == '.'))
        return xtars_error(err, XTARS_EFORMAT, "bad screenshot name");
    s->started_at = dup_string(line, TRAJ_STARTED_AT);
    read_size(line, TRAJ_SENT, &s->sent_width, &s->sent_height);
    parse_timings(s, line);
    s->reply = dup_string(line, TRAJ_REPLY);
    s->thought = dup_string(line, TRAJ_THOUGHT);
    s->reflection = dup_string(line, TRAJ_REFLECTION);
    s->parse_error = dup_string(line, TRAJ_PARSE_ERROR);
    s->source_action = dup_string(line, TRAJ_SOURCE_ACTION);
    s->origin = dup_string(line, TRAJ_ORIGIN);
    s->judge = dup_string(line, TRAJ_JUDGE);
    s->request = dup_string(line, TRAJ_REQUEST);
    s->settled = get_bool(line, TRAJ_SETTLED, 1);
    s->screen_changed = get_bool(line, TRAJ_SCREEN_CHANGED, 1);
    s->replayable = get_bool(line, TRAJ_REPLAYABLE, 1);
    s->similarity = get_number(line, TRAJ_SIMILARITY, -1);
    s->recorded_step = get_int(line, TRAJ_RECORDED_STEP, 1, MAX_STEPS_READ * 10, 0);
    if (parse_notes(s, line) != XTARS_OK || parse_extras(s, line) != XTARS_OK)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    return parse_actions(s, line, err);
}

/* Parses steps.jsonl line by line; stops at the first bad line. */
static xtars_err load_steps(struct xtars_traj_run *run, const char *text, size_t len, char *err)
{
    size_t cap = 16;
    int line_no = 0;
    const char *line = text, *end = text + len;

    run->steps = calloc(cap, sizeof *run->steps);
    if (run->steps == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    while (line < end && run->step_count < MAX_STEPS_READ) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        char reason[XTARS_ERRLEN];
        cJSON *obj;
        xtars_err rc;

        line_no++;
        if (nl == NULL) {
            snprintf(run->warning, sizeof run->warning,
                     "steps.jsonl line %d is incomplete (the run was killed while writing it); "
                     "using the %d complete steps", line_no, run->step_count);
            break;
        }
        if ((size_t)run->step_count == cap) {
            struct xtars_traj_step *grown = realloc(run->steps, cap * 2 * sizeof *grown);
            if (grown == NULL)
                return xtars_error(err, XTARS_ENOMEM, "out of memory");
            memset(grown + cap, 0, cap * sizeof *grown);
            run->steps = grown, cap *= 2;
        }
        obj = cJSON_ParseWithLength(line, (size_t)(nl - line));
        rc = obj ? parse_step(&run->steps[run->step_count], obj, reason)
                 : xtars_error(reason, XTARS_EFORMAT, "not valid JSON");
        cJSON_Delete(obj);
        if (rc != XTARS_OK)
            free_step(&run->steps[run->step_count]); /* a half-filled step is not counted */
        if (rc == XTARS_ENOMEM)
            return xtars_error(err, rc, "out of memory");
        if (rc != XTARS_OK) {
            snprintf(run->warning, sizeof run->warning, "steps.jsonl line %d: %.300s; using the %d "
                     "steps before it", line_no, reason, run->step_count);
            break;
        }
        run->step_count++;
        line = nl + 1;
    }
    return XTARS_OK;
}

xtars_err xtars_traj_parse(const char *dir, const char *run_json, size_t run_len,
                           const char *steps, size_t steps_len, struct xtars_traj_run *run,
                           char err[static XTARS_ERRLEN])
{
    cJSON *root;
    xtars_err rc;

    memset(run, 0, sizeof *run);
    snprintf(run->dir, sizeof run->dir, "%s", dir);
    if (run_len > RUN_JSON_MAX)
        return xtars_error(err, XTARS_EFORMAT, "%s/run.json: too large", dir);
    root = cJSON_ParseWithLength(run_json, run_len);
    if (root == NULL)
        return xtars_error(err, XTARS_EFORMAT, "%s/run.json: not valid JSON", dir);
    rc = parse_run(run, root, err);
    cJSON_Delete(root);
    if (rc == XTARS_OK && steps_len > STEPS_MAX)
        rc = xtars_error(err, XTARS_EFORMAT, "%s/steps.jsonl: too large", dir);
    if (rc == XTARS_OK)
        rc = load_steps(run, steps ? steps : "", steps_len, err);
    if (rc != XTARS_OK)
        xtars_traj_run_cleanup(run);
    return rc;
}

/* State 'Z' in /proc/PID/stat (after the parenthesised command name). */
static int is_zombie(long pid)
{
    char path[64], line[512], *close_paren;
    FILE *f;
    int zombie = 0;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fgets(line, sizeof line, f) && (close_paren = strrchr(line, ')')) != NULL)
        zombie = close_paren[1] == ' ' && close_paren[2] == 'Z';
    fclose(f);
    return zombie;
}

void xtars_traj_recorder(long *pid, char *host, size_t host_size, char *pid_ns,
                         size_t pid_ns_size)
{
    ssize_t n;

    *pid = (long)getpid();
    host[0] = '\0';
    if (gethostname(host, host_size - 1) != 0)
        host[0] = '\0';
    host[host_size - 1] = '\0';
    n = readlink("/proc/self/ns/pid", pid_ns, pid_ns_size - 1);
    pid_ns[n > 0 ? n : 0] = '\0';
}

int xtars_traj_abandoned(const struct xtars_traj_run *run)
{
    char host[256], ns[64];
    long pid;

    if (run->status == NULL || strcmp(run->status, "running") != 0 || run->recorder_pid <= 0 ||
        run->recorder_host[0] == '\0' || run->recorder_pid_ns[0] == '\0')
        return 0;
    xtars_traj_recorder(&pid, host, sizeof host, ns, sizeof ns);
    if (strcmp(host, run->recorder_host) != 0 || strcmp(ns, run->recorder_pid_ns) != 0)
        return 0;
    if (kill((pid_t)run->recorder_pid, 0) != 0)
        return errno == ESRCH;
    return is_zombie(run->recorder_pid); /* dead, its parent has not reaped it yet */
}

xtars_err xtars_traj_load(const char *dir, struct xtars_traj_run *run, char err[static XTARS_ERRLEN])
{
    struct xtars_buf run_text, steps_text;
    char path[4200];
    xtars_err rc;

    memset(run, 0, sizeof *run);
    snprintf(path, sizeof path, "%s/run.json", dir);
    if ((rc = xtars_buf_read_file_nofollow(&run_text, path, RUN_JSON_MAX, err)) != XTARS_OK)
        return rc == XTARS_ETOOBIG ? xtars_error(err, XTARS_EFORMAT, "%s: too large", path) : rc;
    /* run.json's own errors (not a trajectory, unknown version) come first. */
    rc = xtars_traj_parse(dir, run_text.data ? run_text.data : "", run_text.len, NULL, 0, run, err);
    xtars_traj_run_cleanup(run);
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    if (rc == XTARS_OK && (rc = xtars_buf_read_file_nofollow(&steps_text, path, STEPS_MAX, err)) == XTARS_OK) {
        rc = xtars_traj_parse(dir, run_text.data ? run_text.data : "", run_text.len,
                              steps_text.data, steps_text.len, run, err);
        xtars_buf_cleanup(&steps_text);
    } else if (rc == XTARS_ETOOBIG) {
        rc = xtars_error(err, XTARS_EFORMAT, "%s: too large", path);
    }
    xtars_buf_cleanup(&run_text);
    return rc;
}
