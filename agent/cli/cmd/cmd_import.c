/* cmd_import.c: `xtars import --from osworld|uitars-desktop PATH -o DIR`:
 * turn another tool's recorded run into an xtars trajectory that `replay`,
 * `report` and `export` read (docs/replay.md). */
#include <stdio.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/interop/import.h"
#include "agent/base/json.h"
#include "xtars/log.h"
#include "agent/run/xvfb.h"

enum { OPT_FROM = 1, OPT_INSTRUCTION, OPT_SIZE, OPT_HELP };

static int run_import(int argc, char **argv);

const struct cli_command cli_cmd_import = {
    .name = "import",
    .summary = "turn an OSWorld or UI-TARS-desktop run into an xtars trajectory",
    .usage =
        "Usage: xtars import --from osworld RESULT_DIR --out DIR\n"
        "       xtars import --from uitars-desktop FILE.json --out DIR\n\n"
        "Reads a run recorded by another tool and writes it as an xtars trajectory DIR\n"
        "(docs/trajectory.md) that `xtars replay` and `xtars report` use:\n"
        "  osworld         an OSWorld result directory: traj.jsonl and the step PNGs. The\n"
        "                  pyautogui subset becomes xtars actions; other code is kept in a\n"
        "                  step marked not replayable. Screenshots move to the step they\n"
        "                  precede, and the screen size comes from the PNGs.\n"
        "  uitars-desktop  a UI-TARS-desktop GUIAgentData JSON export (version v1): the\n"
        "                  screenshots, and the actions of predictionParsed.\n"
        "Prints a JSON summary on stdout. Exit 0 on success, 2 for input that is not in the\n"
        "format (the message says why), 1 for other errors (DIR already holds a run).\n\n"
        "  --from FORMAT        osworld or uitars-desktop\n"
        "  --out DIR            the trajectory directory to create\n"
        "  --instruction TEXT   the task, recorded in run.json (OSWorld does not store it)\n"
        "  --size WxH           screen size when no screenshot tells it\n"
        "  -h, --help           show this help\n\n"
        "On failure stdout holds {\"error\": {\"command\", \"code\", \"message\"}}.\n",
    .run = run_import,
    .json_errors = CLI_JSON_ERRORS_ALWAYS,
};

static void print_summary(const char *dir, const struct xtars_import_stats *stats)
{
    struct xtars_buf b;

    xtars_buf_init(&b, 1 << 16);
    xtars_buf_puts(&b, "{\"trajectory\": ");
    xtars_json_put_string(&b, dir);
    xtars_buf_printf(&b, ", \"steps\": %d, \"not_replayable\": %d, \"screenshots\": %d, \"width\": %d, "
                         "\"height\": %d, \"warning\": ", stats->steps, stats->not_replayable,
                     stats->screenshots, stats->width, stats->height);
    xtars_json_put_string(&b, stats->warning[0] ? stats->warning : NULL);
    xtars_buf_puts(&b, "}\n");
    fputs(b.data, stdout);
    xtars_buf_cleanup(&b);
}

static int run_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, OPT_FROM},
        {"out", required_argument, NULL, 'o'}, /* -o: the old spelling, kept working */
        {"instruction", required_argument, NULL, OPT_INSTRUCTION},
        {"size", required_argument, NULL, OPT_SIZE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char *const formats[] = {"osworld", "uitars-desktop", NULL};
    struct xtars_import_options opts = {0};
    struct xtars_import_stats stats;
    const char *from = NULL, *out = NULL;
    char err[XTARS_ERRLEN];
    xtars_err rc;
    int opt;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        if (opt == OPT_FROM)
            from = optarg;
        else if (opt == 'o')
            out = optarg;
        else if (opt == OPT_INSTRUCTION)
            opts.instruction = optarg;
        else if (opt == OPT_SIZE && xtars_parse_size(optarg, &opts.width, &opts.height) != XTARS_OK)
            return cli_fail(&cli_cmd_import, CLI_EXIT_USAGE, "--size needs WIDTHxHEIGHT, not '%s'",
                            optarg);
        else if (opt == OPT_HELP || opt == 'h')
            return cli_print_usage(&cli_cmd_import);
        else if (opt != OPT_SIZE)
            return cli_bad_option(&cli_cmd_import, longopts, argv, opt);
    }
    if (cli_need_choice(&cli_cmd_import, "--from", from, formats) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (optind != argc - 1 || out == NULL)
        return cli_fail(&cli_cmd_import, CLI_EXIT_USAGE, "needs the PATH to import and --out DIR");
    if (strcmp(from, "osworld") == 0
            ? cli_need_dir(&cli_cmd_import, argv[optind], "traj.jsonl",
                           "an OSWorld result directory") != CLI_EXIT_OK
            : cli_need_file(&cli_cmd_import, argv[optind]) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (strcmp(from, "osworld") == 0)
        rc = xtars_import_osworld(argv[optind], out, &opts, &stats, err);
    else
        rc = xtars_import_uitars_desktop(argv[optind], out, &opts, &stats, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_import, rc == XTARS_EFORMAT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME, "%s",
                        err);
    if (stats.warning[0])
        xtars_log_warn("%s", stats.warning);
    xtars_log_info("imported %d steps (%d not replayable, %d screenshots, screen %dx%d) into %s",
                   stats.steps, stats.not_replayable, stats.screenshots, stats.width, stats.height, out);
    print_summary(out, &stats);
    return CLI_EXIT_OK;
}
