/*
 * merkle.c - RFC 9162 Merkle tree hashing and proofs (see merkle.h). The
 * proof algorithms follow the RFC's recursive definitions (PATH and SUBPROOF,
 * sections 2.1.3.1 and 2.1.4.1) over ranges of leaves; verification follows
 * its iterative algorithms (2.1.3.2 and 2.1.4.2).
 */
#include "ledger/merkle.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

void merkle_leaf_hash(const void *entry, size_t len, merkle_hash *out)
{
	static const unsigned char prefix = 0x00;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	/* Only allocation can fail here, and allocation failure aborts everywhere else. */
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, &prefix, 1) ||
	    !EVP_DigestUpdate(ctx, entry, len) || !EVP_DigestFinal_ex(ctx, out->b, &n))
		abort();
	EVP_MD_CTX_free(ctx);
}

void merkle_node_hash(const merkle_hash *left, const merkle_hash *right, merkle_hash *out)
{
	unsigned char buf[1 + 2 * MERKLE_HASH_LEN];
	buf[0] = 0x01;
	memcpy(buf + 1, left->b, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right->b, MERKLE_HASH_LEN);
	SHA256(buf, sizeof(buf), out->b);
}

void merkle_empty_root(merkle_hash *out)
{
	SHA256((const unsigned char *)"", 0, out->b);
}

uint64_t merkle_split(uint64_t n)
{
	assert(n >= 2);
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static unsigned log2u(uint64_t x)
{
	unsigned l = 0;
	while (x >>= 1)
		l++;
	return l;
}

int merkle_range_hash(merkle_node_fn fn, void *arg, uint64_t start, uint64_t count, merkle_hash *out)
{
	if (!count)
		return MERKLE_ERANGE;
	/* A complete subtree is one read; anything else splits as the RFC does, and
	 * only its right part can be incomplete again, so this loops O(log n) times. */
	if (is_pow2(count) && (start & (count - 1)) == 0) {
		unsigned level = log2u(count);
		return fn(arg, level, start >> level, out) ? MERKLE_ESOURCE : 0;
	}
	uint64_t k = merkle_split(count);
	merkle_hash l, r;
	int rc = merkle_range_hash(fn, arg, start, k, &l);
	if (!rc)
		rc = merkle_range_hash(fn, arg, start + k, count - k, &r);
	if (!rc)
		merkle_node_hash(&l, &r, out);
	return rc;
}

int merkle_root(merkle_node_fn fn, void *arg, uint64_t size, merkle_hash *out)
{
	if (!size) {
		merkle_empty_root(out);
		return 0;
	}
	return merkle_range_hash(fn, arg, 0, size, out);
}

/* Appends MTH(D[start:start+n]) to proof. */
static int push_range(merkle_node_fn fn, void *arg, uint64_t start, uint64_t n, merkle_hash *proof, size_t *len)
{
	if (*len >= MERKLE_MAX_PROOF)
		return MERKLE_ERANGE;
	int rc = merkle_range_hash(fn, arg, start, n, &proof[*len]);
	if (!rc)
		(*len)++;
	return rc;
}

/* PATH(m, D[start:start+n]) appended to proof. */
static int path(merkle_node_fn fn, void *arg, uint64_t m, uint64_t start, uint64_t n, merkle_hash *proof,
		size_t *len)
{
	if (n <= 1)
		return 0;
	uint64_t k = merkle_split(n);
	int rc;
	if (m < k)
		rc = path(fn, arg, m, start, k, proof, len);
	else
		rc = path(fn, arg, m - k, start + k, n - k, proof, len);
	if (rc)
		return rc;
	return m < k ? push_range(fn, arg, start + k, n - k, proof, len) : push_range(fn, arg, start, k, proof, len);
}

int merkle_inclusion_proof(merkle_node_fn fn, void *arg, uint64_t index, uint64_t size, merkle_hash *proof,
			   size_t *len)
{
	*len = 0;
	if (index >= size)
		return MERKLE_ERANGE;
	return path(fn, arg, index, 0, size, proof, len);
}

/* SUBPROOF(m, D[start:start+n], b) appended to proof. */
static int subproof(merkle_node_fn fn, void *arg, uint64_t m, uint64_t start, uint64_t n, int b,
		    merkle_hash *proof, size_t *len)
{
	int rc;
	if (m == n)
		return b ? 0 : push_range(fn, arg, start, n, proof, len);
	uint64_t k = merkle_split(n);
	if (m <= k)
		rc = subproof(fn, arg, m, start, k, b, proof, len);
	else
		rc = subproof(fn, arg, m - k, start + k, n - k, 0, proof, len);
	if (rc)
		return rc;
	return m <= k ? push_range(fn, arg, start + k, n - k, proof, len) : push_range(fn, arg, start, k, proof, len);
}

int merkle_consistency_proof(merkle_node_fn fn, void *arg, uint64_t m, uint64_t n, merkle_hash *proof,
			     size_t *len)
{
	*len = 0;
	if (m == 0 || m > n)
		return MERKLE_ERANGE;
	return subproof(fn, arg, m, 0, n, 1, proof, len);
}

static int same(const merkle_hash *a, const merkle_hash *b)
{
	return memcmp(a->b, b->b, MERKLE_HASH_LEN) == 0;
}

int merkle_verify_inclusion(const merkle_hash *leaf, uint64_t index, uint64_t size, const merkle_hash *proof,
			    size_t len, const merkle_hash *root)
{
	if (index >= size)
		return MERKLE_ERANGE;
	uint64_t fn = index, sn = size - 1;
	merkle_hash r = *leaf;
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return MERKLE_EVERIFY;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(&proof[i], &r, &r);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			merkle_node_hash(&r, &proof[i], &r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same(&r, root) ? 0 : MERKLE_EVERIFY;
}

int merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash *root1, const merkle_hash *root2,
			      const merkle_hash *proof, size_t len)
{
	if (m == 0 || m > n)
		return MERKLE_ERANGE;
	if (m == n)
		return len == 0 && same(root1, root2) ? 0 : MERKLE_EVERIFY;
	if (len == 0)
		return MERKLE_EVERIFY;
	/* When m is a power of two the first tree's root is itself a node of the
	 * second and the proof leaves it out: it starts the walk. */
	const merkle_hash *first = proof;
	size_t i = 1;
	if (is_pow2(m)) {
		first = root1;
		i = 0;
	}
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	merkle_hash fr = *first, sr = *first;
	for (; i < len; i++) {
		const merkle_hash *c = &proof[i];
		if (sn == 0)
			return MERKLE_EVERIFY;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(c, &fr, &fr);
			merkle_node_hash(c, &sr, &sr);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			merkle_node_hash(&sr, c, &sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same(&fr, root1) && same(&sr, root2) ? 0 : MERKLE_EVERIFY;
}

void merkle_hex(const merkle_hash *h, char out[2 * MERKLE_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < MERKLE_HASH_LEN; i++) {
		out[2 * i] = digits[h->b[i] >> 4];
		out[2 * i + 1] = digits[h->b[i] & 15];
	}
	out[2 * MERKLE_HASH_LEN] = '\0';
}

int merkle_from_hex(const char *hex, merkle_hash *out)
{
	if (!hex || strlen(hex) != 2 * MERKLE_HASH_LEN)
		return -1;
	for (int i = 0; i < MERKLE_HASH_LEN; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
