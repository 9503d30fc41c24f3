/* trajectory.c: writing trajectory directories. Everything is written so that
 * a crash, a kill or a full disk at any moment leaves a directory whose
 * run.json is whole and whose steps.jsonl holds only complete lines. Never
 * prints. */
#include "agent/record/traj_file.h"

#include "agent/base/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct xtars_traj {
    char dir[PATH_MAX];
    int steps_fd;
    int reserved;  /* XTARS_TRAJ_RESERVE_NAME holds space for run.json */
    int bulk;      /* xtars_traj_set_bulk(): sync once, at close */
};

void xtars_traj_set_bulk(struct xtars_traj *traj, int bulk)
{
    traj->bulk = bulk;
}

static xtars_err io_error(char *err, const char *path, const char *what)
{
    return xtars_error(err, XTARS_EIO, "%s: %s: %s", path, what, strerror(errno));
}

/* Sets XTARS_TRAJ_RESERVE bytes aside in the directory, so the last
 * rewrite of run.json fits even when screenshots and steps filled the disk.
 * 1 when the space is held; a disk already too full for it just gets none. */
static int reserve_space(const char *dir)
{
    char path[PATH_MAX + 32];
    int fd, ok;

    snprintf(path, sizeof path, "%s/%s", dir, XTARS_TRAJ_RESERVE_NAME);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return 0;
    ok = posix_fallocate(fd, 0, XTARS_TRAJ_RESERVE) == 0;
    close(fd);
    if (!ok)
        unlink(path);
    return ok;
}

static void release_space(struct xtars_traj *traj)
{
    char path[PATH_MAX + 32];

    if (!traj->reserved)
        return;
    snprintf(path, sizeof path, "%s/%s", traj->dir, XTARS_TRAJ_RESERVE_NAME);
    unlink(path);
    traj->reserved = 0;
}

xtars_err xtars_traj_open(const char *dir, struct xtars_traj **out, char err[static XTARS_ERRLEN])
{
    struct xtars_traj *traj;
    char path[PATH_MAX + 32];
    xtars_err rc;

    *out = NULL;
    if (strlen(dir) >= PATH_MAX - 32)
        return xtars_error(err, XTARS_EIO, "trajectory directory name too long");
    rc = xtars_mkdir_p(dir, err);
    if (rc != XTARS_OK)
        return rc;
    snprintf(path, sizeof path, "%s/run.json", dir);
    if (access(path, F_OK) == 0)
        return xtars_error(err, XTARS_EIO, "%s: a run is already recorded there", dir);
    traj = calloc(1, sizeof *traj);
    if (traj == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    snprintf(traj->dir, sizeof traj->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    traj->steps_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (traj->steps_fd < 0) {
        rc = io_error(err, path, "cannot open");
        free(traj);
        return rc;
    }
    traj->reserved = reserve_space(dir);
    *out = traj;
    return XTARS_OK;
}

const char *xtars_traj_dir(const struct xtars_traj *traj) { return traj->dir; }

xtars_err xtars_traj_write_run(struct xtars_traj *traj, const char *text, size_t len, char err[static XTARS_ERRLEN])
{
    char path[PATH_MAX + 32];
    xtars_err rc;

    snprintf(path, sizeof path, "%s/run.json", traj->dir);
    rc = xtars_write_file_atomic(path, text, len, err);
    if (rc == XTARS_OK || !traj->reserved)
        return rc;
    release_space(traj); /* the disk is full: the reserve makes room for this one */
    return xtars_write_file_atomic(path, text, len, err);
}

xtars_err xtars_traj_append_step(struct xtars_traj *traj, const char *line, size_t len, char err[static XTARS_ERRLEN])
{
    char path[PATH_MAX + 32];
    off_t before;

    snprintf(path, sizeof path, "%s/steps.jsonl", traj->dir);
    if (memchr(line, '\n', len))
        return xtars_error(err, XTARS_EINVAL, "%s: a step line must not contain a newline", path);
    before = lseek(traj->steps_fd, 0, SEEK_END);
    if (xtars_file_write_all(traj->steps_fd, line, len) != XTARS_OK ||
        xtars_file_write_all(traj->steps_fd, "\n", 1) != XTARS_OK ||
        (!traj->bulk && fdatasync(traj->steps_fd) != 0)) {
        xtars_err rc = io_error(err, path, "cannot append step");
        /* Drop the partial line so the file stays valid JSONL. */
        if (before >= 0 && ftruncate(traj->steps_fd, before) != 0)
            errno = 0;
        return rc;
    }
    return XTARS_OK;
}

xtars_err xtars_traj_write_file(struct xtars_traj *traj, const char *name, const void *data,
                                size_t len, char err[static XTARS_ERRLEN])
{
    char path[PATH_MAX + 256];

    if (strchr(name, '/') || strcmp(name, "..") == 0 || name[0] == '\0')
        return xtars_error(err, XTARS_EINVAL, "bad file name '%.100s'", name);
    snprintf(path, sizeof path, "%s/%s", traj->dir, name);
    return traj->bulk ? xtars_write_file_atomic_unsynced(path, data, len, err)
                      : xtars_write_file_atomic(path, data, len, err);
}

void xtars_traj_close(struct xtars_traj *traj)
{
    if (traj == NULL)
        return;
    if (traj->steps_fd >= 0) {
        if (traj->bulk)
            syncfs(traj->steps_fd);
        close(traj->steps_fd);
    }
    release_space(traj);
    free(traj);
}
