/* cli.c: helpers shared by the commands: common options, config assembly in
 * precedence order, option errors with suggestions, exit-code mapping. */
#include "cli.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/redact.h"
#include "xtars/buf.h"
#include "xtars/log.h"

int cli_fail(const struct cli_command *cmd, int code, const char *fmt, ...)
{
    struct xtars_buf line;
    va_list ap;
    char *clean;

    xtars_buf_init(&line, 1 << 16);
    va_start(ap, fmt);
    xtars_buf_vprintf(&line, fmt, ap);
    va_end(ap);
    clean = xtars_log_redact(line.data ? line.data : "");
    fprintf(stderr, "xtars%s%s: %s\n", cmd ? " " : "", cmd ? cmd->name : "",
            clean ? clean : "error");
    free(clean);
    xtars_buf_cleanup(&line);
    return code;
}

int cli_exit_code(xtars_err err)
{
    switch (err) {
    case XTARS_OK:
        return CLI_EXIT_OK;
    case XTARS_EUSAGE:
    case XTARS_ECONFIG:
        return CLI_EXIT_USAGE;
    case XTARS_EMODEL:
        return CLI_EXIT_MODEL;
    case XTARS_ESTOPPED:
        return CLI_EXIT_INCOMPLETE;
    default:
        return CLI_EXIT_RUNTIME;
    }
}

int cli_print_usage(const struct cli_command *cmd)
{
    fputs(cmd->usage, stdout);
    return CLI_EXIT_OK;
}

int cli_common_option(const struct cli_command *cmd, struct cli_common *common, int opt,
                      const char *arg)
{
    enum xtars_log_level level;
    enum xtars_log_format format;

    switch (opt) {
    case CLI_OPT_CONFIG:
        common->config_file = arg;
        return 1;
    case CLI_OPT_SET:
        if (strchr(arg, '=') == NULL || arg[0] == '=') {
            cli_fail(cmd, CLI_EXIT_USAGE, "--set needs KEY=VALUE, got '%s'", arg);
            return -1;
        }
        if (common->set_count == CLI_MAX_SETS) {
            cli_fail(cmd, CLI_EXIT_USAGE, "too many --set options (at most %d)", CLI_MAX_SETS);
            return -1;
        }
        common->sets[common->set_count++] = arg;
        return 1;
    case CLI_OPT_LOG_LEVEL:
        if (xtars_log_level_from_name(arg, &level) != XTARS_OK) {
            cli_fail(cmd, CLI_EXIT_USAGE, "--log-level must be error, warn, info or debug, not '%s'",
                     arg);
            return -1;
        }
        common->log_level = arg;
        xtars_log_set_level(level);
        return 1;
    case CLI_OPT_LOG_FORMAT:
        if (xtars_log_format_from_name(arg, &format) != XTARS_OK) {
            cli_fail(cmd, CLI_EXIT_USAGE, "--log-format must be text or json, not '%s'", arg);
            return -1;
        }
        xtars_log_set_format(format);
        return 1;
    case CLI_OPT_HELP:
        common->want_help = 1;
        return 1;
    default:
        return 0;
    }
}

/* Applies "key=value" strings in order. */
static int apply_sets(const struct cli_command *cmd, const char *const *sets, int count,
                      struct xtars_config *cfg)
{
    char key[128], err[XTARS_ERRLEN];

    for (int i = 0; i < count; i++) {
        const char *eq = strchr(sets[i], '=');
        size_t key_len = eq ? (size_t)(eq - sets[i]) : strlen(sets[i]);

        if (eq == NULL || key_len == 0 || key_len >= sizeof key)
            return cli_fail(cmd, CLI_EXIT_USAGE, "bad setting '%s' (want KEY=VALUE)", sets[i]);
        memcpy(key, sets[i], key_len);
        key[key_len] = '\0';
        if (xtars_config_set_from(cfg, key, eq + 1, XTARS_SOURCE_FLAG, err) != XTARS_OK)
            return cli_fail(cmd, CLI_EXIT_USAGE, "%s", err);
    }
    return CLI_EXIT_OK;
}

int cli_config_load(const struct cli_command *cmd, const struct cli_common *common,
                    const char *const *flags, int flag_count, struct xtars_config *cfg)
{
    char err[XTARS_ERRLEN];
    enum xtars_log_level level;
    int rc;

    xtars_config_defaults(cfg);
    if (common->config_file && xtars_config_load_file(cfg, common->config_file, err) != XTARS_OK)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s", err);
    if (xtars_config_load_env(cfg, err) != XTARS_OK)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s", err);
    rc = apply_sets(cmd, flags, flag_count, cfg);
    if (rc == CLI_EXIT_OK)
        rc = apply_sets(cmd, common->sets, common->set_count, cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (xtars_config_validate(cfg, err) != XTARS_OK)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s", err);
    /* Secrets are known before anything can print them: the API key and
     * every value named in `redact`. */
    if (xtars_log_add_secret(getenv(cfg->api_key_env)) != XTARS_OK ||
        xtars_redact_add_url(cfg->endpoint) != XTARS_OK ||
        xtars_redact_add_headers(cfg->extra_headers) != XTARS_OK)
        return cli_fail(cmd, CLI_EXIT_RUNTIME, "out of memory or too many secrets to redact");
    if (xtars_log_add_secret_vars(cfg->redact, err) != XTARS_OK)
        return cli_fail(cmd, CLI_EXIT_USAGE, "config: redact: %s", err);
    /* --log-level wins over the config's log_level: it was given for this run. */
    if (common->log_level == NULL) {
        level = (enum xtars_log_level)cfg->log_level;
        xtars_log_set_level(level);
    }
    return CLI_EXIT_OK;
}

int cli_bad_option(const struct cli_command *cmd, const struct option *longopts, char **argv,
                   int opt)
{
    const char *given = argv[optind - 1];
    const char *best = NULL;
    int best_distance = 100;
    char name[128];

    if (opt == ':')
        return cli_fail(cmd, CLI_EXIT_USAGE, "option '%s' needs a value (see 'xtars help %s')",
                        given, cmd->name);
    if (optopt && (given == NULL || strncmp(given, "--", 2) != 0))
        return cli_fail(cmd, CLI_EXIT_USAGE, "unknown option '-%c' (see 'xtars help %s')", optopt,
                        cmd->name);
    snprintf(name, sizeof name, "%s", given + 2);
    name[strcspn(name, "=")] = '\0';
    for (int i = 0; longopts[i].name; i++) {
        int d = xtars_edit_distance(name, longopts[i].name);
        if (d < best_distance) {
            best_distance = d;
            best = longopts[i].name;
        }
    }
    if (best && best_distance <= 3 && best_distance < (int)strlen(name))
        return cli_fail(cmd, CLI_EXIT_USAGE, "unknown option '--%s' (did you mean '--%s'?)", name,
                        best);
    return cli_fail(cmd, CLI_EXIT_USAGE, "unknown option '--%s' (see 'xtars help %s')", name,
                    cmd->name);
}

void cli_catch_stop_signals(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_parse_options(const struct cli_command *cmd, int argc, char **argv,
                      const struct option *longopts, struct cli_common *common,
                      int (*own)(void *ctx, int opt, const char *arg), void *ctx)
{
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int handled = cli_common_option(cmd, common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        rc = own(ctx, opt, optarg);
        if (rc < 0)
            return cli_bad_option(cmd, longopts, argv, opt);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}
