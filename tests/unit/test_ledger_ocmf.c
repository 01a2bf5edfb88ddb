/*
 * test_ledger_ocmf.c - OCMF signed meter values: a valid record verifies
 * against the meter's key (PEM or hex DER, P-256 and P-384); a record with one
 * byte altered, a wrong key or no key does not; and the transparency checks
 * (one begin and one end reading, begin <= end, status G, no error flags).
 * Also the signed-note checkpoint round trip and rejection of a wrong key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/ocmf.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh EC key: private PEM and public PEM / hex DER, caller frees. */
static void make_key(const char *curve, char **priv, char **pub_pem, char **pub_hex)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	assert_non_null(k);
	BIO *b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	*priv = strndup(d, (size_t)n);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &d);
	*pub_pem = strndup(d, (size_t)n);
	BIO_free(b);
	unsigned char *der = NULL;
	int dl = i2d_PUBKEY(k, &der);
	assert_true(dl > 0);
	*pub_hex = malloc((size_t)dl * 2 + 1);
	for (int i = 0; i < dl; i++)
		snprintf(*pub_hex + 2 * i, 3, "%02X", der[i]);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static const char *const payload_ok =
	"{\"FV\":\"1.0\",\"GI\":\"ChargeOps Sim\",\"GS\":\"SIM-1\",\"PG\":\"T1\",\"MV\":\"Sim\",\"MS\":\"M1\","
	"\"IS\":true,\"IT\":\"ISO14443\",\"ID\":\"04AB\",\"RD\":[{\"TM\":\"2026-01-01T10:00:00,000+0000 S\","
	"\"TX\":\"B\",\"RV\":12.345,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"EF\":\"\",\"ST\":\"G\"},"
	"{\"TM\":\"2026-01-01T11:00:00,000+0000 S\",\"TX\":\"E\",\"RV\":20.5,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\","
	"\"RT\":\"AC\",\"EF\":\"\",\"ST\":\"G\"}]}";

static enum ocmf_status check_one(const char *key, const char *record, char *detail)
{
	ocmf_check c;
	ocmf_check_init(&c, key);
	ocmf_check_add(&c, record, strlen(record));
	enum ocmf_status s = ocmf_check_finish(&c);
	if (detail)
		snprintf(detail, 200, "%s", c.detail);
	ocmf_check_release(&c);
	return s;
}

static void test_valid_and_altered(void **state)
{
	(void)state;
	static const char *const curves[] = {"P-256", "P-384"};
	for (int ci = 0; ci < 2; ci++) {
		char *priv, *pem, *hex;
		make_key(curves[ci], &priv, &pem, &hex);
		char *rec = ocmf_sign(payload_ok, priv);
		assert_non_null(rec);
		assert_non_null(strstr(rec, ci ? "secp384r1" : "secp256r1"));
		assert_int_equal(ocmf_key_valid(pem), 0);
		assert_int_equal(ocmf_key_valid(hex), 0);
		char detail[200];
		assert_int_equal(check_one(pem, rec, detail), OCMF_VERIFIED);
		assert_non_null(strstr(detail, "12.345..20.5 kWh"));
		assert_int_equal(check_one(hex, rec, NULL), OCMF_VERIFIED);
		/* Every single-byte change in the payload breaks the signature (or the format). */
		size_t plen = strlen(payload_ok);
		for (size_t i = 5; i < 5 + plen; i += 7) {
			char *bad = strdup(rec);
			bad[i] = bad[i] == '1' ? '2' : '1';
			enum ocmf_status s = check_one(pem, bad, NULL);
			assert_true(s == OCMF_BAD_SIGNATURE || s == OCMF_BAD_FORMAT);
			free(bad);
		}
		/* The value itself, one digit. */
		char *bad = strdup(rec);
		char *rv = strstr(bad, "20.5");
		rv[1] = '1';
		assert_int_equal(check_one(pem, bad, detail), OCMF_BAD_SIGNATURE);
		free(bad);
		/* No key, an unreadable key, another meter's key. */
		assert_int_equal(check_one(NULL, rec, NULL), OCMF_NO_KEY);
		assert_int_equal(check_one("not a key", rec, NULL), OCMF_NO_KEY);
		char *priv2, *pem2, *hex2;
		make_key(curves[ci], &priv2, &pem2, &hex2);
		assert_int_equal(check_one(pem2, rec, NULL), OCMF_BAD_SIGNATURE);
		free(priv2), free(pem2), free(hex2);
		free(rec), free(priv), free(pem), free(hex);
	}
	assert_int_equal(ocmf_key_valid("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n"), -1);
	assert_int_equal(check_one(NULL, "OCMF|{}", NULL), OCMF_BAD_FORMAT);
	assert_int_equal(check_one(NULL, "hello", NULL), OCMF_BAD_FORMAT);
}

