/* The reply parser: the golden files in tests/data/parse/ (one test per file,
 * every case checked, all failures listed), and what golden files cannot
 * hold: size caps, invalid UTF-8, truncation at every byte, ownership. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "test.h"
#include "agent/reply/action_json.h"
#include "xtars/config.h"
#include "xtars/parse.h"

/* Runs one case; returns 1 if it passed, printing why not otherwise. */
static int run_case(const char *file, const struct golden_case *c)
{
    struct xtars_coord_space space;
    struct xtars_reply reply;
    struct xtars_action action;
    struct xtars_buf out;
    char err[XTARS_ERRLEN] = "", opt_err[256];
    int have_space, ok;
    xtars_err rc;
    cJSON *want = NULL, *got = NULL;

    if (golden_space(c->options, &space, &have_space, opt_err) != 0) {
        fprintf(stderr, "%s:%d %s: %s\n", file, c->line, c->name, opt_err);
        return 0;
    }
    xtars_buf_init(&out, 16 << 20);
    if (c->is_call) {
        rc = xtars_parse_action(c->input, c->input_len, have_space ? &space : NULL, &action, err);
        if (rc == XTARS_OK) {
            xtars_action_fill_defaults(&action, 5, 5000);
            xtars_action_to_json(&action, &out);
        }
        xtars_action_cleanup(&action);
    } else {
        rc = xtars_parse_reply(c->input, c->input_len, have_space ? &space : NULL, &reply, err);
        for (int i = 0; rc == XTARS_OK && i < reply.action_count; i++)
            xtars_action_fill_defaults(&reply.actions[i], 5, 5000);
        if (rc == XTARS_OK)
            xtars_reply_to_json(&reply, &out);
        xtars_reply_cleanup(&reply);
    }
    if (c->error) {
        ok = rc != XTARS_OK && strcmp(err, c->error) == 0;
        if (!ok)
            fprintf(stderr, "%s:%d %s:\n  expected error: %s\n  got: %s\n", file, c->line,
                    c->name, c->error, rc == XTARS_OK ? out.data : err);
    } else {
        want = cJSON_Parse(c->expect);
        got = rc == XTARS_OK ? cJSON_Parse(out.data) : NULL;
        if (want == NULL)
            fprintf(stderr, "%s:%d %s: expected JSON does not parse\n", file, c->line, c->name);
        ok = want && got && cJSON_Compare(want, got, 1);
        if (!ok && want)
            fprintf(stderr, "%s:%d %s:\n  expected: %s\n  got:      %s\n", file, c->line,
                    c->name, c->expect, rc == XTARS_OK ? out.data : err);
    }
    cJSON_Delete(want);
    cJSON_Delete(got);
    xtars_buf_cleanup(&out);
    return ok;
}

static void run_file(const char *name)
{
    struct golden_file g;
    char err[256], path[1024];
    int failed = 0;

    snprintf(path, sizeof path, "parse/%s", name);
    if (golden_load(xt_data_path(path), &g, err) != 0)
        FAIL("%s", err);
    ASSERT_GT(g.count, 0);
    for (int i = 0; i < g.count; i++)
        failed += !run_case(name, &g.cases[i]);
    printf("%s: %d cases, %d failed\n", name, g.count, failed);
    golden_free(&g);
    ASSERT_EQ(failed, 0);
}

TEST(golden_headers) { run_file("headers.test"); }
TEST(golden_actions) { run_file("actions.test"); }
TEST(golden_quoting) { run_file("quoting.test"); }
TEST(golden_coordinate_forms) { run_file("coords.test"); }
TEST(golden_families_and_screens) { run_file("families.test"); }
TEST(golden_keys) { run_file("keys.test"); }
TEST(golden_errors) { run_file("errors.test"); }
TEST(golden_seed_and_tag_dialects) { run_file("seed.test"); }

/* Every *.test file is run by one of the tests above, and there are enough. */
TEST(golden_corpus_is_complete)
{
    static const char *const known[] = {"actions.test", "coords.test", "errors.test",
                                        "families.test", "headers.test", "keys.test",
                                        "quoting.test", "seed.test"};
    char **paths, dir[1024];
    int n, total = 0;

    snprintf(dir, sizeof dir, "%s", xt_data_path("parse"));
    n = golden_list(dir, &paths);
    ASSERT_EQ(n, (int)(sizeof known / sizeof known[0]));
    for (int i = 0; i < n; i++) {
        struct golden_file g;
        char err[256];
        ASSERT_STR_EQ(strrchr(paths[i], '/') + 1, known[i]);
        ASSERT_EQ(golden_load(paths[i], &g, err), 0);
        total += g.count;
        golden_free(&g);
    }
    golden_list_free(paths, n);
    printf("%d golden cases\n", total);
    ASSERT_GE(total, 120);
}

