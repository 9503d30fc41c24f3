/* embed.c: xtars as a library. Builds a config through the public API (the
 * endpoint and model), creates an agent on $DISPLAY, lets the model take ONE
 * step, prints the action it took and exits 0 when the step was taken.
 * It performs the action for real: run it on a throwaway display (Xvfb).
 * It never reads the config struct: that is opaque, set and read by key.
 *
 *   cc embed.c -o embed $(pkg-config --cflags --libs xtars)
 *   ./embed http://127.0.0.1:8000/v1 ui-tars-1.5-7b runs/embed "open the menu"
 */
#include <stdio.h>
#include <xtars.h>

static int print_step(const struct xtars_agent_step_info *info, void *user)
{
    (void)user;
    printf("step %d: %s\n", info->step, info->summary);
    if (info->note)
        printf("note: %s\n", info->note);
    return 0;
}

/* Endpoint and model from the command line, everything else the defaults.
 * Set also takes every other key by name: "max_steps", "family", ... */
static xtars_err make_config(const char *endpoint, const char *model, struct xtars_config **out,
                             char err[static XTARS_ERRLEN])
{
    struct xtars_config *cfg;
    xtars_err rc = xtars_config_new(&cfg);

    if (rc != XTARS_OK)
        return rc;
    if ((rc = xtars_config_set(cfg, "endpoint", endpoint, err)) != XTARS_OK ||
        (rc = xtars_config_set(cfg, "model", model, err)) != XTARS_OK ||
        (rc = xtars_config_validate(cfg, err)) != XTARS_OK) {
        xtars_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return XTARS_OK;
}

int main(int argc, char **argv)
{
    struct xtars_config *cfg = NULL;
    struct xtars_agent *agent = NULL;
    struct xtars_agent_options opts = {0};
    struct xtars_agent_result result = {0};
    const char *model;
    char err[XTARS_ERRLEN] = "";
    int status = 1;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s ENDPOINT MODEL OUT_DIR [INSTRUCTION]\n", argv[0]);
        return 2;
    }
    if (make_config(argv[1], argv[2], &cfg, err) != XTARS_OK) {
        fprintf(stderr, "embed: %s\n", err[0] ? err : "out of memory");
        return 2;
    }
    xtars_config_get_string(cfg, "model", &model, err);
    printf("xtars %s, model %s\n", XTARS_VERSION, model);
    opts.out_dir = argv[3];
    opts.on_step = print_step;
    if (xtars_agent_new(cfg, &opts, &agent, err) != XTARS_OK) {
        fprintf(stderr, "embed: %s\n", err);
        goto out;
    }
    /* max_steps 1: the run ends after one step (status max_steps, or
     * finished if that step was finished()). */
    if (xtars_agent_run(agent, argc > 4 ? argv[4] : "click the first button", 1, &result, err) !=
        XTARS_OK) {
        fprintf(stderr, "embed: %s\n", err);
        goto out;
    }
    printf("status %s after %d step(s); trajectory in %s\n", xtars_run_status_name(result.status),
           result.steps, xtars_agent_dir(agent));
    status = result.steps == 1 ? 0 : 1;
out:
    xtars_agent_free(agent);
    xtars_config_free(cfg);
    return status;
}
