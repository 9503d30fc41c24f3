/* `xtars batch` without a display: usage errors, bad lists caught before
 * anything runs, --merge of results written by hand, and the Kubernetes
 * entrypoint (examples/kubernetes/entrypoint.sh) under the environment a pod
 * gets, driving a stand-in for xtars. The runs themselves are in
 * tests/x11/test_batch_run.c. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "test.h"
#include "xtars/buf.h"

#define RUN(...) xt_run((const char *const[]){"@xtars", __VA_ARGS__, NULL}, NULL, NULL)
#define ENTRYPOINT XT_SOURCE_DIR "/examples/kubernetes/entrypoint.sh"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        FAIL("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1 << 22, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

/* A path in the test's scratch directory. Each call gets its own slot, so
 * paths can be kept for the whole test. */
static const char *tmp(const char *name)
{
    static char pool[128][800];
    static int used;

    if (used == 128)
        FAIL("tmp(): out of slots");
    snprintf(pool[used], sizeof pool[0], "%s/%s", xt_tmpdir(), name);
    return pool[used++];
}

static void expect_usage(const char *const *argv, const char *message)
{
    struct xt_result r = xt_run(argv, NULL, NULL);

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, message);
    xt_result_free(&r);
}

TEST(usage_errors)
{
    const char *list = tmp("l.jsonl");

    write_text(list, "{\"instruction\": \"a\"}\n");
    expect_usage((const char *const[]){"@xtars", "batch", list, NULL},
                 "xtars batch: needs --out DIR\n");
    expect_usage((const char *const[]){"@xtars", "batch", "-j", "0", "--out", "o", list, NULL},
                 "xtars batch: -j wants a number from 1 to 256, not '0'\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--jobs=x", "--out", "o", list, NULL},
                 "xtars batch: -j wants a number from 1 to 256, not 'x'\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--shard", "3/3", "--out", "o", list, NULL},
                 "xtars batch: --shard wants I/N with 0 <= I < N <= 100000 (such as 0/4), not "
                 "'3/3'\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", list, list, NULL},
                 "xtars batch: needs exactly one TASKS.jsonl\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", "--tasks", list, list, NULL},
                 "xtars batch: --tasks goes with --merge\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--merge", "--out", "o", NULL},
                 "xtars batch: --merge needs at least one RESULTS_DIR\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", "--set", "max_inflight_requests=-1",
                                       list, NULL},
                 "xtars batch: config: 'max_inflight_requests' (command line) must be between 0 and "
                 "1024\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", "--retry-faild", list, NULL},
                 "xtars batch: unknown option '--retry-faild' (did you mean '--retry-failed'?)\n");
    /* --cache and --cache-mode as `xtars task` spells and checks them */
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", "--cache-mode", "read-only", list,
                                       NULL},
                 "xtars batch: --cache-mode needs --cache DIR\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--out", "o", "--cache", "c", "--cache-mode",
                                       "sometimes", list, NULL},
                 "xtars batch: --cache-mode must be read-write, read-only or refresh, not 'sometimes'\n");
    expect_usage((const char *const[]){"@xtars", "batch", "--merge", "--out", "o", "--cache", "c", "r",
                                       NULL},
                 "xtars batch: --cache does not go with --merge\n");
}

TEST(bad_lists_and_task_files_stop_before_anything_runs)
{
    const char *list = tmp("bad.jsonl"), *out = tmp("out"), *task = tmp("t.json");
    struct xt_result r;
    struct stat st;

    write_text(list, "{\"instruction\": \"a\"}\n\n{\"instruction\": \"b\", \"scren\": \"1x1\"}\n");
    r = RUN("batch", "--out", out, list);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "bad.jsonl line 3: unknown key scren\n");
    ASSERT(stat(out, &st) != 0);
    xt_result_free(&r);
    write_text(task, "{\"name\": \"t\", \"steps\": []}");
    write_text(list, "{\"instruction\": \"a\"}\n{\"task_file\": \"t.json\"}\n");
    r = RUN("batch", "--out", out, list);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "xtars batch: line 2: task: ");
    ASSERT_STR_CONTAINS(r.err, "t.json line 1: 'steps' must be a non-empty array\n");
    xt_result_free(&r);
    /* Nothing ran: no results were recorded. */
    ASSERT(stat(tmp("out/results.jsonl"), &st) != 0);
}

