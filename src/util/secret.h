/*
 * secret.h - hashing of charger passwords and API tokens, random identifiers,
 * base64. Charger passwords are stored as salted PBKDF2-HMAC-SHA256; API tokens
 * (32 random bytes, so a slow hash buys nothing) as their SHA-256.
 */
#ifndef CHARGEOPS_SECRET_H
#define CHARGEOPS_SECRET_H
#include <stddef.h>

#define SECRET_HASH_MAX 128

/* Hashes password into out ("pbkdf2-sha256$ITER$SALT$HASH", base64 parts). 0 or -1. */
int secret_hash_password(const char *password, char *out, size_t size);
/* Returns 1 when password matches the stored hash, 0 otherwise (constant time compare). */
int secret_verify_password(const char *password, const char *stored);
/* Lower-case hex SHA-256 of data into out (65 bytes). */
void secret_sha256_hex(const void *data, size_t len, char out[65]);
/* nbytes random bytes as lower-case hex into out (2*nbytes+1 bytes). 0 or -1. */
int secret_random_hex(size_t nbytes, char *out);
/* Decodes standard base64 into out (NUL-terminated); returns length or -1. */
int secret_base64_decode(const char *in, size_t inlen, char *out, size_t size);

#endif
