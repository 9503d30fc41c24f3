/* The trajectory writer against the reader: a fully populated run and step
 * written, read back and compared field by field; every key of the schema
 * written and read (traj_schema.h); secrets, credentials and the size cap. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "agent/record/traj_file.h"
#include "agent/record/traj_schema.h"
#include "agent/record/traj_write.h"
#include "xtars/buf.h"
#include "xtars/config.h"
#include "xtars/image.h"
#include "xtars/log.h"
#include "xtars/version.h"

/* A run with every field set, each to a value of its own. */
static void full_run(struct xtars_traj_run *run)
{
    memset(run, 0, sizeof *run);
    run->source = "replay";
    run->replay_of = "runs/earlier";
    run->imported_from = "/data/osworld/task-1";
    run->recorder_pid = 4242;
    snprintf(run->recorder_host, sizeof run->recorder_host, "host-a");
    snprintf(run->recorder_pid_ns, sizeof run->recorder_pid_ns, "pid:[4026531836]");
    run->instruction = "open \"the\" file\n";
    run->model = "ui-tars-1.5-7b";
    run->endpoint = "http://127.0.0.1:8000/v1";
    run->family = XTARS_FAMILY_UITARS10;
    run->dry_run = 1;
    run->screen_width = 1920, run->screen_height = 1080;
    run->target_x = 10, run->target_y = 20, run->target_width = 800, run->target_height = 600;
    run->sent_width = 812, run->sent_height = 616;
    run->image_format = XTARS_IMAGE_JPEG;
    run->config = "{\n  \"max_steps\": 7,\n  \"language\": \"en\"\n}\n";
    run->started_at = "2025-03-01T10:15:00.123Z";
    run->ended_at = "2025-03-01T10:16:00.456Z";
    run->status = "diverged";
    run->message = "step 2 diverged";
    run->steps_written = 3;
    run->prompt_tokens = 1234, run->completion_tokens = 56;
}

/* A step with every field set; actions and their text live in the caller. */
static void full_step(struct xtars_traj_step *s, struct xtars_action *actions, int *ok,
                      double *ms, char **errors, char **notes)
{
    memset(s, 0, sizeof *s);
    memset(actions, 0, 2 * sizeof *actions);
    actions[0].type = XTARS_ACTION_CLICK;
    actions[0].has_point = 1, actions[0].x = 100, actions[0].y = 200;
    actions[0].model_x = 125, actions[0].model_y = 250;
    actions[1].type = XTARS_ACTION_TYPE;
    actions[1].text = "hello";
    ok[0] = 1, ok[1] = 0;
    ms[0] = 12.5, ms[1] = 3.25;
    errors[0] = NULL, errors[1] = "denied by policy: typing";
    notes[0] = "first note", notes[1] = "second \"note\"";
    s->step = 2;
    s->started_at = "2025-03-01T10:15:30.000Z";
    s->screenshot = "step-0002.jpg";
    s->sent_width = 812, s->sent_height = 616;
    s->capture_ms = 1.5, s->encode_ms = 2.25, s->model_ms = 300.125, s->exec_ms = 15.75;
    s->settle_ms = 40.5, s->total_ms = 360.875;
    s->model_called = 1;
    s->latency_ms = 290.5, s->attempts = 2, s->prompt_tokens = 900, s->completion_tokens = 30;
    s->finish_reason = "length";
    s->reply = "Thought: t\nAction: click(start_box='(125,250)')";
    s->thought = "t", s->reflection = "r", s->parse_error = "parse: something";
    s->actions = actions, s->action_count = 2;
    s->action_ok = ok, s->action_ms = ms, s->action_errors = errors;
    s->settled = 0, s->screen_changed = 0;  /* the reader's default is 1 */
    s->notes = notes, s->note_count = 2;
    s->replayable = 0;                      /* the reader's default is 1 */
    s->similarity = 0.8125;
    s->recorded_step = 5;
    s->source_action = "pyautogui.click(100, 200)";
    s->origin = "cache", s->judge = "assert", s->request = "Is the \"form\" sent?";
    s->model_request = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"p\"},"
                 "{\"role\":\"assistant\",\"reply_of_step\":1}],\"max_tokens\":9}";
    s->instruction = "second instruction";
    s->check_command = "test -f \"out\"";
    s->check_exit_status = 3;
    s->check_error = "exit status 3";
    s->check_output = "no such file\n";
}

