/* The loop as a C library (include/xtars/agent.h): a per-step callback that
 * sees every step and can stop the run, and xtars_agent_stop() from another
 * thread while the model is thinking. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "mserver.h"
#include "test.h"
#include "xfixture.h"
#include "xtars/agent.h"

static void config_for(struct xtars_config *cfg, const struct xt_mserver *s)
{
    xtars_config_defaults(cfg);
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s", s->endpoint);
    snprintf(cfg->policy, sizeof cfg->policy, "none");
    cfg->family = XTARS_FAMILY_PIXELS;
    cfg->retries = 0;
}

struct seen {
    int steps;
    char summaries[8][128];
};

static int on_step(const struct xtars_agent_step_info *info, void *user)
{
    struct seen *seen = user;

    if (seen->steps < 8)
        snprintf(seen->summaries[seen->steps], sizeof seen->summaries[0], "%d %s", info->step,
                 info->summary);
    seen->steps++;
    return info->step == 2; /* stop after the second step */
}

TEST(callback_sees_each_step_and_can_stop_the_run)
{
    struct xt_mserver server;
    struct xtars_config cfg;
    struct xtars_agent_options opts = {0};
    struct xtars_agent *agent;
    struct xtars_agent_result res;
    struct seen seen = {0};
    char err[XTARS_ERRLEN], dir[700];

    xt_x_start(640, 480, NULL);
    xt_mserver_start(&server, "[\"Action: hover(start_box='(10,10)')\", \"Action: hover(start_box='(20,30)')\","
                              " \"Action: hover(start_box='(30,30)')\"]", NULL);
    config_for(&cfg, &server);
    snprintf(dir, sizeof dir, "%s/cb", xt_tmpdir());
    opts.out_dir = dir;
    opts.dry_run = 1;
    opts.on_step = on_step;
    opts.user = &seen;
    if (xtars_agent_new(&cfg, &opts, &agent, err) != XTARS_OK)
        FAIL("%s", err);
    ASSERT_STR_EQ(xtars_agent_dir(agent), dir);
    ASSERT_EQ(xtars_agent_target(agent).width, 640);
    ASSERT_EQ(xtars_agent_run(agent, "hover around", 0, &res, err), XTARS_OK);
    ASSERT_EQ(res.status, XTARS_RUN_STOPPED);
    ASSERT_STR_EQ(res.message, "stopped by the step callback");
    ASSERT_EQ(res.steps, 2);
    ASSERT_EQ(seen.steps, 2);
    ASSERT_STR_EQ(seen.summaries[0], "1 hover (10,10)");
    ASSERT_STR_EQ(seen.summaries[1], "2 hover (20,30)");
    ASSERT_EQ(xtars_run_status_exit_code(res.status), 4);
    xtars_agent_free(agent);
    xt_mserver_stop(&server);
}

static void *stop_later(void *agent)
{
    usleep(400000);
    xtars_agent_stop(agent);
    return NULL;
}

TEST(stop_from_another_thread_interrupts_the_model_wait)
{
    struct xt_mserver server;
    struct xtars_config cfg;
    struct xtars_agent_options opts = {0};
    struct xtars_agent *agent;
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN], dir[700];
    pthread_t thread;

    xt_x_start(640, 480, NULL);
    xt_mserver_start(&server, "[{\"reply\": \"Action: finished()\", \"delay_ms\": 20000}]", NULL);
    config_for(&cfg, &server);
    snprintf(dir, sizeof dir, "%s/stop", xt_tmpdir());
    opts.out_dir = dir;
    opts.dry_run = 1;
    if (xtars_agent_new(&cfg, &opts, &agent, err) != XTARS_OK)
        FAIL("%s", err);
    pthread_create(&thread, NULL, stop_later, agent);
    ASSERT_EQ(xtars_agent_run(agent, "wait for a slow model", 0, &res, err), XTARS_OK);
    pthread_join(thread, NULL);
    ASSERT_EQ(res.status, XTARS_RUN_STOPPED);
    xtars_agent_free(agent);
    xt_mserver_stop(&server);
}
