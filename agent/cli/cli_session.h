/* cli_session.h: private helpers shared by the commands that drive a desktop
 * (run, replay, task): private Xvfb and launched apps, signal handling,
 * progress output and policy confirmation on the terminal. */
#ifndef XTARS_CLI_SESSION_H
#define XTARS_CLI_SESSION_H

#include "cli.h"
#include "xtars/agent.h"
#include "agent/run/launch.h"
#include "agent/run/xvfb.h"

#define CLI_MAX_LAUNCH 16
/* Without a text to wait for, how long launched apps get to map a window. */
#define CLI_WINDOW_WAIT_MS 10000

struct cli_session {
    struct xtars_xvfb *xvfb;
    struct xtars_launch *launches[CLI_MAX_LAUNCH];
    int launch_count;
    int told[CLI_MAX_LAUNCH];  /* its exit has been reported (error or step note) */
    char log_dir[4096];        /* where launch-N.log are; "" for none */
};

/* One app to start: `command` in a shell; wait_for, when not NULL, is text
 * its output prints once it is ready (task files' "wait_for", --wait-for). */
struct cli_app {
    const char *command;
    const char *wait_for;
};

/* The options of the commands that drive a session of their own (run,
 * mcp), parsed by one helper so that they mean the same everywhere. Their
 * getopt values sit below CLI_OPT_COMMON; a command numbers its own from 1. */
enum {
    CLI_OPT_SESSION = 900,
    CLI_OPT_ENDPOINT, /* the four settings first: --endpoint URL is "endpoint=URL" */
    CLI_OPT_MODEL,
    CLI_OPT_DISPLAY,
    CLI_OPT_MONITOR,
    CLI_OPT_OUT,
    CLI_OPT_DRY_RUN,
    CLI_OPT_XVFB,
    CLI_OPT_LAUNCH
};

#define CLI_SESSION_LONGOPTS                                  \
    {"endpoint", required_argument, NULL, CLI_OPT_ENDPOINT},  \
    {"model", required_argument, NULL, CLI_OPT_MODEL},        \
    {"display", required_argument, NULL, CLI_OPT_DISPLAY},    \
    {"monitor", required_argument, NULL, CLI_OPT_MONITOR},    \
    {"out", required_argument, NULL, CLI_OPT_OUT},            \
    {"dry-run", no_argument, NULL, CLI_OPT_DRY_RUN},          \
    {"xvfb", required_argument, NULL, CLI_OPT_XVFB},          \
    {"launch", required_argument, NULL, CLI_OPT_LAUNCH}

/* What the session options gave. flags holds the settings in command-line
 * order (a repeated option: the last one wins); a command adds its own
 * settings there too, for cli_config_load(). */
struct cli_session_args {
    struct cli_flags flags;
    const char *out;     /* --out DIR, or NULL */
    const char *xvfb;    /* --xvfb WxH, or NULL */
    struct cli_app launch[CLI_MAX_LAUNCH]; /* wait_for: the command's (run's --wait-for) */
    int launch_count;
    int dry_run;
};

/* Takes opt into a when it is a session option: returns -1 when it is not
 * one, else CLI_EXIT_OK or, after printing the error, CLI_EXIT_USAGE (too
 * many --launch or settings). For cli_parse_options()'s own callback. */
int cli_session_option(const struct cli_command *cmd, struct cli_session_args *a, int opt,
                       const char *arg);

/* Starts a private Xvfb when xvfb_size ("WxH") is given, pointing
 * cfg->display at it, then every launch command on the display (as
 * cli_session_launch() without a log directory). Prints the error and
 * returns an exit code on failure (everything started is stopped). */
int cli_session_start(const struct cli_command *cmd, const char *xvfb_size,
                      const char *const *launch, int launch_count, struct xtars_config *cfg,
                      struct cli_session *s);

/* Starts the apps in order on display (NULL: $DISPLAY) in cwd (NULL: ours),
 * each one's stdout and stderr in log_dir/launch-N.log (N counting from 1
 * across the session; log_dir NULL: unnamed temporary files), an app with
 * wait_for only once it has printed it (XTARS_LAUNCH_WAIT_MS at most). Then,
 * if some apps have no wait_for, waits until as many new top-level windows
 * are mapped as such apps still run, CLI_WINDOW_WAIT_MS at most (a warning,
 * not an error, when they do not). Fails with ECHILD and a one-line message
 * (xtars_launch_describe_exit()) as soon as an app exits with a failure; an
 * app that exits with status 0 is fine (xsetroot). The apps started stay in
 * s (cli_session_stop() ends them). */
xtars_err cli_session_launch(struct cli_session *s, const struct cli_app *apps, int count,
                             const char *display, const char *cwd, const char *log_dir,
                             char *err);

/* Just before the first step: ECHILD naming the first app that has exited
 * with a failure since it was started. Exits seen now are not noted again. */
xtars_err cli_session_check(struct cli_session *s, char *err);

/* Stops the launched apps (whole process groups), then the Xvfb; then
 * redacts registered secrets (xtars/log.h) from the apps' logs, as from
 * everything else in a trajectory. */
void cli_session_stop(struct cli_session *s);

/* SIGINT, SIGTERM and SIGHUP ask the target agent to stop; a signal that
 * arrives before there is an agent is remembered and delivered to it. */
void cli_signals_install(void);
void cli_signals_target(struct xtars_agent *agent);
int cli_signals_pending(void);

struct cli_progress_options {
    int quiet;
    struct cli_session *session;  /* its apps' exits become step notes; may be NULL */
    int first_step; /* trajectory step the current instruction began at; 0: the next one */
};

/* Step callback printing one progress line (text or JSON log line):
 * "step N/MAX" counts the steps of the current instruction (a task with
 * several instructions sets first_step to 0 before each) and adds the
 * trajectory's own step number when that differs; newlines in the actions
 * show as the return symbol. */
int cli_progress(const struct xtars_agent_step_info *info, void *user);

/* The agent's step_note hook (user: a struct cli_progress_options): notes
 * and logs each launched app that exited during the step, once. */
int cli_step_note(char *note, size_t size, void *user);

/* Policy confirmation: asks on the terminal, denies without one. The
 * question names who wants the action: the model (run, task), the recorded
 * step (replay), or nobody but the person at the terminal (act). */
int cli_confirm(const struct xtars_action *action, const char *reason, void *user);
int cli_confirm_recorded(const struct xtars_action *action, const char *reason, void *user);
int cli_confirm_typed(const struct xtars_action *action, const char *reason, void *user);

#endif
