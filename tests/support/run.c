/* run.c: fork/exec a program with pipes for stdin, stdout and stderr, reading
 * both outputs with poll so neither can fill up and block the child. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "xtars/buf.h"

static void child(const char *const *argv, const char *const *env, int in, int out, int err)
{
    const char *bin = getenv("XTARS_BIN");
    const char *args[128];
    int i;

    for (i = 0; argv[i] && i < 127; i++)
        args[i] = strcmp(argv[i], "@xtars") == 0 && bin ? bin : argv[i];
    args[i] = NULL;
    for (i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    /* only 0, 1 and 2 stay: a daemon the command starts must not keep the
     * pipes' other copies open and make xt_run wait for it */
    if (in > 2)
        close(in);
    if (out > 2)
        close(out);
    if (err > 2)
        close(err);
    execvp(args[0], (char *const *)args);
    _exit(126);
}

struct xt_result xt_run(const char *const *argv, const char *const *env, const char *stdin_text)
{
    int in[2], out[2], err[2], status = 0;
    struct xtars_buf bufs[2];
    struct pollfd fds[2];
    struct xt_result r;
    pid_t pid;

    signal(SIGPIPE, SIG_IGN);
    if (pipe(in) || pipe(out) || pipe(err))
        FAIL("pipe: %s", strerror(errno));
    pid = fork();
    if (pid == 0) {
        close(in[1]), close(out[0]), close(err[0]);
        child(argv, env, in[0], out[1], err[1]);
    }
    close(in[0]), close(out[1]), close(err[1]);
    if (stdin_text) {
        size_t left = strlen(stdin_text);
        while (left > 0) {
            ssize_t n = write(in[1], stdin_text, left);
            if (n <= 0)
                break;
            stdin_text += n, left -= (size_t)n;
        }
    }
    close(in[1]);
    xtars_buf_init(&bufs[0], 256u << 20);
    xtars_buf_init(&bufs[1], 256u << 20);
    fds[0] = (struct pollfd){.fd = out[0], .events = POLLIN};
    fds[1] = (struct pollfd){.fd = err[0], .events = POLLIN};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        char chunk[65536];
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(fds[i].fd, chunk, sizeof chunk);
            if (n > 0) {
                xtars_buf_append(&bufs[i], chunk, (size_t)n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = xtars_buf_detach(&bufs[0], NULL);
    r.err = xtars_buf_detach(&bufs[1], NULL);
    if (r.status == 126)
        FAIL("could not run %s", argv[0]);
    return r;
}

void xt_result_free(struct xt_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
