/* main.c: the xtars executable's entry point and command dispatch. The only
 * place that turns the argument vector into a command; each command parses
 * its own options. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "xtars/log.h"

const struct cli_command *const cli_commands[] = {
    &cli_cmd_run,
    &cli_cmd_task,
    &cli_cmd_report,
    &cli_cmd_help,
    &cli_cmd_version,
    &cli_cmd_config,
    &cli_cmd_parse,
    &cli_cmd_model_check,
    &cli_cmd_screenshot,
    &cli_cmd_act,
    &cli_cmd_batch,
    &cli_cmd_replay,
    &cli_cmd_import,
    &cli_cmd_export,
    &cli_cmd_mcp,
    NULL,
};

static const struct cli_command *find_command(const char *name)
{
    for (int i = 0; cli_commands[i]; i++)
        if (strcmp(cli_commands[i]->name, name) == 0)
            return cli_commands[i];
    return NULL;
}

static const char *nearest_command(const char *name)
{
    struct xtars_nearest near;

    xtars_nearest_init(&near, name);
    for (int i = 0; cli_commands[i]; i++)
        xtars_nearest_offer(&near, cli_commands[i]->name);
    return xtars_nearest_get(&near);
}

static void print_overview(FILE *out)
{
    fputs("Usage: xtars <command> [options]\n\n"
          "xtars runs UI-TARS-style GUI agents on Linux/X11: it captures the screen, asks a\n"
          "vision-language model what to do, and performs the answer with XTest.\n\n"
          "Commands:\n", out);
    for (int i = 0; cli_commands[i]; i++)
        fprintf(out, "  %-14s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fputs("\nRun 'xtars help <command>' or 'xtars <command> --help' for a command's options;\n"
          "'xtars -V' (--version) prints the version.\n\n"
          "Exit codes:\n"
          "  0  task finished / command succeeded\n"
          "  1  runtime error\n"
          "  2  usage or configuration error\n"
          "  3  model endpoint failure\n"
          "  4  task not completed (max steps, call_user, stopped)\n", out);
}

static int run_help(int argc, char **argv)
{
    const struct cli_command *cmd;
    const char *hint;

    if (argc < 2) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cli_print_usage(&cli_cmd_help);
    if (argc > 2)
        return cli_fail(&cli_cmd_help, CLI_EXIT_USAGE, "takes at most one command name");
    cmd = find_command(argv[1]);
    if (cmd)
        return cli_print_usage(cmd);
    hint = nearest_command(argv[1]);
    if (hint)
        return cli_fail(&cli_cmd_help, CLI_EXIT_USAGE, "unknown command '%s' (did you mean '%s'?)",
                        argv[1], hint);
    return cli_fail(&cli_cmd_help, CLI_EXIT_USAGE, "unknown command '%s' (see 'xtars help')",
                    argv[1]);
}

const struct cli_command cli_cmd_help = {
    .name = "help",
    .summary = "show the commands, or one command's options",
    .usage = "Usage: xtars help [COMMAND]\n\n"
             "Without COMMAND, lists the commands and the exit codes; with it, shows that\n"
             "command's options (the same as 'xtars COMMAND --help').\n",
    .run = run_help,
};

int main(int argc, char **argv)
{
    const struct cli_command *cmd;
    const char *hint;
    int rc;

    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        /* Same output as `xtars version`, options and all (-V --json). */
        argv[1] = (char *)"version";
        cmd = &cli_cmd_version;
    } else {
        cmd = find_command(argv[1]);
    }
    if (cmd == NULL && argv[1][0] == '-')
        return cli_fail(NULL, CLI_EXIT_USAGE, "unknown option '%s' before the command (see "
                        "'xtars help')", argv[1]);
    if (cmd == NULL) {
        hint = nearest_command(argv[1]);
        if (hint)
            return cli_fail(NULL, CLI_EXIT_USAGE, "unknown command '%s' (did you mean '%s'?)",
                            argv[1], hint);
        return cli_fail(NULL, CLI_EXIT_USAGE, "unknown command '%s' (see 'xtars help')",
                        argv[1]);
    }
    cli_json_errors_start(cmd, argc - 1, argv + 1);
    rc = cmd->run(argc - 1, argv + 1);
    cli_json_errors_finish(cmd, rc);
    fflush(stdout);
    xtars_log_cleanup();
    return rc;
}
