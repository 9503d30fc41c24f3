/* Fault injection, end to end: the real xtars binary against a scripted
 * model server that misbehaves, an X server that dies or lacks what xtars
 * likes, an output directory that cannot be written or fills up, and signals
 * at random points of the loop. Every case checks the same four promises:
 *   - a clear one-line error (and no other noise on stderr),
 *   - the documented exit code,
 *   - a trajectory that loads without a warning, up to the last complete step,
 *   - nothing left behind: no process of xtars's (this process is their
 *     subreaper, so orphans would come to it) and no key or button held. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/record/traj_file.h"
#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xclient_ctl.h"
#include "xfixture.h"
#include "xtars/buf.h"
#include "xtars/trajectory.h"
#include "agent/run/xvfb.h"

#define INSTRUCTION "Use the test window"

/* ---- running xtars ---- */

static const char *tdir(const char *name)
{
    static char path[8][700];
    static int next;
    char *p = path[next++ % 8];

    snprintf(p, sizeof path[0], "%s/%s", xt_tmpdir(), name);
    return p;
}

/* Our children right now (pids), to tell orphans from the test's own. */
static int list_children(pid_t *out, int max)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    int n = 0;

    ASSERT(proc != NULL);
    while ((e = readdir(proc)) != NULL && n < max) {
        char path[300], stat[512], *close_paren;
        int ppid = 0;
        FILE *f;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        if (fgets(stat, sizeof stat, f) && (close_paren = strrchr(stat, ')')) != NULL &&
            sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
            out[n++] = (pid_t)atoi(e->d_name);
        fclose(f);
    }
    closedir(proc);
    return n;
}

static pid_t before[64];
static int before_count;

static void note_children(void)
{
    /* Orphans of xtars (a launched app, an Xvfb) are re-parented to us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    before_count = list_children(before, 64);
}

/* Every process xtars started is gone: none was re-parented to us. */
static void check_no_leftovers(void)
{
    pid_t now[64];
    int n = list_children(now, 64);

    for (int i = 0; i < n; i++) {
        int known = 0;
        char path[64], comm[64] = "?";
        FILE *f;

        for (int k = 0; k < before_count; k++)
            known |= now[i] == before[k];
        if (known)
            continue;
        snprintf(path, sizeof path, "/proc/%d/comm", (int)now[i]);
        if ((f = fopen(path, "r")) != NULL) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        kill(now[i], SIGKILL);
        FAIL("xtars left process %d (%s) running", (int)now[i], comm);
    }
}

/* xtars run with the usual test settings, the server's endpoint, then
 * `extra` (NULL-terminated, may be NULL), then the instruction; `wrapper`
 * (may be NULL) is a command line to run it under. */
static struct xt_result run_wrapped(const char *const *wrapper, const char *endpoint,
                                    const char *dir, const char *const *extra)
{
    const char *argv[64];
    char endpoint_set[160];
    int n = 0;

    note_children();
    for (int i = 0; wrapper && wrapper[i]; i++)
        argv[n++] = wrapper[i];
    snprintf(endpoint_set, sizeof endpoint_set, "endpoint=%s", endpoint);
    for (const char *const *a = (const char *const[]){"@xtars", "run", "--quiet", "--no-report",
                                                       "--out", dir, "--set", endpoint_set,
                                                       "--set", "family=pixels", "--set",
                                                       "policy=none", "--set", "retries=0",
                                                       "--set", "settle_timeout_ms=200", NULL};
         *a; a++)
        argv[n++] = *a;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = INSTRUCTION;
    argv[n] = NULL;
    return xt_run(argv, NULL, NULL);
}

static struct xt_result run_xtars(const char *endpoint, const char *dir, const char *const *extra,
                                  const char *const *env)
{
    (void)env;
    return run_wrapped(NULL, endpoint, dir, extra);
}

/* stderr holds exactly one error line, containing `expected`; the only
 * other line allowed is the trajectory's path. */
static void check_one_error_line(const char *err, const char *expected)
{
    char *copy = strdup(err), *line, *save = NULL;
    int errors = 0;

    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "xtars: trajectory: ", 19) == 0)
            continue;
        if (strncmp(line, "xtars: error: ", 14) != 0 && strncmp(line, "xtars run: ", 11) != 0)
            FAIL("unexpected line on stderr: %s\n(all of it: %s)", line, err);
        errors++;
        ASSERT_STR_CONTAINS(line, expected);
    }
    if (errors != 1)
        FAIL("expected one error line, got %d:\n%s", errors, err);
    free(copy);
}

