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

struct cli_session {
    struct xtars_xvfb *xvfb;
    struct xtars_launch *launches[CLI_MAX_LAUNCH];
    int launch_count;
};

/* Starts a private Xvfb when xvfb_size ("WxH") is given, pointing
 * cfg->display at it, then every launch command on the display. Prints the
 * error and returns an exit code on failure (everything started is stopped). */
int cli_session_start(const struct cli_command *cmd, const char *xvfb_size,
                      const char *const *launch, int launch_count, struct xtars_config *cfg,
                      struct cli_session *s);

/* Stops the launched apps (whole process groups), then the Xvfb. */
void cli_session_stop(struct cli_session *s);

/* SIGINT, SIGTERM and SIGHUP ask the target agent to stop; a signal that
 * arrives before there is an agent is remembered and delivered to it. */
void cli_signals_install(void);
void cli_signals_target(struct xtars_agent *agent);
int cli_signals_pending(void);

struct cli_progress_options {
    int quiet;
    int first_step; /* trajectory step the current instruction began at; 0: the next one */
};

/* Step callback printing one progress line (text or JSON log line):
 * "step N/MAX" counts the steps of the current instruction (a task with
 * several instructions sets first_step to 0 before each) and adds the
 * trajectory's own step number when that differs; newlines in the actions
 * show as the return symbol. */
int cli_progress(const struct xtars_agent_step_info *info, void *user);

/* Policy confirmation: asks on the terminal, denies without one. */
int cli_confirm(const struct xtars_action *action, const char *reason, void *user);

#endif