/* A full run and step and the arrays the step points into. */
struct fixture {
    struct xtars_traj_run run;
    struct xtars_traj_step step;
    struct xtars_action actions[2];
    int ok[2];
    double ms[2];
    char *errors[2], *notes[2];
};

static void full_fixture(struct fixture *f)
{
    full_run(&f->run);
    full_step(&f->step, f->actions, f->ok, f->ms, f->errors, f->notes);
}

/* Writes run and step with the writer and reads them with the reader. */
static void round_trip(const struct xtars_traj_run *in, const struct xtars_traj_step *step,
                       int imported, struct xtars_traj_run *out)
{
    struct xtars_buf run_text, step_text;
    char err[XTARS_ERRLEN];

    xtars_buf_init(&run_text, 1 << 20);
    xtars_buf_init(&step_text, 1 << 20);
    ASSERT_EQ(xtars_traj_run_to_json(in, &run_text), XTARS_OK);
    ASSERT_EQ(xtars_traj_step_to_json(step, imported, &step_text), XTARS_OK);
    ASSERT(memchr(step_text.data, '\n', step_text.len) == NULL);
    ASSERT_EQ(xtars_buf_putc(&step_text, '\n'), XTARS_OK);
    if (xtars_traj_parse("mem", run_text.data, run_text.len, step_text.data, step_text.len, out,
                         err) != XTARS_OK)
        FAIL("%s\n%s", err, run_text.data);
    ASSERT_STR_EQ(out->warning, "");
    ASSERT_EQ(out->step_count, 1);
    xtars_buf_cleanup(&run_text);
    xtars_buf_cleanup(&step_text);
}

TEST(run_round_trips_every_field)
{
    static struct fixture f;
    const struct xtars_traj_run *in = &f.run;
    struct xtars_traj_run out;

    full_fixture(&f);
    round_trip(&f.run, &f.step, 1, &out);
    ASSERT_STR_EQ(out.dir, "mem");
    ASSERT_STR_EQ(out.source, in->source);
    ASSERT_STR_EQ(out.replay_of, in->replay_of);
    ASSERT_STR_EQ(out.imported_from, in->imported_from);
    ASSERT_STR_EQ(out.xtars_version, XTARS_VERSION);
    ASSERT_EQ(out.recorder_pid, in->recorder_pid);
    ASSERT_STR_EQ(out.recorder_host, in->recorder_host);
    ASSERT_STR_EQ(out.recorder_pid_ns, in->recorder_pid_ns);
    ASSERT_STR_EQ(out.instruction, in->instruction);
    ASSERT_STR_EQ(out.model, in->model);
    ASSERT_STR_EQ(out.endpoint, in->endpoint);
    ASSERT_EQ(out.family, in->family);
    ASSERT_EQ(out.dry_run, 1);
    ASSERT_EQ(out.screen_width, in->screen_width);
    ASSERT_EQ(out.screen_height, in->screen_height);
    ASSERT_EQ(out.target_x, in->target_x);
    ASSERT_EQ(out.target_y, in->target_y);
    ASSERT_EQ(out.target_width, in->target_width);
    ASSERT_EQ(out.target_height, in->target_height);
    ASSERT_EQ(out.sent_width, in->sent_width);
    ASSERT_EQ(out.sent_height, in->sent_height);
    ASSERT_EQ(out.image_format, XTARS_IMAGE_JPEG);
    ASSERT_STR_EQ(out.config, "{\"max_steps\":7,\"language\":\"en\"}");
    ASSERT_STR_EQ(out.started_at, in->started_at);
    ASSERT_STR_EQ(out.ended_at, in->ended_at);
    ASSERT_STR_EQ(out.status, in->status);
    ASSERT_STR_EQ(out.message, in->message);
    ASSERT_EQ(out.steps_written, 3);
    ASSERT_EQ(out.prompt_tokens, 1234);
    ASSERT_EQ(out.completion_tokens, 56);
    xtars_traj_run_cleanup(&out);
}

