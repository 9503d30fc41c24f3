/* cmd_export.c: `xtars export --to osworld DIR -o OUTDIR`: write an xtars
 * trajectory as an OSWorld result directory (docs/replay.md). */
#include <stdio.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/interop/import.h"
#include "agent/base/json.h"
#include "xtars/log.h"

enum { OPT_TO = 1, OPT_HELP };

static int run_export(int argc, char **argv);

const struct cli_command cli_cmd_export = {
    .name = "export",
    .summary = "write a recorded run in another tool's format (OSWorld)",
    .usage =
        "Usage: xtars export --to osworld DIR --out OUTDIR\n\n"
        "Writes the trajectory DIR as an OSWorld result directory OUTDIR: traj.jsonl with\n"
        "one line per step that acted (its actions as pyautogui code; finished() as DONE,\n"
        "call_user() as FAIL) and, for each line, the screenshot taken after the action as\n"
        "step_N_<time>.png at the recorded screen size. Prints a JSON summary on stdout.\n"
        "Exit 0 on success, 2 when DIR is not a trajectory, 1 for other errors (OUTDIR\n"
        "already holds a traj.jsonl).\n\n"
        "  --to FORMAT          osworld\n"
        "  --out OUTDIR         the directory to write\n"
        "  -h, --help           show this help\n\n"
        "On failure stdout holds {\"error\": {\"command\", \"code\", \"message\"}}.\n",
    .run = run_export,
    .json_errors = CLI_JSON_ERRORS_ALWAYS,
};

static int run_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, OPT_TO},
        {"out", required_argument, NULL, 'o'}, /* -o: the old spelling, kept working */
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char *const formats[] = {"osworld", NULL};
    struct xtars_export_stats stats;
    struct xtars_buf b;
    const char *to = NULL, *out = NULL;
    char err[XTARS_ERRLEN];
    xtars_err rc;
    int opt;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        if (opt == OPT_TO)
            to = optarg;
        else if (opt == 'o')
            out = optarg;
        else if (opt == OPT_HELP || opt == 'h')
            return cli_print_usage(&cli_cmd_export);
        else
            return cli_bad_option(&cli_cmd_export, longopts, argv, opt);
    }
    if (cli_need_choice(&cli_cmd_export, "--to", to, formats) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (optind != argc - 1 || out == NULL)
        return cli_fail(&cli_cmd_export, CLI_EXIT_USAGE, "needs the trajectory DIR and --out OUTDIR");
    if (cli_need_dir(&cli_cmd_export, argv[optind], "run.json", "a trajectory directory") !=
        CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    rc = xtars_export_osworld(argv[optind], out, &stats, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_export, rc == XTARS_EFORMAT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME, "%s",
                        err);
    if (stats.warning[0])
        xtars_log_warn("%s: %s", argv[optind], stats.warning);
    xtars_log_info("exported %d lines and %d screenshots to %s", stats.lines, stats.screenshots, out);
    xtars_buf_init(&b, 1 << 16);
    xtars_buf_puts(&b, "{\"output\": ");
    xtars_json_put_string(&b, out);
    xtars_buf_printf(&b, ", \"lines\": %d, \"screenshots\": %d}\n", stats.lines, stats.screenshots);
    fputs(b.data, stdout);
    xtars_buf_cleanup(&b);
    return CLI_EXIT_OK;
}
