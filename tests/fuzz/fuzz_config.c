/* fuzz_config.c: libFuzzer target for config files (xtars_config_load_text).
 * Whatever loads must survive a round trip: the JSON the config prints loads
 * again, over fresh defaults, into a config that prints the same JSON (so
 * `xtars config > f.json` always gives a loadable file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config_internal.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct xtars_config cfg, again;
    struct xtars_buf first, second;
    char err[XTARS_ERRLEN];

    xtars_config_defaults(&cfg);
    if (xtars_config_load_text(&cfg, "fuzz.json", (const char *)data, size, err) != XTARS_OK) {
        if (strncmp(err, "config: ", 8) != 0 || strchr(err, '\n') != NULL) {
            fprintf(stderr, "error is not one 'config: ' line: %s\n", err);
            abort();
        }
        return 0;
    }
    xtars_buf_init(&first, 1 << 20);
    xtars_buf_init(&second, 1 << 20);
    xtars_config_defaults(&again);
    if (xtars_config_to_json(&cfg, 0, &first) != XTARS_OK ||
        xtars_config_load_text(&again, "printed.json", first.data, first.len, err) != XTARS_OK ||
        xtars_config_to_json(&again, 0, &second) != XTARS_OK || strcmp(first.data, second.data) != 0) {
        fprintf(stderr, "config round trip failed: %s\n%s\n%s\n", err, first.data,
                second.data ? second.data : "");
        abort();
    }
    xtars_buf_cleanup(&first);
    xtars_buf_cleanup(&second);
    return 0;
}
