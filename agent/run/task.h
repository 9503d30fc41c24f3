/* xtars/task.h: task files (docs/tasks.md): a named desktop task with an
 * optional screen size, setup commands and files, and a list of steps
 * (agent instruction, literal action, wait, shell check, and the questions
 * to a model: assert, query, wait_until).
 *
 * Ownership: xtars_task_load() fills a struct xtars_task whose strings and
 * arrays it owns; xtars_task_cleanup() frees them and accepts a zeroed or
 * already cleaned task. Task files are untrusted input: every problem is an
 * ECONFIG error naming the file, the line, the step and the key, with a
 * suggestion for a near-miss key.
 */
#ifndef XTARS_TASK_H
#define XTARS_TASK_H

#include <stddef.h>

#include "xtars/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_TASK_MAX_STEPS 1000
#define XTARS_TASK_MAX_SETUP 64
#define XTARS_TASK_FILE_MAX (4 << 20)

enum xtars_task_step_kind {
    XTARS_TASK_INSTRUCTION = 0, /* run the agent loop on `text` */
    XTARS_TASK_ACTION,          /* perform the UI-TARS call in `text` */
    XTARS_TASK_WAIT,            /* sleep `ms` */
    XTARS_TASK_CHECK,           /* run shell command `text`; exit 0 passes */
    XTARS_TASK_ASSERT,          /* ask a model whether statement `text` holds */
    XTARS_TASK_QUERY,           /* ask a model for data `text` as JSON matching `schema` */
    XTARS_TASK_WAIT_UNTIL       /* ask until statement `text` holds, within `ms` */
};
#define XTARS_TASK_LAST_KIND XTARS_TASK_WAIT_UNTIL

struct xtars_task_step {
    enum xtars_task_step_kind kind;
    char *text;        /* instruction, action call or check command */
    char *family;      /* action: coordinate family name; NULL = "pixels" */
    int max_steps;     /* instruction: 0 = config max_steps */
    int ms;            /* wait: duration; check: timeout (default 10000); wait_until:
                          timeout (default 15000) */
    char *name;        /* optional label for the summary; may be NULL */
    char *schema;      /* query: a JSON Schema as compact JSON text, or NULL */
    char *into;        /* query: the variable the answer is stored in, or NULL */
    int interval_ms;   /* wait_until: least time between two questions (default 1000) */
};

struct xtars_task_setup {
    char *launch;      /* shell command started in the background, or NULL */
    char *wait_for;    /* launch: text its stdout prints when ready, or NULL */
    char *file;        /* path of a file to create (relative: to the work dir), or NULL */
    char *content;     /* file content */
};

struct xtars_task {
    char *name;
    char *path;        /* the file it was loaded from */
    int width, height; /* screen size; 0 = not given */
    struct xtars_task_setup *setup;
    int setup_count;
    struct xtars_task_step *steps;
    int step_count;
};

/* Loads and validates a task file. ECONFIG with "task: FILE line L: steps[2]: ..."
 * messages, EIO when unreadable. On failure *task is clean. */
xtars_err xtars_task_load(const char *path, struct xtars_task *task, char *err);

/* Same from memory; `name` is used in messages and as task->path. */
xtars_err xtars_task_parse(const char *name, const char *text, size_t len, struct xtars_task *task,
                           char *err);

void xtars_task_cleanup(struct xtars_task *task);

const char *xtars_task_step_kind_name(enum xtars_task_step_kind kind);

#ifdef __cplusplus
}
#endif
#endif
