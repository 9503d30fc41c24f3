/* cmd_parse.c: `xtars parse`: a model reply from a file or stdin -> the
 * parsed thought and actions as JSON, with coordinates mapped for a given
 * screen; or, with --jsonl, one reply per line for checking whole corpora in
 * one process. The screen size comes from --screen, else from the display. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "xtars/exec.h"
#include "agent/reply/action_json.h"
#include "xtars/buf.h"
#include "xtars/coords.h"
#include "agent/base/json.h"
#include "xtars/parse.h"

#define JSONL_LINE_MAX (8 << 20) /* a 1 MiB reply, JSON-escaped */

enum { OPT_FAMILY = 1, OPT_SCREEN, OPT_SENT, OPT_MAX_PIXELS, OPT_MIN_PIXELS, OPT_JSONL };

static int run_parse(int argc, char **argv);

const struct cli_command cli_cmd_parse = {
    .name = "parse",
    .summary = "parse a model reply into actions (JSON), mapping coordinates",
    .usage =
        "Usage: xtars parse [options] [FILE]\n\n"
        "Reads a model reply from FILE (or stdin, also with FILE '-') and prints one JSON\n"
        "object on stdout: {\"thought\": str|null, \"reflection\": str|null, \"actions\": [...]}.\n"
        "Each action has \"type\" and, as they apply, \"x\", \"y\", \"x2\", \"y2\" (screen\n"
        "pixels), \"model_x\", \"model_y\", \"model_x2\", \"model_y2\" (the model's numbers),\n"
        "\"text\", \"keys\", \"direction\", \"amount\", \"button\", \"ms\". See docs/parser.md.\n\n"
        "  --family F           coordinate space of the reply: uitars-1.5, uitars-1.0,\n"
        "                       doubao or pixels (default: the config's family)\n"
        "  --screen WxH[+X+Y]   the screen (or monitor/window rectangle at X,Y) the model\n"
        "                       saw (default: the X screen of --set display=D or\n"
        "                       $DISPLAY; needed without a display when the reply has\n"
        "                       coordinates)\n"
        "  --sent WxH           size of the image the model saw (default: smart_resize\n"
        "                       of the screen with min_pixels / max_pixels)\n"
        "  --max-pixels N       smart_resize upper bound (config max_pixels)\n"
        "  --min-pixels N       smart_resize lower bound (config min_pixels)\n"
        "  --jsonl              read one reply per line, each a JSON string, and print one\n"
        "                       result per line; a bad reply prints {\"error\": \"...\"}\n"
        "                       and the run goes on (exit 0)\n\n"
        "Scroll amounts and wait times the model left out are shown as the config's\n"
        "scroll_amount and wait_ms.\n\n"
        "Exit codes: 0 parsed; 1 bad reply (\"xtars parse: <reason> at column N\" on\n"
        "stderr) or unreadable input; 2 usage or configuration error (also a FILE that\n"
        "does not exist).\n\n" CLI_COMMON_USAGE,
    .run = run_parse,
};

struct parse_options {
    const char *flags[4];   /* config overrides, "key=value" */
    char flag_text[3][64];
    int flag_count;
    int have_screen, have_sent, jsonl;
    struct xtars_rect screen;
    int sent_width, sent_height;
    const char *file;
};

static int read_number(const char **s, long lo, long *v)
{
    char *end;

    if (**s < '0' || **s > '9')
        return -1;
    errno = 0;
    *v = strtol(*s, &end, 10);
    if (errno || *v < lo || *v > XTARS_ACTION_MAX_COORD)
        return -1;
    *s = end;
    return 0;
}

/* "WxH" or, when offset is allowed, "WxH+X+Y" (X11 geometry style). */
static int parse_geometry(const char *s, int allow_offset, struct xtars_rect *r)
{
    long w, h, x = 0, y = 0;

    if (read_number(&s, 1, &w) || *s++ != 'x' || read_number(&s, 1, &h))
        return -1;
    if (*s == '+' && allow_offset) {
        s++;
        if (read_number(&s, 0, &x) || *s++ != '+' || read_number(&s, 0, &y))
            return -1;
    }
    if (*s != '\0')
        return -1;
    r->x = (int)x;
    r->y = (int)y;
    r->width = (int)w;
    r->height = (int)h;
    return 0;
}

static int add_flag(struct parse_options *o, const char *key, const char *value)
{
    snprintf(o->flag_text[o->flag_count], sizeof o->flag_text[0], "%s=%s", key, value);
    o->flags[o->flag_count] = o->flag_text[o->flag_count];
    o->flag_count++;
    return 0;
}

