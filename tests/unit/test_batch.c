/* The pure parts of `xtars batch`: task lists and their errors, shard
 * assignment, results lines, resumption state (last line wins, cut lines
 * skipped and repaired), merge resolution, relative paths, the index page. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "agent/record/html.h"
#include "agent/run/batch.h"
#include "xtars/buf.h"
#include "xtars/log.h"

static xtars_err parse_list(const char *text, struct xtars_batch_list *list, char *err)
{
    return xtars_batch_list_parse("l.jsonl", text, strlen(text), "/lists", list, err);
}

TEST(list_every_form)
{
    struct xtars_batch_list l;
    char err[XTARS_ERRLEN];
    const char *text =
        "{\"id\": \"form-1\", \"instruction\": \"Fill the form\", \"screen\": \"800x600\",\n"
        "  \"launch\": \"app --x\", \"max_steps\": 7}\n";
    const char *text2 =
        "{\"id\": \"form-1\", \"instruction\": \"Fill the form\", \"screen\": \"800x600\", \"launch\": \"app --x\", \"max_steps\": 7}\n"
        "\n"
        "   \n"
        "{\"task_file\": \"tasks/t.json\", \"screen\": \"640x480\"}\n"
        "{\"instruction\": \"b\", \"launch\": [\"one\", \"two two\"]}\r\n"
        "{\"task_file\": \"/abs/t.json\", \"id\": \"A.b_c-9\"}";

    /* A task is one line: a newline inside the object splits it. */
    ASSERT_EQ(parse_list(text, &l, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "batch: l.jsonl line 1: not valid JSON");
    if (parse_list(text2, &l, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_EQ(l.count, 4);
    ASSERT_STR_EQ(l.tasks[0].id, "form-1");
    ASSERT_EQ(l.tasks[0].index, 0);
    ASSERT_EQ(l.tasks[0].line, 1);
    ASSERT_STR_EQ(l.tasks[0].instruction, "Fill the form");
    ASSERT(l.tasks[0].task_file == NULL);
    ASSERT_EQ(l.tasks[0].width, 800);
    ASSERT_EQ(l.tasks[0].height, 600);
    ASSERT_EQ(l.tasks[0].launch_count, 1);
    ASSERT_STR_EQ(l.tasks[0].launch[0], "app --x");
    ASSERT_EQ(l.tasks[0].max_steps, 7);
    /* Blank lines count as lines but not as tasks; default ids number tasks. */
    ASSERT_STR_EQ(l.tasks[1].id, "task-0002");
    ASSERT_EQ(l.tasks[1].index, 1);
    ASSERT_EQ(l.tasks[1].line, 4);
    ASSERT_STR_EQ(l.tasks[1].task_file, "/lists/tasks/t.json");
    ASSERT(l.tasks[1].instruction == NULL);
    ASSERT_EQ(l.tasks[1].width, 640);
    ASSERT_EQ(l.tasks[1].max_steps, 0);
    ASSERT_STR_EQ(l.tasks[2].id, "task-0003");
    ASSERT_EQ(l.tasks[2].launch_count, 2);
    ASSERT_STR_EQ(l.tasks[2].launch[1], "two two");
    ASSERT_EQ(l.tasks[2].width, 0);
    ASSERT_STR_EQ(l.tasks[3].id, "A.b_c-9");
    ASSERT_EQ(l.tasks[3].line, 6);
    ASSERT_STR_EQ(l.tasks[3].task_file, "/abs/t.json");
    ASSERT_EQ(xtars_batch_list_find(&l, "A.b_c-9"), 3);
    ASSERT_EQ(xtars_batch_list_find(&l, "nope"), -1);
    xtars_batch_list_cleanup(&l);
    xtars_batch_list_cleanup(&l);
}

static void expect_list_error(const char *text, const char *message)
{
    struct xtars_batch_list l;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(parse_list(text, &l, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, message);
    ASSERT(l.tasks == NULL && l.count == 0);
}

TEST(list_errors_name_the_line)
{
    expect_list_error("{\"instruction\": \"a\"}\n{\"instrucion\": \"b\"}",
                      "batch: l.jsonl line 2: unknown key instrucion");
    expect_list_error("{\"instruction\": \"a\", \"task_file\": \"t.json\"}",
                      "batch: l.jsonl line 1: a task needs exactly one of instruction, task_file");
    expect_list_error("{\"id\": \"x\"}",
                      "batch: l.jsonl line 1: a task needs exactly one of instruction, task_file");
    expect_list_error("{\"task_file\": \"t.json\", \"launch\": \"app\"}",
                      "batch: l.jsonl line 1: 'launch' and 'max_steps' go in the task file, not "
                      "next to 'task_file'");
    expect_list_error("{\"instruction\": \"a\", \"screen\": \"big\"}",
                      "batch: l.jsonl line 1: 'screen' must look like 1280x800");
    expect_list_error("{\"instruction\": \"a\", \"id\": \"../x\"}",
                      "batch: l.jsonl line 1: 'id' must be 1 to 64 of A-Z a-z 0-9 . _ - (not "
                      "starting with '.')");
    expect_list_error("{\"instruction\": \"a\", \"id\": \".hidden\"}",
                      "batch: l.jsonl line 1: 'id' must be 1 to 64 of A-Z a-z 0-9 . _ - (not "
                      "starting with '.')");
    expect_list_error("{\"instruction\": \"a\", \"id\": 7}",
                      "batch: l.jsonl line 1: 'id', 'instruction', 'task_file' and 'screen' must "
                      "be strings");
    expect_list_error("{\"instruction\": \"a\", \"max_steps\": 0}",
                      "batch: l.jsonl line 1: 'max_steps' must be a whole number from 1 to 100000");
    expect_list_error("{\"instruction\": \"a\", \"max_steps\": 2.5}",
                      "batch: l.jsonl line 1: 'max_steps' must be a whole number from 1 to 100000");
    expect_list_error("{\"instruction\": \"a\", \"launch\": [\"ok\", 3]}",
                      "batch: l.jsonl line 1: every 'launch' entry must be a non-empty string");
    expect_list_error("{\"instruction\": \"a\", \"launch\": {}}",
                      "batch: l.jsonl line 1: 'launch' must be a command or a list of commands");
    expect_list_error("{\"instruction\": \"\"}", "batch: l.jsonl line 1: 'instruction' is empty");
    expect_list_error("[1]", "batch: l.jsonl line 1: a task must be a JSON object");
    expect_list_error("{\"instruction\": \"a\"", "batch: l.jsonl line 1: not valid JSON");
    expect_list_error("\n \n", "batch: l.jsonl: no tasks");
    /* An explicit id may not take a default id's place either. */
    expect_list_error("{\"id\": \"a\", \"instruction\": \"x\"}\n\n{\"id\": \"a\", \"instruction\": \"y\"}",
                      "batch: l.jsonl line 3: id 'a' is already used on line 1");
    expect_list_error("{\"instruction\": \"x\"}\n{\"id\": \"task-0001\", \"instruction\": \"y\"}",
                      "batch: l.jsonl line 2: id 'task-0001' is already used on line 1");
}

TEST(list_hash_is_fnv1a_of_the_line)
{
    struct xtars_batch_list l;
    char err[XTARS_ERRLEN];

    /* FNV-1a 64 computed independently (Python) for these exact bytes. */
    ASSERT_EQ(parse_list("{\"instruction\": \"a\"}\n{\"instruction\": \"b\"}\n", &l, err), XTARS_OK);
    ASSERT_STR_EQ(l.tasks[0].hash, "2728da82001c4c64");
    ASSERT_STR_EQ(l.tasks[1].hash, "0e066381f21de9f1");
    xtars_batch_list_cleanup(&l);
}

TEST(list_load_resolves_against_its_directory)
{
    struct xtars_batch_list l;
    char path[600], err[XTARS_ERRLEN];
    FILE *f;

    snprintf(path, sizeof path, "%s/tasks.jsonl", xt_tmpdir());
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"task_file\": \"sub/t.json\"}\n", f);
    fclose(f);
    ASSERT_EQ(xtars_batch_list_load(path, &l, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/sub/t.json", xt_tmpdir());
    ASSERT_STR_EQ(l.tasks[0].task_file, path);
    xtars_batch_list_cleanup(&l);
    snprintf(path, sizeof path, "%s/missing.jsonl", xt_tmpdir());
    ASSERT_EQ(xtars_batch_list_load(path, &l, err), XTARS_EIO);
    ASSERT_STR_CONTAINS(err, "missing.jsonl");
}

TEST(shard_parse_and_partition)
{
    const char *bad[] = {"3/3", "-1/3", "1/0", "a/b", "1/3x", "", "1", "/3", " 1/3", "1/+3", "0/100001"};
    int index, count, owners;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_batch_shard_parse("0/1", &index, &count, err), XTARS_OK);
    ASSERT_EQ(index, 0);
    ASSERT_EQ(count, 1);
    ASSERT_EQ(xtars_batch_shard_parse("2/3", &index, &count, err), XTARS_OK);
    ASSERT_EQ(index, 2);
    ASSERT_EQ(count, 3);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(xtars_batch_shard_parse(bad[i], &index, &count, err), XTARS_ECONFIG);
        ASSERT_STR_CONTAINS(err, "--shard wants I/N");
    }
    ASSERT_STR_EQ(err, "batch: --shard wants I/N with 0 <= I < N <= 100000 (such as 0/4), not "
                       "'0/100001'");
    /* Round robin by position: shard 0 of 3 has positions 0, 3, 6. */
    ASSERT(xtars_batch_in_shard(0, 0, 3) && xtars_batch_in_shard(3, 0, 3) &&
           xtars_batch_in_shard(6, 0, 3));
    ASSERT(!xtars_batch_in_shard(1, 0, 3) && !xtars_batch_in_shard(2, 0, 3));
    ASSERT(xtars_batch_in_shard(5, 2, 3));
    for (int t = 0; t < 100; t++) {
        owners = 0;
        for (int s = 0; s < 7; s++)
            owners += xtars_batch_in_shard(t, s, 7);
        ASSERT_EQ(owners, 1);
    }
    ASSERT(xtars_batch_in_shard(41, 0, 1));
}

static void sample(struct xtars_batch_result *r, const char *id, const char *status, int passed)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->passed = passed;
    r->index = r->line = -1;
}

TEST(result_line_format_and_round_trip)
{
    struct xtars_batch_result r, back;
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    sample(&r, "t1", "finished", 1);
    r.index = 4;
    r.line = 6;
    r.exit_code = 0;
    r.steps = 3;
    r.duration_s = 12.34567;
    r.task = strdup("Say \"hi\"");
    r.trajectory = strdup("tasks/t1/trajectory");
    r.log = strdup("tasks/t1/log.txt");
    snprintf(r.shard, sizeof r.shard, "1/3");
    snprintf(r.started_at, sizeof r.started_at, "2025-01-02T03:04:05.006Z");
    snprintf(r.task_hash, sizeof r.task_hash, "0123456789abcdef");
    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_batch_result_format(&r, &b), XTARS_OK);
    ASSERT_STR_EQ(b.data,
                  "{\"id\": \"t1\", \"index\": 4, \"line\": 6, \"status\": \"finished\", "
                  "\"passed\": true, \"exit_code\": 0, \"steps\": 3, \"duration_s\": 12.346, "
                  "\"task\": \"Say \\\"hi\\\"\", \"trajectory\": \"tasks/t1/trajectory\", "
                  "\"report\": null, \"log\": \"tasks/t1/log.txt\", \"message\": null, "
                  "\"shard\": \"1/3\", \"started_at\": \"2025-01-02T03:04:05.006Z\", "
                  "\"ended_at\": null, \"task_hash\": \"0123456789abcdef\"}\n");
    ASSERT_EQ(xtars_batch_result_parse(b.data, b.len - 1, &back, err), XTARS_OK);
    ASSERT_STR_EQ(back.id, "t1");
    ASSERT_EQ(back.index, 4);
    ASSERT_EQ(back.line, 6);
    ASSERT_EQ(back.passed, 1);
    ASSERT_EQ(back.steps, 3);
    ASSERT_NEAR(back.duration_s, 12.346, 1e-9);
    ASSERT_STR_EQ(back.task, "Say \"hi\"");
    ASSERT(back.report == NULL && back.message == NULL);
    ASSERT_STR_EQ(back.shard, "1/3");
    ASSERT_STR_EQ(back.task_hash, "0123456789abcdef");
    ASSERT_EQ(back.ended_at[0], '\0');
    xtars_batch_result_cleanup(&back);
    ASSERT_EQ(xtars_batch_result_parse("{\"status\": \"finished\"}", 22, &back, err), XTARS_EFORMAT);
    ASSERT_STR_EQ(err, "no usable 'id'");
    ASSERT_EQ(xtars_batch_result_parse("{\"id\": \"x\"}", 11, &back, err), XTARS_EFORMAT);
    ASSERT_STR_EQ(err, "no usable 'status'");
    /* A result whose line does not fit the buffer leaves the buffer as it was. */
    xtars_buf_cleanup(&b);
    xtars_buf_init(&b, 64);
    ASSERT_EQ(xtars_buf_puts(&b, "kept"), XTARS_OK);
    ASSERT_EQ(xtars_batch_result_format(&r, &b), XTARS_ETOOBIG);
    ASSERT_STR_EQ(b.data, "kept");
    xtars_buf_cleanup(&b);
    xtars_batch_result_cleanup(&r);
}

