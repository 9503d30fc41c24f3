/* agent/interop/json_scan.h: reading a big JSON document one piece at a
 * time, for the importers. A UI-TARS-desktop GUIAgentData file holds every
 * screenshot in base64, so a long run is hundreds of megabytes: read whole
 * and parsed into one cJSON tree it would cost several times that. Here the
 * file is mapped read-only, the importer finds the extent of each value
 * without building it, parses one message at a time with cJSON, and gives
 * back the pages it has read (docs/replay.md, "Big files").
 *
 * Ownership: a struct xtars_json_map owns its mapping or its buffer;
 * xtars_json_map_close() frees either and accepts a zeroed map. */
#ifndef XTARS_INTEROP_JSON_SCAN_H
#define XTARS_INTEROP_JSON_SCAN_H

#include <stddef.h>

#include "xtars/buf.h"
#include "xtars/error.h"

struct xtars_json_map {
    const char *data;      /* the document (not NUL-terminated when mapped) */
    size_t len;
    void *mapping;         /* the mmap()ed file, or NULL (data is in `copy` or borrowed) */
    size_t mapped_len;
    size_t released;       /* bytes from `mapping` already given back */
    struct xtars_buf copy; /* a file that cannot be mapped (a pipe), read whole */
};

/* Maps the regular file at path (at most max bytes), or reads it whole when
 * it cannot be mapped. EIO (names the path and the system error), ETOOBIG
 * ("larger than the limit of N bytes"), ENOMEM. On failure *m is zeroed. */
xtars_err xtars_json_map_open(struct xtars_json_map *m, const char *path, size_t max,
                              char err[static XTARS_ERRLEN]);

/* A map over len bytes of memory the caller keeps (nothing is released). */
void xtars_json_map_borrow(struct xtars_json_map *m, const char *data, size_t len);

/* Gives back the mapped pages wholly before `upto` (a pointer into
 * m->data): they are read again from the file if touched later. */
void xtars_json_map_release(struct xtars_json_map *m, const char *upto);

/* Starts giving back again from `from`, for a second pass over a part
 * already released (those pages come back as they are read). */
void xtars_json_map_rewind(struct xtars_json_map *m, const char *from);

void xtars_json_map_close(struct xtars_json_map *m);

/* The first byte at or after p that is not JSON whitespace, or end. */
const char *xtars_json_skip_ws(const char *p, const char *end);

/* Just past the JSON value that starts at p (no leading whitespace): a
 * string, a number or literal, or an object or array with its brackets
 * matched (nesting at most 1000, as cJSON allows) and strings skipped.
 * Only the structure is checked, not every token inside: parse the value
 * to know it is valid. NULL when it is cut short or malformed. With a map
 * (may be NULL), the pages it has scanned are given back as it goes, so
 * skipping a 250 MB value costs no memory. */
const char *xtars_json_value_end(const char *p, const char *end, struct xtars_json_map *map);

#endif
