/* `xtars run` end to end: a private Xvfb, the recording xclient, the scripted
 * model server, and the real xtars binary. Checks what the app received, what
 * the server was sent, the trajectory, and the exit codes for every ending. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xclient_ctl.h"
#include "xfixture.h"
#include "agent/base/base64.h"
#include "xtars/buf.h"

/* Screen 1280x800; xclient's window at +100+100 (no window manager: exact).
 * Root points used: A (256,160), drag B (256,200) -> C (384,240), scroll D (320,240).
 * Model numbers per family, worked out by hand:
 *   uitars-1.5 (sent 1288x812, x*1280/1288 and y*800/812 truncated):
 *     A (258,163) -> (256.40,160.59); B (258,203) -> (256.40,200.00);
 *     C (387,244) -> (384.60,240.39); D (322,244) -> (320.00,240.39)
 *   uitars-1.0 / doubao (0..1000): A (200,200) B (200,250) C (300,300) D (250,300)
 *   pixels: the root points themselves. */
struct family_points {
    const char *family;
    const char *a, *b, *c, *d;
};

static const struct family_points families[] = {
    {"uitars-1.5", "(258,163)", "(258,203)", "(387,244)", "(322,244)"},
    {"uitars-1.0", "(200,200)", "(200,250)", "(300,300)", "(250,300)"},
    {"doubao", "(200,200)", "(200,250)", "(300,300)", "(250,300)"},
    {"pixels", "(256,160)", "(256,200)", "(384,240)", "(320,240)"},
};

static char script[4096];

static const char *make_script(const struct family_points *f)
{
    snprintf(script, sizeof script,
             "["
             "\"Thought: click the window\\nAction: click(start_box='%s')\","
             "\"Action: type(content='hello')\","
             "\"Thought: drag\\nAction: drag(start_box='%s', end_box='%s')\","
             "\"Action: scroll(start_box='%s', direction='down')\","
             "\"Reflection: fine\\nAction_Summary: select all\\nAction: hotkey(key='ctrl a')\","
             "\"Thought: all done\\nAction: finished(content='done')\""
             "]",
             f->a, f->b, f->c, f->d);
    return script;
}

static const char *traj_dir(const char *name)
{
    static char path[700];
    snprintf(path, sizeof path, "%s/%s", xt_tmpdir(), name);
    return path;
}

static struct xt_result run_xtars(const struct xt_mserver *s, const char *family, const char *out,
                                  const char *extra1, const char *extra2)
{
    char endpoint[128], fam[64];

    snprintf(endpoint, sizeof endpoint, "endpoint=%s", s->endpoint);
    snprintf(fam, sizeof fam, "family=%s", family);
    return xt_run((const char *const[]){"@xtars", "run", "--quiet", "--no-report", "--out", out,
                                        "--set", endpoint, "--set", fam, "--set", "history_images=2",
                                        "--set", "retries=0", "--set", "policy=none",
                                        extra1 ? extra1 : "--quiet", extra2 ? extra2 : "--quiet",
                                        "Use the test window", NULL},
                  NULL, NULL);
}

static char *read_text(const char *dir, const char *name)
{
    struct xtars_buf b;
    char path[1024], err[XTARS_ERRLEN];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (xtars_buf_read_file(&b, path, 1 << 24, err) != XTARS_OK)
        FAIL("%s", err);
    return xtars_buf_detach(&b, NULL);
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* Width and height from the IHDR of a base64 PNG data URL. */
static void data_url_png_size(const char *url, int *w, int *h)
{
    const char *prefix = "data:image/png;base64,";
    struct xtars_buf png;
    char err[XTARS_ERRLEN];
    const unsigned char *p;

    ASSERT(strncmp(url, prefix, strlen(prefix)) == 0);
    url += strlen(prefix);
    xtars_buf_init(&png, 1 << 26);
    if (xtars_base64_decode(&png, url, strlen(url), err) != XTARS_OK)
        FAIL("%s", err);
    p = (const unsigned char *)png.data;
    ASSERT(png.len > 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0);
    *w = p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19];
    *h = p[20] << 24 | p[21] << 16 | p[22] << 8 | p[23];
    xtars_buf_cleanup(&png);
}

static int image_count(const cJSON *request)
{
    const cJSON *messages = cJSON_GetObjectItem(cJSON_GetObjectItem(request, "body"), "messages"), *m;
    int n = 0;

    cJSON_ArrayForEach(m, messages) {
        const cJSON *content = cJSON_GetObjectItem(m, "content"), *part;
        if (!cJSON_IsArray(content))
            continue;
        cJSON_ArrayForEach(part, content)
            n += cJSON_GetObjectItem(part, "image_url") != NULL;
    }
    return n;
}