/* results.jsonl is redacted like a trajectory: a task's instruction and a
 * message quoting a server may hold a registered secret. */
TEST(result_lines_have_secrets_redacted)
{
    struct xtars_batch_result r;
    struct xtars_buf b;

    ASSERT_EQ(xtars_log_add_secret("hunter2-batch-secret"), XTARS_OK);
    sample(&r, "t1", "error", 0);
    r.task = strdup("Log in with hunter2-batch-secret");
    r.message = strdup("model: HTTP 401: key hunter2-batch-secret refused");
    xtars_buf_init(&b, 1 << 16);
    ASSERT_EQ(xtars_batch_result_format(&r, &b), XTARS_OK);
    ASSERT(strstr(b.data, "hunter2") == NULL);
    ASSERT_STR_CONTAINS(b.data, "\"task\": \"Log in with [redacted]\"");
    ASSERT_STR_CONTAINS(b.data, "\"message\": \"model: HTTP 401: key [redacted] refused\"");
    xtars_buf_cleanup(&b);
    xtars_batch_result_cleanup(&r);
    xtars_log_cleanup();
}

TEST(final_statuses)
{
    const char *final[] = {"finished", "call_user", "max_steps", "stuck", "parse_errors", "failed",
                           "diverged"};
    const char *again[] = {"stopped", "model_error", "error", "crashed", "running", "pending", ""};

    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
        ASSERT(xtars_batch_status_final(final[i]));
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        ASSERT(!xtars_batch_status_final(again[i]));
}