/* Resumption decides from results.jsonl alone. The task here is a task file
 * that does not exist, so a task the batch decides to run stops it with a
 * usage error before anything starts, and a task it skips does not. */
static struct xt_result resume_with(const char *result_line, const char *flag)
{
    const char *dir = tmp("resume");

    mkdir(dir, 0755);
    write_text(tmp("resume/list.jsonl"), "{\"id\": \"t1\", \"task_file\": \"missing.json\"}\n");
    write_text(tmp("resume/out-results.jsonl"), result_line);
    mkdir(tmp("resume/out"), 0755);
    rename(tmp("resume/out-results.jsonl"), tmp("resume/out/results.jsonl"));
    if (flag)
        return RUN("batch", flag, "--out", tmp("resume/out"), tmp("resume/list.jsonl"));
    return RUN("batch", "--out", tmp("resume/out"), tmp("resume/list.jsonl"));
}

/* FNV-1a 64 of the list line above, computed independently (Python). */
#define LINE_HASH "0d9d9f13c169dd57"
#define PASSED_LINE "{\"id\": \"t1\", \"status\": \"finished\", \"passed\": true, \"exit_code\": 0, " \
                    "\"task_hash\": \"" LINE_HASH "\"}\n"

TEST(resumption_skips_final_results_and_reruns_the_rest)
{
    struct xt_result r;

    /* Passed, same line: skipped; the recorded result decides the exit code. */
    r = resume_with(PASSED_LINE, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 1, \"passed\": 1, \"failed\": 0, \"not_completed\": 0, "
                         "\"run\": 0, \"exit_code\": 0}\n");
    xt_result_free(&r);
    /* A final failure is skipped too, and still fails the batch ... */
    r = resume_with("{\"id\": \"t1\", \"status\": \"max_steps\", \"exit_code\": 4, "
                    "\"task_hash\": \"" LINE_HASH "\"}\n", NULL);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.out, "\"failed\": 1");
    xt_result_free(&r);
    /* ... unless --retry-failed: then it is run (and the missing file stops it). */
    r = resume_with("{\"id\": \"t1\", \"status\": \"max_steps\", \"exit_code\": 4, "
                    "\"task_hash\": \"" LINE_HASH "\"}\n", "--retry-failed");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "xtars batch: line 1: task: ");
    xt_result_free(&r);
    /* Not final: run again. */
    r = resume_with("{\"id\": \"t1\", \"status\": \"stopped\", \"exit_code\": 4, "
                    "\"task_hash\": \"" LINE_HASH "\"}\n", NULL);
    ASSERT_EQ(r.status, 2);
    xt_result_free(&r);
    /* Passed, but the line changed since: run again, with a warning. */
    r = resume_with("{\"id\": \"t1\", \"status\": \"finished\", \"passed\": true, \"exit_code\": 0, "
                    "\"task_hash\": \"0000000000000000\"}\n", NULL);
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "task 't1' (line 1) changed since its result was recorded");
    xt_result_free(&r);
    /* A cut last line (a kill mid-write) is trimmed away; the complete line
     * before it still counts. */
    r = resume_with(PASSED_LINE "{\"id\": \"t1\", \"status\": \"stopp", NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    {
        char *text = slurp(tmp("resume/out/results.jsonl"));
        ASSERT_STR_EQ(text, PASSED_LINE);
        free(text);
    }
}

