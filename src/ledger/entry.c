/*
 * entry.c - canonical entry bytes, and building a transaction's entry from
 * the store (the ledger thread when it logs it, the audit when it checks it:
 * one function, so both always agree).
 */
#include "ledger/entry.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

void entry_pseudonym(const uint8_t key[32], const char *tag, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)tag, strlen(tag), md, &n);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[32] = '\0';
}

static void add_time(strbuf *sb, const char *key, sqlite3_stmt *st, int col)
{
	sb_addf(sb, ",\"%s\":", key);
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		sb_adds(sb, "null");
		return;
	}
	char buf[40];
	clock_format_ms(sqlite3_column_int64(st, col), buf, sizeof(buf));
	sb_add_json_str(sb, buf);
}

static void add_int(strbuf *sb, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		sb_addf(sb, ",\"%s\":null", key);
	else
		sb_addf(sb, ",\"%s\":%lld", key, (long long)sqlite3_column_int64(st, col));
}

static void add_text(strbuf *sb, const char *key, sqlite3_stmt *st, int col)
{
	sb_addf(sb, ",\"%s\":", key);
	sb_add_json_str(sb, (const char *)sqlite3_column_text(st, col));
}

static void hex32(const unsigned char *md, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* One digest over rows: per row "col0\tcol1\t...\n", NULL as an empty field. */
typedef struct rows_digest {
	EVP_MD_CTX *ctx;
	int64_t count;
} rows_digest;

static void rd_row(rows_digest *d, sqlite3_stmt *st, int first, int ncols)
{
	for (int i = first; i < ncols; i++) {
		const unsigned char *t = sqlite3_column_text(st, i);
		int n = sqlite3_column_bytes(st, i);
		if (t)
			EVP_DigestUpdate(d->ctx, t, (size_t)n);
		EVP_DigestUpdate(d->ctx, i + 1 < ncols ? "\t" : "\n", 1);
	}
	d->count++;
}

static void rd_finish(rows_digest *d, strbuf *sb, const char *key, int64_t upto)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[65];
	EVP_DigestFinal_ex(d->ctx, md, &n);
	hex32(md, hex);
	sb_addf(sb, ",\"%s\":{\"upto\":%lld,\"count\":%lld,\"sha256\":\"%s\"}", key, (long long)upto,
		(long long)d->count, hex);
}

/* Feeds the SignedData samples of a reading's samples array to c. */
static void signed_samples(ocmf_check *c, const char *samples)
{
	json_t *arr = json_loads(samples, 0, NULL);
	size_t i;
	json_t *sv;
	json_array_foreach(arr, i, sv)
	{
		const char *fmt = json_string_value(json_object_get(sv, "format"));
		json_t *raw = json_object_get(sv, "raw_value");
		if (fmt && strcmp(fmt, "SignedData") == 0 && json_is_string(raw))
			ocmf_check_add(c, json_string_value(raw), json_string_length(raw));
	}
	json_decref(arr);
}

