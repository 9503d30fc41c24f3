/* Whole batches: `xtars batch` runs tasks as `xtars run` / `xtars task`
 * children, each on its own private Xvfb, against the scripted model server
 * (one reply for every request: click at (300,200) then finished(), so the
 * order in which tasks ask does not matter). Checked: each task's recorded
 * input events and trajectory, no cross-talk between displays, one model
 * connection per task, resumption after the batch is killed or interrupted,
 * shards covering every task once, merging, the request limit, and the
 * Kubernetes entrypoint under the environment a pod gets. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xtars/buf.h"

#define CLICK_REPLY "Thought: the button\\nAction: click(start_box='(300,200)')\\n\\nfinished(content='clicked')"
#define SCRIPT(extra) "[{\"reply\": \"" CLICK_REPLY "\"" extra ", \"repeat\": 1000}]"
#define ENTRYPOINT XT_SOURCE_DIR "/examples/kubernetes/entrypoint.sh"

static const char *tmp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A path in the test's scratch directory. Each call gets its own slot, so
 * paths can be kept for the whole test. */
static const char *tmp(const char *fmt, ...)
{
    static char pool[512][800];
    static int used;
    char name[400];
    va_list ap;

    if (used == 512)
        FAIL("tmp(): out of slots");
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    snprintf(pool[used], sizeof pool[0], "%s/%s", xt_tmpdir(), name);
    return pool[used++];
}

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

    if (xtars_buf_read_file(&b, path, 1 << 24, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Every line of a JSON-lines file, parsed; a line that does not parse fails. */
static cJSON *read_lines(const char *path)
{
    char *text = slurp(path), *save = NULL;
    cJSON *list = cJSON_CreateArray();

    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *item = cJSON_Parse(line);
        if (item == NULL)
            FAIL("%s: a line is not JSON: %.200s", path, line);
        cJSON_AddItemToArray(list, item);
    }
    free(text);
    return list;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(item))
        FAIL("no string '%s'", key);
    return item->valuestring;
}

static int num(const cJSON *o, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsNumber(item))
        FAIL("no number '%s'", key);
    return item->valueint;
}

/* The last results line for id (later lines are later attempts). */
static const cJSON *result_of(const cJSON *results, const char *id)
{
    const cJSON *item, *found = NULL;

    cJSON_ArrayForEach(item, results)
        if (strcmp(str(item, "id"), id) == 0)
            found = item;
    return found;
}

static int lines_for(const cJSON *results, const char *id)
{
    const cJSON *item;
    int n = 0;

    cJSON_ArrayForEach(item, results)
        n += strcmp(str(item, "id"), id) == 0;
    return n;
}

static struct xt_result batch(const char *endpoint, const char *jobs, const char *out,
                              const char *list, const char *extra)
{
    return xt_run((const char *const[]){"@xtars", "batch", "-j", jobs, "--out", out, "--endpoint",
                                        endpoint, "--set", extra ? extra : "retries=0", list, NULL},
                  NULL, NULL);
}

/* No process of ours still names this directory on its command line. */
static int processes_using(const char *needle)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    int count = 0;

    ASSERT(proc != NULL);
    while ((e = readdir(proc)) != NULL) {
        char path[300], cmd[4096];
        ssize_t n;
        int fd;
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        if ((fd = open(path, O_RDONLY)) < 0)
            continue;
        n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        for (ssize_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[n > 0 ? n : 0] = '\0';
        count += strstr(cmd, needle) != NULL;
    }
    closedir(proc);
    return count;
}

static void wait_until_gone(const char *needle)
{
    for (int i = 0; i < 600 && processes_using(needle) > 0; i++)
        usleep(50000);
    ASSERT_EQ(processes_using(needle), 0);
}