static const cJSON *last_image_part(const cJSON *request)
{
    const cJSON *messages = cJSON_GetObjectItem(cJSON_GetObjectItem(request, "body"), "messages"), *m;
    const cJSON *found = NULL;

    cJSON_ArrayForEach(m, messages) {
        const cJSON *content = cJSON_GetObjectItem(m, "content"), *part;
        if (!cJSON_IsArray(content))
            continue;
        cJSON_ArrayForEach(part, content)
            if (cJSON_GetObjectItem(part, "image_url"))
                found = part;
    }
    return found;
}

static void check_family_run(const struct family_points *f, int sent_w, int sent_h)
{
    struct xt_client client;
    struct xt_mserver server;
    struct xt_result r;
    cJSON *events, *requests;
    const char *dir = traj_dir("run");
    char *text, *typed;
    int w, h;

    xt_x_start(1280, 800, NULL);
    xt_client_start(&client, "400x300+100+100");
    xt_mserver_start(&server, make_script(f), NULL);
    r = run_xtars(&server, f->family, dir, NULL, NULL);
    if (r.status != 0)
        FAIL("xtars run exited %d: %s", r.status, r.err);
    ASSERT_STR_EQ(r.out, "done\n");
    events = xt_client_events(&client);

    /* click at A = window (156,60) */
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "x"), 156);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "y"), 60);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 0), "button"), 1);
    /* drag B (156,100) -> C (284,140), with motion in between */
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 1), "x"), 156);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", 1), "y"), 100);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_release", 1), "x"), 284);
    ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_release", 1), "y"), 140);
    {
        const cJSON *e;
        int dragging_motions = 0;
        cJSON_ArrayForEach(e, events) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
            if (type && strcmp(type, "motion") == 0 && (xt_event_int(e, "state") & 256))
                dragging_motions++; /* Button1Mask: the app sees a drag */
        }
        ASSERT_GE(dragging_motions, 3);
    }
    /* scroll down at D: five notches of button 5 at window (220,140) */
    for (int i = 2; i < 7; i++) {
        ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", i), "button"), 5);
        ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", i), "x"), 220);
        ASSERT_EQ(xt_event_int(xt_events_nth(events, "button_press", i), "y"), 140);
    }
    ASSERT_EQ(xt_events_count(events, "button_press"), 7);
    ASSERT_EQ(xt_events_count(events, "button_release"), 7);
    typed = xt_events_text(events);
    ASSERT_STR_CONTAINS(typed, "hello");
    free(typed);
    /* ctrl a: Control pressed before a, released after it */
    {
        const cJSON *e;
        int ctrl_down = -1, a_down = -1, a_up = -1, ctrl_up = -1, i = 0;
        cJSON_ArrayForEach(e, events) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
            const char *sym = cJSON_GetStringValue(cJSON_GetObjectItem(e, "keysym"));
            if (type && sym && strcmp(sym, "Control_L") == 0)
                *(strcmp(type, "key_press") == 0 ? &ctrl_down : &ctrl_up) = i;
            if (type && sym && strcmp(sym, "a") == 0 && ctrl_down >= 0)
                *(strcmp(type, "key_press") == 0 ? &a_down : &a_up) = i;
            i++;
        }
        ASSERT(ctrl_down >= 0 && ctrl_down < a_down && a_down < a_up && a_up < ctrl_up);
    }

    /* the server: 6 requests, the instruction first, at most 2 images each */
    requests = xt_mserver_requests(&server);
    ASSERT_EQ(cJSON_GetArraySize(requests), 6);
    {
        char *first = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 0));
        ASSERT_STR_CONTAINS(first, "Use the test window");
        free(first);
    }
    ASSERT_EQ(image_count(cJSON_GetArrayItem(requests, 0)), 1);
    ASSERT_EQ(image_count(cJSON_GetArrayItem(requests, 1)), 2);
    ASSERT_EQ(image_count(cJSON_GetArrayItem(requests, 5)), 2);
    data_url_png_size(cJSON_GetObjectItem(cJSON_GetObjectItem(last_image_part(cJSON_GetArrayItem(requests, 5)),
                                                               "image_url"), "url")->valuestring, &w, &h);
    ASSERT_EQ(w, sent_w);
    ASSERT_EQ(h, sent_h);

    /* the trajectory */
    text = read_text(dir, "run.json");
    ASSERT_STR_CONTAINS(text, "\"status\": \"finished\"");
    ASSERT_STR_CONTAINS(text, "\"steps\": 6");
    free(text);
    text = read_text(dir, "steps.jsonl");
    ASSERT_EQ(count_lines(text), 6);
    ASSERT_STR_CONTAINS(text, "{\"type\":\"drag\",\"x\":256,\"y\":200,\"x2\":384,\"y2\":240");
    free(text);
    free(read_text(dir, "step-0006.png"));
    cJSON_Delete(requests);
    cJSON_Delete(events);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xt_client_stop(&client);
}

