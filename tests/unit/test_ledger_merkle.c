/*
 * test_ledger_merkle.c - RFC 9162 hashing against the published test vectors
 * (the transparency-dev merkle test constants for tree sizes 0-8), and
 * inclusion and consistency proofs for every tree size up to a few hundred:
 * generated from complete subtrees the way the ledger stores them, compared
 * with a naive reference that recomputes everything from the leaves, checked
 * by the verifiers, and rejected once altered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ledger/merkle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The RFC 6962 / RFC 9162 reference leaves and roots. */
static const char *const vec_leaves[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};
static const char *const vec_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void hash_of(const char *hex, merkle_hash *h)
{
	assert_int_equal(merkle_from_hex(hex, h), 0);
}

/* ---- the naive reference: MTH straight from the RFC's definition ---- */

typedef struct tree {
	merkle_hash *leaves;
	size_t n;
	/* complete subtrees by level, as the ledger stores them */
	merkle_hash *levels[20];
	size_t count[20];
	merkle_hash pending[20];
} tree;

static void naive_mth(const merkle_hash *d, size_t n, merkle_hash *out)
{
	if (n == 1) {
		*out = d[0];
		return;
	}
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	merkle_hash l, r;
	naive_mth(d, k, &l);
	naive_mth(d + k, n - k, &r);
	merkle_node_hash(&l, &r, out);
}

static int naive_fn(void *arg, unsigned level, uint64_t index, merkle_hash *out)
{
	tree *t = arg;
	uint64_t start = index << level, count = (uint64_t)1 << level;
	if (start + count > t->n)
		return -1;
	naive_mth(t->leaves + start, (size_t)count, out);
	return 0;
}

/* Naive PATH from the RFC, on arrays. */
static void naive_path(size_t m, const merkle_hash *d, size_t n, merkle_hash *proof, size_t *len)
{
	if (n <= 1)
		return;
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	if (m < k) {
		naive_path(m, d, k, proof, len);
		naive_mth(d + k, n - k, &proof[(*len)++]);
	} else {
		naive_path(m - k, d + k, n - k, proof, len);
		naive_mth(d, k, &proof[(*len)++]);
	}
}

static void naive_subproof(size_t m, const merkle_hash *d, size_t n, int b, merkle_hash *proof, size_t *len)
{
	if (m == n) {
		if (!b)
			naive_mth(d, n, &proof[(*len)++]);
		return;
	}
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	if (m <= k) {
		naive_subproof(m, d, k, b, proof, len);
		naive_mth(d + k, n - k, &proof[(*len)++]);
	} else {
		naive_subproof(m - k, d + k, n - k, 0, proof, len);
		naive_mth(d, k, &proof[(*len)++]);
	}
}

/* ---- the stored form: leaves and completed subtrees, appended one by one ---- */

static void tree_append(tree *t, const merkle_hash *leaf)
{
	uint64_t i = t->n;
	merkle_hash h = *leaf;
	t->leaves = realloc(t->leaves, (t->n + 1) * sizeof(merkle_hash));
	t->leaves[t->n] = h;
	unsigned level = 0;
	while (i & 1) {
		merkle_node_hash(&t->pending[level], &h, &h);
		i >>= 1;
		level++;
		t->levels[level] = realloc(t->levels[level], (t->count[level] + 1) * sizeof(merkle_hash));
		assert_int_equal(t->count[level], i);
		t->levels[level][t->count[level]++] = h;
	}
	t->pending[level] = h;
	t->n++;
}

static int stored_fn(void *arg, unsigned level, uint64_t index, merkle_hash *out)
{
	tree *t = arg;
	if (level == 0) {
		if (index >= t->n)
			return -1;
		*out = t->leaves[index];
		return 0;
	}
	if (level >= 20 || index >= t->count[level])
		return -1;
	*out = t->levels[level][index];
	return 0;
}

static void tree_free(tree *t)
{
	free(t->leaves);
	for (int i = 0; i < 20; i++)
		free(t->levels[i]);
}

static void build(tree *t, size_t n)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "entry %zu", i);
		merkle_hash h;
		merkle_leaf_hash(buf, (size_t)len, &h);
		tree_append(t, &h);
	}
}

