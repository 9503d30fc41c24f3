/* cli.c: helpers shared by the commands: common options, config assembly in
 * precedence order, option errors with suggestions, exit-code mapping. */
#include "cli.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/redact.h"
#include "agent/base/json.h"
#include "agent/base/term.h"
#include "xtars/buf.h"
#include "xtars/log.h"

static const struct cli_command *json_errors_cmd; /* JSON errors on for this command */
static int json_error_printed;
static char last_error[XTARS_ERRLEN];

const char *cli_last_error(void) { return last_error; }

const char *cli_exit_meaning(int code)
{
    switch (code) {
    case CLI_EXIT_OK: return "task finished / command succeeded";
    case CLI_EXIT_RUNTIME: return "runtime error";
    case CLI_EXIT_USAGE: return "usage or configuration error";
    case CLI_EXIT_MODEL: return "model endpoint failure";
    case CLI_EXIT_INCOMPLETE: return "task not completed (max steps, call_user, stopped)";
    default: return "error";
    }
}

/* {"error": {"command": "model-check", "code": 3, "message": "..."}} */
static void print_json_error(const struct cli_command *cmd, int code, const char *message)
{
    struct xtars_buf b;

    if (json_error_printed)
        return;
    json_error_printed = 1;
    xtars_buf_init(&b, 1 << 17);
    xtars_buf_puts(&b, "{\"error\": {\"command\": ");
    xtars_json_put_string(&b, cmd->name);
    xtars_buf_printf(&b, ", \"code\": %d, \"message\": ", code);
    xtars_json_put_string(&b, message);
    xtars_buf_puts(&b, "}}\n");
    if (b.data)
        fputs(b.data, stdout);
    fflush(stdout);
    xtars_buf_cleanup(&b);
}

void cli_json_errors_start(const struct cli_command *cmd, int argc, char **argv)
{
    int on = cmd->json_errors == CLI_JSON_ERRORS_ALWAYS;

    for (int i = 1; i < argc && !on && cmd->json_errors == CLI_JSON_ERRORS_WITH_FLAG; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        on = strcmp(argv[i], "--json") == 0;
    }
    json_errors_cmd = on ? cmd : NULL;
    json_error_printed = 0;
}

void cli_json_errors_finish(const struct cli_command *cmd, int code)
{
    if (code != CLI_EXIT_OK && json_errors_cmd == cmd)
        print_json_error(cmd, code, cli_exit_meaning(code));
}

int cli_fail(const struct cli_command *cmd, int code, const char *fmt, ...)
{
    struct xtars_buf line;
    va_list ap;
    char *clean;
    const char *text;
    size_t prefix;

    xtars_buf_init(&line, 1 << 16);
    va_start(ap, fmt);
    xtars_buf_vprintf(&line, fmt, ap);
    va_end(ap);
    clean = xtars_term_clean(line.data); /* quotes server bodies: no escape reaches stderr */
    text = clean ? clean : "error";
    /* Library messages start with their module ("config: ..."); the command
     * name already says where the line comes from, so "xtars config: config:"
     * loses the repeat. */
    prefix = cmd ? strlen(cmd->name) : 0;
    if (cmd && strncmp(text, cmd->name, prefix) == 0 && text[prefix] == ':' &&
        text[prefix + 1] == ' ')
        text += prefix + 2;
    fprintf(stderr, "xtars%s%s: %s\n", cmd ? " " : "", cmd ? cmd->name : "", text);
    snprintf(last_error, sizeof last_error, "%s", text);
    if (cmd && json_errors_cmd == cmd && code != CLI_EXIT_OK)
        print_json_error(cmd, code, text);
    free(clean);
    xtars_buf_cleanup(&line);
    return code;
}

int cli_need_dir(const struct cli_command *cmd, const char *path, const char *marker,
                 const char *what)
{
    char inner[4200];
    struct stat st;

    if (stat(path, &st) != 0)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s: no such directory", path);
    if (!S_ISDIR(st.st_mode))
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s is not %s (it is not a directory)", path, what);
    snprintf(inner, sizeof inner, "%s/%s", path, marker);
    if (access(inner, F_OK) != 0)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s is not %s (it has no %s)", path, what, marker);
    return CLI_EXIT_OK;
}

