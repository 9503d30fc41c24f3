/* cmd_batch.c: `xtars batch`: many tasks, up to N at once, each as a child
 * process of this same executable (`xtars run` or `xtars task` on its own
 * private Xvfb, with its own model connection), recorded in DIR/results.jsonl
 * as each ends, resumable, shardable across machines; and `--merge` of the
 * shards' results. The children do the driving; this file only schedules,
 * supervises and records them. It never leaves a child behind: children
 * get SIGTERM when it dies (PR_SET_PDEATHSIG) and on Ctrl-C. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/base/files.h"
#include "agent/run/batch.h"
#include "agent/run/junit.h"
#include "agent/base/clock.h"
#include "agent/base/spawn.h"
#include "agent/model/inflight.h"
#include "xtars/log.h"
#include "agent/run/task.h"
#include "agent/run/task_cache.h"
#include "xtars/trajectory.h"

#define MAX_JOBS 256
#define MAX_FORWARD (2 * CLI_MAX_SETS + 24)
#define STOP_GRACE_S 20.0      /* SIGTERM -> SIGKILL for a task that does not stop */
#define INDEX_EVERY_S 2.0      /* index.html is rewritten at most this often while running */

enum { OPT_OUT = 1, OPT_SHARD, OPT_MERGE, OPT_TASKS, OPT_RETRY_FAILED, OPT_ENDPOINT, OPT_MODEL,
       OPT_FAMILY, OPT_DRY_RUN, OPT_NO_REPORT, OPT_QUIET, OPT_JUNIT, OPT_CACHE, OPT_CACHE_MODE };

static int run_batch(int argc, char **argv);

const struct cli_command cli_cmd_batch = {
    .name = "batch",
    .summary = "run many tasks in parallel, each on its own private Xvfb",
    .usage =
        "Usage: xtars batch [options] -j N --out DIR TASKS.jsonl\n"
        "       xtars batch --merge --out DIR [--tasks TASKS.jsonl] RESULTS_DIR...\n\n"
        "Runs every task of TASKS.jsonl (one JSON object per line, docs/scale-out.md):\n"
        "  {\"id\": \"t1\", \"instruction\": \"...\", \"screen\": \"1280x800\", \"launch\": [\"CMD\"],\n"
        "   \"max_steps\": 20}     as `xtars run` on a private Xvfb, or\n"
        "  {\"id\": \"t2\", \"task_file\": \"form.json\"}   as `xtars task` (path relative to the list).\n"
        "Up to N tasks run at once, each with its own Xvfb, model connection and directory\n"
        "DIR/tasks/ID/ (trajectory, report, log.txt). Each outcome is appended to\n"
        "DIR/results.jsonl as the task ends; DIR/index.html links every report. Running\n"
        "again with the same DIR skips tasks that already have a final result (finished,\n"
        "max_steps, failed, ...) and runs the rest: stopped, crashed, model errors.\n"
        "Progress on stderr, a JSON summary on stdout. Exit 0 only when every task (of\n"
        "the shard) passed; otherwise the worst task exit code (2 > 3 > 1 > 4).\n\n"
        "  -j, --jobs N         tasks at once (default 1)\n"
        "  --out DIR            results directory (required)\n"
        "  --shard I/N          run only the tasks at positions k with k % N == I\n"
        "  --retry-failed       also run again tasks whose final result did not pass\n"
        "  --endpoint URL       model API base URL, for every task\n"
        "  --model NAME         model name, for every task\n"
        "  --family F           uitars-1.5, uitars-1.0, doubao or pixels\n"
        "  --dry-run            perform no input events\n"
        "  --no-report          tasks write no report.html\n"
        "  --quiet              no line per task, only the summary\n"
        "  --junit FILE         also write JUnit XML for CI: a testcase per task of the\n"
        "                       shard (docs/scale-out.md)\n"
        "  --cache DIR          every task file runs as `xtars task --cache DIR`: steps\n"
        "                       replayed from DIR while the screen still matches\n"
        "                       (docs/tasks.md); instruction tasks run without it\n"
        "  --cache-mode M       read-write (default), read-only (never update the cache)\n"
        "                       or refresh (ignore it, record it anew)\n"
        "  --merge              merge the results.jsonl of RESULTS_DIRs into DIR\n"
        "  --tasks FILE         with --merge: report the tasks of FILE that have no result\n\n"
        "--config, --set, --log-level and --log-format are passed on to every task.\n"
        "Config max_inflight_requests limits the model requests in flight at once across\n"
        "all tasks of the batch (0: no limit).\n\n" CLI_COMMON_USAGE,
    .run = run_batch,
};

struct batch_args {
    int jobs, shard_index, shard_count, merge, retry_failed, no_report, quiet;
    const char *out, *tasks, *junit;
    const char *cache, *cache_mode; /* --cache DIR, --cache-mode M: for task-file tasks */
    const char *flags[8];
    char flag_text[8][600];
    int flag_count;
    const char *forward[MAX_FORWARD];  /* options given to every task's xtars */
    int forward_count;
};

struct job {
    pid_t pid;
    int task;                  /* index into the list */
    double started;            /* monotonic seconds */
    char started_at[32];
    char dir[4200];            /* DIR/tasks/ID */
};

struct batch {
    const struct batch_args *args;
    struct xtars_batch_list list;
    struct xtars_batch_results results;
    char results_path[4200], index_path[4200], self[PATH_MAX], inflight[4096];
    int *queue;                /* list indexes still to run */
    int queue_len, queue_pos;
    struct job jobs[MAX_JOBS];
    int running, in_shard, done_now, failed_now;
    double start, work_s, index_written;
    double kill_at;            /* when stopping: SIGKILL what is left at this time */
};

