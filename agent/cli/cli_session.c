/* cli_session.c: what `run`, `replay` and `task` share around the loop: a
 * private Xvfb (--xvfb), the apps to drive (--launch), the signal handlers
 * that turn Ctrl-C / SIGTERM into an orderly stop, and the progress line. */
#include "cli_session.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent/base/clock.h"
#include "agent/base/files.h"
#include "agent/base/term.h"
#include "agent/config/config_internal.h"
#include "capture/windows.h"
#include "xtars/buf.h"
#include "xtars/capture.h"
#include "xtars/log.h"

static struct xtars_agent *volatile signal_target;
static atomic_int signal_pending; /* the one stop-flag type (xtars/error.h) */

static void on_signal(int sig)
{
    (void)sig;
    signal_pending = 1;
    if (signal_target)
        xtars_agent_stop(signal_target);
}

void cli_signals_install(void)
{
    cli_catch_stop_signals(on_signal);
}

void cli_signals_target(struct xtars_agent *agent)
{
    signal_target = agent;
    if (agent && signal_pending)
        xtars_agent_stop(agent);
}

int cli_signals_pending(void) { return signal_pending; }

/* Apps named in --launch and task files are found next to xtars too (the
 * demo app lives in the build directory beside it). */
static void path_with_own_dir(void)
{
    char self[PATH_MAX], path[8192];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    const char *old = getenv("PATH");
    char *slash;

    if (n <= 0)
        return;
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    snprintf(path, sizeof path, "%s:%s", self, old ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
}

int cli_session_option(const struct cli_command *cmd, struct cli_session_args *a, int opt,
                       const char *arg)
{
    static const char *const keys[] = {"endpoint", "model", "display", "monitor"};

    switch (opt) {
    case CLI_OPT_ENDPOINT:
    case CLI_OPT_MODEL:
    case CLI_OPT_DISPLAY:
    case CLI_OPT_MONITOR:
        return cli_flags_add(cmd, &a->flags, keys[opt - CLI_OPT_ENDPOINT], arg);
    case CLI_OPT_OUT:
        a->out = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_DRY_RUN:
        a->dry_run = 1;
        return CLI_EXIT_OK;
    case CLI_OPT_XVFB:
        a->xvfb = arg;
        return CLI_EXIT_OK;
    case CLI_OPT_LAUNCH:
        if (a->launch_count == CLI_MAX_LAUNCH)
            return cli_fail(cmd, CLI_EXIT_USAGE, "at most %d --launch commands", CLI_MAX_LAUNCH);
        a->launch[a->launch_count++] = (struct cli_app){arg, NULL};
        return CLI_EXIT_OK;
    default:
        return -1;
    }
}

int cli_session_start(const struct cli_command *cmd, const char *xvfb_size,
                      const char *const *launch, int launch_count, struct xtars_config *cfg,
                      struct cli_session *s)
{
    struct cli_app apps[CLI_MAX_LAUNCH];
    char err[XTARS_ERRLEN];

    memset(s, 0, sizeof s[0]);
    path_with_own_dir();
    /* Apps a launched shell starts are re-parented to us when the shell
     * exits, so stopping them can wait until they are gone (launch.h). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (xvfb_size) {
        struct xtars_xvfb_options opts = {0, 0, 24, 15000, NULL};
        long width, height;
        char x[2], rest;
        /* numbers first, so a size out of range is told its limit */
        if (sscanf(xvfb_size, "%12ld%1[xX]%12ld%c", &width, x, &height, &rest) != 3)
            return cli_fail(cmd, CLI_EXIT_USAGE, "--xvfb needs WIDTHxHEIGHT such as 1280x800, not '%s'",
                            xvfb_size);
        if (xtars_xvfb_check_size(width, height, err) != XTARS_OK)
            return cli_fail(cmd, CLI_EXIT_USAGE, "--xvfb %s", err);
        opts.width = (int)width, opts.height = (int)height;
        if (xtars_xvfb_start(&opts, &s->xvfb, err) != XTARS_OK)
            return cli_fail(cmd, CLI_EXIT_RUNTIME, "%s", err);
        snprintf(cfg->display, sizeof cfg->display, "%s", xtars_xvfb_display(s->xvfb));
        xtars_log_debug("private Xvfb %s (%s) on %s", xvfb_size, "no TCP", cfg->display);
    }
    for (int i = 0; i < launch_count && i < CLI_MAX_LAUNCH; i++)
        apps[i] = (struct cli_app){launch[i], NULL};
    if (launch_count > 0 &&
        cli_session_launch(s, apps, launch_count < CLI_MAX_LAUNCH ? launch_count : CLI_MAX_LAUNCH,
                           cfg->display[0] ? cfg->display : NULL, NULL, NULL, err) != XTARS_OK) {
        cli_session_stop(s);
        return cli_fail(cmd, CLI_EXIT_RUNTIME, "%s", err);
    }
    return CLI_EXIT_OK;
}