/* Options of this command; returns -1 when not one of them, else an exit code. */
static int own_option(struct parse_options *o, int opt, const char *arg)
{
    struct xtars_rect sent = {0, 0, 0, 0};

    switch (opt) {
    case OPT_FAMILY:
        return add_flag(o, "family", arg);
    case OPT_MAX_PIXELS:
        return add_flag(o, "max_pixels", arg);
    case OPT_MIN_PIXELS:
        return add_flag(o, "min_pixels", arg);
    case OPT_JSONL:
        o->jsonl = 1;
        return 0;
    case OPT_SCREEN:
        if (parse_geometry(arg, 1, &o->screen) != 0)
            return cli_fail(&cli_cmd_parse, CLI_EXIT_USAGE,
                            "--screen must be WxH or WxH+X+Y (e.g. 1920x1080), not '%s'", arg);
        o->have_screen = 1;
        return 0;
    case OPT_SENT:
        if (parse_geometry(arg, 0, &sent) != 0)
            return cli_fail(&cli_cmd_parse, CLI_EXIT_USAGE,
                            "--sent must be WxH (e.g. 1932x1092), not '%s'", arg);
        o->have_sent = 1;
        o->sent_width = sent.width;
        o->sent_height = sent.height;
        return 0;
    default:
        return -1;
    }
}

static int own_option_cb(void *ctx, int opt, const char *arg)
{
    return own_option(ctx, opt, arg);
}

/* The coordinate space, or NULL without --screen. Returns an exit code. */
static int build_space(const struct parse_options *o, const struct xtars_config *cfg,
                       struct xtars_coord_space *space, const struct xtars_coord_space **out)
{
    struct xtars_rect screen = o->screen;
    const char *display = cfg->display[0] ? cfg->display : getenv("DISPLAY");
    char err[XTARS_ERRLEN];

    *out = NULL;
    if (!o->have_screen) {
        /* Default: the X screen, when there is a display to ask. */
        screen.x = screen.y = 0;
        if (display == NULL || display[0] == '\0' ||
            xtars_exec_screen_size(display, &screen.width, &screen.height, err) != XTARS_OK) {
            if (o->have_sent)
                return cli_fail(&cli_cmd_parse, CLI_EXIT_USAGE, "--sent needs --screen");
            return CLI_EXIT_OK;
        }
    }
    space->family = cfg->family;
    space->target = screen;
    space->sent_width = o->sent_width;
    space->sent_height = o->sent_height;
    if (!o->have_sent &&
        xtars_smart_resize(screen.width, screen.height, cfg->min_pixels, cfg->max_pixels,
                           &space->sent_width, &space->sent_height) != XTARS_OK &&
        cfg->family == XTARS_FAMILY_UITARS15)
        return cli_fail(&cli_cmd_parse, CLI_EXIT_USAGE,
                        "cannot smart_resize a %dx%d screen (aspect ratio over 200); give --sent",
                        screen.width, screen.height);
    *out = space;
    return CLI_EXIT_OK;
}

/* Up to max bytes of a file or stdin ("-"). Returns an exit code. */
static int read_input(const char *path, size_t max, struct xtars_buf *text)
{
    FILE *in = path && strcmp(path, "-") != 0 ? fopen(path, "rb") : stdin;
    char chunk[65536];
    size_t n;

    if (in == NULL)
        return cli_fail(&cli_cmd_parse, CLI_EXIT_RUNTIME, "cannot open %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if (text->len + n > max)
            n = max - text->len;
        if (xtars_buf_append(text, chunk, n) != XTARS_OK || text->len == max)
            break;
    }
    if (ferror(in)) {
        if (in != stdin)
            fclose(in);
        return cli_fail(&cli_cmd_parse, CLI_EXIT_RUNTIME, "cannot read %s", path ? path : "stdin");
    }
    if (in != stdin)
        fclose(in);
    return CLI_EXIT_OK;
}

/* Parses one reply and appends its JSON object (or {"error": ...}) to out. */
static xtars_err parse_one(const char *text, size_t len, const struct xtars_coord_space *space,
                           const struct xtars_config *cfg, struct xtars_buf *out, char *err)
{
    struct xtars_reply reply;
    xtars_err rc = xtars_parse_reply(text, len, space, &reply, err);

    if (rc == XTARS_OK) {
        for (int i = 0; i < reply.action_count; i++)
            xtars_action_fill_defaults(&reply.actions[i], cfg->scroll_amount, cfg->wait_ms);
        rc = xtars_reply_to_json(&reply, out);
        if (rc != XTARS_OK)
            xtars_error(err, rc, "parse: cannot write the result: %s", xtars_strerror(rc));
    }
    xtars_reply_cleanup(&reply);
    return rc;
}

