/*
 * receipt.h - a transaction receipt: the entry, its inclusion proof and the
 * signed checkpoint the proof leads to, as one JSON document a driver can
 * keep and anyone can check offline with the ledger's public key.
 */
#ifndef CHARGEOPS_RECEIPT_H
#define CHARGEOPS_RECEIPT_H

#include "ledger/merkle.h"
#include "ledger/note.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Builds the receipt document. proof has len hashes for index in a tree of
 * size (the checkpoint's). Returns a new reference. */
json_t *receipt_build(int64_t txid, uint64_t index, const char *entry, size_t entry_len, uint64_t size,
		      const merkle_hash *proof, size_t len, const char *checkpoint, const char *vkey);

/* Checks a receipt: the entry's hash, the inclusion proof up to the
 * checkpoint's root, and the checkpoint's signature by v. 0 when everything
 * holds; otherwise -1 with the reason in why. summary (may be NULL) gets a
 * one-line description of what was proven. */
int receipt_verify(const json_t *receipt, const note_verifier *v, char *why, size_t why_len, char *summary,
		   size_t summary_len);

#endif
