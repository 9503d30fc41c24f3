/* cmd_act.c: `xtars act`: perform UI-TARS action calls given on the command
 * line, parsed with the reply grammar in a model family's coordinate space,
 * and print one JSON line per action with what was done and how long it took.
 * Every argument is parsed before anything is performed, so a typo in the
 * third action does not leave the first two done. Each action passes the
 * configured action policy right before it is performed, with one state for
 * the whole call, as a run's actions do (agent/loop/guard.h), unless
 * --no-policy. Ctrl-C stops cleanly. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/cli/cli_session.h"
#include "agent/reply/action_json.h"
#include "xtars/capture.h"
#include "xtars/exec.h"
#include "agent/base/json.h"
#include "agent/loop/guard.h"
#include "agent/loop/options.h"
#include "xtars/parse.h"

#define ACT_MAX_ACTIONS 256

enum { OPT_DISPLAY = 1, OPT_FAMILY, OPT_DRY_RUN, OPT_SCREEN, OPT_SENT, OPT_MONITOR, OPT_NO_POLICY };

static int run_act(int argc, char **argv);

const struct cli_command cli_cmd_act = {
    .name = "act",
    .summary = "perform UI-TARS action calls on the display (or a dry run)",
    .usage =
        "Usage: xtars act [--display D] [--family F] [--dry-run] [--screen WxH[+X+Y]]\n"
        "                 [--monitor M] [--sent WxH] [--no-policy] [options] 'ACTION' ...\n\n"
        "Parses each ACTION as a UI-TARS call, the grammar of model replies (for example\n"
        "\"click(start_box='(197,525)')\", \"type(content='hello\\n')\", \"hotkey(key='ctrl s')\",\n"
        "\"scroll(start_box='(400,300)', direction='down')\"), maps its coordinates from the\n"
        "family's space to the screen, performs the actions in order with XTest, and prints\n"
        "one JSON line per action on stdout:\n"
        "  {\"action\": {...}, \"done\": \"click left at (195,519)\", \"duration_ms\": 30.4,\n"
        "   \"pause_ms\": 30.1, \"events\": 3, \"remapped\": 0, \"ends_run\": false}\n"
        "Every ACTION is parsed before any is performed. See docs/actions.md.\n\n"
        "The action policy of a run applies (config 'policy' and 'policy_mode',\n"
        "docs/policy.md), with one state across the ACTIONs of this call: 'rm -r' then\n"
        "'f ~\\n' is checked as 'rm -rf ~'. An action the policy wants confirmed is asked\n"
        "about on the terminal when stdin is one, and refused otherwise; a refused action\n"
        "and everything after it are not performed.\n\n"
        "  --display D          X display (default: config 'display', then $DISPLAY)\n"
        "  --family F           coordinate space of the numbers: uitars-1.5 (pixels of the\n"
        "                       smart_resized image), uitars-1.0 or doubao (0..1000), or\n"
        "                       pixels (screen pixels); default: config 'family'\n"
        "  --screen WxH[+X+Y]   act only inside this rectangle of the screen (a monitor or\n"
        "                       window); with --dry-run and no display, the screen size\n"
        "  --monitor M          act only inside one XRandR monitor: index, monitor name or\n"
        "                       output name, as for screenshot (default: config 'monitor')\n"
        "  --sent WxH           size of the image the model saw (default: smart_resize of\n"
        "                       the screen or rectangle with min_pixels / max_pixels)\n"
        "  --dry-run            perform nothing; each line gets \"log\": the events that\n"
        "                       would have been sent\n"
        "  --no-policy          check no action against the policy (for actions you typed\n"
        "                       yourself; never for a model's output)\n\n"
        "Delays and amounts come from the config: click_delay_ms, double_click_ms,\n"
        "key_delay_ms, action_delay_ms, scroll_amount, wait_ms, clear_modifiers.\n\n"
        "Exit codes: 0 all performed; 1 an action could not be parsed, was refused by the\n"
        "policy or failed (the reason on stderr; nothing after it is performed); 2 usage\n"
        "or configuration error (a policy file that cannot be loaded included); 4 stopped\n"
        "by Ctrl-C or SIGTERM (everything held is released).\n\n" CLI_COMMON_USAGE,
    .run = run_act,
};

static atomic_int act_stop; /* the executor's stop flag (xtars/error.h) */

