/* cmd_model_check.c: `xtars model-check`: one real request to the configured
 * endpoint, built exactly as a run builds its first step (template,
 * instruction, one screenshot), to find out before a run whether the server,
 * the model name, the key and the limits work. Prints what came back, or the
 * one-line diagnosis. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/base/redact.h"
#include "xtars/buf.h"
#include "agent/base/json.h"
#include "agent/base/term.h"
#include "xtars/log.h"
#include "xtars/model.h"
#include "agent/model/prompt.h"

enum { OPT_INSTRUCTION = 1, OPT_IMAGE, OPT_PROMPT_DIR, OPT_JSON, OPT_ENDPOINT, OPT_MODEL };

#define DEFAULT_INSTRUCTION "Click the black square."

/* A 112x112 8-bit grey PNG, light grey (192) with a black 28x28 square at
 * x,y 42..69, so a grounded model answers near (56,56) in its own space.
 * Written with Python's zlib and struct, checked by decoding it back and
 * with ImageMagick; no X server or PNG encoder is needed to send it. */
static const unsigned char square_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x70, 0x00, 0x00, 0x00, 0x70, 0x08, 0x00, 0x00, 0x00, 0x00, 0xe3, 0x8b, 0xab,
    0x97, 0x00, 0x00, 0x00, 0x4d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0xed, 0xd7, 0x31, 0x11, 0x00,
    0x00, 0x08, 0x03, 0xb1, 0xfa, 0x57, 0x85, 0x34, 0x1c, 0xc0, 0xd6, 0x29, 0x3f, 0xf7, 0x2e, 0x73,
    0x33, 0xe5, 0x02, 0x04, 0x02, 0x81, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x81, 0x40, 0x20, 0x10,
    0x08, 0x04, 0x7e, 0xd3, 0x23, 0x20, 0x10, 0x08, 0x04, 0x02, 0x81, 0x40, 0x20, 0x10, 0x08, 0xf4,
    0x9e, 0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x81, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x81,
    0x85, 0x16, 0x7a, 0xeb, 0x75, 0xff, 0x2d, 0xf4, 0x80, 0xfb, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static int run_model_check(int argc, char **argv);

const struct cli_command cli_cmd_model_check = {
    .name = "model-check",
    .summary = "send one test request to the model endpoint and show the answer",
    .usage = "Usage: xtars model-check [--endpoint URL] [--model NAME] [--instruction TEXT]\n"
             "                         [--image FILE] [--json] [options]\n\n"
             "Sends one request to the configured endpoint, built the way a run builds its\n"
             "first step: the prompt template, the instruction, and one screenshot (a small\n"
             "built-in image of a black square unless --image is given). Prints the URL, the\n"
             "model, the latency, the token usage and the reply; on failure prints a one-line\n"
             "diagnosis (connection refused, timeout, HTTP status with the server's message,\n"
             "a body that is not a chat completion, ...) and exits 3.\n\n"
             "  --endpoint URL       model API base URL (config endpoint)\n"
             "  --model NAME         model name (config model)\n"
             "  --instruction TEXT   the task text (default: \"" DEFAULT_INSTRUCTION "\")\n"
             "  --image FILE         send this PNG or JPEG instead of the built-in image\n"
             "  --prompt-dir DIR     look for prompt templates in DIR first\n"
             "  --json               print the result as one JSON object on stdout; on failure\n"
             "                       {\"error\": {\"command\", \"code\", \"message\"}} instead\n\n"
             CLI_COMMON_USAGE
             "\nExit codes: 0 the model answered, 2 usage or config error, 3 model endpoint\n"
             "failure, 4 interrupted.\n",
    .run = run_model_check,
    .json_errors = CLI_JSON_ERRORS_WITH_FLAG,
};

struct check_options {
    const char *instruction, *image, *prompt_dir;
    int json;
};

static atomic_int interrupted; /* the model's stop flag (xtars/error.h) */

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void trace_to_log(void *ctx, const char *line)
{
    (void)ctx;
    xtars_log_debug("model: %s", line);
}

/* PNG or JPEG, told by the first bytes. */
static int image_format(const struct xtars_buf *b)
{
    if (b->len >= 8 && memcmp(b->data, "\x89PNG\r\n\x1a\n", 8) == 0)
        return XTARS_IMAGE_PNG;
    if (b->len >= 3 && memcmp(b->data, "\xff\xd8\xff", 3) == 0)
        return XTARS_IMAGE_JPEG;
    return -1;
}