static void quiet_proxies(void)
{
    setenv("no_proxy", "127.0.0.1", 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
}

/* ---- six tasks, three at once ---- */

struct expect {
    const char *screen;
    int width, height;
    int screen_x, screen_y;     /* where (300,200) lands, worked out below */
    int win_x, win_y;           /* the recorder's window position */
};

/* uitars-1.5 maps (300,200) through smart_resize (multiples of 28):
 *   800x600 -> 812x588: x = floor(300 * 800 / 812) = 295, y = floor(200 * 600 / 588) = 204
 *   840x560 -> 840x560 (already multiples of 28): (300, 200)
 *   640x480 -> 644x476: x = floor(300 * 640 / 644) = 298, y = floor(200 * 480 / 476) = 201
 * Each task's recorder sits at its own offset, so each sees its own click at
 * its own window coordinates. */
static const struct expect six[6] = {
    {"800x600", 800, 600, 295, 204, 0, 0},   {"840x560", 840, 560, 300, 200, 10, 5},
    {"800x600", 800, 600, 295, 204, 20, 10}, {"840x560", 840, 560, 300, 200, 30, 15},
    {"800x600", 800, 600, 295, 204, 40, 20}, {"640x480", 640, 480, 298, 201, 50, 25},
};

static void write_six(const char *list)
{
    struct xtars_buf b;
    char task[3000];

    xtars_buf_init(&b, 1 << 20);
    /* The recorder starts a moment after the agent's first look, so the agent
     * sees it appear and does not wait out its start-up allowance. */
    for (int k = 0; k < 5; k++)
        xtars_buf_printf(&b, "{\"id\": \"t%d\", \"instruction\": \"Click the button\", \"screen\": "
                         "\"%s\", \"launch\": \"sleep 0.3; exec %s --geometry 400x300+%d+%d --out "
                         "%s\", \"max_steps\": 3}\n", k, six[k].screen, XT_XCLIENT_PATH,
                         six[k].win_x, six[k].win_y, tmp("events-%d.jsonl", k));
    /* The sixth is a task file: setup waits for the recorder, a check reads its events. */
    snprintf(task, sizeof task,
             "{\"name\": \"click\", \"screen\": \"%s\",\n"
             " \"setup\": [{\"launch\": \"%s --geometry 400x300+%d+%d --out %s\", \"wait_for\": \"ready\"}],\n"
             " \"steps\": [{\"instruction\": \"Click the button\", \"max_steps\": 3},\n"
             "           {\"check\": \"for i in $(seq 100); do grep -q button_release %s && exit 0; sleep 0.05; done; exit 1\"}]}\n",
             six[5].screen, XT_XCLIENT_PATH, six[5].win_x, six[5].win_y, tmp("events-5.jsonl"),
             tmp("events-5.jsonl"));
    write_text(tmp("click-task.json"), task);
    xtars_buf_puts(&b, "{\"id\": \"t5\", \"task_file\": \"click-task.json\"}\n");
    write_text(list, b.data);
    xtars_buf_cleanup(&b);
}

static void check_events(int k)
{
    cJSON *events = read_lines(tmp("events-%d.jsonl", k)), *e;
    int presses = 0, releases = 0;

    cJSON_ArrayForEach(e, events) {
        const char *type = str(e, "type");
        if (strcmp(type, "button_press") != 0 && strcmp(type, "button_release") != 0)
            continue;
        presses += strcmp(type, "button_press") == 0;
        releases += strcmp(type, "button_release") == 0;
        ASSERT_EQ(num(e, "button"), 1);
        ASSERT_EQ(num(e, "x"), six[k].screen_x - six[k].win_x);
        ASSERT_EQ(num(e, "y"), six[k].screen_y - six[k].win_y);
    }
    /* Exactly one click each: none missing, none from another task's agent. */
    ASSERT_EQ(presses, 1);
    ASSERT_EQ(releases, 1);
    cJSON_Delete(events);
}

static void check_trajectory(const char *out, const cJSON *r, int k)
{
    char path[1200];
    cJSON *run, *steps, *action;
    char *text;

    snprintf(path, sizeof path, "%s/%s/run.json", out, str(r, "trajectory"));
    text = slurp(path);
    run = cJSON_Parse(text);
    free(text);
    ASSERT(run != NULL);
    ASSERT_STR_EQ(str(run, "status"), "finished");
    ASSERT_STR_EQ(str(run, "source"), k == 5 ? "task" : "run");
    ASSERT_EQ(num(cJSON_GetObjectItem(run, "screen"), "width"), six[k].width);
    ASSERT_EQ(num(cJSON_GetObjectItem(run, "screen"), "height"), six[k].height);
    cJSON_Delete(run);
    snprintf(path, sizeof path, "%s/%s/steps.jsonl", out, str(r, "trajectory"));
    steps = read_lines(path);
    /* run: the click step; task: that step and the check. */
    ASSERT_EQ(cJSON_GetArraySize(steps), k == 5 ? 2 : 1);
    action = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "actions"), 0);
    ASSERT_STR_EQ(str(action, "type"), "click");
    ASSERT_EQ(num(action, "x"), six[k].screen_x);
    ASSERT_EQ(num(action, "y"), six[k].screen_y);
    cJSON_Delete(steps);
    snprintf(path, sizeof path, "%s/%s", out, str(r, "report"));
    ASSERT(exists(path));
    snprintf(path, sizeof path, "%s/%s", out, str(r, "log"));
    ASSERT(exists(path));
}

