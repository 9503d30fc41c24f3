/* cmd_report.c: `xtars report DIR`: write the HTML report of a trajectory. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "xtars/log.h"
#include "agent/record/report.h"

static int run_report(int argc, char **argv);

const struct cli_command cli_cmd_report = {
    .name = "report",
    .summary = "write the HTML report of a recorded run",
    .usage = "Usage: xtars report DIR [-o FILE.html]\n\n"
             "Writes one self-contained HTML file (screenshots embedded, no network needed,\n"
             "a CSP that admits only its own style and script) for the trajectory in DIR: a\n"
             "step list with thumbnails, a timeline, every step with its screenshot as\n"
             "recorded, its actions in words and as switchable markers, thought, tokens and\n"
             "raw reply; checks and waits of tasks; the screen after the last action. Keys:\n"
             "left/right or k/j move, p plays, m toggles the markers; DIR/report.html#step-N\n"
             "opens step N. `run`, `replay` and `task` write DIR/report.html themselves.\n\n"
             "  -o, --output FILE    where to write (default DIR/report.html)\n"
             "  -h, --help           show this help\n\n"
             "Exit codes: 0 written, 1 runtime error (cannot write FILE), 2 usage error or DIR\n"
             "is not a trajectory.\n",
    .run = run_report,
};

static int run_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct xtars_report_stats stats;
    const char *output = NULL;
    char err[XTARS_ERRLEN], dir[4096], written[4200];
    int opt;
    xtars_err rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        if (opt == 'o')
            output = optarg;
        else if (opt == 'h')
            return cli_print_usage(&cli_cmd_report);
        else
            return cli_bad_option(&cli_cmd_report, longopts, argv, opt);
    }
    if (optind != argc - 1)
        return cli_fail(&cli_cmd_report, CLI_EXIT_USAGE, "needs exactly one trajectory DIR");
    if (cli_need_dir(&cli_cmd_report, argv[optind], "run.json", "a trajectory directory") !=
        CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    /* "runs/x/" names the same directory as "runs/x": printed without "//" */
    snprintf(dir, sizeof dir, "%s", argv[optind]);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    rc = xtars_report_write(dir, output, &stats, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_report, rc == XTARS_EFORMAT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME,
                        "%s", err);
    if (output == NULL)
        snprintf(written, sizeof written, "%s%sreport.html", dir, strcmp(dir, "/") == 0 ? "" : "/");
    else
        snprintf(written, sizeof written, "%s", output);
    xtars_log_info("report: %s (%d steps, %d images, %ld KB)", written, stats.steps, stats.images,
                   stats.bytes / 1024);
    printf("%s\n", written);
    return CLI_EXIT_OK;
}
