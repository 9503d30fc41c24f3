/* agent/base/redact.h: finding the credentials inside config values, for the
 * redactor of log.c (xtars/log.h). An endpoint URL may carry `user:pass@` or
 * a token in its query; extra_headers may carry an API key written literally.
 * Nothing here allocates for the caller; registered secrets are copied. */
#ifndef XTARS_BASE_REDACT_H
#define XTARS_BASE_REDACT_H

#include <stddef.h>

#include "xtars/error.h"

/* url without its user information, query and fragment, into out (size
 * bytes, NUL-terminated): what may be shown or recorded of an endpoint. */
void xtars_redact_url(const char *url, char *out, size_t size);

/* 1 when a header of this name carries credentials: Authorization,
 * Proxy-Authorization, Cookie, api-key, x-api-key, or any name containing
 * "key", "token" or "secret" (case-insensitive). */
int xtars_redact_is_credential_header(const char *name, size_t len);

/* Registers with the redactor the password and the whole user information of
 * url, and every query value. ENOMEM, ETOOBIG as xtars_log_add_secret(). */
xtars_err xtars_redact_add_url(const char *url);

/* Registers the values of credential headers in "Name: value\n" lines, and
 * the last word of each (the token after "Bearer "). Same errors. */
xtars_err xtars_redact_add_headers(const char *lines);

#endif
