/* The loop's option builders (agent/loop/options.c): the options capture,
 * the screenshot pipeline and the executor get from a config carry every
 * value the config sets, the default config gives the lower layers' own
 * defaults, and the executor's notes reach the log. */
#include <unistd.h>

#include "test.h"
#include "agent/loop/options.h"
#include "xtars/log.h"

TEST(capture_options_carry_display_monitor_and_cursor)
{
    struct xtars_config cfg;
    struct xtars_capture_options opts;

    xtars_config_defaults(&cfg);
    xtars_capture_options_from_config(&cfg, &opts);
    ASSERT(opts.display == NULL); /* "": $DISPLAY */
    ASSERT(opts.monitor == NULL); /* "": the whole screen */
    ASSERT_EQ(opts.cursor, 0);
    ASSERT_EQ(opts.window, 0);
    ASSERT(opts.window_name == NULL);
    ASSERT_EQ(opts.region.width, 0);
    ASSERT_EQ(opts.no_shm, 0);
    snprintf(cfg.display, sizeof cfg.display, ":5");
    snprintf(cfg.monitor, sizeof cfg.monitor, "HDMI-1");
    cfg.cursor = 1;
    xtars_capture_options_from_config(&cfg, &opts);
    ASSERT_STR_EQ(opts.display, ":5");
    ASSERT_STR_EQ(opts.monitor, "HDMI-1");
    ASSERT_EQ(opts.cursor, 1);
}

TEST(shot_options_of_the_default_config_are_the_capture_defaults)
{
    struct xtars_config cfg;
    struct xtars_shot_options built, defaults;

    xtars_config_defaults(&cfg);
    xtars_shot_options_from_config(&cfg, &built);
    xtars_shot_options_init(&defaults);
    ASSERT_EQ(defaults.size, XTARS_SHOT_SMART);
    ASSERT_EQ(defaults.min_pixels, XTARS_DEFAULT_MIN_PIXELS);
    ASSERT_EQ(defaults.max_pixels, XTARS_DEFAULT_MAX_PIXELS);
    ASSERT_EQ(defaults.format, XTARS_IMAGE_PNG);
    ASSERT_EQ(defaults.png_level, 1);
    ASSERT_EQ(defaults.jpeg_quality, 85);
    ASSERT_EQ(built.size, defaults.size);
    ASSERT_EQ(built.min_pixels, defaults.min_pixels);
    ASSERT_EQ(built.max_pixels, defaults.max_pixels);
    ASSERT_EQ(built.format, defaults.format);
    ASSERT_EQ(built.png_level, defaults.png_level);
    ASSERT_EQ(built.jpeg_quality, defaults.jpeg_quality);
}

TEST(shot_options_carry_the_config)
{
    struct xtars_config cfg;
    struct xtars_shot_options opts;

    xtars_config_defaults(&cfg);
    cfg.min_pixels = 1000;
    cfg.max_pixels = 2000000;
    cfg.image_format = XTARS_IMAGE_JPEG;
    cfg.png_level = 6;
    cfg.jpeg_quality = 60;
    xtars_shot_options_from_config(&cfg, &opts);
    ASSERT_EQ(opts.size, XTARS_SHOT_SMART);
    ASSERT_EQ(opts.min_pixels, 1000);
    ASSERT_EQ(opts.max_pixels, 2000000);
    ASSERT_EQ(opts.format, XTARS_IMAGE_JPEG);
    ASSERT_EQ(opts.png_level, 6);
    ASSERT_EQ(opts.jpeg_quality, 60);
}

TEST(exec_options_of_the_default_config_are_the_executor_defaults)
{
    struct xtars_config cfg;
    struct xtars_exec_options built, defaults;

    xtars_config_defaults(&cfg);
    xtars_exec_options_from_config(&cfg, &built);
    xtars_exec_options_init(&defaults);
    ASSERT(built.display == NULL);
    ASSERT_EQ(built.click_delay_ms, defaults.click_delay_ms);
    ASSERT_EQ(built.key_delay_ms, defaults.key_delay_ms);
    ASSERT_EQ(built.action_delay_ms, defaults.action_delay_ms);
    ASSERT_EQ(built.scroll_amount, defaults.scroll_amount);
    ASSERT_EQ(built.wait_ms, defaults.wait_ms);
    ASSERT_EQ(built.double_click_ms, defaults.double_click_ms);
    ASSERT_EQ(built.clear_modifiers, defaults.clear_modifiers);
    ASSERT_EQ(built.bounds.width, 0);
    ASSERT(built.stop == NULL);
}

TEST(exec_options_carry_the_config_and_notes_go_to_the_log)
{
    struct xtars_config cfg;
    struct xtars_exec_options opts;
    char text[256];
    int fds[2];
    ssize_t n;

    xtars_config_defaults(&cfg);
    snprintf(cfg.display, sizeof cfg.display, ":3");
    cfg.click_delay_ms = 7;
    cfg.key_delay_ms = 8;
    cfg.action_delay_ms = 9;
    cfg.scroll_amount = 2;
    cfg.wait_ms = 100;
    cfg.double_click_ms = 50;
    cfg.clear_modifiers = 0;
    xtars_exec_options_from_config(&cfg, &opts);
    ASSERT_STR_EQ(opts.display, ":3");
    ASSERT_EQ(opts.click_delay_ms, 7);
    ASSERT_EQ(opts.key_delay_ms, 8);
    ASSERT_EQ(opts.action_delay_ms, 9);
    ASSERT_EQ(opts.scroll_amount, 2);
    ASSERT_EQ(opts.wait_ms, 100);
    ASSERT_EQ(opts.double_click_ms, 50);
    ASSERT_EQ(opts.clear_modifiers, 0);
    ASSERT(opts.note != NULL);

    ASSERT_EQ(pipe(fds), 0);
    xtars_log_set_fd(fds[1]);
    xtars_log_set_level(XTARS_LOG_INFO);
    opts.note(opts.note_data, "exec: undid 1 key binding left on :3 by a process that died");
    close(fds[1]);
    n = read(fds[0], text, sizeof text - 1);
    text[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    ASSERT_STR_EQ(text, "xtars: exec: undid 1 key binding left on :3 by a process that died\n");
}
