/* fuzz_traj.c: libFuzzer target for trajectories (xtars_traj_parse, the
 * reader behind xtars_traj_load). Input: run.json, a form feed, steps.jsonl
 * (no form feed: everything is run.json and there are no steps). A run that
 * loads must keep its promises: only complete steps, each action readable
 * back, a warning only when a line was bad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reply/action_json.h"
#include "xtars/trajectory.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_run(const struct xtars_traj_run *run)
{
    struct xtars_buf json;
    char err[XTARS_ERRLEN];

    if (run->step_count < 0 || (run->step_count > 0 && run->steps == NULL))
        abort();
    if (run->screen_width < 1 || run->target_width < 1 || memchr(run->warning, '\0',
                                                                 sizeof run->warning) == NULL)
        abort();
    xtars_buf_init(&json, 1 << 20);
    for (int i = 0; i < run->step_count; i++) {
        const struct xtars_traj_step *s = &run->steps[i];
        if (s->step < 1 || s->action_count < 0 || (s->action_count && !s->actions))
            abort();
        if (s->screenshot && (strchr(s->screenshot, '/') || s->screenshot[0] == '.'))
            abort(); /* a screenshot name must never leave the directory */
        for (int k = 0; k < s->action_count; k++) {
            struct xtars_action back;
            xtars_buf_reset(&json);
            if (xtars_action_to_json(&s->actions[k], &json) != XTARS_OK ||
                xtars_action_from_json(json.data, json.len, &back, err) != XTARS_OK) {
                fprintf(stderr, "a loaded action does not read back: %s\n", err);
                abort();
            }
            xtars_action_cleanup(&back);
        }
    }
    xtars_buf_cleanup(&json);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\f', size);
    size_t run_len = split ? (size_t)(split - text) : size;
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN];

    if (xtars_traj_parse("fuzz", text, run_len, split ? split + 1 : NULL,
                         split ? size - run_len - 1 : 0, &run, err) != XTARS_OK) {
        if (strchr(err, '\n') != NULL || run.steps != NULL || run.status != NULL)
            abort();
        return 0;
    }
    check_run(&run);
    xtars_traj_run_cleanup(&run);
    return 0;
}