/* ---- tests ---- */

static void test_vectors(void **state)
{
	(void)state;
	tree t;
	memset(&t, 0, sizeof(t));
	for (size_t size = 0; size <= 8; size++) {
		merkle_hash want, got;
		hash_of(vec_roots[size], &want);
		assert_int_equal(merkle_root(stored_fn, &t, size, &got), 0);
		assert_memory_equal(got.b, want.b, MERKLE_HASH_LEN);
		if (size == 8)
			break;
		uint8_t buf[32];
		size_t n = unhex(vec_leaves[size], buf);
		merkle_hash leaf;
		merkle_leaf_hash(buf, n, &leaf);
		tree_append(&t, &leaf);
	}
	/* The published inclusion proofs of leaves 0 and 5, and the consistency proof 2 -> 5. */
	static const char *const p0[] = {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
					 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
					 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
	static const char *const p5[] = {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
					 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
					 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
	static const char *const c25[] = {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
					  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
	merkle_hash proof[MERKLE_MAX_PROOF], want;
	size_t len;
	assert_int_equal(merkle_inclusion_proof(stored_fn, &t, 0, 8, proof, &len), 0);
	assert_int_equal(len, 3);
	for (size_t i = 0; i < 3; i++) {
		hash_of(p0[i], &want);
		assert_memory_equal(proof[i].b, want.b, MERKLE_HASH_LEN);
	}
	assert_int_equal(merkle_inclusion_proof(stored_fn, &t, 5, 8, proof, &len), 0);
	assert_int_equal(len, 3);
	for (size_t i = 0; i < 3; i++) {
		hash_of(p5[i], &want);
		assert_memory_equal(proof[i].b, want.b, MERKLE_HASH_LEN);
	}
	assert_int_equal(merkle_consistency_proof(stored_fn, &t, 2, 5, proof, &len), 0);
	assert_int_equal(len, 2);
	for (size_t i = 0; i < 2; i++) {
		hash_of(c25[i], &want);
		assert_memory_equal(proof[i].b, want.b, MERKLE_HASH_LEN);
	}
	merkle_hash r2, r5;
	hash_of(vec_roots[2], &r2);
	hash_of(vec_roots[5], &r5);
	assert_int_equal(merkle_verify_consistency(2, 5, &r2, &r5, proof, len), 0);
	tree_free(&t);
}

/* Roots and inclusion proofs for every size up to 300: the stored-node path equals
 * the naive reference, every proof verifies, and a changed proof, leaf, index or
 * index does not. */
static void test_inclusion_all_sizes(void **state)
{
	(void)state;
	tree t;
	build(&t, 300);
	for (uint64_t size = 1; size <= 300; size++) {
		merkle_hash root, ref;
		assert_int_equal(merkle_root(stored_fn, &t, size, &root), 0);
		naive_mth(t.leaves, (size_t)size, &ref);
		assert_memory_equal(root.b, ref.b, MERKLE_HASH_LEN);
		for (uint64_t i = 0; i < size; i++) {
			merkle_hash proof[MERKLE_MAX_PROOF], nproof[MERKLE_MAX_PROOF];
			size_t len, nlen = 0;
			assert_int_equal(merkle_inclusion_proof(stored_fn, &t, i, size, proof, &len), 0);
			if (size <= 128 || i % 17 == 0) {
				naive_path((size_t)i, t.leaves, (size_t)size, nproof, &nlen);
				assert_int_equal(len, nlen);
				assert_memory_equal(proof, nproof, len * sizeof(merkle_hash));
			}
			assert_int_equal(merkle_verify_inclusion(&t.leaves[i], i, size, proof, len, &root), 0);
			if (size > 1) {
				assert_int_not_equal(
					merkle_verify_inclusion(&t.leaves[(i + 1) % size], i, size, proof, len, &root), 0);
				assert_int_not_equal(
					merkle_verify_inclusion(&t.leaves[i], (i + 1) % size, size, proof, len, &root), 0);
				merkle_hash bad[MERKLE_MAX_PROOF];
				memcpy(bad, proof, len * sizeof(merkle_hash));
				bad[i % len].b[i % 32] ^= 0x01;
				assert_int_not_equal(merkle_verify_inclusion(&t.leaves[i], i, size, bad, len, &root), 0);
				assert_int_not_equal(merkle_verify_inclusion(&t.leaves[i], i, size, proof, len - 1, &root),
						     0);
			}
			assert_int_not_equal(merkle_verify_inclusion(&t.leaves[i], i, i, proof, len, &root), 0);
		}
	}
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t len;
	assert_int_equal(merkle_inclusion_proof(stored_fn, &t, 5, 5, proof, &len), MERKLE_ERANGE);
	/* Beyond what is stored, the source says so. */
	assert_int_equal(merkle_inclusion_proof(stored_fn, &t, 5, 301, proof, &len), MERKLE_ESOURCE);
	tree_free(&t);
}

/* Consistency proofs for every pair of sizes m <= n up to 300 (compared with the
 * naive reference for every pair up to 160 and for every 7th pair beyond). */
static void test_consistency_all_sizes(void **state)
{
	(void)state;
	tree t;
	build(&t, 300);
	merkle_hash roots[301];
	for (uint64_t n = 1; n <= 300; n++)
		assert_int_equal(merkle_root(stored_fn, &t, n, &roots[n]), 0);
	for (uint64_t n = 1; n <= 300; n++) {
		for (uint64_t m = 1; m <= n; m++) {
			merkle_hash proof[MERKLE_MAX_PROOF], nproof[MERKLE_MAX_PROOF];
			size_t len, nlen = 0;
			assert_int_equal(merkle_consistency_proof(stored_fn, &t, m, n, proof, &len), 0);
			if (n <= 160 || (m + n) % 7 == 0) {
				naive_subproof((size_t)m, t.leaves, (size_t)n, 1, nproof, &nlen);
				assert_int_equal(len, nlen);
				assert_memory_equal(proof, nproof, len * sizeof(merkle_hash));
			}
			assert_int_equal(merkle_verify_consistency(m, n, &roots[m], &roots[n], proof, len), 0);
			if (m == n)
				continue;
			/* Another tree's root, an altered hash, or a wrong size fail. */
			assert_int_not_equal(
				merkle_verify_consistency(m, n, &roots[m == 1 ? 2 : m - 1], &roots[n], proof, len), 0);
			assert_int_not_equal(merkle_verify_consistency(m, n, &roots[m], &roots[n - 1], proof, len), 0);
			if (len) {
				merkle_hash bad[MERKLE_MAX_PROOF];
				memcpy(bad, proof, len * sizeof(merkle_hash));
				bad[len - 1].b[3] ^= 0x80;
				assert_int_not_equal(merkle_verify_consistency(m, n, &roots[m], &roots[n], bad, len), 0);
			}
		}
	}
	tree_free(&t);
}

/* A tree whose leaves are read naively (no stored nodes) gives the same proofs. */
static void test_naive_source(void **state)
{
	(void)state;
	tree t;
	build(&t, 77);
	for (uint64_t i = 0; i < 77; i++) {
		merkle_hash a[MERKLE_MAX_PROOF], b[MERKLE_MAX_PROOF];
		size_t la, lb;
		assert_int_equal(merkle_inclusion_proof(stored_fn, &t, i, 77, a, &la), 0);
		assert_int_equal(merkle_inclusion_proof(naive_fn, &t, i, 77, b, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la * sizeof(merkle_hash));
	}
	tree_free(&t);
}

static void test_hex(void **state)
{
	(void)state;
	merkle_hash h;
	char out[65];
	assert_int_equal(merkle_from_hex(vec_roots[3], &h), 0);
	merkle_hex(&h, out);
	assert_string_equal(out, vec_roots[3]);
	assert_int_equal(merkle_from_hex("abc", &h), -1);
	assert_int_equal(merkle_from_hex("zz0b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d6e34", &h), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_inclusion_all_sizes),
		cmocka_unit_test(test_consistency_all_sizes),
		cmocka_unit_test(test_naive_source),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
