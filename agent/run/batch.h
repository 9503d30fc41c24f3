/* xtars/batch.h: the pure parts of `xtars batch` (docs/scale-out.md): task
 * lists (one JSON task per line), shard assignment, the results file
 * (results.jsonl) with resumption and merging, and the index page. No
 * processes, no X, no network here: the command runs the tasks.
 *
 * Ownership: xtars_batch_list_parse()/_load() fill a struct xtars_batch_list
 * that owns its tasks and their strings; xtars_batch_list_cleanup() frees it.
 * A struct xtars_batch_result owns its malloc'd strings (trajectory, report,
 * log, task, message; each may be NULL); xtars_batch_result_cleanup() frees
 * them. A struct xtars_batch_results owns its items; put() takes ownership
 * of the result it is given, even when it fails. Every cleanup accepts a
 * zeroed or already cleaned object. Task lists and results files are
 * untrusted input: problems are errors naming the file and the line.
 */
#ifndef XTARS_BATCH_H
#define XTARS_BATCH_H

#include <stddef.h>

#include "xtars/buf.h"
#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_BATCH_ID_MAX 64            /* bytes of a task id */
#define XTARS_BATCH_MAX_LAUNCH 16        /* launch commands of one task */
#define XTARS_BATCH_MAX_TASKS 1000000
#define XTARS_BATCH_LIST_MAX (256L << 20)    /* bytes of a task list */
#define XTARS_BATCH_RESULTS_MAX (1L << 30)   /* bytes of a results.jsonl */
#define XTARS_BATCH_DEFAULT_SCREEN "1280x800"

/* ---- task lists ---- */

struct xtars_batch_task {
    int index;                 /* 0-based position among the list's tasks: the shard key */
    int line;                  /* 1-based line of the file */
    char id[XTARS_BATCH_ID_MAX + 1];  /* "id", or "task-NNNN" from index + 1 */
    char *instruction;         /* an instruction for `xtars run`, or NULL */
    char *task_file;           /* a task file for `xtars task` (resolved), or NULL */
    int width, height;         /* "screen"; 0 when not given */
    char *launch[XTARS_BATCH_MAX_LAUNCH];
    int launch_count;
    int max_steps;             /* 0: the config's */
    char hash[17];             /* FNV-1a 64 of the line, hex: an edited task is run again */
};

struct xtars_batch_list {
    struct xtars_batch_task *tasks;
    int count;
};

/* Parses a task list: one JSON object per line, blank lines ignored. A line
 * is {"instruction": TEXT, "id"?, "screen"?: "WxH", "launch"?: CMD or [CMD..],
 * "max_steps"?} or {"task_file": PATH, "id"?, "screen"?}. A relative
 * task_file is resolved against base_dir (NULL or "": as written). Ids are
 * 1..64 bytes of [A-Za-z0-9._-], not starting with '.', unique in the list.
 * `name` is used in messages. Errors: ECONFIG "batch: NAME line L: ...",
 * ENOMEM. On failure *list is clean. */
xtars_err xtars_batch_list_parse(const char *name, const char *text, size_t len,
                                 const char *base_dir, struct xtars_batch_list *list, char *err);

/* Reads path and parses it with its own directory as base_dir. EIO when it
 * cannot be read, and the errors of xtars_batch_list_parse(). */
xtars_err xtars_batch_list_load(const char *path, struct xtars_batch_list *list, char *err);

void xtars_batch_list_cleanup(struct xtars_batch_list *list);

/* Index of the task with this id, or -1. */
int xtars_batch_list_find(const struct xtars_batch_list *list, const char *id);

/* ---- shards ---- */

/* Parses "I/N" (0 <= I < N <= 100000). ECONFIG with a message otherwise. */
xtars_err xtars_batch_shard_parse(const char *text, int *shard_index, int *shard_count, char *err);

/* Whether the task at list position task_index belongs to shard I of N:
 * task_index % N == I. Round robin keeps the shards within one task of
 * each other in size and depends only on the task's own position, so an
 * appended task never moves the others. */
int xtars_batch_in_shard(int task_index, int shard_index, int shard_count);

/* ---- results ---- */