/* Two shards as a batch would leave them: paths relative to each directory. */
static void make_shards(void)
{
    mkdir(tmp("r"), 0755);
    mkdir(tmp("r/shard-0"), 0755);
    mkdir(tmp("r/shard-1"), 0755);
    write_text(tmp("r/shard-0/results.jsonl"),
               "{\"id\": \"a\", \"index\": 0, \"line\": 1, \"status\": \"finished\", \"passed\": true, "
               "\"exit_code\": 0, \"steps\": 3, \"trajectory\": \"tasks/a/trajectory\", "
               "\"report\": \"tasks/a/trajectory/report.html\", \"log\": \"tasks/a/log.txt\"}\n"
               "{\"id\": \"c\", \"index\": 2, \"line\": 3, \"status\": \"stopped\", \"passed\": false, "
               "\"exit_code\": 4, \"steps\": 0}\n"
               "{\"id\": \"c\", \"index\": 2, \"line\": 3, \"status\": \"max_steps\", \"passed\": false, "
               "\"exit_code\": 4, \"steps\": 5, \"log\": \"tasks/c/log.txt\"}\n");
    write_text(tmp("r/shard-1/results.jsonl"),
               "{\"id\": \"b\", \"index\": 1, \"line\": 2, \"status\": \"finished\", \"passed\": true, "
               "\"exit_code\": 0, \"steps\": 1, \"report\": \"tasks/b/trajectory/report.html\"}\n"
               "{\"id\": \"a\", \"index\": 0, \"line\": 1, \"status\": \"crashed\", \"passed\": false, "
               "\"exit_code\": 139}\n"
               "{\"id\": \"b\", \"sta");
    write_text(tmp("list.jsonl"), "{\"id\": \"a\", \"instruction\": \"A\"}\n"
                                  "{\"id\": \"b\", \"instruction\": \"B\"}\n"
                                  "{\"id\": \"c\", \"instruction\": \"C\"}\n"
                                  "{\"id\": \"d\", \"instruction\": \"D\"}\n");
}

static cJSON *line_json(const char *text, int n)
{
    const char *p = text;

    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    ASSERT(p != NULL && *p);
    return cJSON_ParseWithLength(p, strcspn(p, "\n"));
}

static const char *field(const cJSON *o, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

TEST(merge_rebases_paths_resolves_duplicates_and_lists_missing)
{
    struct xt_result r;
    char *text;
    cJSON *o;

    make_shards();
    r = RUN("batch", "--merge", "--out", tmp("r/merged"), "--tasks", tmp("list.jsonl"),
            tmp("r/shard-0"), tmp("r/shard-1"));
    /* c did not pass and d has no result: not every task passed. */
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 4, \"passed\": 2, \"not_passed\": 1, \"missing\": 1, "
                         "\"exit_code\": 4}\n");
    ASSERT_STR_CONTAINS(r.err, "skipped 1 unreadable line: ");
    ASSERT_STR_CONTAINS(r.err, "shard-1: 1 task id already seen in an earlier directory");
    ASSERT_STR_CONTAINS(r.err, "1 task of ");
    xt_result_free(&r);
    text = slurp(tmp("r/merged/results.jsonl"));
    /* In list order; a's final result from shard-0 beats shard-1's crash. */
    o = line_json(text, 0);
    ASSERT_STR_EQ(field(o, "id"), "a");
    ASSERT_STR_EQ(field(o, "status"), "finished");
    ASSERT_STR_EQ(field(o, "trajectory"), "../shard-0/tasks/a/trajectory");
    ASSERT_STR_EQ(field(o, "report"), "../shard-0/tasks/a/trajectory/report.html");
    ASSERT_STR_EQ(field(o, "log"), "../shard-0/tasks/a/log.txt");
    cJSON_Delete(o);
    o = line_json(text, 1);
    ASSERT_STR_EQ(field(o, "id"), "b");
    ASSERT_STR_EQ(field(o, "report"), "../shard-1/tasks/b/trajectory/report.html");
    ASSERT(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "trajectory")));
    cJSON_Delete(o);
    o = line_json(text, 2);
    ASSERT_STR_EQ(field(o, "id"), "c");
    ASSERT_STR_EQ(field(o, "status"), "max_steps"); /* the last line of shard-0 */
    cJSON_Delete(o);
    /* Missing tasks are on the page, not in results.jsonl. */
    ASSERT(strstr(text, "\"d\"") == NULL);
    {
        int lines = 0;
        for (const char *c = text; *c; c++)
            lines += *c == '\n';
        ASSERT_EQ(lines, 3);
    }
    free(text);
    text = slurp(tmp("r/merged/index.html"));
    ASSERT_STR_CONTAINS(text, "<a href=\"../shard-0/tasks/a/trajectory/report.html\">report</a>");
    ASSERT_STR_CONTAINS(text, "<td>d</td><td class=\"again\">missing</td>");
    free(text);
}

