/* cmd_task.c: `xtars task FILE.json...`: run scripted desktop tasks (docs/
 * tasks.md), each on a fresh private Xvfb, each recorded as one trajectory
 * with a report, with a pass/fail line per step. Exit 0 only if every step
 * of every task passed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/base/files.h"
#include "agent/cli/cli_session.h"
#include "xtars/agent.h"
#include "xtars/buf.h"
#include "agent/base/clock.h"
#include "agent/base/json.h"
#include "agent/base/spawn.h"
#include "xtars/log.h"
#include "agent/record/report.h"
#include "agent/run/junit.h"
#include "agent/run/launch.h"
#include "agent/run/task.h"
#include "agent/run/task_cache.h"
#include "agent/run/task_judge.h"
#include "xtars/trajectory.h"

enum { OPT_XVFB = 1, OPT_DISPLAY, OPT_OUT, OPT_DRY_RUN, OPT_QUIET, OPT_NO_REPORT, OPT_ENDPOINT,
       OPT_MODEL, OPT_FAMILY, OPT_JUNIT, OPT_SEED, OPT_CACHE, OPT_CACHE_MODE };

#define CHECK_OUTPUT_MAX 4096 /* the tail of a check's output kept for the log and JUnit */

static int run_task(int argc, char **argv);

const struct cli_command cli_cmd_task = {
    .name = "task",
    .summary = "run scripted desktop tasks from task files",
    .usage =
        "Usage: xtars task [options] FILE.json [FILE.json ...]\n\n"
        "Runs each task file (docs/tasks.md) on a fresh private Xvfb: its setup (apps to\n"
        "launch, files to create), then its steps in order (agent instructions, literal\n"
        "actions, waits, shell checks). Records one trajectory per task with a report and\n"
        "prints PASS/FAIL per step. Exit 0 only when every step of every task passed;\n"
        "4 when a step failed, 3 when the model endpoint failed.\n\n"
        "  --xvfb WxH           screen size (default: the file's \"screen\", else 1280x800)\n"
        "  --display D          use this display instead of a private Xvfb\n"
        "  --out DIR            put trajectories under DIR (default config out_dir)\n"
        "  --endpoint URL       model API base URL\n"
        "  --model NAME         model name\n"
        "  --family F           uitars-1.5, uitars-1.0, doubao or pixels\n"
        "  --seed N             sampling seed sent with every model request\n"
        "  --cache DIR          replay each step from DIR while the screen still matches;\n"
        "                       the model takes over where it does not (docs/tasks.md)\n"
        "  --cache-mode M       read-write (default), read-only (never update the cache)\n"
        "                       or refresh (ignore it, record it anew)\n"
        "  --dry-run            perform no input events\n"
        "  --quiet              no per-step agent progress\n"
        "  --no-report          do not write report.html\n"
        "  --junit FILE         also write JUnit XML for CI: a testsuite per task file, a\n"
        "                       testcase per step (docs/tasks.md)\n\n" CLI_COMMON_USAGE
        "\nEvery task file is checked before any runs: one bad file (its line and key are\n"
        "named) exits 2 and nothing runs.\n",
    .run = run_task,
};

struct task_args {
    const char *xvfb, *display, *out, *junit, *cache;
    int cache_mode;
    struct cli_flags flags;
    int dry_run, quiet, no_report;
};

/* An unlinked temporary file for a check's stdout and stderr; -1 if none. */
static int output_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    snprintf(path, sizeof path, "%s/xtars-check-XXXXXX", dir && dir[0] ? dir : "/tmp");
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* The last CHECK_OUTPUT_MAX bytes written to fd, redacted; NULL if none. */
static char *output_tail(int fd)
{
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    off_t from = size > CHECK_OUTPUT_MAX ? size - CHECK_OUTPUT_MAX : 0;
    char text[CHECK_OUTPUT_MAX + 1];
    ssize_t n;

    if (size <= 0 || (n = pread(fd, text, (size_t)(size - from), from)) <= 0)
        return NULL;
    text[n] = '\0';
    return xtars_log_redact(text);
}

