/* agent/run/task_cache.h: `xtars task --cache DIR` (docs/tasks.md): what
 * the last passing run of a task did, kept per step so later runs replay it
 * without a model while the screen still verifies, and fall back to the
 * model from the first step that does not.
 *
 * DIR holds one directory per cached step, named from the step's place,
 * kind and a hash of the task's name and the step's text (so an edited
 * step misses): a small trajectory (run.json, steps.jsonl, screenshots)
 * written by the trajectory writer. An instruction keeps the steps that
 * acted; a question keeps its passing answer with the screenshot it was
 * given on. Cache files are untrusted on the next run: read with size
 * caps, parsed by the trajectory reader, checked (source, step count,
 * screenshot names); anything wrong is a miss with a reason, never an
 * error. Entries are replaced whole (a new directory renamed into place).
 *
 * Ownership: xtars_task_cache_open() gives a cache that copies its
 * arguments; xtars_task_cache_free() accepts NULL. Never prints.
 */
#ifndef XTARS_TASK_CACHE_H
#define XTARS_TASK_CACHE_H

#include <stddef.h>

#include "xtars/agent.h"
#include "xtars/error.h"
#include "xtars/image.h"
#include "xtars/trajectory.h"

enum xtars_cache_mode {
    XTARS_CACHE_READ_WRITE = 0,   /* use entries, update them when the task passes */
    XTARS_CACHE_READ_ONLY,        /* use entries, never write (CI) */
    XTARS_CACHE_REFRESH           /* ignore entries, write new ones when the task passes */
};

#define XTARS_TASK_CACHE_KEY_LEN 48
#define XTARS_TASK_CACHE_MAX_STEPS 1000

struct xtars_task_cache;

/* "read-write", "read-only", "refresh" -> mode; EUSAGE otherwise. */
xtars_err xtars_task_cache_mode_from_name(const char *name, int *mode);

/* Opens DIR (created unless read-only) for the task named task_name.
 * threshold: the similarity a screen needs to verify (0: the replay
 * default). EIO when DIR cannot be made, ENOMEM. */
xtars_err xtars_task_cache_open(const char *dir, int mode, double threshold, const char *task_name,
                                struct xtars_task_cache **out, char *err);
void xtars_task_cache_free(struct xtars_task_cache *cache);

/* The entry name of step `index` (0-based) of kind `kind` with text
 * `text` (after ${...}): "s003-assert-" and 16 hex digits. */
void xtars_task_cache_key(const struct xtars_task_cache *cache, int index, const char *kind,
                          const char *text, char key[XTARS_TASK_CACHE_KEY_LEN]);

/* Loads entry key into *run (clean it with xtars_traj_run_cleanup()). A miss
 * (refresh mode, no entry, an entry that fails a check) returns ENOTFOUND-
 * like XTARS_EFORMAT or XTARS_EIO with the reason in why; *run is clean. */
xtars_err xtars_task_cache_load(const struct xtars_task_cache *cache, const char *key,
                                struct xtars_traj_run *run, char *why);

/* Remembers that steps first..last of the task's trajectory make entry key,
 * to be written by xtars_task_cache_commit(). ETOOBIG past the task's step
 * limit, ENOMEM. */
xtars_err xtars_task_cache_keep(struct xtars_task_cache *cache, const char *key, int first,
                                int last, char *err);

/* The task passed: writes every kept entry from the trajectory in traj_dir
 * (nothing in read-only mode) and sets *written to their number. EIO,
 * EFORMAT (the trajectory cannot be read), ENOMEM. */
xtars_err xtars_task_cache_commit(struct xtars_task_cache *cache, const char *traj_dir,
                                  int *written, char *err);

/* Runs an instruction: replays its entry step by step while each screen
 * verifies, then hands over to the model (the instruction, the replayed
 * steps as history, the steps left of max_steps) from the first step that
 * does not; without an entry the model runs it from the start. note gets
 * one line on where the steps came from. Errors as xtars_agent_run(). */
xtars_err xtars_task_cache_instruction(struct xtars_task_cache *cache, struct xtars_agent *agent,
                                       const char *key, const char *instruction, int max_steps,
                                       struct xtars_agent_result *res, char *note, size_t note_size,
                                       char *err);

/* Whether entry key holds a question's answer given on a screen that
 * `live` still verifies against: 1 and *reply (malloc'd), or 0 and a reason
 * in why. *similarity is the comparison's (-1 when none was made);
 * entry_exists is set when there is a usable entry at all. */
int xtars_task_cache_answer(const struct xtars_task_cache *cache, const char *key,
                            const struct xtars_image *live, char **reply, double *similarity,
                            int *entry_exists, char *why);

#endif