/* Signed, but the transparency checks fail. */
static void test_transparency_checks(void **state)
{
	(void)state;
	char *priv, *pem, *hex;
	make_key("P-256", &priv, &pem, &hex);
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
		{"\"TX\":\"E\"", "\"TX\":\"C\"", "one begin and one end"},
		{"\"RV\":20.5", "\"RV\":10.5", "begin reading above end"},
		{"\"EF\":\"\",\"ST\":\"G\"}]", "\"EF\":\"\",\"ST\":\"E\"}]", "meter status"},
		{"\"EF\":\"\",\"ST\":\"G\"}]", "\"EF\":\"t\",\"ST\":\"G\"}]", "error flags"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char payload[1024];
		const char *at = strstr(payload_ok, cases[i].from);
		assert_non_null(at);
		snprintf(payload, sizeof(payload), "%.*s%s%s", (int)(at - payload_ok), payload_ok, cases[i].to,
			 at + strlen(cases[i].from));
		char *rec = ocmf_sign(payload, priv);
		char detail[200];
		assert_int_equal(check_one(pem, rec, detail), OCMF_CHECK_FAILED);
		assert_non_null(strstr(detail, cases[i].why));
		free(rec);
	}
	/* Begin and end in two records (the per-reading style) is fine. */
	char b[1024], e[1024];
	const char *mid = strstr(payload_ok, ",{\"TM\":\"2026-01-01T11");
	snprintf(b, sizeof(b), "%.*s]}", (int)(mid - payload_ok), payload_ok);
	const char *rd = strstr(payload_ok, "[{");
	snprintf(e, sizeof(e), "%.*s[%s", (int)(rd - payload_ok), payload_ok, mid + 1);
	char *rb = ocmf_sign(b, priv), *re = ocmf_sign(e, priv);
	ocmf_check c;
	ocmf_check_init(&c, pem);
	ocmf_check_add(&c, rb, strlen(rb));
	ocmf_check_add(&c, re, strlen(re));
	assert_int_equal(ocmf_check_finish(&c), OCMF_VERIFIED);
	assert_int_equal(c.records, 2);
	ocmf_check_release(&c);
	/* Nothing signed at all. */
	ocmf_check_init(&c, pem);
	assert_int_equal(ocmf_check_finish(&c), OCMF_UNSIGNED);
	ocmf_check_release(&c);
	free(rb), free(re), free(priv), free(pem), free(hex);
}

/* A checkpoint signed by the ledger's key verifies with its verifier key and
 * PEM, and not with another key, nor once its text changes. */
static void test_checkpoint_roundtrip(void **state)
{
	(void)state;
	uint8_t seed[32], seed2[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i, seed2[i] = (uint8_t)(i + 1);
	note_signer *s = note_signer_from_seed(seed, "example.org/log");
	note_signer *other = note_signer_from_seed(seed2, "example.org/log");
	assert_non_null(s);
	merkle_hash root;
	merkle_leaf_hash("x", 1, &root);
	char *text = checkpoint_text("example.org/log", 12345, &root);
	char *note = note_sign(s, text);
	assert_non_null(note);
	assert_int_equal(strncmp(note, "example.org/log\n12345\n", 22), 0);
	assert_non_null(strstr(note, "\n\n\xe2\x80\x94 example.org/log "));
	note_verifier v, vp, vo;
	assert_int_equal(note_verifier_parse(note_signer_vkey(s), NULL, &v), 0);
	assert_int_equal(note_verifier_parse(note_signer_pem(s), "example.org/log", &vp), 0);
	assert_int_equal(note_verifier_parse(note_signer_vkey(other), NULL, &vo), 0);
	size_t tlen;
	assert_int_equal(note_verify(&v, note, &tlen), 0);
	assert_int_equal(tlen, strlen(text));
	assert_int_equal(note_verify(&vp, note, NULL), 0);
	assert_int_equal(note_verify(&vo, note, NULL), NOTE_ESIG);
	char origin[64];
	uint64_t size;
	merkle_hash got;
	assert_int_equal(checkpoint_parse(note, tlen, origin, sizeof(origin), &size, &got), 0);
	assert_string_equal(origin, "example.org/log");
	assert_int_equal(size, 12345);
	assert_memory_equal(got.b, root.b, MERKLE_HASH_LEN);
	/* One changed character of the size. */
	char *bad = strdup(note);
	bad[16] = '2';
	assert_int_equal(note_verify(&v, bad, NULL), NOTE_ESIG);
	free(bad);
	/* A verifier key whose id does not match its key is refused. */
	char *vk = strdup(note_signer_vkey(s));
	char *plus = strchr(vk, '+');
	plus[1] = plus[1] == '0' ? '1' : '0';
	assert_int_equal(note_verifier_parse(vk, NULL, &v), NOTE_EFORMAT);
	free(vk);
	assert_int_equal(checkpoint_parse("o\n01\nAAAA\n", 10, origin, sizeof(origin), &size, &got), NOTE_EFORMAT);
	free(text);
	free(note);
	note_signer_free(s);
	note_signer_free(other);
}

/* The key file is made on first use with mode 0600 and read back the same. */
static void test_key_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/chargeops-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/ledger.key", dir);
	note_signer *a, *b;
	char err[256];
	assert_int_equal(note_signer_open(path, "chargeops/ledger", &a, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(note_signer_open(path, "chargeops/ledger", &b, err, sizeof(err)), 0);
	assert_string_equal(note_signer_vkey(a), note_signer_vkey(b));
	note_signer *c;
	assert_int_equal(note_signer_open(path, "bad name", &c, err, sizeof(err)), NOTE_EFORMAT);
	assert_null(c);
	note_signer_free(a);
	note_signer_free(b);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_and_altered),
		cmocka_unit_test(test_transparency_checks),
		cmocka_unit_test(test_checkpoint_roundtrip),
		cmocka_unit_test(test_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