/* Runs a shell check in cwd with a timeout; 1 = passed. Its stdout and
 * stderr go to *output (a tail, for the log and JUnit); it runs in its own
 * process group, stopped as a whole. */
static int run_check(const char *command, const char *cwd, const char *display, int timeout_ms,
                     char *why, size_t why_size, char **output, int *exit_status)
{
    double deadline = (xtars_clock_ms() / 1000.0) + timeout_ms / 1000.0;
    int fd = output_file(), status = 0, ok = 0;

    *exit_status = -1;
    const struct xtars_spawn_stdio stdio[3] = {
        {XTARS_SPAWN_DEVNULL, NULL, -1},
        {fd >= 0 ? XTARS_SPAWN_FD : XTARS_SPAWN_INHERIT, NULL, fd},
        {fd >= 0 ? XTARS_SPAWN_FD : XTARS_SPAWN_INHERIT, NULL, fd}};
    char err[XTARS_ERRLEN];
    pid_t pid;

    if (xtars_launch_shell(command, display, cwd, stdio, 0, &pid, err) != XTARS_OK) {
        snprintf(why, why_size, "cannot start: %s", err);
        goto out;
    }
    while (xtars_spawn_wait(pid, 10, &status) == 0) {
        if ((xtars_clock_ms() / 1000.0) > deadline || cli_signals_pending()) {
            xtars_spawn_stop(pid, 1, 0, &status);
            snprintf(why, why_size, cli_signals_pending() ? "interrupted" : "timed out after %d ms",
                     timeout_ms);
            goto out;
        }
    }
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!ok)
        snprintf(why, why_size, "exit status %d", xtars_spawn_exit_code(status));
out:
    *output = output_tail(fd);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Creates the task's setup files in its work directory. */
static int create_files(const struct xtars_task *task, const char *workdir, char *err)
{
    for (int i = 0; i < task->setup_count; i++) {
        char path[8192];
        if (task->setup[i].file == NULL)
            continue;
        if (task->setup[i].file[0] == '/')
            snprintf(path, sizeof path, "%s", task->setup[i].file);
        else
            snprintf(path, sizeof path, "%s/%s", workdir, task->setup[i].file);
        if (xtars_write_file_atomic(path, task->setup[i].content, strlen(task->setup[i].content),
                                    err) != XTARS_OK)
            return -1;
    }
    return 0;
}

/* What one step did, for the PASS/FAIL line and JUnit. */
struct step_outcome {
    int ran, ok;
    double seconds;
    char detail[1024];
    char *output;  /* a check's output tail, or NULL */
};

struct task_run {
    const struct xtars_task *task;
    struct step_outcome *outcomes;          /* one per step */
    struct cli_progress_options *progress;
    struct xtars_agent *agent;
    char dir[4096], workdir[4200];
    const char *display;
    struct xtars_judge *judge;     /* assert, query, wait_until; the ${variables} */
    struct xtars_task_cache *cache; /* --cache, or NULL */
    enum xtars_run_status status;  /* FINISHED when every step passed */
    char message[1100];
    int passed, failed, skipped;
};

/* "check test -f out.txt", "wait 300 ms", "instruction Fill the form", or
 * the kind and the step's name: what the PASS/FAIL line and JUnit call it. */
static void step_label(const struct xtars_task_step *s, char *out, size_t size)
{
    char shown[72]; /* redacted before the cut: no part of a secret shows */

    if (s->name == NULL && s->kind == XTARS_TASK_WAIT)
        snprintf(shown, sizeof shown, "%d ms", s->ms);
    else
        xtars_log_redact_copy(shown, sizeof shown, s->name ? s->name : s->text);
    snprintf(out, size, "%s %.70s%s", xtars_task_step_kind_name(s->kind), shown,
             strlen(shown) > 70 ? "..." : "");
}

