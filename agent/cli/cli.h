/* cli.h: private interface between the xtars executable's dispatcher and its
 * commands. Each command lives in its own cmd_<name>.c and exposes one
 * struct cli_command. Only CLI code prints and chooses exit codes. */
#ifndef XTARS_CLI_H
#define XTARS_CLI_H

#include <getopt.h>

#include "agent/config/config_internal.h"
#include "xtars/coords.h"
#include "xtars/error.h"

/* Documented exit codes (README, `xtars help`). */
enum cli_exit {
    CLI_EXIT_OK = 0,         /* task finished / command succeeded */
    CLI_EXIT_RUNTIME = 1,    /* runtime error */
    CLI_EXIT_USAGE = 2,      /* usage or config error */
    CLI_EXIT_MODEL = 3,      /* model endpoint failure */
    CLI_EXIT_INCOMPLETE = 4  /* task not completed: max steps, call_user, stopped */
};

/* When a command's failures are also told on stdout as one JSON object,
 * {"error": {"command": NAME, "code": EXIT_CODE, "message": TEXT}}, so that
 * a program reading its JSON output always gets JSON (README "Exit codes"). */
enum cli_json_errors {
    CLI_JSON_ERRORS_NEVER = 0,
    CLI_JSON_ERRORS_WITH_FLAG, /* when --json is among the arguments */
    CLI_JSON_ERRORS_ALWAYS     /* the command's stdout is always JSON */
};

struct cli_command {
    const char *name;
    const char *summary;  /* one line for `xtars help` */
    const char *usage;    /* full help text for `xtars help NAME` and --help */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    enum cli_json_errors json_errors;
};

/* Options shared by every command that reads the config. Their getopt values
 * start at CLI_OPT_COMMON so commands can number their own below it. */
enum {
    CLI_OPT_COMMON = 1000,
    CLI_OPT_CONFIG,
    CLI_OPT_SET,
    CLI_OPT_LOG_LEVEL,
    CLI_OPT_LOG_FORMAT,
    CLI_OPT_HELP
};

/* getopt_long's optstring for commands without short options of their own:
 * ':' to report missing values, 'h' for -h (= --help). Commands with short
 * options append theirs ("" CLI_SHORTOPTS "o:"). */
#define CLI_SHORTOPTS ":h"

#define CLI_COMMON_LONGOPTS                                   \
    {"config", required_argument, NULL, CLI_OPT_CONFIG},      \
    {"set", required_argument, NULL, CLI_OPT_SET},            \
    {"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL}, \
    {"log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT}, \
    {"help", no_argument, NULL, CLI_OPT_HELP}

#define CLI_COMMON_USAGE                                                              \
    "Common options:\n"                                                               \
    "  --config FILE        JSON settings file; keys: 'xtars config --markdown'\n"  \
    "  --set KEY=VALUE      override one setting (repeatable)\n"                      \
    "  --log-level LEVEL    error, warn, info or debug\n"                             \
    "  --log-format FMT     text or json (JSON lines on stderr)\n"                    \
    "  -h, --help           show this help\n"

#define CLI_MAX_SETS 64

/* Config settings a command's own flags stand for (--endpoint URL is
 * "endpoint=URL"), in command-line order, for cli_config_load(). */
#define CLI_MAX_FLAGS 32
struct cli_flags {
    const char *items[CLI_MAX_FLAGS];
    char text[CLI_MAX_FLAGS][600];
    int count;
};

/* Appends "key=value"; prints the error and returns CLI_EXIT_USAGE when
 * there are too many or the value is too long, else CLI_EXIT_OK. */
int cli_flags_add(const struct cli_command *cmd, struct cli_flags *flags, const char *key,
                  const char *value);

/* Collected by cli_common_option(); applied by cli_config_load(). */
struct cli_common {
    const char *config_file;
    const char *sets[CLI_MAX_SETS];  /* "key=value" strings from argv */
    int set_count;
    const char *log_level;           /* NULL: from config */
    int want_help;
};

/* Handles one of the common options; returns 1 if opt was one, 0 if not, and
 * -1 after printing an error (caller exits 2). */
int cli_common_option(const struct cli_command *cmd, struct cli_common *common, int opt,
                      const char *arg);

/* Builds the effective config: defaults < --config file < XTARS_* environment
 * < flag overrides already stored in `flags` (key=value pairs, same form as
 * --set) < --set. Prints a one-line error and returns CLI_EXIT_USAGE on
 * failure, CLI_EXIT_OK otherwise. Also applies log_level. */
int cli_config_load(const struct cli_command *cmd, const struct cli_common *common,
                    const char *const *flags, int flag_count, struct xtars_config *cfg);