TEST(uitars15_multi_step_task)
{
    check_family_run(&families[0], 1288, 812);
}

TEST(uitars10_multi_step_task)
{
    check_family_run(&families[1], 1288, 812);
}

TEST(doubao_multi_step_task)
{
    check_family_run(&families[2], 1288, 812);
}

TEST(pixels_multi_step_task)
{
    check_family_run(&families[3], 1288, 812);
}

/* Runs one scripted run against the xclient and returns its result. */
static struct xt_result scripted(const char *json, const char *dir, const char *extra1,
                                 const char *extra2, struct xt_mserver *server)
{
    xt_mserver_start(server, json, NULL);
    return run_xtars(server, "pixels", dir, extra1, extra2);
}

TEST(call_user_exits_4_with_its_message)
{
    struct xt_mserver server;
    struct xt_result r;
    char *text;

    xt_x_start(640, 480, NULL);
    r = scripted("[\"Thought: I need a password\\nAction: call_user()\"]", traj_dir("cu"), NULL,
                 NULL, &server);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "call_user after 1 step");
    text = read_text(traj_dir("cu"), "run.json");
    ASSERT_STR_CONTAINS(text, "\"status\": \"call_user\"");
    free(text);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(max_steps_exits_4)
{
    struct xt_mserver server;
    struct xt_result r;
    char *text;

    xt_x_start(640, 480, NULL);
    r = scripted("[\"Action: click(start_box='(10,10)')\", \"Action: click(start_box='(20,20)')\","
                 " \"Action: click(start_box='(30,30)')\"]",
                 traj_dir("max"), "--max-steps", "2", &server);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "max_steps after 2 steps: reached max_steps (2) without finished()");
    text = read_text(traj_dir("max"), "steps.jsonl");
    ASSERT_EQ(count_lines(text), 2);
    free(text);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(endpoint_down_exits_3)
{
    struct xt_result r;
    char *text;

    xt_x_start(640, 480, NULL);
    r = xt_run((const char *const[]){"@xtars", "run", "--quiet", "--no-report", "--out", traj_dir("down"),
                                     "--endpoint", "http://127.0.0.1:9/v1", "--set", "retries=0",
                                     "do it", NULL},
               NULL, NULL);
    ASSERT_EQ(r.status, 3);
    ASSERT_STR_CONTAINS(r.err, "model_error after 1 step: model: cannot connect to "
                               "http://127.0.0.1:9/v1/chat/completions");
    text = read_text(traj_dir("down"), "run.json");
    ASSERT_STR_CONTAINS(text, "\"status\": \"model_error\"");
    free(text);
    xt_result_free(&r);
}

TEST(parse_failure_is_told_to_the_model_and_recovers)
{
    struct xt_mserver server;
    struct xt_result r;
    cJSON *requests;
    char *text, *second;

    xt_x_start(640, 480, NULL);
    r = scripted("[\"I think I should clik somewhere\", \"Action: clik(start_box='(1,1)')\","
                 " \"Action: finished(content='ok')\"]", traj_dir("parse"), NULL, NULL, &server);
    ASSERT_EQ(r.status, 0);
    requests = xt_mserver_requests(&server);
    ASSERT_EQ(cJSON_GetArraySize(requests), 3);
    second = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 1));
    ASSERT_STR_CONTAINS(second, "Your previous reply could not be used (parse: ");
    free(second);
    second = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 2));
    ASSERT_STR_CONTAINS(second, "unknown action 'clik'");
    free(second);
    text = read_text(traj_dir("parse"), "steps.jsonl");
    ASSERT_EQ(count_lines(text), 3);
    ASSERT_STR_CONTAINS(text, "\"parse_error\": \"parse: ");
    free(text);
    cJSON_Delete(requests);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(too_many_parse_failures_stop_the_run)
{
    struct xt_mserver server;
    struct xt_result r;

    xt_x_start(640, 480, NULL);
    r = scripted("[{\"reply\": \"no idea\", \"repeat\": 5}]", traj_dir("parse2"),
                 "--set", "parse_fail_limit=2", &server);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "parse_errors after 3 steps: 3 unusable replies in a row");
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