static atomic_int signal_count; /* lock-free: safe to update in the handler */

static void on_signal(int sig)
{
    (void)sig;
    signal_count++;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* ---- options ---- */

static int forward(struct batch_args *a, const char *option, const char *value)
{
    if (a->forward_count + 2 > MAX_FORWARD)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "too many options to pass on");
    a->forward[a->forward_count++] = option;
    if (value)
        a->forward[a->forward_count++] = value;
    return CLI_EXIT_OK;
}

/* Options every task gets: the model settings (also kept in a->flags so this
 * process validates them) and the common config options. */
static int forward_option(struct batch_args *a, int opt, const char *arg)
{
    static const struct { int opt; const char *name, *key; } map[] = {
        {OPT_ENDPOINT, "--endpoint", "endpoint"}, {OPT_MODEL, "--model", "model"},
        {OPT_FAMILY, "--family", "family"},       {CLI_OPT_CONFIG, "--config", NULL},
        {CLI_OPT_SET, "--set", NULL},             {CLI_OPT_LOG_LEVEL, "--log-level", NULL},
        {CLI_OPT_LOG_FORMAT, "--log-format", NULL},
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].opt != opt)
            continue;
        if (map[i].key && a->flag_count < 8) {
            snprintf(a->flag_text[a->flag_count], sizeof a->flag_text[0], "%s=%s", map[i].key, arg);
            a->flags[a->flag_count] = a->flag_text[a->flag_count];
            a->flag_count++;
        }
        return forward(a, map[i].name, arg);
    }
    return CLI_EXIT_OK;
}

static int parse_jobs(const char *text, int *jobs)
{
    char *end;
    long n = strtol(text, &end, 10);

    if (end == text || *end != '\0' || n < 1 || n > MAX_JOBS)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "-j wants a number from 1 to %d, not '%s'",
                        MAX_JOBS, text);
    *jobs = (int)n;
    return CLI_EXIT_OK;
}

static int handle_option(struct batch_args *a, int opt, const char *arg)
{
    char err[XTARS_ERRLEN];

    switch (opt) {
    case 'j': return parse_jobs(arg, &a->jobs);
    case OPT_OUT: a->out = arg; return CLI_EXIT_OK;
    case OPT_SHARD:
        if (xtars_batch_shard_parse(arg, &a->shard_index, &a->shard_count, err) != XTARS_OK)
            return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "%s", err + strlen("batch: "));
        return CLI_EXIT_OK;
    case OPT_MERGE: a->merge = 1; return CLI_EXIT_OK;
    case OPT_TASKS: a->tasks = arg; return CLI_EXIT_OK;
    case OPT_RETRY_FAILED: a->retry_failed = 1; return CLI_EXIT_OK;
    case OPT_DRY_RUN: return forward(a, "--dry-run", NULL);
    case OPT_NO_REPORT: a->no_report = 1; return forward(a, "--no-report", NULL);
    case OPT_QUIET: a->quiet = 1; return CLI_EXIT_OK;
    case OPT_JUNIT: a->junit = arg; return CLI_EXIT_OK;
    case OPT_CACHE: a->cache = arg; return CLI_EXIT_OK;
    case OPT_CACHE_MODE: {
        int mode;
        if (xtars_task_cache_mode_from_name(arg, &mode) != XTARS_OK)
            return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--cache-mode must be read-write, "
                            "read-only or refresh, not '%.40s'", arg);
        a->cache_mode = arg;
        return CLI_EXIT_OK;
    }
    default: return forward_option(a, opt, arg);
    }
}