/* Runs getopt_long over argv (optstring ":"), giving common options to
 * cli_common_option() and the rest to own(ctx, opt, optarg), which returns
 * -1 for an option that is not its own, else an exit code. Returns
 * CLI_EXIT_OK when every option was taken, else the exit code to return
 * (after printing the error). optind is left at the first operand. */
int cli_parse_options(const struct cli_command *cmd, int argc, char **argv,
                      const struct option *longopts, struct cli_common *common,
                      int (*own)(void *ctx, int opt, const char *arg), void *ctx);

/* Reports an unknown option or a missing value after getopt_long returned
 * '?' or ':' (optstring must start with ':'), suggesting the nearest valid
 * option. Returns CLI_EXIT_USAGE. */
int cli_bad_option(const struct cli_command *cmd, const struct option *longopts, char **argv,
                   int opt);

/* Routes SIGINT, SIGTERM and SIGHUP to handler (which may only set a flag or
 * call something async-signal-safe) and ignores SIGPIPE, so a closed stdout
 * is a write error, not a death with keys still held. */
void cli_catch_stop_signals(void (*handler)(int));

/* Prints cmd->usage on stdout. Returns CLI_EXIT_OK. */
int cli_print_usage(const struct cli_command *cmd);

/* Prints "xtars CMD: message" on stderr (secrets redacted) and returns code.
 * When JSON errors are on (cli_json_errors_start()), also prints the JSON
 * error object on stdout, once per process. */
int cli_fail(const struct cli_command *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The last message cli_fail() printed (redacted, without the "xtars CMD: "
 * prefix), or "" before the first: for reports that repeat it (JUnit). */
const char *cli_last_error(void);

/* Turns JSON errors on for cmd if its json_errors mode says so for these
 * arguments (main.c calls it before cmd->run). */
void cli_json_errors_start(const struct cli_command *cmd, int argc, char **argv);

/* After cmd->run returned code: when JSON errors are on and the command
 * failed without a cli_fail(), prints a JSON error object naming the exit
 * code's meaning, so stdout never stays empty on failure. */
void cli_json_errors_finish(const struct cli_command *cmd, int code);

/* The meaning of an exit code, as README and `xtars help` list them. */
const char *cli_exit_meaning(int code);

/* Input named on the command line that is not what the command reads is a
 * usage error (exit 2), told before any work: cli_need_dir() wants a
 * directory holding `marker` ("run.json" for a trajectory; `what` names the
 * kind: "a trajectory directory"), cli_need_file() a readable regular file.
 * Return CLI_EXIT_OK or, after printing the one-line error, CLI_EXIT_USAGE. */
int cli_need_dir(const struct cli_command *cmd, const char *path, const char *marker,
                 const char *what);
int cli_need_file(const struct cli_command *cmd, const char *path);

/* Checks a format name against a NULL-terminated list of valid ones; an
 * unknown or missing one is a usage error naming all of them (and the nearest
 * when there is one): "--to: unknown value 'webarena' (valid: osworld)". */
int cli_need_choice(const struct cli_command *cmd, const char *option, const char *value,
                    const char *const *choices);

/* Reads a rectangle: "WxH" (origin 0,0) or "WxH+X+Y", as offset allows
 * (CLI_RECT_SIZE: WxH only; CLI_RECT_ANY: either; CLI_RECT_PLACED: WxH+X+Y
 * only). Sizes must be positive, offsets not negative. Returns 0, or -1
 * for text that is not such a rectangle (the caller names the option). */
enum { CLI_RECT_SIZE, CLI_RECT_ANY, CLI_RECT_PLACED };
int cli_parse_rect(const char *text, int offset, struct xtars_rect *r);

/* Maps a library error to the documented exit code. */
int cli_exit_code(xtars_err err);

/* The commands, defined in cmd_*.c. */
extern const struct cli_command cli_cmd_help;
extern const struct cli_command cli_cmd_version;
extern const struct cli_command cli_cmd_config;
extern const struct cli_command cli_cmd_parse;
extern const struct cli_command cli_cmd_run;
extern const struct cli_command cli_cmd_task;
extern const struct cli_command cli_cmd_report;
extern const struct cli_command cli_cmd_model_check;
extern const struct cli_command cli_cmd_screenshot;
extern const struct cli_command cli_cmd_act;
extern const struct cli_command cli_cmd_batch;
extern const struct cli_command cli_cmd_replay;
extern const struct cli_command cli_cmd_import;
extern const struct cli_command cli_cmd_export;
extern const struct cli_command cli_cmd_mcp;

/* The dispatch table (main.c), NULL-name terminated, for `xtars help`. */
extern const struct cli_command *const cli_commands[];

#endif
