/* xtars/report.h: the HTML report of a trajectory: one self-contained file
 * (screenshots embedded, inline CSS and SVG, no script, no network) with the
 * instruction, status, model, totals, a per-step timing chart, and per step
 * the screenshot with its actions drawn in, the thought, the actions and
 * their results, and the raw reply on demand.
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