static int parse_args(int argc, char **argv, struct cli_common *common, struct batch_args *a)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, OPT_OUT},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"merge", no_argument, NULL, OPT_MERGE},
        {"tasks", required_argument, NULL, OPT_TASKS},
        {"retry-failed", no_argument, NULL, OPT_RETRY_FAILED},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"model", required_argument, NULL, OPT_MODEL},
        {"family", required_argument, NULL, OPT_FAMILY},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"no-report", no_argument, NULL, OPT_NO_REPORT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"cache-mode", required_argument, NULL, OPT_CACHE_MODE},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "j:", longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return cli_bad_option(&cli_cmd_batch, longopts, argv, opt);
        if (opt >= CLI_OPT_CONFIG && opt <= CLI_OPT_LOG_FORMAT &&
            (rc = forward_option(a, opt, optarg)) != CLI_EXIT_OK)
            return rc;
        rc = cli_common_option(&cli_cmd_batch, common, opt, optarg);
        if (rc < 0)
            return CLI_EXIT_USAGE;
        if (rc == 0 && (rc = handle_option(a, opt, optarg)) != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

/* ---- one task's process ---- */

/* The argument vector of a task's xtars: `run` for an instruction, `task`
 * for a task file. Strings point into the task and the args. */
static int task_argv(const struct batch *b, const struct xtars_batch_task *t, const char *dir,
                     const char **argv, char *screen, char *out, char *steps)
{
    int n = 0;

    argv[n++] = b->self;
    argv[n++] = t->instruction ? "run" : "task";
    if (t->width)
        snprintf(screen, 32, "%dx%d", t->width, t->height);
    else
        snprintf(screen, 32, "%s", XTARS_BATCH_DEFAULT_SCREEN);
    if (t->instruction || t->width) {
        argv[n++] = "--xvfb";
        argv[n++] = screen;
    }
    snprintf(out, 4300, t->instruction ? "%s/trajectory" : "%s", dir);
    argv[n++] = "--out";
    argv[n++] = out;
    for (int i = 0; i < t->launch_count; i++) {
        argv[n++] = "--launch";
        argv[n++] = t->launch[i];
    }
    if (t->max_steps) {
        snprintf(steps, 16, "%d", t->max_steps);
        argv[n++] = "--max-steps";
        argv[n++] = steps;
    }
    if (t->task_file && b->args->cache) { /* `xtars run` has no cache */
        argv[n++] = "--cache";
        argv[n++] = b->args->cache;
        if (b->args->cache_mode) {
            argv[n++] = "--cache-mode";
            argv[n++] = b->args->cache_mode;
        }
    }
    for (int i = 0; i < b->args->forward_count; i++)
        argv[n++] = b->args->forward[i];
    argv[n++] = "--";
    argv[n++] = t->instruction ? t->instruction : t->task_file;
    argv[n] = NULL;
    return n;
}

/* Starts a task's xtars: own process group (a Ctrl-C at the terminal
 * reaches only the batch, which stops the tasks in order), SIGTERM when the
 * batch dies, the signal dispositions of a fresh process, output into the
 * task's directory. */
static xtars_err spawn_task(const struct batch *b, const char *dir, const char *const *argv,
                            pid_t *pid, char *err)
{
    char out_path[4300], log_path[4300];
    const struct xtars_spawn_env env[] = {{XTARS_INFLIGHT_ENV, b->inflight}};
    const struct xtars_spawn_options o = {
        .argv = argv,
        .file = b->self,
        .env = env,
        .env_count = b->inflight[0] ? 1 : 0,
        .stdio = {{XTARS_SPAWN_DEVNULL, NULL, -1},
                  {XTARS_SPAWN_TRUNCATE, out_path, -1},
                  {XTARS_SPAWN_TRUNCATE, log_path, -1}},
        .group = XTARS_SPAWN_NEW_GROUP,
        .death_signal = SIGTERM,
        .default_signals = 1,
    };

    snprintf(out_path, sizeof out_path, "%s/output.txt", dir);
    snprintf(log_path, sizeof log_path, "%s/log.txt", dir);
    return xtars_spawn(&o, pid, err);
}

/* A task directory left by an earlier attempt is kept as ID~1, ID~2, ... */
static xtars_err fresh_dir(const char *dir, char *err)
{
    char aside[4300];
    struct stat st;

    if (lstat(dir, &st) == 0) {
        int k = 1;
        do
            snprintf(aside, sizeof aside, "%s~%d", dir, k++);
        while (lstat(aside, &st) == 0 && k < 100000);
        if (rename(dir, aside) != 0)
            return xtars_error(err, XTARS_EIO, "batch: cannot move %s aside: %s", dir,
                               strerror(errno));
    }
    return xtars_mkdir_p(dir, err);
}

static xtars_err start_job(struct batch *b, int task, struct job *job, char *err)
{
    const struct xtars_batch_task *t = &b->list.tasks[task];
    const char *argv[MAX_FORWARD + 2 * XTARS_BATCH_MAX_LAUNCH + 20];
    char screen[32], out[4300], steps[16], why[XTARS_ERRLEN];
    xtars_err rc;

    memset(job, 0, sizeof *job);
    job->task = task;
    snprintf(job->dir, sizeof job->dir, "%s/tasks/%s", b->args->out, t->id);
    if ((rc = fresh_dir(job->dir, err)) != XTARS_OK)
        return rc;
    task_argv(b, t, job->dir, argv, screen, out, steps);
    xtars_clock_iso(job->started_at, sizeof job->started_at);
    job->started = (xtars_clock_ms() / 1000.0);
    if ((rc = spawn_task(b, job->dir, argv, &job->pid, why)) != XTARS_OK)
        return xtars_error(err, rc, "batch: cannot start task '%s': %s", t->id, why);
    return XTARS_OK;
}

/* ---- a task's outcome ---- */

/* The subdirectory of dir holding run.json (the trajectory), if any. */
static int find_trajectory(const char *dir, char *out, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char probe[4600];
    int found = 0;

    if (d == NULL)
        return 0;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(probe, sizeof probe, "%s/%s/run.json", dir, e->d_name);
        if (access(probe, F_OK) == 0) {
            snprintf(out, size, "%s", e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* The last non-empty line of the task's log, for a task without trajectory. */
static char *last_log_line(const char *dir)
{
    char path[4300], tail[2048], *end, *start;
    ssize_t n;
    off_t size;
    int fd;

    snprintf(path, sizeof path, "%s/log.txt", dir);
    if ((fd = open(path, O_RDONLY)) < 0)
        return NULL;
    size = lseek(fd, 0, SEEK_END);
    n = pread(fd, tail, sizeof tail - 1, size > (off_t)sizeof tail - 1 ? size - (off_t)sizeof tail + 1 : 0);
    close(fd);
    if (n <= 0)
        return NULL;
    tail[n] = '\0';
    end = tail + n;
    while (end > tail && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    start = strrchr(tail, '\n');
    start = start ? start + 1 : tail;
    return start[0] ? strdup(start) : NULL;
}

/* Status, steps and message from the trajectory (or the log without one). */
static void read_outcome(const struct job *job, const char *id, int wait_status, int stopping,
                         struct xtars_batch_result *r)
{
    struct xtars_traj_run run;
    char sub[512], path[4800], err[XTARS_ERRLEN];
    int signalled = WIFSIGNALED(wait_status);

    r->exit_code = signalled ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
    snprintf(r->status, sizeof r->status, "error");
    if (find_trajectory(job->dir, sub, sizeof sub)) {
        snprintf(path, sizeof path, "%s/%s", job->dir, sub);
        if (xtars_traj_load(path, &run, err) == XTARS_OK) {
            snprintf(r->status, sizeof r->status, "%s", run.status ? run.status : "error");
            r->steps = run.step_count;
            r->message = dup_or_null(run.message);
            xtars_traj_run_cleanup(&run);
        } else {
            r->message = strdup(err);
        }
        snprintf(path, sizeof path, "tasks/%s/%s", id, sub);
        r->trajectory = strdup(path);
        snprintf(path, sizeof path, "%s/%s/report.html", job->dir, sub);
        if (access(path, F_OK) == 0) {
            snprintf(path, sizeof path, "tasks/%s/%s/report.html", id, sub);
            r->report = strdup(path);
        }
    }
    if (signalled || strcmp(r->status, "running") == 0) {
        snprintf(r->status, sizeof r->status, "%s", stopping ? "stopped" : "crashed");
        free(r->message);
        r->message = NULL;
        if (signalled && asprintf(&r->message, "killed by signal %d (%s)", WTERMSIG(wait_status),
                                  strsignal(WTERMSIG(wait_status))) < 0)
            r->message = NULL;
    }
    if (r->trajectory == NULL && r->message == NULL)
        r->message = last_log_line(job->dir);
    snprintf(path, sizeof path, "tasks/%s/log.txt", id);
    r->log = strdup(path);
    r->passed = r->exit_code == 0 && strcmp(r->status, "finished") == 0;
}

static void fill_identity(const struct batch *b, const struct xtars_batch_task *t,
                          struct xtars_batch_result *r)
{
    snprintf(r->id, sizeof r->id, "%s", t->id);
    r->index = t->index;
    r->line = t->line;
    r->task = dup_or_null(t->instruction ? t->instruction : t->task_file);
    snprintf(r->task_hash, sizeof r->task_hash, "%s", t->hash);
    if (b->args->shard_count > 1)
        snprintf(r->shard, sizeof r->shard, "%d/%d", b->args->shard_index, b->args->shard_count);
}

static void format_eta(double seconds, char *out, size_t size)
{
    long s = (long)(seconds + 0.5);

    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

static void print_progress(const struct batch *b, const struct xtars_batch_result *r)
{
    int waiting = b->queue_len - b->queue_pos;
    char eta[32] = "?";

    if (b->args->quiet)
        return;
    if (b->done_now > 0)
        format_eta(b->work_s / b->done_now * (waiting + b->running) / b->args->jobs, eta,
                   sizeof eta);
    xtars_log_info("batch: [%d/%d] %s %s (%s, %d step%s, %.1f s) | %d not passed, %d running, "
                   "%d waiting, ETA %s", b->done_now, b->queue_len,
                   r->passed ? "PASS" : xtars_batch_status_final(r->status) ? "FAIL" : "INCOMPLETE",
                   r->id, r->status, r->steps, r->steps == 1 ? "" : "s", r->duration_s,
                   b->failed_now, b->running, waiting, eta);
}

static void write_index(struct batch *b);

/* Records a finished child: results.jsonl, the set, progress. */
static void finish_job(struct batch *b, struct job *job, int wait_status)
{
    const struct xtars_batch_task *t = &b->list.tasks[job->task];
    struct xtars_batch_result r;
    char err[XTARS_ERRLEN];

    memset(&r, 0, sizeof r);
    fill_identity(b, t, &r);
    read_outcome(job, t->id, wait_status, signal_count > 0, &r);
    r.duration_s = (xtars_clock_ms() / 1000.0) - job->started;
    snprintf(r.started_at, sizeof r.started_at, "%s", job->started_at);
    xtars_clock_iso(r.ended_at, sizeof r.ended_at);
    b->running--;
    b->done_now++;
    b->failed_now += !r.passed;
    b->work_s += r.duration_s;
    job->pid = 0;
    if (xtars_batch_results_append(b->results_path, &r, err) != XTARS_OK)
        xtars_log_error("%s", err);
    print_progress(b, &r);
    if (xtars_batch_results_put(&b->results, &r, XTARS_BATCH_PUT_LATEST, NULL) != XTARS_OK)
        xtars_log_error("batch: out of memory");
    if ((xtars_clock_ms() / 1000.0) - b->index_written >= INDEX_EVERY_S)
        write_index(b);
}

/* A task that could not even be started is recorded as an error. */
static void record_start_failure(struct batch *b, int task, const char *why)
{
    struct xtars_batch_result r;
    char err[XTARS_ERRLEN];

    memset(&r, 0, sizeof r);
    fill_identity(b, &b->list.tasks[task], &r);
    snprintf(r.status, sizeof r.status, "error");
    r.exit_code = CLI_EXIT_RUNTIME;
    r.message = strdup(why);
    xtars_clock_iso(r.started_at, sizeof r.started_at);
    snprintf(r.ended_at, sizeof r.ended_at, "%s", r.started_at);
    xtars_log_error("%s", why);
    b->done_now++;
    b->failed_now++;
    if (xtars_batch_results_append(b->results_path, &r, err) != XTARS_OK)
        xtars_log_error("%s", err);
    xtars_batch_results_put(&b->results, &r, XTARS_BATCH_PUT_LATEST, NULL);
}

/* ---- the index page ---- */

static void write_index(struct batch *b)
{
    struct xtars_batch_result *rows = calloc((size_t)b->in_shard + 1, sizeof *rows);
    struct xtars_buf html;
    char err[XTARS_ERRLEN], title[600];
    int n = 0;

    if (rows == NULL)
        return;
    for (int i = 0; i < b->list.count; i++) {
        const struct xtars_batch_task *t = &b->list.tasks[i];
        struct xtars_batch_result *r;
        if (!xtars_batch_in_shard(t->index, b->args->shard_index, b->args->shard_count))
            continue;
        r = xtars_batch_results_find(&b->results, t->id);
        if (r) {
            rows[n] = *r; /* shallow: the set keeps ownership */
        } else {
            fill_identity(b, t, &rows[n]);
            free(rows[n].task);
            rows[n].task = t->instruction ? t->instruction : t->task_file;
            rows[n].exit_code = -1;
            snprintf(rows[n].status, sizeof rows[n].status, "pending");
            for (int j = 0; j < MAX_JOBS; j++)
                if (b->jobs[j].pid > 0 && b->jobs[j].task == i)
                    snprintf(rows[n].status, sizeof rows[n].status, "running");
        }
        n++;
    }
    snprintf(title, sizeof title, "xtars batch %s", b->args->out);
    if (b->args->shard_count > 1)
        snprintf(title + strlen(title), sizeof title - strlen(title), " (shard %d/%d)",
                 b->args->shard_index, b->args->shard_count);
    xtars_buf_init(&html, 512L << 20);
    if (xtars_batch_index_html(rows, n, title, &html) != XTARS_OK ||
        xtars_write_file_atomic(b->index_path, html.data, html.len, err) != XTARS_OK)
        xtars_log_warn("batch: cannot write %s", b->index_path);
    xtars_buf_cleanup(&html);
    free(rows);
    b->index_written = (xtars_clock_ms() / 1000.0);
}

/* ---- scheduling ---- */

/* Whether the task needs running: not in this shard, or already done. */
static int needs_run(struct batch *b, const struct xtars_batch_task *t)
{
    struct xtars_batch_result *r = xtars_batch_results_find(&b->results, t->id);

    if (r == NULL || !xtars_batch_status_final(r->status))
        return 1;
    if (r->task_hash[0] && strcmp(r->task_hash, t->hash) != 0) {
        xtars_log_warn("batch: task '%s' (line %d) changed since its result was recorded: running it "
                       "again", t->id, t->line);
        return 1;
    }
    return b->args->retry_failed && !r->passed;
}

/* Checks task files before anything runs: a typo must not cost a batch. */
static int check_task_file(const struct xtars_batch_task *t)
{
    struct xtars_task task;
    char err[XTARS_ERRLEN];

    if (t->task_file == NULL)
        return CLI_EXIT_OK;
    if (xtars_task_load(t->task_file, &task, err) != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "line %d: %s", t->line, err);
    xtars_task_cleanup(&task);
    return CLI_EXIT_OK;
}

static int plan(struct batch *b)
{
    int rc;

    b->queue = malloc((size_t)b->list.count * sizeof *b->queue);
    if (b->queue == NULL)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "out of memory");
    for (int i = 0; i < b->list.count; i++) {
        const struct xtars_batch_task *t = &b->list.tasks[i];
        if (!xtars_batch_in_shard(t->index, b->args->shard_index, b->args->shard_count))
            continue;
        b->in_shard++;
        if (!needs_run(b, t))
            continue;
        if ((rc = check_task_file(t)) != CLI_EXIT_OK)
            return rc;
        b->queue[b->queue_len++] = i;
    }
    return CLI_EXIT_OK;
}

static void signal_jobs(struct batch *b, int sig)
{
    for (int j = 0; j < b->args->jobs; j++)
        if (b->jobs[j].pid > 0)
            kill(b->jobs[j].pid, sig);
}

/* First signal: stop starting tasks and ask the running ones to stop (they
 * record a "stopped" trajectory); second signal or the grace time: kill. */
static void handle_stop(struct batch *b, int *seen)
{
    if (signal_count == *seen) {
        if (b->kill_at > 0 && (xtars_clock_ms() / 1000.0) > b->kill_at && b->running > 0) {
            xtars_log_warn("batch: %d task%s did not stop in %.0f s: killing", b->running,
                           b->running == 1 ? "" : "s", STOP_GRACE_S);
            signal_jobs(b, SIGKILL);
            b->kill_at = 0;
        }
        return;
    }
    if (*seen == 0) {
        xtars_log_warn("batch: stopping: asking %d running task%s to stop (again to kill them)",
                       b->running, b->running == 1 ? "" : "s");
        signal_jobs(b, SIGTERM);
        b->kill_at = (xtars_clock_ms() / 1000.0) + STOP_GRACE_S;
    } else {
        signal_jobs(b, SIGKILL);
    }
    *seen = signal_count;
}

static struct job *job_of(struct batch *b, pid_t pid)
{
    for (int j = 0; j < b->args->jobs; j++)
        if (b->jobs[j].pid == pid)
            return &b->jobs[j];
    return NULL;
}

static void run_queue(struct batch *b)
{
    int seen = 0;
    char err[XTARS_ERRLEN];

    while (b->running > 0 || (b->queue_pos < b->queue_len && signal_count == 0)) {
        int status, reaped = 0;
        pid_t pid;

        for (int j = 0; j < b->args->jobs && signal_count == 0 && b->queue_pos < b->queue_len; j++) {
            int task;
            if (b->jobs[j].pid > 0)
                continue;
            task = b->queue[b->queue_pos++];
            if (start_job(b, task, &b->jobs[j], err) != XTARS_OK) {
                b->jobs[j].pid = 0;
                record_start_failure(b, task, err);
                continue;
            }
            b->running++;
            xtars_log_debug("batch: started %s (pid %ld)", b->list.tasks[task].id,
                            (long)b->jobs[j].pid);
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            struct job *job = job_of(b, pid);
            if (job)
                finish_job(b, job, status);
            reaped = 1;
        }
        handle_stop(b, &seen);
        if (!reaped)
            usleep(20000);
    }
}

/* ---- results of the whole shard ---- */

/* Worst outcome wins: usage/config (2) > model (3) > runtime (1) > not completed (4). */
static int worse(int worst, int code)
{
    static const int rank[] = {0, 2, 4, 3, 1}; /* by exit code 0..4 */
    int c = code >= 0 && code <= 4 ? code : CLI_EXIT_RUNTIME;

    return rank[c] > rank[worst] ? c : worst;
}

static int summarize(struct batch *b)
{
    int passed = 0, failed = 0, other = 0, worst = CLI_EXIT_OK;

    for (int i = 0; i < b->list.count; i++) {
        const struct xtars_batch_task *t = &b->list.tasks[i];
        const struct xtars_batch_result *r;
        if (!xtars_batch_in_shard(t->index, b->args->shard_index, b->args->shard_count))
            continue;
        r = xtars_batch_results_find(&b->results, t->id);
        if (r && r->passed) {
            passed++;
            continue;
        }
        if (r && xtars_batch_status_final(r->status))
            failed++;
        else
            other++;
        worst = worse(worst, r ? (r->exit_code == 0 ? CLI_EXIT_INCOMPLETE : r->exit_code)
                               : CLI_EXIT_INCOMPLETE);
    }
    xtars_log_info("batch: %d task%s: %d passed, %d failed, %d not completed; %d run now in %.1f s; "
                   "results %s, index %s", b->in_shard, b->in_shard == 1 ? "" : "s", passed, failed,
                   other, b->done_now, (xtars_clock_ms() / 1000.0) - b->start, b->results_path, b->index_path);
    printf("{\"tasks\": %d, \"passed\": %d, \"failed\": %d, \"not_completed\": %d, \"run\": %d, "
           "\"exit_code\": %d}\n", b->in_shard, passed, failed, other, b->done_now, worst);
    return worst;
}

/* One testcase per task of the shard: passed, failed (a final status),
 * error (crashed, model error, stopped: no fair run) or skipped (no result). */
static xtars_err junit_case(struct xtars_junit *j, const struct batch *b,
                            const struct xtars_batch_task *t, const struct xtars_batch_result *r)
{
    char trajectory[8300] = "", report[8300] = "", message[1200];
    enum xtars_junit_outcome outcome = XTARS_JUNIT_SKIPPED;

    if (r && r->trajectory)
        snprintf(trajectory, sizeof trajectory, "%s/%s", b->args->out, r->trajectory);
    if (r && r->report)
        snprintf(report, sizeof report, "%s/%s", b->args->out, r->report);
    if (r)
        outcome = r->passed ? XTARS_JUNIT_PASSED
                  : xtars_batch_status_final(r->status) ? XTARS_JUNIT_FAILED : XTARS_JUNIT_ERROR;
    if (r)
        snprintf(message, sizeof message, "%s after %d step%s (exit %d)%s%.1000s", r->status,
                 r->steps, r->steps == 1 ? "" : "s", r->exit_code, r->message ? ": " : "",
                 r->message ? r->message : "");
    else
        snprintf(message, sizeof message, "not run yet (no result in results.jsonl)");
    return xtars_junit_case(j, &(struct xtars_junit_case){
        .name = t->id, .file = t->task_file, .time_s = r ? r->duration_s : 0, .outcome = outcome,
        .type = r ? r->status : NULL, .message = message, .output = r ? r->task : NULL,
        .trajectory = trajectory[0] ? trajectory : NULL,
        .attachment = report[0] && outcome != XTARS_JUNIT_PASSED ? report : NULL});
}

static int write_junit(struct batch *b, const char *list_path)
{
    struct xtars_junit *j = NULL;
    char err[XTARS_ERRLEN];
    xtars_err rc = xtars_junit_new("xtars batch", &j);

    if (rc == XTARS_OK)
        rc = xtars_junit_suite(j, list_path, list_path, NULL);
    for (int i = 0; rc == XTARS_OK && i < b->list.count; i++) {
        const struct xtars_batch_task *t = &b->list.tasks[i];
        if (xtars_batch_in_shard(t->index, b->args->shard_index, b->args->shard_count))
            rc = junit_case(j, b, t, xtars_batch_results_find(&b->results, t->id));
    }
    if (rc == XTARS_OK)
        rc = xtars_junit_write(j, b->args->junit, err);
    else
        snprintf(err, sizeof err, "junit: %s", xtars_strerror(rc));
    xtars_junit_free(j);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "%s", err);
    xtars_log_info("junit: %s", b->args->junit);
    return CLI_EXIT_OK;
}

static int self_path(char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);

    if (n <= 0)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "cannot find the xtars executable "
                        "(/proc/self/exe): %s", strerror(errno));
    out[n] = '\0';
    return CLI_EXIT_OK;
}

static int prepare(struct batch *b, const char *list_path, const struct xtars_config *cfg)
{
    char err[XTARS_ERRLEN];
    int rc;

    if (xtars_batch_list_load(list_path, &b->list, err) != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "%s", err + strlen("batch: "));
    if ((rc = self_path(b->self, sizeof b->self)) != CLI_EXIT_OK)
        return rc;
    snprintf(b->results_path, sizeof b->results_path, "%s/results.jsonl", b->args->out);
    snprintf(b->index_path, sizeof b->index_path, "%s/index.html", b->args->out);
    if (xtars_mkdir_p(b->args->out, err) != XTARS_OK ||
        xtars_batch_results_repair(b->results_path, err) != XTARS_OK ||
        xtars_batch_results_load(&b->results, b->results_path, err) != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "%s", err);
    if (b->results.bad_lines)
        xtars_log_warn("batch: skipped %d unreadable line%s of results: %s", b->results.bad_lines,
                       b->results.bad_lines == 1 ? "" : "s", b->results.warning);
    if ((rc = plan(b)) != CLI_EXIT_OK)
        return rc;
    if (cfg->max_inflight_requests > 0 &&
        xtars_inflight_create(NULL, cfg->max_inflight_requests, b->inflight, sizeof b->inflight,
                              err) != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "%s", err);
    return CLI_EXIT_OK;
}

/* --cache is `xtars task`'s: instruction lines run as `xtars run`, which has
 * none. Said once, so a user does not expect them to be replayed. */
static void warn_uncached(const struct batch *b)
{
    int count = 0;

    for (int i = 0; i < b->list.count; i++)
        count += b->list.tasks[i].instruction != NULL;
    if (count)
        xtars_log_warn("batch: --cache is for task files; %d instruction task%s run%s without it",
                       count, count == 1 ? "" : "s", count == 1 ? "s" : "");
}

static int batch_main(const struct batch_args *a, const char *list_path,
                      const struct xtars_config *cfg)
{
    struct batch *b = calloc(1, sizeof *b);
    int rc;

    if (b == NULL)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "out of memory");
    b->args = a;
    b->start = (xtars_clock_ms() / 1000.0);
    xtars_batch_results_init(&b->results);
    cli_catch_stop_signals(on_signal);
    rc = prepare(b, list_path, cfg);
    if (rc == CLI_EXIT_OK && a->cache)
        warn_uncached(b);
    if (rc == CLI_EXIT_OK) {
        if (a->shard_count > 1 || b->queue_len < b->in_shard)
            xtars_log_info("batch: %d task%s%s, %d with a final result, %d to run, %d at once",
                           b->in_shard, b->in_shard == 1 ? "" : "s",
                           a->shard_count > 1 ? " in this shard" : "", b->in_shard - b->queue_len,
                           b->queue_len, a->jobs);
        run_queue(b);
        write_index(b);
        rc = summarize(b);
        if (signal_count && rc == CLI_EXIT_OK)
            rc = CLI_EXIT_INCOMPLETE;
        if (a->junit && write_junit(b, list_path) != CLI_EXIT_OK && rc == CLI_EXIT_OK)
            rc = CLI_EXIT_RUNTIME;
    }
    if (b->inflight[0])
        xtars_inflight_remove(b->inflight);
    xtars_batch_results_cleanup(&b->results);
    xtars_batch_list_cleanup(&b->list);
    free(b->queue);
    free(b);
    return rc;
}

/* ---- merge ---- */

/* Makes a path relative to from_abs (the shard's directory) relative to
 * to_abs (the merged directory) instead. */
static void rebase(char **path, const char *from_abs, const char *to_abs)
{
    char joined[8300], rel[8300];

    if (*path == NULL || (*path)[0] == '/')
        return;
    snprintf(joined, sizeof joined, "%s/%s", from_abs, *path);
    if (xtars_path_relative(to_abs, joined, rel, sizeof rel) != XTARS_OK)
        return;
    free(*path);
    *path = strdup(rel);
}

static int merge_one(const char *dir, const char *out_abs, struct xtars_batch_results *merged)
{
    struct xtars_batch_results set;
    char path[PATH_MAX + 32], abs[PATH_MAX], err[XTARS_ERRLEN];
    int dups = 0;

    xtars_batch_results_init(&set);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    if (realpath(dir, abs) == NULL || access(path, R_OK) != 0)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--merge: %s has no readable results.jsonl",
                        dir);
    if (xtars_batch_results_load(&set, path, err) != XTARS_OK) {
        xtars_batch_results_cleanup(&set);
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "%s", err);
    }
    if (set.bad_lines)
        xtars_log_warn("batch: skipped %d unreadable line%s: %s", set.bad_lines,
                       set.bad_lines == 1 ? "" : "s", set.warning);
    for (int i = 0; i < set.count; i++) {
        int dup = 0;
        rebase(&set.items[i].trajectory, abs, out_abs);
        rebase(&set.items[i].report, abs, out_abs);
        rebase(&set.items[i].log, abs, out_abs);
        if (xtars_batch_results_put(merged, &set.items[i], XTARS_BATCH_PUT_PREFER_FINAL, &dup) !=
            XTARS_OK)
            return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "out of memory");
        dups += dup;
    }
    if (dups)
        xtars_log_warn("batch: %s: %d task id%s already seen in an earlier directory (kept the final "
                       "result, else the later one)", dir, dups, dups == 1 ? "" : "s");
    xtars_batch_results_cleanup(&set);
    return CLI_EXIT_OK;
}