TEST(step_round_trips_every_field)
{
    static struct fixture f;
    const struct xtars_traj_step *s, *in = &f.step;
    struct xtars_traj_run out;

    full_fixture(&f);
    round_trip(&f.run, &f.step, 1, &out);
    s = &out.steps[0];
    ASSERT_EQ(s->step, 2);
    ASSERT_STR_EQ(s->started_at, in->started_at);
    ASSERT_STR_EQ(s->screenshot, in->screenshot);
    ASSERT_EQ(s->sent_width, 812);
    ASSERT_EQ(s->sent_height, 616);
    ASSERT_NEAR(s->capture_ms, 1.5, 0);
    ASSERT_NEAR(s->encode_ms, 2.25, 0);
    ASSERT_NEAR(s->model_ms, 300.125, 0);
    ASSERT_NEAR(s->exec_ms, 15.75, 0);
    ASSERT_NEAR(s->settle_ms, 40.5, 0);
    ASSERT_NEAR(s->total_ms, 360.875, 0);
    ASSERT_EQ(s->model_called, 1);
    ASSERT_NEAR(s->latency_ms, 290.5, 0);
    ASSERT_EQ(s->attempts, 2);
    ASSERT_EQ(s->prompt_tokens, 900);
    ASSERT_EQ(s->completion_tokens, 30);
    ASSERT_STR_EQ(s->finish_reason, "length");
    ASSERT_STR_EQ(s->reply, in->reply);
    ASSERT_STR_EQ(s->thought, "t");
    ASSERT_STR_EQ(s->reflection, "r");
    ASSERT_STR_EQ(s->parse_error, "parse: something");
    ASSERT_EQ(s->action_count, 2);
    ASSERT_EQ(s->actions[0].type, XTARS_ACTION_CLICK);
    ASSERT_EQ(s->actions[0].x, 100);
    ASSERT_EQ(s->actions[0].y, 200);
    ASSERT_NEAR(s->actions[0].model_x, 125, 0);
    ASSERT_EQ(s->actions[1].type, XTARS_ACTION_TYPE);
    ASSERT_STR_EQ(s->actions[1].text, "hello");
    ASSERT_EQ(s->action_ok[0], 1);
    ASSERT_EQ(s->action_ok[1], 0);
    ASSERT_NEAR(s->action_ms[0], 12.5, 0);
    ASSERT_NEAR(s->action_ms[1], 3.25, 0);
    ASSERT(s->action_errors[0] == NULL);
    ASSERT_STR_EQ(s->action_errors[1], "denied by policy: typing");
    ASSERT_EQ(s->settled, 0);
    ASSERT_EQ(s->screen_changed, 0);
    ASSERT_EQ(s->note_count, 2);
    ASSERT_STR_EQ(s->notes[0], "first note");
    ASSERT_STR_EQ(s->notes[1], "second \"note\"");
    ASSERT_EQ(s->replayable, 0);
    ASSERT_NEAR(s->similarity, 0.8125, 0);
    ASSERT_EQ(s->recorded_step, 5);
    ASSERT_STR_EQ(s->source_action, in->source_action);
    ASSERT_STR_EQ(s->origin, "cache");
    ASSERT_STR_EQ(s->judge, "assert");
    ASSERT_STR_EQ(s->request, "Is the \"form\" sent?");
    ASSERT_STR_EQ(s->model_request, in->model_request); /* compact JSON in, the same out */
    ASSERT_STR_EQ(s->instruction, in->instruction);
    ASSERT_STR_EQ(s->check_command, in->check_command);
    ASSERT_EQ(s->check_exit_status, 3);
    ASSERT_STR_EQ(s->check_error, in->check_error);
    ASSERT_STR_EQ(s->check_output, in->check_output);
    xtars_traj_run_cleanup(&out);
}

/* Collects the keys of obj and of the objects inside it, except the
 * contents of "config", of the actions and of the request (their keys are
 * not the trajectory's: the config table's, action_json.h's, the chat
 * format's). */
static void collect_keys(const cJSON *obj, int *seen)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, obj) {
        int known = 0;
        if (item->string) {
            for (int k = 0; k < TRAJ_KEY_COUNT; k++)
                if (strcmp(item->string, traj_key_name((enum traj_key)k)) == 0)
                    seen[k]++, known = 1;
            if (!known)
                FAIL("key \"%s\" is written but not in traj_schema.h", item->string);
            if (strcmp(item->string, "config") == 0 || strcmp(item->string, "actions") == 0 ||
                strcmp(item->string, "model_request") == 0)
                continue;
        }
        if (cJSON_IsObject(item) || cJSON_IsArray(item))
            collect_keys(item, seen);
    }
}