/* The request body: template + instruction, then the screenshot. */
static int build_request(const struct xtars_config *cfg, const struct check_options *o,
                         struct xtars_buf *body)
{
    struct xtars_buf tmpl, prompt, file;
    struct xtars_history *h = NULL;
    char err[XTARS_ERRLEN];
    int rc = CLI_EXIT_OK, format = XTARS_IMAGE_PNG;

    xtars_buf_init(&tmpl, XTARS_PROMPT_MAX_BYTES);
    xtars_buf_init(&prompt, 1 << 20);
    xtars_buf_init(&file, 0);
    if (xtars_prompt_load(cfg->prompt, o->prompt_dir, &tmpl, err) != XTARS_OK) {
        rc = cli_fail(&cli_cmd_model_check, CLI_EXIT_USAGE, "%s", err);
        goto out;
    }
    if (o->image && xtars_buf_read_file(&file, o->image, 64u << 20, err) != XTARS_OK) {
        rc = cli_fail(&cli_cmd_model_check, CLI_EXIT_USAGE, "--image: %s", err);
        goto out;
    }
    if (o->image && (format = image_format(&file)) < 0) {
        rc = cli_fail(&cli_cmd_model_check, CLI_EXIT_USAGE, "--image: %s is neither PNG nor JPEG",
                      o->image);
        goto out;
    }
    if (xtars_prompt_render(tmpl.data ? tmpl.data : "", cfg->language, o->instruction, &prompt) !=
            XTARS_OK ||
        xtars_history_new(1, &h) != XTARS_OK ||
        xtars_history_add_image(h, o->image ? (const void *)file.data : square_png,
                                o->image ? file.len : sizeof square_png, format) != XTARS_OK) {
        rc = cli_fail(&cli_cmd_model_check, CLI_EXIT_RUNTIME, "out of memory");
        goto out;
    }
    if (xtars_request_build(cfg, prompt.data, h, NULL, body, NULL, err) != XTARS_OK)
        rc = cli_fail(&cli_cmd_model_check, CLI_EXIT_USAGE, "%s", err);
out:
    xtars_history_free(h);
    xtars_buf_cleanup(&file);
    xtars_buf_cleanup(&prompt);
    xtars_buf_cleanup(&tmpl);
    return rc;
}

static void print_tokens(FILE *out, long value)
{
    if (value < 0)
        fputs("not reported", out);
    else
        fprintf(out, "%ld", value);
}

/* The URL asked, without the credentials a user may have put in it. */
static void shown_url(const struct xtars_model *m, char *out, size_t size)
{
    xtars_redact_url(xtars_model_url(m), out, size);
}

/* One "label   value" line of server or config text, redacted and with its
 * control characters escaped (agent/base/term.h). */
static void print_field(const char *label, const char *value)
{
    char *shown = xtars_term_clean(value);

    printf("%-10s %s\n", label, shown ? shown : "[withheld]");
    free(shown);
}

static void print_text(const struct xtars_config *cfg, const struct xtars_model *m,
                       const struct xtars_model_reply *r, size_t body_len)
{
    char url[4096];

    shown_url(m, url, sizeof url);
    print_field("endpoint", url);
    print_field("model", cfg->model);
    printf("request    %zu bytes, 1 image\n", body_len);
    printf("latency    %.0f ms (%d attempt%s%s)\n", r->latency_ms, r->attempts,
           r->attempts == 1 ? "" : "s", r->streamed ? ", streamed" : "");
    printf("tokens     prompt ");
    print_tokens(stdout, r->prompt_tokens);
    printf(", completion ");
    print_tokens(stdout, r->completion_tokens);
    printf("\n");
    print_field("finish", r->finish_reason[0] ? r->finish_reason : "not reported");
    print_field("reply", r->text);
}

