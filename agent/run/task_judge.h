/* agent/run/task_judge.h: the questions a task file asks a model about the
 * screen (docs/tasks.md): `assert` (does a statement hold?), `query` (what
 * does the screen show, as JSON matching a schema?) and `wait_until` (ask
 * again, when the screen changed, until a statement holds), and the
 * variables queries store for later steps (${name}).
 *
 * The model is the config's judge_endpoint / judge_model, with the key in
 * the variable judge_api_key_env names (each defaulting to the agent's), asked through the model client with a template of
 * configs/prompts/ (judge_assert, judge_query) and one screenshot. Every
 * answer is recorded as a step of the task's trajectory. With a task cache
 * (task_cache.h), an answer recorded on a screen that still verifies is
 * reused without a request.
 *
 * Ownership: xtars_judge_new() gives a judge that owns its model client
 * (made on first use) and its variables; xtars_judge_free() accepts NULL.
 * Strings returned through char ** are malloc'd and the caller's. Never
 * prints.
 */
#ifndef XTARS_TASK_JUDGE_H
#define XTARS_TASK_JUDGE_H

#include <stddef.h>

#include "xtars/agent.h"
#include "xtars/config.h"
#include "xtars/error.h"
#include "agent/run/task.h"

struct xtars_task_cache;
struct xtars_judge;

#define XTARS_JUDGE_MAX_VARS 64
#define XTARS_JUDGE_VALUE_MAX (64 * 1024)   /* a stored answer, as JSON text */
#define XTARS_JUDGE_TEXT_MAX (256 * 1024)   /* a step's text after ${...} */

/* ${name} in a step's text is replaced by the variable's value: a string
 * as it is, anything else as compact JSON; ${name.key} by a member of an
 * object value. How the value is written depends on where it goes: */
enum xtars_judge_quoting {
    XTARS_QUOTE_NONE = 0,   /* instructions and questions: as it is */
    XTARS_QUOTE_SHELL,      /* check commands: one shell word, single-quoted */
    XTARS_QUOTE_CALL        /* action calls: backslash before \ ' " and newline as \n */
};

/* ECONFIG for an unusable config (none today), ENOMEM. */
xtars_err xtars_judge_new(const struct xtars_config *cfg, struct xtars_judge **out, char *err);
void xtars_judge_free(struct xtars_judge *judge);

/* Stores value_json (a JSON text) as variable name, replacing an earlier
 * value. ETOOBIG past XTARS_JUDGE_VALUE_MAX or XTARS_JUDGE_MAX_VARS, EPARSE
 * when value_json is not JSON, ENOMEM. */
xtars_err xtars_judge_set_var(struct xtars_judge *judge, const char *name, const char *value_json,
                              char *err);

/* Replaces every ${name} / ${name.key} of text into *out. "${" not followed
 * by a name and "}" is kept as it is. ECONFIG naming the variable when it
 * was never stored (or has no such member), ETOOBIG, ENOMEM. */
xtars_err xtars_judge_expand(const struct xtars_judge *judge, const char *text,
                             enum xtars_judge_quoting quoting, char **out, char *err);

/* Reads an assert answer: a JSON object {"pass": true|false, "reason":
 * "..."} ("thought" is taken for "reason", as Midscene names it), alone, in
 * a fenced code block, or after a "Thought:" or <think> section. EPARSE
 * with a one-line reason when it is not that. */
xtars_err xtars_judge_parse_verdict(const char *reply, int *pass, char *reason, size_t size,
                                    char *err);

/* Reads a query answer: JSON (found as for verdicts) that matches
 * schema_json (NULL: any JSON); an object {"data": X} whose X matches is
 * taken as X. Checked: type (or a list of types), properties, required,
 * items, enum. *value is the answer as compact JSON. EPARSE naming the
 * place in the answer that does not match ("$.email: expected string, got
 * number"). */
xtars_err xtars_judge_parse_answer(const char *reply, const char *schema_json, char **value,
                                   char *err);

/* What a question step came to. */
struct xtars_judge_outcome {
    int passed;
    enum xtars_run_status status;   /* FINISHED when passed; FAILED, MODEL_ERROR, STOPPED */
    char detail[1024];              /* one line: the reason, the value, or what went wrong */
};

/* Runs step (an assert, query or wait_until) whose text is already
 * expanded, on the agent's screen; index is its place in the task (for
 * the cache key and messages). cache may be NULL. A query's answer is
 * stored as variable step->into. Returns an error only when the
 * trajectory cannot be written; everything else is in *out. */
xtars_err xtars_judge_run_step(struct xtars_judge *judge, struct xtars_agent *agent,
                               struct xtars_task_cache *cache, const struct xtars_task_step *step,
                               int index, const char *text, struct xtars_judge_outcome *out,
                               char *err);

#endif