/* The trajectory loads without a warning, with `steps` complete steps and
 * the final status written. */
static void check_trajectory(const char *dir, int steps, const char *status)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];

    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("trajectory %s: %s", dir, err);
    if (run.warning[0])
        FAIL("trajectory %s: %s", dir, run.warning);
    ASSERT_EQ(run.step_count, steps);
    ASSERT_STR_EQ(run.status, status);
    ASSERT(run.ended_at != NULL);
    for (int i = 0; i < run.step_count; i++)
        ASSERT_EQ(run.steps[i].step, i + 1);
    xtars_traj_run_cleanup(&run);
}

/* No key and no mouse button is down on the display. */
static void check_nothing_held(void)
{
    Display *dpy = XOpenDisplay(NULL);
    char keys[32];
    Window root, child;
    int rx, ry, wx, wy;
    unsigned mask = 0;

    ASSERT(dpy != NULL);
    XQueryKeymap(dpy, keys);
    for (int i = 0; i < 32; i++)
        if (keys[i])
            FAIL("keys still down on the display (keymap byte %d = 0x%02x)", i, keys[i] & 0xff);
    XQueryPointer(dpy, DefaultRootWindow(dpy), &root, &child, &rx, &ry, &wx, &wy, &mask);
    ASSERT_EQ(mask & (Button1Mask | Button2Mask | Button3Mask | Button4Mask | Button5Mask), 0);
    XCloseDisplay(dpy);
}

static int request_count(const struct xt_mserver *s)
{
    cJSON *requests = xt_mserver_requests(s);
    int n = cJSON_GetArraySize(requests);

    cJSON_Delete(requests);
    return n;
}

/* One model-server fault: the script, extra options, what the error line
 * says, the exit code, the steps recorded and the status. */
static void model_fault(const char *script, const char *const *extra, const char *expected,
                        int exit_code, int steps, const char *status)
{
    struct xt_mserver server;
    struct xt_result r;
    const char *dir = tdir("traj");

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, script, NULL);
    r = run_xtars(server.endpoint, dir, extra, NULL);
    ASSERT_EQ(r.status, exit_code);
    check_one_error_line(r.err, expected);
    check_trajectory(dir, steps, status);
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* ---- the model server misbehaves ---- */

TEST(connection_refused)
{
    struct xt_result r;
    char endpoint[64];

    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1", xt_free_port());
    xt_x_start(320, 240, NULL);
    r = run_xtars(endpoint, tdir("traj"), NULL, NULL);
    ASSERT_EQ(r.status, 3);
    check_one_error_line(r.err, "model_error after 1 step: model: cannot connect to "
                                "http://127.0.0.1:");
    ASSERT_STR_CONTAINS(r.err, "connection refused (is the server running?)");
    check_trajectory(tdir("traj"), 1, "model_error");
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
}

TEST(connection_dropped_without_a_reply)
{
    model_fault("[{\"drop\": true}]", NULL, "model_error after 1 step: model: http://127.0.0.1:", 3,
                1, "model_error");
}

/* The server announces the full length, sends half, and closes: a reset in
 * the middle of the body. The first step's reply came through whole. */
TEST(reply_cut_mid_body)
{
    model_fault("[\"Action: click(start_box='(10,10)')\","
                " {\"reply\": \"Action: finished(content='never seen')\", \"truncate\": true}]",
                NULL, "model_error after 2 steps: model: the reply from http://127.0.0.1:", 3, 2,
                "model_error");
}

TEST(server_stalls_past_the_timeout)
{
    model_fault("[{\"reply\": \"Action: finished()\", \"delay_ms\": 5000}]",
                (const char *const[]){"--set", "timeout_ms=400", NULL},
                "model: total timeout: no complete reply from http://127.0.0.1:", 3, 1,
                "model_error");
}

