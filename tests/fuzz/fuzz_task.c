/* fuzz_task.c: libFuzzer target for task files (xtars_task_parse). A task
 * that loads must hold what task.h promises: bounded counts, every step with
 * its text, every error one "task: " line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/run/task.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_task task;
    char err[XTARS_ERRLEN];

    if (xtars_task_parse("fuzz.json", (const char *)data, size, &task, err) != XTARS_OK) {
        if (strncmp(err, "task: ", 6) != 0 || strchr(err, '\n') != NULL) {
            fprintf(stderr, "error is not one 'task: ' line: %s\n", err);
            abort();
        }
        if (task.steps != NULL || task.setup != NULL || task.name != NULL)
            abort(); /* "On failure *task is clean" */
        return 0;
    }
    if (task.step_count < 0 || task.step_count > XTARS_TASK_MAX_STEPS ||
        task.setup_count < 0 || task.setup_count > XTARS_TASK_MAX_SETUP)
        abort();
    for (int i = 0; i < task.step_count; i++)
        if (task.steps[i].kind != XTARS_TASK_WAIT && task.steps[i].text == NULL)
            abort();
    xtars_task_cleanup(&task);
    return 0;
}
