/* report.h: the HTML report of a trajectory (docs/trajectory.md, "The
 * report"): one self-contained file (screenshots embedded as recorded,
 * thumbnails, inline CSS, SVG and one small script allowed by its CSP hash,
 * no network) with a step list, a timeline, and per step the screenshot
 * with its actions overlaid, the actions in words, the model call and the
 * raw reply; checks and waits of tasks; the screen after the last action.
 */
#ifndef XTARS_REPORT_H
#define XTARS_REPORT_H

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xtars_report_stats {
    int steps;          /* steps shown */
    int images;         /* screenshots embedded */
    long bytes;         /* size of the HTML file */
};

/* Writes the report of the trajectory in dir to out_path (NULL:
 * dir/report.html), atomically. Errors: those of xtars_traj_load() (EFORMAT,
 * EIO), EIO writing, ENOMEM. A screenshot that is missing or cannot be
 * decoded is reported in the page, not an error. stats may be NULL. */
xtars_err xtars_report_write(const char *dir, const char *out_path, struct xtars_report_stats *stats,
                             char *err);

#ifdef __cplusplus
}
#endif
#endif