static void on_signal(int sig)
{
    (void)sig;
    act_stop = 1; /* the executor notices between events and releases everything */
}

struct act_options {
    const char *flags[3];
    char flag_text[3][160];
    int flag_count;
    int dry_run, have_screen, have_sent, no_policy;
    struct xtars_rect screen;
    int sent_width, sent_height;
};

static int own_option(struct act_options *o, int opt, const char *arg)
{
    struct xtars_rect sent;

    switch (opt) {
    case OPT_DISPLAY:
    case OPT_FAMILY:
    case OPT_MONITOR:
        snprintf(o->flag_text[o->flag_count], sizeof o->flag_text[0], "%s=%s",
                 opt == OPT_DISPLAY ? "display" : opt == OPT_FAMILY ? "family" : "monitor", arg);
        o->flags[o->flag_count] = o->flag_text[o->flag_count];
        o->flag_count++;
        return CLI_EXIT_OK;
    case OPT_DRY_RUN:
        o->dry_run = 1;
        return CLI_EXIT_OK;
    case OPT_NO_POLICY:
        o->no_policy = 1;
        return CLI_EXIT_OK;
    case OPT_SCREEN:
        if (cli_parse_rect(arg, CLI_RECT_ANY, &o->screen) != 0)
            return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE,
                            "--screen must be WxH or WxH+X+Y (e.g. 1920x1080), not '%s'", arg);
        o->have_screen = 1;
        return CLI_EXIT_OK;
    case OPT_SENT:
        if (cli_parse_rect(arg, CLI_RECT_SIZE, &sent) != 0)
            return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE, "--sent must be WxH, not '%s'", arg);
        o->have_sent = 1;
        o->sent_width = sent.width;
        o->sent_height = sent.height;
        return CLI_EXIT_OK;
    }
    return -1;
}

static int own_option_cb(void *ctx, int opt, const char *arg)
{
    return own_option(ctx, opt, arg);
}

/* The rectangle of config 'monitor' (--monitor), as capture resolves it for
 * a run, so the same reply lands on the same pixels in both. */
static int monitor_target(const struct act_options *o, const struct xtars_config *cfg,
                          struct xtars_rect *target)
{
    struct xtars_capture_options co;
    struct xtars_capture *cap;
    char err[XTARS_ERRLEN];
    xtars_err rc;

    xtars_capture_options_from_config(cfg, &co);
    co.cursor = 0; /* only the rectangle is needed */
    rc = xtars_capture_new(&co, &cap, err);
    if (rc != XTARS_OK) {
        if (o->dry_run && rc == XTARS_EDISPLAY)
            return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE, "%s (a dry run without a display "
                            "needs --screen WxH+X+Y instead of a monitor)", err);
        return cli_fail(&cli_cmd_act, rc == XTARS_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME,
                        "%s", err);
    }
    *target = xtars_capture_rect(cap);
    xtars_capture_free(cap);
    return CLI_EXIT_OK;
}

/* The rectangle the model's image shows: --screen, else config 'monitor'
 * (--monitor), else the display's screen (asked without XTest, so a dry run
 * needs no XTEST). */
static int find_target(const struct act_options *o, const struct xtars_config *cfg,
                       struct xtars_rect *target)
{
    char err[XTARS_ERRLEN];
    xtars_err rc;

    if (o->have_screen) {
        *target = o->screen;
        return CLI_EXIT_OK;
    }
    if (cfg->monitor[0])
        return monitor_target(o, cfg, target);
    memset(target, 0, sizeof *target);
    rc = xtars_exec_screen_size(cfg->display[0] ? cfg->display : NULL, &target->width,
                                &target->height, err);
    if (rc == XTARS_OK)
        return CLI_EXIT_OK;
    if (o->dry_run)
        return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE, "%s (a dry run without a display needs "
                        "--screen WxH)", err);
    return cli_fail(&cli_cmd_act, CLI_EXIT_RUNTIME, "%s", err);
}

static int build_space(const struct act_options *o, const struct xtars_config *cfg,
                       struct xtars_coord_space *space)
{
    int rc;