static void keys_written(const char *text, int *seen)
{
    cJSON *root = cJSON_Parse(text);

    ASSERT(root != NULL);
    memset(seen, 0, TRAJ_KEY_COUNT * sizeof *seen);
    collect_keys(root, seen);
    cJSON_Delete(root);
}

TEST(every_schema_key_is_written_and_nothing_else)
{
    static const int where[TRAJ_KEY_COUNT] = {
#define WHERE(id, name, in) in,
        TRAJ_KEYS(WHERE)
#undef WHERE
    };
    static struct fixture f;
    struct xtars_buf b;
    int seen[TRAJ_KEY_COUNT];

    full_fixture(&f);
    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_traj_run_to_json(&f.run, &b), XTARS_OK);
    keys_written(b.data, seen);
    for (int k = 0; k < TRAJ_KEY_COUNT; k++)
        if (!seen[k] != !(where[k] & TRAJ_IN_RUN))
            FAIL("run.json: \"%s\" %s", traj_key_name((enum traj_key)k),
                 seen[k] ? "is written but the schema puts it in steps only" : "is not written");
    xtars_buf_reset(&b);
    ASSERT_EQ(xtars_traj_step_to_json(&f.step, 1, &b), XTARS_OK);
    keys_written(b.data, seen);
    for (int k = 0; k < TRAJ_KEY_COUNT; k++)
        if (!seen[k] != !(where[k] & TRAJ_IN_STEP))
            FAIL("step line: \"%s\" %s", traj_key_name((enum traj_key)k),
                 seen[k] ? "is written but the schema puts it in run.json only" : "is not written");
    xtars_buf_cleanup(&b);
}

/* 1 when the identifier occurs in text as a whole word. */
static int uses_identifier(const char *text, const char *id)
{
    size_t n = strlen(id);

    for (const char *p = strstr(text, id); p; p = strstr(p + 1, id))
        if ((p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
            !(isalnum((unsigned char)p[n]) || p[n] == '_'))
            return 1;
    return 0;
}

/* Every key is looked up by traj_read.c and emitted by traj_write.c through
 * its id: a key added to the schema and written but never read fails here.
 * (The format is checked by its constants: the reader compares them.) */
TEST(every_schema_key_is_read_and_written_by_its_id)
{
    static const char *const ids[TRAJ_KEY_COUNT] = {
#define ID(id, name, in) "TRAJ_" #id,
        TRAJ_KEYS(ID)
#undef ID
    };
    static const char *const files[] = {"agent/record/traj_read.c", "agent/record/traj_write.c"};
    char path[4096], err[XTARS_ERRLEN];

    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        struct xtars_buf text;
        snprintf(path, sizeof path, "%s/%s", XT_SOURCE_DIR, files[f]);
        if (xtars_buf_read_file(&text, path, 1 << 22, err) != XTARS_OK)
            FAIL("%s", err);
        for (int k = 0; k < TRAJ_KEY_COUNT; k++)
            if (!uses_identifier(text.data, ids[k]))
                FAIL("%s never uses %s (\"%s\")", files[f], ids[k],
                     traj_key_name((enum traj_key)k));
        xtars_buf_cleanup(&text);
    }
}

