/* The model client against an https endpoint whose certificate a private CA
 * signed (here: self-signed), served by `openssl s_server` on 127.0.0.1.
 * s_server completes the TLS handshake and then never answers, so once the
 * certificate is trusted the request ends in a timeout instead of a TLS
 * error: that difference is what these cases check, with and without
 * config ca_file, and with a ca_file that vouches for another server. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/config_internal.h"
#include "mserver.h"
#include "run.h"
#include "test.h"
#include "xtars/model.h"

static pid_t server_pid;
static int server_stdin = -1;

static void stop_server(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    if (server_stdin >= 0)
        close(server_stdin);
}

/* A self-signed certificate for 127.0.0.1 into DIR/NAME-cert.pem and its
 * key into DIR/NAME-key.pem; returns the certificate's path. */
static const char *make_cert(const char *name, char *cert, size_t size)
{
    char key[1024];
    struct xt_result r;

    snprintf(cert, size, "%s/%s-cert.pem", xt_tmpdir(), name);
    snprintf(key, sizeof key, "%s/%s-key.pem", xt_tmpdir(), name);
    r = xt_run((const char *const[]){"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                     "-keyout", key, "-out", cert, "-days", "2", "-subj",
                                     "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                     NULL},
               NULL, NULL);
    if (r.status != 0)
        FAIL("openssl req: %s", r.err);
    xt_result_free(&r);
    return cert;
}

static int can_connect(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

/* openssl s_server with the "server" certificate on a free loopback port;
 * its stdin stays open (at end of input it would hang up). Returns the port. */
static int start_server(void)
{
    char cert[1024], key[1024], accept[64];
    int port = xt_free_port(), in[2];
    struct timespec pause = {0, 20 * 1000 * 1000};

    make_cert("server", cert, sizeof cert);
    snprintf(key, sizeof key, "%s/server-key.pem", xt_tmpdir());
    snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
    ASSERT_EQ(pipe(in), 0);
    server_pid = fork();
    ASSERT(server_pid >= 0);
    if (server_pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(in[0], 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(in[1]);
        execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", cert, "-key", key,
               "-quiet", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    server_stdin = in[1];
    atexit(stop_server);
    for (int i = 0; i < 500 && !can_connect(port); i++)
        nanosleep(&pause, NULL);
    if (!can_connect(port))
        FAIL("openssl s_server did not listen on %s", accept);
    return port;
}

static void config_for(struct xtars_config *cfg, int port, const char *ca_file)
{
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    xtars_config_defaults(cfg);
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "https://127.0.0.1:%d/v1", port);
    snprintf(cfg->ca_file, sizeof cfg->ca_file, "%s", ca_file);
    cfg->retries = 0;
    cfg->timeout_ms = 1500;
}

/* One request; the model's error line in err. */
static xtars_err ask(const struct xtars_config *cfg, char *err)
{
    static const char body[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    struct xtars_model *m;
    struct xtars_model_reply reply;
    xtars_err rc;

    if (xtars_model_new(cfg, &m, err) != XTARS_OK)
        FAIL("%s", err);
    rc = xtars_model_complete(m, body, strlen(body), &reply, err);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    return rc;
}

TEST(private_ca_without_ca_file_is_a_named_tls_failure_with_a_hint)
{
    int port = start_server();
    struct xtars_config cfg;
    char err[XTARS_ERRLEN], expect[200];


    config_for(&cfg, port, "");
    ASSERT_EQ(ask(&cfg, err), XTARS_EMODEL);
    snprintf(expect, sizeof expect, "model: TLS failure with https://127.0.0.1:%d/v1/chat/completions: ",
             port);
    if (strncmp(err, expect, strlen(expect)) != 0)
        FAIL("got: %s", err);
    ASSERT_STR_CONTAINS(err, "certificate");
    ASSERT_STR_CONTAINS(err, "(for a private CA, set ca_file to its PEM file)");
}

TEST(ca_file_makes_the_server_trusted)
{
    int port = start_server();
    char cert[1024], err[XTARS_ERRLEN];
    struct xtars_config cfg;

    snprintf(cert, sizeof cert, "%s/server-cert.pem", xt_tmpdir());
    config_for(&cfg, port, cert);
    ASSERT_EQ(ask(&cfg, err), XTARS_EMODEL);
    /* The handshake passed and the request went out; s_server never answers. */
    if (strstr(err, "TLS") != NULL || strstr(err, "request sent") == NULL)
        FAIL("expected a timeout after the request was sent, got: %s", err);
}

TEST(ca_file_of_another_server_is_named)
{
    int port = start_server();
    char other[1024], err[XTARS_ERRLEN];
    struct xtars_config cfg;


    config_for(&cfg, port, make_cert("other", other, sizeof other));
    ASSERT_EQ(ask(&cfg, err), XTARS_EMODEL);
    ASSERT_STR_CONTAINS(err, "model: TLS failure with https://127.0.0.1:");
    ASSERT_STR_CONTAINS(err, "(ca_file does not vouch for this server)");
}

TEST(unreadable_ca_file_is_a_config_error_before_any_request)
{
    struct xtars_config cfg;
    struct xtars_model *m = NULL;
    char err[XTARS_ERRLEN];


    config_for(&cfg, 9, "/nonexistent/ca.pem");
    ASSERT_EQ(xtars_model_new(&cfg, &m, err), XTARS_ECONFIG);
    ASSERT(m == NULL);
    ASSERT_STR_EQ(err, "config: ca_file: cannot read /nonexistent/ca.pem: No such file or directory");
    config_for(&cfg, 9, "/tmp");
    ASSERT_EQ(xtars_model_new(&cfg, &m, err), XTARS_ECONFIG);
    ASSERT_STR_EQ(err, "config: ca_file: /tmp is a directory (name the CA's PEM file)");
}