static void print_step(const struct task_run *tr, int index)
{
    const struct xtars_task_step *s = &tr->task->steps[index];
    const struct step_outcome *o = &tr->outcomes[index];
    /* An unnamed wait's label is its duration already. */
    const char *detail = s->kind == XTARS_TASK_WAIT && s->name == NULL && o->ok ? "" : o->detail;
    char label[96];

    step_label(s, label, sizeof label);
    xtars_log_info("  [%d/%d] %s %s%s%s", index + 1, tr->task->step_count, o->ok ? "PASS" : "FAIL",
                   label, detail[0] ? ": " : "", detail);
    /* A failed check's output is shown (line by line: the log keeps one
     * line per message); a passing one's only at debug level. */
    for (const char *line = o->output; line && *line;) {
        size_t len = strcspn(line, "\n");
        if (o->ok)
            xtars_log_debug("    | %.*s", (int)len, line);
        else
            xtars_log_info("    | %.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

/* An assert, query or wait_until step (agent/run/task_judge.c). */
static int run_question(struct task_run *tr, int index, const char *text, char *detail, size_t size)
{
    struct xtars_judge_outcome out;
    char err[XTARS_ERRLEN];

    if (xtars_judge_run_step(tr->judge, tr->agent, tr->cache, &tr->task->steps[index], index, text,
                             &out, err) != XTARS_OK) {
        snprintf(detail, size, "%s", err);
        tr->status = XTARS_RUN_ERROR;
        return 0;
    }
    xtars_log_redact_copy(detail, size, out.detail);
    if (!out.passed)
        tr->status = out.status;
    return out.passed;
}

/* Runs one step; returns 1 if it passed. Sets tr->status on failure. */
static int run_step(struct task_run *tr, int index, const char *text, char *detail, size_t size)
{
    const struct xtars_task_step *s = &tr->task->steps[index];
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN], shown[301], note[400] = "", key[XTARS_TASK_CACHE_KEY_LEN];
    int family = XTARS_FAMILY_PIXELS, ok;
    xtars_err rc;

    detail[0] = '\0';
    switch (s->kind) {
    case XTARS_TASK_INSTRUCTION:
        tr->progress->first_step = 0; /* "step N/max" counts this instruction's steps */
        if (tr->cache)
            xtars_task_cache_key(tr->cache, index, "instruction", text, key);
        rc = tr->cache ? xtars_task_cache_instruction(tr->cache, tr->agent, key, text,
                                                      s->max_steps, &res, note, sizeof note, err)
                       : xtars_agent_run(tr->agent, text, s->max_steps, &res, err);
        if (rc != XTARS_OK) {
            res.status = XTARS_RUN_ERROR;
            snprintf(res.message, sizeof res.message, "%s", err);
        }
        xtars_log_redact_copy(shown, sizeof shown, res.message); /* redacted, then cut */
        snprintf(detail, size, "%s after %d step%s%s%s%s%s", xtars_run_status_name(res.status),
                 res.steps, res.steps == 1 ? "" : "s", res.message[0] ? ": " : "", shown,
                 note[0] ? "; " : "", note);
        if (res.status != XTARS_RUN_FINISHED)
            tr->status = res.status == XTARS_RUN_MODEL_ERROR || res.status == XTARS_RUN_STOPPED ||
                                 res.status == XTARS_RUN_ERROR
                             ? res.status
                             : XTARS_RUN_FAILED;
        return res.status == XTARS_RUN_FINISHED;
    case XTARS_TASK_ACTION:
        if (s->family && xtars_family_from_name(s->family, &family) != XTARS_OK) {
            snprintf(detail, size, "unknown family '%.40s'", s->family);
            tr->status = XTARS_RUN_FAILED;
            return 0;
        }
        if (xtars_agent_act(tr->agent, text, family, &res, err) != XTARS_OK) {
            snprintf(detail, size, "%s", err);
            tr->status = XTARS_RUN_ERROR;
            return 0;
        }
        if (res.status != XTARS_RUN_FINISHED) {
            xtars_log_redact_copy(detail, size < 401 ? size : 401, res.message);
            tr->status = XTARS_RUN_FAILED;
        }
        return res.status == XTARS_RUN_FINISHED;
    case XTARS_TASK_WAIT:
        for (int waited = 0; waited < s->ms && !cli_signals_pending(); waited += 10)
            usleep(10000);
        snprintf(detail, size, "%d ms", s->ms);
        xtars_agent_record_note(tr->agent, "wait", detail, 1, err);
        return !cli_signals_pending();
    case XTARS_TASK_CHECK: {
        struct xtars_agent_check check = {.command = text};
        ok = run_check(text, tr->workdir, tr->display, s->ms, detail, size,
                       &tr->outcomes[index].output, &check.exit_status);
        check.passed = ok, check.error = ok ? NULL : detail;
        check.output = tr->outcomes[index].output;
        if (xtars_agent_record_check(tr->agent, &check, err) != XTARS_OK)
            snprintf(detail, size, "%s", err), ok = 0;
        if (!ok)
            tr->status = XTARS_RUN_FAILED;
        return ok;
    case XTARS_TASK_ASSERT:
    case XTARS_TASK_QUERY:
    case XTARS_TASK_WAIT_UNTIL:
        return run_question(tr, index, text, detail, size);
    }
    }
    return 0;
}

/* ${name} in the step's text becomes a query's answer (task_judge.h),
 * quoted for where it goes; then the step runs on the expanded copy. */
static int expand_and_run(struct task_run *tr, int index, char *detail, size_t size)
{
    const struct xtars_task_step *s = &tr->task->steps[index];
    enum xtars_judge_quoting quoting = s->kind == XTARS_TASK_CHECK    ? XTARS_QUOTE_SHELL
                                       : s->kind == XTARS_TASK_ACTION ? XTARS_QUOTE_CALL
                                                                      : XTARS_QUOTE_NONE;
    char err[XTARS_ERRLEN], *expanded = NULL;
    int ok;

    if (s->text && xtars_judge_expand(tr->judge, s->text, quoting, &expanded, err) != XTARS_OK) {
        snprintf(detail, size, "%s", err);
        tr->status = XTARS_RUN_FAILED;
        return 0;
    }
    ok = run_step(tr, index, expanded, detail, size);
    free(expanded);
    return ok;
}

static void run_steps(struct task_run *tr)
{
    int i;

    tr->status = XTARS_RUN_FINISHED;
    for (i = 0; i < tr->task->step_count; i++) {
        struct step_outcome *o = &tr->outcomes[i];
        double t0 = xtars_clock_ms();
        o->ok = expand_and_run(tr, i, o->detail, sizeof o->detail);
        o->ran = 1;
        o->seconds = (xtars_clock_ms() - t0) / 1000.0;
        if (cli_signals_pending() && tr->status == XTARS_RUN_FINISHED && !o->ok)
            tr->status = XTARS_RUN_STOPPED;
        print_step(tr, i);
        if (!o->ok) {
            tr->failed++;
            snprintf(tr->message, sizeof tr->message, "step %d (%s) failed: %.1000s", i + 1,
                     xtars_task_step_kind_name(tr->task->steps[i].kind), o->detail);
            break;
        }
        tr->passed++;
    }
    tr->skipped = tr->task->step_count - tr->passed - tr->failed;
    if (tr->status == XTARS_RUN_FINISHED)
        snprintf(tr->message, sizeof tr->message, "all %d steps passed", tr->passed);
}

static void task_dir(const struct xtars_task *task, const char *base, char *out, size_t size)
{
    char slug[64], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t j = 0;

    for (const char *p = task->name; *p && j < sizeof slug - 1; p++) {
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (keep || (j > 0 && slug[j - 1] != '-'))
            slug[j++] = keep ? c : '-';
    }
    while (j > 0 && slug[j - 1] == '-')
        j--;
    slug[j] = '\0';
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, size, "%s/%s-%s-%ld", base, j ? slug : "task", stamp, (long)getpid());
}

/* Setup: Xvfb (unless --display), files, launched apps (their output in
 * launch-N.log beside the trajectory). An app that fails to start is not an
 * error here: it is kept in failure, recorded as the task's outcome. */
static int start_task(struct task_run *tr, const struct task_args *a, struct xtars_config *cfg,
                      struct cli_session *session, char *failure)
{
    const struct xtars_task *t = tr->task;
    struct cli_app apps[CLI_MAX_LAUNCH];
    char size[32], err[XTARS_ERRLEN];
    int rc, count = 0;

    failure[0] = '\0';
    if (xtars_mkdir_p(tr->workdir, err) != XTARS_OK)
        return cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err);
    snprintf(size, sizeof size, "%dx%d", t->width ? t->width : 1280, t->height ? t->height : 800);
    rc = cli_session_start(&cli_cmd_task, a->display ? NULL : a->xvfb ? a->xvfb : size, NULL, 0,
                           cfg, session);
    if (rc != CLI_EXIT_OK)
        return rc;
    tr->display = cfg->display[0] ? cfg->display : getenv("DISPLAY");
    if (create_files(t, tr->workdir, err) != 0)
        return cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err);
    for (int i = 0; i < t->setup_count; i++) {
        if (t->setup[i].launch == NULL)
            continue;
        if (count == CLI_MAX_LAUNCH)
            return cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "%s: more than %d apps to launch",
                            t->path, CLI_MAX_LAUNCH);
        apps[count++] = (struct cli_app){t->setup[i].launch, t->setup[i].wait_for};
    }
    if (count && cli_session_launch(session, apps, count, tr->display, tr->workdir, tr->dir, err) !=
                     XTARS_OK)
        snprintf(failure, XTARS_ERRLEN, "setup: %.480s", err);
    return CLI_EXIT_OK;
}