/* With --tasks: list positions for every result, a "missing" row for every
 * task without one. Returns the number missing, or -1 after an error. */
static int add_missing(const char *tasks, struct xtars_batch_results *merged,
                       struct xtars_batch_results *rows)
{
    struct xtars_batch_list list;
    char err[XTARS_ERRLEN];
    int missing = 0;

    if (xtars_batch_list_load(tasks, &list, err) != XTARS_OK) {
        cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "%s", err + strlen("batch: "));
        return -1;
    }
    for (int i = 0; i < list.count; i++) {
        const struct xtars_batch_task *t = &list.tasks[i];
        struct xtars_batch_result *r = xtars_batch_results_find(merged, t->id), row;
        if (r) {
            r->index = t->index;
            r->line = t->line;
            continue;
        }
        memset(&row, 0, sizeof row);
        snprintf(row.id, sizeof row.id, "%s", t->id);
        row.index = t->index;
        row.line = t->line;
        row.exit_code = -1;
        row.task = dup_or_null(t->instruction ? t->instruction : t->task_file);
        snprintf(row.status, sizeof row.status, "missing");
        xtars_batch_results_put(rows, &row, XTARS_BATCH_PUT_LATEST, NULL);
        missing++;
    }
    if (missing)
        xtars_log_warn("batch: %d task%s of %s have no result", missing, missing == 1 ? "" : "s",
                       tasks);
    xtars_batch_list_cleanup(&list);
    return missing;
}

