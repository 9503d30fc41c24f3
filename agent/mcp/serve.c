/* serve.c: the server's lifecycle and the stdio transport: messages are
 * read one per line (at most XTARS_MCP_MAX_LINE bytes) on the calling
 * thread, which answers ping, initialize, tools/list and cancellations at
 * once, while tool calls run one at a time, in order, on a worker thread
 * that owns the display connections. End of input, a closed output or a
 * stop signal end the session: the running call is stopped, whatever it
 * holds is released, queued calls are dropped. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/clock.h"
#include "agent/mcp/mcp_internal.h"
#include "xtars/log.h"

#define POLL_MS 200  /* how often a stop signal is looked for while input is idle */

xtars_err xtars_mcp_new(const struct xtars_config *cfg, const struct xtars_mcp_options *opts,
                        struct xtars_mcp **out, char err[static XTARS_ERRLEN])
{
    struct xtars_mcp *m;
    xtars_err rc;

    *out = NULL;
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    m->cfg = *cfg;
    m->dry_run = opts->dry_run;
    m->emit = opts->emit;
    m->emit_user = opts->emit_user;
    snprintf(m->out_dir, sizeof m->out_dir, "%s", opts->out_dir ? opts->out_dir : "");
    snprintf(m->protocol, sizeof m->protocol, "%s", XTARS_MCP_PROTOCOL_LATEST);
    pthread_mutex_init(&m->emit_lock, NULL);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    xtars_shot_init(&m->desk.shot, MCP_IMAGE_MAX_BYTES);
    xtars_image_init(&m->desk.scratch);
    xtars_buf_init(&m->desk.image, MCP_IMAGE_MAX_BYTES);
    xtars_clock_iso(m->started_at, sizeof m->started_at);
    rc = xtars_log_add_secret_vars(m->cfg.redact, err);
    m->guard.dry = m->dry_run;
    if (rc == XTARS_OK)
        rc = xtars_guard_open_policy(&m->guard, &m->cfg, err);
    /* run.json names the screen (readers need its size): connect now. The
     * connection is used by one thread at a time, this one and then the
     * worker, never both. A dry run may have no display at all. */
    if (rc == XTARS_OK && m->out_dir[0] && mcp_desktop_open_capture(m, err) != XTARS_OK &&
        !m->dry_run)
        rc = XTARS_EDISPLAY;
    if (rc == XTARS_OK && m->out_dir[0])
        rc = xtars_traj_open(m->out_dir, &m->traj, err);
    if (rc == XTARS_OK)
        rc = mcp_record_run(m, "running", NULL, 0, err);
    if (rc != XTARS_OK) {
        xtars_mcp_free(m);
        return rc;
    }
    *out = m;
    return XTARS_OK;
}

int xtars_mcp_calls(const struct xtars_mcp *m) { return m->calls; }

void xtars_mcp_disconnect(struct xtars_mcp *m) { m->disconnected = 1; }

void xtars_mcp_free(struct xtars_mcp *m)
{
    char err[XTARS_ERRLEN], message[120];

    if (m == NULL)
        return;
    mcp_desktop_close(m); /* releases every key and button */
    if (m->traj) {
        snprintf(message, sizeof message, "%d tool call%s", m->calls, m->calls == 1 ? "" : "s");
        if (mcp_record_run(m, "finished", message, 1, err) != XTARS_OK)
            xtars_log_warn("mcp: %s", err);
    }
    xtars_traj_close(m->traj);
    xtars_guard_cleanup(&m->guard);
    for (int i = 0; i < m->queued; i++)
        mcp_call_free(m->queue[i]);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->emit_lock);
    free(m);
}

/* The worker: runs queued calls in order until the session closes, then
 * closes the display connections it opened (on the thread that used them). */
