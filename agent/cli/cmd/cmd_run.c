/* cmd_run.c: `xtars run`: the main job. Drives the desktop with the model
 * until the task is finished, recording a trajectory and a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/files.h"
#include "agent/base/term.h"
#include "agent/cli/cli.h"
#include "agent/cli/cli_session.h"
#include "xtars/agent.h"
#include "xtars/log.h"
#include "agent/record/report.h"

enum { OPT_FAMILY = 1, OPT_MAX_STEPS, OPT_HISTORY, OPT_WAIT_FOR, OPT_QUIET, OPT_NO_REPORT };

static int run_run(int argc, char **argv);

const struct cli_command cli_cmd_run = {
    .name = "run",
    .summary = "drive the desktop with the model until the task is done",
    .usage =
        "Usage: xtars run [options] \"INSTRUCTION\"\n\n"
        "Captures the screen, asks the model, performs its actions, and repeats until the\n"
        "model says finished() (exit 0) or call_user() (exit 4), max_steps is reached (4),\n"
        "the endpoint fails (3) or another error happens (1). Ctrl-C stops cleanly (4).\n"
        "Every step is recorded in a trajectory directory (docs/trajectory.md).\n\n"
        "  --endpoint URL       model API base URL (config endpoint)\n"
        "  --model NAME         model name (config model)\n"
        "  --family F           uitars-1.5, uitars-1.0, doubao or pixels\n"
        "  --max-steps N        steps before giving up\n"
        "  --history-images N   screenshots kept in the request\n"
        "  --display D          X display (default $DISPLAY)\n"
        "  --monitor M          XRandR monitor index or output name\n"
        "  --out DIR            trajectory directory (default runs/<time>-<pid>)\n"
        "  --dry-run            everything but the input events\n"
        "  --xvfb WxH           run on a private headless Xvfb of that size\n"
        "  --launch CMD         start CMD on the display first (repeatable); its output\n"
        "                       goes to launch-N.log in the trajectory, and the run fails\n"
        "                       (exit 1) if it exits with an error before the first step\n"
        "  --wait-for TEXT      wait until the --launch before it prints TEXT (up to 15 s);\n"
        "                       without it, wait until the apps have mapped their windows\n"
        "                       (up to 10 s), then until the screen is still (up to 10 s)\n"
        "  --quiet              no progress lines\n"
        "  --no-report          do not write report.html into the trajectory\n\n" CLI_COMMON_USAGE
        "\nThe API key is read from the variable named by api_key_env (XTARS_API_KEY).\n",
    .run = run_run,
};

struct run_args {
    struct cli_session_args session; /* --endpoint, --xvfb, --launch... as mcp's */
    int quiet, no_report;
};

/* --wait-for belongs to the --launch just before it, as "wait_for" belongs
 * to its setup entry in a task file. */
static int add_wait_for(struct cli_session_args *r, const char *text)
{
    if (r->launch_count == 0)
        return cli_fail(&cli_cmd_run, CLI_EXIT_USAGE, "--wait-for TEXT goes after the --launch CMD "
                        "whose output prints TEXT");
    if (r->launch[r->launch_count - 1].wait_for)
        return cli_fail(&cli_cmd_run, CLI_EXIT_USAGE, "two --wait-for for --launch '%.200s'",
                        r->launch[r->launch_count - 1].command);
    if (text[0] == '\0')
        return cli_fail(&cli_cmd_run, CLI_EXIT_USAGE, "--wait-for needs a non-empty TEXT");
    r->launch[r->launch_count - 1].wait_for = text;
    return CLI_EXIT_OK;
}

static int own_option(void *ctx, int opt, const char *arg)
{
    static const char *const keys[] = {NULL, "family", "max_steps", "history_images"};
    struct run_args *r = ctx;
    int rc = cli_session_option(&cli_cmd_run, &r->session, opt, arg);

    if (rc >= 0)
        return rc;
    switch (opt) {
    case OPT_FAMILY:
    case OPT_MAX_STEPS:
    case OPT_HISTORY:
        return cli_flags_add(&cli_cmd_run, &r->session.flags, keys[opt], arg);
    case OPT_WAIT_FOR:
        return add_wait_for(&r->session, arg);
    case OPT_QUIET:
        r->quiet = 1;
        return CLI_EXIT_OK;
    case OPT_NO_REPORT:
        r->no_report = 1;
        return CLI_EXIT_OK;
    default:
        return -1;
    }
}

static int parse_args(int argc, char **argv, struct cli_common *common, struct run_args *r)
{
    static const struct option longopts[] = {
        CLI_SESSION_LONGOPTS,
        {"family", required_argument, NULL, OPT_FAMILY},
        {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
        {"history-images", required_argument, NULL, OPT_HISTORY},
        {"wait-for", required_argument, NULL, OPT_WAIT_FOR},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"no-report", no_argument, NULL, OPT_NO_REPORT},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };

    return cli_parse_options(&cli_cmd_run, argc, argv, longopts, common, own_option, r);
}

