/* test_mcp_sdk.c: `xtars mcp` driven by the official MCP TypeScript SDK
 * client (npm @modelcontextprotocol/sdk, pinned in tests/mcp/sdk.sh) through
 * tests/mcp/client.cjs: each case starts `xtars mcp --xvfb 640x480 --launch
 * xclient` (or xterm, or a picture) over stdio, the way Claude Code or Cursor
 * would, and checks what the X client recorded. Without node and npm the cases are skipped, except
 * in CI ($CI set), where that fails; an npm install that fails always fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mserver.h"
#include "run.h"
#include "test.h"

static int on_path(const char *program)
{
    char command[256];
    snprintf(command, sizeof command, "command -v %s >/dev/null 2>&1", program);
    return system(command) == 0;
}

static void need_sdk(void)
{
    struct xt_result r;

    if (!on_path("node") || !on_path("npm")) {
        if (getenv("CI"))
            FAIL("node and npm are needed for the MCP SDK tests (CI is set: not skipping)");
        SKIP("node or npm not installed: the MCP TypeScript SDK client cannot run");
    }
    r = xt_run((const char *const[]){"sh", XT_SOURCE_DIR "/tests/mcp/sdk.sh",
                                     XT_BINARY_DIR "/mcp-sdk", NULL}, NULL, NULL);
    if (r.status != 0)
        FAIL("installing @modelcontextprotocol/sdk with npm failed (exit %d):\n%s", r.status, r.err);
    xt_result_free(&r);
}

static void run_case(const char *name, const char *endpoint)
{
    char tmp[600], xclient[600], point[700], node_path[600];
    struct xt_result r;

    /* the binary under test has the command (the client below starts it too) */
    r = xt_run((const char *const[]){"@xtars", "mcp", "--help", NULL}, NULL, NULL);
    ASSERT_EQ(r.status, 0);
    ASSERT_STR_CONTAINS(r.out, "Model Context Protocol");
    xt_result_free(&r);
    need_sdk();
    snprintf(tmp, sizeof tmp, "MCP_TMP=%s", xt_tmpdir());
    snprintf(xclient, sizeof xclient, "XCLIENT=%s", XT_XCLIENT_PATH);
    snprintf(point, sizeof point, "MCP_ENDPOINT=%s", endpoint ? endpoint : "");
    snprintf(node_path, sizeof node_path, "NODE_PATH=%s/mcp-sdk/node_modules", XT_BINARY_DIR);
    r = xt_run((const char *const[]){"node", XT_SOURCE_DIR "/tests/mcp/client.cjs", name, NULL},
               (const char *const[]){tmp, xclient, point, node_path, NULL}, NULL);
    printf("%s", r.out);
    if (r.status != 0)
        FAIL("client.cjs %s exited %d:\n%s\n%s", name, r.status, r.out, r.err);
    ASSERT_STR_CONTAINS(r.out, "passed: ");
    xt_result_free(&r);
}

/* tools/list, a decoded screenshot, clicks in screen and image space landing
 * where xclient records them, Unicode typing as xclient reads it, a hotkey,
 * --out. */
TEST(desktop) { run_case("desktop", NULL); }

/* Unknown tools and bad arguments are JSON-RPC errors; a point off the screen
 * and a policy refusal are tool results with isError; ping. */
TEST(errors) { run_case("errors", NULL); }

/* run_task against the scripted model: one progress notification per step,
 * the click lands, the result names the finished() content. */
TEST(run_task)
{
    struct xt_mserver s;

    xt_mserver_start(&s, "[\"Thought: the window\\nAction: click(start_box='(322,238)')\","
                         " \"Action: finished(content='done it')\"]", NULL);
    run_case("task", s.endpoint);
    xt_mserver_stop(&s);
}

/* The apps a case launches instead of xclient are in the test packages
 * (Makefile): missing, they skip the case, except in CI. */
static void need_programs(const char *const *programs)
{
    for (int i = 0; programs[i]; i++) {
        if (on_path(programs[i]))
            continue;
        if (getenv("CI"))
            FAIL("%s is needed (make deps; CI is set: not skipping)", programs[i]);
        SKIP("%s not installed (make deps)", programs[i]);
    }
}

/* Unicode with characters outside Latin-1 typed into xterm (UTF-8 locale)
 * running `cat > FILE`, then Return: the file holds exactly the text. */
TEST(xterm)
{
    need_programs((const char *const[]){"xterm", NULL});
    run_case("xterm", NULL);
}

/* A screenshot whose response is megabytes is one message the SDK decodes
 * (responses were capped at 1 MiB before). */
TEST(large_screenshot)
{
    need_programs((const char *const[]){"convert", "display", NULL});
    run_case("large", NULL);
}

/* A cancelled run_task stops (its trajectory says so) and the server goes on. */
TEST(cancel)
{
    struct xt_mserver s;

    xt_mserver_start(&s, "[{\"reply\": \"Action: wait()\", \"delay_ms\": 30000}]", NULL);
    run_case("cancel", s.endpoint);
    xt_mserver_stop(&s);
}