TEST(merge_of_passing_shards_exits_0)
{
    struct xt_result r;

    mkdir(tmp("p"), 0755);
    write_text(tmp("p/results.jsonl"),
               "{\"id\": \"x\", \"status\": \"finished\", \"passed\": true, \"exit_code\": 0}\n");
    r = RUN("batch", "--merge", "--out", tmp("pm"), tmp("p"));
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 1, \"passed\": 1, \"not_passed\": 0, \"missing\": 0, "
                         "\"exit_code\": 0}\n");
    xt_result_free(&r);
    r = RUN("batch", "--merge", "--out", tmp("pm"), tmp("nowhere"));
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_CONTAINS(r.err, "nowhere has no readable results.jsonl\n");
    xt_result_free(&r);
}

/* ---- the entrypoint ---- */

/* A stand-in for xtars: records its arguments, prints a summary with
 * $FAKE_NOT_COMPLETED, exits $FAKE_EXIT; with FAKE_WAIT it waits for SIGTERM
 * and exits 4 like a stopped batch. */
static const char *fake_xtars(void)
{
    const char *path = tmp("fake-xtars");

    write_text(path, "#!/bin/sh\n"
                     "printf '%s\\n' \"$@\" > \"$FAKE_ARGS\"\n"
                     "if [ -n \"${FAKE_WAIT:-}\" ]; then\n"
                     "  trap 'echo \"{\\\"not_completed\\\": 2}\"; exit 4' TERM\n"
                     "  touch \"$FAKE_WAIT\"; while :; do sleep 0.05; done\n"
                     "fi\n"
                     "echo \"{\\\"tasks\\\": 3, \\\"not_completed\\\": ${FAKE_NOT_COMPLETED:-0}}\"\n"
                     "exit \"${FAKE_EXIT:-0}\"\n");
    chmod(path, 0755);
    return path;
}

static struct xt_result entrypoint(const char *index, const char *fake_exit,
                                   const char *not_completed, const char *strict)
{
    static char env[10][700];
    const char *envp[11];
    int n = 0;

    write_text(tmp("tasks.jsonl"), "{\"instruction\": \"a\"}\n");
    snprintf(env[n++], sizeof env[0], "JOB_COMPLETION_INDEX=%s", index);
    snprintf(env[n++], sizeof env[0], "XTARS_SHARD_COUNT=3");
    snprintf(env[n++], sizeof env[0], "XTARS_TASKS=%s", tmp("tasks.jsonl"));
    snprintf(env[n++], sizeof env[0], "XTARS_RESULTS=%s", tmp("results"));
    snprintf(env[n++], sizeof env[0], "XTARS_BIN=%s", fake_xtars());
    snprintf(env[n++], sizeof env[0], "XTARS_BATCH_ARGS=--retry-failed --quiet");
    snprintf(env[n++], sizeof env[0], "FAKE_ARGS=%s", tmp("args"));
    snprintf(env[n++], sizeof env[0], "FAKE_EXIT=%s", fake_exit);
    snprintf(env[n++], sizeof env[0], "FAKE_NOT_COMPLETED=%s", not_completed);
    snprintf(env[n++], sizeof env[0], "XTARS_STRICT=%s", strict);
    for (int i = 0; i < n; i++)
        envp[i] = env[i];
    envp[n] = NULL;
    return xt_run((const char *const[]){"/bin/sh", ENTRYPOINT, NULL}, envp, NULL);
}