TEST(six_tasks_three_at_once_each_on_its_own_display)
{
    const char *list = tmp("six.jsonl"), *out = tmp("out");
    struct xt_mserver s;
    struct xt_result r;
    cJSON *results, *requests, *req;
    int connections[64] = {0};
    char *index;

    quiet_proxies();
    write_six(list);
    xt_mserver_start(&s, SCRIPT(""), NULL);
    r = batch(s.endpoint, "3", out, list, NULL);
    if (r.status != 0)
        FAIL("batch exited %d:\n%s", r.status, r.err);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 6, \"passed\": 6, \"failed\": 0, \"not_completed\": 0, "
                         "\"run\": 6, \"exit_code\": 0}\n");
    ASSERT_STR_CONTAINS(r.err, "batch: [6/6] PASS ");
    xt_result_free(&r);
    results = read_lines(tmp("out/results.jsonl"));
    ASSERT_EQ(cJSON_GetArraySize(results), 6);
    for (int k = 0; k < 6; k++) {
        char id[8];
        const cJSON *res;
        snprintf(id, sizeof id, "t%d", k);
        res = result_of(results, id);
        ASSERT(res != NULL);
        ASSERT_STR_EQ(str(res, "status"), "finished");
        ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(res, "passed")));
        ASSERT_EQ(num(res, "exit_code"), 0);
        ASSERT_EQ(num(res, "index"), k);
        ASSERT_EQ(num(res, "line"), k + 1);
        ASSERT_EQ(num(res, "steps"), k == 5 ? 2 : 1);
        ASSERT(strncmp(str(res, "trajectory"), "tasks/", 6) == 0);
        check_events(k);
        check_trajectory(out, res, k);
    }
    /* Six model requests (one step each), on six different connections. */
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 6);
    cJSON_ArrayForEach(req, requests) {
        int c = num(req, "connection");
        ASSERT(c >= 0 && c < 64);
        ASSERT_EQ(connections[c], 0);
        connections[c] = 1;
    }
    cJSON_Delete(requests);
    index = slurp(tmp("out/index.html"));
    for (int k = 0; k < 6; k++) {
        char id[8], link[200];
        snprintf(id, sizeof id, "t%d", k);
        snprintf(link, sizeof link, "<a href=\"%s\">report</a>", str(result_of(results, id), "report"));
        ASSERT_STR_CONTAINS(index, link);
    }
    ASSERT_STR_CONTAINS(index, "6 passed");
    free(index);
    cJSON_Delete(results);
    /* Nothing left running: no agent, no recorder. */
    wait_until_gone(out);
    wait_until_gone(tmp("events-"));
    xt_mserver_stop(&s);
}

/* ---- resumption ---- */

static void write_plain(const char *list, int count, const char *screen)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 20);
    for (int i = 1; i <= count; i++)
        xtars_buf_printf(&b, "{\"id\": \"t%d\", \"instruction\": \"Click\", \"screen\": \"%s\"}\n", i,
                         screen);
    write_text(list, b.data);
    xtars_buf_cleanup(&b);
}