/* The first app that has exited with a failure and was not told yet. */
static xtars_err first_failure(struct cli_session *s, char *err)
{
    for (int i = 0; i < s->launch_count; i++) {
        if (s->told[i] || xtars_launch_running(s->launches[i]))
            continue;
        s->told[i] = 1;
        if (xtars_launch_failed(s->launches[i])) {
            char how[XTARS_ERRLEN];
            xtars_launch_describe_exit(s->launches[i], how, sizeof how);
            return xtars_error(err, XTARS_ECHILD, "%s", how);
        }
        xtars_log_debug("launch: '%.200s' exited with status 0", xtars_launch_command(s->launches[i]));
    }
    return XTARS_OK;
}

xtars_err cli_session_check(struct cli_session *s, char *err)
{
    return first_failure(s, err);
}

/* How many windows of now are not in base. */
static int new_windows(const unsigned long *now, int now_count, const unsigned long *base,
                       int base_count)
{
    int fresh = 0;

    for (int i = 0; i < now_count; i++) {
        int seen = 0;
        for (int j = 0; j < base_count && !seen; j++)
            seen = now[i] == base[j];
        fresh += !seen;
    }
    return fresh;
}

#define WINDOWS_MAX 256

/* Waits until as many new top-level windows are mapped as apps without a
 * wait_for still run (the others are ready or gone), failing as soon as an
 * app exits with a failure. */
static xtars_err wait_for_windows(struct cli_session *s, int first, const struct cli_app *apps,
                                  struct xtars_capture *cap, const unsigned long *base,
                                  int base_count, char *err)
{
    unsigned long now[WINDOWS_MAX];
    double deadline = xtars_clock_ms() + CLI_WINDOW_WAIT_MS;
    int expected = 0, count = 0;
    xtars_err rc;

    for (;;) {
        if ((rc = first_failure(s, err)) != XTARS_OK)
            return rc;
        expected = 0;
        for (int i = first; i < s->launch_count; i++)
            expected += apps[i - first].wait_for == NULL && !s->told[i];
        if (expected == 0 || cli_signals_pending())
            return XTARS_OK;
        if (xtars_capture_top_windows(cap, now, WINDOWS_MAX, &count, err) != XTARS_OK)
            return XTARS_OK; /* the display is gone: the agent will say so */
        if (new_windows(now, count < WINDOWS_MAX ? count : WINDOWS_MAX, base, base_count) >= expected)
            return XTARS_OK;
        if (xtars_clock_ms() >= deadline)
            break;
        xtars_clock_sleep_ms(50);
    }
    xtars_log_warn("launch: %d app%s mapped no window within %d ms; starting anyway (a task's "
                   "\"wait_for\" or run's --wait-for waits for printed text instead)",
                   expected, expected == 1 ? "" : "s", CLI_WINDOW_WAIT_MS);
    return XTARS_OK;
}

/* A capture of display and the top-level windows it shows now; NULL when it
 * cannot be opened (the agent reports that display error itself). */
static struct xtars_capture *open_windows(const char *display, unsigned long *base, int *count)
{
    struct xtars_capture_options o;
    struct xtars_capture *cap = NULL;
    char err[XTARS_ERRLEN];

