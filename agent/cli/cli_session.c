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

#include "agent/config/config_internal.h"
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

int cli_session_start(const struct cli_command *cmd, const char *xvfb_size,
                      const char *const *launch, int launch_count, struct xtars_config *cfg,
                      struct cli_session *s)
{
    char err[XTARS_ERRLEN];

    memset(s, 0, sizeof s[0]);
    path_with_own_dir();
    /* Apps a launched shell starts are re-parented to us when the shell
     * exits, so stopping them can wait until they are gone (launch.h). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (xvfb_size) {
        struct xtars_xvfb_options opts = {0, 0, 24, 15000, NULL};
        if (xtars_parse_size(xvfb_size, &opts.width, &opts.height) != XTARS_OK)
            return cli_fail(cmd, CLI_EXIT_USAGE, "--xvfb needs WIDTHxHEIGHT such as 1280x800, not '%s'",
                            xvfb_size);
        if (xtars_xvfb_start(&opts, &s->xvfb, err) != XTARS_OK)
            return cli_fail(cmd, CLI_EXIT_RUNTIME, "%s", err);
        snprintf(cfg->display, sizeof cfg->display, "%s", xtars_xvfb_display(s->xvfb));
        xtars_log_debug("private Xvfb %s (%s) on %s", xvfb_size, "no TCP", cfg->display);
    }
    for (int i = 0; i < launch_count && i < CLI_MAX_LAUNCH; i++) {
        const char *display = cfg->display[0] ? cfg->display : getenv("DISPLAY");
        if (xtars_launch_start(launch[i], display, NULL, NULL, 0, &s->launches[i], err) != XTARS_OK) {
            cli_session_stop(s);
            return cli_fail(cmd, CLI_EXIT_RUNTIME, "%s", err);
        }
        s->launch_count = i + 1;
    }
    return CLI_EXIT_OK;
}

void cli_session_stop(struct cli_session *s)
{
    for (int i = s->launch_count - 1; i >= 0; i--)
        xtars_launch_free(s->launches[i]);
    s->launch_count = 0;
    xtars_xvfb_free(s->xvfb);
    s->xvfb = NULL;
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

int cli_confirm(const struct xtars_action *action, const char *reason, void *user)
{
    FILE *tty;
    char answer[16] = "", shown[81];

    (void)user;
    if (!isatty(0) || (tty = fopen("/dev/tty", "r+")) == NULL)
        return 0; /* no human to ask: deny (fail closed) */
    xtars_log_redact_copy(shown, sizeof shown, action->text ? action->text : "");
    fprintf(tty, "xtars: the model wants to %s%s%s%s (%s). Allow? [y/N] ",
            xtars_action_type_name(action->type), action->text ? " '" : "", shown,
            action->text ? "'" : "", reason);
    fflush(tty);
    if (fgets(answer, sizeof answer, tty) == NULL)
        answer[0] = '\0';
    fclose(tty);
    return answer[0] == 'y' || answer[0] == 'Y';
}
