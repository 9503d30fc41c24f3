/* demo_app.h: the demo form's layout, in window coordinates. The demo's
 * scripted model replies (examples/demo/) aim at these rectangles, and the
 * demo test checks them against what the app really draws. */
#ifndef XTARS_DEMO_APP_H
#define XTARS_DEMO_APP_H

#define DEMO_WIDTH 640
#define DEMO_HEIGHT 400

struct demo_rect {
    int x, y, w, h;
};

static const struct demo_rect demo_name_field = {40, 100, 400, 36};
static const struct demo_rect demo_email_field = {40, 180, 400, 36};
static const struct demo_rect demo_checkbox = {40, 240, 24, 24};
static const struct demo_rect demo_submit_button = {40, 290, 140, 40};
static const struct demo_rect demo_clear_button = {200, 290, 140, 40};

#endif