    xtars_capture_options_init(&o);
    o.display = display;
    o.no_shm = 1; /* never grabs: no segment needed */
    *count = 0;
    if (xtars_capture_new(&o, &cap, err) != XTARS_OK ||
        xtars_capture_top_windows(cap, base, WINDOWS_MAX, count, err) != XTARS_OK) {
        xtars_log_debug("launch: not waiting for windows: %s", err);
        xtars_capture_free(cap);
        return NULL;
    }
    if (*count > WINDOWS_MAX)
        *count = WINDOWS_MAX;
    return cap;
}

xtars_err cli_session_launch(struct cli_session *s, const struct cli_app *apps, int count,
                             const char *display, const char *cwd, const char *log_dir,
                             char *err)
{
    unsigned long base[WINDOWS_MAX];
    struct xtars_capture *cap = NULL;
    int first = s->launch_count, base_count = 0, need_windows = 0;
    xtars_err rc = XTARS_OK;

    if (count > CLI_MAX_LAUNCH - first)
        return xtars_error(err, XTARS_EINVAL, "more than %d apps to launch", CLI_MAX_LAUNCH);
    if (display == NULL)
        display = getenv("DISPLAY");
    snprintf(s->log_dir, sizeof s->log_dir, "%s", log_dir ? log_dir : "");
    for (int i = 0; i < count; i++)
        need_windows |= apps[i].wait_for == NULL;
    if (need_windows)
        cap = open_windows(display, base, &base_count);
    for (int i = 0; i < count && rc == XTARS_OK; i++) {
        char log_path[4200];
        struct xtars_launch_options o = {display, cwd, NULL, apps[i].wait_for, 0};
        if (log_dir) {
            snprintf(log_path, sizeof log_path, "%s/launch-%d.log", log_dir, s->launch_count + 1);
            o.log_path = log_path;
        }
        rc = xtars_launch_start(apps[i].command, &o, &s->launches[s->launch_count], err);
        if (rc == XTARS_OK)
            s->launch_count++;
        if (rc == XTARS_OK && apps[i].wait_for == NULL)
            xtars_log_debug("launch: started '%.200s'", apps[i].command);
    }
    if (rc == XTARS_OK && cap)
        rc = wait_for_windows(s, first, apps, cap, base, base_count, err);
    else if (rc == XTARS_OK)
        rc = first_failure(s, err);
    xtars_capture_free(cap);
    return rc;
}

#define LOG_REDACT_MAX (64u << 20)

/* Rewrites a finished app's log without the registered secrets: an app may
 * print what it was given (a token on its command line, its environment). */
static void redact_log(const char *path)
{
    struct xtars_buf text;
    char err[XTARS_ERRLEN], *clean;

    if (xtars_buf_read_file_nofollow(&text, path, LOG_REDACT_MAX, err) != XTARS_OK) {
        xtars_log_warn("launch: %s (secrets not removed from it)", err);
        return;
    }
    clean = strlen(text.data) == text.len ? xtars_log_redact(text.data) : NULL;
    if (clean && strcmp(clean, text.data) != 0 &&
        xtars_write_file_atomic(path, clean, strlen(clean), err) != XTARS_OK)
        xtars_log_warn("launch: %s", err);
    free(clean);
    xtars_buf_cleanup(&text);
}

void cli_session_stop(struct cli_session *s)
{
    for (int i = s->launch_count - 1; i >= 0; i--)
        xtars_launch_free(s->launches[i]);
    for (int i = 0; s->log_dir[0] && i < s->launch_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/launch-%d.log", s->log_dir, i + 1);
        redact_log(path);
    }
    s->launch_count = 0;
    xtars_xvfb_free(s->xvfb);
    s->xvfb = NULL;
}

int cli_step_note(char *note, size_t size, void *user)
{
    struct cli_progress_options *p = user;
    size_t used = 0;

    if (p == NULL || p->session == NULL)
        return 0;
    note[0] = '\0';
    for (int i = 0; i < p->session->launch_count; i++) {
        char how[XTARS_ERRLEN];
        if (p->session->told[i] || xtars_launch_running(p->session->launches[i]))
            continue;
        p->session->told[i] = 1;
        xtars_launch_describe_exit(p->session->launches[i], how, sizeof how);
        if (xtars_launch_failed(p->session->launches[i]))
            xtars_log_warn("%s", how);
        else /* the model may well have closed it */
            xtars_log_info("%s", how);
        if (used < size)
            used += (size_t)snprintf(note + used, size - used, "%s%s", used ? "; " : "", how);
    }
    return note[0] != '\0';
}

