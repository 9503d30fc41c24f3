/* files.c: directories and whole files written so that a crash, a kill or a
 * full disk never leaves a half-written file under the final name (temp
 * file, fsync, rename). Never prints. */
#include "agent/base/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static xtars_err io_error(char *err, const char *path, const char *what)
{
    return xtars_error(err, XTARS_EIO, "%s: %s: %s", path, what, strerror(errno));
}

xtars_err xtars_mkdir_p(const char *dir, char err[static XTARS_ERRLEN])
{
    char path[PATH_MAX];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof path)
        return xtars_error(err, XTARS_EIO, "bad directory name '%.200s'", dir);
    memcpy(path, dir, len + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return io_error(err, path, "cannot create directory");
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return io_error(err, path, "cannot create directory");
    return XTARS_OK;
}

xtars_err xtars_file_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return XTARS_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return XTARS_OK;
}

static xtars_err write_atomic(const char *path, const void *data, size_t len, int sync,
                              char err[static XTARS_ERRLEN])
{
    char tmp[PATH_MAX + 16];
    int fd;

    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return xtars_error(err, XTARS_EIO, "path too long: %.200s", path);
    /* A fresh file, never through a link planted at the temp name: a stale
     * one (a crashed writer with our pid, or a symlink) is removed first. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_error(err, path, "cannot write");
    if (xtars_file_write_all(fd, data, len) != XTARS_OK || (sync && fsync(fd) != 0)) {
        xtars_err rc = io_error(err, path, "cannot write");
        close(fd);
        unlink(tmp);
        return rc;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        xtars_err rc = io_error(err, path, "cannot write");
        unlink(tmp);
        return rc;
    }
    return XTARS_OK;
}

xtars_err xtars_write_file_atomic(const char *path, const void *data, size_t len,
                                 char err[static XTARS_ERRLEN])
{
    return write_atomic(path, data, len, 1, err);
}

xtars_err xtars_write_file_atomic_unsynced(const char *path, const void *data, size_t len,
                                           char err[static XTARS_ERRLEN])
{
    return write_atomic(path, data, len, 0, err);
}