int cli_need_file(const struct cli_command *cmd, const char *path)
{
    struct stat st;

    if (strcmp(path, "-") == 0)
        return CLI_EXIT_OK;
    if (stat(path, &st) != 0)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s: no such file", path);
    if (S_ISDIR(st.st_mode))
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s is a directory, not a file", path);
    if (access(path, R_OK) != 0)
        return cli_fail(cmd, CLI_EXIT_USAGE, "%s: cannot be read (permission denied)", path);
    return CLI_EXIT_OK;
}

int cli_parse_rect(const char *text, int offset, struct xtars_rect *r)
{
    int size_end = -1, end = -1;

    memset(r, 0, sizeof *r);
    sscanf(text, "%dx%d%n+%d+%d%n", &r->width, &r->height, &size_end, &r->x, &r->y, &end);
    if (r->width <= 0 || r->height <= 0 || r->x < 0 || r->y < 0)
        return -1;
    if (size_end > 0 && text[size_end] == '\0')
        return offset == CLI_RECT_PLACED ? -1 : 0;
    return end > 0 && text[end] == '\0' && offset != CLI_RECT_SIZE ? 0 : -1;
}

int cli_need_choice(const struct cli_command *cmd, const char *option, const char *value,
                    const char *const *choices)
{
    struct xtars_buf list;
    const char *hint;
    int rc;

    for (int i = 0; value && choices[i]; i++)
        if (strcmp(value, choices[i]) == 0)
            return CLI_EXIT_OK;
    xtars_buf_init(&list, 4096);
    for (int i = 0; choices[i]; i++)
        xtars_buf_printf(&list, "%s%s", i ? ", " : "", choices[i]);
    hint = value ? xtars_suggest(value, choices) : NULL;
    if (value == NULL)
        rc = cli_fail(cmd, CLI_EXIT_USAGE, "%s is required (valid: %s)", option,
                      list.data ? list.data : "");
    else if (hint)
        rc = cli_fail(cmd, CLI_EXIT_USAGE, "%s: unknown value '%s' (did you mean '%s'? valid: %s)",
                      option, value, hint, list.data ? list.data : "");
    else
        rc = cli_fail(cmd, CLI_EXIT_USAGE, "%s: unknown value '%s' (valid: %s)", option, value,
                      list.data ? list.data : "");
    xtars_buf_cleanup(&list);
    return rc;
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

int cli_flags_add(const struct cli_command *cmd, struct cli_flags *flags, const char *key,
                  const char *value)
{
    int n;

    if (flags->count == CLI_MAX_FLAGS)
        return cli_fail(cmd, CLI_EXIT_USAGE, "too many options (at most %d settings)",
                        CLI_MAX_FLAGS);
    n = snprintf(flags->text[flags->count], sizeof flags->text[0], "%s=%s", key, value);
    if (n < 0 || (size_t)n >= sizeof flags->text[0])
        return cli_fail(cmd, CLI_EXIT_USAGE, "the value of --%s is too long", key);
    flags->items[flags->count] = flags->text[flags->count];
    flags->count++;
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
    case 'h':
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
        (cfg->judge_api_key_env[0] && xtars_log_add_secret(getenv(cfg->judge_api_key_env)) != XTARS_OK) ||
        xtars_redact_add_url(cfg->endpoint) != XTARS_OK ||
        xtars_redact_add_url(cfg->judge_endpoint) != XTARS_OK ||
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
    const char *best;
    struct xtars_nearest near;
    char name[128];

    if (opt == ':')
        return cli_fail(cmd, CLI_EXIT_USAGE, "option '%s' needs a value (see 'xtars help %s')",
                        given, cmd->name);
    if (optopt && (given == NULL || strncmp(given, "--", 2) != 0))
        return cli_fail(cmd, CLI_EXIT_USAGE, "unknown option '-%c' (see 'xtars help %s')", optopt,
                        cmd->name);
    snprintf(name, sizeof name, "%s", given + 2);
    name[strcspn(name, "=")] = '\0';
    xtars_nearest_init(&near, name);
    for (int i = 0; longopts[i].name; i++)
        xtars_nearest_offer(&near, longopts[i].name);
    best = xtars_nearest_get(&near);
    if (best)
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
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
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
