/* xtars/json.h: small JSON writing helpers shared by every module that emits
 * JSON (config printing, canonical actions, trajectories, logs).
 *
 * They append to a caller-owned xtars_buf and allocate nothing else. Reading
 * JSON is done with cJSON inside each module; cJSON trees never cross a
 * module boundary.
 */
#ifndef XTARS_JSON_H
#define XTARS_JSON_H

#include <stddef.h>

#include "xtars/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends s as a quoted JSON string (NULL becomes null). Bytes >= 0x80 are
 * copied as they are (UTF-8 passes through); invalid UTF-8 sequences are
 * replaced by U+FFFD so the output is always valid JSON. Every control
 * character is escaped, DEL and C1 (U+0080-U+009F) included, which JSON
 * would allow raw: JSON on a terminal then carries no escape sequence. */
xtars_err xtars_json_put_string(struct xtars_buf *out, const char *s);

/* As Python's json.dumps() writes a string (ensure_ascii, the default):
 * every character outside ASCII as \uXXXX (lowercase hex; above U+FFFF a
 * surrogate pair), \b \f \n \r \t \" \\ by name, other controls as
 * \u00XX (DEL too), "/" as it is. Invalid UTF-8 becomes \ufffd. For files
 * other tools compare byte for byte (OSWorld's traj.jsonl). */
xtars_err xtars_json_put_string_ascii(struct xtars_buf *out, const char *s);

/* Same for n bytes that may contain NULs. */
xtars_err xtars_json_put_stringn(struct xtars_buf *out, const char *s, size_t n);

/* Appends a number in the shortest form that reads back to the same double;
 * NaN and infinities (not JSON) are written as null. */
xtars_err xtars_json_put_number(struct xtars_buf *out, double v);

/* 1 if the n bytes at s are valid UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF), else 0. Text that is not would be changed by
 * xtars_json_put_string(), so loaders refuse it where it must round-trip. */
int xtars_json_utf8_valid(const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when the bytes
 * there are not one (the same rules). */
size_t xtars_utf8_sequence_len(const char *s, size_t n);

/* Version of the cJSON library this process runs with (static string). */
const char *xtars_json_cjson_version(void);

/* Line and column (1-based) of byte offset `at` in text, for error messages. */
void xtars_json_position(const char *text, size_t at, int *line, int *column);

/* One step of a path into a JSON document: a member `key`, or (key NULL)
 * the element at `index` of an array. */
struct xtars_json_step {
    const char *key;
    int index;
};

/* The 1-based line where the value at `path` (count steps) starts in the
 * len bytes of text, or where its key is written when the last step is a
 * key; 0 when the text holds no such value. cJSON keeps no positions, so
 * loaders that report "file line N" for a nested value ask here. For keys
 * without escapes; the first of duplicate keys wins, as in cJSON. */
int xtars_json_line_of(const char *text, size_t len, const struct xtars_json_step *path,
                       int count);

#ifdef __cplusplus
}
#endif
#endif