TEST(results_last_line_wins_and_cut_lines_are_skipped)
{
    struct xtars_batch_results set;
    char err[XTARS_ERRLEN];
    const char *text = "{\"id\": \"t1\", \"status\": \"stopped\", \"exit_code\": 4}\n"
                       "{\"id\": \"t2\", \"status\": \"finished\", \"passed\": true}\n"
                       "\n"
                       "{\"id\": \"t1\", \"status\": \"finished\", \"passed\": true, \"steps\": 2}\n"
                       "{\"id\": \"t3\", \"stat";

    xtars_batch_results_init(&set);
    ASSERT_EQ(xtars_batch_results_parse(&set, "r.jsonl", text, strlen(text), err), XTARS_OK);
    ASSERT_EQ(set.count, 2);
    ASSERT_EQ(set.bad_lines, 1);
    ASSERT_STR_EQ(set.warning, "r.jsonl line 5: not valid JSON (cut short)");
    ASSERT_STR_EQ(xtars_batch_results_find(&set, "t1")->status, "finished");
    ASSERT_EQ(xtars_batch_results_find(&set, "t1")->steps, 2);
    ASSERT_EQ(xtars_batch_results_find(&set, "t2")->passed, 1);
    ASSERT(xtars_batch_results_find(&set, "t3") == NULL);
    xtars_batch_results_cleanup(&set);
    xtars_batch_results_cleanup(&set);
}