    memset(space, 0, sizeof *space);
    space->family = cfg->family;
    space->sent_width = o->sent_width;
    space->sent_height = o->sent_height;
    rc = find_target(o, cfg, &space->target);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!o->have_sent &&
        xtars_smart_resize(space->target.width, space->target.height, cfg->min_pixels,
                           cfg->max_pixels, &space->sent_width, &space->sent_height) != XTARS_OK &&
        cfg->family == XTARS_FAMILY_UITARS15)
        return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE,
                        "cannot smart_resize a %dx%d screen (aspect ratio over 200); give --sent",
                        space->target.width, space->target.height);
    return CLI_EXIT_OK;
}

static int parse_all(char **texts, int count, const struct xtars_coord_space *space,
                     const struct xtars_config *cfg, struct xtars_action *actions)
{
    char err[XTARS_ERRLEN];

    for (int i = 0; i < count; i++) {
        if (xtars_parse_action(texts[i], strlen(texts[i]), space, &actions[i], err) != XTARS_OK)
            return cli_fail(&cli_cmd_act, CLI_EXIT_RUNTIME, "action %d: %s", i + 1, err);
        xtars_action_fill_defaults(&actions[i], cfg->scroll_amount, cfg->wait_ms);
    }
    return CLI_EXIT_OK;
}

/* The dry-run log lines from `from` on, as a JSON array of strings. */
static void put_log(struct xtars_buf *line, const char *from)
{
    int first = 1;

    xtars_buf_puts(line, ", \"log\": [");
    while (*from) {
        const char *end = strchr(from, '\n');
        size_t n = end ? (size_t)(end - from) : strlen(from);
        xtars_buf_puts(line, first ? "" : ", ");
        xtars_json_put_stringn(line, from, n);
        first = 0;
        from += n + (end != NULL);
    }
    xtars_buf_puts(line, "]");
}

static void print_result(const struct xtars_action *action, const struct xtars_exec_result *r,
                         const char *log_from, const char *error)
{
    struct xtars_buf line;

    xtars_buf_init(&line, 8u << 20);
    xtars_buf_puts(&line, "{\"action\": ");
    xtars_action_to_json(action, &line);
    xtars_buf_puts(&line, ", \"done\": ");
    xtars_json_put_string(&line, r->description);
    xtars_buf_printf(&line, ", \"duration_ms\": %.3f, \"pause_ms\": %.3f, \"events\": %d, "
                     "\"remapped\": %d, \"ends_run\": %s", r->duration_ms, r->pause_ms, r->events,
                     r->remapped, r->ends_run ? "true" : "false");
    if (log_from)
        put_log(&line, log_from);
    if (error) {
        xtars_buf_puts(&line, ", \"error\": ");
        xtars_json_put_string(&line, error);
    }
    xtars_buf_puts(&line, "}\n");
    if (line.data)
        fputs(line.data, stdout);
    fflush(stdout);
    xtars_buf_cleanup(&line);
}

/* The policy's verdict on action i, right before it is performed; a refusal
 * gets its JSON line and the one-line error naming the rule's reason. */
static int allowed(struct xtars_guard *guard, const struct xtars_action *action, int i)
{
    struct xtars_exec_result none;
    char reason[200], error[400];
    enum xtars_policy_effect effect;

    if (guard == NULL)
        return 1;
    effect = xtars_guard_check(guard, action, reason, sizeof reason); /* asks the terminal */
    if (effect == XTARS_POLICY_ALLOW)
        return 1;
    snprintf(error, sizeof error, "refused by the action policy: %s%s", reason,
             effect != XTARS_POLICY_CONFIRM ? ""
             : isatty(0) ? " (it needs a person's yes, and none was given)"
                         : " (it needs a person's yes, and stdin is not a terminal to ask)");
    memset(&none, 0, sizeof none);
    print_result(action, &none, NULL, error);
    cli_fail(&cli_cmd_act, CLI_EXIT_RUNTIME, "action %d: %s; nothing after it was performed "
             "(--no-policy skips the policy)", i + 1, error);
    return 0;
}

static int perform_all(const struct act_options *o, const struct xtars_config *cfg,
                       struct xtars_rect target, const struct xtars_action *actions, int count,
                       struct xtars_guard *guard)
{
    struct xtars_exec_options eopts;
    struct xtars_executor *ex;
    struct xtars_exec_result result;
    char err[XTARS_ERRLEN];
    int rc = CLI_EXIT_OK;
    xtars_err e;

