/* tasks.c: the two tools that drive the agent loop rather than one action:
 * run_task (the UI-TARS loop on an instruction, with the configured model)
 * and replay (a recorded trajectory). Each gets its own agent and its own
 * trajectory, reports every step as a progress notification, and stops at
 * the next safe point when the client cancels the call. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/mcp/mcp_internal.h"
#include "xtars/log.h"
#include "xtars/trajectory.h"

struct task_ctx {
    struct xtars_mcp *m;
    struct mcp_call *call;
    int total;
};

static int on_step(const struct xtars_agent_step_info *info, void *user)
{
    struct task_ctx *t = user;
    char line[800];

    snprintf(line, sizeof line, "step %d: %.300s%s%.300s", info->step,
             info->summary && info->summary[0] ? info->summary : "-", info->note ? "; note: " : "",
             info->note ? info->note : "");
    mcp_progress(t->m, t->call, info->step, info->max_steps, line);
    xtars_log_info("mcp: %s", line);
    return 0;
}

/* Progress comes from on_step (MCP wants it to grow at every notification:
 * one per step); this only stops a cancelled replay before its next step. */
static int before_replay_step(const struct xtars_traj_step *step, void *user)
{
    struct task_ctx *t = user;

    (void)step;
    return t->m->stop;
}

/* Where a task's trajectory goes: beside the record of tool calls, or in
 * the configured out_dir under a name no other task of this session has. */
static void task_dir(struct xtars_mcp *m, char *out, size_t size)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    m->tasks++;
    if (m->out_dir[0]) {
        snprintf(out, size, "%.3900s/task-%03d", m->out_dir, m->tasks);
        return;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, size, "%.3900s/%s-%ld-mcp%03d", m->cfg.out_dir, stamp, (long)getpid(), m->tasks);
}

static xtars_err start_agent(struct xtars_mcp *m, struct task_ctx *ctx, const char *source,
                             struct xtars_agent **agent, char err[static XTARS_ERRLEN])
{
    struct xtars_agent_options opts;
    char dir[PATH_MAX];
    xtars_err rc;

    if ((rc = mcp_need_display(m, err)) != XTARS_OK) /* the agent's advice is for a shell user */
        return rc;
    memset(&opts, 0, sizeof opts);
    task_dir(m, dir, sizeof dir);
    opts.out_dir = dir;
    opts.source = source;
    opts.dry_run = m->dry_run;
    opts.on_step = on_step;
    opts.confirm = NULL; /* nobody to ask: what the policy wants confirmed is refused */
    opts.user = ctx;
    rc = xtars_agent_new(&m->cfg, &opts, agent, err);
    if (rc != XTARS_OK)
        return rc;
    /* one input stream: the agent goes on from the line the session's own
     * input tools left (a half-typed command is not a fresh, empty line) */
    xtars_guard_share(xtars_agent_guard(*agent), &m->guard);
    pthread_mutex_lock(&m->lock);
    m->task_agent = *agent;
    if (m->stop) /* cancelled before the agent existed */
        xtars_agent_stop(*agent);
    pthread_mutex_unlock(&m->lock);
    return XTARS_OK;
}

static void finish(struct xtars_mcp *m, struct xtars_agent *agent, struct xtars_agent_result *res,
                   const char *tool, const char *call_text, struct mcp_result *r)
{
    char dir[PATH_MAX], note[PATH_MAX + 96];

    pthread_mutex_lock(&m->lock);
    m->task_agent = NULL;
    pthread_mutex_unlock(&m->lock);
    snprintf(dir, sizeof dir, "%s", xtars_agent_dir(agent));
    xtars_agent_free(agent); /* writes the task's final run.json */
    if (res->status == XTARS_RUN_FINISHED || res->status == XTARS_RUN_CALL_USER)
        mcp_result_text(r, "status: %s after %d step%s\n%s: %s\ntrajectory: %s",
                        xtars_run_status_name(res->status), res->steps, res->steps == 1 ? "" : "s",
                        xtars_run_status_name(res->status), res->message, dir);
    else
        mcp_result_fail(r, "status: %s after %d step%s\nreason: %s\ntrajectory: %s",
                        xtars_run_status_name(res->status), res->steps, res->steps == 1 ? "" : "s",
                        res->message, dir);
    snprintf(note, sizeof note, "%s: %s after %d steps, trajectory %s", tool,
             xtars_run_status_name(res->status), res->steps, dir);
    xtars_log_info("mcp: %s", note);
    mcp_desktop_record(m, call_text, 0, note);
}

void mcp_task_run(struct xtars_mcp *m, struct mcp_call *call, const char *instruction,
                  int max_steps, const char *call_text, struct mcp_result *r)
{
    struct task_ctx ctx = {m, call, max_steps};
    struct xtars_agent *agent = NULL;
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN];

    if (start_agent(m, &ctx, "mcp", &agent, err) != XTARS_OK)
        return mcp_result_fail(r, "run_task: %s", err);
    if (xtars_agent_run(agent, instruction, max_steps, &res, err) != XTARS_OK) {
        res.status = XTARS_RUN_ERROR;
        snprintf(res.message, sizeof res.message, "%s", err);
        xtars_agent_finish(agent, res.status, res.message);
    }
    finish(m, agent, &res, "run_task", call_text, r);
}

void mcp_task_replay(struct xtars_mcp *m, struct mcp_call *call, const char *dir, int verify,
                     const char *call_text, struct mcp_result *r)
{
    struct task_ctx ctx = {m, call, 0};
    struct xtars_traj_run run;
    struct xtars_replay_options ropts;
    struct xtars_agent *agent = NULL;
    struct xtars_agent_result res;
    char err[XTARS_ERRLEN];

    if (xtars_traj_load(dir, &run, err) != XTARS_OK)
        return mcp_result_fail(r, "replay: %s", err);
    ctx.total = run.step_count;
    if (start_agent(m, &ctx, "replay", &agent, err) != XTARS_OK) {
        xtars_traj_run_cleanup(&run);
        return mcp_result_fail(r, "replay: %s", err);
    }
    memset(&ropts, 0, sizeof ropts);
    ropts.verify = verify;
    ropts.on_diverge = XTARS_REPLAY_STOP;
    ropts.before_step = before_replay_step;
    ropts.user = &ctx;
    if (xtars_agent_replay(agent, &run, &ropts, &res, err) != XTARS_OK) {
        res.status = XTARS_RUN_ERROR;
        snprintf(res.message, sizeof res.message, "%s", err);
        xtars_agent_finish(agent, res.status, res.message);
    }
    xtars_traj_run_cleanup(&run);
    finish(m, agent, &res, "replay", call_text, r);
}
