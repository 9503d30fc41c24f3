/* mserver.c: start, query and stop xtars-model-server for net tests. The
 * child gets SIGTERM if the test process dies, so no server outlives its
 * test. */
#include "mserver.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "xtars/buf.h"

#ifndef XT_BINARY_DIR
#define XT_BINARY_DIR "."
#endif

static void child(const char *script, const char *log, const char *const *env, int out)
{
    const char *server = XT_BINARY_DIR "/xtars-model-server";

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    for (int i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
    dup2(out, 1);
    execl(server, server, "--script", script, "--log", log, "--expect-key-env", "XT_EXPECTED_KEY",
          (char *)NULL);
    _exit(126);
}

static int read_port(int fd)
{
    char line[64];
    size_t len = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int port = 0;

    while (len + 1 < sizeof line && memchr(line, '\n', len) == NULL) {
        ssize_t n;
        if (poll(&p, 1, 10000) <= 0)
            break;
        n = read(fd, line + len, sizeof line - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    line[len] = '\0';
    if (sscanf(line, "port %d", &port) != 1)
        return 0;
    return port;
}

void xt_mserver_start(struct xt_mserver *s, const char *script_json, const char *const *env)
{
    static int serial;
    char script[600];
    int pipefd[2];
    FILE *f;

    memset(s, 0, sizeof *s);
    serial++;
    snprintf(script, sizeof script, "%s/script%d.json", xt_tmpdir(), serial);
    snprintf(s->log, sizeof s->log, "%s/requests%d.jsonl", xt_tmpdir(), serial);
    f = fopen(script, "w");
    ASSERT(f != NULL);
    fputs(script_json, f);
    fclose(f);
    if (pipe(pipefd) != 0)
        FAIL("pipe: %s", strerror(errno));
    s->pid = fork();
    if (s->pid == 0) {
        close(pipefd[0]);
        child(script, s->log, env, pipefd[1]);
    }
    close(pipefd[1]);
    s->port = read_port(pipefd[0]);
    close(pipefd[0]);
    if (s->port <= 0)
        FAIL("xtars-model-server did not report its port (script %s)", script);
    snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d/v1", s->port);
    snprintf(s->url, sizeof s->url, "%s/chat/completions", s->endpoint);
}

void xt_mserver_stop(struct xt_mserver *s)
{
    int status = 0;

    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    if (waitpid(s->pid, &status, 0) != s->pid)
        FAIL("waitpid: %s", strerror(errno));
    s->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("xtars-model-server did not exit cleanly on SIGTERM (status 0x%x)", status);
}

cJSON *xt_mserver_requests(const struct xt_mserver *s)
{
    struct xtars_buf text;
    char err[512];
    cJSON *list = cJSON_CreateArray();
    char *line, *save = NULL;

    if (xtars_buf_read_file(&text, s->log, 1u << 30, err) != XTARS_OK)
        return list;  /* no request yet: no log file */
    for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *item = cJSON_Parse(line);
        if (item == NULL)
            FAIL("unparseable request log line: %.200s", line);
        cJSON_AddItemToArray(list, item);
    }
    xtars_buf_cleanup(&text);
    return list;
}

int xt_free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int probe = socket(AF_INET, SOCK_STREAM, 0);

    ASSERT(probe >= 0);
    ASSERT_EQ(bind(probe, (struct sockaddr *)&addr, sizeof addr), 0);
    ASSERT_EQ(getsockname(probe, (struct sockaddr *)&addr, &len), 0);
    close(probe);
    return ntohs(addr.sin_port);
}
