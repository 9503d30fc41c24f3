/* error.c: messages for the project-wide error enum and the helper that fills
 * caller error buffers. Never prints, never allocates. */
#include "xtars/error.h"

#include <stdarg.h>
#include <stdio.h>

#define MSG_ENTRY(name, msg) msg,
static const char *const messages[] = {XTARS_ERRNO_MAP(MSG_ENTRY)};
#undef MSG_ENTRY

#define NAME_ENTRY(name, msg) "E" #name,
static const char *const names[] = {XTARS_ERRNO_MAP(NAME_ENTRY)};
#undef NAME_ENTRY

const char *xtars_strerror(xtars_err err)
{
    if ((unsigned)err >= XTARS_ERR_COUNT)
        return "unknown error";
    return messages[err];
}

const char *xtars_err_name(xtars_err err)
{
    if (err == XTARS_OK)
        return "OK";
    if ((unsigned)err >= XTARS_ERR_COUNT)
        return "EUNKNOWN";
    return names[err];
}

xtars_err xtars_error(char *err_buf, xtars_err code, const char *fmt, ...)
{
    va_list ap;

    if (err_buf == NULL)
        return code;
    va_start(ap, fmt);
    vsnprintf(err_buf, XTARS_ERRLEN, fmt, ap);
    va_end(ap);
    for (char *p = err_buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}