TEST(optional_keys_are_left_out_and_nulls_read_as_absent)
{
    struct xtars_traj_run run, out;
    struct xtars_traj_step step;
    struct xtars_action action;
    struct xtars_buf b;

    memset(&run, 0, sizeof run);
    run.screen_width = run.target_width = 640, run.screen_height = run.target_height = 480;
    memset(&step, 0, sizeof step);
    memset(&action, 0, sizeof action);
    action.type = XTARS_ACTION_WAIT;
    step.step = 1, step.actions = &action, step.action_count = 1, step.similarity = -1;
    step.model_called = 1, step.prompt_tokens = -1, step.completion_tokens = -1;
    step.model_request = "{\"messages\": [ cut"; /* not whole JSON: left out, the line stays valid */
    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_traj_run_to_json(&run, &b), XTARS_OK);
    ASSERT(strstr(b.data, "replay_of") == NULL && strstr(b.data, "imported_from") == NULL);
    ASSERT(strstr(b.data, "recorder") == NULL);
    ASSERT_STR_CONTAINS(b.data, "\"instruction\": \"\",\n  \"model\": null,\n  \"endpoint\": null");
    ASSERT_STR_CONTAINS(b.data, "\"config\": {},\n  \"started_at\": null,\n  \"ended_at\": null,\n"
                                "  \"status\": \"running\",\n  \"message\": null");
    xtars_buf_reset(&b);
    ASSERT_EQ(xtars_traj_step_to_json(&step, 0, &b), XTARS_OK);
    ASSERT_STR_CONTAINS(b.data, "\"prompt_tokens\": null, \"completion_tokens\": null, "
                                "\"finish_reason\": null}");
    ASSERT_STR_CONTAINS(b.data, "\"results\": [{\"ok\": true, \"ms\": 0, \"error\": null}]");
    ASSERT_STR_CONTAINS(b.data, "\"notes\": []}"); /* no replayable, similarity, ... */
    xtars_buf_cleanup(&b);
    round_trip(&run, &step, 0, &out);
    ASSERT(out.replay_of == NULL && out.imported_from == NULL && out.config != NULL);
    ASSERT_EQ(out.recorder_pid, 0);
    ASSERT_EQ(out.steps[0].prompt_tokens, 0);
    ASSERT_EQ(out.steps[0].replayable, 1);
    ASSERT_NEAR(out.steps[0].similarity, -1, 0);
    ASSERT_EQ(out.steps[0].recorded_step, 0);
    ASSERT(out.steps[0].source_action == NULL && out.steps[0].started_at == NULL);
    ASSERT(out.steps[0].origin == NULL && out.steps[0].judge == NULL && out.steps[0].request == NULL);
    ASSERT(out.steps[0].model_request == NULL && out.steps[0].instruction == NULL);
    ASSERT(out.steps[0].check_command == NULL && out.steps[0].check_output == NULL);
    xtars_traj_run_cleanup(&out);
}

