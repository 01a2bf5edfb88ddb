/*
 * ledger_cli.c - `chargeops ledger`: verify a receipt offline, audit a data
 * directory, and the append and proof benchmark (docs/performance.md).
 */
#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/receipt.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads a whole file ("-": standard input) into a new string; NULL on failure. */
static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	buf[len] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

/* A verifier key from text, or from a file holding one (vkey line or PEM). */
static int load_verifier(const char *arg, note_verifier *v)
{
	if (note_verifier_parse(arg, NULL, v) == 0)
		return 0;
	char *text = slurp(arg);
	int rc = text ? note_verifier_parse(text, NULL, v) : -1;
	free(text);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	const char *receipt = NULL, *key = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!receipt)
			receipt = argv[i];
		else
			goto usage;
	}
	if (!receipt || !key)
		goto usage;
	note_verifier v;
	if (load_verifier(key, &v)) {
		fprintf(stderr, "chargeops: %s: not a ledger key (name+id+base64, or a PEM Ed25519 public key)\n", key);
		return 2;
	}
	char *text = slurp(receipt);
	if (!text) {
		fprintf(stderr, "chargeops: %s: cannot read\n", receipt);
		return 2;
	}
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	free(text);
	if (!j) {
		printf("FAILED: %s is not JSON (%s)\n", receipt, e.text);
		return 1;
	}
	char why[256], summary[512];
	int rc = receipt_verify(j, &v, why, sizeof(why), summary, sizeof(summary));
	if (rc) {
		printf("FAILED: %s\n", why);
	} else {
		const json_t *rec = json_object_get(j, "record");
		json_t *sm = json_object_get(json_object_get(rec, "signed_meter"), "status");
		printf("OK: %s\n", summary);
		if (json_is_integer(json_object_get(rec, "id")))
			printf("transaction %lld: %s, %lld Wh, signed meter values: %s\n",
			       (long long)json_integer_value(json_object_get(rec, "id")),
			       json_string_value(json_object_get(rec, "charger")) ?: "?",
			       (long long)json_integer_value(json_object_get(rec, "energy_wh")),
			       json_string_value(sm) ?: "-");
	}
	json_decref(j);
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: chargeops ledger verify RECEIPT --key PUBKEY\n"
			"  RECEIPT: a receipt file (GET /api/v1/transactions/{id}/receipt), - for stdin\n"
			"  PUBKEY: the ledger key (name+id+base64), or a file with it or its PEM\n");
	return 2;
}