/* The setup failed (an app exited with an error before the first step):
 * the task fails without running a step, and says why. */
static void setup_failed(struct task_run *tr, const char *failure)
{
    xtars_log_error("  %s", failure);
    tr->status = XTARS_RUN_ERROR;
    tr->skipped = tr->task->step_count;
    snprintf(tr->message, sizeof tr->message, "%.1000s", failure);
}

/* The machine-readable outcome of one task, one JSON line on stdout. */
static void print_json_line(const struct xtars_task *task, const char *file,
                            const struct task_run *tr, int rc, int no_report)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 16);
    xtars_buf_puts(&b, "{\"task\": ");
    xtars_json_put_string(&b, task->name);
    xtars_buf_puts(&b, ", \"file\": ");
    xtars_json_put_string(&b, file);
    xtars_buf_printf(&b, ", \"passed\": %s, \"steps_passed\": %d, \"steps_failed\": %d, "
                        "\"steps_skipped\": %d, \"exit_code\": %d, \"trajectory\": ",
                     rc == 0 ? "true" : "false", tr->passed, tr->failed, tr->skipped, rc);
    xtars_json_put_string(&b, tr->dir);
    xtars_buf_puts(&b, ", \"report\": ");
    if (no_report) {
        xtars_buf_puts(&b, "null");
    } else {
        char path[4200];
        snprintf(path, sizeof path, "%s/report.html", tr->dir);
        xtars_json_put_string(&b, path);
    }
    xtars_buf_puts(&b, "}\n");
    fputs(b.data, stdout);
    xtars_buf_cleanup(&b);
}

