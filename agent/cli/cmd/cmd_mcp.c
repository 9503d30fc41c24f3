/* cmd_mcp.c: `xtars mcp`: serves the desktop as Model Context Protocol
 * tools on stdin/stdout (docs/mcp.md). Parses the options a run takes,
 * starts the private Xvfb and the apps, and hands stdin to the server in
 * agent/mcp/. stdout carries protocol messages only: everything else,
 * errors included, goes to stderr. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/cli/cli_session.h"
#include "agent/mcp/mcp.h"
#include "xtars/log.h"

static int run_mcp(int argc, char **argv);

const struct cli_command cli_cmd_mcp = {
    .name = "mcp",
    .summary = "serve the desktop as MCP tools on stdin/stdout, for any agent",
    .usage =
        "Usage: xtars mcp [options]\n\n"
        "A Model Context Protocol server over stdio (JSON-RPC 2.0, one message a line; protocol\n"
        "2025-06-18, 2025-03-26 or 2024-11-05) whose tools drive the X display: screenshot,\n"
        "click, move, drag, scroll, type, key, wait, run_task (a whole task for the UI-TARS\n"
        "model at --endpoint) and replay. The action policy applies to every call. Register\n"
        "it with an MCP client as the command 'xtars mcp ...' (docs/mcp.md). It serves until\n"
        "the client closes stdin or SIGTERM; held keys and buttons are released then.\n"
        "Logs go to stderr; stdout carries protocol messages only.\n\n"
        "  --display D          X display (default $DISPLAY)\n"
        "  --monitor M          XRandR monitor index or output name\n"
        "  --xvfb WxH           serve a private headless Xvfb of that size\n"
        "  --launch CMD         start CMD on the display first (repeatable)\n"
        "  --endpoint URL       model API base URL for run_task (config endpoint)\n"
        "  --model NAME         model name for run_task (config model)\n"
        "  --out DIR            record every tool call as a trajectory in DIR; run_task and\n"
        "                       replay trajectories go to DIR/task-NNN\n"
        "  --dry-run            send no input events (the tools say what they would do)\n\n"
        CLI_COMMON_USAGE
        "\nExit codes: 0 the client ended the session or SIGTERM; 1 runtime error (reading\n"
        "stdin, the Xvfb or an app failed to start); 2 usage or configuration error.\n",
    .run = run_mcp,
};

/* Every option is a session option, as run's (cli_session.h). */
static int own_option(void *ctx, int opt, const char *arg)
{
    return cli_session_option(&cli_cmd_mcp, ctx, opt, arg);
}

static atomic_int mcp_stop; /* SIGTERM, SIGINT, SIGHUP (xtars/error.h's flag type) */

static void on_signal(int sig)
{
    (void)sig;
    mcp_stop = 1;
}

/* Writes one message and its newline; a client that closed stdout ends
 * the session. */
static void emit_line(void *user, const char *text, size_t len)
{
    struct xtars_mcp **server = user;
    const char *parts[2] = {text, "\n"};
    size_t sizes[2] = {len, 1};

    for (int i = 0; i < 2; i++) {
        size_t done = 0;
        while (done < sizes[i]) {
            ssize_t n = write(1, parts[i] + done, sizes[i] - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (*server)
                    xtars_mcp_disconnect(*server);
                return;
            }
            done += (size_t)n;
        }
    }
}

static int serve(const struct cli_session_args *a, const struct xtars_config *cfg)
{
    struct xtars_mcp_options opts;
    static struct xtars_mcp *server;
    char err[XTARS_ERRLEN];
    xtars_err rc;

    memset(&opts, 0, sizeof opts);
    opts.out_dir = a->out;
    opts.dry_run = a->dry_run;
    opts.emit = emit_line;
    opts.emit_user = &server;
    rc = xtars_mcp_new(cfg, &opts, &server, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_mcp, rc == XTARS_ECONFIG ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME, "%s",
                        err);
    xtars_log_info("mcp: serving %s%s on stdin/stdout%s%s", cfg->display[0] ? cfg->display : "$DISPLAY",
                   a->dry_run ? " (dry run)" : "", a->out ? ", recording to " : "",
                   a->out ? a->out : "");
    rc = xtars_mcp_serve(server, 0, &mcp_stop, err);
    xtars_log_info("mcp: session over after %d tool call%s%s", xtars_mcp_calls(server),
                   xtars_mcp_calls(server) == 1 ? "" : "s", mcp_stop ? " (signal)" : "");
    xtars_mcp_free(server);
    server = NULL;
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_mcp, CLI_EXIT_RUNTIME, "%s", err);
    return CLI_EXIT_OK;
}

static int run_mcp(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_SESSION_LONGOPTS,
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common = {0};
    struct cli_session_args a;
    const char *launch[CLI_MAX_LAUNCH];
    struct xtars_config cfg;
    struct cli_session session;
    int rc;

    memset(&a, 0, sizeof a);
    rc = cli_parse_options(&cli_cmd_mcp, argc, argv, longopts, &common, own_option, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_mcp);
    if (optind != argc)
        return cli_fail(&cli_cmd_mcp, CLI_EXIT_USAGE, "takes no operands ('%s'): it reads "
                        "requests on stdin", argv[optind]);
    if (isatty(1))
        xtars_log_warn("mcp: stdout is a terminal; xtars mcp is meant to be started by an MCP client");
    if ((rc = cli_config_load(&cli_cmd_mcp, &common, a.flags.items, a.flags.count, &cfg)) !=
        CLI_EXIT_OK)
        return rc;
    cli_catch_stop_signals(on_signal);
    for (int i = 0; i < a.launch_count; i++)
        launch[i] = a.launch[i].command;
    rc = cli_session_start(&cli_cmd_mcp, a.xvfb, launch, a.launch_count, &cfg, &session);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = serve(&a, &cfg);
    cli_session_stop(&session);
    return rc;
}