TEST(merge_prefers_final_then_later)
{
    struct xtars_batch_results set;
    struct xtars_batch_result r;
    int dup;

    xtars_batch_results_init(&set);
    sample(&r, "a", "finished", 1);
    ASSERT_EQ(xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_PREFER_FINAL, &dup), XTARS_OK);
    ASSERT_EQ(dup, 0);
    ASSERT_EQ(r.id[0], '\0'); /* moved in */
    sample(&r, "a", "stopped", 0);
    ASSERT_EQ(xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_PREFER_FINAL, &dup), XTARS_OK);
    ASSERT_EQ(dup, 1);
    ASSERT_STR_EQ(xtars_batch_results_find(&set, "a")->status, "finished");
    sample(&r, "b", "crashed", 0);
    xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_PREFER_FINAL, NULL);
    sample(&r, "b", "max_steps", 0);
    xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_PREFER_FINAL, NULL);
    ASSERT_STR_EQ(xtars_batch_results_find(&set, "b")->status, "max_steps");
    sample(&r, "a", "failed", 0);
    xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_PREFER_FINAL, NULL);
    ASSERT_STR_EQ(xtars_batch_results_find(&set, "a")->status, "failed");
    /* LATEST takes whatever came last. */
    sample(&r, "a", "stopped", 0);
    xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_LATEST, NULL);
    ASSERT_STR_EQ(xtars_batch_results_find(&set, "a")->status, "stopped");
    ASSERT_EQ(set.count, 2);
    xtars_batch_results_cleanup(&set);
}