/* A passing task updates its cache (--cache); a failed update is a
 * warning: the task itself passed. */
static void commit_cache(struct task_run *tr)
{
    char err[XTARS_ERRLEN];
    int written = 0;

    if (tr->cache == NULL || tr->status != XTARS_RUN_FINISHED)
        return;
    if (xtars_task_cache_commit(tr->cache, tr->dir, &written, err) != XTARS_OK)
        xtars_log_warn("cache: %s", err);
    else if (written)
        xtars_log_info("  cache: %d entr%s written", written, written == 1 ? "y" : "ies");
}

/* The task's testsuite: a testcase per step; steps after a failure are
 * skipped, a setup that failed is the one errored case. */
static xtars_err junit_task(struct xtars_junit *j, const struct task_run *tr, int setup_rc,
                            const char *report)
{
    const struct xtars_task *t = tr->task;
    xtars_err rc = xtars_junit_suite(j, t->name, t->path, tr->dir);
    char label[96], name[128], why[64];

    if (rc == XTARS_OK && setup_rc != CLI_EXIT_OK)
        return xtars_junit_case(j, &(struct xtars_junit_case){
            .name = "setup", .file = t->path, .outcome = XTARS_JUNIT_ERROR, .type = "setup",
            .message = cli_last_error(), .trajectory = tr->dir});
    snprintf(why, sizeof why, "not run: step %d did not pass", tr->passed + 1);
    for (int i = 0; rc == XTARS_OK && i < t->step_count; i++) {
        const struct step_outcome *o = &tr->outcomes[i];
        int broken = tr->status == XTARS_RUN_ERROR || tr->status == XTARS_RUN_MODEL_ERROR ||
                     tr->status == XTARS_RUN_STOPPED;
        step_label(&t->steps[i], label, sizeof label);
        snprintf(name, sizeof name, "%d. %s", i + 1, label);
        rc = xtars_junit_case(j, &(struct xtars_junit_case){
            .name = name, .file = t->path, .time_s = o->seconds, .trajectory = tr->dir,
            .outcome = !o->ran ? XTARS_JUNIT_SKIPPED : o->ok ? XTARS_JUNIT_PASSED
                       : broken ? XTARS_JUNIT_ERROR : XTARS_JUNIT_FAILED,
            .type = xtars_task_step_kind_name(t->steps[i].kind),
            .message = o->ran ? o->detail : why, .output = o->output,
            .attachment = o->ran && !o->ok ? report : NULL});
    }
    return rc;
}

