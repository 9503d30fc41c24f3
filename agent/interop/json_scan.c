/* json_scan.c: bounded-memory reading of big JSON files for the importers
 * (agent/interop/json_scan.h): a read-only mapping whose pages are given
 * back as the reader moves on, and the extent of a value found without
 * building it. Never prints; never allocates for the document itself. */
#include "agent/interop/json_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_DEPTH 1000 /* cJSON's CJSON_NESTING_LIMIT */
#define RELEASE_EVERY (4 << 20) /* bytes scanned between two releases of the map */

void xtars_json_map_borrow(struct xtars_json_map *m, const char *data, size_t len)
{
    memset(m, 0, sizeof *m);
    m->data = data;
    m->len = len;
}

xtars_err xtars_json_map_open(struct xtars_json_map *m, const char *path, size_t max,
                              char err[static XTARS_ERRLEN])
{
    struct stat st;
    int fd;
    xtars_err rc;

    memset(m, 0, sizeof *m);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return xtars_error(err, XTARS_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p;
        if ((uintmax_t)st.st_size > max) {
            close(fd);
            return xtars_error(err, XTARS_ETOOBIG, "%s: larger than the limit of %zu bytes", path, max);
        }
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
            m->mapping = p;
            m->data = p;
            m->len = m->mapped_len = (size_t)st.st_size;
            return XTARS_OK;
        }
    }
    close(fd);
    /* a pipe, an empty or special file: read it whole, as before */
    if ((rc = xtars_buf_read_file(&m->copy, path, max, err)) != XTARS_OK) {
        memset(m, 0, sizeof *m);
        return rc;
    }
    m->data = m->copy.data;
    m->len = m->copy.len;
    return XTARS_OK;
}

void xtars_json_map_release(struct xtars_json_map *m, const char *upto)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t at, until;

    if (m->mapping == NULL || upto < (const char *)m->mapping || page <= 0)
        return;
    at = (size_t)(upto - (const char *)m->mapping);
    until = at - at % (size_t)page;
    if (until > m->mapped_len)
        until = m->mapped_len - m->mapped_len % (size_t)page;
    if (until <= m->released)
        return;
    madvise((char *)m->mapping + m->released, until - m->released, MADV_DONTNEED);
    m->released = until;
}

void xtars_json_map_rewind(struct xtars_json_map *m, const char *from)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t at;

    if (m->mapping == NULL || from < (const char *)m->mapping || page <= 0)
        return;
    at = (size_t)(from - (const char *)m->mapping);
    if (at < m->released)
        m->released = at - at % (size_t)page;
}

void xtars_json_map_close(struct xtars_json_map *m)
{
    if (m->mapping)
        munmap(m->mapping, m->mapped_len);
    xtars_buf_cleanup(&m->copy);
    memset(m, 0, sizeof *m);
}

const char *xtars_json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Gives back what is scanned every RELEASE_EVERY bytes. */
static void scanned(struct xtars_json_map *map, const char *p, const char **next_release)
{
    if (map && p >= *next_release) {
        xtars_json_map_release(map, p);
        *next_release = p + RELEASE_EVERY;
    }
}

/* Just past the closing quote of the string that starts at p. */
static const char *string_end(const char *p, const char *end, struct xtars_json_map *map,
                              const char **next_release)
{
    for (p++; p < end; p++) {
        scanned(map, p, next_release);
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

const char *xtars_json_value_end(const char *p, const char *end, struct xtars_json_map *map)
{
    char open[SCAN_DEPTH];
    int depth = 0;
    const char *next_release = p + RELEASE_EVERY;

    if (p >= end)
        return NULL;
    if (*p == '"')
        return string_end(p, end, map, &next_release);
    if (*p != '{' && *p != '[') {
        const char *start = p;
        while (p < end && (strchr("+-.eE", *p) || (*p >= '0' && *p <= '9') ||
                           (*p >= 'a' && *p <= 'z')) && *p != '\0')
            p++;
        return p > start ? p : NULL;
    }
    for (; p < end; p++) {
        scanned(map, p, &next_release);
        if (*p == '"') {
            if ((p = string_end(p, end, map, &next_release)) == NULL)
                return NULL;
            p--;
        } else if (*p == '{' || *p == '[') {
            if (depth == SCAN_DEPTH)
                return NULL;
            open[depth++] = *p;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0 || open[depth - 1] != (*p == '}' ? '{' : '['))
                return NULL;
            if (--depth == 0)
                return p + 1;
        }
    }
    return NULL;
}
