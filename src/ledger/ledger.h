/*
 * ledger.h - the tamper-evident log of finalised transactions and security
 * events: an append-only RFC 9162 Merkle tree with signed checkpoints
 * (docs/ledger.md).
 *
 * Threads. The network thread only queues (ledger_log_*: a mutex held for a
 * list append) and reads (ledger_* read calls, on the ledger's own read
 * connection, which is the network thread's alone). One ledger thread does
 * everything else: it waits until the store has committed what an entry is
 * built from, builds the entries (reading the store on its own connection),
 * hashes them, writes entries and tree nodes in one SQLite transaction per
 * batch, and signs and stores a checkpoint after every batch and at least
 * every checkpoint_interval seconds.
 *
 * Storage: DIR/ledger.db (its own file, so ledger commits never wait on the
 * store writer's), with the entries and their leaf hashes, every complete
 * subtree hash above the leaves (so a proof is O(log n) point reads), and the
 * checkpoints; the Ed25519 key in DIR/ledger.key.
 */
#ifndef CHARGEOPS_LEDGER_H
#define CHARGEOPS_LEDGER_H

#include "ledger/merkle.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ledger ledger;

typedef struct ledger_opts {
	const char *dir;          /* data directory */
	const char *origin;       /* checkpoint origin and key name; NULL: "chargeops/ledger" */
	int checkpoint_interval;  /* seconds; <= 0: 10 */
	store *st;                /* the store transactions are read from (NULL: raw appends only) */
} ledger_opts;

/* Opens (creating) the ledger and starts its thread. *out is the caller's: ledger_close(). */
int ledger_open(const ledger_opts *o, ledger **out, char *err, size_t errlen);
/* Logs what is queued, publishes a last checkpoint, stops the thread. NULL is fine. */
void ledger_close(ledger *l);

/* ---- appends (any thread; never block on ledger work) ---- */

/* A transaction finalised in the store by write need_seq: logged once that commits. */
void ledger_log_transaction(ledger *l, int64_t txid, uint64_t need_seq);
/* A security event (strings copied; NULL allowed). event: charger_credentials,
 * meter_key, charger_registration, charger_deleted, firmware_update,
 * firmware_status, remote_command. */
void ledger_log_security(ledger *l, const char *event, const char *actor, const char *subject,
			 const char *detail);
/* Raw entry bytes (tests and benchmarks). */
void ledger_append(ledger *l, const void *entry, size_t len);
/* Blocks until everything queued so far is in the tree and under a checkpoint.
 * Not for the network thread. */
void ledger_sync(ledger *l);

/* ---- reads (one thread: the network thread in the server) ---- */

/* The latest checkpoint: the signed note (a new string the caller frees), size and root. */
int ledger_checkpoint(ledger *l, char **note, uint64_t *size, merkle_hash *root, int64_t *time);
/* The entry at index: bytes (caller frees), kind, its time. 0, or -1 if none. */
int ledger_entry(ledger *l, uint64_t index, char **entry, size_t *len, char kind[16], int64_t *time);
/* The index of transaction txid's entry. 0, or -1 if not logged (yet). */
int ledger_find_transaction(ledger *l, int64_t txid, uint64_t *index);
int ledger_inclusion(ledger *l, uint64_t index, uint64_t size, merkle_hash *proof, size_t *len);
int ledger_consistency(ledger *l, uint64_t from, uint64_t to, merkle_hash *proof, size_t *len);
/* The verifier key ("name+keyid+base64") and PEM public key. */
const char *ledger_vkey(const ledger *l);
const char *ledger_pem(const ledger *l);
const char *ledger_origin(const ledger *l);

/* A transaction whose signed meter values failed (anything but unsigned or verified). */
typedef struct ledger_flag {
	char charger[64];
	int connector;
	int64_t txid;
	int64_t time;
	char status[24];
	char detail[200];
} ledger_flag;
/* Hands every failure found since the last call to fn, then forgets them. For
 * the network thread's tick, which turns them into alerts. */
void ledger_take_flags(ledger *l, void (*fn)(void *arg, const ledger_flag *f), void *arg);

/* Counters for metrics and the console. */
uint64_t ledger_size(ledger *l);
uint64_t ledger_queue_depth(ledger *l);

/* ---- offline tools (ledger_cli.c) ---- */

/* `chargeops ledger ...`: verify, audit, bench. */
int ledger_main(int argc, char **argv);

#endif
