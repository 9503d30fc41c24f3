/* fuzz_judge.c: libFuzzer target for what task questions read from a model
 * and a task file (agent/run/task_judge.h): assert verdicts, query answers
 * checked against a schema, and ${variable} expansion. The first byte picks
 * which; for answers the schema and the reply are split at the first NUL.
 * Every error must be one line; an accepted answer must be JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config_internal.h"
#include "agent/run/task_judge.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void one_line(const char *err)
{
    if (err[0] == '\0' || strchr(err, '\n') != NULL) {
        fprintf(stderr, "error is not one line: '%s'\n", err);
        abort();
    }
}

static void answer(const char *text, size_t len)
{
    const char *schema = text, *reply = memchr(text, '\0', len);
    char err[XTARS_ERRLEN] = "", *value = NULL;
    cJSON *check;

    reply = reply ? reply + 1 : text;
    if (xtars_judge_parse_answer(reply, reply == text ? NULL : schema, &value, err) != XTARS_OK) {
        one_line(err);
        if (value != NULL)
            abort();
        return;
    }
    if ((check = cJSON_Parse(value)) == NULL)
        abort();
    cJSON_Delete(check);
    free(value);
}

static void expand(const char *text, int quoting)
{
    static struct xtars_judge *judge;
    char err[XTARS_ERRLEN] = "", *out = NULL;

    if (judge == NULL) {
        struct xtars_config cfg;
        xtars_config_defaults(&cfg);
        if (xtars_judge_new(&cfg, &judge, err) != XTARS_OK ||
            xtars_judge_set_var(judge, "who", "{\"email\":\"a'b\\\"c\",\"n\":[1,2]}", err) != XTARS_OK ||
            xtars_judge_set_var(judge, "s", "\"x\\ny\"", err) != XTARS_OK)
            abort();
    }
    if (xtars_judge_expand(judge, text, (enum xtars_judge_quoting)(quoting % 3), &out, err) != XTARS_OK) {
        one_line(err);
        if (out != NULL)
            abort();
        return;
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text, reason[300], err[XTARS_ERRLEN] = "";
    int pass = 0;

    if (size < 1)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0:
        if (xtars_judge_parse_verdict(text, &pass, reason, sizeof reason, err) != XTARS_OK)
            one_line(err);
        else if (pass != 0 && pass != 1)
            abort();
        break;
    case 1:
        answer(text, size - 1);
        break;
    default:
        expand(text, data[0] / 3);
    }
    free(text);
    return 0;
}
