/* xtars/log.h: the logger used by the loop and the CLI (library modules
 * return errors and never log).
 *
 * Lines go to stderr as text ("xtars: warn: ...") or as JSON lines
 * ({"ts":...,"level":"warn","msg":"..."}). Registered secrets are replaced by
 * "[redacted]" in every line before it is written. The logger keeps its own
 * copies of secrets; xtars_log_cleanup() wipes and frees them.
 * The logger's settings are process-wide; one line is written with a single
 * write(2) so concurrent threads do not interleave inside a line.
 */
#ifndef XTARS_LOG_H
#define XTARS_LOG_H

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xtars_log_level {
    XTARS_LOG_ERROR = 0,
    XTARS_LOG_WARN = 1,
    XTARS_LOG_INFO = 2,
    XTARS_LOG_DEBUG = 3
};

enum xtars_log_format { XTARS_LOG_TEXT = 0, XTARS_LOG_JSON = 1 };

/* Messages above this level are dropped. Default: info. */
void xtars_log_set_level(enum xtars_log_level level);
enum xtars_log_level xtars_log_get_level(void);

/* Text (default) or JSON lines. */
void xtars_log_set_format(enum xtars_log_format format);

/* Redirects output to fd (default 2). For tests. */
void xtars_log_set_fd(int fd);

/* Parses "error|warn|info|debug" / "text|json". EINVAL for anything else. */
xtars_err xtars_log_level_from_name(const char *name, enum xtars_log_level *out);
xtars_err xtars_log_format_from_name(const char *name, enum xtars_log_format *out);
const char *xtars_log_level_name(enum xtars_log_level level);

/* Registers a value that must never appear in output (an API key). Values
 * shorter than 4 bytes are ignored: they would redact ordinary words.
 * ENOMEM, or ETOOBIG past 16 secrets. */
xtars_err xtars_log_add_secret(const char *secret);

/* Returns a newly allocated copy of text with every registered secret
 * replaced by "[redacted]" (caller frees), or NULL on allocation failure.
 * Used by anything that writes user-facing artefacts: logs, trajectories,
 * reports. */
char *xtars_log_redact(const char *text);

/* Forgets all secrets (wiping them) and restores defaults. */
void xtars_log_cleanup(void);

void xtars_log(enum xtars_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define xtars_log_error(...) xtars_log(XTARS_LOG_ERROR, __VA_ARGS__)
#define xtars_log_warn(...) xtars_log(XTARS_LOG_WARN, __VA_ARGS__)
#define xtars_log_info(...) xtars_log(XTARS_LOG_INFO, __VA_ARGS__)
#define xtars_log_debug(...) xtars_log(XTARS_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
