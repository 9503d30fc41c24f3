/* cmd_replay.c: `xtars replay DIR`: perform a recorded run's actions again,
 * without the model, optionally checking before each step that the screen
 * still looks as recorded (docs/replay.md). The replay is recorded as a
 * trajectory of its own, with a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/term.h"
#include "agent/cli/cli.h"
#include "agent/cli/cli_session.h"
#include "xtars/agent.h"
#include "xtars/log.h"
#include "xtars/replay.h"
#include "agent/record/report.h"

enum {
    OPT_DISPLAY = 1, OPT_MONITOR, OPT_ENDPOINT, OPT_MODEL, OPT_FAMILY, OPT_XVFB, OPT_LAUNCH, OPT_OUT,
    OPT_FROM, OPT_TO, OPT_SPEED, OPT_STEP, OPT_DRY_RUN, OPT_VERIFY, OPT_THRESHOLD, OPT_ON_DIVERGE,
    OPT_QUIET, OPT_NO_REPORT, OPT_SCREEN
};

static int run_replay(int argc, char **argv);

const struct cli_command cli_cmd_replay = {
    .name = "replay",
    .summary = "perform a recorded run again, checking the screen as it goes",
    .usage =
        "Usage: xtars replay [options] DIR\n\n"
        "Performs the actions recorded in the trajectory DIR (from `run`, `task`, `replay`\n"
        "or `import`) step by step, without the model, and records the replay as a\n"
        "trajectory of its own. Points are scaled when the screen differs in size from the\n"
        "recorded one. With --verify, the screen is compared with the recorded screenshot\n"
        "before each step; when they differ, the replay stops and writes a side-by-side diff\n"
        "image (docs/replay.md). Exit 0 when every step was replayed (or the recording's\n"
        "finished() was reached), 4 when it diverged, reached call_user() or was stopped,\n"
        "3 when the model failed (--on-diverge ask-model), 2 for a bad DIR or option, 1 for\n"
        "other errors.\n\n"
        "  --display D          X display (default $DISPLAY)\n"
        "  --monitor M          XRandR monitor index or output name\n"
        "  --xvfb WxH           replay on a private headless Xvfb of that size\n"
        "  --launch CMD         start CMD on the display first (repeatable)\n"
        "  --out DIR            the replay's trajectory directory (default runs/<time>-<pid>)\n"
        "  --from N             first recorded step to replay (default 1)\n"
        "  --to M               last recorded step to replay (default: the last)\n"
        "  --speed X            make each step last its recorded time / X (default: wait for\n"
        "                       the screen to settle, as run does)\n"
        "  --step               wait for Enter before each step (stdin a terminal; q stops)\n"
        "  --dry-run            send no input; print the events it would send on stdout.\n"
        "                       Without a display (no --display, $DISPLAY or --xvfb) each\n"
        "                       step sees its recorded screenshot, on the recorded screen\n"
        "  --screen WxH[+X+Y]   with --dry-run: act on a screen of this size without a\n"
        "                       display (points scaled as on a live screen of that size)\n"
        "  --verify             compare the screen with the recording before each step\n"
        "  --threshold T        similarity (0..1) below which a step diverged (default 0.99;\n"
        "                       implies --verify)\n"
        "  --on-diverge WHAT    stop (default), or ask-model: the model takes that step\n"
        "  --endpoint URL       model API base URL, for ask-model\n"
        "  --model NAME         model name, for ask-model\n"
        "  --family F           the model's coordinate family, for ask-model\n"
        "  --quiet              no progress lines\n"
        "  --no-report          do not write report.html into the replay's trajectory\n\n"
        CLI_COMMON_USAGE,
    .run = run_replay,
};

struct replay_args {
    const char *flags[8];
    char flag_text[8][600];
    int flag_count;
    const char *out, *xvfb;
    const char *launch[CLI_MAX_LAUNCH];
    int launch_count, dry_run, quiet, step, no_report, have_screen;
    struct xtars_rect screen;    /* --screen */
    struct xtars_rect still;     /* a dry run without a display: the screen acted on; else 0 */
    struct xtars_replay_options replay;
};

/* What the step callbacks need. */
struct replay_ui {
    struct cli_progress_options progress;
    struct xtars_agent *agent;
    int dry_run;
    size_t dry_printed;          /* bytes of the dry-run log already printed */
    FILE *tty;                   /* --step prompts, NULL without a terminal */
};