static void *worker(void *arg)
{
    struct xtars_mcp *m = arg;

    pthread_mutex_lock(&m->lock);
    for (;;) {
        struct mcp_call *call;
        while (m->queued == 0 && !m->closing)
            pthread_cond_wait(&m->wake, &m->lock);
        if (m->closing)
            break;
        call = m->queue[0];
        memmove(&m->queue[0], &m->queue[1], (size_t)(m->queued - 1) * sizeof m->queue[0]);
        m->queued--;
        m->running = call;
        m->stop = 0;
        pthread_mutex_unlock(&m->lock);
        mcp_run_call(m, call);
        pthread_mutex_lock(&m->lock);
        m->running = NULL;
        mcp_call_free(call);
    }
    pthread_mutex_unlock(&m->lock);
    mcp_desktop_close(m);
    return NULL;
}

static void too_long(struct xtars_mcp *m)
{
    char text[120];

    snprintf(text, sizeof text, "message longer than %u bytes: dropped", XTARS_MCP_MAX_LINE);
    mcp_send_error(m, NULL, MCP_INVALID_REQUEST, text);
}

/* Splits what was read into lines; a line over the limit is skipped up to
 * its newline and answered once. Returns the bytes consumed. */
static size_t handle_lines(struct xtars_mcp *m, char *buf, size_t len, int *skipping)
{
    size_t start = 0;

    for (;;) {
        char *nl = memchr(buf + start, '\n', len - start);
        size_t n;
        if (nl == NULL)
            break;
        n = (size_t)(nl - (buf + start));
        if (*skipping) {
            *skipping = 0;
        } else if (n > XTARS_MCP_MAX_LINE) {
            too_long(m);
        } else {
            if (n && buf[start + n - 1] == '\r')
                n--;
            if (n)
                xtars_mcp_handle(m, buf + start, n);
        }
        start = (size_t)(nl - buf) + 1;
    }
    if (len - start > XTARS_MCP_MAX_LINE) { /* no newline in sight: drop it */
        if (!*skipping)
            too_long(m);
        *skipping = 1;
        start = len;
    }
    return start;
}

static void stop_calls(struct xtars_mcp *m)
{
    pthread_mutex_lock(&m->lock);
    m->closing = 1;
    m->stop = 1;
    if (m->running)
        m->running->cancelled = 1; /* nobody left to answer */
    if (m->task_agent)
        xtars_agent_stop(m->task_agent);
    for (int i = 0; i < m->queued; i++)
        mcp_call_free(m->queue[i]);
    m->queued = 0;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

xtars_err xtars_mcp_serve(struct xtars_mcp *m, int in_fd, const atomic_int *stop,
                          char err[static XTARS_ERRLEN])
{
    size_t cap = XTARS_MCP_MAX_LINE + 65536, len = 0;
    char *buf = malloc(cap);
    pthread_t thread;
    int skipping = 0;
    xtars_err rc = XTARS_OK;

    if (buf == NULL)
        return xtars_error(err, XTARS_ENOMEM, "out of memory");
    m->async = 1;
    if (pthread_create(&thread, NULL, worker, m) != 0) {
        free(buf);
        return xtars_error(err, XTARS_ENOMEM, "cannot start the worker thread");
    }
    while (!(stop && *stop) && !m->disconnected) {
        struct pollfd p = {in_fd, POLLIN, 0};
        ssize_t got;
        size_t used;
        int ready = poll(&p, 1, POLL_MS);
        if (ready < 0 && errno != EINTR) {
            rc = xtars_error(err, XTARS_EIO, "reading stdin: %s", strerror(errno));
            break;
        }
        if (ready <= 0)
            continue;
        got = read(in_fd, buf + len, cap - len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0) {
            rc = xtars_error(err, XTARS_EIO, "reading stdin: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break; /* the client closed stdin: the session is over */
        len += (size_t)got;
        used = handle_lines(m, buf, len, &skipping);
        memmove(buf, buf + used, len - used);
        len -= used;
    }
    stop_calls(m);
    pthread_join(thread, NULL);
    m->async = 0;
    free(buf);
    return rc;
}
