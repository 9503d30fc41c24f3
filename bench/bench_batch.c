/* bench_batch: what running many agents at once costs on this machine. For
 * N = 1, 2, 4, 8 it runs the same batch (`xtars batch -j N`) of identical
 * tasks against a zero-latency scripted model: each task starts a private
 * Xvfb with the xclient recorder and takes a fixed number of steps (the model
 * always answers type(content='a'), so every step changes the screen and the
 * task ends at max_steps). Prints tasks per minute and, from the
 * trajectories, the time per step and what of it is not the model's. Prints
 * figures; asserts nothing (docs/performance.md).
 *
 *   bench_batch [--tasks M] [--steps S] [--jobs 1,2,4,8]
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xtars/buf.h"

extern char **environ;

struct figures {
    int jobs, tasks, steps;
    double wall_s, task_s, step_ms, model_ms, capture_ms, encode_ms, exec_ms, settle_ms;
    double worst_step_ms;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spawns argv with stdout to /dev/null (the table is this program's stdout). */
static pid_t spawn_quiet(const char *const *argv)
{
    posix_spawn_file_actions_t actions;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

static int run_wait(const char *const *argv)
{
    pid_t pid;
    int status;

    if ((pid = spawn_quiet(argv)) < 0) {
        fprintf(stderr, "bench_batch: cannot run %s\n", argv[0]);
        exit(1);
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static pid_t start_server(const char *dir, int *port)
{
    char script[600], port_file[600];
    const char *argv[] = {XTARS_MODEL_SERVER, "--script", script, "--port-file", port_file, NULL};
    FILE *f;
    pid_t pid;

    snprintf(script, sizeof script, "%s/script.json", dir);
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    f = fopen(script, "w");
    if (f == NULL)
        exit(1);
    fputs("[{\"reply\": \"Thought: one more letter\\nAction: type(content='a')\", \"repeat\": 1000000}]",
          f);
    fclose(f);
    if ((pid = spawn_quiet(argv)) < 0)
        exit(1);
    for (int i = 0; i < 200; i++) {
        f = fopen(port_file, "r");
        if (f && fscanf(f, "%d", port) == 1) {
            fclose(f);
            return pid;
        }
        if (f)
            fclose(f);
        usleep(20000);
    }
    fprintf(stderr, "bench_batch: the model server did not start\n");
    exit(1);
}

static void write_tasks(const char *path, int tasks, int steps)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        exit(1);
    /* The recorder appears a moment after the agent's first look, like an app
     * starting; without the pause the agent may wait out its start-up allowance. */
    for (int i = 0; i < tasks; i++)
        fprintf(f, "{\"id\": \"b%03d\", \"instruction\": \"Type letters\", \"screen\": \"1280x800\", "
                   "\"launch\": \"sleep 0.2; exec %s --geometry 600x400+100+100\", \"max_steps\": %d}\n",
                i, XCLIENT, steps);
    fclose(f);
}

static cJSON *read_lines(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN], *save = NULL;
    cJSON *list = cJSON_CreateArray();

    if (xtars_buf_read_file(&b, path, 1 << 26, err) != XTARS_OK)
        return list;
    for (char *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *item = cJSON_Parse(line);
        if (item)
            cJSON_AddItemToArray(list, item);
    }
    xtars_buf_cleanup(&b);
    return list;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

/* Adds the step timings of one trajectory. */
static void add_steps(const char *out, const char *trajectory, struct figures *f)
{
    char path[1200];
    cJSON *steps, *step;

    snprintf(path, sizeof path, "%s/%s/steps.jsonl", out, trajectory);
    steps = read_lines(path);
    cJSON_ArrayForEach(step, steps) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(step, "timings");
        double total = number(t, "total_ms");
        f->steps++;
        f->step_ms += total;
        f->model_ms += number(t, "model_ms");
        f->capture_ms += number(t, "capture_ms");
        f->encode_ms += number(t, "encode_ms");
        f->exec_ms += number(t, "exec_ms");
        f->settle_ms += number(t, "settle_ms");
        if (total > f->worst_step_ms)
            f->worst_step_ms = total;
    }
    cJSON_Delete(steps);
}

static struct figures measure(const char *dir, const char *endpoint, const char *list, int jobs)
{
    struct figures f;
    char out[600], jobs_text[16], path[700];
    const char *argv[] = {XTARS_BIN, "batch", "-j", jobs_text, "--out", out, "--endpoint", endpoint,
                          "--set", "retries=0", "--quiet", list, NULL};
    cJSON *results, *r;
    double start;

    memset(&f, 0, sizeof f);
    f.jobs = jobs;
    snprintf(out, sizeof out, "%s/j%d", dir, jobs);
    snprintf(jobs_text, sizeof jobs_text, "%d", jobs);
    start = now_s();
    run_wait(argv);
    f.wall_s = now_s() - start;
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    results = read_lines(path);
    cJSON_ArrayForEach(r, results) {
        const cJSON *traj = cJSON_GetObjectItemCaseSensitive(r, "trajectory");
        f.tasks++;
        f.task_s += number(r, "duration_s");
        if (cJSON_IsString(traj))
            add_steps(out, traj->valuestring, &f);
    }
    cJSON_Delete(results);
    return f;
}

static void print_row(const struct figures *f)
{
    double n = f->steps ? f->steps : 1, tasks = f->tasks ? f->tasks : 1;
    double step = f->step_ms / n, model = f->model_ms / n;
    double fixed = f->task_s / tasks - f->step_ms / 1000.0 / tasks;

    printf("| %d | %d | %.1f s | %.1f | %.0f ms | %.0f ms | %.1f ms | %.1f / %.1f / %.1f / %.0f ms | "
           "%.0f ms | %.2f s |\n",
           f->jobs, f->tasks, f->wall_s, f->tasks / f->wall_s * 60.0, step, step - model, model,
           f->capture_ms / n, f->encode_ms / n, f->exec_ms / n, f->settle_ms / n, f->worst_step_ms,
           fixed);
}

/* "1,2,4,8" -> up to 8 numbers; 0 when malformed. */
static int parse_jobs(const char *p, int *jobs)
{
    int n = 0;

    while (*p && n < 8) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 256 || (*end != ',' && *end != '\0'))
            return 0;
        jobs[n++] = (int)v;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

int main(int argc, char **argv)
{
    int tasks = 16, steps = 5, jobs[8] = {1, 2, 4, 8}, job_count = 4, port = 0;
    char dir[] = "/tmp/xtars-bench-batch-XXXXXX", list[600], endpoint[64], command[700];
    pid_t server;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tasks") == 0)
            tasks = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--jobs") == 0)
            job_count = parse_jobs(argv[i + 1], jobs);
    }
    if (tasks < 1 || steps < 1 || job_count < 1 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "usage: bench_batch [--tasks M] [--steps S] [--jobs 1,2,4,8]\n");
        return 2;
    }
    setenv("no_proxy", "127.0.0.1", 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
    server = start_server(dir, &port);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1", port);
    snprintf(list, sizeof list, "%s/tasks.jsonl", dir);
    write_tasks(list, tasks, steps);
    printf("xtars batch: %d tasks of %d steps each (1280x800 Xvfb, xclient, zero-latency scripted "
           "model), %ld CPUs online\n\n", tasks, steps, sysconf(_SC_NPROCESSORS_ONLN));
    printf("| N | tasks | wall | tasks/min | per step | not model | model round trip | capture / "
           "encode / exec / settle | worst step | per task outside steps |\n");
    printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < job_count; i++) {
        struct figures f = measure(dir, endpoint, list, jobs[i]);
        print_row(&f);
        fflush(stdout);
    }
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (getenv("XTARS_KEEP_TMP") == NULL && system(command) != 0)
        fprintf(stderr, "bench_batch: could not remove %s\n", dir);
    return 0;
}