static int add_flag(struct replay_args *r, const char *key, const char *value)
{
    if (r->flag_count == 8)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "too many options");
    snprintf(r->flag_text[r->flag_count], sizeof r->flag_text[0], "%s=%s", key, value);
    r->flags[r->flag_count] = r->flag_text[r->flag_count];
    r->flag_count++;
    return CLI_EXIT_OK;
}

static int number_arg(const char *name, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);

    if (end == text || *end != '\0' || !(v >= lo && v <= hi))
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "%s needs a number from %g to %g, not '%s'",
                        name, lo, hi, text);
    *out = v;
    return CLI_EXIT_OK;
}

static int replay_option(struct replay_args *r, int opt, const char *arg)
{
    double v = 0; /* set by number_arg whenever it returns OK (gcc -O2 cannot tell) */
    int rc = CLI_EXIT_OK;

    switch (opt) {
    case OPT_OUT: r->out = arg; break;
    case OPT_XVFB: r->xvfb = arg; break;
    case OPT_DRY_RUN: r->dry_run = 1; break;
    case OPT_QUIET: r->quiet = 1; break;
    case OPT_STEP: r->step = 1; break;
    case OPT_NO_REPORT: r->no_report = 1; break;
    case OPT_VERIFY: r->replay.verify = 1; break;
    case OPT_SCREEN:
        if (cli_parse_rect(arg, CLI_RECT_ANY, &r->screen) != 0)
            return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--screen must be WxH or WxH+X+Y "
                            "(e.g. 1920x1080), not '%s'", arg);
        r->have_screen = 1;
        break;
    case OPT_FROM:
    case OPT_TO:
        if ((rc = number_arg(opt == OPT_FROM ? "--from" : "--to", arg, 1, 1000000, &v)) == CLI_EXIT_OK)
            *(opt == OPT_FROM ? &r->replay.first_step : &r->replay.last_step) = (int)v;
        break;
    case OPT_SPEED:
        if ((rc = number_arg("--speed", arg, 0.01, 1000, &v)) == CLI_EXIT_OK)
            r->replay.speed = v;
        break;
    case OPT_THRESHOLD:
        if ((rc = number_arg("--threshold", arg, 0.000001, 1, &v)) == CLI_EXIT_OK)
            r->replay.threshold = v, r->replay.verify = 1;
        break;
    case OPT_ON_DIVERGE:
        if (strcmp(arg, "stop") == 0 || strcmp(arg, "ask-model") == 0)
            r->replay.on_diverge = arg[0] == 's' ? XTARS_REPLAY_STOP : XTARS_REPLAY_ASK_MODEL;
        else
            rc = cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--on-diverge takes stop or ask-model, "
                          "not '%s'", arg);
        break;
    case OPT_LAUNCH:
        if (r->launch_count == CLI_MAX_LAUNCH)
            return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "at most %d --launch commands",
                            CLI_MAX_LAUNCH);
        r->launch[r->launch_count++] = arg;
        break;
    default:
        return -1;
    }
    return rc;
}

static int parse_args(int argc, char **argv, struct cli_common *common, struct replay_args *r)
{
    static const struct option longopts[] = {
        {"display", required_argument, NULL, OPT_DISPLAY},
        {"monitor", required_argument, NULL, OPT_MONITOR},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"model", required_argument, NULL, OPT_MODEL},
        {"family", required_argument, NULL, OPT_FAMILY},
        {"xvfb", required_argument, NULL, OPT_XVFB},
        {"launch", required_argument, NULL, OPT_LAUNCH},
        {"out", required_argument, NULL, OPT_OUT},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"speed", required_argument, NULL, OPT_SPEED},
        {"step", no_argument, NULL, OPT_STEP},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"on-diverge", required_argument, NULL, OPT_ON_DIVERGE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"no-report", no_argument, NULL, OPT_NO_REPORT},
        {"screen", required_argument, NULL, OPT_SCREEN},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static const char *const keys[] = {NULL, "display", "monitor", "endpoint", "model", "family"};
    int opt, rc = CLI_EXIT_OK;

    optind = 0;
    while (rc == CLI_EXIT_OK && (opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int handled = cli_common_option(&cli_cmd_replay, common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        if (opt >= OPT_DISPLAY && opt <= OPT_FAMILY)
            rc = add_flag(r, keys[opt], optarg);
        else if ((rc = replay_option(r, opt, optarg)) < 0)
            return cli_bad_option(&cli_cmd_replay, longopts, argv, opt);
    }
    if (rc == CLI_EXIT_OK && r->replay.first_step && r->replay.last_step &&
        r->replay.first_step > r->replay.last_step)
        rc = cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--from %d is after --to %d",
                      r->replay.first_step, r->replay.last_step);
    return rc;
}

