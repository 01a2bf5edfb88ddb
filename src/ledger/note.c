/*
 * note.c - C2SP signed notes and checkpoints with Ed25519 (see note.h). The
 * private key lives in one PEM file in the data directory, created on first
 * start with mode 0600; everything else is derived from it.
 */
#include "ledger/note.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EM_DASH "\xe2\x80\x94"
#define ALG_ED25519 0x01

struct note_signer {
	EVP_PKEY *key;
	char name[128];
	uint8_t pub[32];
	uint8_t seed[32];
	uint8_t key_id[4];
	char *vkey;
	char *pem;
};

char *note_b64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int note_unb64(const char *in, size_t inlen, uint8_t *out, size_t size)
{
	if (inlen == 0 || inlen % 4 != 0)
		return -1;
	uint8_t *tmp = xmalloc(inlen / 4 * 3 + 1);
	int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)inlen);
	if (n >= 0) {
		/* EVP_DecodeBlock counts padding as zero bytes. */
		if (in[inlen - 1] == '=')
			n--;
		if (in[inlen - 2] == '=')
			n--;
	}
	if (n < 0 || (size_t)n > size)
		n = -1;
	else
		memcpy(out, tmp, (size_t)n);
	free(tmp);
	return n;
}

static void key_id(const char *name, const uint8_t pub[32], uint8_t out[4])
{
	static const uint8_t sep[2] = {'\n', ALG_ED25519};
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	/* Only allocation can fail here, and allocation failure aborts everywhere else. */
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, name, strlen(name)) ||
	    !EVP_DigestUpdate(ctx, sep, 2) || !EVP_DigestUpdate(ctx, pub, 32) || !EVP_DigestFinal_ex(ctx, md, &n))
		abort();
	EVP_MD_CTX_free(ctx);
	memcpy(out, md, 4);
}

static int valid_name(const char *name)
{
	if (!*name || strlen(name) >= 128)
		return 0;
	for (const char *p = name; *p; p++)
		if (*p == '+' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			return 0;
	return 1;
}

/* Fills the derived fields of s from s->key. 0 or -1. */
static int signer_finish(note_signer *s)
{
	size_t plen = 32, slen = 32;
	if (EVP_PKEY_get_raw_public_key(s->key, s->pub, &plen) != 1 || plen != 32 ||
	    EVP_PKEY_get_raw_private_key(s->key, s->seed, &slen) != 1 || slen != 32)
		return -1;
	key_id(s->name, s->pub, s->key_id);
	uint8_t raw[33];
	raw[0] = ALG_ED25519;
	memcpy(raw + 1, s->pub, 32);
	char *b = note_b64(raw, sizeof(raw));
	s->vkey = xasprintf("%s+%02x%02x%02x%02x+%s", s->name, s->key_id[0], s->key_id[1], s->key_id[2],
			    s->key_id[3], b);
	free(b);
	BIO *bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PUBKEY(bio, s->key) != 1) {
		BIO_free(bio);
		return -1;
	}
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	s->pem = xstrndup(data, (size_t)n);
	BIO_free(bio);
	return 0;
}

note_signer *note_signer_from_seed(const uint8_t seed[32], const char *name)
{
	if (!valid_name(name))
		return NULL;
	note_signer *s = xcalloc(1, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!s->key || signer_finish(s)) {
		note_signer_free(s);
		return NULL;
	}
	return s;
}

/* Creates a new key file at path (0600, never over an existing file). */
static EVP_PKEY *create_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
		snprintf(err, errlen, "cannot generate an Ed25519 key");
		goto error;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto error;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto error;
	}
	int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok) {
		snprintf(err, errlen, "%s: cannot write the key", path);
		unlink(path);
		goto error;
	}
	EVP_PKEY_CTX_free(ctx);
	return key;
error:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

int note_signer_open(const char *path, const char *name, note_signer **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!valid_name(name)) {
		snprintf(err, errlen, "ledger key name '%s': no spaces or '+'", name);
		return NOTE_EFORMAT;
	}
	note_signer *s = xcalloc(1, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	FILE *f = fopen(path, "r");
	if (f) {
		s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!s->key || EVP_PKEY_get_id(s->key) != EVP_PKEY_ED25519) {
			snprintf(err, errlen, "%s: not an Ed25519 private key", path);
			goto error;
		}
	} else if (errno == ENOENT) {
		s->key = create_key(path, err, errlen);
		if (!s->key)
			goto error;
	} else {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto error;
	}
	if (signer_finish(s)) {
		snprintf(err, errlen, "%s: cannot use the key", path);
		goto error;
	}
	*out = s;
	return 0;
error:
	note_signer_free(s);
	return NOTE_EIO;
}

void note_signer_free(note_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	OPENSSL_cleanse(s->seed, sizeof(s->seed));
	free(s->vkey);
	free(s->pem);
	free(s);
}

const char *note_signer_vkey(const note_signer *s)
{
	return s->vkey;
}

const char *note_signer_pem(const note_signer *s)
{
	return s->pem;
}

void note_signer_derive(const note_signer *s, const char *label, uint8_t out[32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), s->seed, sizeof(s->seed), (const unsigned char *)label, strlen(label), out, &n);
}

char *note_sign(const note_signer *s, const char *text)
{
	size_t len = strlen(text);
	if (!len || text[len - 1] != '\n')
		return NULL;
	uint8_t sig[4 + 64];
	size_t siglen = 64;
	memcpy(sig, s->key_id, 4);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
		 EVP_DigestSign(ctx, sig + 4, &siglen, (const unsigned char *)text, len) == 1 && siglen == 64;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return NULL;
	char *b = note_b64(sig, sizeof(sig));
	char *note = xasprintf("%s\n" EM_DASH " %s %s\n", text, s->name, b);
	free(b);
	return note;
}

