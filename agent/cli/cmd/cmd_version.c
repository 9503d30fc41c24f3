/* cmd_version.c: `xtars version`: xtars's version and the versions of the
 * libraries this process actually runs with (not the ones it was built
 * against), which is what matters when reporting a bug. */
#include <stdio.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "xtars/image.h"
#include "agent/base/json.h"
#include "agent/model/model_internal.h"
#include "xtars/version.h"

static int run_version(int argc, char **argv);

const struct cli_command cli_cmd_version = {
    .name = "version",
    .summary = "print the versions of xtars and its libraries",
    .usage = "Usage: xtars version [--json]\n\n"
             "Prints the xtars version and the versions of libpng, zlib, cJSON, libjpeg-turbo\n"
             "and ISA-L (\"none\" when built without it) this process runs with. libcurl is\n"
             "loaded only when a model is used, so its version is the one xtars was built\n"
             "against.\n\n"
             "  --json               one JSON object on stdout\n"
             "  -h, --help           show this help\n\n"
             "'xtars --version' and 'xtars -V' are the same command.\n",
    .run = run_version,
    .json_errors = CLI_JSON_ERRORS_WITH_FLAG,
};

static int run_version(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, json = 0;

    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'j')
            json = 1;
        else if (opt == 'h')
            return cli_print_usage(&cli_cmd_version);
        else
            return cli_bad_option(&cli_cmd_version, longopts, argv, opt);
    }
    if (optind < argc)
        return cli_fail(&cli_cmd_version, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (json)
        printf("{\"xtars\": \"%s\", \"libcurl\": \"%s\", \"libpng\": \"%s\", \"zlib\": \"%s\", "
               "\"cjson\": \"%s\", \"libjpeg_turbo\": \"%s\", \"isal\": \"%s\"}\n",
               XTARS_VERSION, xtars_model_curl_built_version(), xtars_image_png_version(),
               xtars_image_zlib_version(), xtars_json_cjson_version(), xtars_image_jpeg_version(),
               xtars_image_isal_version());
    else
        printf("xtars %s\nlibcurl %s (built against; loaded on first model use)\n"
               "libpng %s\nzlib %s\ncJSON %s\nlibjpeg-turbo %s\nISA-L %s\n",
               XTARS_VERSION, xtars_model_curl_built_version(), xtars_image_png_version(),
               xtars_image_zlib_version(), xtars_json_cjson_version(), xtars_image_jpeg_version(),
               xtars_image_isal_version());
    return CLI_EXIT_OK;
}