TEST(entrypoint_runs_the_pods_shard)
{
    struct xt_result r = entrypoint("1", "0", "0", "0");
    char *args, want[2000];

    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 3, \"not_completed\": 0}\n");
    ASSERT_STR_CONTAINS(r.err, "xtars-entrypoint: shard 1/3 of ");
    xt_result_free(&r);
    args = slurp(tmp("args"));
    snprintf(want, sizeof want, "batch\n--shard\n1/3\n-j\n2\n--out\n%s/shard-1\n--retry-failed\n"
             "--quiet\n%s\n", tmp("results"), tmp("tasks.jsonl"));
    ASSERT_STR_EQ(args, want);
    free(args);
}

TEST(entrypoint_exit_codes)
{
    struct xt_result r;

    /* Tasks that failed on their merits: recorded, the pod succeeds ... */
    r = entrypoint("0", "4", "0", "0");
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.err, "some tasks did not pass");
    xt_result_free(&r);
    /* ... unless XTARS_STRICT=1. */
    r = entrypoint("0", "4", "0", "1");
    ASSERT_EQ(r.status, 4);
    xt_result_free(&r);
    /* Tasks that did not complete: fail, so Kubernetes retries (and resumes). */
    r = entrypoint("0", "4", "2", "0");
    ASSERT_EQ(r.status, 1);
    ASSERT_STR_CONTAINS(r.err, "2 tasks did not complete");
    xt_result_free(&r);
    r = entrypoint("0", "3", "0", "0");
    ASSERT_EQ(r.status, 3);
    xt_result_free(&r);
    r = entrypoint("0", "2", "0", "0");
    ASSERT_EQ(r.status, 2);
    xt_result_free(&r);
}

TEST(entrypoint_refuses_a_bad_environment)
{
    struct xt_result r = entrypoint("", "0", "0", "0");

    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars-entrypoint: JOB_COMPLETION_INDEX must be a number, not '' (run me "
                         "in an Indexed Job)\n");
    xt_result_free(&r);
    r = entrypoint("3", "0", "0", "0");
    ASSERT_EQ(r.status, 2);
    ASSERT_STR_EQ(r.err, "xtars-entrypoint: JOB_COMPLETION_INDEX 3 is not below XTARS_SHARD_COUNT 3\n");
    xt_result_free(&r);
    r = entrypoint("1x", "0", "0", "0");
    ASSERT_EQ(r.status, 2);
    xt_result_free(&r);
}

TEST(entrypoint_passes_sigterm_on_and_fails_the_pod)
{
    const char *started = tmp("started");
    char index_env[64], bin_env[700], args_env[700], wait_env[700], tasks_env[700], results_env[700];
    int status;
    pid_t pid;

    write_text(tmp("tasks.jsonl"), "{\"instruction\": \"a\"}\n");
    snprintf(index_env, sizeof index_env, "JOB_COMPLETION_INDEX=0");
    snprintf(bin_env, sizeof bin_env, "XTARS_BIN=%s", fake_xtars());
    snprintf(args_env, sizeof args_env, "FAKE_ARGS=%s", tmp("args"));
    snprintf(wait_env, sizeof wait_env, "FAKE_WAIT=%s", started);
    snprintf(tasks_env, sizeof tasks_env, "XTARS_TASKS=%s", tmp("tasks.jsonl"));
    snprintf(results_env, sizeof results_env, "XTARS_RESULTS=%s", tmp("results"));
    pid = fork();
    if (pid == 0) {
        putenv(index_env);
        putenv(bin_env);
        putenv(args_env);
        putenv(wait_env);
        putenv(tasks_env);
        putenv(results_env);
        putenv("XTARS_SHARD_COUNT=1");
        execl("/bin/sh", "sh", ENTRYPOINT, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && access(started, F_OK) != 0; i++)
        usleep(25000);
    ASSERT_EQ(access(started, F_OK), 0);
    kill(pid, SIGTERM);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    /* Exit 4 from a stopped batch must not read as "done": 143 fails the pod. */
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 143);
}

/* The value after `key` in text (at most size-1 characters, up to a space,
 * quote, comma, brace or line end), or FAIL. */