static int write_merged(const struct batch_args *a, struct xtars_batch_results *merged,
                        struct xtars_batch_results *rows)
{
    struct xtars_batch_results *all = rows;
    struct xtars_buf html;
    char path[4200], err[XTARS_ERRLEN], title[600];
    int rc = CLI_EXIT_OK;

    xtars_batch_results_sort(merged);
    snprintf(path, sizeof path, "%s/results.jsonl", a->out);
    if (xtars_batch_results_write(merged, path, err) != XTARS_OK)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "%s", err);
    /* The page shows the missing tasks too: copy the results into rows. */
    for (int i = 0; i < merged->count; i++) {
        struct xtars_batch_result copy = merged->items[i];
        copy.task = dup_or_null(copy.task);
        copy.trajectory = dup_or_null(copy.trajectory);
        copy.report = dup_or_null(copy.report);
        copy.log = dup_or_null(copy.log);
        copy.message = dup_or_null(copy.message);
        xtars_batch_results_put(all, &copy, XTARS_BATCH_PUT_LATEST, NULL);
    }
    xtars_batch_results_sort(all);
    snprintf(title, sizeof title, "xtars batch %s (merged)", a->out);
    xtars_buf_init(&html, 512L << 20);
    snprintf(path, sizeof path, "%s/index.html", a->out);
    if (xtars_batch_index_html(all->items, all->count, title, &html) != XTARS_OK ||
        xtars_write_file_atomic(path, html.data, html.len, err) != XTARS_OK)
        rc = cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "cannot write %s", path);
    xtars_buf_cleanup(&html);
    return rc;
}

