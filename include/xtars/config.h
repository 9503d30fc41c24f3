/* xtars/config.h: the configuration, an opaque object set and read by key.
 *
 * Every key (docs and `xtars config --print`) is a row of one field table:
 * the same table drives loading JSON files, XTARS_* environment variables,
 * xtars_config_set(), the getters, validation and printing, so a new key
 * never changes this interface or the ABI.
 *
 * Ownership: xtars_config_new() returns a config holding every default;
 * xtars_config_free() frees it (accepts NULL). Strings returned by
 * xtars_config_get_string() belong to the config and stay valid until that
 * key is set again or the config is freed. Functions that return text append
 * to a caller-owned xtars_buf.
 * Precedence is the order of calls: defaults < file < environment < set.
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

/* enum xtars_family (the `family` key) is in coords.h, enum
 * xtars_image_format (`image_format`) in image.h. */
struct xtars_config;

/* A config holding every key's default. ENOMEM (*out NULL). */
XTARS_API
xtars_err xtars_config_new(struct xtars_config **out);

/* Frees a config. Accepts NULL. */
XTARS_API
void xtars_config_free(struct xtars_config *cfg);

/* Sets one key from its textual form, as the command line's --set KEY=VALUE
 * does: ("max_steps", "20"), ("family", "pixels"), ("stream", "true"),
 * ("extra_headers", "{\"X-Name\": \"value\"}"), ("redact", "A,B").
 * ECONFIG on an unknown key (with the nearest key suggested), a malformed
 * value or one out of range; the config is then unchanged. */
XTARS_API
xtars_err xtars_config_set(struct xtars_config *cfg, const char *key, const char *value,
                           char err[static XTARS_ERRLEN]);

/* Typed getters. get_int reads integer, boolean (0/1) and choice keys (the
 * choice's index: enum xtars_family for `family`); get_double reads every
 * numeric key; get_string reads string, names and choice keys (the choice's
 * name). ECONFIG for an unknown key or one of another type (*out untouched). */
XTARS_API
xtars_err xtars_config_get_int(const struct xtars_config *cfg, const char *key, long *out,
                               char err[static XTARS_ERRLEN]);
XTARS_API
xtars_err xtars_config_get_double(const struct xtars_config *cfg, const char *key,
                                  double *out, char err[static XTARS_ERRLEN]);
XTARS_API
xtars_err xtars_config_get_string(const struct xtars_config *cfg, const char *key,
                                  const char **out, char err[static XTARS_ERRLEN]);

/* Appends any key's value in the textual form xtars_config_set() accepts
 * (numbers as decimals, booleans as true/false, extra_headers as a JSON
 * object). ECONFIG for an unknown key; ENOMEM, ETOOBIG from the buffer. */
XTARS_API
xtars_err xtars_config_get_text(const struct xtars_config *cfg, const char *key,
                                struct xtars_buf *out, char err[static XTARS_ERRLEN]);

/* Loads a JSON object from path over cfg. Unknown keys, wrong types and
 * out-of-range values fail with ECONFIG and a message naming the file, the
 * line and the key, suggesting the nearest valid key for typos. EIO when the
 * file cannot be read. On failure cfg may be partly updated: callers exit. */
XTARS_API
xtars_err xtars_config_load_file(struct xtars_config *cfg, const char *path,
                                 char err[static XTARS_ERRLEN]);

/* Applies XTARS_<KEY> variables (key upper-cased) found in the environment. */
XTARS_API
xtars_err xtars_config_load_env(struct xtars_config *cfg, char err[static XTARS_ERRLEN]);

/* Checks relations between keys (min_pixels <= max_pixels, an http(s)
 * endpoint, a model name, ...). ECONFIG naming the first problem. */
XTARS_API
xtars_err xtars_config_validate(const struct xtars_config *cfg,
                                char err[static XTARS_ERRLEN]);

/* Appends the effective config as a JSON object (two-space indent, table
 * order). With sources, each value is {"value": v, "source": "file"}
 * (default, file, env or flag; xtars_config_set() counts as flag). */
XTARS_API
xtars_err xtars_config_to_json(const struct xtars_config *cfg, int with_sources,
                               struct xtars_buf *out);

/* The keys, in table order: index 0 .. count - 1; NULL past the end. */
XTARS_API
int xtars_config_field_count(void);
XTARS_API
const char *xtars_config_field_name(int index);

/* Nearest known key to `key` by edit distance, or NULL if none is close. */
XTARS_API
const char *xtars_config_suggest(const char *key);

#ifdef __cplusplus
}
#endif
#endif
