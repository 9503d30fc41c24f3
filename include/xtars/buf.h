/* xtars/buf.h: growable byte buffers with a hard cap.
 *
 * Ownership: a struct xtars_buf owns `data`. xtars_buf_init() sets it up
 * empty (no allocation); xtars_buf_cleanup() frees it and may be called on a
 * zeroed or already cleaned buffer. xtars_buf_detach() hands `data` to the
 * caller, who frees it with free(). `data` is always NUL-terminated when
 * non-NULL, so text can be read in place; `len` excludes that NUL.
 * Growing past `max` fails with XTARS_ETOOBIG and leaves the buffer as it was.
 * Errors are sticky: after one failed append (ETOOBIG, ENOMEM) every later
 * append and reserve fails with the same code without changing the buffer,
 * so a text built from many appends is either whole or reported failed by
 * its last call, never silently missing a middle piece. xtars_buf_reset()
 * (or init) clears the error.
 */
#ifndef XTARS_BUF_H
#define XTARS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_buf {
    char *data;  /* NULL until the first append */
    size_t len;  /* bytes used, excluding the terminating NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* hard cap on len */
    xtars_err error; /* the first failed append's code, XTARS_OK until then */
};

/* Prepares an empty buffer that may grow to max bytes. */
XTARS_API
void xtars_buf_init(struct xtars_buf *b, size_t max);

/* Frees the data; the buffer can be reused after xtars_buf_init(). */
XTARS_API
void xtars_buf_cleanup(struct xtars_buf *b);

/* Empties the buffer and clears its error, but keeps its allocation. */
XTARS_API
void xtars_buf_reset(struct xtars_buf *b);

/* Ensures room for `extra` more bytes (plus the NUL). ENOMEM, ETOOBIG. */
XTARS_API
xtars_err xtars_buf_reserve(struct xtars_buf *b, size_t extra);

/* Appends n bytes. ENOMEM, ETOOBIG (buffer unchanged). */
XTARS_API
xtars_err xtars_buf_append(struct xtars_buf *b, const void *mem, size_t n);

/* Appends a NUL-terminated string. */
XTARS_API
xtars_err xtars_buf_puts(struct xtars_buf *b, const char *s);

/* Appends one byte. */
XTARS_API
xtars_err xtars_buf_putc(struct xtars_buf *b, char c);

/* Appends printf-formatted text. ENOMEM, ETOOBIG (buffer unchanged). */
XTARS_API
xtars_err xtars_buf_printf(struct xtars_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
XTARS_API
xtars_err xtars_buf_vprintf(struct xtars_buf *b, const char *fmt, va_list ap);

/* Returns data (caller frees) and leaves the buffer empty. For an empty
 * buffer returns an allocated empty string, or NULL if that fails. */
XTARS_API
char *xtars_buf_detach(struct xtars_buf *b, size_t *len_out);

/* Reads a whole file into a fresh buffer capped at max bytes. Errors: EIO
 * (names the path and the system error), ETOOBIG. On failure *b is clean. */
XTARS_API
xtars_err xtars_buf_read_file(struct xtars_buf *b, const char *path, size_t max,
                              char err[static XTARS_ERRLEN]);

#ifdef __cplusplus
}
#endif
#endif