/* Progress line, then (dry run) the events the step would have sent. */
static int on_step(const struct xtars_agent_step_info *info, void *user)
{
    struct replay_ui *ui = user;
    const char *log;

    cli_progress(info, &ui->progress);
    if (ui->dry_run && ui->agent && (log = xtars_agent_dry_log(ui->agent)) != NULL) {
        size_t len = strlen(log);
        if (len > ui->dry_printed)
            fwrite(log + ui->dry_printed, 1, len - ui->dry_printed, stdout);
        ui->dry_printed = len;
        fflush(stdout);
    }
    return 0;
}

/* --step: asks on the terminal before each recorded step. */
static int before_step(const struct xtars_traj_step *step, void *user)
{
    struct replay_ui *ui = user;
    char answer[64] = "", *thought;

    if (ui->tty == NULL)
        return 0;
    thought = xtars_term_clean(step->thought); /* the recorded model text: no escapes */
    fprintf(ui->tty, "xtars: recorded step %d (%d action%s%s%.80s) - Enter to replay it, q to stop: ",
            step->step, step->action_count, step->action_count == 1 ? "" : "s",
            step->thought ? "; " : "", step->thought && thought ? thought : "");
    free(thought);
    fflush(ui->tty);
    if (fgets(answer, sizeof answer, ui->tty) == NULL)
        return 1;
    return answer[0] == 'q' || answer[0] == 'Q';
}

static int load_run(const char *dir, struct xtars_traj_run *run)
{
    char err[XTARS_ERRLEN];
    xtars_err rc;

    if (cli_need_dir(&cli_cmd_replay, dir, "run.json", "a trajectory directory") != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    rc = xtars_traj_load(dir, run, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_replay, rc == XTARS_EFORMAT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME,
                        "%s", err);
    if (run->warning[0])
        xtars_log_warn("%s: %s", dir, run->warning);
    if (run->step_count == 0) {
        xtars_traj_run_cleanup(run);
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "%s: no recorded step to replay", dir);
    }
    return CLI_EXIT_OK;
}

static void print_outcome(const struct xtars_agent_result *res, const char *dir)
{
    const char *colon = res->message[0] ? ": " : ""; /* a recorded finished() may say nothing */

    if (res->status == XTARS_RUN_FINISHED)
        xtars_log_info("replay %s after %d step%s%s%s", xtars_run_status_name(res->status), res->steps,
                       res->steps == 1 ? "" : "s", colon, res->message);
    else
        xtars_log_error("replay %s after %d step%s%s%s", xtars_run_status_name(res->status),
                        res->steps, res->steps == 1 ? "" : "s", colon, res->message);
    xtars_log_info("trajectory: %s", dir);
}

/* A dry run acts without a display when given --screen, or when there is
 * no display to capture (no --display, config 'display', $DISPLAY or
 * --xvfb): on the recorded target then. Sets r->still, or leaves it zero
 * for a replay on the display. */
static int choose_screen(struct replay_args *r, const struct xtars_config *cfg,
                         const struct xtars_traj_run *run)
{
    const char *display = getenv("DISPLAY");

    if (!r->dry_run && r->have_screen)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--screen is for --dry-run: a replay "
                        "that sends input acts on the display's own screen");
    if (!r->dry_run)
        return CLI_EXIT_OK;
    if (r->have_screen && r->xvfb)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--screen (a dry run without a display) "
                        "and --xvfb exclude each other");
    if (!r->have_screen && (r->xvfb || cfg->display[0] || (display && display[0])))
        return CLI_EXIT_OK; /* a dry run on the display: live screenshots */
    r->still = r->have_screen ? r->screen
                              : (struct xtars_rect){run->target_x, run->target_y, run->target_width,
                                                    run->target_height};
    if (r->still.width <= 0 || r->still.height <= 0)
        r->still = (struct xtars_rect){0, 0, run->screen_width, run->screen_height};
    if (r->still.width <= 0 || r->still.height <= 0)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "%s records no screen size: a dry run "
                        "without a display needs --screen WxH", run->dir);
    if (r->replay.verify)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--verify compares the live screen with "
                        "the recording, and a dry run without a display has none (replay on a "
                        "display, e.g. --xvfb %dx%d, or drop --verify)", r->still.width,
                        r->still.height);
    if (r->launch_count)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "--launch needs a display (give "
                        "--display or --xvfb WxH)");
    if (cfg->monitor[0])
        xtars_log_warn("monitor '%s' ignored: a dry run without a display has no monitors",
                       cfg->monitor);
    xtars_log_info("dry run without a display: acting on %dx%d+%d+%d (%s); each step sees its "
                   "recorded screenshot", r->still.width, r->still.height, r->still.x, r->still.y,
                   r->have_screen ? "--screen" : "the recorded screen");
    return CLI_EXIT_OK;
}

