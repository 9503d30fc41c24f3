/* cmd_screenshot.c: `xtars screenshot`: capture the screen (or a monitor, a
 * window, a region), size it the way the model would see it, encode it as
 * PNG or JPEG, write it to a file or stdout, and optionally report sizes and
 * stage timings as JSON. The same pipeline the loop uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "xtars/capture.h"
#include "agent/base/json.h"
#include "agent/loop/options.h"
#include "xtars/log.h"

enum {
    OPT_OUTPUT = 'o',
    OPT_DISPLAY = 1,
    OPT_MONITOR,
    OPT_WINDOW,
    OPT_WINDOW_NAME,
    OPT_REGION,
    OPT_SIZE,
    OPT_MAX_PIXELS,
    OPT_MIN_PIXELS,
    OPT_FORMAT,
    OPT_CURSOR,
    OPT_NO_SHM,
    OPT_JSON
};

static int run_screenshot(int argc, char **argv);

const struct cli_command cli_cmd_screenshot = {
    .name = "screenshot",
    .summary = "capture the screen as the model would see it",
    .usage =
        "Usage: xtars screenshot [FILE|-] [-o FILE|-] [--display D] [--monitor M] [--window ID]\n"
        "                        [--size native|smart] [--max-pixels N] [--format png|jpeg]\n"
        "                        [--json] [options]\n\n"
        "Captures the X screen, resizes it with smart_resize (the size the model expects)\n"
        "and writes it as PNG or JPEG. The same capture -> resize -> encode path as a run.\n\n"
        "  FILE, -o, --output FILE\n"
        "                       where to write the image; '-' for stdout\n"
        "                       (default screenshot.png, or screenshot.jpg for JPEG)\n"
        "  --display D          X display (default: config 'display', then $DISPLAY)\n"
        "  --monitor M          one XRandR monitor: index as 'xrandr --listmonitors'\n"
        "                       numbers them, monitor name, or output name\n"
        "  --window ID          one window (id as 0x1e00007 or decimal)\n"
        "  --window-name NAME   the window with this exact title\n"
        "  --region WxH+X+Y     a rectangle of the screen\n"
        "  --size native|smart  smart (default): smart_resize; native: captured size\n"
        "  --max-pixels N       smart_resize pixel budget (config 'max_pixels')\n"
        "  --min-pixels N       smart_resize lower bound (config 'min_pixels')\n"
        "  --format png|jpeg    encoding (default: from the -o extension, else config\n"
        "                       'image_format'); see png_level and jpeg_quality\n"
        "  --cursor             draw the mouse pointer into the image (config 'cursor')\n"
        "  --no-shm             do not use MIT-SHM (for testing the XGetImage path)\n"
        "  --json               print {\"screen_width\", \"screen_height\", \"sent_width\",\n"
        "                       \"sent_height\", \"format\", \"bytes\", \"capture_ms\",\n"
        "                       \"resize_ms\", \"encode_ms\", \"screen_x\", \"screen_y\",\n"
        "                       \"shm\", \"resize_fused\", \"output\"} on stdout (not with\n"
        "                       -o -); for PNG, resizing runs inside the encoder\n"
        "                       (resize_fused: resize_ms is 0, encode_ms covers both)\n\n" CLI_COMMON_USAGE
        "\nExit codes: 0 written, 1 capture or write failed, 2 usage or config error.\n",
    .run = run_screenshot,
    .json_errors = CLI_JSON_ERRORS_WITH_FLAG,
};

#define MAX_FLAGS 8

struct shot_args {
    const char *output;
    unsigned long window;
    const char *window_name;
    struct xtars_rect region;
    int native;
    int json;
    int no_shm;
    int format_given;
    char flag_text[MAX_FLAGS][256];  /* "key=value" overrides for cli_config_load */
    const char *flags[MAX_FLAGS];
    int flag_count;
};

static void add_flag(struct shot_args *a, const char *key, const char *value)
{
    if (a->flag_count == MAX_FLAGS)
        return;
    snprintf(a->flag_text[a->flag_count], sizeof a->flag_text[0], "%s=%s", key, value);
    a->flags[a->flag_count] = a->flag_text[a->flag_count];
    a->flag_count++;
}