static void print_json(const struct xtars_config *cfg, const struct xtars_model *m,
                       const struct xtars_model_reply *r, size_t body_len)
{
    struct xtars_buf out;
    char url[4096], *shown;

    shown_url(m, url, sizeof url);
    xtars_buf_init(&out, (size_t)cfg->max_response_bytes * 2 + 4096);
    xtars_buf_puts(&out, "{\"url\": ");
    xtars_json_put_string(&out, url);
    xtars_buf_puts(&out, ", \"model\": ");
    xtars_json_put_string(&out, cfg->model);
    xtars_buf_printf(&out, ", \"request_bytes\": %zu, \"latency_ms\": ", body_len);
    xtars_json_put_number(&out, r->latency_ms);
    xtars_buf_printf(&out, ", \"attempts\": %d, \"streamed\": %s, \"prompt_tokens\": %ld, "
                           "\"completion_tokens\": %ld, \"finish_reason\": ",
                     r->attempts, r->streamed ? "true" : "false", r->prompt_tokens,
                     r->completion_tokens);
    xtars_json_put_string(&out, r->finish_reason);
    xtars_buf_puts(&out, ", \"reply\": ");
    xtars_json_put_string(&out, r->text);
    xtars_buf_puts(&out, "}\n");
    /* The server's reply may echo a key: redacted like every other output. */
    shown = out.data ? xtars_log_redact(out.data) : NULL;
    if (shown)
        fputs(shown, stdout);
    free(shown);
    xtars_buf_cleanup(&out);
}

static int ask(const struct xtars_config *cfg, const struct check_options *o,
               const struct xtars_buf *body)
{
    struct xtars_model *m = NULL;
    struct xtars_model_reply reply = {0};
    struct sigaction sa = {0};
    char err[XTARS_ERRLEN];
    xtars_err rc;

    rc = xtars_model_new(cfg, &m, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_model_check, cli_exit_code(rc), "%s", err);
    if (xtars_log_get_level() >= XTARS_LOG_DEBUG)
        xtars_model_set_trace(m, trace_to_log, NULL);
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    xtars_model_set_stop(m, &interrupted);
    xtars_log_debug("asking %s (model %s, %zu bytes)", xtars_model_url(m), cfg->model, body->len);
    rc = xtars_model_complete(m, body->data, body->len, &reply, err);
    if (rc == XTARS_OK && o->json)
        print_json(cfg, m, &reply, body->len);
    else if (rc == XTARS_OK)
        print_text(cfg, m, &reply, body->len);
    else
        cli_fail(&cli_cmd_model_check, cli_exit_code(rc), "%s", err);
    xtars_model_reply_cleanup(&reply);
    xtars_model_free(m);
    return cli_exit_code(rc);
}

static int run_model_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"instruction", required_argument, NULL, OPT_INSTRUCTION},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"prompt-dir", required_argument, NULL, OPT_PROMPT_DIR},
        {"json", no_argument, NULL, OPT_JSON},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"model", required_argument, NULL, OPT_MODEL},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct check_options o = {.instruction = DEFAULT_INSTRUCTION};
    struct cli_common common = {0};
    struct cli_flags flags = {0};
    struct xtars_config cfg;
    struct xtars_buf body;
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
        int handled = cli_common_option(&cli_cmd_model_check, &common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        if (opt == OPT_INSTRUCTION)
            o.instruction = optarg;
        else if (opt == OPT_IMAGE)
            o.image = optarg;
        else if (opt == OPT_PROMPT_DIR)
            o.prompt_dir = optarg;
        else if (opt == OPT_JSON)
            o.json = 1;
        else if (opt == OPT_ENDPOINT || opt == OPT_MODEL) {
            if (cli_flags_add(&cli_cmd_model_check, &flags,
                              opt == OPT_ENDPOINT ? "endpoint" : "model", optarg) != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
        }
        else
            return cli_bad_option(&cli_cmd_model_check, longopts, argv, opt);
    }
    if (common.want_help)
        return cli_print_usage(&cli_cmd_model_check);
    if (optind < argc)
        return cli_fail(&cli_cmd_model_check, CLI_EXIT_USAGE, "unexpected argument '%s'",
                        argv[optind]);
    rc = cli_config_load(&cli_cmd_model_check, &common, flags.items, flags.count, &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    xtars_buf_init(&body, (size_t)cfg.max_request_bytes);
    rc = build_request(&cfg, &o, &body);
    if (rc == CLI_EXIT_OK)
        rc = ask(&cfg, &o, &body);
    xtars_buf_cleanup(&body);
    return rc;
}
