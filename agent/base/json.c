/* json.c: JSON writing helpers. Output is always valid JSON and valid UTF-8,
 * whatever bytes the model or a file handed us. Never prints. */
#include "agent/base/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

size_t xtars_utf8_sequence_len(const char *s, size_t n)
{
    return n ? utf8_valid_len((const unsigned char *)s, n) : 0;
}

int xtars_json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0, len; i < n; i += len)
        if ((len = utf8_valid_len(p + i, n - i)) == 0)
            return 0;
    return 1;
}

xtars_err xtars_json_put_stringn(struct xtars_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    xtars_err rc = xtars_buf_putc(out, '"');

    while (rc == XTARS_OK && i < n) {
        unsigned char ch = p[i];
        size_t len;
        char esc[8];

        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch < 0x7f) {
            run++, i++;
            continue;
        }
        if (run)
            rc = xtars_buf_append(out, p + i - run, run);
        run = 0;
        if (rc != XTARS_OK)
            break;
        if (ch >= 0x80) {
            len = utf8_valid_len(p + i, n - i);
            if (len == 2 && ch == 0xC2 && p[i + 1] < 0xA0) /* C1 control: 0x9b is a CSI */
                rc = xtars_buf_printf(out, "\\u%04x", p[i + 1]);
            else
                rc = len ? xtars_buf_append(out, p + i, len) : xtars_buf_puts(out, "\xEF\xBF\xBD");
            i += len ? len : 1;
            continue;
        }
        if (ch == '"' || ch == '\\')
            snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch == '\n')
            strcpy(esc, "\\n");
        else if (ch == '\t')
            strcpy(esc, "\\t");
        else if (ch == '\r')
            strcpy(esc, "\\r");
        else
            snprintf(esc, sizeof esc, "\\u%04x", ch);
        rc = xtars_buf_puts(out, esc);
        i++;
    }
    if (rc == XTARS_OK && run)
        rc = xtars_buf_append(out, p + i - run, run);
    if (rc == XTARS_OK)
        rc = xtars_buf_putc(out, '"');
    return rc;
}

/* The code point of the valid sequence of len bytes at s. */
static unsigned utf8_decode(const unsigned char *s, size_t len)
{
    unsigned cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;

    for (size_t i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3Fu);
    return cp;
}

xtars_err xtars_json_put_string_ascii(struct xtars_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    xtars_err rc;

    if (s == NULL)
        return xtars_buf_puts(out, "null");
    rc = xtars_buf_putc(out, '"');
    for (size_t i = 0; rc == XTARS_OK && i < n;) {
        size_t len = utf8_valid_len(p + i, n - i);
        unsigned cp = len ? utf8_decode(p + i, len) : 0xFFFD;
        static const char named[] = "\b\f\n\r\t\"\\";
        static const char letter[] = "bfnrt\"\\";
        const char *hit = cp < 0x80 && cp ? strchr(named, (int)cp) : NULL;

        i += len ? len : 1;
        if (hit)
            rc = xtars_buf_printf(out, "\\%c", letter[hit - named]);
        else if (cp >= 0x20 && cp < 0x7f)
            rc = xtars_buf_putc(out, (char)cp);
        else if (cp < 0x10000)
            rc = xtars_buf_printf(out, "\\u%04x", cp);
        else /* a UTF-16 surrogate pair, as Python writes it */
            rc = xtars_buf_printf(out, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                                  0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
    return rc == XTARS_OK ? xtars_buf_putc(out, '"') : rc;
}

xtars_err xtars_json_put_string(struct xtars_buf *out, const char *s)
{
    if (s == NULL)
        return xtars_buf_puts(out, "null");
    return xtars_json_put_stringn(out, s, strlen(s));
}

xtars_err xtars_json_put_number(struct xtars_buf *out, double v)
{
    char text[40];

    if (!isfinite(v))
        return xtars_buf_puts(out, "null");
    if (v == floor(v) && fabs(v) < 1e15)
        return xtars_buf_printf(out, "%.0f", v);
    for (int precision = 6; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return xtars_buf_puts(out, text);
}

void xtars_json_position(const char *text, size_t at, int *line, int *column)
{
    int l = 1, c = 1;

    for (size_t i = 0; i < at && text[i]; i++) {
        if (text[i] == '\n')
            l++, c = 1;
        else
            c++;
    }
    *line = l;
    *column = c;
}

/* ---- locating a value by its path (for messages; malformed text gives 0) ---- */

static size_t skip_space(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* t[i] is '"'; the index after the closing quote, or n. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return n;
}

/* The index after the value starting at t[i] (nesting bounded by depth). */
static size_t skip_value(const char *t, size_t n, size_t i, int depth)
{
    char open, close;

    if (i >= n)
        return n;
    if (t[i] == '"')
        return skip_string(t, n, i);
    if (t[i] != '{' && t[i] != '[') {
        while (i < n && !strchr(",]}: \t\r\n", t[i]))
            i++;
        return i;
    }
    if (depth > 64)
        return n;
    open = t[i];
    close = open == '{' ? '}' : ']';
    i = skip_space(t, n, i + 1);
    while (i < n && t[i] != close) {
        if (open == '{') {
            i = skip_space(t, n, skip_string(t, n, i));
            if (i >= n || t[i] != ':')
                return n;
            i = skip_space(t, n, i + 1);
        }
        i = skip_space(t, n, skip_value(t, n, i, depth + 1));
        if (i < n && t[i] == ',')
            i = skip_space(t, n, i + 1);
        else if (i < n && t[i] != close)
            return n;
    }
    return i < n ? i + 1 : n;
}

/* Offset of one path step inside the value at t[i]: the member's key (the
 * value's offset in *value) or the element; n when absent. */
static size_t find_step(const char *t, size_t n, size_t i, const struct xtars_json_step *step,
                        size_t *value)
{
    size_t key_len = step->key ? strlen(step->key) : 0;
    int element = 0;

    if (i >= n || t[i] != (step->key ? '{' : '['))
        return n;
    i = skip_space(t, n, i + 1);
    while (i < n && t[i] != (step->key ? '}' : ']')) {
        size_t at = i;
        int match;
        if (step->key) {
            size_t end = skip_string(t, n, i);
            match = t[i] == '"' && end - i == key_len + 2 && memcmp(t + i + 1, step->key, key_len) == 0;
            i = skip_space(t, n, end);
            if (i >= n || t[i] != ':')
                return n;
            i = skip_space(t, n, i + 1);
        } else {
            match = element++ == step->index;
        }
        if (match) {
            *value = i;
            return at;
        }
        i = skip_space(t, n, skip_value(t, n, i, 1));
        if (i < n && t[i] == ',')
            i = skip_space(t, n, i + 1);
        else if (i >= n || (t[i] != '}' && t[i] != ']'))
            return n;
    }
    return n;
}

int xtars_json_line_of(const char *text, size_t len, const struct xtars_json_step *path,
                       int count)
{
    size_t i = skip_space(text, len, 0), at = i;
    int line, column;

    for (int k = 0; k < count; k++) {
        size_t value = len;
        at = find_step(text, len, i, &path[k], &value);
        if (at >= len)
            return 0;
        i = value;
    }
    if (at >= len)
        return 0;
    xtars_json_position(text, at, &line, &column);
    return line;
}

const char *xtars_json_cjson_version(void)
{
    return cJSON_Version();
}
