/* The Xvfb harness: a private server that answers, has the asked size, is
 * gone after it is freed, and never touches the caller's DISPLAY. */
#include <X11/Xlib.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test.h"
#include "xfixture.h"
#include "agent/run/xvfb.h"

TEST(opens_and_reports_size)
{
    const char *name;
    Display *dpy;

    setenv("DISPLAY", ":9999", 1); /* a caller display that must be ignored */
    name = xt_x_start(800, 600, NULL);
    ASSERT(name[0] == ':');
    ASSERT(strcmp(name, ":9999") != 0);
    ASSERT_STR_EQ(getenv("DISPLAY"), name);
    dpy = XOpenDisplay(name);
    ASSERT(dpy != NULL);
    ASSERT_EQ(DisplayWidth(dpy, DefaultScreen(dpy)), 800);
    ASSERT_EQ(DisplayHeight(dpy, DefaultScreen(dpy)), 600);
    ASSERT_EQ(DefaultDepth(dpy, DefaultScreen(dpy)), 24);
    XCloseDisplay(dpy);
}

TEST(free_stops_the_server)
{
    struct xtars_xvfb_options opts = {320, 240, 24, 10000, NULL};
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct xtars_xvfb *x;
    char err[XTARS_ERRLEN], byte;
    struct pollfd pfd;
    pid_t pid;
    int fd;

    ASSERT_EQ(xtars_xvfb_start(&opts, &x, err), XTARS_OK);
    pid = xtars_xvfb_pid(x);
    ASSERT_EQ(kill(pid, 0), 0);
    /* A raw connection to the server's socket (no Xlib: nothing to leak). */
    snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/.X11-unix/X%s", xtars_xvfb_display(x) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    xtars_xvfb_free(x);
    ASSERT_EQ(kill(pid, 0), -1); /* reaped: no zombie, no orphan */
    /* The connection sees end-of-file. (A new connection to the same name
     * could reach another test's server that reused the number.) */
    pfd = (struct pollfd){.fd = fd, .events = POLLIN};
    ASSERT_EQ(poll(&pfd, 1, 2000), 1);
    {
        ssize_t got = recv(fd, &byte, 1, MSG_DONTWAIT);
        if (!(got == 0 || (got < 0 && errno == ECONNRESET)))
            FAIL("connection still alive after free: recv = %zd (%s)", got, strerror(errno));
    }
    close(fd);
}

TEST(two_servers_at_once_get_different_displays)
{
    struct xtars_xvfb_options opts = {320, 240, 24, 10000, NULL};
    struct xtars_xvfb *a, *b;
    char err[XTARS_ERRLEN];

    ASSERT_EQ(xtars_xvfb_start(&opts, &a, err), XTARS_OK);
    ASSERT_EQ(xtars_xvfb_start(&opts, &b, err), XTARS_OK);
    ASSERT(strcmp(xtars_xvfb_display(a), xtars_xvfb_display(b)) != 0);
    xtars_xvfb_free(a);
    xtars_xvfb_free(b);
}

TEST(bad_arguments_fail_clearly)
{
    struct xtars_xvfb_options opts = {0, 240, 24, 10000, NULL};
    const char *bad_args[] = {"-no-such-xvfb-flag", NULL};
    struct xtars_xvfb *x;
    char err[XTARS_ERRLEN];
    int w, h;

    ASSERT_EQ(xtars_xvfb_start(&opts, &x, err), XTARS_EINVAL);
    ASSERT(x == NULL);
    opts.width = 320;
    opts.extra_args = bad_args;
    ASSERT_EQ(xtars_xvfb_start(&opts, &x, err), XTARS_ECHILD);
    ASSERT_STR_CONTAINS(err, "Xvfb: exited during start-up");
    ASSERT_EQ(xtars_parse_size("1920x1080", &w, &h), XTARS_OK);
    ASSERT_EQ(w, 1920);
    ASSERT_EQ(h, 1080);
    ASSERT_EQ(xtars_parse_size("1920x", &w, &h), XTARS_EINVAL);
    ASSERT_EQ(xtars_parse_size("x1080", &w, &h), XTARS_EINVAL);
    ASSERT_EQ(xtars_parse_size("0x10", &w, &h), XTARS_EINVAL);
    ASSERT_EQ(xtars_parse_size("10x10x", &w, &h), XTARS_EINVAL);
}