static int parse_window(const char *text, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(text, &end, 0);
    return end != text && *end == '\0' && errno == 0 && *out != 0 && text[0] != '-';
}

/* Handles one command-specific option; returns CLI_EXIT_OK or an exit code. */
static int take_option(struct shot_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_OUTPUT: a->output = arg; break;
    case OPT_DISPLAY: add_flag(a, "display", arg); break;
    case OPT_MONITOR: add_flag(a, "monitor", arg); break;
    case OPT_MAX_PIXELS: add_flag(a, "max_pixels", arg); break;
    case OPT_MIN_PIXELS: add_flag(a, "min_pixels", arg); break;
    case OPT_CURSOR: add_flag(a, "cursor", "true"); break;
    case OPT_NO_SHM: a->no_shm = 1; break;
    case OPT_JSON: a->json = 1; break;
    case OPT_WINDOW_NAME: a->window_name = arg; break;
    case OPT_FORMAT:
        add_flag(a, "image_format", arg);
        a->format_given = 1;
        break;
    case OPT_WINDOW:
        if (!parse_window(arg, &a->window))
            return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE,
                            "--window needs a window id such as 0x1e00007, not '%s'", arg);
        break;
    case OPT_REGION:
        if (cli_parse_rect(arg, CLI_RECT_PLACED, &a->region) != 0)
            return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE,
                            "--region needs WxH+X+Y such as 800x600+0+0, not '%s'", arg);
        break;
    case OPT_SIZE:
        if (strcmp(arg, "native") != 0 && strcmp(arg, "smart") != 0)
            return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE,
                            "--size must be native or smart, not '%s'", arg);
        a->native = strcmp(arg, "native") == 0;
        break;
    default:
        return -1;
    }
    return CLI_EXIT_OK;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* --format wins, then the output file's extension, then the config. */
static int choose_format(const struct shot_args *a, const struct xtars_config *cfg)
{
    if (!a->format_given && a->output) {
        if (has_suffix(a->output, ".jpg") || has_suffix(a->output, ".jpeg"))
            return XTARS_IMAGE_JPEG;
        if (has_suffix(a->output, ".png"))
            return XTARS_IMAGE_PNG;
    }
    return cfg->image_format;
}

static int write_image(const char *path, const struct xtars_buf *data)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    int ok;

    if (f == NULL)
        return cli_fail(&cli_cmd_screenshot, CLI_EXIT_RUNTIME, "cannot write '%s': %s", path,
                        strerror(errno));
    ok = fwrite(data->data, 1, data->len, f) == data->len;
    ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
    if (!ok)
        return cli_fail(&cli_cmd_screenshot, CLI_EXIT_RUNTIME, "cannot write '%s': %s", path,
                        strerror(errno));
    return CLI_EXIT_OK;
}

static void print_json(const struct xtars_shot *shot, const struct xtars_capture *cap,
                       const char *output)
{
    struct xtars_buf out;

    xtars_buf_init(&out, 1 << 16);
    xtars_buf_printf(&out,
                     "{\"screen_width\": %d, \"screen_height\": %d, \"sent_width\": %d, "
                     "\"sent_height\": %d, \"format\": \"%s\", \"bytes\": %zu, "
                     "\"capture_ms\": %.3f, \"resize_ms\": %.3f, \"encode_ms\": %.3f, "
                     "\"screen_x\": %d, \"screen_y\": %d, \"shm\": %s, \"resize_fused\": %s, "
                     "\"output\": ",
                     shot->screen.width, shot->screen.height, shot->sent_width, shot->sent_height,
                     xtars_shot_format_name(shot->format), shot->data.len, shot->capture_ms,
                     shot->resize_ms, shot->encode_ms, shot->screen.x, shot->screen.y,
                     xtars_capture_uses_shm(cap) ? "true" : "false",
                     shot->resize_fused ? "true" : "false");
    xtars_json_put_string(&out, output);
    xtars_buf_puts(&out, "}\n");
    if (out.data)
        fputs(out.data, stdout);
    xtars_buf_cleanup(&out);
}

