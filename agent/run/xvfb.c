/* xvfb.c: start and stop a private Xvfb. It must never leave a server running
 * after its owner is gone, and never listen on TCP. Never prints. */
#include "agent/run/xvfb.h"
#include "agent/base/clock.h"
#include "agent/base/spawn.h"
#include "xtars/image.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct xtars_xvfb {
    pid_t pid;
    char display[32];
};

xtars_err xtars_xvfb_check_size(long width, long height, char *err)
{
    long longer = width > height ? width : height, shorter = width > height ? height : width;

    if (shorter < 1)
        return xtars_error(err, XTARS_EINVAL, "%ldx%ld: each side must be at least 1 pixel",
                           width, height);
    if (longer > XTARS_XVFB_MAX_SIDE)
        return xtars_error(err, XTARS_EINVAL, "%ldx%ld: at most %d pixels a side (X11 "
                           "coordinates are 16-bit)", width, height, XTARS_XVFB_MAX_SIDE);
    if (width * height > XTARS_IMAGE_MAX_PIXELS)
        return xtars_error(err, XTARS_EINVAL, "%ldx%ld: at most %ld pixels (e.g. 8192x8192) "
                           "can be captured", width, height, (long)XTARS_IMAGE_MAX_PIXELS);
    if (longer > XTARS_XVFB_MAX_ASPECT * shorter)
        return xtars_error(err, XTARS_EINVAL, "%ldx%ld: one side is more than %d times the "
                           "other, which the model's image resizing refuses", width, height,
                           XTARS_XVFB_MAX_ASPECT);
    return XTARS_OK;
}

xtars_err xtars_parse_size(const char *text, int *width, int *height)
{
    char *end;
    long w, h;

    errno = 0;
    w = strtol(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X'))
        return XTARS_EINVAL;
    text = end + 1;
    h = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno || w < 1 || h < 1 || w > 32767 || h > 32767)
        return XTARS_EINVAL;
    *width = (int)w;
    *height = (int)h;
    return XTARS_OK;
}

/* Starts `Xvfb -displayfd write_fd ...` in its own process group (a
 * terminal's Ctrl-C goes to us; we stop Xvfb in order), killed if we die. */
static xtars_err spawn_xvfb(struct xtars_xvfb *xvfb, const struct xtars_xvfb_options *opts,
                            int write_fd, char *err)
{
    char fd_text[16], screen[64], file[4096];
    const char *argv[64];
    int argc = 0;
    struct xtars_spawn_options o = {
        .argv = argv,
        .file = file,
        .stdio = {{XTARS_SPAWN_DEVNULL, NULL, -1}, {XTARS_SPAWN_DEVNULL, NULL, -1},
                  {XTARS_SPAWN_DEVNULL, NULL, -1}},
        .group = XTARS_SPAWN_NEW_GROUP,
        .death_signal = SIGKILL,
        .keep_fds = &write_fd,
        .keep_fd_count = 1,
    };

    if (xtars_spawn_find("Xvfb", NULL, file, sizeof file, err) != XTARS_OK)
        return xtars_error(err, XTARS_ECHILD,
                           "Xvfb: not found on PATH (install the Debian package xvfb)");
    snprintf(fd_text, sizeof fd_text, "%d", write_fd);
    snprintf(screen, sizeof screen, "%dx%dx%d", opts->width, opts->height,
             opts->depth ? opts->depth : 24);
    argv[argc++] = "Xvfb";
    argv[argc++] = "-displayfd";
    argv[argc++] = fd_text;
    argv[argc++] = "-screen";
    argv[argc++] = "0";
    argv[argc++] = screen;
    argv[argc++] = "-nolisten";
    argv[argc++] = "tcp";
    argv[argc++] = "-noreset";
    for (int i = 0; opts->extra_args && opts->extra_args[i] && argc < 62; i++)
        argv[argc++] = opts->extra_args[i];
    argv[argc] = NULL;
    return xtars_spawn(&o, &xvfb->pid, err);
}

/* Reads the display number Xvfb writes, bounded by the deadline. */
static xtars_err read_display(struct xtars_xvfb *xvfb, int read_fd, int timeout_ms, char *err)
{
    char text[32];
    size_t used = 0;
    double deadline = xtars_clock_ms() + timeout_ms;

    while (used < sizeof text - 1) {
        struct pollfd pfd = {.fd = read_fd, .events = POLLIN};
        double left = deadline - xtars_clock_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
            return xtars_error(err, XTARS_ECHILD, "Xvfb: no display number after %d ms",
                               timeout_ms);
        n = read(read_fd, text + used, sizeof text - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (memchr(text, '\n', used))
            break;
    }
    text[used] = '\0';
    if (used == 0 || text[0] < '0' || text[0] > '9') {
        int status = 0;
        waitpid(xvfb->pid, &status, 0);
        xvfb->pid = 0;
        return xtars_error(err, XTARS_ECHILD, "Xvfb: exited during start-up (status %d)",
                           xtars_spawn_exit_code(status));
    }
    snprintf(xvfb->display, sizeof xvfb->display, ":%d", atoi(text));
    return XTARS_OK;
}

xtars_err xtars_xvfb_start(const struct xtars_xvfb_options *opts, struct xtars_xvfb **out,
                           char *err)
{
    struct xtars_xvfb *xvfb;
    int fds[2];
    xtars_err rc;
    char why[XTARS_ERRLEN];

    *out = NULL;
    if (xtars_xvfb_check_size(opts->width, opts->height, why) != XTARS_OK)
        return xtars_error(err, XTARS_EINVAL, "Xvfb: screen %s", why);
    xvfb = calloc(1, sizeof *xvfb);
    if (xvfb == NULL)
        return xtars_error(err, XTARS_ENOMEM, "Xvfb: out of memory");
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(xvfb);
        return xtars_error(err, XTARS_ECHILD, "Xvfb: pipe: %s", strerror(errno));
    }
    rc = spawn_xvfb(xvfb, opts, fds[1], err);
    close(fds[1]);
    if (rc != XTARS_OK) {
        close(fds[0]);
        free(xvfb);
        return rc;
    }
    rc = read_display(xvfb, fds[0], opts->timeout_ms > 0 ? opts->timeout_ms : 10000, err);
    close(fds[0]);
    if (rc != XTARS_OK) {
        xtars_xvfb_free(xvfb);
        return rc;
    }
    *out = xvfb;
    return XTARS_OK;
}

const char *xtars_xvfb_display(const struct xtars_xvfb *xvfb) { return xvfb->display; }

pid_t xtars_xvfb_pid(const struct xtars_xvfb *xvfb) { return xvfb->pid; }

void xtars_xvfb_free(struct xtars_xvfb *xvfb)
{
    if (xvfb == NULL)
        return;
    xtars_spawn_stop(xvfb->pid, 0, 2000, NULL);
    free(xvfb);
}
