/* mcp.h: xtars as a Model Context Protocol server (docs/mcp.md): the X11
 * desktop as tools (screenshot, click, move, drag, scroll, type, key, wait,
 * run_task, replay) for any MCP client, over JSON-RPC 2.0 messages, one per
 * line (the stdio transport).
 *
 * Ownership: xtars_mcp_new() copies the config and the option strings and
 * returns a server freed by xtars_mcp_free() (accepts NULL), which stops a
 * running tool call and releases every key and button. Every message the
 * server sends goes through the emit callback, one whole JSON text without
 * its newline, never from two threads at once.
 *
 * Threads: xtars_mcp_handle() runs a tools/call on the calling thread
 * before it returns (tests, the fuzzer); xtars_mcp_serve() reads on the
 * calling thread and runs tool calls one at a time on a worker thread, so
 * ping and notifications/cancelled are answered while a task runs.
 */
#ifndef XTARS_MCP_H
#define XTARS_MCP_H

#include <stddef.h>

#include "agent/config/config_internal.h"
#include "xtars/error.h"

/* The longest message read (bytes, newline excluded). A longer line is
 * discarded and answered with an Invalid Request error (id null). */
#define XTARS_MCP_MAX_LINE (1u << 20)

/* Protocol versions spoken, newest first; a client asking for another gets
 * the newest (MCP's version negotiation). */
#define XTARS_MCP_PROTOCOL_LATEST "2025-06-18"

struct xtars_mcp_options {
    const char *out_dir;   /* record every tool call as a trajectory here; NULL: no record.
                              run_task and replay trajectories go to out_dir/task-NNN,
                              without out_dir to the config's out_dir/<time>-<pid>-NNN */
    int dry_run;           /* the dry-run executor: no input events are sent */
    /* Sink of every message sent (a whole JSON text, no newline). */
    void (*emit)(void *emit_user, const char *text, size_t len);
    void *emit_user;
};

struct xtars_mcp;

/* Loads the policy (cfg->policy) and, with out_dir, creates the trajectory.
 * Nothing touches the display before the first tool call. Errors: ECONFIG
 * (policy), EIO (out_dir), ENOMEM. *out is NULL on failure. */
xtars_err xtars_mcp_new(const struct xtars_config *cfg, const struct xtars_mcp_options *opts,
                        struct xtars_mcp **out, char err[static XTARS_ERRLEN]);

/* Handles one message of len bytes (any bytes: untrusted). Answers through
 * emit: a response for a request, nothing for a notification or a response,
 * an error response (id null when unknown) for anything malformed. */
void xtars_mcp_handle(struct xtars_mcp *m, const char *text, size_t len);

/* Serves messages read from in_fd, one per line, until end of input, a
 * failed emit (m's emit_failed) or *stop becomes nonzero (a signal). Then
 * the running call is stopped (its input released) and queued ones dropped.
 * EIO when reading fails, ENOMEM; XTARS_OK at end of input or stop. */
xtars_err xtars_mcp_serve(struct xtars_mcp *m, int in_fd, const atomic_int *stop,
                          char err[static XTARS_ERRLEN]);

/* Tells a serving server that the emit sink is gone (the client closed
 * stdout): serve ends as at end of input. Callable from emit. */
void xtars_mcp_disconnect(struct xtars_mcp *m);

/* Number of tool calls answered (for the closing log line). */
int xtars_mcp_calls(const struct xtars_mcp *m);

/* Writes run.json's final status (with out_dir), stops a running call,
 * releases held input and frees. Accepts NULL. */
void xtars_mcp_free(struct xtars_mcp *m);

#endif
