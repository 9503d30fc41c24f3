/* xfixture.c: one private Xvfb per x11 test process, built on the same
 * xtars_xvfb code `xtars run --xvfb` uses. */
#include "xfixture.h"

#include <stdio.h>
#include <stdlib.h>

#include "test.h"
#include "agent/run/xvfb.h"

static struct xtars_xvfb *server;

void xt_x_stop(void)
{
    xtars_xvfb_free(server);
    server = NULL;
}

const char *xt_x_start(int width, int height, const char *const *extra_args)
{
    struct xtars_xvfb_options opts = {width, height, 24, 15000, extra_args};
    char err[XTARS_ERRLEN];

    unsetenv("DISPLAY");
    if (xtars_xvfb_start(&opts, &server, err) != XTARS_OK)
        FAIL("cannot start Xvfb: %s", err);
    setenv("DISPLAY", xtars_xvfb_display(server), 1);
    atexit(xt_x_stop);
    return xtars_xvfb_display(server);
}