/* Copies text with each newline shown as U+23CE (what a typed Enter looks
 * like in a one-line view) rather than the space the logger would make it. */
static void show_newlines(const char *text, char *out, size_t size)
{
    size_t used = 0;

    for (; text && *text && used + 4 < size; text++) {
        if (*text == '\n') {
            memcpy(out + used, "\xe2\x8f\x8e", 3);
            used += 3;
        } else if (*text != '\r') {
            out[used++] = *text;
        }
    }
    out[used] = '\0';
}

int cli_progress(const struct xtars_agent_step_info *info, void *user)
{
    struct cli_progress_options *p = user;
    char summary[1024], note[2048], whole[48] = "";
    int step = info->step;

    if (p && p->quiet)
        return 0;
    if (p) {
        if (p->first_step <= 0 || p->first_step > info->step)
            p->first_step = info->step;
        step = info->step - p->first_step + 1;
        if (step != info->step)
            snprintf(whole, sizeof whole, " (trajectory step %d)", info->step);
    }
    show_newlines(info->summary && info->summary[0] ? info->summary : "-", summary, sizeof summary);
    show_newlines(info->note, note, sizeof note);
    xtars_log_info("step %d/%d%s  %s%s%s  capture %.1f ms  encode %.1f ms  model %.0f ms  exec %.0f ms  "
                   "settle %.0f ms",
                   step, info->max_steps, whole, summary, info->note ? "  note: " : "", note,
                   info->capture_ms, info->encode_ms, info->model_ms, info->exec_ms, info->settle_ms);
    return 0;
}

#define CONFIRM_SHOWN 400 /* bytes of typed text a confirmation prompt shows */

/* Asks on the terminal whether `who` may perform action; denies without one.
 * The typed text is redacted and escaped (term.h), each newline shown as
 * U+23CE so the text cannot draw lines of its own under the question, and
 * a cut says how much it left out. */
static int confirm_on_tty(const char *who, const struct xtars_action *action, const char *reason)
{
    FILE *tty;
    char answer[16] = "", shown[CONFIRM_SHOWN * 3 + 8], more[48] = "", *safe;
    size_t len, cut;

    if (!isatty(0) || (tty = fopen("/dev/tty", "r+")) == NULL)
        return 0; /* no human to ask: deny (fail closed) */
    safe = xtars_term_clean(action->text); /* redacted before the cut, then escaped */
    len = safe ? strlen(safe) : 0;
    cut = len;
    if (len > CONFIRM_SHOWN) {
        cut = CONFIRM_SHOWN;
        while (cut > 0 && ((unsigned char)safe[cut] & 0xC0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
        snprintf(more, sizeof more, " and %zu more bytes", len - cut);
        safe[cut] = '\0';
    }
    show_newlines(safe ? safe : "[withheld]", shown, sizeof shown);
    free(safe);
    fprintf(tty, "xtars: %s %s%s%s%s%s (%s). Allow? [y/N] ", who,
            xtars_action_type_name(action->type), action->text ? " '" : "", shown,
            action->text ? "'" : "", more, reason);
    fflush(tty);
    if (fgets(answer, sizeof answer, tty) == NULL)
        answer[0] = '\0';
    fclose(tty);
    return answer[0] == 'y' || answer[0] == 'Y';
}

int cli_confirm(const struct xtars_action *action, const char *reason, void *user)
{
    (void)user;
    return confirm_on_tty("the model wants to", action, reason);
}

int cli_confirm_recorded(const struct xtars_action *action, const char *reason, void *user)
{
    (void)user;
    return confirm_on_tty("the recorded step would", action, reason);
}

int cli_confirm_typed(const struct xtars_action *action, const char *reason, void *user)
{
    (void)user;
    return confirm_on_tty("about to", action, reason);
}
