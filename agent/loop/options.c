/* options.c: struct xtars_config -> the option structs of capture, the
 * screenshot pipeline and the executor. The only place those layers' options
 * are derived from the config; it copies values and wires the executor's
 * notes to the log, and must never open anything or decide policy. */
#include "agent/loop/options.h"

#include "xtars/log.h"

void xtars_capture_options_from_config(const struct xtars_config *cfg,
                                       struct xtars_capture_options *opts)
{
    xtars_capture_options_init(opts);
    opts->display = cfg->display[0] ? cfg->display : NULL;
    opts->monitor = cfg->monitor[0] ? cfg->monitor : NULL;
    opts->cursor = cfg->cursor;
}

void xtars_shot_options_from_config(const struct xtars_config *cfg,
                                    struct xtars_shot_options *opts)
{
    xtars_shot_options_init(opts);
    opts->min_pixels = cfg->min_pixels;
    opts->max_pixels = cfg->max_pixels;
    opts->format = cfg->image_format;
    opts->png_level = cfg->png_level;
    opts->jpeg_quality = cfg->jpeg_quality;
}

static void note_to_log(void *note_data, const char *line)
{
    (void)note_data;
    xtars_log_info("%s", line);
}

void xtars_exec_options_from_config(const struct xtars_config *cfg,
                                    struct xtars_exec_options *opts)
{
    xtars_exec_options_init(opts);
    opts->display = cfg->display[0] ? cfg->display : NULL;
    opts->click_delay_ms = cfg->click_delay_ms;
    opts->key_delay_ms = cfg->key_delay_ms;
    opts->action_delay_ms = cfg->action_delay_ms;
    opts->scroll_amount = cfg->scroll_amount;
    opts->wait_ms = cfg->wait_ms;
    opts->double_click_ms = cfg->double_click_ms;
    opts->clear_modifiers = cfg->clear_modifiers;
    opts->note = note_to_log;
}
