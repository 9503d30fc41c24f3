/* bench_exec: what an action costs. On a private Xvfb with the xclient
 * recorder it measures xtars clicks (with and without the configured pause)
 * and typing throughput with the text verified on arrival, next to the same
 * work done by xdotool (default delay and --delay 0) and by UI-TARS-desktop's
 * nut-js operator (bench/nutjs_exec.js under node, when bench/npm_peers.sh
 * could install it; "not measured" otherwise), all in the same run. Prints
 * figures; asserts nothing (docs/performance.md).
 *
 *   bench_exec [--clicks N] [--chars N]
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "test.h"
#include "xclient_ctl.h"
#include "xtars/exec.h"
#include "agent/run/xvfb.h"

#ifndef XTARS_BIN
#define XTARS_BIN "xtars"
#endif
#ifndef XT_SOURCE_DIR
#define XT_SOURCE_DIR "."
#endif

extern char **environ;

static struct xt_client client;
static char tmp[256];

/* xclient_ctl.c wants the test harness's scratch directory. */
const char *xt_tmpdir(void) { return tmp; }

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double run_program(const char *const *argv)
{
    double start = now_ms();
    pid_t pid;
    int status;

    posix_spawn_file_actions_t quiet; /* xtars act prints a JSON line per action */

    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &quiet, NULL, (char *const *)argv, environ) != 0) {
        fprintf(stderr, "bench: cannot run %s\n", argv[0]);
        exit(1);
    }
    posix_spawn_file_actions_destroy(&quiet);
    waitpid(pid, &status, 0);
    return now_ms() - start;
}

static struct xtars_executor *executor(int click_delay_ms)
{
    struct xtars_exec_options opts;
    struct xtars_executor *ex;
    char err[XTARS_ERRLEN];

    xtars_exec_options_init(&opts); /* the config's defaults */
    opts.click_delay_ms = click_delay_ms;
    if (xtars_exec_new_xtest(&opts, &ex, err) != XTARS_OK) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    return ex;
}

static int presses_arrived(void)
{
    cJSON *events = xt_client_events(&client);
    int count = xt_events_count(events, "button_press");

    cJSON_Delete(events);
    return count;
}

