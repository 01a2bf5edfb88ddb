/*
 * ocmf.c - OCMF signed meter value verification (see ocmf.h). Records are
 * never re-serialised: the signature is checked over the payload bytes as
 * they sit between the first and the last '|' of the value the charger sent.
 */
#include "ledger/ocmf.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	[OCMF_UNSIGNED] = "unsigned",
	[OCMF_VERIFIED] = "verified",
	[OCMF_NO_KEY] = "no_key",
	[OCMF_CHECK_FAILED] = "failed_checks",
	[OCMF_BAD_FORMAT] = "invalid_format",
	[OCMF_BAD_SIGNATURE] = "invalid_signature",
};

const char *ocmf_status_name(enum ocmf_status s)
{
	return status_names[s];
}

/* Signature algorithms we verify: OCMF name -> curve. */
static const struct {
	const char *sa, *curve;
} algorithms[] = {
	{"ECDSA-secp256r1-SHA256", "prime256v1"},
	{"ECDSA-secp384r1-SHA256", "secp384r1"},
};

/* Decodes hex (whitespace-free) into a new buffer; NULL if not hex. */
static unsigned char *unhex(const char *s, size_t len, size_t *out_len)
{
	if (!len || len % 2)
		return NULL;
	unsigned char *b = xmalloc(len / 2);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*out_len = len / 2;
	return b;
}