TEST(many_ids_and_sorting)
{
    struct xtars_batch_results set;
    struct xtars_batch_result r;
    char id[32];

    xtars_batch_results_init(&set);
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "t%d", (i * 7919) % 3000);
        sample(&r, id, "finished", 1);
        r.index = (i * 7919) % 3000;
        ASSERT_EQ(xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_LATEST, NULL), XTARS_OK);
    }
    sample(&r, "unknown", "finished", 1);
    xtars_batch_results_put(&set, &r, XTARS_BATCH_PUT_LATEST, NULL);
    ASSERT_EQ(set.count, 3001);
    xtars_batch_results_sort(&set);
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "t%d", i);
        ASSERT_EQ(set.items[i].index, i);
        ASSERT(xtars_batch_results_find(&set, id) == &set.items[i]);
    }
    ASSERT_STR_EQ(set.items[3000].id, "unknown"); /* no position: last */
    xtars_batch_results_cleanup(&set);
}

static char *slurp(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1 << 20, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

TEST(repair_append_load)
{
    struct xtars_batch_results set;
    struct xtars_batch_result r;
    char path[600], err[XTARS_ERRLEN], *text;
    FILE *f;

    snprintf(path, sizeof path, "%s/results.jsonl", xt_tmpdir());
    ASSERT_EQ(xtars_batch_results_repair(path, err), XTARS_OK); /* missing: fine */
    xtars_batch_results_init(&set);
    ASSERT_EQ(xtars_batch_results_load(&set, path, err), XTARS_OK);
    ASSERT_EQ(set.count, 0);
    f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"id\": \"a\", \"status\": \"finished\"}\n{\"id\": \"b\", \"sta", f);
    fclose(f);
    ASSERT_EQ(xtars_batch_results_repair(path, err), XTARS_OK);
    text = slurp(path);
    ASSERT_STR_EQ(text, "{\"id\": \"a\", \"status\": \"finished\"}\n");
    free(text);
    sample(&r, "b", "max_steps", 0);
    r.exit_code = 4;
    ASSERT_EQ(xtars_batch_results_append(path, &r, err), XTARS_OK);
    ASSERT_EQ(xtars_batch_results_load(&set, path, err), XTARS_OK);
    ASSERT_EQ(set.count, 2);
    ASSERT_EQ(set.bad_lines, 0);
    ASSERT_EQ(xtars_batch_results_find(&set, "b")->exit_code, 4);
    /* A file that is one cut line becomes empty. */
    f = fopen(path, "w");
    fputs("{\"id\"", f);
    fclose(f);
    ASSERT_EQ(xtars_batch_results_repair(path, err), XTARS_OK);
    text = slurp(path);
    ASSERT_STR_EQ(text, "");
    free(text);
    xtars_batch_results_cleanup(&set);
}