/* 429s with Retry-After: 0 and 500s: retried, then given up, naming the count. */
TEST(rate_limit_storm_gives_up_after_the_retries)
{
    model_fault("[{\"status\": 429, \"retry_after\": 0, \"repeat\": 50}]",
                (const char *const[]){"--set", "retries=4", NULL},
                "/v1/chat/completions: scripted error (after 5 attempts)", 3, 1,
                "model_error");
}

TEST(server_error_storm_gives_up_after_the_retries)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[{\"status\": 500, \"retry_after\": 0, \"repeat\": 50}]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"), (const char *const[]){"--set", "retries=3", NULL},
                  NULL);
    ASSERT_EQ(r.status, 3);
    check_one_error_line(r.err, "scripted error");
    ASSERT_STR_CONTAINS(r.err, "(after 4 attempts)");
    ASSERT_EQ(request_count(&server), 4);
    check_trajectory(tdir("traj"), 1, "model_error");
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* A storm that ends within the retries is survived: the run finishes. */
TEST(storm_that_ends_within_the_retries_is_survived)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[{\"status\": 503, \"retry_after\": 0, \"repeat\": 2},"
                              " {\"status\": 429, \"retry_after\": 0},"
                              " \"Action: click(start_box='(20,20)')\","
                              " {\"status\": 500, \"retry_after\": 0},"
                              " \"Action: finished(content='made it')\"]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"), (const char *const[]){"--set", "retries=3", NULL},
                  NULL);
    if (r.status != 0)
        FAIL("exit %d: %s", r.status, r.err);
    ASSERT_STR_EQ(r.out, "made it\n");
    ASSERT_EQ(request_count(&server), 6);
    check_trajectory(tdir("traj"), 2, "finished");
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* A 400 is not retried, and its body is quoted in the message. */
TEST(bad_request_with_a_body_is_quoted_and_not_retried)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[{\"status\": 400, \"body\": \"{\\\"error\\\": {\\\"message\\\": "
                              "\\\"image too large for this model\\\"}}\", \"repeat\": 5}]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"), (const char *const[]){"--set", "retries=3", NULL},
                  NULL);
    ASSERT_EQ(r.status, 3);
    check_one_error_line(r.err, "model: HTTP 400 from http://127.0.0.1:");
    ASSERT_STR_CONTAINS(r.err, "image too large for this model");
    ASSERT_EQ(request_count(&server), 1);
    check_trajectory(tdir("traj"), 1, "model_error");
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(html_instead_of_json)
{
    model_fault("[{\"non_json\": true}]", NULL, "is not a chat completion: the body is not JSON", 3,
                1, "model_error");
}

TEST(truncated_json_body)
{
    model_fault("[{\"body\": \"{\\\"choices\\\": [{\\\"message\\\": {\\\"content\\\": \\\"Action: fin\"}]",
                NULL, "is not a chat completion: the body is not JSON", 3, 1, "model_error");
}

/* 50 MB of reply: refused at max_response_bytes, not read into memory. */
TEST(fifty_megabyte_reply_is_capped)
{
    model_fault("[{\"oversize_bytes\": 50000000}]", NULL,
                "is larger than max_response_bytes=8388608", 3, 1, "model_error");
}

TEST(empty_choice_list)
{
    model_fault("[{\"body\": \"{\\\"id\\\": \\\"x\\\", \\\"choices\\\": []}\"}]", NULL,
                "is not a chat completion: no 'choices' in the body", 3, 1, "model_error");
}

/* A body of binary garbage, and a reply whose text is garbage. */
TEST(garbage_body)
{
    model_fault("[{\"body\": \"\\u0001\\u00ffGARBAGE\\u00a7\\u001b[31m%s%n\"}]", NULL,
                "is not a chat completion: the body is not JSON", 3, 1, "model_error");
}

TEST(garbage_replies_are_told_to_the_model_then_stop_the_run)
{
    struct xt_mserver server;
    struct xt_result r;
    cJSON *requests;
    char *second;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[{\"reply\": \"%n%s\\u00ff\\ufffd)(\\u001b[2J''\\\\ \\u0000 tail\", "
                              "\"repeat\": 3}]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"),
                  (const char *const[]){"--set", "parse_fail_limit=2", NULL}, NULL);
    ASSERT_EQ(r.status, 4);
    check_one_error_line(r.err, "parse_errors after 3 steps: 3 unusable replies in a row; last: parse: ");
    requests = xt_mserver_requests(&server);
    ASSERT_EQ(cJSON_GetArraySize(requests), 3);
    second = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 1));
    ASSERT_STR_CONTAINS(second, "Your previous reply could not be used (parse: ");
    free(second);
    cJSON_Delete(requests);
    check_trajectory(tdir("traj"), 3, "parse_errors");
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* "Action:" followed by 1,000 clicks: the parser stops at 64, nothing is
 * clicked, the model is told, and the run goes on. */
