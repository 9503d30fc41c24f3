/* agent/record/traj_file.h: the file layer under the trajectory writer:
 * a directory with run.json (replaced atomically), steps.jsonl (whole lines,
 * flushed) and screenshot files. Only the record layer's serializer
 * (traj_write.h) and the importers' writer calls reach it.
 *
 * Ownership: xtars_traj_open() returns a handle that xtars_traj_close() frees
 * (accepts NULL). The functions write text and bytes they are given and keep
 * no pointer to them.
 */
#ifndef XTARS_TRAJ_FILE_H
#define XTARS_TRAJ_FILE_H

#include <stddef.h>

#include "xtars/trajectory.h"

/* Space set aside in the directory while a run is recorded, given up when the
 * disk is full so the final run.json still fits; removed on close. */
#define XTARS_TRAJ_RESERVE_NAME ".xtars-reserve"
#define XTARS_TRAJ_RESERVE (64 * 1024) /* run.json is usually 2-4 KB */

struct xtars_traj;

/* Creates dir (and missing parents), opens steps.jsonl for appending and
 * sets XTARS_TRAJ_RESERVE bytes aside for run.json. A directory that already
 * holds a run.json is refused (EIO), so no run is overwritten. Errors name
 * the path and the system error. */
xtars_err xtars_traj_open(const char *dir, struct xtars_traj **out, char err[static XTARS_ERRLEN]);

/* Bulk mode, for an importer writing a whole finished run in one go: step
 * lines and files are not synced one by one (200,000 syncs made a
 * 100,000-step import take minutes); xtars_traj_close() syncs the file
 * system once instead. run.json is always synced. */
void xtars_traj_set_bulk(struct xtars_traj *traj, int bulk);

/* The directory path given to open. */
const char *xtars_traj_dir(const struct xtars_traj *traj);

/* Replaces run.json atomically with text. When that fails (disk full) and
 * the reserve is still held, the reserve is given up and the write tried
 * once more. EIO names the file on failure; the previous run.json then
 * stays intact. */
xtars_err xtars_traj_write_run(struct xtars_traj *traj, const char *text, size_t len,
                               char err[static XTARS_ERRLEN]);

/* Appends one step line (text must be one JSON object without a newline) and
 * flushes it to the disk. EIO on failure; a partial line is truncated away
 * so steps.jsonl stays valid JSONL. */
xtars_err xtars_traj_append_step(struct xtars_traj *traj, const char *line, size_t len,
                                 char err[static XTARS_ERRLEN]);

/* Writes a file (a screenshot) into the directory atomically. */
xtars_err xtars_traj_write_file(struct xtars_traj *traj, const char *name, const void *data,
                                size_t len, char err[static XTARS_ERRLEN]);

/* Closes steps.jsonl, removes the reserve and frees the handle. Accepts
 * NULL. */
void xtars_traj_close(struct xtars_traj *traj);

/* This process as a run's recorder: pid, host name and pid namespace, as
 * written in run.json's "recorder" and read back above. */
void xtars_traj_recorder(long *pid, char *host, size_t host_size, char *pid_ns,
                         size_t pid_ns_size);

#endif
