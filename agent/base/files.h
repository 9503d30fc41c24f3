/* agent/base/files.h: directories and files written whole. Paths and data
 * stay the caller's; nothing is kept after a call returns. */
#ifndef XTARS_FILES_H
#define XTARS_FILES_H

#include <stddef.h>

#include "xtars/buf.h"
#include "xtars/error.h"

/* Creates dir and its missing parents (0755). EIO naming the directory that
 * could not be made. */
xtars_err xtars_mkdir_p(const char *dir, char err[static XTARS_ERRLEN]);

/* Writes path whole: a temp file beside it, fsync, rename. Readers see the
 * old file or the new one, never a part. EIO naming path. */
xtars_err xtars_write_file_atomic(const char *path, const void *data, size_t len,
                                  char err[static XTARS_ERRLEN]);

/* Like xtars_buf_read_file() (buf.h), for files inside trajectory and
 * output directories, whose names a crafted run controls: a symbolic link
 * is not followed (EFORMAT "...: is a symbolic link (not followed here)")
 * and only a regular file is read (a FIFO would block: EFORMAT "...: not a
 * regular file"). EIO when it cannot be opened or read. */
xtars_err xtars_buf_read_file_nofollow(struct xtars_buf *b, const char *path, size_t max,
                                       char err[static XTARS_ERRLEN]);

/* The same without the fsync: for many files written in one go and synced
 * once at the end (an import); after a crash one may be empty. */
xtars_err xtars_write_file_atomic_unsynced(const char *path, const void *data, size_t len,
                                           char err[static XTARS_ERRLEN]);

/* Writes all len bytes to fd, retrying on EINTR and short writes. XTARS_EIO
 * with errno set (ENOSPC for a write that made no progress). */
xtars_err xtars_file_write_all(int fd, const void *data, size_t len);

#endif