static char *thousand_actions_script(int copies, const char *then)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 22);
    xtars_buf_puts(&b, "[");
    for (int c = 0; c < copies; c++) {
        xtars_buf_puts(&b, "\"Thought: click everything\\nAction: ");
        for (int i = 0; i < 1000; i++)
            xtars_buf_printf(&b, "click(start_box='(%d,%d)')\\n", 10 + i % 200, 10 + i % 100);
        xtars_buf_puts(&b, "\", ");
    }
    xtars_buf_printf(&b, "%s]", then);
    return xtars_buf_detach(&b, NULL);
}

TEST(thousand_actions_are_refused_and_the_run_goes_on)
{
    struct xt_client client;
    struct xt_mserver server;
    struct xt_result r;
    cJSON *requests, *events;
    char *script = thousand_actions_script(1, "\"Action: finished(content='ok')\""), *second;

    xt_x_start(640, 480, NULL);
    xt_client_start(&client, "300x200+0+0");
    xt_mserver_start(&server, script, NULL);
    r = run_xtars(server.endpoint, tdir("traj"), NULL, NULL);
    if (r.status != 0)
        FAIL("exit %d: %s", r.status, r.err);
    requests = xt_mserver_requests(&server);
    ASSERT_EQ(cJSON_GetArraySize(requests), 2);
    second = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 1));
    ASSERT_STR_CONTAINS(second, "Your previous reply could not be used (parse: more than 64 actions");
    free(second);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 0);
    check_trajectory(tdir("traj"), 2, "finished");
    check_no_leftovers();
    check_nothing_held();
    cJSON_Delete(events);
    cJSON_Delete(requests);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xt_client_stop(&client);
    free(script);
}

TEST(thousand_actions_in_a_row_stop_at_the_parse_fail_limit)
{
    char *script = thousand_actions_script(3, "\"Action: finished(content='never')\"");

    model_fault(script, (const char *const[]){"--set", "parse_fail_limit=1", NULL},
                "parse_errors after 2 steps: 2 unusable replies in a row; last: parse: more than 64 "
                "actions", 4, 2, "parse_errors");
    free(script);
}

/* ---- the X server ---- */

static int log_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;

    if (f == NULL)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Runs xtars in the background with stderr to a file; returns its pid. */