static int run_single(const struct parse_options *o, const struct xtars_config *cfg,
                      const struct xtars_coord_space *space)
{
    struct xtars_buf text, out;
    char err[XTARS_ERRLEN];
    int rc;

    xtars_buf_init(&text, XTARS_PARSE_MAX_REPLY + 1);
    xtars_buf_init(&out, 64 << 20);
    rc = read_input(o->file, XTARS_PARSE_MAX_REPLY + 1, &text);
    if (rc == CLI_EXIT_OK) {
        if (parse_one(text.data ? text.data : "", text.len, space, cfg, &out, err) == XTARS_OK) {
            fputs(out.data, stdout);
            fputc('\n', stdout);
        } else {
            rc = cli_fail(&cli_cmd_parse, CLI_EXIT_RUNTIME, "%s%s", err,
                          /* the parser cannot know which option gives the size */
                          strstr(err, "coordinates need a screen size") && space == NULL
                              ? " (give --screen WxH, or run where a display is)" : "");
        }
    }
    xtars_buf_cleanup(&text);
    xtars_buf_cleanup(&out);
    return rc;
}

/* One line into line (capped); *too_long when it did not fit. 0 at the end. */
static int read_line(FILE *in, struct xtars_buf *line, int *too_long)
{
    int ch, any = 0;

    xtars_buf_reset(line);
    *too_long = 0;
    while ((ch = getc_unlocked(in)) != EOF) {
        any = 1;
        if (ch == '\n')
            break;
        if (!*too_long && xtars_buf_putc(line, (char)ch) != XTARS_OK)
            *too_long = 1;
    }
    return any;
}

/* One --jsonl line: a JSON string holding the reply. */
static void jsonl_line(const struct xtars_buf *line, int too_long, const struct xtars_config *cfg,
                       const struct xtars_coord_space *space, struct xtars_buf *out)
{
    char err[XTARS_ERRLEN];
    cJSON *item = NULL;
    size_t mark = out->len;

    if (too_long)
        snprintf(err, sizeof err, "parse: line longer than %d bytes", JSONL_LINE_MAX);
    else if ((item = cJSON_ParseWithLength(line->data ? line->data : "", line->len)) == NULL ||
             !cJSON_IsString(item))
        snprintf(err, sizeof err, "parse: line is not a JSON string");
    else if (parse_one(item->valuestring, strlen(item->valuestring), space, cfg, out, err) ==
             XTARS_OK)
        err[0] = '\0';
    cJSON_Delete(item);
    if (err[0]) {
        out->len = mark;
        xtars_buf_puts(out, "{\"error\":");
        xtars_json_put_string(out, err);
        xtars_buf_putc(out, '}');
    }
    xtars_buf_putc(out, '\n');
}

static int run_jsonl(const struct parse_options *o, const struct xtars_config *cfg,
                     const struct xtars_coord_space *space)
{
    FILE *in = o->file && strcmp(o->file, "-") != 0 ? fopen(o->file, "rb") : stdin;
    struct xtars_buf line, out;
    int too_long, rc = CLI_EXIT_OK;

    if (in == NULL)
        return cli_fail(&cli_cmd_parse, CLI_EXIT_RUNTIME, "cannot open %s: %s", o->file,
                        strerror(errno));
    xtars_buf_init(&line, JSONL_LINE_MAX);
    xtars_buf_init(&out, 64 << 20);
    while (read_line(in, &line, &too_long)) {
        jsonl_line(&line, too_long, cfg, space, &out);
        fwrite(out.data, 1, out.len, stdout);
        xtars_buf_reset(&out);
    }
    if (ferror(in))
        rc = cli_fail(&cli_cmd_parse, CLI_EXIT_RUNTIME, "cannot read %s", o->file ? o->file : "stdin");
    if (in != stdin)
        fclose(in);
    xtars_buf_cleanup(&line);
    xtars_buf_cleanup(&out);
    return rc;
}

static int run_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"family", required_argument, NULL, OPT_FAMILY},
        {"screen", required_argument, NULL, OPT_SCREEN},
        {"sent", required_argument, NULL, OPT_SENT},
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
        {"min-pixels", required_argument, NULL, OPT_MIN_PIXELS},
        {"jsonl", no_argument, NULL, OPT_JSONL},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common = {0};
    struct parse_options o;
    struct xtars_config cfg;
    struct xtars_coord_space space_storage;
    const struct xtars_coord_space *space;
    int rc;

    memset(&o, 0, sizeof o);
    rc = cli_parse_options(&cli_cmd_parse, argc, argv, longopts, &common, own_option_cb, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (common.want_help)
        return cli_print_usage(&cli_cmd_parse);
    if (argc - optind > 1)
        return cli_fail(&cli_cmd_parse, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
    o.file = optind < argc ? argv[optind] : NULL;
    if (o.file && cli_need_file(&cli_cmd_parse, o.file) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if ((rc = cli_config_load(&cli_cmd_parse, &common, o.flags, o.flag_count, &cfg)) != CLI_EXIT_OK)
        return rc;
    if ((rc = build_space(&o, &cfg, &space_storage, &space)) != CLI_EXIT_OK)
        return rc;
    return o.jsonl ? run_jsonl(&o, &cfg, space) : run_single(&o, &cfg, space);
}
