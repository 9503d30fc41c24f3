/* tty.c: a program on a pseudo-terminal, for tests (tty.h). */
#include "tty.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

void xt_tty_start(struct xt_tty *t, const char *const *argv, const char *const *env)
{
    int slave;

    memset(t, 0, sizeof *t);
    xtars_buf_init(&t->seen, 4u << 20);
    ASSERT_EQ(openpty(&t->master, &slave, NULL, NULL, NULL), 0);
    t->pid = fork();
    ASSERT(t->pid >= 0);
    if (t->pid == 0) {
        const char *bin = getenv("XTARS_BIN"), *args[64];
        int n = 0;

        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
        close(slave);
        close(t->master);
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        for (; argv[n] && n < 63; n++)
            args[n] = strcmp(argv[n], "@xtars") == 0 && bin ? bin : argv[n];
        args[n] = NULL;
        execvp(args[0], (char *const *)args);
        _exit(127);
    }
    close(slave);
}

/* Reads what is there within ms; 0 when the terminal has closed. */
static int read_some(struct xt_tty *t, int ms)
{
    struct pollfd p = {.fd = t->master, .events = POLLIN};
    char chunk[512];
    ssize_t n;

    if (poll(&p, 1, ms) <= 0)
        return 1;
    n = read(t->master, chunk, sizeof chunk);
    if (n <= 0)
        return 0;
    xtars_buf_append(&t->seen, chunk, (size_t)n);
    return 1;
}

static const char *seen(const struct xt_tty *t)
{
    return t->seen.data ? t->seen.data : "";
}

void xt_tty_expect(struct xt_tty *t, const char *text)
{
    for (int waited = 0; strstr(seen(t), text) == NULL; waited += 10) {
        if (waited > 20000)
            FAIL("never saw \"%s\" on the terminal; saw: %s", text, seen(t));
        if (!read_some(t, 10))
            FAIL("terminal closed before \"%s\"; saw: %s", text, seen(t));
    }
}

void xt_tty_type(struct xt_tty *t, const char *text)
{
    ASSERT_EQ(write(t->master, text, strlen(text)), (ssize_t)strlen(text));
}

int xt_tty_finish(struct xt_tty *t)
{
    int status, waited = 0;

    while (waited < 20000 && read_some(t, 10)) /* until the terminal closes */
        waited += 10;
    if (waited >= 20000) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, &status, 0);
        FAIL("the program did not end within 20 s; the terminal shows: %s", seen(t));
    }
    ASSERT_EQ(waitpid(t->pid, &status, 0), t->pid);
    close(t->master);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
