/* traj_write.h: the one writer of run.json and steps.jsonl lines
 * (docs/trajectory.md). The loop, replays and imports fill the structs of
 * xtars/trajectory.h and hand them here; the key names come from
 * traj_schema.h, which the reader uses too.
 *
 * Ownership: the structs are only read (their pointers are borrowed); text
 * goes into a caller-owned buffer or straight into the trajectory.
 */
#ifndef XTARS_TRAJ_WRITE_H
#define XTARS_TRAJ_WRITE_H

#include "xtars/buf.h"
#include "agent/record/traj_file.h"
#include "xtars/trajectory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest run.json the writer makes (xtars_traj_record_run()). */
#define XTARS_TRAJ_RUN_JSON_MAX (1u << 22)

/* Appends run.json for run: format, version and this xtars's version are
 * the writer's own; "recorder" is written when recorder_pid > 0; the
 * endpoint loses any user information and query string; a NULL instruction
 * is "", a NULL config {} (config, when set, must be a JSON object's text).
 * dir, steps, step_count and warning are not written. ETOOBIG past the
 * buffer's cap, ENOMEM. */
xtars_err xtars_traj_run_to_json(const struct xtars_traj_run *run, struct xtars_buf *out);

/* Appends one step line (no newline). imported: the step comes from
 * another tool, so "replayable" and "source_action" are written.
 * "similarity" is written when >= 0, "recorded_step" when > 0; action_ok,
 * action_ms and action_errors may be NULL (ok, 0 ms, no error). */
xtars_err xtars_traj_step_to_json(const struct xtars_traj_step *step, int imported,
                                  struct xtars_buf *out);

/* Serializes run, redacts every registered secret (xtars/log.h) and
 * replaces run.json (xtars_traj_write_run()). Errors: "run.json: too
 * large", ENOMEM, those of the write. */
xtars_err xtars_traj_record_run(struct xtars_traj *traj, const struct xtars_traj_run *run,
                                char *err);

/* Same for one step, appended to steps.jsonl (xtars_traj_append_step()). */
xtars_err xtars_traj_record_step(struct xtars_traj *traj, const struct xtars_traj_step *step,
                                 int imported, char *err);

#ifdef __cplusplus
}
#endif
#endif