struct xtars_batch_result {
    char id[XTARS_BATCH_ID_MAX + 1];
    int index, line;           /* position in the task list; -1 when unknown */
    char status[24];           /* a run.json status, or crashed / error / pending / running / missing */
    int passed;                /* exit code 0 and status finished */
    int exit_code;             /* of the task's process; -1 when it did not run */
    int steps;
    double duration_s;
    char *task;                /* the instruction or task file, for people */
    char *trajectory;          /* relative to the results directory */
    char *report;
    char *log;
    char *message;
    char shard[24];            /* "I/N" or "" */
    char started_at[32], ended_at[32];   /* UTC, ISO 8601 */
    char task_hash[17];
    long seq;                  /* order of arrival (not written): later wins ties */
};

void xtars_batch_result_cleanup(struct xtars_batch_result *r);

/* Appends r as one JSON object and a newline. ENOMEM, ETOOBIG. */
xtars_err xtars_batch_result_format(const struct xtars_batch_result *r, struct xtars_buf *out);

/* Parses one line. EFORMAT naming what is wrong; on failure *r is clean. */
xtars_err xtars_batch_result_parse(const char *line, size_t len, struct xtars_batch_result *r,
                                   char *err);

/* A final status is the task's own outcome (finished, call_user, max_steps,
 * stuck, parse_errors, failed, diverged): resuming skips it. Anything else
 * (stopped, model_error, error, crashed, running, ...) says the task did not
 * get a fair run, so resuming runs it again. */
int xtars_batch_status_final(const char *status);

struct xtars_batch_results {
    struct xtars_batch_result *items;
    int count, cap;
    long next_seq;
    int *table;                /* open-addressing index of items by id (private) */
    int table_size;
    int bad_lines;             /* lines skipped by parse/load */
    char warning[XTARS_ERRLEN];  /* "" or the first skipped line, described */
};

void xtars_batch_results_init(struct xtars_batch_results *set);
void xtars_batch_results_cleanup(struct xtars_batch_results *set);

enum xtars_batch_put {
    XTARS_BATCH_PUT_LATEST,      /* a later result for an id replaces the earlier one */
    XTARS_BATCH_PUT_PREFER_FINAL /* merging: a final result beats a non-final one, then later wins */
};

/* Adds r (moved in: r is left zeroed) to the set; an id already present is
 * resolved by `mode`. *duplicate (may be NULL) is set to 1 when the id was
 * there. ENOMEM. */
xtars_err xtars_batch_results_put(struct xtars_batch_results *set, struct xtars_batch_result *r,
                                  enum xtars_batch_put mode, int *duplicate);

/* The result for id, or NULL. */
struct xtars_batch_result *xtars_batch_results_find(struct xtars_batch_results *set,
                                                    const char *id);

/* Parses results.jsonl text into the set (PUT_LATEST). A line that is not
 * a result (a truncated last line after a crash) is skipped and counted in
 * bad_lines, the first one described in warning. ENOMEM only. */
xtars_err xtars_batch_results_parse(struct xtars_batch_results *set, const char *name,
                                    const char *text, size_t len, char *err);

/* Loads a results file; a missing file is an empty set. EIO, ETOOBIG, ENOMEM. */
xtars_err xtars_batch_results_load(struct xtars_batch_results *set, const char *path, char *err);

/* Orders the items by list position (unknown last), then id. */
void xtars_batch_results_sort(struct xtars_batch_results *set);

/* Cuts an unterminated last line off the file (left by a kill during a
 * write), so appends start on a line of their own. A missing file is fine.
 * EIO naming the path. */
xtars_err xtars_batch_results_repair(const char *path, char *err);

/* Appends r as one line with a single write and flushes it to the disk.
 * EIO naming the path. */
xtars_err xtars_batch_results_append(const char *path, const struct xtars_batch_result *r,
                                     char *err);

/* Writes the whole set (one line each, in order) to path atomically. */
xtars_err xtars_batch_results_write(const struct xtars_batch_results *set, const char *path,
                                    char *err);

/* The index page: a self-contained HTML table (nothing from the network)
 * of the results in the given order, with totals, linking each report and
 * log by its relative path; an inline script allowed by its hash sorts and
 * filters the table (without it, the plain table). ENOMEM, ETOOBIG. */
xtars_err xtars_batch_index_html(const struct xtars_batch_result *items, int count,
                                 const char *title, struct xtars_buf *out);

/* ---- paths ---- */

/* The relative path from directory from_dir to path `to`; both absolute
 * and normalised (no "." or ".." parts, as realpath() gives). EINVAL when
 * either is not absolute, ETOOBIG when out is too small. */
xtars_err xtars_path_relative(const char *from_dir, const char *to, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