static pid_t start_xtars(const char *endpoint, const char *dir, const char *err_path,
                         const char *const *extra)
{
    const char *argv[64];
    char endpoint_set[160];
    int n = 0;
    pid_t pid;

    snprintf(endpoint_set, sizeof endpoint_set, "endpoint=%s", endpoint);
    for (const char *const *a = (const char *const[]){"xtars", "run", "--quiet", "--no-report",
                                                       "--out", dir, "--set", endpoint_set,
                                                       "--set", "family=pixels", "--set",
                                                       "policy=none", "--set", "retries=0", NULL};
         *a; a++)
        argv[n++] = *a;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = INSTRUCTION;
    argv[n] = NULL;
    note_children();
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        execv(getenv("XTARS_BIN"), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *read_text(const char *path)
{
    struct xtars_buf b;
    char err[XTARS_ERRLEN];

    if (xtars_buf_read_file(&b, path, 1 << 24, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static int wait_exit(pid_t pid)
{
    int status = 0;

    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        FAIL("xtars died of signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

/* The X server dies while the model thinks about step 2; the reply is a
 * click, so both the executor and the capture meet the dead connection. */
TEST(x_server_killed_mid_run)
{
    struct xt_mserver server;
    char display[64], err_path[700], expected[200], *text;
    pid_t pid;

    snprintf(display, sizeof display, "%s", xt_x_start(320, 240, NULL));
    xt_mserver_start(&server, "[\"Action: key_down(key='shift')\", "
                              "{\"reply\": \"Action: click(start_box='(20,20)')\", \"delay_ms\": 1500},"
                              " \"Action: finished()\"]", NULL);
    snprintf(err_path, sizeof err_path, "%s/stderr", xt_tmpdir());
    pid = start_xtars(server.endpoint, tdir("traj"), err_path, NULL);
    for (int i = 0; i < 1000 && log_lines(server.log) < 2; i++)
        usleep(10000);
    ASSERT_EQ(log_lines(server.log), 2);
    xt_x_stop();
    ASSERT_EQ(wait_exit(pid), 1);
    text = read_text(err_path);
    snprintf(expected, sizeof expected, "lost the connection to the X server on display %s", display);
    check_one_error_line(text, expected);
    free(text);
    check_trajectory(tdir("traj"), 2, "error");
    check_no_leftovers();
    xt_mserver_stop(&server);
}

/* Without MIT-SHM, capture falls back to XGetImage: the run works and the
 * screenshots show the screen. */
TEST(without_xshm_the_run_still_works)
{
    struct xt_client client;
    struct xt_mserver server;
    struct xt_result r;
    cJSON *events;

    xt_x_start(640, 480, (const char *const[]){"-extension", "MIT-SHM", NULL});
    xt_client_start(&client, "300x200+0+0");
    xt_mserver_start(&server, "[\"Action: click(start_box='(50,60)')\", "
                              "\"Action: finished(content='ok')\"]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"), NULL, NULL);
    if (r.status != 0)
        FAIL("exit %d: %s", r.status, r.err);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 1);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "x"), 50);
    check_trajectory(tdir("traj"), 2, "finished");
    free(read_text(tdir("traj/step-0002.png")));
    check_no_leftovers();
    check_nothing_held();
    cJSON_Delete(events);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xt_client_stop(&client);
}

/* A 16-bit display: refused before anything starts, saying why. */
TEST(depth_16_display_is_a_clear_error)
{
    struct xtars_xvfb_options xo = {320, 240, 16, 15000, NULL};
    struct xtars_xvfb *x16;
    struct xt_mserver server;
    struct xt_result r;
    char err[XTARS_ERRLEN], display[64];
    struct stat st;

    if (xtars_xvfb_start(&xo, &x16, err) != XTARS_OK)
        FAIL("%s", err);
    snprintf(display, sizeof display, "display=%s", xtars_xvfb_display(x16));
    xt_mserver_start(&server, "[\"Action: finished()\"]", NULL);
    r = run_xtars(server.endpoint, tdir("traj"), (const char *const[]){"--set", display, NULL}, NULL);
    ASSERT_EQ(r.status, 1);
    check_one_error_line(r.err, "16-bit TrueColor; xtars needs a 24- or 32-bit TrueColor visual");
    ASSERT_EQ(request_count(&server), 0);
    ASSERT(stat(tdir("traj"), &st) != 0); /* nothing recorded: the run never started */
    check_no_leftovers();
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xtars_xvfb_free(x16);
}

/* ---- the output directory ---- */

TEST(output_directory_not_writable)
{
    struct xt_mserver server;
    struct xt_result r;
    char blocker[700], out[800];
    FILE *f;

    /* Tests may run as root, which writes anywhere: a path under a regular
     * file cannot be created by anyone. */
    snprintf(blocker, sizeof blocker, "%s/a-file", xt_tmpdir());
    f = fopen(blocker, "w");
    ASSERT(f != NULL);
    fclose(f);
    snprintf(out, sizeof out, "%s/run", blocker);
    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[\"Action: finished()\"]", NULL);
    r = run_xtars(server.endpoint, out, NULL, NULL);
    ASSERT_EQ(r.status, 1);
    check_one_error_line(r.err, blocker);
    ASSERT_STR_CONTAINS(r.err, "Not a directory");
    ASSERT_EQ(request_count(&server), 0);
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

/* Runs until the disk fills; every complete step must be kept. */
static void disk_full_run(const char *const *wrapper, const char *dir, const char *script,
                          const char *const *extra, const char *expected)
{
    struct xt_mserver server;
    struct xt_result r;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];

    xt_mserver_start(&server, script, NULL);
    r = run_wrapped(wrapper, server.endpoint, dir, extra);
    if (r.status != 1)
        FAIL("exit %d: %s", r.status, r.err);
    check_one_error_line(r.err, expected);
    /* Every complete step is there, the partial one is not; run.json says how
     * the run ended (the reserve made room for it) and the reserve is gone. */
    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("trajectory %s: %s", dir, err);
    if (run.warning[0])
        FAIL("trajectory %s: %s", dir, run.warning);
    if (run.step_count < 1 || run.step_count >= 100)
        FAIL("%d steps kept; xtars said: %s", run.step_count, r.err);
    for (int i = 0; i < run.step_count; i++)
        ASSERT_EQ(run.steps[i].step, i + 1);
    printf("disk full after %d complete steps; run.json status '%s'\n", run.step_count, run.status);
    ASSERT_STR_EQ(run.status, "error");
    ASSERT(run.message != NULL);
    ASSERT_STR_CONTAINS(run.message, expected);
    {
        char reserve[1200];
        snprintf(reserve, sizeof reserve, "%s/%s", dir, XTARS_TRAJ_RESERVE_NAME);
        ASSERT(access(reserve, F_OK) != 0);
    }
    xtars_traj_run_cleanup(&run);
    check_no_leftovers();
    check_nothing_held();
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

static char mounted[700];

static void unmount_small(void)
{
    if (mounted[0])
        umount2(mounted, MNT_DETACH);
}

/* A 576 KB tmpfs at dir (512 KB for the run, 64 KB for run.json's
 * reserve), in a private mount namespace: other processes never see it, and
 * it goes with this test process. 0 when mounting is not allowed here (it
 * needs root and CAP_SYS_ADMIN). */
static int small_tmpfs(const char *dir)
{
    mkdir(dir, 0755);
    if (unshare(CLONE_NEWNS) != 0)
        return 0;
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=576k") != 0)
        return 0;
    snprintf(mounted, sizeof mounted, "%s", dir);
    atexit(unmount_small);
    return 1;
}

/* Fills the screen with noise so every screenshot is large: at png_level 0
 * a 320x240 frame is about 230 KB, so the third one does not fit in 512 KB. */
static Display *noise_dpy; /* kept open (so is the window) until the test exits */

static void close_noise(void)
{
    XCloseDisplay(noise_dpy);
}

static void noisy_window(void)
{
    Display *dpy = noise_dpy = XOpenDisplay(NULL);
    XImage *img;
    Window w;
    unsigned seed = 12345;

    ASSERT(dpy != NULL);
    atexit(close_noise); /* runs before the Xvfb is stopped (registered after it) */
    w = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 320, 240, 0, 0, 0);
    XMapWindow(dpy, w);
    XSync(dpy, False);
    img = XGetImage(dpy, w, 0, 0, 320, 240, AllPlanes, ZPixmap);
    ASSERT(img != NULL);
    for (int y = 0; y < 240; y++)
        for (int x = 0; x < 320; x++) {
            seed = seed * 1103515245u + 12345u;
            XPutPixel(img, x, y, seed >> 8);
        }
    XPutImage(dpy, w, DefaultGC(dpy, DefaultScreen(dpy)), img, 0, 0, 0, 0, 320, 240);
    XSync(dpy, False);
    XDestroyImage(img);
}

TEST(disk_full_on_a_small_tmpfs)
{
    char mnt[700];

    snprintf(mnt, sizeof mnt, "%s/small", xt_tmpdir());
    if (!small_tmpfs(mnt))
        SKIP("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); "
             "disk_full_by_file_size_limit covers the same path");
    xt_x_start(320, 240, NULL);
    noisy_window();
    snprintf(mnt + strlen(mnt), sizeof mnt - strlen(mnt), "/traj");
    disk_full_run(NULL, mnt, "[{\"reply\": \"Action: wait()\", \"repeat\": 100}]",
                  (const char *const[]){"--set", "png_level=0", "--set", "wait_ms=0", NULL},
                  "No space left on device");
}

/* The same with a file size limit (works without privileges): long replies
 * make each line of steps.jsonl about 20 KB, so a 100 KB limit is met in
 * the middle of a line. SIGXFSZ is ignored (inherited through exec), so the
 * write fails with EFBIG instead of killing xtars. */
TEST(disk_full_by_file_size_limit)
{
    struct xtars_buf script;

    xtars_buf_init(&script, 1 << 20);
    xtars_buf_puts(&script, "[{\"reply\": \"Thought: ");
    for (int i = 0; i < 2000; i++)
        xtars_buf_puts(&script, "thinking ");
    xtars_buf_puts(&script, "\\nAction: wait()\", \"repeat\": 100}]");
    xt_x_start(320, 240, NULL);
    signal(SIGXFSZ, SIG_IGN);
    disk_full_run((const char *const[]){"prlimit", "--fsize=102400", "--", NULL}, tdir("traj"),
                  script.data, (const char *const[]){"--set", "wait_ms=0", NULL}, "File too large");
    xtars_buf_cleanup(&script);
}

/* ---- signals ---- */

static unsigned seed_from_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid());
}

/* Steps that press, hold, type and drag, with short model delays, so a
 * signal can land in the model wait, an action, the settle wait or a
 * capture; then scrolls that change nothing (stuck_limit is raised so the
 * run is still going when the signal comes). */
static const char signal_script[] =
    "[{\"reply\": \"Action: key_down(key='shift')\", \"delay_ms\": 30},"
    " {\"reply\": \"Action: mouse_down(start_box='(40,40)', button='left')\"},"
    " {\"reply\": \"Action: type(content='typing while things are held down')\", \"delay_ms\": 120},"
    " {\"reply\": \"Action: drag(start_box='(30,30)', end_box='(200,150)')\", \"delay_ms\": 10},"
    " {\"reply\": \"Action: hotkey(key='ctrl alt t')\", \"delay_ms\": 200},"
    " {\"reply\": \"Action: scroll(start_box='(50,50)', direction='down')\", \"repeat\": 100}]";

static void check_stopped(const char *err_path, const char *dir, int status)
{
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], *text;

    ASSERT_EQ(status, 4);
    text = read_text(err_path);
    check_one_error_line(text, "stopped after ");
    free(text);
    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("trajectory %s: %s", dir, err);
    if (run.warning[0])
        FAIL("trajectory %s: %s", dir, run.warning);
    ASSERT_STR_EQ(run.status, "stopped");
    ASSERT(run.ended_at != NULL);
    xtars_traj_run_cleanup(&run);
}