/* Runs one loaded task file; returns its exit code and prints its JSON line
 * (and adds its testsuite to junit when there is one). */
static int run_one(const struct xtars_task *loaded, const struct task_args *a,
                   const struct xtars_config *base, struct xtars_junit *junit)
{
    const struct xtars_task task = *loaded;
    const char *file = loaded->path;
    struct task_run tr;
    struct xtars_config cfg = *base;
    struct cli_session session = {0};
    struct cli_progress_options progress = {a->quiet, &session, 0};
    struct xtars_agent_options opts;
    char err[XTARS_ERRLEN], failure[XTARS_ERRLEN], report[4200] = "";
    int rc, setup_rc;

    memset(&tr, 0, sizeof tr);
    tr.task = &task;
    tr.progress = &progress;
    if ((tr.outcomes = calloc((size_t)task.step_count, sizeof tr.outcomes[0])) == NULL)
        return cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "out of memory");
    task_dir(&task, a->out ? a->out : cfg.out_dir, tr.dir, sizeof tr.dir);
    snprintf(tr.workdir, sizeof tr.workdir, "%s/work", tr.dir);
    xtars_log_info("task %s (%s)", task.name, file);
    rc = start_task(&tr, a, &cfg, &session, failure);
    memset(&opts, 0, sizeof opts);
    opts.out_dir = tr.dir;
    opts.source = "task";
    opts.title = task.name;
    opts.dry_run = a->dry_run;
    opts.startup_wait_ms = session.launch_count && !failure[0] ? 5000 : 0;
    opts.on_step = cli_progress;
    opts.confirm = cli_confirm;
    opts.step_note = cli_step_note;
    opts.user = &progress;
    if (rc == CLI_EXIT_OK && xtars_agent_new(&cfg, &opts, &tr.agent, err) != XTARS_OK)
        rc = cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err);
    if (rc == CLI_EXIT_OK && (xtars_judge_new(&cfg, &tr.judge, err) != XTARS_OK ||
                              (a->cache && xtars_task_cache_open(a->cache, a->cache_mode, 0, task.name,
                                                                 &tr.cache, err) != XTARS_OK)))
        rc = cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err);
    setup_rc = rc;
    if (rc == CLI_EXIT_OK) {
        cli_signals_target(tr.agent);
        if (!failure[0] && cli_session_check(&session, err) != XTARS_OK)
            snprintf(failure, sizeof failure, "setup: %.480s", err);
        if (failure[0])
            setup_failed(&tr, failure);
        else
            run_steps(&tr);
        cli_signals_target(NULL);
        commit_cache(&tr);
        xtars_agent_finish(tr.agent, tr.status, tr.message);
        xtars_agent_free(tr.agent);
        rc = xtars_run_status_exit_code(tr.status);
        if (!a->no_report && xtars_report_write(tr.dir, NULL, NULL, err) != XTARS_OK)
            xtars_log_warn("report: %s", err);
        else if (!a->no_report)
            snprintf(report, sizeof report, "%s/report.html", tr.dir);
        xtars_log_info("%s %s: %d passed, %d failed, %d skipped; trajectory %s",
                       rc == 0 ? "PASS" : "FAIL", task.name, tr.passed, tr.failed, tr.skipped, tr.dir);
        print_json_line(&task, file, &tr, rc, a->no_report);
        fflush(stdout);
    }
    cli_session_stop(&session);
    if (junit && junit_task(junit, &tr, setup_rc, report[0] ? report : NULL) != XTARS_OK)
        xtars_log_warn("junit: out of memory: %s is incomplete", a->junit);
    for (int i = 0; i < task.step_count; i++)
        free(tr.outcomes[i].output);
    free(tr.outcomes);
    xtars_judge_free(tr.judge);
    xtars_task_cache_free(tr.cache);
    return rc;
}

