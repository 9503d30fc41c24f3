/* xtars/base64.h: RFC 4648 base64 (standard alphabet, '=' padding).
 *
 * The encoder appends straight into a caller's xtars_buf so a multi-megabyte
 * screenshot is written once, in place, into the request body. The decoder
 * also appends; neither allocates anything the caller must free beyond the
 * buffer it already owns.
 */
#ifndef XTARS_BASE64_H
#define XTARS_BASE64_H

#include <stddef.h>

#include "xtars/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of the encoding of n bytes, without a NUL. */
size_t xtars_base64_encoded_len(size_t n);

/* Appends the encoding of src[0..n) to out. ENOMEM, ETOOBIG (out unchanged). */
xtars_err xtars_base64_encode(struct xtars_buf *out, const void *src, size_t n);

/* Appends the decoding of text[0..n) to out. Padding is required when the
 * length is not a multiple of 4; white space is not accepted. Errors: EPARSE
 * (bad character or length, with its offset in err), ENOMEM, ETOOBIG. On
 * error out keeps its previous length. */
xtars_err xtars_base64_decode(struct xtars_buf *out, const char *text, size_t n, char *err);

#ifdef __cplusplus
}
#endif
#endif