static void bench_xtars_clicks(int clicks, int click_delay_ms)
{
    struct xtars_executor *ex = executor(click_delay_ms);
    struct xtars_action a = {.type = XTARS_ACTION_CLICK, .has_point = 1};
    struct xtars_exec_result result;
    double total = 0, own = 0, worst = 0;
    char err[XTARS_ERRLEN];

    for (int i = 0; i < clicks; i++) {
        a.x = 100 + (i % 50) * 5;
        a.y = 100 + (i % 20) * 5;
        if (xtars_exec_perform(ex, &a, &result, err) != XTARS_OK) {
            fprintf(stderr, "bench: %s\n", err);
            exit(1);
        }
        total += result.duration_ms;
        own += result.duration_ms - result.pause_ms;
        if (result.duration_ms - result.pause_ms > worst)
            worst = result.duration_ms - result.pause_ms;
    }
    printf("| xtars click, click_delay_ms=%d | %.2f ms | own cost %.3f ms (worst %.3f) | %d/%d arrived |\n",
           click_delay_ms, total / clicks, own / clicks, worst, presses_arrived(), clicks);
    xtars_exec_free(ex);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One click per process, alternating `xtars act` (click_delay_ms as given),
 * `xdotool mousemove X Y click 1` (whose click waits its default 100 ms
 * --delay even for one click) and the same with --delay 0, so all see the
 * same load; prints the medians, the ratios and how many clicks reached the
 * client. */
static void bench_act_processes(int clicks, const char *click_delay)
{
    double *ms[3];
    char x[16], y[16], action[96], set[64];
    int arrived;

    for (int k = 0; k < 3; k++)
        ms[k] = calloc((size_t)clicks, sizeof(double));
    presses_arrived(); /* forget earlier events */
    snprintf(set, sizeof set, "click_delay_ms=%s", click_delay);
    for (int i = 0; i < clicks; i++) {
        snprintf(x, sizeof x, "%d", 100 + (i % 50) * 5);
        snprintf(y, sizeof y, "%d", 100 + (i % 20) * 5);
        snprintf(action, sizeof action, "click(start_box='(%s,%s)')", x, y);
        ms[0][i] = run_program((const char *const[]){XTARS_BIN, "act", "--family", "pixels",
                                                     "--set", set, action, NULL});
        ms[1][i] = run_program((const char *const[]){"xdotool", "mousemove", x, y, "click", "1",
                                                     NULL});
        ms[2][i] = run_program((const char *const[]){"xdotool", "mousemove", x, y, "click",
                                                     "--delay", "0", "1", NULL});
    }
    arrived = presses_arrived();
    for (int k = 0; k < 3; k++)
        qsort(ms[k], (size_t)clicks, sizeof(double), compare_doubles);
    printf("| `xtars act` one click per process, click_delay_ms=%s (median of %d) | %.2f ms | "
           "`xdotool mousemove X Y click 1` %.2f ms (xtars %.2fx its time); with `click --delay 0` "
           "%.2f ms (xtars %.2fx) | %d/%d arrived |\n",
           click_delay, clicks, ms[0][clicks / 2], ms[1][clicks / 2],
           ms[0][clicks / 2] / ms[1][clicks / 2], ms[2][clicks / 2],
           ms[0][clicks / 2] / ms[2][clicks / 2], arrived, 3 * clicks);
    for (int k = 0; k < 3; k++)
        free(ms[k]);
}

static void bench_xdotool_clicks(int clicks)
{
    double total = 0;
    char x[16], y[16], count[16];

    for (int i = 0; i < clicks; i++) {
        snprintf(x, sizeof x, "%d", 100 + (i % 50) * 5);
        snprintf(y, sizeof y, "%d", 100 + (i % 20) * 5);
        total += run_program((const char *const[]){"xdotool", "mousemove", x, y, "click", "1", NULL});
    }
    printf("| xdotool mousemove X Y click 1 (one process per click) | %.2f ms | | %d/%d arrived |\n",
           total / clicks, presses_arrived(), clicks);
    snprintf(count, sizeof count, "%d", clicks);
    total = run_program((const char *const[]){"xdotool", "click", "--repeat", count, "1", NULL});
    printf("| xdotool click --repeat %d 1 (default delay 100 ms) | %.2f ms | | %d/%d arrived |\n",
           clicks, total / clicks, presses_arrived(), clicks);
    total = run_program(
        (const char *const[]){"xdotool", "click", "--repeat", count, "--delay", "0", "1", NULL});
    printf("| xdotool click --repeat %d --delay 0 1 | %.2f ms | | %d/%d arrived |\n", clicks,
           total / clicks, presses_arrived(), clicks);
}

/* Milliseconds from start until xclient has every key event; *ok says
 * whether the text it received is exactly `text`. */
static double arrival(double start, const char *text, int *ok)
{
    cJSON *events = xt_client_events(&client);
    double elapsed = now_ms() - start;
    char *typed = xt_events_text(events);

    *ok = strcmp(typed, text) == 0;
    free(typed);
    cJSON_Delete(events);
    return elapsed;
}

static size_t count_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void report_typing(const char *who, const char *text, double ms, int ok)
{
    size_t chars = count_chars(text);

    printf("| %s | %zu | %.1f ms | %.3f ms/char | %.0f chars/s | %s |\n", who, chars, ms,
           ms / (double)chars, (double)chars * 1000.0 / ms, ok ? "exact" : "WRONG TEXT");
}

static void bench_xtars_type(const char *label, const char *text)
{
    struct xtars_executor *ex = executor(0);
    struct xtars_action a = {.type = XTARS_ACTION_TYPE};
    struct xtars_exec_result result;
    char err[XTARS_ERRLEN], who[128];
    double start = now_ms(), elapsed;
    int ok;

    a.text = (char *)text;
    if (xtars_exec_perform(ex, &a, &result, err) != XTARS_OK) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    elapsed = arrival(start, text, &ok);
    snprintf(who, sizeof who, "xtars type, %s (%d remapped)", label, result.remapped);
    report_typing(who, text, elapsed, ok);
    xtars_exec_free(ex);
}

static void bench_xdotool_type(const char *label, const char *text, const char *delay)
{
    char who[128];
    double start = now_ms(), elapsed;
    int ok;

    if (delay)
        run_program((const char *const[]){"xdotool", "type", "--delay", delay, text, NULL});
    else
        run_program((const char *const[]){"xdotool", "type", text, NULL});
    elapsed = arrival(start, text, &ok);
    snprintf(who, sizeof who, "xdotool type %s, %s", delay ? "--delay 0" : "(default 12 ms)", label);
    report_typing(who, text, elapsed, ok);
}

/* Runs `node bench/nutjs_exec.js ARGS` on the bench's display; returns the
 * milliseconds per action it measured, or a negative value with the reason
 * in why ("not measured: ..."). */
static double run_nutjs(const char *args, char *why, size_t why_size)
{
    const char *source = getenv("XTARS_SOURCE_DIR") ? getenv("XTARS_SOURCE_DIR") : XT_SOURCE_DIR;
    char path[1024], cmd[2048], line[1024] = "";
    double per = -1;
    const char *p;
    FILE *f;

    snprintf(path, sizeof path, "%s/bench/node_modules/@nut-tree-fork/nut-js/package.json", source);
    if (access(path, R_OK) != 0) {
        snprintf(why, why_size, "not measured: @nut-tree-fork/nut-js is not installed "
                 "(bench/npm_peers.sh)");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "cd '%s/bench' && node nutjs_exec.js %s 2>&1", source, args);
    f = popen(cmd, "r");
    if (f) {
        while (fgets(line, sizeof line, f) && line[0] != '{')
            ;
        pclose(f);
    }
    p = strstr(line, "\"per\":");
    if (p == NULL || sscanf(p + 6, "%lf", &per) != 1) {
        snprintf(why, why_size, "not measured: nutjs_exec.js failed: %.200s", line);
        return -1;
    }
    p = strstr(line, "\"version\":\"");
    snprintf(why, why_size, "nut-js %.*s", p ? (int)strcspn(p + 11, "\"") : 1, p ? p + 11 : "?");
    return per;
}

static void bench_nutjs_clicks(int clicks)
{
    char args[32], why[400];
    double per;

    snprintf(args, sizeof args, "click %d", clicks);
    per = run_nutjs(args, why, sizeof why);
    if (per < 0)
        printf("| nut-js operator click (UI-TARS-desktop) | %s | | |\n", why);
    else
        printf("| nut-js operator click (UI-TARS-desktop; %s) | %.2f ms | 100 ms of it a fixed "
               "sleep | %d/%d arrived |\n", why, per, presses_arrived(), clicks);
}

static void bench_nutjs_type(const char *label, const char *text)
{
    char path[300], args[400], why[400], who[600];
    double start, per;
    int ok;
    FILE *f;

    snprintf(path, sizeof path, "%s/nutjs-text", tmp);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        exit(1);
    }
    snprintf(args, sizeof args, "type '%s'", path);
    start = now_ms();
    per = run_nutjs(args, why, sizeof why);
    if (per < 0) {
        printf("| nut-js operator type (UI-TARS-desktop), %s | | %s | | | |\n", label, why);
        return;
    }
    /* The time node measured (without its start-up), but the text checked
     * on arrival like the others. */
    arrival(start, text, &ok);
    snprintf(who, sizeof who, "nut-js operator type (UI-TARS-desktop; %s), %s", why, label);
    report_typing(who, text, per * (double)count_chars(text), ok);
}