static int64_t max_id(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *const txn_sql =
	"SELECT t.id, t.charger_id, t.connector_id, t.id_tag, t.start_time, t.stop_time, t.meter_start,"
	" t.meter_stop, t.energy_wh, t.stop_reason, t.closed_by, t.flags, c.meter_public_key"
	" FROM transactions t LEFT JOIN chargers c ON c.id = t.charger_id"
	" WHERE t.id = ? AND t.status = 'completed'";

static const char *const readings_sql =
	"SELECT samples, time, connector_id, samples FROM meter_readings"
	" WHERE transaction_id = ? AND id <= ? ORDER BY id";

/* The transaction's own frames: its StartTransaction (by the unique id of the
 * answer that gave it its id), its MeterValues and StopTransaction calls, and
 * that answer. Frames before the start (less an hour of clock skew) are not
 * looked at. */
static const char *const frames_sql =
	"SELECT time, direction, message_type, unique_id, action, payload FROM frames f"
	" WHERE charger_id = ?1 AND id <= ?3 AND time >= ?4 AND ("
	"  (message_type = 2 AND action IN ('MeterValues', 'StopTransaction') AND"
	"   CASE WHEN json_valid(payload) THEN json_extract(payload, '$[3].transactionId') END = ?2)"
	"  OR (message_type = 3 AND action = 'StartTransaction' AND"
	"   CASE WHEN json_valid(payload) THEN json_extract(payload, '$[2].transactionId') END = ?2)"
	"  OR (message_type = 2 AND action = 'StartTransaction' AND unique_id IN ("
	"   SELECT unique_id FROM frames WHERE charger_id = ?1 AND id <= ?3 AND time >= ?4 AND message_type = 3"
	"   AND action = 'StartTransaction' AND"
	"   CASE WHEN json_valid(payload) THEN json_extract(payload, '$[2].transactionId') END = ?2)))"
	" ORDER BY id";

int entry_transaction(sqlite3 *db, int64_t txid, const entry_bounds *bounds, const uint8_t pseudonym_key[32],
		      strbuf *out, enum ocmf_status *signed_status, char *detail, size_t detail_len)
{
	sqlite3_stmt *t = NULL, *r = NULL, *f = NULL;
	rows_digest md = {0}, fd = {0};
	ocmf_check oc;
	int rc = ENTRY_EIO;
	entry_bounds b;
	if (bounds) {
		b = *bounds;
	} else {
		b.readings_upto = max_id(db, "SELECT COALESCE(MAX(id), 0) FROM meter_readings");
		b.frames_upto = max_id(db, "SELECT COALESCE(MAX(id), 0) FROM frames");
	}
	memset(&oc, 0, sizeof(oc));
	if (sqlite3_prepare_v2(db, txn_sql, -1, &t, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(t, 1, txid);
	int step = sqlite3_step(t);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? ENTRY_ENOENT : ENTRY_EIO;
		goto out;
	}
	char pseudonym[33];
	entry_pseudonym(pseudonym_key, (const char *)sqlite3_column_text(t, 3), pseudonym);
	sb_addf(out, "{\"v\":1,\"type\":\"transaction\",\"id\":%lld", (long long)txid);
	add_text(out, "charger", t, 1);
	add_int(out, "connector", t, 2);
	sb_addf(out, ",\"id_tag\":\"%s\"", pseudonym);
	add_time(out, "start", t, 4);
	add_time(out, "stop", t, 5);
	add_int(out, "meter_start", t, 6);
	add_int(out, "meter_stop", t, 7);
	add_int(out, "energy_wh", t, 8);
	sb_adds(out, ",\"price\":null");
	add_text(out, "stop_reason", t, 9);
	add_text(out, "closed_by", t, 10);
	add_text(out, "flags", t, 11);

	ocmf_check_init(&oc, (const char *)sqlite3_column_text(t, 12));
	md.ctx = EVP_MD_CTX_new();
	fd.ctx = EVP_MD_CTX_new();
	if (!md.ctx || !fd.ctx || !EVP_DigestInit_ex(md.ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(fd.ctx, EVP_sha256(), NULL))
		goto out;
	if (sqlite3_prepare_v2(db, readings_sql, -1, &r, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(r, 1, txid);
	sqlite3_bind_int64(r, 2, b.readings_upto);
	while ((step = sqlite3_step(r)) == SQLITE_ROW) {
		rd_row(&md, r, 1, 4);
		const char *samples = (const char *)sqlite3_column_text(r, 0);
		if (samples && strstr(samples, "\"SignedData\""))
			signed_samples(&oc, samples);
	}
	if (step != SQLITE_DONE)
		goto out;
	rd_finish(&md, out, "meter_values", b.readings_upto);

	if (sqlite3_prepare_v2(db, frames_sql, -1, &f, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(f, 1, (const char *)sqlite3_column_text(t, 1), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(f, 2, txid);
	sqlite3_bind_int64(f, 3, b.frames_upto);
	sqlite3_bind_int64(f, 4, sqlite3_column_int64(t, 4) - 3600 * 1000LL);
	while ((step = sqlite3_step(f)) == SQLITE_ROW)
		rd_row(&fd, f, 0, 6);
	if (step != SQLITE_DONE)
		goto out;
	rd_finish(&fd, out, "frames", b.frames_upto);

	enum ocmf_status os = ocmf_check_finish(&oc);
	sb_addf(out, ",\"signed_meter\":{\"status\":\"%s\",\"detail\":", ocmf_status_name(os));
	sb_add_json_str(out, os == OCMF_UNSIGNED ? NULL : oc.detail);
	sb_adds(out, "}}");
	if (signed_status)
		*signed_status = os;
	if (detail)
		snprintf(detail, detail_len, "%s", oc.detail);
	rc = 0;
out:
	ocmf_check_release(&oc);
	EVP_MD_CTX_free(md.ctx);
	EVP_MD_CTX_free(fd.ctx);
	sqlite3_finalize(t);
	sqlite3_finalize(r);
	sqlite3_finalize(f);
	return rc;
}

void entry_security(strbuf *out, const char *event, int64_t time, const char *actor, const char *subject,
		    const char *detail)
{
	char buf[40];
	clock_format_ms(time, buf, sizeof(buf));
	sb_adds(out, "{\"v\":1,\"type\":\"security\",\"event\":");
	sb_add_json_str(out, event);
	sb_addf(out, ",\"time\":\"%s\",\"actor\":", buf);
	sb_add_json_str(out, actor);
	sb_adds(out, ",\"subject\":");
	sb_add_json_str(out, subject);
	sb_adds(out, ",\"detail\":");
	sb_add_json_str(out, detail);
	sb_adds(out, "}");
}

int entry_parse_bounds(const char *entry, size_t len, entry_bounds *out)
{
	json_t *j = json_loadb(entry, len, 0, NULL);
	json_t *mv = json_object_get(j, "meter_values"), *fr = json_object_get(j, "frames");
	int rc = -1;
	if (json_is_integer(json_object_get(mv, "upto")) && json_is_integer(json_object_get(fr, "upto"))) {
		out->readings_upto = json_integer_value(json_object_get(mv, "upto"));
		out->frames_upto = json_integer_value(json_object_get(fr, "upto"));
		rc = 0;
	}
	json_decref(j);
	return rc;
}

int entry_role_change(sqlite3 *db, int64_t rowid, strbuf *out)
{
	sqlite3_stmt *st = NULL;
	int rc = ENTRY_EIO;
	if (sqlite3_prepare_v2(db, "SELECT name, role, created_at, hash FROM tokens WHERE rowid = ?", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, rowid);
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? ENTRY_ENOENT : ENTRY_EIO;
		goto out;
	}
	char detail[160];
	/* The token's hash is shown in part: enough to tell tokens apart, never the token. */
	snprintf(detail, sizeof(detail), "token created with role %s (sha256 %.16s...)",
		 (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 3));
	entry_security(out, "role_change", sqlite3_column_int64(st, 2), "chargeops token create",
		       (const char *)sqlite3_column_text(st, 0), detail);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}
