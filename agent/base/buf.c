/* buf.c: capped growable buffers. Growth doubles, but never past the cap: a
 * misbehaving peer can make an operation fail, never make xtars exhaust
 * memory. Never prints. */
#include "xtars/buf.h"

#include "agent/base/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void xtars_buf_init(struct xtars_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->error = XTARS_OK;
}

void xtars_buf_cleanup(struct xtars_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->error = XTARS_OK;
}

void xtars_buf_reset(struct xtars_buf *b)
{
    b->len = 0;
    b->error = XTARS_OK;
    if (b->data)
        b->data[0] = '\0';
}

/* Remembers the first failure: later appends see it (buf.h). */
static xtars_err fail(struct xtars_buf *b, xtars_err rc)
{
    b->error = rc;
    return rc;
}

xtars_err xtars_buf_reserve(struct xtars_buf *b, size_t extra)
{
    size_t need, cap;
    char *grown;

    if (b->error != XTARS_OK)
        return b->error;
    if (extra > b->max || b->len > b->max - extra)
        return fail(b, XTARS_ETOOBIG);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return XTARS_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    grown = realloc(b->data, cap);
    if (grown == NULL)
        return fail(b, XTARS_ENOMEM);
    b->data = grown;
    b->cap = cap;
    return XTARS_OK;
}

xtars_err xtars_buf_append(struct xtars_buf *b, const void *mem, size_t n)
{
    xtars_err rc = xtars_buf_reserve(b, n);

    if (rc != XTARS_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, mem, n);
    b->len += n;
    b->data[b->len] = '\0';
    return XTARS_OK;
}

xtars_err xtars_buf_puts(struct xtars_buf *b, const char *s)
{
    return xtars_buf_append(b, s, strlen(s));
}

xtars_err xtars_buf_putc(struct xtars_buf *b, char c)
{
    return xtars_buf_append(b, &c, 1);
}

xtars_err xtars_buf_vprintf(struct xtars_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    xtars_err rc;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (b->error != XTARS_OK)
        return b->error;
    if (n < 0)
        return fail(b, XTARS_EINVAL);
    rc = xtars_buf_reserve(b, (size_t)n);
    if (rc != XTARS_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return XTARS_OK;
}

xtars_err xtars_buf_printf(struct xtars_buf *b, const char *fmt, ...)
{
    va_list ap;
    xtars_err rc;

    va_start(ap, fmt);
    rc = xtars_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *xtars_buf_detach(struct xtars_buf *b, size_t *len_out)
{
    char *data = b->data;

    if (len_out)
        *len_out = b->len;
    if (data == NULL)
        data = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->error = XTARS_OK;
    return data;
}

/* Reads f (opened from path) into b, at most max bytes. */
static xtars_err read_stream(struct xtars_buf *b, FILE *f, const char *path, size_t max, char *err)
{
    char chunk[65536];
    size_t n;
    xtars_err rc = XTARS_OK;

    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rc = xtars_buf_append(b, chunk, n);
        if (rc == XTARS_ETOOBIG) {
            xtars_error(err, rc, "%s: larger than the limit of %zu bytes", path, max);
            break;
        }
        if (rc != XTARS_OK) {
            xtars_error(err, rc, "%s: out of memory", path);
            break;
        }
    }
    if (rc == XTARS_OK && ferror(f))
        rc = xtars_error(err, XTARS_EIO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc == XTARS_OK && b->data == NULL)
        rc = xtars_buf_append(b, "", 0);
    if (rc != XTARS_OK)
        xtars_buf_cleanup(b);
    return rc;
}

xtars_err xtars_buf_read_file(struct xtars_buf *b, const char *path, size_t max, char err[static XTARS_ERRLEN])
{
    FILE *f;

    xtars_buf_init(b, max);
    f = fopen(path, "rb");
    if (f == NULL)
        return xtars_error(err, XTARS_EIO, "%s: %s", path, strerror(errno));
    return read_stream(b, f, path, max, err);
}

xtars_err xtars_buf_read_file_nofollow(struct xtars_buf *b, const char *path, size_t max,
                                       char err[static XTARS_ERRLEN])
{
    struct stat st;
    FILE *f;
    int fd;

    xtars_buf_init(b, max);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    /* A link or a FIFO where a file belongs is a bad input (EFORMAT: the
     * CLI's exit 2), not a failing disk. */
    if (fd < 0 && errno == ELOOP)
        return xtars_error(err, XTARS_EFORMAT, "%s: is a symbolic link (not followed here)", path);
    if (fd < 0)
        return xtars_error(err, XTARS_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        close(fd);
        return xtars_error(err, XTARS_EIO, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return xtars_error(err, XTARS_EFORMAT, "%s: not a regular file", path);
    }
    f = fdopen(fd, "rb");
    if (f == NULL) {
        close(fd);
        return xtars_error(err, XTARS_ENOMEM, "%s: out of memory", path);
    }
    return read_stream(b, f, path, max, err);
}