TEST(recorded_text_has_secrets_redacted_and_no_credentials)
{
    struct xtars_traj_run run, out;
    struct xtars_traj_step step;
    struct xtars_traj *traj;
    struct xtars_buf text;
    char err[XTARS_ERRLEN], dir[4096], path[4200];

    snprintf(dir, sizeof dir, "%s/secret", xt_tmpdir());
    ASSERT_EQ(xtars_log_add_secret("hunter2-secret"), XTARS_OK);
    memset(&run, 0, sizeof run);
    run.screen_width = run.target_width = 640, run.screen_height = run.target_height = 480;
    run.instruction = "log in with hunter2-secret";
    run.endpoint = "https://user:pass@api.example.com/v1?key=abc#frag";
    memset(&step, 0, sizeof step);
    step.step = 1, step.similarity = -1, step.reply = "typing hunter2-secret now";
    ASSERT_EQ(xtars_traj_open(dir, &traj, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_record_run(traj, &run, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_record_step(traj, &step, 0, err), XTARS_OK);
    xtars_traj_close(traj);
    snprintf(path, sizeof path, "%s/run.json", dir);
    ASSERT_EQ(xtars_buf_read_file(&text, path, 1 << 20, err), XTARS_OK);
    ASSERT(strstr(text.data, "hunter2") == NULL && strstr(text.data, "pass") == NULL);
    ASSERT(strstr(text.data, "key=abc") == NULL);
    xtars_buf_cleanup(&text);
    if (xtars_traj_load(dir, &out, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(out.instruction, "log in with [redacted]");
    ASSERT_STR_EQ(out.endpoint, "https://api.example.com/v1");
    ASSERT_EQ(out.step_count, 1);
    ASSERT_STR_EQ(out.steps[0].reply, "typing [redacted] now");
    xtars_traj_run_cleanup(&out);
    xtars_log_cleanup();
}

/* What the newer keys record (the request sent, a step's instruction, a
 * check's output) goes through the same redaction as the reply. */
TEST(request_instruction_and_check_output_are_redacted)
{
    struct xtars_traj_step step;
    struct xtars_traj *traj;
    struct xtars_buf text;
    char err[XTARS_ERRLEN], dir[4096], path[4200];

    snprintf(dir, sizeof dir, "%s/secret-extras", xt_tmpdir());
    ASSERT_EQ(xtars_log_add_secret("tok-7f3e9a"), XTARS_OK);
    memset(&step, 0, sizeof step);
    step.step = 1, step.similarity = -1;
    step.model_request = "{\"messages\":[{\"role\":\"user\",\"content\":\"use tok-7f3e9a\"}]}";
    step.instruction = "log in with tok-7f3e9a";
    step.check_command = "grep tok-7f3e9a out.txt", step.check_exit_status = 1;
    step.check_output = "out.txt: tok-7f3e9a not found";
    ASSERT_EQ(xtars_traj_open(dir, &traj, err), XTARS_OK);
    ASSERT_EQ(xtars_traj_record_step(traj, &step, 0, err), XTARS_OK);
    xtars_traj_close(traj);
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    ASSERT_EQ(xtars_buf_read_file(&text, path, 1 << 20, err), XTARS_OK);
    ASSERT(strstr(text.data, "tok-7f3e9a") == NULL);
    ASSERT_STR_CONTAINS(text.data, "\"model_request\": {\"messages\":[{\"role\":\"user\",\"content\":"
                                   "\"use [redacted]\"}]}");
    ASSERT_STR_CONTAINS(text.data, "\"check\": {\"command\": \"grep [redacted] out.txt\", "
                                   "\"exit_status\": 1, \"error\": null, \"output\": \"out.txt: "
                                   "[redacted] not found\"}");
    xtars_buf_cleanup(&text);
    xtars_log_cleanup();
}

/* A piece past the cap fails the whole text, even when what follows it
 * would fit again (the buffer refuses the big piece and takes the rest). */
TEST(a_piece_past_the_cap_fails_the_step)
{
    struct xtars_traj_step step;
    struct xtars_buf b;
    char reply[2000];

    memset(&step, 0, sizeof step);
    memset(reply, 'x', sizeof reply - 1);
    reply[sizeof reply - 1] = '\0';
    step.step = 1, step.similarity = -1, step.reply = reply;
    xtars_buf_init(&b, 1000);
    ASSERT_EQ(xtars_traj_step_to_json(&step, 0, &b), XTARS_ETOOBIG);
    xtars_buf_cleanup(&b);
    xtars_buf_init(&b, 4000);
    ASSERT_EQ(xtars_traj_step_to_json(&step, 0, &b), XTARS_OK);
    xtars_buf_cleanup(&b);
}

/* A 20 MB reply (max_response_bytes allows it) of control characters,
 * which JSON escaping makes six times longer: the step still gets a whole,
 * valid line, with the long texts cut and a note saying so, and the reader
 * sees the step (issue: a completed step was lost, the report showed 0). */
TEST(a_huge_reply_is_cut_not_lost)
{
    size_t size = 20u << 20;
    char *reply = malloc(size + 1), dir[600], err[XTARS_ERRLEN];
    struct xtars_traj *traj;
    struct xtars_traj_step step;
    struct xtars_traj_run run;
    const char *marker;

    ASSERT(reply != NULL);
    memset(reply, '\001', size);
    memcpy(reply, "Thought: start", 14);
    reply[size] = '\0';
    memset(&step, 0, sizeof step);
    step.step = 1, step.similarity = -1, step.reply = reply, step.thought = "start";
    step.parse_error = "reply too long";
    snprintf(dir, sizeof dir, "%s/huge", xt_tmpdir());
    ASSERT_EQ(xtars_traj_open(dir, &traj, err), XTARS_OK);
    full_run(&run);
    if (xtars_traj_record_run(traj, &run, err) != XTARS_OK)
        FAIL("run.json: %s", err);
    if (xtars_traj_record_step(traj, &step, 0, err) != XTARS_OK)
        FAIL("the step was not recorded: %s", err);
    xtars_traj_close(traj);
    free(reply);

    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(run.warning, "");
    ASSERT_EQ(run.step_count, 1);
    ASSERT(strncmp(run.steps[0].reply, "Thought: start\001", 15) == 0);
    marker = strstr(run.steps[0].reply, " [... ");
    ASSERT(marker != NULL);
    ASSERT_STR_EQ(marker, " [... 19922944 more bytes not recorded]");
    ASSERT_EQ(marker - run.steps[0].reply, 1 << 20);
    ASSERT_STR_EQ(run.steps[0].thought, "start");
    ASSERT_STR_EQ(run.steps[0].parse_error, "reply too long");
    ASSERT_EQ(run.steps[0].note_count, 1);
    ASSERT_STR_CONTAINS(run.steps[0].notes[0], "cut to their first 1 MiB");
    xtars_traj_run_cleanup(&run);
}