static void value_after(const char *text, const char *key, char *out, size_t size)
{
    const char *p = text ? strstr(text, key) : NULL;
    size_t n = 0;

    if (p == NULL)
        FAIL("no '%s'", key);
    for (p += strlen(key); *p == ' ' || *p == '"'; p++)
        ;
    while (p[n] && !strchr(" \"\n,}", p[n]) && n + 1 < size)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* The quick, always-run half of the agreement between the manifests, the
 * Dockerfile and the entrypoint; examples/kubernetes/test-image.sh checks the
 * rest against the Kubernetes schema and the built image. */
TEST(manifest_agrees_with_the_entrypoint_and_the_image)
{
    char *job = slurp(XT_SOURCE_DIR "/examples/kubernetes/job.yaml");
    char *merge = slurp(XT_SOURCE_DIR "/examples/kubernetes/merge-job.yaml");
    char *docker = slurp(XT_SOURCE_DIR "/examples/kubernetes/Dockerfile");
    char *entry = slurp(ENTRYPOINT);
    char user[32], fs_group[32], tasks[200], results[200], expect[512];
    const char *p;
    int completions = -1, shards = -1;

    ASSERT_STR_CONTAINS(job, "completionMode: Indexed");
    ASSERT_STR_CONTAINS(job, "restartPolicy: Never");
    p = strstr(job, "completions: ");
    ASSERT(p && sscanf(p, "completions: %d", &completions) == 1);
    p = strstr(job, "name: XTARS_SHARD_COUNT");
    ASSERT(p && (p = strstr(p, "value: \"")) && sscanf(p, "value: \"%d", &shards) == 1);
    ASSERT_EQ(shards, completions);
    ASSERT_STR_CONTAINS(job, "onExitCodes:");
    /* Two stages from the same base; the last one runs the entrypoint as a
     * non-root user, the user the volumes are given to. */
    ASSERT_STR_CONTAINS(docker, "FROM debian:12 AS build");
    ASSERT_STR_CONTAINS(docker, "\nFROM debian:12\n");
    ASSERT(strstr(docker, "RUN make deps") == NULL);
    ASSERT_STR_CONTAINS(docker, "examples/kubernetes/entrypoint.sh /stage/usr/local/bin/xtars-entrypoint");
    ASSERT_STR_CONTAINS(docker, "\"/usr/local/bin/xtars-entrypoint\"]");
    value_after(docker, "\nUSER ", user, sizeof user);
    ASSERT(strcmp(user, "0") != 0 && strcmp(user, "root") != 0);
    snprintf(expect, sizeof expect, "--uid %s ", user);
    ASSERT_STR_CONTAINS(docker, expect);
    value_after(job, "fsGroup:", fs_group, sizeof fs_group);
    ASSERT_STR_EQ(fs_group, user);
    value_after(merge, "fsGroup:", fs_group, sizeof fs_group);
    ASSERT_STR_EQ(fs_group, user);
    /* The paths: the entrypoint reads these variables, the pods write
     * RESULTS/shard-I, the merge reads them and the same list. */
    ASSERT_STR_CONTAINS(entry, "${XTARS_TASKS:-");
    ASSERT_STR_CONTAINS(entry, "${XTARS_RESULTS:-");
    ASSERT_STR_CONTAINS(entry, "out=\"$results/shard-$index\"");
    value_after(strstr(job, "name: XTARS_TASKS"), "value:", tasks, sizeof tasks);
    value_after(strstr(job, "name: XTARS_RESULTS"), "value:", results, sizeof results);
    snprintf(expect, sizeof expect, "mountPath: %s}", results);
    ASSERT_STR_CONTAINS(job, expect);
    ASSERT_STR_CONTAINS(merge, expect);
    snprintf(expect, sizeof expect, "--tasks %s %s/shard-*", tasks, results);
    ASSERT_STR_CONTAINS(merge, expect);
    snprintf(expect, sizeof expect, "--out %s/merged", results);
    ASSERT_STR_CONTAINS(merge, expect);
    free(job);
    free(merge);
    free(docker);
    free(entry);
}
