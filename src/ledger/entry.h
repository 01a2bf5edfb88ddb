/*
 * entry.h - the canonical bytes of ledger entries (docs/ledger.md).
 *
 * An entry is one line of compact JSON with its members in a fixed order, no
 * whitespace, integers only, strings escaped as strbuf's sb_add_json_str does
 * ('"', '\' and control characters; other UTF-8 as is). The same store rows
 * always give the same bytes, which is what lets `chargeops ledger audit`
 * rebuild an entry from the store and compare it with what was logged.
 */
#ifndef CHARGEOPS_ENTRY_H
#define CHARGEOPS_ENTRY_H

#include "ledger/ocmf.h"
#include "util/strbuf.h"

#include <sqlite3.h>
#include <stdint.h>

/* How far the store's meter readings and frames went when an entry was made:
 * rows added later (a reading sent after the stop) are not part of it. */
typedef struct entry_bounds {
	int64_t readings_upto;
	int64_t frames_upto;
} entry_bounds;

enum {
	ENTRY_ENOENT = -1, /* no such transaction, or not completed */
	ENTRY_EIO = -2,    /* a query failed */
};

/*
 * Appends the transaction entry of txid, read from db (a connection to the
 * store's chargeops.db), to out. bounds NULL: everything stored now (and the
 * bounds used go into the entry); else the bounds of a logged entry (audit).
 * pseudonym_key keys the id tag's pseudonym. *signed_status (may be NULL)
 * gets the OCMF verdict and detail (160 bytes) its reason. 0 or ENTRY_E*.
 */
int entry_transaction(sqlite3 *db, int64_t txid, const entry_bounds *bounds, const uint8_t pseudonym_key[32],
		      strbuf *out, enum ocmf_status *signed_status, char *detail, size_t detail_len);

/* Appends a security event entry. Strings may be NULL (written as null). */
void entry_security(strbuf *out, const char *event, int64_t time, const char *actor, const char *subject,
		    const char *detail);

/* Appends the role_change entry of the API token in row rowid of the store's
 * tokens table (tokens are made by `chargeops token create`). 0 or ENTRY_E*. */
int entry_role_change(sqlite3 *db, int64_t rowid, strbuf *out);

/* The id tag pseudonym: the first 16 bytes of HMAC-SHA256(key, tag) in hex. */
void entry_pseudonym(const uint8_t key[32], const char *tag, char out[33]);

/* Reads the bounds back out of a logged transaction entry. 0 or -1. */
int entry_parse_bounds(const char *entry, size_t len, entry_bounds *out);

#endif