    xtars_exec_options_from_config(cfg, &eopts);
    eopts.bounds = target; /* --screen, or the whole screen (a dry run has no other) */
    eopts.stop = &act_stop;
    e = o->dry_run ? xtars_exec_new_dry(&eopts, &ex, err) : xtars_exec_new_xtest(&eopts, &ex, err);
    if (e != XTARS_OK)
        return cli_fail(&cli_cmd_act, e == XTARS_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME, "%s",
                        err); /* EINVAL: --screen outside the screen */
    /* The policy's own view of the display the executor just opened; a dry
     * run without a display checks the typed text alone, as a run's does. */
    if (guard && xtars_guard_open_desk(guard, cfg->display, err) != XTARS_OK && !o->dry_run) {
        xtars_exec_free(ex);
        return cli_fail(&cli_cmd_act, CLI_EXIT_RUNTIME, "%s", err);
    }
    for (int i = 0; i < count && rc == CLI_EXIT_OK; i++) {
        const char *log = o->dry_run ? xtars_exec_dry_log(ex) : NULL;
        size_t log_start = log ? strlen(log) : 0;

        if (!allowed(guard, &actions[i], i)) {
            rc = CLI_EXIT_RUNTIME;
            break;
        }
        e = xtars_exec_perform(ex, &actions[i], &result, err);
        if (guard)
            xtars_guard_performed(guard, &actions[i], e == XTARS_OK);
        log = o->dry_run ? xtars_exec_dry_log(ex) + log_start : NULL;
        print_result(&actions[i], &result, log, e == XTARS_OK ? NULL : err);
        if (e != XTARS_OK)
            rc = cli_fail(&cli_cmd_act, e == XTARS_ESTOPPED ? CLI_EXIT_INCOMPLETE : CLI_EXIT_RUNTIME,
                          "action %d: %s", i + 1, err);
    }
    xtars_exec_free(ex); /* releases anything still held */
    return rc;
}

static int act(const struct act_options *o, const struct xtars_config *cfg, char **texts,
               int count)
{
    struct xtars_coord_space space;
    struct xtars_action *actions = calloc((size_t)count, sizeof *actions);
    struct xtars_guard guard;
    char err[XTARS_ERRLEN];
    xtars_err e;
    int rc = CLI_EXIT_OK;

    xtars_guard_init(&guard);
    if (actions == NULL)
        return cli_fail(&cli_cmd_act, CLI_EXIT_RUNTIME, "out of memory");
    if (!o->no_policy && (e = xtars_guard_open_policy(&guard, cfg, err)) != XTARS_OK)
        rc = cli_fail(&cli_cmd_act, e == XTARS_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE, "%s",
                      err);
    guard.bounds = &space.target;
    guard.dry = o->dry_run;
    guard.confirm = cli_confirm_typed; /* asks when stdin is a terminal, refuses otherwise */
    if (rc == CLI_EXIT_OK)
        rc = build_space(o, cfg, &space);
    if (rc == CLI_EXIT_OK)
        rc = parse_all(texts, count, &space, cfg, actions);
    if (rc == CLI_EXIT_OK) {
        cli_catch_stop_signals(on_signal);
        rc = perform_all(o, cfg, space.target, actions, count, o->no_policy ? NULL : &guard);
    }
    xtars_guard_cleanup(&guard);
    for (int i = 0; i < count; i++)
        xtars_action_cleanup(&actions[i]);
    free(actions);
    return rc;
}

static int run_act(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"display", required_argument, NULL, OPT_DISPLAY},
        {"family", required_argument, NULL, OPT_FAMILY},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"screen", required_argument, NULL, OPT_SCREEN},
        {"monitor", required_argument, NULL, OPT_MONITOR},
        {"sent", required_argument, NULL, OPT_SENT},
        {"no-policy", no_argument, NULL, OPT_NO_POLICY},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common = {0};
    struct act_options o;
    struct xtars_config cfg;
    int rc;

    memset(&o, 0, sizeof o);
    rc = cli_parse_options(&cli_cmd_act, argc, argv, longopts, &common, own_option_cb, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_act);
    if (optind >= argc)
        return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE, "no action given (see 'xtars help act')");
    if (argc - optind > ACT_MAX_ACTIONS)
        return cli_fail(&cli_cmd_act, CLI_EXIT_USAGE, "at most %d actions", ACT_MAX_ACTIONS);
    rc = cli_config_load(&cli_cmd_act, &common, o.flags, o.flag_count, &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    return act(&o, &cfg, argv + optind, argc - optind);
}
