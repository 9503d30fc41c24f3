/* mcp_internal.h: what the parts of the MCP server share (protocol.c: the
 * JSON-RPC messages and the MCP methods; tools.c: the tool table and the
 * argument checks; desktop.c: capture, executor, policy and the record of
 * tool calls; tasks.c: run_task and replay through the agent loop;
 * serve.c: the stdio loop and the worker thread). Private to agent/mcp/.
 * cJSON trees stay inside this folder.
 */
#ifndef XTARS_MCP_INTERNAL_H
#define XTARS_MCP_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <cjson/cJSON.h>

#include "agent/mcp/mcp.h"
#include "agent/loop/guard.h"
#include "agent/record/traj_file.h"
#include "xtars/agent.h"
#include "xtars/buf.h"
#include "xtars/capture.h"
#include "xtars/exec.h"

/* JSON-RPC 2.0 error codes (MCP uses these five). */
#define MCP_PARSE_ERROR -32700
#define MCP_INVALID_REQUEST -32600
#define MCP_METHOD_NOT_FOUND -32601
#define MCP_INVALID_PARAMS -32602
#define MCP_INTERNAL_ERROR -32603

#define MCP_ID_LEN 300       /* a request id as JSON text: string ids up to 256 bytes */
#define MCP_QUEUE_MAX 64     /* tool calls waiting behind the running one */
#define MCP_IMAGE_MAX_BYTES (64u << 20)
#define MCP_RESULT_MAX_BYTES (128u << 20)

/* What a tool call produces: content items, or a JSON-RPC error. */
struct mcp_result {
    struct xtars_buf content;   /* content items, comma-separated (the array's inside) */
    int is_error;               /* a tool failure, told to the model (isError: true) */
    int rpc_code;               /* nonzero: answer with this JSON-RPC error instead */
    char rpc_message[XTARS_ERRLEN];
};

/* One tools/call, from the request to its response. */
struct mcp_call {
    char id[MCP_ID_LEN];        /* the request id, as JSON text */
    char token[MCP_ID_LEN];     /* _meta.progressToken as JSON text, or "" */
    cJSON *params;              /* owned: the request's params */
    int cancelled;              /* notifications/cancelled named it: send nothing */
    double read_ms;             /* xtars_clock_ms() when its line was read, before parsing */
};

/* The display side: opened on first use, on the thread running tool calls. */
struct mcp_desktop {
    struct xtars_capture *capture;
    struct xtars_executor *exec;
    struct xtars_rect target;   /* what screenshots show and actions may touch */
    int screen_width, screen_height;
    int image_width, image_height; /* the last screenshot's size; 0 before one */
    struct xtars_shot shot;
    struct xtars_image scratch; /* resized frames for max_width / max_height */
    struct xtars_buf image;     /* the last encoded screenshot */
    int image_format;
    int max_width, max_height;  /* of the last screenshot asked for: kept by the
                                   screenshots input tools return */
};

struct xtars_mcp {
    struct xtars_config cfg;
    int dry_run;
    char out_dir[PATH_MAX];     /* "" : no record */
    void (*emit)(void *emit_user, const char *text, size_t len);
    void *emit_user;
    pthread_mutex_t emit_lock;

    int initialized;            /* initialize answered */
    double read_ms;             /* when the message being handled was read (its calls' read_ms) */
    char protocol[16];          /* negotiated version */

    /* The policy over the session's input: one state for every input tool
     * call, so a command split over calls is judged as the line it becomes.
     * Its desktop connection is opened with the executor, on the worker. */
    struct xtars_guard guard;
    struct mcp_desktop desk;
    struct xtars_traj *traj;    /* the record of tool calls, or NULL */
    char started_at[40];
    int steps;                  /* steps recorded */
    int calls;                  /* tool calls answered */
    int tasks;                  /* run_task / replay trajectories made */

    /* Tool calls (serve.c). lock guards the queue, running, task_agent and
     * closing; stop is the running call's stop flag. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int async;                  /* calls go to the worker */
    int closing;
    atomic_int disconnected;
    struct mcp_call *queue[MCP_QUEUE_MAX];
    int queued;
    struct mcp_call *running;
    struct xtars_agent *task_agent;
    atomic_int stop;
};

/* ---- protocol.c ---- */
void mcp_send(struct xtars_mcp *m, const char *text, size_t len);
void mcp_send_error(struct xtars_mcp *m, const char *id, int code, const char *message);
/* Runs a tools/call and answers it unless it was cancelled. */
void mcp_run_call(struct xtars_mcp *m, struct mcp_call *call);
void mcp_call_free(struct mcp_call *call);
/* notifications/progress for the running call (no-op without a token). */
void mcp_progress(struct xtars_mcp *m, const struct mcp_call *call, double progress, double total,
                  const char *message);

/* ---- tools.c ---- */
/* tools/list's "tools" array. */
xtars_err mcp_tools_list(const char *protocol, struct xtars_buf *out);
/* Checks name and arguments against the tool table, then runs the tool. */
void mcp_tools_call(struct xtars_mcp *m, struct mcp_call *call, const char *name,
                    const cJSON *args, struct mcp_result *r);
/* Content item helpers. */
void mcp_result_text(struct mcp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mcp_result_fail(struct mcp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mcp_result_rpc(struct mcp_result *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- desktop.c ---- */
struct mcp_shot_request {
    int format;                 /* enum xtars_image_format */
    int max_width, max_height;  /* 0: smart_resize */
};
enum mcp_space { MCP_SPACE_IMAGE = 0, MCP_SPACE_SCREEN = 1 };

/* EDISPLAY, with what the server's configurer must do, when neither the
 * config (--display) nor the environment names a display. */
xtars_err mcp_need_display(const struct xtars_mcp *m, char err[static XTARS_ERRLEN]);
xtars_err mcp_desktop_open_capture(struct xtars_mcp *m, char err[static XTARS_ERRLEN]);
xtars_err mcp_desktop_open_exec(struct xtars_mcp *m, char err[static XTARS_ERRLEN]);
void mcp_desktop_close(struct xtars_mcp *m);
/* Takes a screenshot into desk.image and appends the image and text items. */
xtars_err mcp_desktop_screenshot(struct xtars_mcp *m, const struct mcp_shot_request *req,
                                 struct mcp_result *r, char err[static XTARS_ERRLEN]);
/* Maps a point of the given space to root pixels; a point outside the image
 * or the target is an error naming both. */
xtars_err mcp_desktop_point(struct xtars_mcp *m, int space, double x, double y, int *screen_x,
                            int *screen_y, char err[static XTARS_ERRLEN]);
/* Checks each action with the session's policy right before performing it
 * (a refusal ends the call), settles when asked, records the call; fills r
 * with what was done (or the refusal). */
void mcp_desktop_act(struct xtars_mcp *m, const char *tool, const char *call_text,
                     struct xtars_action *actions, int count, int screenshot,
                     struct mcp_result *r);
/* Records a tool call with no action (screenshot, run_task, replay). */
void mcp_desktop_record(struct xtars_mcp *m, const char *call_text, int with_image,
                        const char *note);
/* run.json of the record of tool calls. */
xtars_err mcp_record_run(struct xtars_mcp *m, const char *status, const char *message,
                         int ended, char err[static XTARS_ERRLEN]);

/* ---- tasks.c ---- */
void mcp_task_run(struct xtars_mcp *m, struct mcp_call *call, const char *instruction,
                  int max_steps, const char *call_text, struct mcp_result *r);
void mcp_task_replay(struct xtars_mcp *m, struct mcp_call *call, const char *dir, int verify,
                     const char *call_text, struct mcp_result *r);

#endif