static int cmd_audit(int argc, char **argv)
{
	const char *dir = NULL;
	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--data"))
			dir = argv[i + 1];
	if (!dir || argc != 3) {
		fprintf(stderr, "usage: chargeops ledger audit --data DIR\n");
		return 2;
	}
	audit_report r;
	char err[512] = "";
	if (ledger_audit(dir, stdout, &r, err, sizeof(err))) {
		fprintf(stderr, "chargeops: %s\n", err);
		return 2;
	}
	printf("audit: %llu entries, %llu transactions rebuilt from the store, %llu tree nodes and %llu signed"
	       " checkpoints checked: %llu problem%s, %llu note%s\n",
	       r.entries, r.transactions, r.nodes, r.checkpoints, r.problems, r.problems == 1 ? "" : "s", r.notes,
	       r.notes == 1 ? "" : "s");
	return r.problems ? 1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Median latency (µs) of count inclusion proofs at random indexes, each verified. */
static int64_t proof_run(ledger *l, uint64_t size, const merkle_hash *root, int count, uint64_t *seed, int *bad)
{
	int64_t *us = xmalloc((size_t)count * sizeof(*us));
	merkle_hash proof[MERKLE_MAX_PROOF];
	for (int i = 0; i < count; i++) {
		uint64_t idx = rnd(seed) % size;
		size_t len;
		int64_t t0 = clock_mono_us();
		int rc = ledger_inclusion(l, idx, size, proof, &len);
		us[i] = clock_mono_us() - t0;
		char *entry;
		size_t elen;
		char kind[16];
		int64_t t;
		if (rc || ledger_entry(l, idx, &entry, &elen, kind, &t)) {
			(*bad)++;
			continue;
		}
		merkle_hash leaf;
		merkle_leaf_hash(entry, elen, &leaf);
		free(entry);
		if (merkle_verify_inclusion(&leaf, idx, size, proof, len, root))
			(*bad)++;
	}
	qsort(us, (size_t)count, sizeof(*us), cmp_i64);
	int64_t m = us[count / 2];
	free(us);
	return m;
}

static int cmd_bench(int argc, char **argv)
{
	const char *dir = NULL;
	long long entries = 100000, proofs = 1000, runs = 5;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--entries"))
			entries = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--proofs"))
			proofs = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--runs"))
			runs = atoll(argv[i + 1]);
		else
			dir = NULL, i = argc;
	}
	if (!dir || entries < 0 || proofs < 1 || runs < 1 || (argc - 1) % 2) {
		fprintf(stderr, "usage: chargeops ledger bench --dir DIR [--entries N] [--proofs N] [--runs N]\n"
				"Appends N entries (to what DIR's ledger holds), then times inclusion proofs.\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	ledger_opts o = {.dir = dir, .checkpoint_interval = 1};
	ledger *l;
	char err[512] = "";
	if (ledger_open(&o, &l, err, sizeof(err))) {
		fprintf(stderr, "chargeops: %s\n", err);
		return 1;
	}
	uint64_t start_size = ledger_size(l);
	int64_t t0 = clock_mono_us();
	char buf[256];
	uint64_t ckpts0 = 0;
	(void)ckpts0;
	for (long long i = 0; i < entries; i++) {
		int n = snprintf(buf, sizeof(buf),
				 "{\"v\":1,\"type\":\"bench\",\"id\":%lld,\"charger\":\"CP-%05lld\",\"connector\":1,"
				 "\"energy_wh\":%lld,\"sha256\":\"%016llx%016llx\"}",
				 (long long)start_size + i, i % 10000, (i * 7919) % 90000,
				 (unsigned long long)i * 0x9e3779b97f4a7c15ULL, (unsigned long long)i);
		ledger_append(l, buf, (size_t)n);
		/* Bounded queue: the producer waits for the ledger rather than fill memory. */
		if (ledger_queue_depth(l) > 200000)
			while (ledger_queue_depth(l) > 50000) {
				struct timespec ts = {0, 2 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		if (i && i % 1000000 == 0) {
			double s = (double)(clock_mono_us() - t0) / 1e6;
			fprintf(stderr, "bench: %lld appended, %.0f/s\n", i, (double)i / s);
		}
	}
	ledger_sync(l);
	double secs = (double)(clock_mono_us() - t0) / 1e6;
	char *note;
	uint64_t size;
	merkle_hash root;
	if (ledger_checkpoint(l, &note, &size, &root, NULL)) {
		fprintf(stderr, "chargeops: no checkpoint\n");
		ledger_close(l);
		return 1;
	}
	free(note);
	printf("appends: %lld entries in %.2f s = %.0f appends/s (checkpoint signed after every batch), tree size %"
	       PRIu64 "\n", entries, secs, secs > 0 ? (double)entries / secs : 0.0, size);
	if (size) {
		int64_t *med = xmalloc((size_t)runs * sizeof(*med));
		uint64_t seed = 0x2545F4914F6CDD1DULL;
		int bad = 0;
		for (long long r = 0; r < runs; r++)
			med[r] = proof_run(l, size, &root, (int)proofs, &seed, &bad);
		qsort(med, (size_t)runs, sizeof(*med), cmp_i64);
		printf("inclusion proofs at size %" PRIu64 ": median %lld us (median of %lld runs of %lld random"
		       " proofs; runs from %lld to %lld us), %d failed to verify\n",
		       size, (long long)med[runs / 2], runs, proofs, (long long)med[0], (long long)med[runs - 1], bad);
		free(med);
		if (bad) {
			ledger_close(l);
			return 1;
		}
	}
	ledger_close(l);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcommands[] = {
	{"verify", cmd_verify},
	{"audit", cmd_audit},
	{"bench", cmd_bench},
};

int ledger_main(int argc, char **argv)
{
	if (argc >= 2)
		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			if (!strcmp(argv[1], subcommands[i].name))
				return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: chargeops ledger verify RECEIPT --key PUBKEY\n"
			"       chargeops ledger audit --data DIR\n"
			"       chargeops ledger bench --dir DIR [--entries N] [--proofs N] [--runs N]\n");
	return 2;
}
