/* options.h: the loop builds the option structs of the lower layers
 * (capture, the screenshot pipeline, the executor) from its config, so those
 * layers never see struct xtars_config. Every command that opens a capture
 * or an executor for a config goes through these builders, so it behaves as
 * a run would; it then adjusts what it has its own flags for.
 *
 * Ownership: the strings the options point to (display, monitor) belong to
 * cfg, which must outlive the xtars_capture_new() / xtars_exec_new_*() call
 * the options are passed to. Nothing is allocated.
 */
#ifndef XTARS_LOOP_OPTIONS_H
#define XTARS_LOOP_OPTIONS_H

#include "agent/config/config_internal.h"
#include "xtars/capture.h"
#include "xtars/config.h"
#include "xtars/exec.h"

/* Display ("" -> NULL: $DISPLAY), monitor and cursor; no window, region or
 * no_shm. */
void xtars_capture_options_from_config(const struct xtars_config *cfg,
                                       struct xtars_capture_options *opts);

/* Smart size with the config's pixel bounds, image format, PNG level and JPEG
 * quality. */
void xtars_shot_options_from_config(const struct xtars_config *cfg,
                                    struct xtars_shot_options *opts);

/* Display, delays, amounts and clear_modifiers; notes go to the log at info
 * level. bounds zero (the whole screen) and stop NULL: the caller sets them. */
void xtars_exec_options_from_config(const struct xtars_config *cfg,
                                    struct xtars_exec_options *opts);

#endif
