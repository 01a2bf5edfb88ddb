/*
 * ledger.c - /api/v1/ledger/... and /api/v1/transactions/{id}/receipt: the
 * tamper-evident log's signed checkpoint, entries and proofs, read on the
 * network thread through the ledger's own read connection (docs/ledger.md).
 */
#include "api/internal.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/receipt.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ledger, or NULL after answering 404 (the ledger is off). */
static ledger *get_ledger(api_ctx *c)
{
	ledger *lg = csms_ledger(c->a->cs);
	if (!lg)
		api_error(c, 404, "not_found", "the ledger is off (setting ledger)");
	return lg;
}

static json_t *hashes_json(const merkle_hash *h, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		char *b = note_b64(h[i].b, MERKLE_HASH_LEN);
		json_array_append_new(a, json_string(b));
		free(b);
	}
	return a;
}

void api_ledger_checkpoint(api_ctx *c)
{
	ledger *lg = get_ledger(c);
	if (!lg)
		return;
	char *note;
	uint64_t size;
	merkle_hash root;
	int64_t t;
	if (ledger_checkpoint(lg, &note, &size, &root, &t)) {
		api_error(c, 503, "unavailable", "no checkpoint published yet");
		return;
	}
	char *b = note_b64(root.b, MERKLE_HASH_LEN);
	char when[40];
	clock_format_ms(t, when, sizeof(when));
	api_json(c, 200, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "checkpoint", note, "origin",
				   ledger_origin(lg), "tree_size", (json_int_t)size, "root_hash", b, "published_at",
				   when, "key", ledger_vkey(lg), "public_key_pem", ledger_pem(lg), "queued",
				   (json_int_t)ledger_queue_depth(lg)));
	free(b);
	free(note);
}

void api_ledger_entry(api_ctx *c)
{
	ledger *lg = get_ledger(c);
	if (!lg)
		return;
	long long idx;
	if (api_path_id(c, "entry", &idx))
		return;
	char *entry;
	size_t len;
	char kind[16];
	int64_t t;
	if (idx < 0 || ledger_entry(lg, (uint64_t)idx, &entry, &len, kind, &t)) {
		api_error(c, 404, "not_found", "no entry %lld", idx);
		return;
	}
	merkle_hash leaf;
	char hex[2 * MERKLE_HASH_LEN + 1], when[40];
	merkle_leaf_hash(entry, len, &leaf);
	merkle_hex(&leaf, hex);
	clock_format_ms(t, when, sizeof(when));
	json_t *rec = json_loadb(entry, len, 0, NULL);
	api_json(c, 200, json_pack("{s:I, s:s, s:s, s:s%, s:o, s:s}", "index", (json_int_t)idx, "kind", kind,
				   "time", when, "entry", entry, len, "record", rec ? rec : json_null(), "leaf_hash",
				   hex));
	free(entry);
}

/* The latest checkpoint's size (answers 503 and returns -1 when there is none). */
static int checkpoint_size(api_ctx *c, ledger *lg, uint64_t *size)
{
	char *note;
	merkle_hash root;
	if (ledger_checkpoint(lg, &note, size, &root, NULL)) {
		api_error(c, 503, "unavailable", "no checkpoint published yet");
		return -1;
	}
	free(note);
	return 0;
}

void api_ledger_inclusion(api_ctx *c)
{
	ledger *lg = get_ledger(c);
	uint64_t latest;
	long long idx, size;
	if (!lg || checkpoint_size(c, lg, &latest))
		return;
	if (!net_http_query(c->req, "index")) {
		api_error(c, 400, "bad_request", "index is required");
		return;
	}
	if (api_query_int(c, "size", (long long)latest, 1, (long long)latest, &size) ||
	    api_query_int(c, "index", 0, 0, size - 1, &idx))
		return;
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t n;
	if (ledger_inclusion(lg, (uint64_t)idx, (uint64_t)size, proof, &n)) {
		api_error(c, 500, "internal", "the proof could not be read");
		return;
	}
	api_json(c, 200, json_pack("{s:I, s:I, s:o}", "index", (json_int_t)idx, "tree_size", (json_int_t)size,
				   "hashes", hashes_json(proof, n)));
}

void api_ledger_consistency(api_ctx *c)
{
	ledger *lg = get_ledger(c);
	uint64_t latest;
	long long from, to;
	if (!lg || checkpoint_size(c, lg, &latest))
		return;
	if (!net_http_query(c->req, "from")) {
		api_error(c, 400, "bad_request", "from is required");
		return;
	}
	if (latest < 1) {
		api_error(c, 400, "bad_request", "the ledger is empty");
		return;
	}
	if (api_query_int(c, "to", (long long)latest, 1, (long long)latest, &to) ||
	    api_query_int(c, "from", 1, 1, to, &from))
		return;
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t n;
	if (ledger_consistency(lg, (uint64_t)from, (uint64_t)to, proof, &n)) {
		api_error(c, 500, "internal", "the proof could not be read");
		return;
	}
	api_json(c, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "hashes",
				   hashes_json(proof, n)));
}

void api_transaction_receipt(api_ctx *c)
{
	ledger *lg = get_ledger(c);
	long long id;
	if (!lg || api_path_id(c, "transaction", &id))
		return;
	uint64_t idx;
	if (ledger_find_transaction(lg, id, &idx)) {
		if (store_exists(c->a->st, SQ_TXN_EXISTS, c->params[0]))
			api_error(c, 409, "not_logged",
				  "transaction %lld is not in the ledger yet (active, or being logged)", id);
		else
			api_error(c, 404, "not_found", "no transaction '%s'", c->params[0]);
		return;
	}
	char *note, *entry;
	uint64_t size;
	merkle_hash root;
	size_t len, n;
	char kind[16];
	int64_t t;
	merkle_hash proof[MERKLE_MAX_PROOF];
	if (ledger_checkpoint(lg, &note, &size, &root, NULL)) {
		api_error(c, 503, "unavailable", "no checkpoint published yet");
		return;
	}
	if (idx >= size) { /* logged, but its checkpoint is being signed */
		free(note);
		api_error(c, 409, "not_logged", "transaction %lld is not under a checkpoint yet", id);
		return;
	}
	if (ledger_entry(lg, idx, &entry, &len, kind, &t) || ledger_inclusion(lg, idx, size, proof, &n)) {
		free(note);
		api_error(c, 500, "internal", "the ledger could not be read");
		return;
	}
	api_json(c, 200, receipt_build(id, idx, entry, len, size, proof, n, note, ledger_vkey(lg)));
	free(entry);
	free(note);
}