/* Captures, encodes and writes; returns the exit code. */
static int take_screenshot(const struct shot_args *a, const struct xtars_config *cfg)
{
    struct xtars_capture_options copts;
    struct xtars_shot_options sopts;
    struct xtars_capture *cap = NULL;
    struct xtars_shot shot;
    const char *output;
    char err[XTARS_ERRLEN];
    xtars_err rc;
    int code;

    xtars_capture_options_from_config(cfg, &copts);
    copts.window = a->window;
    copts.window_name = a->window_name;
    copts.region = a->region;
    copts.no_shm = a->no_shm;
    xtars_shot_options_from_config(cfg, &sopts);
    sopts.size = a->native ? XTARS_SHOT_NATIVE : XTARS_SHOT_SMART;
    sopts.format = choose_format(a, cfg);
    output = a->output ? a->output
                       : sopts.format == XTARS_IMAGE_JPEG ? "screenshot.jpg" : "screenshot.png";
    rc = xtars_capture_new(&copts, &cap, err);
    if (rc != XTARS_OK)
        return cli_fail(&cli_cmd_screenshot, rc == XTARS_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME,
                        "%s", err);
    if (!xtars_capture_uses_shm(cap))
        xtars_log_debug("capture: not using MIT-SHM (%s); using XGetImage",
                        xtars_capture_shm_reason(cap));
    xtars_shot_init(&shot, (size_t)1 << 30);
    rc = xtars_capture_shot(cap, &sopts, &shot, err);
    if (rc != XTARS_OK)
        code = cli_fail(&cli_cmd_screenshot, CLI_EXIT_RUNTIME, "%s", err);
    else
        code = write_image(output, &shot.data);
    if (code == CLI_EXIT_OK && a->json)
        print_json(&shot, cap, output);
    xtars_shot_cleanup(&shot);
    xtars_capture_free(cap);
    return code;
}

static int run_screenshot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"display", required_argument, NULL, OPT_DISPLAY},
        {"monitor", required_argument, NULL, OPT_MONITOR},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"window-name", required_argument, NULL, OPT_WINDOW_NAME},
        {"region", required_argument, NULL, OPT_REGION},
        {"size", required_argument, NULL, OPT_SIZE},
        {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
        {"min-pixels", required_argument, NULL, OPT_MIN_PIXELS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"cursor", no_argument, NULL, OPT_CURSOR},
        {"no-shm", no_argument, NULL, OPT_NO_SHM},
        {"json", no_argument, NULL, OPT_JSON},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct shot_args args = {0};
    struct cli_common common = {0};
    struct xtars_config cfg;
    int opt, rc;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "o:", longopts, NULL)) != -1) {
        int handled = cli_common_option(&cli_cmd_screenshot, &common, opt, optarg);
        if (handled < 0)
            return CLI_EXIT_USAGE;
        if (handled)
            continue;
        rc = take_option(&args, opt, optarg);
        if (rc < 0)
            return cli_bad_option(&cli_cmd_screenshot, longopts, argv, opt);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (common.want_help)
        return cli_print_usage(&cli_cmd_screenshot);
    /* scrot-like: the output file may be given as the one operand. */
    if (optind < argc && args.output && strcmp(args.output, argv[optind]) != 0)
        return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE,
                        "two output files ('%s' and -o '%s'); give one", argv[optind], args.output);
    if (optind < argc)
        args.output = argv[optind++];
    if (optind < argc)
        return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE, "unexpected argument '%s' (one output "
                        "FILE at most)", argv[optind]);
    if (args.json && args.output && strcmp(args.output, "-") == 0)
        return cli_fail(&cli_cmd_screenshot, CLI_EXIT_USAGE,
                        "--json and -o - both want stdout; write the image to a file");
    rc = cli_config_load(&cli_cmd_screenshot, &common, args.flags, args.flag_count, &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    return take_screenshot(&args, &cfg);
}