static pid_t start_batch(const char *endpoint, const char *out, const char *list)
{
    pid_t pid = fork();

    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(getenv("XTARS_BIN"), "xtars", "batch", "-j", "2", "--out", out, "--endpoint", endpoint,
              "--set", "retries=0", list, (char *)NULL);
        _exit(127);
    }
    ASSERT(pid > 0);
    return pid;
}

static int count_lines(const char *path)
{
    int n = 0;
    char *text;

    if (!exists(path))
        return 0;
    text = slurp(path);
    for (char *c = text; *c; c++)
        n += *c == '\n';
    free(text);
    return n;
}

TEST(resumes_after_the_batch_is_killed)
{
    const char *list = tmp("six.jsonl"), *out = tmp("killed"), *results_path = tmp("killed/results.jsonl");
    struct xt_mserver s;
    struct xt_result r;
    cJSON *before, *after;
    int status, done_before;
    pid_t pid;

    quiet_proxies();
    write_plain(list, 6, "640x480");
    xt_mserver_start(&s, SCRIPT(", \"delay_ms\": 700"), NULL);
    pid = start_batch(s.endpoint, out, list);
    for (int i = 0; i < 1200 && count_lines(results_path) < 2; i++)
        usleep(25000);
    ASSERT_GE(count_lines(results_path), 2);
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    /* Its tasks get SIGTERM from the kernel (PR_SET_PDEATHSIG) and stop. */
    wait_until_gone(out);
    before = read_lines(results_path);
    done_before = cJSON_GetArraySize(before);
    ASSERT_GE(done_before, 2);
    ASSERT_LT(done_before, 6);
    r = batch(s.endpoint, "2", out, list, NULL);
    if (r.status != 0)
        FAIL("resumed batch exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "with a final result");
    xt_result_free(&r);
    after = read_lines(results_path);
    ASSERT_EQ(cJSON_GetArraySize(after), 6);
    for (int i = 1; i <= 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "t%d", i);
        ASSERT_STR_EQ(str(result_of(after, id), "status"), "finished");
        ASSERT_EQ(lines_for(after, id), 1);
        /* Tasks done before the kill were not run again; tasks cut off were,
         * with their first attempt kept aside. That attempt stopped in order
         * (SIGTERM), so its run.json, if it got that far, is not "running". */
        if (result_of(before, id)) {
            ASSERT(!exists(tmp("killed/tasks/%s~1", id)));
        } else if (exists(tmp("killed/tasks/%s~1/trajectory/run.json", id))) {
            char *run = slurp(tmp("killed/tasks/%s~1/trajectory/run.json", id));
            ASSERT(strstr(run, "\"status\": \"running\"") == NULL);
            ASSERT_STR_CONTAINS(run, "\"status\": \"");
            free(run);
        }
    }
    cJSON_Delete(before);
    cJSON_Delete(after);
    xt_mserver_stop(&s);
}

TEST(ctrl_c_stops_the_tasks_and_records_them)
{
    const char *list = tmp("four.jsonl"), *out = tmp("int");
    struct xt_mserver s;
    struct xt_result r;
    cJSON *results;
    int status;
    pid_t pid;

    quiet_proxies();
    write_plain(list, 4, "640x480");
    /* Replies slow enough that the first two tasks are mid-request when told to stop. */
    xt_mserver_start(&s, SCRIPT(", \"delay_ms\": 3000"), NULL);
    pid = start_batch(s.endpoint, out, list);
    /* Complete lines only: the server may be writing the next one. */
    for (int i = 0; i < 800 && count_lines(s.log) < 2; i++)
        usleep(25000);
    kill(pid, SIGINT);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 4);
    results = read_lines(tmp("int/results.jsonl"));
    ASSERT_EQ(cJSON_GetArraySize(results), 2);
    ASSERT_STR_EQ(str(result_of(results, "t1"), "status"), "stopped");
    ASSERT_STR_EQ(str(result_of(results, "t2"), "status"), "stopped");
    ASSERT_EQ(num(result_of(results, "t1"), "exit_code"), 4);
    ASSERT(!exists(tmp("int/tasks/t3")));
    cJSON_Delete(results);
    wait_until_gone(out);
    xt_mserver_stop(&s);
    /* Stopped tasks are not final: the next run does them and the rest. */
    xt_mserver_start(&s, SCRIPT(""), NULL);
    r = batch(s.endpoint, "2", out, list, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 4, \"passed\": 4, \"failed\": 0, \"not_completed\": 0, "
                         "\"run\": 4, \"exit_code\": 0}\n");
    xt_result_free(&r);
    xt_mserver_stop(&s);
}