/* Reads an EC public key from PEM or hex DER; NULL if neither. Caller frees. */
static EVP_PKEY *read_key(const char *text)
{
	if (!text)
		return NULL;
	while (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')
		text++;
	if (!*text)
		return NULL;
	EVP_PKEY *k = NULL;
	if (strncmp(text, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(text, -1);
		if (bio)
			k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		size_t n = strlen(text);
		while (n && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r'))
			n--;
		size_t dlen;
		unsigned char *der = unhex(text, n, &dlen);
		if (der) {
			const unsigned char *p = der;
			k = d2i_PUBKEY(NULL, &p, (long)dlen);
			free(der);
		}
	}
	if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* The key's curve name into buf (64 bytes); "" if it has none. */
static const char *key_curve(EVP_PKEY *k, char buf[64])
{
	size_t n;
	if (EVP_PKEY_get_group_name(k, buf, 64, &n) != 1)
		buf[0] = '\0';
	return buf;
}

int ocmf_key_valid(const char *text)
{
	EVP_PKEY *k = read_key(text);
	char cb[64];
	int ok = 0;
	for (size_t i = 0; k && i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		ok |= strcmp(key_curve(k, cb), algorithms[i].curve) == 0;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

void ocmf_check_init(ocmf_check *c, const char *pubkey)
{
	memset(c, 0, sizeof(*c));
	if (pubkey && *pubkey) {
		c->key = read_key(pubkey);
		c->key_bad = c->key == NULL;
	}
}

void ocmf_check_release(ocmf_check *c)
{
	EVP_PKEY_free(c->key);
	c->key = NULL;
}

/* Records the worse of the current and a new status, keeping the first detail
 * of the worst. */
static void worsen(ocmf_check *c, enum ocmf_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void worsen(ocmf_check *c, enum ocmf_status s, const char *fmt, ...)
{
	if (s < c->status || (s == c->status && c->detail[0]))
		return;
	c->status = s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void add_readings(ocmf_check *c, const json_t *payload)
{
	const json_t *rd = json_object_get(payload, "RD");
	if (!json_is_array(rd) || json_array_size(rd) == 0) {
		worsen(c, OCMF_BAD_FORMAT, "no readings (RD)");
		return;
	}
	size_t i;
	const json_t *r;
	json_array_foreach(rd, i, r)
	{
		const char *tx = json_string_value(json_object_get(r, "TX"));
		const json_t *rv = json_object_get(r, "RV");
		const char *st = json_string_value(json_object_get(r, "ST"));
		const char *ef = json_string_value(json_object_get(r, "EF"));
		const char *ru = json_string_value(json_object_get(r, "RU"));
		if (!json_is_number(rv)) {
			worsen(c, OCMF_BAD_FORMAT, "a reading without a value (RV)");
			continue;
		}
		if (!st || strcmp(st, "G") != 0)
			worsen(c, OCMF_CHECK_FAILED, "meter status '%s' is not G (good)", st ? st : "(none)");
		if (ef && *ef)
			worsen(c, OCMF_CHECK_FAILED, "error flags '%s' set", ef);
		if (ru) {
			if (c->unit[0] && strcmp(c->unit, ru) != 0)
				worsen(c, OCMF_CHECK_FAILED, "readings in different units (%s)", ru);
			snprintf(c->unit, sizeof(c->unit), "%s", ru);
		}
		if (tx && strcmp(tx, "B") == 0) {
			c->begins++;
			c->begin_value = json_number_value(rv);
		} else if (tx && strcmp(tx, "E") == 0) {
			c->ends++;
			c->end_value = json_number_value(rv);
		}
	}
}

void ocmf_check_add(ocmf_check *c, const char *record, size_t len)
{
	if (c->status == OCMF_UNSIGNED)
		c->status = OCMF_VERIFIED;
	c->records++;
	/* OCMF|payload|signature: the signature section is after the last '|'. */
	if (len < 7 || memcmp(record, "OCMF|", 5) != 0) {
		worsen(c, OCMF_BAD_FORMAT, "not an OCMF record");
		return;
	}
	const char *payload = record + 5;
	const char *bar = NULL;
	for (const char *p = record + len - 1; p >= payload; p--)
		if (*p == '|') {
			bar = p;
			break;
		}
	if (!bar) {
		worsen(c, OCMF_BAD_FORMAT, "no signature section");
		return;
	}
	size_t plen = (size_t)(bar - payload);
	json_error_t e;
	json_t *pj = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, &e);
	json_t *sj = json_loadb(bar + 1, (size_t)(record + len - bar - 1), JSON_REJECT_DUPLICATES, &e);
	unsigned char *sig = NULL;
	EVP_MD_CTX *ctx = NULL;
	if (!json_is_object(pj) || !json_is_object(sj)) {
		worsen(c, OCMF_BAD_FORMAT, "payload or signature section is not a JSON object");
		goto out;
	}
	const char *sa = json_string_value(json_object_get(sj, "SA"));
	const char *se = json_string_value(json_object_get(sj, "SE"));
	const char *sd = json_string_value(json_object_get(sj, "SD"));
	if (!sa)
		sa = "ECDSA-secp256r1-SHA256"; /* OCMF's default */
	const char *curve = NULL;
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strcmp(algorithms[i].sa, sa) == 0)
			curve = algorithms[i].curve;
	if (!curve) {
		worsen(c, OCMF_BAD_FORMAT, "signature algorithm %s is not supported", sa);
		goto out;
	}
	if ((se && strcmp(se, "hex") != 0) || !sd) {
		worsen(c, OCMF_BAD_FORMAT, "signature data (SD) missing or not hex");
		goto out;
	}
	add_readings(c, pj);
	if (!c->key) {
		worsen(c, OCMF_NO_KEY, "%s", c->key_bad ? "the registered meter key cannot be read"
							: "no meter public key registered for the charger");
		goto out;
	}
	char cb[64];
	if (strcmp(key_curve(c->key, cb), curve) != 0) {
		worsen(c, OCMF_BAD_SIGNATURE, "the meter key is not on the curve of %s", sa);
		goto out;
	}
	size_t slen;
	sig = unhex(sd, strlen(sd), &slen);
	ctx = EVP_MD_CTX_new();
	if (!sig || !ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, c->key) != 1 ||
	    EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)payload, plen) != 1)
		worsen(c, OCMF_BAD_SIGNATURE, "a record's signature does not verify");
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	json_decref(pj);
	json_decref(sj);
}

enum ocmf_status ocmf_check_finish(ocmf_check *c)
{
	if (c->status == OCMF_UNSIGNED)
		return c->status;
	char n[64];
	if (c->begins != 1 || c->ends != 1) {
		snprintf(n, sizeof(n), "%d begin and %d end readings", c->begins, c->ends);
		worsen(c, OCMF_CHECK_FAILED, "expected one begin and one end reading, got %s", n);
	} else if (c->begin_value > c->end_value) {
		snprintf(n, sizeof(n), "%g > %g", c->begin_value, c->end_value);
		worsen(c, OCMF_CHECK_FAILED, "begin reading above end reading (%s)", n);
	}
	if (c->status == OCMF_VERIFIED)
		snprintf(c->detail, sizeof(c->detail), "%d record%s, %g..%g %s", c->records,
			 c->records == 1 ? "" : "s", c->begin_value, c->end_value, c->unit);
	return c->status;
}

char *ocmf_sign(const char *payload, const char *private_pem)
{
	BIO *bio = BIO_new_mem_buf(private_pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[160];
	size_t slen = sizeof(sig);
	char *out = NULL, cb[64];
	const char *sa = NULL;
	for (size_t i = 0; k && i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strcmp(key_curve(k, cb), algorithms[i].curve) == 0)
			sa = algorithms[i].sa;
	if (sa && ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)payload, strlen(payload)) == 1) {
		static const char digits[] = "0123456789abcdef";
		char hex[2 * sizeof(sig) + 1];
		for (size_t i = 0; i < slen; i++) {
			hex[2 * i] = digits[sig[i] >> 4];
			hex[2 * i + 1] = digits[sig[i] & 15];
		}
		hex[2 * slen] = '\0';
		out = xasprintf("OCMF|%s|{\"SA\":\"%s\",\"SD\":\"%s\"}", payload, sa, hex);
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return out;
}
