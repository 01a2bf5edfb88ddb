/*
 * merkle.h - RFC 9162 (Certificate Transparency v2) Merkle tree hashing with
 * SHA-256, and the inclusion and consistency proofs of that RFC with their
 * verification. Pure functions: no I/O, no allocation.
 *
 * leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right); a tree
 * of n > 1 leaves splits at k, the largest power of two below n. The hash of
 * the empty tree is SHA-256 of nothing.
 *
 * Proof generation reads the hashes of complete subtrees through a callback,
 * so the caller decides where they live (an array in tests, SQLite in the
 * ledger). A complete subtree is one of 2^level leaves starting at a multiple
 * of 2^level; it never changes once its last leaf is appended. Only the right
 * edge of a tree is computed from them, so a proof costs O(log n) reads.
 */
#ifndef CHARGEOPS_MERKLE_H
#define CHARGEOPS_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* Enough for any tree of up to 2^63 leaves (a consistency proof has at most
 * about 2 log2(n) nodes). */
#define MERKLE_MAX_PROOF 128

typedef struct merkle_hash {
	uint8_t b[MERKLE_HASH_LEN];
} merkle_hash;

enum {
	MERKLE_ERANGE = -1,  /* index or sizes out of range */
	MERKLE_ESOURCE = -2, /* the node source could not give a hash */
	MERKLE_EVERIFY = -3, /* the proof does not verify */
};

void merkle_leaf_hash(const void *entry, size_t len, merkle_hash *out);
void merkle_node_hash(const merkle_hash *left, const merkle_hash *right, merkle_hash *out);
void merkle_empty_root(merkle_hash *out);

/* Gives the hash of the complete subtree (level, index), i.e. of leaves
 * [index << level, (index + 1) << level). 0, or negative when it cannot. */
typedef int (*merkle_node_fn)(void *arg, unsigned level, uint64_t index, merkle_hash *out);

/* The largest power of two strictly below n (n >= 2). */
uint64_t merkle_split(uint64_t n);

/* The root of the tree of the first size leaves. 0 or MERKLE_E*. */
int merkle_root(merkle_node_fn fn, void *arg, uint64_t size, merkle_hash *out);
/* The hash of leaves [start, start + count), computed as RFC 9162's MTH of that range. */
int merkle_range_hash(merkle_node_fn fn, void *arg, uint64_t start, uint64_t count, merkle_hash *out);

/* Inclusion proof of leaf index in the tree of size leaves into proof
 * (MERKLE_MAX_PROOF entries), its length into *len. 0 or MERKLE_E*. */
int merkle_inclusion_proof(merkle_node_fn fn, void *arg, uint64_t index, uint64_t size, merkle_hash *proof,
			   size_t *len);
/* Consistency proof from the tree of size m to that of size n (0 < m <= n). */
int merkle_consistency_proof(merkle_node_fn fn, void *arg, uint64_t m, uint64_t n, merkle_hash *proof,
			     size_t *len);

/* Whether leaf (its leaf hash) is at index in the tree of size leaves whose root
 * is root. 0 when it verifies, MERKLE_EVERIFY or MERKLE_ERANGE when not. */
int merkle_verify_inclusion(const merkle_hash *leaf, uint64_t index, uint64_t size, const merkle_hash *proof,
			    size_t len, const merkle_hash *root);
/* Whether the tree of size n (root2) extends the tree of size m (root1). */
int merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash *root1, const merkle_hash *root2,
			      const merkle_hash *proof, size_t len);

/* Lower-case hex of h into out (65 bytes). */
void merkle_hex(const merkle_hash *h, char out[2 * MERKLE_HASH_LEN + 1]);
/* Parses 64 hex digits. 0 or -1. */
int merkle_from_hex(const char *hex, merkle_hash *out);

#endif