static void expect_relative(const char *from, const char *to, const char *want)
{
    char out[256];

    ASSERT_EQ(xtars_path_relative(from, to, out, sizeof out), XTARS_OK);
    ASSERT_STR_EQ(out, want);
}

TEST(relative_paths)
{
    char small[4];

    expect_relative("/r/merged", "/r/shard-0/tasks/t1/report.html", "../shard-0/tasks/t1/report.html");
    expect_relative("/r", "/r/shard-0/log.txt", "shard-0/log.txt");
    expect_relative("/r/a/b", "/r/a/b", ".");
    expect_relative("/r/a/b", "/r", "../..");
    expect_relative("/", "/x/y", "x/y");
    expect_relative("/r/ab", "/r/abc/d", "../abc/d");
    expect_relative("/r//a/", "/r/a//b", "b");
    ASSERT_EQ(xtars_path_relative("r", "/x", small, sizeof small), XTARS_EINVAL);
    ASSERT_EQ(xtars_path_relative("/a/b/c", "/x", small, sizeof small), XTARS_ETOOBIG);
}

TEST(index_page_escapes_and_links)
{
    struct xtars_batch_result rows[3];
    struct xtars_buf b;

    sample(&rows[0], "t1", "finished", 1);
    rows[0].index = 0;
    rows[0].steps = 2;
    rows[0].duration_s = 1.25;
    rows[0].task = "<b>Tom & \"Jerry\"</b>";
    rows[0].report = "../shard 0/tasks/t1/trajectory/report.html";
    rows[0].log = "tasks/t1/log.txt";
    sample(&rows[1], "t2", "max_steps", 0);
    rows[1].index = 1;
    rows[1].exit_code = 4;
    rows[1].message = "reached max_steps (5) without finished()";
    sample(&rows[2], "t3", "pending", 0);
    rows[2].index = 2;
    rows[2].exit_code = -1;
    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_batch_index_html(rows, 3, "batch <out>", &b), XTARS_OK);
    ASSERT_STR_CONTAINS(b.data, "<title>batch &lt;out&gt;</title>");
    ASSERT_STR_CONTAINS(b.data, "<span>3 tasks</span><span class=\"pass\">1 passed</span>"
                                "<span class=\"fail\">1 failed</span><span class=\"again\">1 not "
                                "completed</span><span>1.2 s of task time</span>");
    ASSERT_STR_CONTAINS(b.data, "<td>&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</td>");
    ASSERT_STR_CONTAINS(b.data, "<a href=\"../shard%200/tasks/t1/trajectory/report.html\">report</a>");
    ASSERT_STR_CONTAINS(b.data, "<a href=\"tasks/t1/log.txt\">log</a>");
    ASSERT_STR_CONTAINS(b.data, "<tr data-status=\"pass\"><td class=\"num\" data-v=\"1\">1</td>"
                                "<td>t1</td><td class=\"pass\">finished</td>"
                                "<td class=\"num\" data-v=\"2\">2</td><td class=\"num\" "
                                "data-v=\"1.250\">1.2 s</td><td class=\"num\" data-v=\"0\">0</td>");
    ASSERT_STR_CONTAINS(b.data, "<tr data-status=\"fail\">");
    ASSERT_STR_CONTAINS(b.data, "<td class=\"fail\">max_steps</td>");
    ASSERT_STR_CONTAINS(b.data, "<td class=\"msg\">reached max_steps (5) without finished()</td>");
    ASSERT_STR_CONTAINS(b.data, "<tr data-status=\"wait\">");
    ASSERT_STR_CONTAINS(b.data, "<td class=\"wait\">pending</td><td class=\"num\"></td>"
                                "<td class=\"num\"></td><td class=\"num\"></td>");
    xtars_buf_cleanup(&b);
}

