/* xtars/error.h: the project's single error type.
 *
 * Every fallible xtars function returns an xtars_err. XTARS_OK is 0; every
 * other value names a class of failure. The one-line detail (which file, which
 * key, which column) goes into a caller-owned buffer of XTARS_ERRLEN bytes.
 * xtars_strerror() returns static strings: never free them.
 */
#ifndef XTARS_ERROR_H
#define XTARS_ERROR_H

#include <stdatomic.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks every declaration of the public API: libxtars.so is built with
 * -fvisibility=hidden, so only what carries this is exported. */
#if defined(__GNUC__) || defined(__clang__)
#define XTARS_API __attribute__((visibility("default")))
#else
#define XTARS_API
#endif

/* Size of every caller error buffer. One line, always NUL-terminated. */
#define XTARS_ERRLEN 512

/* X(name, message): the list is the single source of codes and messages. */
#define XTARS_ERRNO_MAP(X)                                                 \
    X(OK, "success")                                                       \
    X(NOMEM, "out of memory")                                              \
    X(TOOBIG, "size limit exceeded")                                       \
    X(INVAL, "invalid argument")                                           \
    X(USAGE, "usage error")                                                \
    X(CONFIG, "configuration error")                                       \
    X(PARSE, "cannot parse input")                                         \
    X(FORMAT, "unsupported or corrupt file format")                        \
    X(IO, "input/output error")                                            \
    X(DISPLAY, "cannot use the X display")                                 \
    X(X11, "X server error")                                               \
    X(MODEL, "model endpoint failure")                                     \
    X(TIMEOUT, "timed out")                                                \
    X(NOTSUP, "not supported")                                             \
    X(RANGE, "value out of range")                                         \
    X(DENIED, "denied by policy")                                          \
    X(STOPPED, "stopped")                                                  \
    X(CHILD, "child process failed")

#define XTARS_ERR_ENUM_ENTRY(name, msg) XTARS_E##name,
typedef enum {
    XTARS_ERRNO_MAP(XTARS_ERR_ENUM_ENTRY)
    XTARS_ERR_COUNT
} xtars_err;
#undef XTARS_ERR_ENUM_ENTRY

/* XTARS_OK is spelled without the E. */
#define XTARS_OK XTARS_EOK

/* Stop flags. Every function that can be asked to stop early (the executor,
 * the model client, the in-flight limit) takes a `const atomic_int *stop`,
 * which may be NULL; it returns XTARS_ESTOPPED soon after *stop becomes
 * nonzero. atomic_int is lock-free on every platform xtars builds on, so a
 * SIGINT/SIGTERM handler, or another thread, may store 1 into it with a plain
 * assignment (`stop = 1;`, sequentially consistent). */

/* Static description of err; "unknown error" for values outside the enum. */
XTARS_API
const char *xtars_strerror(xtars_err err);

/* Short symbolic name ("ENOMEM", "ECONFIG"), for JSON output and logs. */
XTARS_API
const char *xtars_err_name(xtars_err err);

/* Formats a one-line message into err_buf (XTARS_ERRLEN bytes) and returns
 * code, so callers can write `return xtars_error(err, XTARS_EIO, "...")`.
 * A NULL err_buf is allowed: the message is dropped. Newlines in the
 * formatted text are replaced by spaces to keep the message one line. */
XTARS_API
xtars_err xtars_error(char *err_buf, xtars_err code, const char *fmt, ...)
              __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
