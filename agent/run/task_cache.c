/* task_cache.c: `xtars task --cache DIR`: per step, what the last passing
 * run did (small trajectories written by the trajectory writer), replayed
 * through the replay verifier while the screen still matches, with the
 * model taking over from the first step that does not. Cache files are
 * untrusted: size caps, the trajectory reader, checks on what it read, and
 * every problem a miss, never a crash or a path outside DIR. Never prints. */
#include "agent/run/task_cache.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/files.h"
#include "agent/base/sha256.h"
#include "agent/loop/look.h"
#include "agent/record/traj_write.h"
#include "agent/run/task_judge.h"
#include "xtars/buf.h"
#include "xtars/replay.h"

#define RUN_JSON_CAP XTARS_TRAJ_RUN_JSON_MAX /* what a trajectory writer makes */
#define STEPS_CAP (16u << 20)
#define IMAGE_CAP (64u << 20)
#define CACHE_SOURCE "task-cache"

struct kept {
    char key[XTARS_TASK_CACHE_KEY_LEN];
    int first, last;
};

struct xtars_task_cache {
    char dir[4096];
    char task[512];
    int mode;
    double threshold;
    struct kept *kept;
    int kept_count;
};

xtars_err xtars_task_cache_mode_from_name(const char *name, int *mode)
{
    static const char *const names[] = {"read-write", "read-only", "refresh"};

    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return *mode = i, XTARS_OK;
    return XTARS_EUSAGE;
}

xtars_err xtars_task_cache_open(const char *dir, int mode, double threshold, const char *task_name,
                                struct xtars_task_cache **out, char *err)
{
    struct xtars_task_cache *c;

    *out = NULL;
    if (strlen(dir) >= sizeof c->dir - 100)
        return xtars_error(err, XTARS_EIO, "cache: the directory name is too long");
    if (mode != XTARS_CACHE_READ_ONLY && xtars_mkdir_p(dir, err) != XTARS_OK)
        return XTARS_EIO;
    if ((c = calloc(1, sizeof *c)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "cache: out of memory");
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    snprintf(c->task, sizeof c->task, "%s", task_name);
    c->mode = mode;
    c->threshold = threshold > 0 ? threshold : XTARS_REPLAY_DEFAULT_THRESHOLD;
    *out = c;
    return XTARS_OK;
}

void xtars_task_cache_free(struct xtars_task_cache *c)
{
    if (c == NULL)
        return;
    free(c->kept);
    free(c);
}

void xtars_task_cache_key(const struct xtars_task_cache *c, int index, const char *kind,
                          const char *text, char key[XTARS_TASK_CACHE_KEY_LEN])
{
    unsigned char digest[XTARS_SHA256_LEN];
    struct xtars_buf b;
    int n;

    xtars_buf_init(&b, (size_t)XTARS_JUDGE_TEXT_MAX + sizeof c->task + 64);
    /* The cap is above any expanded text; a failed append would leave the
     * buffer as it was, and the key would hash that prefix. */
    if (xtars_buf_printf(&b, "%s\n%d\n%s\n", c->task, index, kind) == XTARS_OK)
        xtars_buf_puts(&b, text);
    xtars_sha256(b.data ? b.data : "", b.len, digest);
    xtars_buf_cleanup(&b);
    n = snprintf(key, XTARS_TASK_CACHE_KEY_LEN, "s%03d-%.12s-", index + 1, kind);
    for (int i = 0; i < 8 && n + 2 < XTARS_TASK_CACHE_KEY_LEN; i++)
        n += snprintf(key + n, (size_t)(XTARS_TASK_CACHE_KEY_LEN - n), "%02x", digest[i]);
}

/* What an entry must be to be used: written by us for a task, with steps
 * that have screenshots and a target to map onto. */
static xtars_err check_entry(const struct xtars_traj_run *run, char *why)
{
    if (run->source == NULL || strcmp(run->source, CACHE_SOURCE) != 0)
        return xtars_error(why, XTARS_EFORMAT, "not a task cache entry");
    if (run->warning[0])
        return xtars_error(why, XTARS_EFORMAT, "%s", run->warning);
    if (run->step_count < 1 || run->step_count > XTARS_TASK_CACHE_MAX_STEPS ||
        run->step_count != run->steps_written)
        return xtars_error(why, XTARS_EFORMAT, "holds %d steps of %d", run->step_count,
                           run->steps_written);
    if (run->target_width <= 0 || run->target_height <= 0)
        return xtars_error(why, XTARS_EFORMAT, "no target size");
    for (int i = 0; i < run->step_count; i++)
        if (run->steps[i].screenshot == NULL)
            return xtars_error(why, XTARS_EFORMAT, "step %d has no screenshot", i + 1);
    return XTARS_OK;
}

xtars_err xtars_task_cache_load(const struct xtars_task_cache *c, const char *key,
                                struct xtars_traj_run *run, char *why)
{
    char dir[4200], path[4300], reason[XTARS_ERRLEN];
    struct xtars_buf run_text = {0}, steps = {0};
    xtars_err rc;