/* Prints the outcome: the finished() content on stdout, a summary on stderr. */
static void print_outcome(const struct xtars_agent_result *res, const char *dir)
{
    if (res->status == XTARS_RUN_FINISHED) { /* stdout is an artefact too: redacted, and
                                               * the terminal safe (agent/base/term.h) */
        char *clean = xtars_term_clean(res->message);
        printf("%s\n", clean ? clean : "[withheld]");
        free(clean);
    }
    if (res->status == XTARS_RUN_FINISHED || res->status == XTARS_RUN_CALL_USER)
        xtars_log_info("%s after %d step%s%s%s", xtars_run_status_name(res->status), res->steps,
                       res->steps == 1 ? "" : "s", res->message[0] ? ": " : "", res->message);
    else if (res->status == XTARS_RUN_ERROR && res->steps == 0) /* e.g. an app failed to start */
        xtars_log_error("%s", res->message);
    else
        xtars_log_error("%s after %d step%s: %s", xtars_run_status_name(res->status), res->steps,
                        res->steps == 1 ? "" : "s", res->message);
    xtars_log_info("trajectory: %s", dir);
}

/* The trajectory directory, decided before the apps start so that their
 * logs go into it: --out, or <out_dir>/<time>-<pid> as the agent names it. */
static void run_dir(const struct run_args *r, const struct xtars_config *cfg, char *out,
                    size_t size)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (r->session.out) {
        snprintf(out, size, "%s", r->session.out);
        return;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, size, "%s/%s-%ld", cfg->out_dir, stamp, (long)getpid());
}

/* Starts the --launch apps with their logs in dir and waits until they are
 * ready; a failure is kept in failure (the run then records it and ends). */
static int start_apps(const struct run_args *r, const struct xtars_config *cfg,
                      struct cli_session *session, const char *dir, char *failure)
{
    char err[XTARS_ERRLEN];

    failure[0] = '\0';
    if (r->session.launch_count == 0)
        return CLI_EXIT_OK;
    if (xtars_mkdir_p(dir, err) != XTARS_OK)
        return cli_fail(&cli_cmd_run, CLI_EXIT_RUNTIME, "%s", err);
    if (cli_session_launch(session, r->session.launch, r->session.launch_count,
                           cfg->display[0] ? cfg->display : NULL, NULL, dir, err) != XTARS_OK)
        snprintf(failure, XTARS_ERRLEN, "%s", err);
    return CLI_EXIT_OK;
}

static int run_run(int argc, char **argv)
{
    struct cli_common common = {0};
    struct run_args r;
    struct xtars_config cfg;
    struct cli_session session;
    struct cli_progress_options progress = {0};
    struct xtars_agent_options opts;
    struct xtars_agent *agent = NULL;
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN], failure[XTARS_ERRLEN], dir[4096];
    int rc;

    memset(&r, 0, sizeof r);
    if ((rc = parse_args(argc, argv, &common, &r)) != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_run);
    if (optind != argc - 1)
        return cli_fail(&cli_cmd_run, CLI_EXIT_USAGE, "needs exactly one INSTRUCTION (quote it)");
    if (argv[optind][0] == '\0')
        return cli_fail(&cli_cmd_run, CLI_EXIT_USAGE, "the instruction is empty");
    if ((rc = cli_config_load(&cli_cmd_run, &common, r.session.flags.items, r.session.flags.count,
                              &cfg)) != CLI_EXIT_OK)
        return rc;
    cli_signals_install();
    if ((rc = cli_session_start(&cli_cmd_run, r.session.xvfb, NULL, 0, &cfg, &session)) != CLI_EXIT_OK)
        return rc;
    run_dir(&r, &cfg, dir, sizeof dir);
    if ((rc = start_apps(&r, &cfg, &session, dir, failure)) != CLI_EXIT_OK) {
        cli_session_stop(&session);
        return rc;
    }
    progress.quiet = r.quiet;
    progress.session = &session;
    memset(&opts, 0, sizeof opts);
    opts.out_dir = dir;
    opts.title = argv[optind]; /* in run.json even when no step runs */
    opts.dry_run = r.session.dry_run;
    opts.startup_wait_ms = r.session.launch_count && !failure[0] ? 10000 : 0;
    opts.on_step = cli_progress;
    opts.confirm = cli_confirm;
    opts.step_note = cli_step_note;
    opts.user = &progress;
    if (xtars_agent_new(&cfg, &opts, &agent, err) != XTARS_OK) {
        cli_session_stop(&session);
        return cli_fail(&cli_cmd_run, CLI_EXIT_RUNTIME, "%s", failure[0] ? failure : err);
    }
    cli_signals_target(agent);
    if (!failure[0])
        cli_session_check(&session, failure); /* an app that died while the screen settled */
    if (failure[0]) { /* recorded: run.json says why, the report links the app's log */
        memset(&res, 0, sizeof res);
        res.status = XTARS_RUN_ERROR;
        snprintf(res.message, sizeof res.message, "%s", failure);
        xtars_agent_finish(agent, res.status, res.message);
    } else if (xtars_agent_run(agent, argv[optind], 0, &res, err) != XTARS_OK) {
        res.status = XTARS_RUN_ERROR;
        snprintf(res.message, sizeof res.message, "%s", err);
        xtars_agent_finish(agent, res.status, res.message);
    }
    snprintf(dir, sizeof dir, "%s", xtars_agent_dir(agent));
    cli_signals_target(NULL);
    rc = xtars_run_status_exit_code(res.status);
    xtars_agent_free(agent); /* writes the final run.json */
    cli_session_stop(&session);
    print_outcome(&res, dir);
    if (!r.no_report) {
        if (xtars_report_write(dir, NULL, NULL, err) == XTARS_OK)
            xtars_log_info("report: %s/report.html", dir);
        else
            xtars_log_warn("report: %s", err);
    }
    return rc;
}
