/*
 * secret.c - password and token hashing on OpenSSL.
 */
#include "util/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Charger passwords are machine secrets (OCPP AuthorizationKey: 16-40 random
 * characters in practice), whose strength is their entropy; the work factor only
 * slows guessing of weak ones. Each first connection of a charger pays it on the
 * network thread (reconnects hit the verified-credential cache), and in a boot
 * storm that is the largest cost per connection: at 1,000 rounds PBKDF2 was 29% of
 * the server's CPU during a 3,000-charger storm. 256 rounds cost about 0.08 ms.
 * The count is stored with each hash, so changing it keeps old hashes valid. */
#define PBKDF2_ITER 256
#define SALT_LEN 16
#define KEY_LEN 32

static int derive(const char *password, const unsigned char *salt, size_t salt_len, int iter,
		  unsigned char key[KEY_LEN])
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iter,
				 EVP_sha256(), KEY_LEN, key) == 1
		       ? 0
		       : -1;
}

int secret_hash_password(const char *password, char *out, size_t size)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	unsigned char salt64[32], key64[64];
	if (RAND_bytes(salt, sizeof(salt)) != 1 || derive(password, salt, sizeof(salt), PBKDF2_ITER, key))
		return -1;
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(key64, key, sizeof(key));
	int n = snprintf(out, size, "pbkdf2-sha256$%d$%s$%s", PBKDF2_ITER, salt64, key64);
	return (n > 0 && (size_t)n < size) ? 0 : -1;
}

int secret_verify_password(const char *password, const char *stored)
{
	char copy[SECRET_HASH_MAX];
	if (!stored || strlen(stored) >= sizeof(copy))
		return 0;
	memcpy(copy, stored, strlen(stored) + 1);
	/* Split "scheme$iter$salt$hash" in place. */
	char *parts[4];
	char *p = copy;
	for (int i = 0; i < 4; i++) {
		parts[i] = p;
		char *d = strchr(p, '$');
		if (i < 3) {
			if (!d)
				return 0;
			*d = '\0';
			p = d + 1;
		}
	}
	if (strcmp(parts[0], "pbkdf2-sha256") != 0)
		return 0;
	int iter = atoi(parts[1]);
	if (iter < 1 || iter > 10000000)
		return 0;
	unsigned char salt[64], want[64], key[KEY_LEN];
	int salt_len = secret_base64_decode(parts[2], strlen(parts[2]), (char *)salt, sizeof(salt));
	int want_len = secret_base64_decode(parts[3], strlen(parts[3]), (char *)want, sizeof(want));
	if (salt_len <= 0 || want_len != KEY_LEN)
		return 0;
	if (derive(password, salt, (size_t)salt_len, iter, key))
		return 0;
	return CRYPTO_memcmp(key, want, KEY_LEN) == 0;
}

void secret_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int secret_random_hex(size_t nbytes, char *out)
{
	unsigned char buf[64];
	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}

int secret_base64_decode(const char *in, size_t inlen, char *out, size_t size)
{
	if (inlen % 4 != 0 || (inlen / 4) * 3 + 1 > size)
		return -1;
	int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)inlen);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts padding as zero bytes; remove them. */
	if (inlen >= 1 && in[inlen - 1] == '=')
		n--;
	if (inlen >= 2 && in[inlen - 2] == '=')
		n--;
	out[n] = '\0';
	return n;
}
