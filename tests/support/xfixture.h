/* xfixture.h: a private Xvfb for an x11 test. xt_x_start() starts one with
 * -displayfd, points DISPLAY at it and registers its shutdown at exit; the
 * caller's own display is never used. Xvfb missing is a failure, not a skip:
 * `make test` installs it. */
#ifndef XTARS_XFIXTURE_H
#define XTARS_XFIXTURE_H

/* Starts a WxH depth-24 Xvfb (extra Xvfb arguments may be NULL); returns its
 * display name (":N"), also exported as DISPLAY. Aborts the test on failure. */
const char *xt_x_start(int width, int height, const char *const *extra_args);

/* Stops it early (e.g. to test a vanished server). */
void xt_x_stop(void);

#endif