    memset(run, 0, sizeof *run);
    if (c->mode == XTARS_CACHE_REFRESH)
        return xtars_error(why, XTARS_EFORMAT, "cache: refreshing");
    snprintf(dir, sizeof dir, "%s/%s", c->dir, key);
    snprintf(path, sizeof path, "%s/run.json", dir);
    if (access(path, F_OK) != 0)
        return xtars_error(why, XTARS_EIO, "cache: no entry %s", key);
    rc = xtars_buf_read_file(&run_text, path, RUN_JSON_CAP, reason);
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    if (rc == XTARS_OK)
        rc = xtars_buf_read_file(&steps, path, STEPS_CAP, reason);
    if (rc == XTARS_OK)
        rc = xtars_traj_parse(dir, run_text.data, run_text.len, steps.data, steps.len, run, reason);
    if (rc == XTARS_OK && (rc = check_entry(run, reason)) != XTARS_OK)
        xtars_traj_run_cleanup(run);
    xtars_buf_cleanup(&run_text);
    xtars_buf_cleanup(&steps);
    if (rc != XTARS_OK)
        return xtars_error(why, rc, "cache: entry %s is unusable: %.400s", key, reason);
    return XTARS_OK;
}

xtars_err xtars_task_cache_keep(struct xtars_task_cache *c, const char *key, int first, int last,
                                char *err)
{
    struct kept *grown;

    if (c->kept_count >= XTARS_TASK_CACHE_MAX_STEPS)
        return xtars_error(err, XTARS_ETOOBIG, "cache: more than %d entries",
                           XTARS_TASK_CACHE_MAX_STEPS);
    if ((grown = realloc(c->kept, sizeof *grown * (size_t)(c->kept_count + 1))) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "cache: out of memory");
    c->kept = grown;
    snprintf(grown[c->kept_count].key, sizeof grown->key, "%s", key);
    grown[c->kept_count].first = first;
    grown[c->kept_count].last = last;
    c->kept_count++;
    return XTARS_OK;
}

/* ---- writing entries ---- */

/* Removes an entry directory we wrote: regular files only, then the
 * directory. Best effort: a leftover costs disk space, not correctness. */
static void remove_entry(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4400];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue; /* a cut path would name another file */
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Whether a step of the task's trajectory belongs in an entry: an
 * instruction keeps the steps that acted, a question its answer. */
static int worth_keeping(const struct xtars_traj_step *s, const struct kept *k)
{
    if (s->step < k->first || s->step > k->last || s->screenshot == NULL)
        return 0;
    return s->judge ? k->first == k->last : s->action_count > 0;
}

static xtars_err copy_screenshot(const char *from_dir, const struct xtars_traj_step *s,
                                 const char *to_dir, const char *name, char *err)
{
    char path[4400];
    struct xtars_buf image;
    xtars_err rc;

    snprintf(path, sizeof path, "%s/%s", from_dir, s->screenshot);
    if ((rc = xtars_buf_read_file(&image, path, IMAGE_CAP, err)) != XTARS_OK)
        return rc;
    snprintf(path, sizeof path, "%s/%s", to_dir, name);
    rc = xtars_write_file_atomic(path, image.data, image.len, err);
    xtars_buf_cleanup(&image);
    return rc;
}

/* Writes the steps of one entry into dir (steps.jsonl and screenshots). */
static xtars_err write_steps(const struct xtars_traj_run *task, const struct kept *k,
                             const char *dir, struct xtars_traj_run *entry, char *err)
{
    struct xtars_buf lines;
    char path[4400];
    xtars_err rc = XTARS_OK;

    xtars_buf_init(&lines, STEPS_CAP);
    for (int i = 0; i < task->step_count && rc == XTARS_OK; i++) {
        struct xtars_traj_step s = task->steps[i];
        char name[32];
        const char *dot;
        if (!worth_keeping(&s, k))
            continue;
        dot = strrchr(s.screenshot, '.');
        snprintf(name, sizeof name, "step-%04d%s", entry->step_count + 1,
                 dot && strcmp(dot, ".jpg") == 0 ? ".jpg" : ".png");
        rc = copy_screenshot(task->dir, &s, dir, name, err);
        s.step = ++entry->step_count;
        s.screenshot = name;
        s.origin = NULL, s.recorded_step = 0, s.similarity = -1;
        s.note_count = 0; /* the notes were about that run, not the entry */
        if (rc == XTARS_OK)
            rc = xtars_traj_step_to_json(&s, 0, &lines);
        if (rc == XTARS_OK)
            rc = xtars_buf_putc(&lines, '\n');
        if (rc != XTARS_OK && err[0] == '\0')
            xtars_error(err, rc, "cache: %s: the steps are too large", dir);
    }
    snprintf(path, sizeof path, "%s/steps.jsonl", dir);
    if (rc == XTARS_OK)
        rc = xtars_write_file_atomic(path, lines.data ? lines.data : "", lines.len, err);
    xtars_buf_cleanup(&lines);
    return rc;
}

static xtars_err write_entry(struct xtars_task_cache *c, const struct xtars_traj_run *task,
                             const struct kept *k, char *err)
{
    char dir[4200], tmp[4300], old[4300], path[4400];
    struct xtars_traj_run entry = *task;
    struct xtars_buf json;
    xtars_err rc;

    snprintf(dir, sizeof dir, "%s/%s", c->dir, k->key);
    snprintf(tmp, sizeof tmp, "%s/.%s.new-%ld", c->dir, k->key, (long)getpid());
    snprintf(old, sizeof old, "%s/.%s.old-%ld", c->dir, k->key, (long)getpid());
    remove_entry(tmp);
    if (mkdir(tmp, 0755) != 0)
        return xtars_error(err, XTARS_EIO, "cache: cannot create %s: %s", tmp, strerror(errno));
    entry.steps = NULL, entry.step_count = 0;
    entry.source = CACHE_SOURCE;
    entry.replay_of = entry.imported_from = NULL;
    entry.recorder_pid = 0;
    rc = write_steps(task, k, tmp, &entry, err);
    entry.steps_written = entry.step_count;
    entry.status = "finished";
    xtars_buf_init(&json, RUN_JSON_CAP);
    if (rc == XTARS_OK && entry.step_count == 0)
        rc = XTARS_EINVAL; /* nothing to keep: leave the old entry, if any */
    if (rc == XTARS_OK && (rc = xtars_traj_run_to_json(&entry, &json)) != XTARS_OK)
        xtars_error(err, rc, "cache: %s: run.json is too large", k->key);
    snprintf(path, sizeof path, "%s/run.json", tmp);
    if (rc == XTARS_OK)
        rc = xtars_write_file_atomic(path, json.data, json.len, err);
    xtars_buf_cleanup(&json);
    if (rc == XTARS_OK) { /* swap: the old entry aside, the new one in, the old one gone */
        remove_entry(old);
        if (rename(dir, old) != 0 && errno != ENOENT)
            rc = xtars_error(err, XTARS_EIO, "cache: cannot replace %s: %s", dir, strerror(errno));
        else if (rename(tmp, dir) != 0)
            rc = xtars_error(err, XTARS_EIO, "cache: cannot write %s: %s", dir, strerror(errno));
        remove_entry(old);
    }
    if (rc != XTARS_OK)
        remove_entry(tmp);
    return rc == XTARS_EINVAL ? XTARS_OK : rc;
}

xtars_err xtars_task_cache_commit(struct xtars_task_cache *c, const char *traj_dir, int *written,
                                  char *err)
{
    struct xtars_traj_run task;
    xtars_err rc = XTARS_OK;

    *written = 0;
    if (c->mode == XTARS_CACHE_READ_ONLY || c->kept_count == 0)
        return XTARS_OK;
    if ((rc = xtars_traj_load(traj_dir, &task, err)) != XTARS_OK)
        return rc;
    for (int i = 0; i < c->kept_count && rc == XTARS_OK; i++) {
        rc = write_entry(c, &task, &c->kept[i], err);
        *written += rc == XTARS_OK;
    }
    xtars_traj_run_cleanup(&task);
    return rc;
}

/* ---- using entries ---- */

/* Replays the entry while it verifies. *replayed counts the steps it
 * performed; res->status is FINISHED (the entry ended the instruction),
 * DIVERGED (hand over), or how the replay ended otherwise. */
static xtars_err replay_entry(struct xtars_task_cache *c, struct xtars_agent *agent,
                              const struct xtars_traj_run *run, struct xtars_agent_result *res,
                              int *replayed, char *err)
{
    struct xtars_replay_options o = {.verify = 1, .threshold = c->threshold,
                                     .on_diverge = XTARS_REPLAY_STOP};
    xtars_err rc = XTARS_OK;

    *replayed = 0;
    memset(res, 0, sizeof *res);
    xtars_agent_mark_cache(agent, 1);
    for (int i = 0; i < run->step_count && rc == XTARS_OK; i++) {
        rc = xtars_agent_replay_step(agent, run, i, &o, res, err);
        if (rc != XTARS_OK || res->status == XTARS_RUN_DIVERGED)
            break;
        ++*replayed;
        if (res->status != XTARS_RUN_RUNNING)
            break;
    }
    xtars_agent_mark_cache(agent, 0);
    if (rc == XTARS_OK && res->status == XTARS_RUN_RUNNING) { /* the entry never finished */
        res->status = XTARS_RUN_DIVERGED;
        snprintf(res->message, sizeof res->message, "the cached steps ended without finished()");
    }
    return rc;
}

xtars_err xtars_task_cache_instruction(struct xtars_task_cache *c, struct xtars_agent *agent,
                                       const char *key, const char *instruction, int max_steps,
                                       struct xtars_agent_result *res, char *note, size_t note_size,
                                       char *err)
{
    struct xtars_traj_run run;
    char why[XTARS_ERRLEN], diverged[sizeof res->message];
    int first = xtars_agent_steps_recorded(agent) + 1, replayed = 0;
    xtars_err rc = XTARS_OK;

    memset(res, 0, sizeof *res);
    if (xtars_task_cache_load(c, key, &run, why) == XTARS_OK) {
        rc = replay_entry(c, agent, &run, res, &replayed, err);
        xtars_traj_run_cleanup(&run);
        if (rc != XTARS_OK || res->status != XTARS_RUN_DIVERGED) {
            res->steps = replayed;
            snprintf(note, note_size, "cache: %d step%s replayed", replayed, replayed == 1 ? "" : "s");
            goto done;
        }
        snprintf(diverged, sizeof diverged, "%s", res->message);
        snprintf(note, note_size, "cache: %d step%s replayed, then the model took over (%.300s)",
                 replayed, replayed == 1 ? "" : "s", diverged);
        xtars_agent_seed_history(agent, first);
    } else {
        snprintf(note, note_size, "%.*s", (int)(note_size > 1 ? note_size - 1 : 0), why);
    }
    max_steps = max_steps > replayed ? max_steps - replayed : 1;
    rc = xtars_agent_run(agent, instruction, max_steps, res, err);
    res->steps += replayed;
    xtars_agent_seed_history(agent, 0);
done:
    if (rc == XTARS_OK && res->status == XTARS_RUN_FINISHED)
        rc = xtars_task_cache_keep(c, key, first, xtars_agent_steps_recorded(agent), err);
    return rc;
}

int xtars_task_cache_answer(const struct xtars_task_cache *c, const char *key,
                            const struct xtars_image *live, char **reply, double *similarity,
                            int *entry_exists, char *why)
{
    struct xtars_traj_run run;
    struct xtars_image recorded, resized;
    struct xtars_replay_compare cmp = {0};
    struct xtars_buf file = {0};
    char path[4400], reason[XTARS_ERRLEN];
    const struct xtars_traj_step *s;
    int hit = 0;

    *reply = NULL;
    *entry_exists = 0;
    *similarity = -1;
    if (xtars_task_cache_load(c, key, &run, why) != XTARS_OK)
        return 0;
    s = &run.steps[0];
    xtars_image_init(&recorded);
    xtars_image_init(&resized);
    snprintf(path, sizeof path, "%s/%s", run.dir, s->screenshot);
    if (run.step_count != 1 || s->judge == NULL || s->reply == NULL)
        xtars_error(why, XTARS_EFORMAT, "cache: entry %s holds no answer", key);
    else if (xtars_buf_read_file(&file, path, IMAGE_CAP, reason) != XTARS_OK ||
             xtars_image_decode(file.data, file.len, &recorded, reason) != XTARS_OK ||
             xtars_image_resize(live, recorded.width, recorded.height, &resized, reason) != XTARS_OK ||
             xtars_replay_compare(&recorded, &resized, &cmp, reason) != XTARS_OK)
        xtars_error(why, XTARS_EFORMAT, "cache: entry %s: %.400s", key, reason);
    else if (*entry_exists = 1, *similarity = cmp.similarity, cmp.similarity < c->threshold)
        xtars_error(why, XTARS_EFORMAT, "cache: the screen differs from the cached one (similarity "
                    "%.3f < %.3f)", cmp.similarity, c->threshold);
    else if ((*reply = strdup(s->reply)) == NULL)
        xtars_error(why, XTARS_ENOMEM, "out of memory");
    else
        hit = 1;
    xtars_buf_cleanup(&file);
    xtars_image_cleanup(&recorded);
    xtars_image_cleanup(&resized);
    xtars_traj_run_cleanup(&run);
    return hit;
}