/* Key and button presses recorded by xclient are all released. */
static void check_balanced(const cJSON *events)
{
    const cJSON *e;
    int keys = 0, buttons = 0;

    cJSON_ArrayForEach(e, events) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
        if (type == NULL)
            continue;
        keys += !strcmp(type, "key_press") - !strcmp(type, "key_release");
        buttons += !strcmp(type, "button_press") - !strcmp(type, "button_release");
    }
    ASSERT_EQ(keys, 0);
    ASSERT_EQ(buttons, 0);
}

/* On the test's own display with xclient: nothing held afterwards. */
static void signal_on_own_display(int sig, int delay_ms, int round)
{
    struct xt_client client;
    struct xt_mserver server;
    char err_path[700], name[32];
    cJSON *events;
    pid_t pid;

    xt_client_start(&client, "300x200+0+0");
    xt_mserver_start(&server, signal_script, NULL);
    snprintf(err_path, sizeof err_path, "%s/stderr%d", xt_tmpdir(), round);
    snprintf(name, sizeof name, "traj%d", round);
    pid = start_xtars(server.endpoint, tdir(name), err_path,
                      (const char *const[]){"--set", "stuck_limit=1000", NULL});
    for (int i = 0; i < 1000 && log_lines(server.log) < 1; i++)
        usleep(5000);
    usleep((useconds_t)delay_ms * 1000);
    kill(pid, sig);
    check_stopped(err_path, tdir(name), wait_exit(pid));
    check_nothing_held();
    events = xt_client_events(&client);
    check_balanced(events);
    cJSON_Delete(events);
    check_no_leftovers();
    xt_mserver_stop(&server);
    xt_client_stop(&client);
}