TEST(repeating_an_action_without_effect_is_told_then_stopped)
{
    struct xt_mserver server;
    struct xt_result r;
    cJSON *requests;
    char *third;

    xt_x_start(640, 480, NULL); /* an empty screen: clicking changes nothing */
    r = scripted("[{\"reply\": \"Action: click(start_box='(50,50)')\", \"repeat\": 6}]",
                 traj_dir("stuck"), "--set", "stuck_limit=2", &server);
    ASSERT_EQ(r.status, 4);
    ASSERT_STR_CONTAINS(r.err, "stuck after 3 steps: stopped: the same action (click (50,50)) had no "
                               "visible effect 3 times");
    requests = xt_mserver_requests(&server);
    ASSERT_EQ(cJSON_GetArraySize(requests), 3);
    third = cJSON_PrintUnformatted(cJSON_GetArrayItem(requests, 2));
    ASSERT_STR_CONTAINS(third, "had no visible effect, 2 times in a row");
    free(third);
    cJSON_Delete(requests);
    xt_result_free(&r);
    xt_mserver_stop(&server);
}

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

/* Ctrl-C while the model is thinking: exit 4, status "stopped", the completed
 * step kept, and the key the model was holding released. */
TEST(sigint_mid_run_stops_cleanly_and_releases_keys)
{
    struct xt_client client;
    struct xt_mserver server;
    cJSON *events;
    char endpoint[128], *text, err_path[700];
    int status = 0, presses = 0, releases = 0;
    const cJSON *e;
    pid_t pid;

    xt_x_start(640, 480, NULL);
    xt_client_start(&client, "300x200+0+0");
    xt_mserver_start(&server, "[\"Action: key_down(key='shift')\", "
                              "{\"reply\": \"Action: finished()\", \"delay_ms\": 20000}]", NULL);
    snprintf(endpoint, sizeof endpoint, "endpoint=%s", server.endpoint);
    snprintf(err_path, sizeof err_path, "%s/stderr", xt_tmpdir());
    pid = fork();
    if (pid == 0) {
        freopen(err_path, "w", stderr);
        execl(getenv("XTARS_BIN"), "xtars", "run", "--quiet", "--no-report", "--out", traj_dir("int"),
              "--set", endpoint, "--set", "family=pixels", "hold shift", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && log_lines(server.log) < 2; i++)
        usleep(10000);
    ASSERT_EQ(log_lines(server.log), 2);
    usleep(100000);
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 4);
    text = read_text(traj_dir("int"), "run.json");
    ASSERT_STR_CONTAINS(text, "\"status\": \"stopped\"");
    ASSERT(strstr(text, "\"ended_at\": null") == NULL);
    free(text);
    text = read_text(traj_dir("int"), "steps.jsonl");
    ASSERT(count_lines(text) >= 1);
    ASSERT_STR_CONTAINS(text, "{\"type\":\"key_down\",\"keys\":[\"shift\"]}");
    free(text);
    events = xt_client_events(&client);
    cJSON_ArrayForEach(e, events) {
        const char *sym = cJSON_GetStringValue(cJSON_GetObjectItem(e, "keysym"));
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
        if (sym && type && strcmp(sym, "Shift_L") == 0)
            *(strcmp(type, "key_press") == 0 ? &presses : &releases) += 1;
    }
    ASSERT_EQ(presses, 1);
    ASSERT_EQ(releases, 1);
    cJSON_Delete(events);
    xt_mserver_stop(&server);
    xt_client_stop(&client);
}

/* --dry-run: the model is asked, nothing reaches the app. */
TEST(dry_run_sends_no_input)
{
    struct xt_client client;
    struct xt_mserver server;
    struct xt_result r;
    cJSON *events;

    xt_x_start(640, 480, NULL);
    xt_client_start(&client, "300x200+0+0");
    r = scripted("[\"Action: click(start_box='(50,50)')\", \"Action: type(content='abc')\","
                 " \"Action: finished(content='ok')\"]", traj_dir("dry"), "--dry-run", NULL, &server);
    ASSERT_EQ(r.status, 0);
    events = xt_client_events(&client);
    ASSERT_EQ(xt_events_count(events, "button_press"), 0);
    ASSERT_EQ(xt_events_count(events, "key_press"), 0);
    cJSON_Delete(events);
    xt_result_free(&r);
    xt_mserver_stop(&server);
    xt_client_stop(&client);
}

/* `xtars parse` takes the screen size from the display when --screen is not
 * given: UITARS-FORMAT.md's example, (197,525) on 1920x1080 -> (195,519). */
TEST(parse_reads_the_screen_size_from_the_display)
{
    struct xt_result r;

    xt_x_start(1920, 1080, NULL);
    r = xt_run((const char *const[]){"@xtars", "parse", NULL}, NULL,
               "Thought: Open the menu.\nAction: click(start_box='(197,525)')");
    if (r.status != 0)
        FAIL("xtars parse exited %d: %s", r.status, r.err);
    ASSERT_STR_CONTAINS(r.out, "{\"type\":\"click\",\"x\":195,\"y\":519,\"model_x\":197,\"model_y\":525}");
    xt_result_free(&r);
}