/* ---- shards and merge ---- */

static void shard_ids(const char *dir, char *out, size_t size)
{
    cJSON *results = read_lines(dir), *item;
    size_t used = 0;

    out[0] = '\0';
    /* In list order: results.jsonl is in completion order, so sort by index. */
    for (int want = 0; want < 100; want++)
        cJSON_ArrayForEach(item, results)
            if (num(item, "index") == want)
                used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                                         str(item, "id"));
    cJSON_Delete(results);
}

TEST(shards_cover_every_task_once_and_merge)
{
    const char *list = tmp("seven.jsonl");
    const char *want[3] = {"t1 t4 t7", "t2 t5", "t3 t6"}; /* position k goes to shard k % 3 */
    struct xt_mserver s;
    struct xt_result r;
    cJSON *merged;
    char ids[200], shard[8];

    quiet_proxies();
    write_plain(list, 7, "640x480");
    xt_mserver_start(&s, SCRIPT(""), NULL);
    for (int i = 0; i < 3; i++) {
        snprintf(shard, sizeof shard, "%d/3", i);
        r = xt_run((const char *const[]){"@xtars", "batch", "-j", "2", "--shard", shard, "--out",
                                          tmp("r/shard-%d", i), "--endpoint", s.endpoint, list, NULL},
                   NULL, NULL);
        if (r.status != 0)
            FAIL("shard %s exited %d:\n%s", shard, r.status, r.err);
        xt_result_free(&r);
        shard_ids(tmp("r/shard-%d/results.jsonl", i), ids, sizeof ids);
        ASSERT_STR_EQ(ids, want[i]);
    }
    /* Merge the three: every task once, in list order, links that resolve. */
    r = xt_run((const char *const[]){"@xtars", "batch", "--merge", "--out", tmp("r/merged"), "--tasks",
                                      list, tmp("r/shard-0"), tmp("r/shard-1"), tmp("r/shard-2"), NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 7, \"passed\": 7, \"not_passed\": 0, \"missing\": 0, "
                         "\"exit_code\": 0}\n");
    xt_result_free(&r);
    merged = read_lines(tmp("r/merged/results.jsonl"));
    ASSERT_EQ(cJSON_GetArraySize(merged), 7);
    for (int k = 0; k < 7; k++) {
        const cJSON *item = cJSON_GetArrayItem(merged, k);
        char id[8], report[120];
        snprintf(id, sizeof id, "t%d", k + 1);
        ASSERT_STR_EQ(str(item, "id"), id);
        ASSERT_STR_EQ(str(item, "shard"), k % 3 == 0 ? "0/3" : k % 3 == 1 ? "1/3" : "2/3");
        snprintf(report, sizeof report, "../shard-%d/tasks/%s/trajectory/report.html", k % 3, id);
        ASSERT_STR_EQ(str(item, "report"), report);
        ASSERT(exists(tmp("r/merged/%s", report)));
    }
    cJSON_Delete(merged);
    /* Without shard 2, its tasks are reported missing and the merge says so. */
    r = xt_run((const char *const[]){"@xtars", "batch", "--merge", "--out", tmp("r/partial"), "--tasks",
                                      list, tmp("r/shard-0"), tmp("r/shard-1"), NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.out, "\"missing\": 2");
    xt_result_free(&r);
    xt_mserver_stop(&s);
}

/* ---- the request limit ---- */

TEST(max_inflight_requests_one_serialises_the_model_requests)
{
    const char *list = tmp("three.jsonl");
    const char *env[] = {NULL, NULL};
    char tmpdir_env[700];
    struct xt_mserver s;
    struct xt_result r;
    cJSON *requests;
    int previous = -1;
    DIR *d;
    struct dirent *e;

    quiet_proxies();
    write_plain(list, 3, "640x480");
    mkdir(tmp("slots"), 0755);
    snprintf(tmpdir_env, sizeof tmpdir_env, "TMPDIR=%s", tmp("slots"));
    env[0] = tmpdir_env;
    xt_mserver_start(&s, SCRIPT(", \"delay_ms\": 400"), NULL);
    r = xt_run((const char *const[]){"@xtars", "batch", "-j", "3", "--out", tmp("lim"), "--endpoint",
                                      s.endpoint, "--set", "max_inflight_requests=1", "--no-report",
                                      list, NULL},
               env, NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    /* --no-report reached the tasks: trajectories without report.html. */
    ASSERT(exists(tmp("lim/tasks/t1/trajectory/run.json")));
    ASSERT(!exists(tmp("lim/tasks/t1/trajectory/report.html")));
    /* Each reply takes 400 ms; with one slot, a request can only arrive after
     * the previous reply was sent. */
    requests = xt_mserver_requests(&s);
    ASSERT_EQ(cJSON_GetArraySize(requests), 3);
    for (int i = 0; i < 3; i++) {
        int t = num(cJSON_GetArrayItem(requests, i), "t_ms");
        if (previous >= 0)
            ASSERT_GE(t - previous, 399);
        previous = t;
    }
    cJSON_Delete(requests);
    /* The slot directory is gone with the batch. */
    d = opendir(tmp("slots"));
    ASSERT(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "xtars-inflight-", 15) == 0)
            FAIL("left behind: %s", e->d_name);
    closedir(d);
    xt_mserver_stop(&s);
}

/* ---- a task cache for the whole batch ---- */

static int requests_made(const struct xt_mserver *s)
{
    cJSON *list = xt_mserver_requests(s);
    int n = cJSON_GetArraySize(list);

    cJSON_Delete(list);
    return n;
}

static struct xt_result cached_batch(const struct xt_mserver *s, const char *out, const char *mode)
{
    return xt_run((const char *const[]){"@xtars", "batch", "-j", "2", "--out", out, "--endpoint",
                                        s->endpoint, "--set", "retries=0", "--cache", tmp("cache"),
                                        mode ? "--cache-mode" : "--", mode ? mode : tmp("cached.jsonl"),
                                        mode ? tmp("cached.jsonl") : NULL, NULL},
                  NULL, NULL);
}

/* --cache reaches every task file (as `xtars task --cache`), and --cache-mode
 * with it; the instruction line runs as `xtars run`, which has no cache (it
 * would refuse the option) and asks the model every time. */
TEST(cache_reaches_every_task_file_and_not_the_instructions)
{
    struct xt_mserver s;
    struct xt_result r;
    char *log;
    int entries = 0;
    DIR *d;
    struct dirent *e;

    quiet_proxies();
    write_text(tmp("cached-task.json"),
               "{\"name\": \"cached\", \"screen\": \"640x480\", "
               "\"steps\": [{\"instruction\": \"Click the button\", \"max_steps\": 3}]}\n");
    write_text(tmp("cached.jsonl"), "{\"id\": \"c1\", \"task_file\": \"cached-task.json\"}\n"
                                    "{\"id\": \"i1\", \"instruction\": \"Click\", \"screen\": \"640x480\"}\n");
    xt_mserver_start(&s, SCRIPT(""), NULL);
    /* First run: both ask the model; the task file's passing steps fill the cache. */
    r = cached_batch(&s, tmp("cached-1"), NULL);
    if (r.status != 0)
        FAIL("batch exited %d:\n%s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.err, "batch: --cache is for task files; 1 instruction task runs without it");
    xt_result_free(&r);
    ASSERT_EQ(requests_made(&s), 2);
    d = opendir(tmp("cache"));
    ASSERT(d != NULL);
    while ((e = readdir(d)) != NULL)
        entries += strncmp(e->d_name, "s001-instruction-", 17) == 0;
    closedir(d);
    ASSERT_EQ(entries, 1);
    /* Second run: the task file replays from the cache; only the instruction asks. */
    r = cached_batch(&s, tmp("cached-2"), NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    ASSERT_EQ(requests_made(&s), 3);
    log = slurp(tmp("cached-2/tasks/c1/log.txt"));
    ASSERT_STR_CONTAINS(log, "cache: 1 step");
    free(log);
    /* --cache-mode refresh reaches the task too: it ignores the entry and asks. */
    r = cached_batch(&s, tmp("cached-3"), "refresh");
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    ASSERT_EQ(requests_made(&s), 5);
    xt_mserver_stop(&s);
}

/* ---- the Kubernetes entrypoint, as a pod runs it ---- */

static struct xt_result pod(int index, const char *endpoint, const char *strict)
{
    static char env[9][800];
    const char *envp[10];
    int n = 0;

    snprintf(env[n++], sizeof env[0], "JOB_COMPLETION_INDEX=%d", index);
    snprintf(env[n++], sizeof env[0], "XTARS_SHARD_COUNT=2");
    snprintf(env[n++], sizeof env[0], "XTARS_TASKS=%s", tmp("pod-tasks.jsonl"));
    snprintf(env[n++], sizeof env[0], "XTARS_RESULTS=%s", tmp("volume"));
    snprintf(env[n++], sizeof env[0], "XTARS_JOBS=2");
    snprintf(env[n++], sizeof env[0], "XTARS_BIN=%s", getenv("XTARS_BIN"));
    snprintf(env[n++], sizeof env[0], "XTARS_ENDPOINT=%s", endpoint);
    snprintf(env[n++], sizeof env[0], "XTARS_RETRIES=0");
    snprintf(env[n++], sizeof env[0], "XTARS_STRICT=%s", strict);
    for (int i = 0; i < n; i++)
        envp[i] = env[i];
    envp[n] = NULL;
    return xt_run((const char *const[]){"/bin/sh", ENTRYPOINT, NULL}, envp, NULL);
}

TEST(entrypoint_runs_one_pods_shard)
{
    struct xt_mserver s;
    struct xt_result r;
    char ids[200];

    quiet_proxies();
    /* Shard 1 of 2 gets positions 1 and 3: p2 passes, p4's check fails. */
    write_text(tmp("fails.json"), "{\"name\": \"fails\", \"screen\": \"640x480\", \"steps\": "
                                  "[{\"instruction\": \"Click\"}, {\"check\": \"false\"}]}");
    write_text(tmp("pod-tasks.jsonl"),
               "{\"id\": \"p1\", \"instruction\": \"Click\", \"screen\": \"640x480\"}\n"
               "{\"id\": \"p2\", \"instruction\": \"Click\", \"screen\": \"640x480\"}\n"
               "{\"id\": \"p3\", \"instruction\": \"Click\", \"screen\": \"640x480\"}\n"
               "{\"id\": \"p4\", \"task_file\": \"fails.json\"}\n");
    xt_mserver_start(&s, SCRIPT(""), NULL);
    r = pod(1, s.endpoint, "0");
    /* A task that failed its check is an outcome: the pod succeeds. */
    if (r.status != 0)
        FAIL("entrypoint exited %d:\n%s", r.status, r.err);
    ASSERT_STR_EQ(r.out, "{\"tasks\": 2, \"passed\": 1, \"failed\": 1, \"not_completed\": 0, "
                         "\"run\": 2, \"exit_code\": 4}\n");
    ASSERT_STR_CONTAINS(r.err, "some tasks did not pass");
    xt_result_free(&r);
    shard_ids(tmp("volume/shard-1/results.jsonl"), ids, sizeof ids);
    ASSERT_STR_EQ(ids, "p2 p4");
    ASSERT(!exists(tmp("volume/shard-0")));
    /* The pod restarted (strict this time): the shard resumes, nothing runs
     * again, and the failure now fails the pod. */
    r = pod(1, s.endpoint, "1");
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.out, "\"run\": 0");
    xt_result_free(&r);
    ASSERT_EQ(count_lines(tmp("volume/shard-1/results.jsonl")), 2);
    xt_mserver_stop(&s);
}