static int merge_main(const struct batch_args *a, char **dirs, int count)
{
    struct xtars_batch_results merged, rows;
    char out_abs[PATH_MAX], err[XTARS_ERRLEN];
    int rc = CLI_EXIT_OK, missing = 0, passed = 0, worst = CLI_EXIT_OK;

    if (xtars_mkdir_p(a->out, err) != XTARS_OK || realpath(a->out, out_abs) == NULL)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_RUNTIME, "cannot create %s", a->out);
    xtars_batch_results_init(&merged);
    xtars_batch_results_init(&rows);
    for (int i = 0; i < count && rc == CLI_EXIT_OK; i++)
        rc = merge_one(dirs[i], out_abs, &merged);
    if (rc == CLI_EXIT_OK && a->tasks && (missing = add_missing(a->tasks, &merged, &rows)) < 0)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = write_merged(a, &merged, &rows);
    if (rc == CLI_EXIT_OK) {
        for (int i = 0; i < merged.count; i++) {
            passed += merged.items[i].passed;
            if (!merged.items[i].passed)
                worst = worse(worst, merged.items[i].exit_code == 0 ? CLI_EXIT_INCOMPLETE
                                                                     : merged.items[i].exit_code);
        }
        if (missing)
            worst = worse(worst, CLI_EXIT_INCOMPLETE);
        xtars_log_info("batch: merged %d result%s from %d director%s into %s: %d passed, %d not, "
                       "%d missing", merged.count, merged.count == 1 ? "" : "s", count,
                       count == 1 ? "y" : "ies", a->out, passed, merged.count - passed, missing);
        printf("{\"tasks\": %d, \"passed\": %d, \"not_passed\": %d, \"missing\": %d, \"exit_code\": %d}\n",
               merged.count + missing, passed, merged.count - passed, missing, worst);
        rc = worst;
    }
    xtars_batch_results_cleanup(&merged);
    xtars_batch_results_cleanup(&rows);
    return rc;
}

static int run_batch(int argc, char **argv)
{
    struct cli_common common = {0};
    struct batch_args a;
    struct xtars_config cfg;
    int rc;

    memset(&a, 0, sizeof a);
    a.jobs = 1;
    a.shard_count = 1;
    if ((rc = parse_args(argc, argv, &common, &a)) != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_batch);
    if (a.out == NULL || a.out[0] == '\0')
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "needs --out DIR");
    if (a.junit && a.merge)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--junit does not go with --merge");
    if (a.cache && a.merge)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--cache does not go with --merge");
    if (a.cache_mode && a.cache == NULL)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--cache-mode needs --cache DIR");
    if (a.merge) {
        if (optind >= argc)
            return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--merge needs at least one RESULTS_DIR");
        return merge_main(&a, argv + optind, argc - optind);
    }
    if (a.tasks)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "--tasks goes with --merge");

    if (optind != argc - 1)
        return cli_fail(&cli_cmd_batch, CLI_EXIT_USAGE, "needs exactly one TASKS.jsonl");
    if ((rc = cli_config_load(&cli_cmd_batch, &common, a.flags, a.flag_count, &cfg)) != CLI_EXIT_OK)
        return rc;
    return batch_main(&a, argv[optind], &cfg);
}
