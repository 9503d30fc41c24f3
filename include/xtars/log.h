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
XTARS_API
void xtars_log_set_level(enum xtars_log_level level);
XTARS_API
enum xtars_log_level xtars_log_get_level(void);

/* Text (default) or JSON lines. */
XTARS_API
void xtars_log_set_format(enum xtars_log_format format);

/* Redirects output to fd (default 2). For tests. */
XTARS_API
void xtars_log_set_fd(int fd);

/* Parses "error|warn|info|debug" / "text|json". EINVAL for anything else. */
XTARS_API
xtars_err xtars_log_level_from_name(const char *name, enum xtars_log_level *out);
XTARS_API
xtars_err xtars_log_format_from_name(const char *name, enum xtars_log_format *out);
XTARS_API
const char *xtars_log_level_name(enum xtars_log_level level);

/* Registers a value that must never appear in output (an API key), and its
 * JSON-escaped form when that differs (trajectories are redacted as JSON
 * text). Values shorter than 4 bytes are ignored: they would redact
 * ordinary words. Registering a value again does nothing. ENOMEM, or
 * ETOOBIG past 32 forms. */
XTARS_API
xtars_err xtars_log_add_secret(const char *secret);

/* Registers the values of the environment variables named in a
 * comma-separated list (config `redact`); unset variables are skipped.
 * Errors as xtars_log_add_secret(), with a message naming the variable. */
XTARS_API
xtars_err xtars_log_add_secret_vars(const char *names, char err[static XTARS_ERRLEN]);

/* Returns a newly allocated copy of text with every registered secret
 * replaced by "[redacted]" (caller frees), or NULL on allocation failure.
 * Used by anything that writes user-facing artefacts: logs, trajectories,
 * reports. */
XTARS_API
char *xtars_log_redact(const char *text);

/* Copies text into out (size bytes, always NUL-terminated) with every
 * secret redacted *before* it is cut to size, so a cut can never leave part
 * of a secret behind. If redaction fails (out of memory) out receives
 * "[withheld]" rather than the raw text. For every place that quotes a
 * bounded piece of untrusted text (a server's body, typed text). */
XTARS_API
void xtars_log_redact_copy(char *out, size_t size, const char *text);

/* Copies the n bytes at s, a window cut out of a longer untrusted text (a
 * parse error's quote of a reply), into out (size bytes, NUL-terminated):
 * whole secrets inside are redacted, and so is a piece of 4 bytes or more
 * at either edge that could be the rest of a secret the cut went through. */
XTARS_API
void xtars_log_redact_window(char *out, size_t size, const char *s, size_t n);

/* Forgets all secrets (wiping them) and restores defaults. */
XTARS_API
void xtars_log_cleanup(void);

XTARS_API
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