/* ---- what golden files cannot hold ------------------------------------ */

static const struct xtars_coord_space screen_1080p = {XTARS_FAMILY_UITARS15, 1932, 1092,
                                                      {0, 0, 1920, 1080}};

/* Parses a malloc'd copy of exactly len bytes, so ASan sees any read past it. */
static xtars_err parse_exact(const char *text, size_t len, struct xtars_reply *reply, char *err)
{
    char *copy = malloc(len ? len : 1);
    xtars_err rc;

    memcpy(copy, text, len);
    rc = xtars_parse_reply(copy, len, &screen_1080p, reply, err);
    free(copy);
    return rc;
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
    char *s = malloc(h + u * times + t + 1);

    memcpy(s, head, h);
    for (size_t i = 0; i < times; i++)
        memcpy(s + h + i * u, unit, u);
    memcpy(s + h + u * times, tail, t + 1);
    return s;
}

TEST(reply_size_cap)
{
    struct xtars_reply r;
    struct xtars_action a;
    char err[XTARS_ERRLEN];
    char *big = repeat("Action: wait()", " ", XTARS_PARSE_MAX_REPLY, "");

    ASSERT_EQ(xtars_parse_reply(big, XTARS_PARSE_MAX_REPLY, NULL, &r, err), XTARS_OK);
    xtars_reply_cleanup(&r);
    ASSERT_EQ(xtars_parse_reply(big, XTARS_PARSE_MAX_REPLY + 1, NULL, &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: reply longer than 1048576 bytes at column 1");
    ASSERT_EQ(xtars_parse_action(big + 8, XTARS_PARSE_MAX_REPLY + 1, NULL, &a, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: reply longer than 1048576 bytes at column 1");
    free(big);
}

/* 10 kB of content is fine; one byte over 64 KiB is refused at the value. */
TEST(content_size_cap)
{
    struct xtars_reply r;
    char err[XTARS_ERRLEN];
    char *ten_kb = repeat("Action: type(content='", "x", 10000, "')");
    char *at_cap = repeat("Action: type(content='", "x", XTARS_PARSE_MAX_CONTENT, "')");
    char *over = repeat("Action: type(content='", "x", XTARS_PARSE_MAX_CONTENT + 1, "')");
    /* Escapes shrink when decoded: 2 * 40000 raw bytes are 40000 newlines. */
    char *escaped = repeat("Action: type(content='", "\\n", 40000, "')");

    ASSERT_EQ(xtars_parse_reply(ten_kb, strlen(ten_kb), NULL, &r, err), XTARS_OK);
    ASSERT_EQ(strlen(r.actions[0].text), 10000);
    xtars_reply_cleanup(&r);
    ASSERT_EQ(xtars_parse_reply(at_cap, strlen(at_cap), NULL, &r, err), XTARS_OK);
    xtars_reply_cleanup(&r);
    ASSERT_EQ(xtars_parse_reply(over, strlen(over), NULL, &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: content longer than 65536 bytes at column 22");
    ASSERT_EQ(xtars_parse_reply(escaped, strlen(escaped), NULL, &r, err), XTARS_OK);
    ASSERT_EQ(strlen(r.actions[0].text), 40000);
    ASSERT_EQ(r.actions[0].text[39999], '\n');
    xtars_reply_cleanup(&r);
    free(ten_kb);
    free(at_cap);
    free(over);
    free(escaped);
}

/* 64 actions parse; the 65th is refused where it starts: "Action: " is 8
 * characters and each "wait()\n" 7, so call 65 starts at column 8 + 64*7 + 1. */
TEST(action_count_cap)
{
    struct xtars_reply r;
    char err[XTARS_ERRLEN];
    char *ok = repeat("Action: ", "wait()\n", XTARS_PARSE_MAX_ACTIONS, "");
    char *over = repeat("Action: ", "wait()\n", XTARS_PARSE_MAX_ACTIONS + 1, "");

    ASSERT_EQ(xtars_parse_reply(ok, strlen(ok), NULL, &r, err), XTARS_OK);
    ASSERT_EQ(r.action_count, 64);
    ASSERT_EQ(r.actions[63].type, XTARS_ACTION_WAIT);
    xtars_reply_cleanup(&r);
    ASSERT_EQ(xtars_parse_reply(over, strlen(over), NULL, &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: more than 64 actions at column 457");
    ASSERT(r.actions == NULL);
    ASSERT_EQ(r.action_count, 0);
    free(ok);
    free(over);
}

/* Bytes that are not UTF-8 pass through the parser untouched; the JSON writer
 * replaces them, so the output is still valid JSON. */
TEST(invalid_utf8_passes_through)
{
    const char text[] = "Thought: caf\xe9 \xff\nAction: type(content='\xc3(')";
    struct xtars_reply r;
    struct xtars_buf out;
    char err[XTARS_ERRLEN];
    cJSON *json;

    ASSERT_EQ(xtars_parse_reply(text, sizeof text - 1, NULL, &r, err), XTARS_OK);
    ASSERT_STR_EQ(r.thought, "caf\xe9 \xff");
    ASSERT_STR_EQ(r.actions[0].text, "\xc3(");
    xtars_buf_init(&out, 1 << 16);
    ASSERT_EQ(xtars_reply_to_json(&r, &out), XTARS_OK);
    json = cJSON_Parse(out.data);
    ASSERT(json != NULL);
    ASSERT_STR_EQ(cJSON_GetObjectItem(json, "thought")->valuestring,
                  "caf\xef\xbf\xbd \xef\xbf\xbd");
    cJSON_Delete(json);
    xtars_buf_cleanup(&out);
    xtars_reply_cleanup(&r);
}

TEST(null_and_zero_length_input)
{
    struct xtars_reply r;
    struct xtars_action a;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_parse_reply(NULL, 0, NULL, &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: empty reply at column 1");
    ASSERT_EQ(xtars_parse_reply("Action: wait()", 0, NULL, &r, err), XTARS_EPARSE);
    ASSERT_EQ(xtars_parse_action(NULL, 5, NULL, &a, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: empty action at column 1");
    /* A NULL error buffer is allowed. */
    ASSERT_EQ(xtars_parse_reply("nonsense", 8, NULL, &r, NULL), XTARS_EPARSE);
}

TEST(failure_leaves_output_zeroed_and_cleanup_accepts_anything)
{
    struct xtars_reply r, zero;
    struct xtars_action a;
    const char *text = "Thought: t\nAction: type(content='a')\n\nclik()";
    char err[XTARS_ERRLEN];

    memset(&zero, 0, sizeof zero);
    memset(&r, 0xAB, sizeof r);
    ASSERT_EQ(xtars_parse_reply(text, strlen(text), NULL, &r, err), XTARS_EPARSE);
    ASSERT_MEM_EQ(&r, &zero, sizeof r);
    memset(&a, 0xAB, sizeof a);
    ASSERT_EQ(xtars_parse_action("clik()", 6, NULL, &a, err), XTARS_EPARSE);
    ASSERT(a.text == NULL);
    ASSERT_EQ(a.has_point, 0);
    xtars_reply_cleanup(NULL);
    xtars_reply_cleanup(&r);
    xtars_reply_cleanup(&r);
}

TEST(invalid_space_is_einval)
{
    struct xtars_coord_space bad = {XTARS_FAMILY_UITARS15, 0, 0, {0, 0, 1920, 1080}};
    struct xtars_reply r;
    char err[XTARS_ERRLEN];
    const char *text = "Action: click(start_box='(1,2)')";

    ASSERT_EQ(xtars_parse_reply(text, strlen(text), &bad, &r, err), XTARS_EINVAL);
    ASSERT_STR_EQ(err, "parse: invalid coordinate space");
    /* A reply without coordinates does not look at the space. */
    ASSERT_EQ(xtars_parse_reply("Action: wait()", 14, &bad, &r, err), XTARS_OK);
    xtars_reply_cleanup(&r);
}

/* Thousands of markers, none followed by a call: bounded work, one error. */
TEST(many_markers)
{
    struct xtars_reply r;
    char err[XTARS_ERRLEN];
    char *text = repeat("Thought: x ", "Action: ", 100000, "");
    char *inside = repeat("Action: type(content='", "Action: ", 100000, "')");

    ASSERT_EQ(xtars_parse_reply(text, strlen(text), NULL, &r, err), XTARS_EPARSE);
    ASSERT_STR_CONTAINS(err, "no action after 'Action:'");
    ASSERT_EQ(xtars_parse_reply(inside, strlen(inside), NULL, &r, err), XTARS_EPARSE);
    free(text);
    free(inside);
}

TEST(deep_brackets_in_an_unquoted_value)
{
    struct xtars_reply r;
    char err[XTARS_ERRLEN];
    char *open = repeat("Action: click(start_box=", "(", 100000, "");
    char *text = repeat(open, ")", 100000, ")");

    ASSERT_EQ(xtars_parse_reply(text, strlen(text), &screen_1080p, &r, err), XTARS_EPARSE);
    ASSERT_STR_EQ(err, "parse: expected 2 or 4 numbers in start_box, got 0 at column 25");
    free(open);
    free(text);
}

/* Every prefix of every golden input: no crash, no read past the end (ASan),
 * and either a result or a one-line parse error with a column. */
TEST(every_prefix_of_every_golden_input)
{
    char **paths, err[XTARS_ERRLEN], gerr[256];
    int n = golden_list(xt_data_path("parse"), &paths), checked = 0;

    ASSERT_GT(n, 0);
    for (int f = 0; f < n; f++) {
        struct golden_file g;
        ASSERT_EQ(golden_load(paths[f], &g, gerr), 0);
        for (int i = 0; i < g.count; i++) {
            for (size_t len = 0; len <= g.cases[i].input_len; len++) {
                struct xtars_reply r;
                xtars_err rc = parse_exact(g.cases[i].input, len, &r, err);
                if (rc != XTARS_OK && (rc != XTARS_EPARSE || strncmp(err, "parse: ", 7) != 0 ||
                                       strstr(err, " at column ") == NULL))
                    FAIL("%s prefix %zu: rc %d, %s", g.cases[i].name, len, rc, err);
                xtars_reply_cleanup(&r);
                checked++;
            }
        }
        golden_free(&g);
    }
    golden_list_free(paths, n);
    printf("%d prefixes parsed\n", checked);
}

/* Deterministic mutations of the golden inputs (bytes flipped, inserted,
 * deleted, quotes and parentheses sprinkled in): a small fuzz run that every
 * test pass makes, sanitizers included. */
TEST(mutated_golden_inputs)
{
    static const char sprinkle[] = "'\"()[],=\\\n <>|:A\xef\xbc\x9a";
    char **paths, err[XTARS_ERRLEN], gerr[256], buf[4096];
    int n = golden_list(xt_data_path("parse"), &paths);
    unsigned long seed = 12345;

    for (int f = 0; f < n; f++) {
        struct golden_file g;
        ASSERT_EQ(golden_load(paths[f], &g, gerr), 0);
        for (int i = 0; i < g.count; i++) {
            for (int round = 0; round < 40; round++) {
                size_t len = g.cases[i].input_len < sizeof buf - 64 ? g.cases[i].input_len : 0;
                struct xtars_reply r;
                memcpy(buf, g.cases[i].input, len);
                for (int m = 0; m < 1 + round % 4; m++) {
                    size_t at;
                    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                    at = len ? (seed >> 33) % len : 0;
                    if ((seed >> 20) % 3 == 0 && len > 0) {
                        memmove(buf + at, buf + at + 1, len - at - 1);
                        len--;
                    } else if ((seed >> 20) % 3 == 1) {
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = sprinkle[(seed >> 40) % (sizeof sprinkle - 1)];
                        len++;
                    } else if (len > 0) {
                        buf[at] = (char)(seed >> 45);
                    }
                }
                xtars_err rc = parse_exact(buf, len, &r, err);
                if (rc != XTARS_OK && rc != XTARS_EPARSE)
                    FAIL("%s round %d: rc %d", g.cases[i].name, round, rc);
                xtars_reply_cleanup(&r);
            }
        }
        golden_free(&g);
    }
    golden_list_free(paths, n);
}

/* Found by the fuzzer: a box centre such as (110.55555 + 50) / 2 needs 16
 * digits to be written exactly (80.27777499999999, Python agrees); the call text for
 * history must read back to the same numbers. */
TEST(box_centre_with_16_digits_round_trips_through_call_text)
{
    const struct xtars_coord_space pixels = {XTARS_FAMILY_PIXELS, 0, 0, {0, 0, 1920, 1080}};
    const char text[] = "click(Start_box='(1\f\f\f110.55555\n525 50'\f";
    struct xtars_action a, b;
    struct xtars_buf call;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_parse_action(text, sizeof text - 1, &pixels, &a, err), XTARS_OK);
    ASSERT_NEAR(a.model_x, 263, 0);
    ASSERT_NEAR(a.model_y, (110.55555 + 50) / 2, 0);
    xtars_buf_init(&call, 1 << 10);
    ASSERT_EQ(xtars_action_to_call(&a, XTARS_CALL_BOX_TOKENS, &call), XTARS_OK);
    ASSERT_STR_EQ(call.data, "click(start_box='<|box_start|>(263,80.27777499999999)<|box_end|>')");
    if (xtars_parse_action(call.data, call.len, &pixels, &b, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT(b.model_y == a.model_y);
    ASSERT_EQ(b.x, 263);
    ASSERT_EQ(b.y, 80);
    xtars_buf_cleanup(&call);
}
