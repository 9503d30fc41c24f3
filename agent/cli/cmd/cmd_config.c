/* cmd_config.c: `xtars config`: show the effective configuration, where each
 * value came from, or the reference table of every key. */
#include <stdio.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "xtars/buf.h"

enum { OPT_PRINT = 1, OPT_SOURCES, OPT_MARKDOWN, OPT_ENDPOINT, OPT_MODEL };

static int run_config(int argc, char **argv);

const struct cli_command cli_cmd_config = {
    .name = "config",
    .summary = "print the effective configuration as JSON",
    .usage = "Usage: xtars config [--print] [--sources] [--markdown] [options]\n\n"
             "Prints the configuration xtars would use, as JSON on stdout: defaults, then\n"
             "--config FILE, then XTARS_<KEY> environment variables, then --set KEY=VALUE.\n\n"
             "  --print              print the effective configuration (the default)\n"
             "  --sources            print each value with where it came from\n"
             "                       (default, file, env or flag)\n"
             "  --markdown           print the reference table of every key\n"
             "  --endpoint URL       model API base URL (config endpoint), as run takes it\n"
             "  --model NAME         model name (config model), as run takes it\n\n" CLI_COMMON_USAGE
             "\nExit codes: 0 printed, 2 usage or config error (the message names the key).\n",
    .run = run_config,
};

static int run_config(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"print", no_argument, NULL, OPT_PRINT},
        {"sources", no_argument, NULL, OPT_SOURCES},
        {"markdown", no_argument, NULL, OPT_MARKDOWN},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"model", required_argument, NULL, OPT_MODEL},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common = {0};
    struct xtars_config cfg;
    struct xtars_buf out;
    struct cli_flags flags = {0};
    int opt, sources = 0, markdown = 0, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int handled = cli_common_option(&cli_cmd_config, &common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        if (opt == OPT_SOURCES)
            sources = 1;
        else if (opt == OPT_MARKDOWN)
            markdown = 1;
        else if (opt == OPT_ENDPOINT || opt == OPT_MODEL) {
            if (cli_flags_add(&cli_cmd_config, &flags, opt == OPT_ENDPOINT ? "endpoint" : "model",
                              optarg) != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
        }
        else if (opt != OPT_PRINT)
            return cli_bad_option(&cli_cmd_config, longopts, argv, opt);
    }
    if (common.want_help)
        return cli_print_usage(&cli_cmd_config);
    if (optind < argc)
        return cli_fail(&cli_cmd_config, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    xtars_buf_init(&out, 1 << 20);
    if (markdown) {
        rc = xtars_config_markdown(&out) == XTARS_OK ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
    } else {
        rc = cli_config_load(&cli_cmd_config, &common, flags.items, flags.count, &cfg);
        if (rc == CLI_EXIT_OK && xtars_config_to_json(&cfg, sources, &out) != XTARS_OK)
            rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK && out.data)
        fputs(out.data, stdout);
    xtars_buf_cleanup(&out);
    return rc;
}