/* Start-up of a command that needs neither a model nor the screen, against
 * the same for xdotool and for node (UI-TARS-desktop's runtime), one
 * process each in turn, medians. */
static void bench_startup(int runs)
{
    static const char *const names[] = {"`xtars version`", "`xtars help`", "`xdotool version`",
                                        "`node -e 0`"};
    const char *const *argvs[] = {(const char *const[]){XTARS_BIN, "version", NULL},
                                  (const char *const[]){XTARS_BIN, "help", NULL},
                                  (const char *const[]){"xdotool", "version", NULL},
                                  (const char *const[]){"node", "-e", "0", NULL}};
    double *ms[4];
    int count = system("command -v node >/dev/null 2>&1") == 0 ? 4 : 3;

    for (int k = 0; k < 4; k++)
        ms[k] = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++)
        for (int k = 0; k < count; k++)
            ms[k][i] = run_program(argvs[k]);
    printf("\n## Start-up (one process each, in turn; median of %d)\n\n| command | median | "
           "fastest |\n| --- | --- | --- |\n", runs);
    for (int k = 0; k < 4; k++) {
        qsort(ms[k], (size_t)runs, sizeof(double), compare_doubles);
        if (k < count)
            printf("| %s | %.2f ms | %.2f ms |\n", names[k], ms[k][runs / 2], ms[k][0]);
        else
            printf("| %s | not measured (node not found) | |\n", names[k]);
        free(ms[k]);
    }
}

