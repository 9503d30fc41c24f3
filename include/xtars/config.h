/* xtars/config.h: the one configuration struct, its defaults, and the
 * table-driven loading from JSON files, XTARS_* environment variables and
 * command-line values.
 *
 * Ownership: struct xtars_config is plain data (strings are fixed arrays), so
 * it can be copied by assignment and needs no cleanup. Functions that return
 * text append to a caller-owned xtars_buf.
 * Precedence is the order of calls: defaults < file < environment < flags.
 * Secrets are never config values: `api_key_env` names the variable holding
 * the key.
 */
#ifndef XTARS_CONFIG_H
#define XTARS_CONFIG_H

#include "xtars/buf.h"
#include "xtars/coords.h"
#include "xtars/error.h"
#include "xtars/image.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    int family;             /* enum xtars_family (coords.h) */
    long max_pixels;
    long min_pixels;
    int image_format;       /* enum xtars_image_format (image.h) */
    int png_level;
    int jpeg_quality;
    int history_images;
    int max_steps;
    double temperature;
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
    char out_dir[1024];
    int log_level;          /* enum xtars_log_level */

    unsigned char source[XTARS_CONFIG_MAX_FIELDS]; /* enum xtars_config_source, by field index */
    char file[1024];        /* last file loaded, for messages; "" if none */
};

/* Sets every field to its default and every source to DEFAULT. */
void xtars_config_defaults(struct xtars_config *cfg);

/* Loads a JSON object from path over cfg. Unknown keys, wrong types and
 * out-of-range values fail with ECONFIG and a message naming the file, the
 * line and the key, suggesting the nearest valid key for typos. EIO when the
 * file cannot be read. On failure cfg may be partly updated: callers exit. */
xtars_err xtars_config_load_file(struct xtars_config *cfg, const char *path, char *err);

/* Same, from text already in memory; `name` is used in messages. */
xtars_err xtars_config_load_text(struct xtars_config *cfg, const char *name, const char *text,
                                 size_t len, char *err);

/* Applies XTARS_<KEY> variables (key upper-cased) found in the environment. */
xtars_err xtars_config_load_env(struct xtars_config *cfg, char *err);

/* Sets one key from its textual form ("max_steps", "20"). ECONFIG on an
 * unknown key (with suggestion), bad value or range. */
xtars_err xtars_config_set(struct xtars_config *cfg, const char *key, const char *value,
                           enum xtars_config_source source, char *err);

/* Checks relations between fields (min_pixels <= max_pixels, ...). */
xtars_err xtars_config_validate(const struct xtars_config *cfg, char *err);

/* Appends the effective config as a JSON object (two-space indent, table
 * order). With sources, each value is {"value": v, "source": "file"}. */
xtars_err xtars_config_to_json(const struct xtars_config *cfg, int with_sources,
                               struct xtars_buf *out);

/* Appends the Markdown reference table of every key (docs and README). */
xtars_err xtars_config_markdown(struct xtars_buf *out);

/* Field table access, for tools and tests. */
int xtars_config_field_count(void);
const char *xtars_config_field_name(int index);
int xtars_config_field_index(const char *key); /* -1 if unknown */

/* Nearest known key to `key` by edit distance, or NULL if none is close. */
const char *xtars_config_suggest(const char *key);

/* Names for enums. */
const char *xtars_family_name(int family);
xtars_err xtars_family_from_name(const char *name, int *out);
const char *xtars_config_source_name(int source);

/* Edit distance between a and b (bytes), capped at 100. Used for every
 * "did you mean" in the CLI. */
int xtars_edit_distance(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