/* Reads a PEM Ed25519 public key's 32 raw bytes. 0 or -1. */
static int pem_pub(const char *pem, uint8_t pub[32])
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	size_t n = 32;
	int rc = k && EVP_PKEY_get_id(k) == EVP_PKEY_ED25519 && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 &&
			 n == 32
		     ? 0
		     : -1;
	EVP_PKEY_free(k);
	BIO_free(bio);
	return rc;
}

int note_verifier_parse(const char *text, const char *pem_name, note_verifier *out)
{
	memset(out, 0, sizeof(*out));
	while (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')
		text++;
	if (strncmp(text, "-----BEGIN", 10) == 0) {
		const char *name = pem_name ? pem_name : "chargeops/ledger";
		if (!valid_name(name) || pem_pub(text, out->pub))
			return NOTE_EFORMAT;
		snprintf(out->name, sizeof(out->name), "%s", name);
		key_id(out->name, out->pub, out->key_id);
		return 0;
	}
	const char *p1 = strchr(text, '+');
	const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	if (!p1 || !p2 || p1 == text || (size_t)(p1 - text) >= sizeof(out->name) || p2 - p1 - 1 != 8)
		return NOTE_EFORMAT;
	memcpy(out->name, text, (size_t)(p1 - text));
	for (int i = 0; i < 4; i++) {
		unsigned v;
		char hx[3] = {p1[1 + 2 * i], p1[2 + 2 * i], 0};
		char *end;
		v = (unsigned)strtoul(hx, &end, 16);
		if (*end)
			return NOTE_EFORMAT;
		out->key_id[i] = (uint8_t)v;
	}
	size_t blen = strcspn(p2 + 1, " \r\n\t");
	uint8_t raw[64];
	if (note_unb64(p2 + 1, blen, raw, sizeof(raw)) != 33 || raw[0] != ALG_ED25519)
		return NOTE_EFORMAT;
	memcpy(out->pub, raw + 1, 32);
	uint8_t want[4];
	key_id(out->name, out->pub, want);
	return memcmp(want, out->key_id, 4) == 0 ? 0 : NOTE_EFORMAT;
}

int note_verify(const note_verifier *v, const char *note, size_t *text_len)
{
	/* The text ends at the last "\n\n" before the signature lines. */
	const char *sep = strstr(note, "\n\n" EM_DASH " ");
	if (!sep)
		return NOTE_EFORMAT;
	for (const char *q; (q = strstr(sep + 1, "\n\n" EM_DASH " "));)
		sep = q;
	size_t tlen = (size_t)(sep - note) + 1;
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, v->pub, 32);
	if (!key)
		return NOTE_EFORMAT;
	int rc = NOTE_ESIG;
	const char *line = sep + 2;
	size_t nlen = strlen(v->name);
	while (*line) {
		const char *eol = strchr(line, '\n');
		if (!eol)
			break; /* every line ends in a newline */
		if (strncmp(line, EM_DASH " ", 4) != 0) {
			rc = NOTE_EFORMAT;
			break;
		}
		const char *name = line + 4;
		if ((size_t)(eol - name) > nlen + 1 && strncmp(name, v->name, nlen) == 0 && name[nlen] == ' ') {
			const char *b = name + nlen + 1;
			uint8_t sig[128];
			int n = note_unb64(b, (size_t)(eol - b), sig, sizeof(sig));
			if (n == 68 && memcmp(sig, v->key_id, 4) == 0) {
				EVP_MD_CTX *ctx = EVP_MD_CTX_new();
				int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
					 EVP_DigestVerify(ctx, sig + 4, 64, (const unsigned char *)note, tlen) == 1;
				EVP_MD_CTX_free(ctx);
				if (ok) {
					rc = 0;
					break;
				}
			}
		}
		line = eol + 1;
	}
	EVP_PKEY_free(key);
	if (!rc && text_len)
		*text_len = tlen;
	return rc;
}

char *checkpoint_text(const char *origin, uint64_t size, const merkle_hash *root)
{
	char *b = note_b64(root->b, MERKLE_HASH_LEN);
	char *t = xasprintf("%s\n%" PRIu64 "\n%s\n", origin, size, b);
	free(b);
	return t;
}

int checkpoint_parse(const char *text, size_t len, char *origin, size_t origin_len, uint64_t *size,
		     merkle_hash *root)
{
	const char *end = text + len;
	const char *l1 = memchr(text, '\n', len);
	if (!l1 || l1 == text || (size_t)(l1 - text) >= origin_len)
		return NOTE_EFORMAT;
	const char *l2 = memchr(l1 + 1, '\n', (size_t)(end - l1 - 1));
	if (!l2)
		return NOTE_EFORMAT;
	const char *l3 = memchr(l2 + 1, '\n', (size_t)(end - l2 - 1));
	if (!l3)
		return NOTE_EFORMAT;
	memcpy(origin, text, (size_t)(l1 - text));
	origin[l1 - text] = '\0';
	/* The size: decimal, no sign, no leading zeros (except "0" itself). */
	const char *s = l1 + 1;
	if (s == l2 || (s[0] == '0' && l2 - s > 1) || l2 - s > 20)
		return NOTE_EFORMAT;
	uint64_t v = 0;
	for (const char *p = s; p < l2; p++) {
		if (*p < '0' || *p > '9')
			return NOTE_EFORMAT;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*size = v;
	if (note_unb64(l2 + 1, (size_t)(l3 - l2 - 1), root->b, MERKLE_HASH_LEN) != MERKLE_HASH_LEN)
		return NOTE_EFORMAT;
	return 0;
}