/* A count of needle in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The sorting script is the page's only one, allowed by its hash (checked
 * against the bytes in the page), and task text never reaches it. */
TEST(index_page_script_is_allowed_by_hash_and_text_stays_out)
{
    static const char hostile[] = "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    struct xtars_batch_result row;
    struct xtars_buf b, hash;
    const char *open_tag, *close_tag;
    char expect[200];

    sample(&row, "id</td><b>&'\"", "crashed\"><i>", 0);
    row.index = 0;
    row.task = (char *)hostile;
    row.message = (char *)hostile;
    row.report = (char *)"tasks/\"><script>x/report.html";
    xtars_buf_init(&b, 1 << 20);
    ASSERT_EQ(xtars_batch_index_html(&row, 1, hostile, &b), XTARS_OK);
    ASSERT_EQ(occurrences(b.data, "<script"), 1);
    ASSERT_EQ(occurrences(b.data, "</script"), 1);
    ASSERT_EQ(occurrences(b.data, "<style"), 1);
    ASSERT_EQ(occurrences(b.data, " style=\""), 0);
    ASSERT_EQ(occurrences(b.data, "<img"), 0);
    ASSERT_EQ(occurrences(b.data, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"
                                  "&gt;&lt;img src=x onerror=alert(2)&gt;"), 4); /* title x2, task, message */
    ASSERT_STR_CONTAINS(b.data, "<td>id&lt;/td&gt;&lt;b&gt;&amp;&#39;&quot;</td>"
                                "<td class=\"again\">crashed&quot;&gt;&lt;i&gt;</td>");
    ASSERT_STR_CONTAINS(b.data, "<a href=\"tasks/%22%3E%3Cscript%3Ex/report.html\">");
    open_tag = strstr(b.data, "<script>") + strlen("<script>");
    close_tag = strstr(open_tag, "</script>");
    ASSERT(close_tag != NULL);
    {
        char *script = strndup(open_tag, (size_t)(close_tag - open_tag));
        xtars_buf_init(&hash, 256);
        ASSERT_EQ(xtars_html_csp_hash(&hash, script), XTARS_OK);
        ASSERT(strstr(script, "alert") == NULL);
        free(script);
    }
    snprintf(expect, sizeof expect, "script-src %s; base-uri 'none'", hash.data);
    ASSERT_STR_CONTAINS(b.data, expect);
    ASSERT_STR_CONTAINS(b.data, "content=\"default-src 'none'; style-src 'sha256-");
    /* the table is whole without the script: a head and a body row */
    ASSERT_STR_CONTAINS(b.data, "<table id=\"tasks\">\n<thead><tr><th data-type=\"num\">#</th>");
    xtars_buf_cleanup(&hash);
    xtars_buf_cleanup(&b);
}
