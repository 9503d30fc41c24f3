/* sha256.h: SHA-256 (FIPS 180-4) of a byte string, for the report's
 * Content-Security-Policy hashes. Not for secrets: no constant-time claims.
 * Nothing is allocated; the caller owns the 32-byte digest buffer.
 */
#ifndef XTARS_SHA256_H
#define XTARS_SHA256_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XTARS_SHA256_LEN 32

/* Writes the digest of data[0..len) into digest. */
void xtars_sha256(const void *data, size_t len, unsigned char digest[XTARS_SHA256_LEN]);

#ifdef __cplusplus
}
#endif
#endif
