/* The agent without a display (struct xtars_agent_options.dry_screen), in
 * process: what it refuses, the dry-run executor bounded to the rectangle,
 * a literal action recorded on a grey frame, and a replay that sees each
 * recorded screenshot but cannot verify. No X, no binary: the recorded run
 * is the OSWorld fixture imported through the library. */
#include <stdio.h>

#include "agent/config/config_internal.h"
#include "agent/interop/import.h"
#include "test.h"
#include "xtars/agent.h"
#include "xtars/buf.h"
#include "xtars/trajectory.h"

static void config(struct xtars_config *cfg)
{
    xtars_config_defaults(cfg);
    snprintf(cfg->policy, sizeof cfg->policy, "none");
}

static struct xtars_agent *still_agent(const char *name, struct xtars_rect screen)
{
    struct xtars_config cfg;
    struct xtars_agent_options opts = {0};
    struct xtars_agent *agent;
    char err[XTARS_ERRLEN];

    config(&cfg);
    opts.out_dir = xt_tmp_path(name);
    opts.dry_run = 1;
    opts.dry_screen = screen;
    if (xtars_agent_new(&cfg, &opts, &agent, err) != XTARS_OK)
        FAIL("%s", err);
    return agent;
}

TEST(dry_screen_is_only_for_a_dry_run_on_a_rectangle)
{
    struct xtars_config cfg;
    struct xtars_agent_options opts = {0};
    struct xtars_agent *agent = (void *)1;
    char err[XTARS_ERRLEN];

    config(&cfg);
    opts.out_dir = xt_tmp_path("refused");
    opts.dry_screen = (struct xtars_rect){0, 0, 640, 480};
    ASSERT_EQ(xtars_agent_new(&cfg, &opts, &agent, err), XTARS_ECONFIG);
    ASSERT(agent == NULL);
    ASSERT_STR_CONTAINS(err, "only for a dry run");
    opts.dry_run = 1;
    opts.dry_screen = (struct xtars_rect){-1, 0, 640, 480};
    ASSERT_EQ(xtars_agent_new(&cfg, &opts, &agent, err), XTARS_ECONFIG);
    ASSERT_STR_CONTAINS(err, "dry_screen 640x480+-1+0 is not a rectangle");
}

TEST(literal_actions_are_bounded_to_the_rectangle)
{
    struct xtars_agent *agent = still_agent("act", (struct xtars_rect){100, 50, 320, 240});
    struct xtars_agent_result res;
    struct xtars_rect target = xtars_agent_target(agent);
    struct xtars_traj_run run;
    char err[XTARS_ERRLEN], dir[1024];

    ASSERT_EQ(target.x, 100);
    ASSERT_EQ(target.width, 320);
    ASSERT_EQ(xtars_agent_act(agent, "click(start_box='(110,60)')", XTARS_FAMILY_PIXELS, &res, err),
              XTARS_OK);
    ASSERT_EQ(res.status, XTARS_RUN_FINISHED);
    ASSERT_STR_CONTAINS(xtars_agent_dry_log(agent), "move 110 60\n");
    ASSERT_EQ(xtars_agent_act(agent, "click(start_box='(20,20)')", XTARS_FAMILY_PIXELS, &res, err),
              XTARS_OK);
    ASSERT_EQ(res.status, XTARS_RUN_ERROR);
    ASSERT_STR_CONTAINS(res.message, "coordinate 20 out of range 100..420 for pixels");
    snprintf(dir, sizeof dir, "%s", xtars_agent_dir(agent));
    xtars_agent_free(agent);
    ASSERT_EQ(xtars_traj_load(dir, &run, err), XTARS_OK);
    ASSERT_EQ(run.step_count, 2);
    ASSERT_STR_EQ(run.steps[0].screenshot, "step-0001.png"); /* the grey frame */
    ASSERT_EQ(run.screen_width, 420);
    ASSERT(run.dry_run);
    xtars_traj_run_cleanup(&run);
}

static void load_fixture(struct xtars_traj_run *run)
{
    struct xtars_import_stats stats;
    const char *out = xt_tmp_path("osworld");
    char err[XTARS_ERRLEN];

    if (xtars_import_osworld(xt_data_path("import/osworld/basic"), out, NULL, &stats, err) != XTARS_OK ||
        xtars_traj_load(out, run, err) != XTARS_OK)
        FAIL("%s", err);
}

TEST(replay_sees_the_recorded_screens_and_cannot_verify)
{
    struct xtars_traj_run recorded, replayed;
    struct xtars_replay_options ro = {0};
    struct xtars_agent_result res;
    struct xtars_agent *agent;
    struct xtars_buf a, b;
    char err[XTARS_ERRLEN], dir[1024], path[8192];

    load_fixture(&recorded);
    agent = still_agent("replay", (struct xtars_rect){0, 0, 640, 480});
    ro.verify = 1;
    ASSERT_EQ(xtars_agent_replay(agent, &recorded, &ro, &res, err), XTARS_OK);
    ASSERT_EQ(res.status, XTARS_RUN_ERROR);
    ASSERT_STR_CONTAINS(res.message, "nothing to verify against");
    ASSERT_EQ(res.steps, 0);
    ro.verify = 0;
    ASSERT_EQ(xtars_agent_replay_step(agent, &recorded, 1, &ro, &res, err), XTARS_OK);
    ASSERT_EQ(res.status, XTARS_RUN_RUNNING);
    ASSERT_STR_CONTAINS(xtars_agent_dry_log(agent), "type \"hello\"\n");
    snprintf(dir, sizeof dir, "%s", xtars_agent_dir(agent));
    xtars_agent_free(agent);
    ASSERT_EQ(xtars_traj_load(dir, &replayed, err), XTARS_OK);
    ASSERT_EQ(replayed.step_count, 1);
    ASSERT_EQ(replayed.steps[0].recorded_step, 2);
    snprintf(path, sizeof path, "%s/%s", dir, replayed.steps[0].screenshot);
    ASSERT_EQ(xtars_buf_read_file(&a, path, 1 << 24, err), XTARS_OK);
    snprintf(path, sizeof path, "%s/%s", recorded.dir, recorded.steps[1].screenshot);
    ASSERT_EQ(xtars_buf_read_file(&b, path, 1 << 24, err), XTARS_OK);
    ASSERT_EQ(a.len, b.len);
    ASSERT_MEM_EQ(a.data, b.data, a.len);
    xtars_buf_cleanup(&a);
    xtars_buf_cleanup(&b);
    xtars_traj_run_cleanup(&replayed);
    xtars_traj_run_cleanup(&recorded);
}