/* Creates the agent and replays; returns the exit code. */
static int replay(const struct replay_args *r, struct xtars_config *cfg, struct cli_session *session,
                  const struct xtars_traj_run *run, struct replay_ui *ui)
{
    struct xtars_agent_options opts;
    struct xtars_replay_options replay = r->replay;
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN], dir[4096];
    int rc;

    memset(&opts, 0, sizeof opts);
    opts.out_dir = r->out;
    opts.source = "replay";
    opts.title = run->instruction;
    opts.dry_run = r->dry_run;
    opts.dry_screen = r->still;
    opts.startup_wait_ms = session->launch_count ? 10000 : 0;
    opts.on_step = on_step;
    opts.confirm = cli_confirm_recorded;
    opts.user = ui;
    if (xtars_agent_new(cfg, &opts, &ui->agent, err) != XTARS_OK)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_RUNTIME, "%s", err);
    cli_signals_target(ui->agent);
    replay.before_step = r->step ? before_step : NULL;
    replay.user = ui;
    if (xtars_agent_replay(ui->agent, run, &replay, &res, err) != XTARS_OK) {
        res.status = XTARS_RUN_ERROR;
        snprintf(res.message, sizeof res.message, "%s", err);
        xtars_agent_finish(ui->agent, res.status, res.message);
    }
    cli_signals_target(NULL);
    snprintf(dir, sizeof dir, "%s", xtars_agent_dir(ui->agent));
    rc = xtars_run_status_exit_code(res.status);
    xtars_agent_free(ui->agent); /* writes the final run.json */
    ui->agent = NULL;
    print_outcome(&res, dir);
    if (!r->no_report && xtars_report_write(dir, NULL, NULL, err) != XTARS_OK)
        xtars_log_warn("report: %s", err);
    return rc;
}

static int run_replay(int argc, char **argv)
{
    struct cli_common common = {0};
    struct replay_args r;
    struct xtars_config cfg;
    struct xtars_traj_run run;
    struct cli_session session;
    struct replay_ui ui;
    int rc;

    memset(&r, 0, sizeof r);
    memset(&ui, 0, sizeof ui);
    if ((rc = parse_args(argc, argv, &common, &r)) != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_replay);
    if (optind != argc - 1)
        return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "needs exactly one trajectory DIR");
    if ((rc = cli_config_load(&cli_cmd_replay, &common, r.flags, r.flag_count, &cfg)) != CLI_EXIT_OK)
        return rc;
    if ((rc = load_run(argv[optind], &run)) != CLI_EXIT_OK)
        return rc;
    if ((rc = choose_screen(&r, &cfg, &run)) != CLI_EXIT_OK) {
        xtars_traj_run_cleanup(&run);
        return rc;
    }
    {
        char applied[XTARS_ERRLEN], err[XTARS_ERRLEN];
        if (xtars_replay_use_recorded_timing(&cfg, &run, applied, err) != XTARS_OK) {
            xtars_traj_run_cleanup(&run);
            return cli_fail(&cli_cmd_replay, CLI_EXIT_USAGE, "%s", err);
        }
        if (applied[0])
            xtars_log_info("timing as recorded: %s", applied);
    }
    ui.progress.quiet = r.quiet;
    ui.dry_run = r.dry_run;
    if (r.step && isatty(0))
        ui.tty = fopen("/dev/tty", "r+");
    else if (r.step)
        xtars_log_warn("--step ignored: standard input is not a terminal");
    cli_signals_install();
    rc = cli_session_start(&cli_cmd_replay, r.xvfb, r.launch, r.launch_count, &cfg, &session);
    if (rc == CLI_EXIT_OK) {
        rc = replay(&r, &cfg, &session, &run, &ui);
        cli_session_stop(&session);
    }
    if (ui.tty)
        fclose(ui.tty);
    xtars_traj_run_cleanup(&run);
    return rc;
}