static char *make_ascii(int n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ 0123456789 .,;:!?-";
    char *s = malloc((size_t)n + 1);

    for (int i = 0; i < n; i++)
        s[i] = alphabet[i * 7 % (int)(sizeof alphabet - 1)];
    s[n] = '\0';
    return s;
}

static char *make_unicode(int n)
{
    static const char *const pieces[] = {"é", "ß", "ü", "你", "好", "世", "界", "😀", "€", "ñ"};
    char *s = malloc((size_t)n * 4 + 1), *p = s;

    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s", i % 3 == 2 ? "a" : pieces[i % 10]);
    return s;
}

int main(int argc, char **argv)
{
    struct xtars_xvfb_options xopts = {1280, 800, 24, 15000, NULL};
    struct xtars_xvfb *xvfb;
    char err[XTARS_ERRLEN];
    int clicks = 50, chars = 1000;
    char *ascii, *ascii_short, *unicode;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--clicks") == 0)
            clicks = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--chars") == 0)
            chars = atoi(argv[i + 1]);
    }
    snprintf(tmp, sizeof tmp, "/tmp/xtars-bench-XXXXXX");
    if (mkdtemp(tmp) == NULL || xtars_xvfb_start(&xopts, &xvfb, err) != XTARS_OK) {
        fprintf(stderr, "bench: cannot start Xvfb: %s\n", err);
        return 1;
    }
    setenv("DISPLAY", xtars_xvfb_display(xvfb), 1);
    xt_client_start(&client, "1000x600+50+50");
    cJSON_Delete(xt_client_events(&client));

    printf("## Clicks (%d each)\n\n| what | per click | | |\n| --- | --- | --- | --- |\n", clicks);
    bench_xtars_clicks(clicks, 0);
    bench_xtars_clicks(clicks, 30);
    bench_xdotool_clicks(clicks);
    bench_act_processes(clicks, "0");
    bench_act_processes(clicks / 5 > 5 ? clicks / 5 : 5, "30");
    bench_nutjs_clicks(clicks / 5 > 5 ? clicks / 5 : 5);

    ascii = make_ascii(chars);
    ascii_short = make_ascii(200);
    unicode = make_unicode(100);
    printf("\n## Typing (until the last key event reached the client)\n\n"
           "| what | chars | total | per char | throughput | text |\n"
           "| --- | --- | --- | --- | --- | --- |\n");
    bench_xtars_type("ASCII", ascii);
    bench_xtars_type("mixed Unicode", unicode);
    bench_xdotool_type("ASCII", ascii_short, NULL);
    bench_xdotool_type("ASCII", ascii, "0");
    bench_xdotool_type("mixed Unicode", unicode, NULL);
    bench_xdotool_type("mixed Unicode", unicode, "0");
    bench_nutjs_type("ASCII", ascii);
    bench_nutjs_type("mixed Unicode", unicode);

    bench_startup(50);
    free(ascii);
    free(ascii_short);
    free(unicode);
    xt_client_stop(&client);
    xtars_xvfb_free(xvfb);
    {
        char command[300];
        snprintf(command, sizeof command, "rm -rf '%s'", tmp);
        if (system(command) != 0)
            fprintf(stderr, "bench: could not remove %s\n", tmp);
    }
    return 0;
}
