/* agent/config/config_internal.h: the config struct itself and the parts of
 * the config module only xtars's own code and tests use (the command line's
 * sources, in-memory loading, the docs table, enum names).
 *
 * Ownership: struct xtars_config is plain data (strings are fixed arrays):
 * inside xtars it may live on the stack after xtars_config_defaults() and be
 * copied with xtars_config_copy(); it needs no cleanup. Embedders never see
 * it: they use the opaque API of xtars/config.h.
 */
#ifndef XTARS_CONFIG_INTERNAL_H
#define XTARS_CONFIG_INTERNAL_H

#include "agent/base/suggest.h"
#include "xtars/config.h"

enum xtars_config_source {
    XTARS_SOURCE_DEFAULT = 0,
    XTARS_SOURCE_FILE = 1,
    XTARS_SOURCE_ENV = 2,
    XTARS_SOURCE_FLAG = 3
};

#define XTARS_CONFIG_MAX_FIELDS 64

struct xtars_config {
    char endpoint[512];     /* base URL; /chat/completions is appended */
    char model[128];
    char api_key_env[128];  /* name of the variable holding the API key */
    char redact[512];       /* "A,B": variables whose values never appear in output */
    char extra_headers[2048]; /* "Name: value\n" lines; values may use ${VAR} */
    char ca_file[512];      /* PEM CAs trusted for https; empty: the system's */
    char judge_endpoint[512]; /* task assert/query/wait_until; empty: endpoint */
    char judge_model[128];  /* empty: model */
    char judge_api_key_env[128]; /* the judge's key variable; empty: api_key_env */
    int family;             /* enum xtars_family */
    long max_pixels;
    long min_pixels;
    int image_format;       /* enum xtars_image_format */
    int png_level;
    int jpeg_quality;
    int history_images;
    int max_steps;
    double temperature;
    int seed;               /* sent as "seed" when >= 0 */
    double top_p;
    int max_tokens;
    int timeout_ms;
    int connect_timeout_ms;
    int retries;
    int max_inflight_requests; /* concurrent model requests across a batch; 0 = no limit */
    long max_request_bytes;
    long max_response_bytes;
    int stream;
    char language[64];
    char prompt[256];
    char display[128];
    char monitor[128];
    int cursor;
    int wait_ms;
    int click_delay_ms;
    int key_delay_ms;
    int action_delay_ms;
    int scroll_amount;
    int double_click_ms;
    int clear_modifiers;
    int settle_timeout_ms;
    int stuck_limit;
    int parse_fail_limit;
    char policy[1024];      /* "": built-in default policy; "none"; or a file */
    int policy_mode;        /* enum xtars_policy_mode: 0 default, 1 strict */
    char out_dir[1024];
    int log_level;          /* enum xtars_log_level */

    unsigned char source[XTARS_CONFIG_MAX_FIELDS]; /* enum xtars_config_source, by field index */
    char file[1024];        /* last file loaded, for messages; "" if none */
};

/* Sets every field to its default and every source to DEFAULT. */
void xtars_config_defaults(struct xtars_config *cfg);

/* *dst = *src: every value, source and the file name. */
void xtars_config_copy(struct xtars_config *dst, const struct xtars_config *src);

/* xtars_config_set() with the source recorded for --print-config; with
 * XTARS_SOURCE_FLAG messages say "(command line)". */
xtars_err xtars_config_set_from(struct xtars_config *cfg, const char *key, const char *value,
                                enum xtars_config_source source, char err[static XTARS_ERRLEN]);

/* xtars_config_load_file() from text already in memory; `name` is used in
 * messages. */
xtars_err xtars_config_load_text(struct xtars_config *cfg, const char *name, const char *text,
                                 size_t len, char err[static XTARS_ERRLEN]);

/* Appends the Markdown reference table of every key (docs and README). */
xtars_err xtars_config_markdown(struct xtars_buf *out);

/* Index of key in the field table, -1 if unknown. */
int xtars_config_field_index(const char *key);

/* Names for enums. */
const char *xtars_family_name(int family);
xtars_err xtars_family_from_name(const char *name, int *out);
const char *xtars_config_source_name(int source);

/* xtars_edit_distance() and the nearest-name rule of every "did you mean". */
#include "agent/base/suggest.h"

#endif
