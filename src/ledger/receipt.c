/*
 * receipt.c - building and checking transaction receipts (see receipt.h and
 * docs/ledger.md for the document's members).
 */
#include "ledger/receipt.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *receipt_build(int64_t txid, uint64_t index, const char *entry, size_t entry_len, uint64_t size,
		      const merkle_hash *proof, size_t len, const char *checkpoint, const char *vkey)
{
	merkle_hash leaf;
	char hex[2 * MERKLE_HASH_LEN + 1];
	merkle_leaf_hash(entry, entry_len, &leaf);
	merkle_hex(&leaf, hex);
	json_t *hashes = json_array();
	for (size_t i = 0; i < len; i++) {
		char *b = note_b64(proof[i].b, MERKLE_HASH_LEN);
		json_array_append_new(hashes, json_string(b));
		free(b);
	}
	json_t *parsed = json_loadb(entry, entry_len, 0, NULL);
	return json_pack("{s:s, s:I, s:I, s:s%, s:o, s:s, s:I, s:o, s:s, s:s}", "format", "chargeops-receipt/1",
			 "transaction_id", (json_int_t)txid, "index", (json_int_t)index, "entry", entry, entry_len,
			 "record", parsed ? parsed : json_null(), "leaf_hash", hex, "tree_size", (json_int_t)size,
			 "inclusion_proof", hashes, "checkpoint", checkpoint, "key", vkey);
}

int receipt_verify(const json_t *receipt, const note_verifier *v, char *why, size_t why_len, char *summary,
		   size_t summary_len)
{
	const json_t *je = json_object_get(receipt, "entry");
	const json_t *ji = json_object_get(receipt, "index");
	const json_t *jp = json_object_get(receipt, "inclusion_proof");
	const char *note = json_string_value(json_object_get(receipt, "checkpoint"));
	const char *leaf_hex = json_string_value(json_object_get(receipt, "leaf_hash"));
	if (!json_is_string(je) || !json_is_integer(ji) || json_integer_value(ji) < 0 || !json_is_array(jp) ||
	    !note) {
		snprintf(why, why_len, "not a receipt: entry, index, inclusion_proof and checkpoint are required");
		return -1;
	}
	merkle_hash leaf, root;
	merkle_leaf_hash(json_string_value(je), json_string_length(je), &leaf);
	if (leaf_hex) {
		merkle_hash claimed;
		if (merkle_from_hex(leaf_hex, &claimed) || memcmp(claimed.b, leaf.b, MERKLE_HASH_LEN) != 0) {
			snprintf(why, why_len, "the entry does not hash to leaf_hash: the entry was altered");
			return -1;
		}
	}
	size_t text_len;
	int rc = note_verify(v, note, &text_len);
	if (rc) {
		snprintf(why, why_len, "%s",
			 rc == NOTE_ESIG ? "the checkpoint is not signed by this key"
					 : "the checkpoint is not a signed note");
		return -1;
	}
	char origin[256];
	uint64_t size;
	if (checkpoint_parse(note, text_len, origin, sizeof(origin), &size, &root)) {
		snprintf(why, why_len, "the checkpoint's text is not a checkpoint");
		return -1;
	}
	const json_t *js = json_object_get(receipt, "tree_size");
	if (js && (!json_is_integer(js) || (uint64_t)json_integer_value(js) != size)) {
		snprintf(why, why_len, "tree_size differs from the checkpoint's size %" PRIu64, size);
		return -1;
	}
	size_t n = json_array_size(jp);
	if (n > MERKLE_MAX_PROOF) {
		snprintf(why, why_len, "the inclusion proof is too long");
		return -1;
	}
	merkle_hash proof[MERKLE_MAX_PROOF];
	for (size_t i = 0; i < n; i++) {
		const char *b = json_string_value(json_array_get(jp, i));
		if (!b || note_unb64(b, strlen(b), proof[i].b, MERKLE_HASH_LEN) != MERKLE_HASH_LEN) {
			snprintf(why, why_len, "inclusion_proof[%zu] is not a base64 SHA-256 hash", i);
			return -1;
		}
	}
	uint64_t index = (uint64_t)json_integer_value(ji);
	if (merkle_verify_inclusion(&leaf, index, size, proof, n, &root)) {
		snprintf(why, why_len, "the inclusion proof does not lead to the checkpoint's root");
		return -1;
	}
	if (summary)
		snprintf(summary, summary_len, "entry %" PRIu64 " is in the log '%s' of %" PRIu64
			 " entries, checkpoint signed by %s", index, origin, size, v->name);
	return 0;
}