/* Loads every task file before any runs, as batch checks its list first: a
 * typo in the last file must not cost the model calls of the first. Every
 * bad file is told; returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int load_all(char **files, int count, struct xtars_task *tasks, struct xtars_junit *junit)
{
    char err[XTARS_ERRLEN];
    int bad = 0;

    for (int i = 0; i < count; i++) {
        xtars_err rc = xtars_task_load(files[i], &tasks[i], err);
        if (rc == XTARS_ENOMEM)
            return cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err);
        if (rc != XTARS_OK) { /* unreadable, missing or invalid: the argument is wrong */
            bad++;
            cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "%s", err);
            if (junit && (xtars_junit_suite(junit, files[i], files[i], NULL) != XTARS_OK ||
                          xtars_junit_case(junit, &(struct xtars_junit_case){
                              .name = "load", .file = files[i], .outcome = XTARS_JUNIT_ERROR,
                              .type = "task file", .message = cli_last_error()}) != XTARS_OK))
                xtars_log_warn("junit: out of memory");
        }
    }
    if (bad && count > 1)
        cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "%d of %d task files are not valid; nothing was run",
                 bad, count);
    return bad ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct cli_common *common, struct task_args *a)
{
    static const struct option longopts[] = {
        {"xvfb", required_argument, NULL, OPT_XVFB},
        {"display", required_argument, NULL, OPT_DISPLAY},
        {"out", required_argument, NULL, OPT_OUT},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"no-report", no_argument, NULL, OPT_NO_REPORT},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"model", required_argument, NULL, OPT_MODEL},
        {"family", required_argument, NULL, OPT_FAMILY},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"cache-mode", required_argument, NULL, OPT_CACHE_MODE},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int opt;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int handled = cli_common_option(&cli_cmd_task, common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        switch (opt) {
        case OPT_XVFB: a->xvfb = optarg; break;
        case OPT_DISPLAY: a->display = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_DRY_RUN: a->dry_run = 1; break;
        case OPT_QUIET: a->quiet = 1; break;
        case OPT_NO_REPORT: a->no_report = 1; break;
        case OPT_JUNIT: a->junit = optarg; break;
        case OPT_CACHE: a->cache = optarg; break;
        case OPT_CACHE_MODE:
            if (xtars_task_cache_mode_from_name(optarg, &a->cache_mode) != XTARS_OK)
                return cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "--cache-mode must be read-write, "
                                "read-only or refresh, not '%.40s'", optarg);
            break;
        case OPT_ENDPOINT:
        case OPT_MODEL:
        case OPT_FAMILY:
        case OPT_SEED:
            if (cli_flags_add(&cli_cmd_task, &a->flags,
                              opt == OPT_ENDPOINT ? "endpoint" : opt == OPT_MODEL ? "model"
                              : opt == OPT_SEED ? "seed" : "family",
                              optarg) != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
            break;
        default:
            return cli_bad_option(&cli_cmd_task, longopts, argv, opt);
        }
    }
    return CLI_EXIT_OK;
}