/* With --xvfb and --launch: the private Xvfb and the launched xclient are
 * gone afterwards, and xclient saw every press released. */
static void signal_with_private_display(int sig, int delay_ms, int round)
{
    struct xt_mserver server;
    char err_path[700], name[32], launch[1200], events_path[700];
    pid_t pid;

    snprintf(events_path, sizeof events_path, "%s/events%d.jsonl", xt_tmpdir(), round);
    snprintf(launch, sizeof launch, "%s/tests/xclient --geometry 300x200+0+0 --out %s",
             XT_BINARY_DIR, events_path);
    xt_mserver_start(&server, signal_script, NULL);
    snprintf(err_path, sizeof err_path, "%s/stderr%d", xt_tmpdir(), round);
    snprintf(name, sizeof name, "traj%d", round);
    pid = start_xtars(server.endpoint, tdir(name), err_path,
                      (const char *const[]){"--xvfb", "320x240", "--launch", launch, "--set",
                                            "stuck_limit=1000", NULL});
    for (int i = 0; i < 2000 && log_lines(server.log) < 1; i++)
        usleep(5000);
    usleep((useconds_t)delay_ms * 1000);
    kill(pid, sig);
    check_stopped(err_path, tdir(name), wait_exit(pid));
    check_no_leftovers();
    {
        char *text = read_text(events_path), *line, *save = NULL;
        cJSON *events = cJSON_CreateArray();
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cJSON *e = cJSON_Parse(line);
            if (e)
                cJSON_AddItemToArray(events, e);
        }
        check_balanced(events);
        cJSON_Delete(events);
        free(text);
    }
    xt_mserver_stop(&server);
}

/* SIGKILL cannot be caught: run.json keeps "running". It still names the
 * task, every completed step is readable, and the report tells the run was
 * killed (the recorder's pid is gone). */
TEST(sigkill_leaves_a_readable_run_the_report_calls_interrupted)
{
    struct xt_mserver server;
    struct xtars_traj_run run;
    struct xt_result r;
    char err_path[700], err[XTARS_ERRLEN], *report;
    const char *dir = tdir("killed");
    pid_t pid;

    xt_x_start(320, 240, NULL);
    xt_mserver_start(&server, "[{\"reply\": \"Action: wait()\", \"repeat\": 100}]", NULL);
    snprintf(err_path, sizeof err_path, "%s/stderr-killed", xt_tmpdir());
    pid = start_xtars(server.endpoint, dir, err_path,
                      (const char *const[]){"--set", "wait_ms=50", "--set", "stuck_limit=1000", NULL});
    for (int i = 0; i < 2000 && log_lines(server.log) < 3; i++)
        usleep(5000);
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, NULL, 0), pid); /* reaped: the pid is gone */
    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        FAIL("trajectory %s: %s", dir, err);
    ASSERT_STR_EQ(run.status, "running");
    ASSERT_STR_EQ(run.instruction, INSTRUCTION);
    ASSERT_INT_OP(run.step_count, >=, 1);
    ASSERT_EQ(run.recorder_pid, (long)pid);
    ASSERT_EQ(xtars_traj_abandoned(&run), 1);
    xtars_traj_run_cleanup(&run);
    r = xt_run((const char *const[]){"@xtars", "report", dir, NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    xt_result_free(&r);
    {
        char path[1200];
        snprintf(path, sizeof path, "%s/report.html", dir);
        report = read_text(path);
    }
    ASSERT_STR_CONTAINS(report, "<span class=\"badge error\">interrupted</span>");
    free(report);
    xt_mserver_stop(&server);
}

TEST(sigint_and_sigterm_at_random_points)
{
    unsigned seed = getenv("XT_SEED") ? (unsigned)atoi(getenv("XT_SEED")) : seed_from_time();

    printf("seed %u (XT_SEED=%u reproduces)\n", seed, seed);
    fflush(stdout);
    srand(seed);
    xt_x_start(640, 480, NULL);
    for (int round = 0; round < 8; round++) {
        int sig = round % 2 ? SIGTERM : SIGINT;
        int delay_ms = rand() % 1500;
        printf("round %d: %s after %d ms, %s\n", round, sig == SIGINT ? "SIGINT" : "SIGTERM",
               delay_ms, round % 4 < 2 ? "own display" : "--xvfb --launch");
        fflush(stdout);
        if (round % 4 < 2)
            signal_on_own_display(sig, delay_ms, round);
        else
            signal_with_private_display(sig, delay_ms, round);
    }
}