static int run_task(int argc, char **argv)
{
    struct cli_common common = {0};
    struct task_args a;
    struct xtars_config cfg;
    struct xtars_task *tasks;
    struct xtars_junit *junit = NULL;
    char err[XTARS_ERRLEN];
    int rc, worst = CLI_EXIT_OK, loaded, count;

    memset(&a, 0, sizeof a);
    if ((rc = parse_args(argc, argv, &common, &a)) != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_task);
    if (optind >= argc)
        return cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "needs at least one task FILE.json");
    if (a.cache_mode != XTARS_CACHE_READ_WRITE && a.cache == NULL)
        return cli_fail(&cli_cmd_task, CLI_EXIT_USAGE, "--cache-mode needs --cache DIR");
    if (a.display && cli_flags_add(&cli_cmd_task, &a.flags, "display", a.display) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if ((rc = cli_config_load(&cli_cmd_task, &common, a.flags.items, a.flags.count, &cfg)) !=
        CLI_EXIT_OK)
        return rc;
    count = argc - optind;
    if ((tasks = calloc((size_t)count, sizeof tasks[0])) == NULL ||
        (a.junit && xtars_junit_new("xtars task", &junit) != XTARS_OK)) {
        free(tasks);
        return cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "out of memory");
    }
    worst = loaded = load_all(argv + optind, count, tasks, junit);
    cli_signals_install();
    for (int i = 0; loaded == CLI_EXIT_OK && i < count && !cli_signals_pending(); i++) {
        rc = run_one(&tasks[i], &a, &cfg, junit);
        /* Worst outcome wins: usage/config (2) > model (3) > runtime (1) > not completed (4). */
        if (rc == CLI_EXIT_USAGE || (rc == CLI_EXIT_MODEL && worst != CLI_EXIT_USAGE) ||
            (rc == CLI_EXIT_RUNTIME && worst != CLI_EXIT_USAGE && worst != CLI_EXIT_MODEL) ||
            (rc == CLI_EXIT_INCOMPLETE && worst == CLI_EXIT_OK))
            worst = rc;
        /* Written after each task: an interrupted run still leaves valid XML. */
        if (junit && xtars_junit_write(junit, a.junit, err) != XTARS_OK)
            worst = cli_fail(&cli_cmd_task, worst == CLI_EXIT_OK ? CLI_EXIT_RUNTIME : worst, "%s", err);
    }
    if (junit && loaded != CLI_EXIT_OK && xtars_junit_write(junit, a.junit, err) != XTARS_OK)
        cli_fail(&cli_cmd_task, CLI_EXIT_RUNTIME, "%s", err); /* the files that did not load */
    else if (junit)
        xtars_log_info("junit: %s", a.junit);
    xtars_junit_free(junit);
    for (int i = 0; i < count; i++) /* cleanup takes the zeroed tasks of files that did not load */
        xtars_task_cleanup(&tasks[i]);
    free(tasks);
    return worst;
}
