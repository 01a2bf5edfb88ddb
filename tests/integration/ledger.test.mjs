// The tamper-evident ledger against the real server: a transaction with OCMF
// signed meter values (signed here with node's crypto, as a meter would) ends,
// its receipt is fetched and verified offline by `chargeops ledger verify` and
// independently by RFC 9162 / Ed25519 code in this file; a record altered by one
// byte is flagged; security events are logged; proofs of the API check out;
// and after the SQLite file is tampered with, `chargeops ledger audit` says so.
// Finally the simulator signs its meter values and its receipts verify too.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign as cryptoSign, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, BIN, BOOT, isoNow, waitFor, withTimeout } from './lib/harness.mjs';

const T = { timeout: 60000 };

// ---- RFC 9162 and C2SP signed notes, written again here so the server's code is not judge of itself ----
const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (entry) => sha(Buffer.from([0]), Buffer.from(entry, 'utf8'));
const nodeHash = (l, r) => sha(Buffer.from([1]), l, r);

function verifyInclusion(leaf, index, size, proof, root) {
	if (index >= size) return false;
	let fn = index;
	let sn = size - 1;
	let r = leaf;
	for (const p of proof) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			r = nodeHash(p, r);
			if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
		} else r = nodeHash(r, p);
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && r.equals(root);
}

function verifyConsistency(m, n, root1, root2, proof) {
	if (m === n) return proof.length === 0 && root1.equals(root2);
	let path = proof.slice();
	if ((m & (m - 1)) === 0) path = [root1, ...path];
	let fn = m - 1;
	let sn = n - 1;
	while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
	let fr = path[0];
	let sr = path[0];
	for (const c of path.slice(1)) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			fr = nodeHash(c, fr);
			sr = nodeHash(c, sr);
			if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
		} else sr = nodeHash(sr, c);
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

/* Parses and checks a checkpoint note with the ledger's PEM public key. */
function openCheckpoint(note, pem) {
	const sep = note.lastIndexOf('\n\n\u2014 ');
	assert.ok(sep > 0, 'a signed note');
	const text = note.slice(0, sep + 1);
	const [origin, size, rootB64] = text.split('\n');
	const sigLine = note.slice(sep + 2).split('\n')[0];
	const sig = Buffer.from(sigLine.split(' ').pop(), 'base64');
	assert.equal(sig.length, 68, 'key id + Ed25519 signature');
	const ok = cryptoVerify(null, Buffer.from(text, 'utf8'), createPublicKey(pem), sig.subarray(4));
	return { ok, origin, size: Number(size), root: Buffer.from(rootB64, 'base64') };
}

// ---- a meter that signs ----
const meter = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const meterPub = meter.publicKey.export({ type: 'spki', format: 'pem' });
const meterPubHex = meter.publicKey.export({ type: 'spki', format: 'der' }).toString('hex').toUpperCase();

function ocmf(begin, end, { tamper = false } = {}) {
	const payload = JSON.stringify({
		FV: '1.0', GI: 'ITest meter', GS: 'M-1', PG: 'T7', IS: true, IT: 'ISO14443', ID: '04A1B2',
		RD: [
			{ TM: '2026-01-01T10:00:00,000+0000 S', TX: 'B', RV: begin, RI: '1-b:1.8.0', RU: 'kWh', RT: 'AC', EF: '', ST: 'G' },
			{ TM: '2026-01-01T11:00:00,000+0000 S', TX: 'E', RV: end, RI: '1-b:1.8.0', RU: 'kWh', RT: 'AC', EF: '', ST: 'G' },
		],
	});
	const sd = cryptoSign('sha256', Buffer.from(payload), meter.privateKey).toString('hex');
	let rec = `OCMF|${payload}|${JSON.stringify({ SA: 'ECDSA-secp256r1-SHA256', SD: sd })}`;
	if (tamper) rec = rec.replace(`"RV":${end}`, `"RV":${end + 1}`); // one byte, after signing
	return rec;
}

function run(args) {
	const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 30000 });
	return { code: r.status, out: r.stdout + r.stderr };
}

describe('tamper-evident ledger', () => {
	let srv;
	const dir = mkdtempSync(path.join(tmpdir(), 'chargeops-ledger-it-'));
	before(async () => {
		srv = await startServer({ args: ['--ledger-checkpoint-interval', '1'] });
		assert.equal((await srv.post('/api/v1/id-tags', { id_tag: 'TAG-L', status: 'Accepted' })).status, 201);
	});
	after(async () => {
		if (srv) await srv.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	/* Runs one transaction whose stop carries the given SignedData value; returns its id. */
	async function charge(cp, signed, meterStart = 1000, meterStop = 8500) {
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-L', meterStart, timestamp: isoNow() });
		await cp.call('MeterValues', {
			connectorId: 1,
			transactionId: start.transactionId,
			meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '4000', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
		});
		await cp.call('StopTransaction', {
			transactionId: start.transactionId, meterStop, timestamp: isoNow(), idTag: 'TAG-L', reason: 'Local',
			transactionData: [{
				timestamp: isoNow(),
				sampledValue: [
					{ value: String(meterStop), context: 'Transaction.End', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
					{ value: signed, context: 'Transaction.End', format: 'SignedData', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
				],
			}],
		});
		return start.transactionId;
	}

	const receiptOf = (id) =>
		waitFor(async () => {
			const r = await srv.get(`/api/v1/transactions/${id}/receipt`);
			return r.status === 200 ? r.body : null;
		}, { timeout: 10000, what: `receipt of ${id}` });

	let txOk;
	let txBad;
	let checkpoint;

	it('a signed transaction gets a receipt that verifies offline; a wrong key does not', T, async () => {
		const { id, password } = await srv.registerCharger(undefined, undefined, { meter_public_key: meterPub });
		const cp = await srv.charger(id, password);
		const signed = ocmf(1.0, 8.5);
		txOk = await charge(cp, signed);

		// The SignedData value is stored byte for byte.
		const mv = await srv.getOk(`/api/v1/chargers/${id}/meter-values?transaction_id=${txOk}&limit=100`);
		const stored = mv.items.filter((s) => s.format === 'SignedData').map((s) => s.raw_value);
		assert.deepEqual(stored, [signed]);

		const receipt = await receiptOf(txOk);
		assert.equal(receipt.transaction_id, txOk);
		assert.equal(receipt.record.type, 'transaction');
		assert.equal(receipt.record.energy_wh, 7500);
		assert.equal(receipt.record.signed_meter.status, 'verified', JSON.stringify(receipt.record.signed_meter));
		assert.notEqual(receipt.record.id_tag, 'TAG-L', 'the id tag is a pseudonym');
		assert.match(receipt.record.meter_values.sha256, /^[0-9a-f]{64}$/);
		assert.ok(receipt.record.frames.count >= 4, `frames ${JSON.stringify(receipt.record.frames)}`);

		checkpoint = await srv.getOk('/api/v1/ledger/checkpoint');
		assert.equal(receipt.key, checkpoint.key);

		// Independently: Ed25519 over the checkpoint text, RFC 9162 inclusion of the entry.
		const cpNote = openCheckpoint(receipt.checkpoint, checkpoint.public_key_pem);
		assert.ok(cpNote.ok, 'checkpoint signature');
		assert.equal(cpNote.size, receipt.tree_size);
		assert.equal(leafHash(receipt.entry).toString('hex'), receipt.leaf_hash);
		const proof = receipt.inclusion_proof.map((h) => Buffer.from(h, 'base64'));
		assert.ok(verifyInclusion(leafHash(receipt.entry), receipt.index, receipt.tree_size, proof, cpNote.root));

		const file = path.join(dir, 'receipt.json');
		writeFileSync(file, JSON.stringify(receipt));
		const ok = run(['ledger', 'verify', file, '--key', checkpoint.key]);
		assert.equal(ok.code, 0, ok.out);
		assert.match(ok.out, /^OK: entry \d+ is in the log 'chargeops\/ledger'/);
		assert.match(ok.out, /signed meter values: verified/);
		// The PEM works as the key too.
		const pemFile = path.join(dir, 'ledger.pub');
		writeFileSync(pemFile, checkpoint.public_key_pem);
		assert.equal(run(['ledger', 'verify', file, '--key', pemFile]).code, 0);

		// Another ledger's key: refused.
		const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
		const otherFile = path.join(dir, 'other.pub');
		writeFileSync(otherFile, other);
		const bad = run(['ledger', 'verify', file, '--key', otherFile]);
		assert.equal(bad.code, 1, bad.out);
		assert.match(bad.out, /FAILED: the checkpoint is not signed by this key/);

		// One byte of the entry changed: refused.
		const altered = { ...receipt, entry: receipt.entry.replace('"energy_wh":7500', '"energy_wh":7600') };
		delete altered.leaf_hash;
		writeFileSync(file, JSON.stringify(altered));
		const alt = run(['ledger', 'verify', file, '--key', checkpoint.key]);
		assert.equal(alt.code, 1, alt.out);
		assert.match(alt.out, /inclusion proof does not lead/);
	});

	it('a signed value altered by one byte, or from an unregistered meter, is flagged', T, async () => {
		const { id, password } = await srv.registerCharger(undefined, undefined, { meter_public_key: meterPubHex });
		const cp = await srv.charger(id, password);
		txBad = await charge(cp, ocmf(2.0, 9.0, { tamper: true }), 2000, 9000);
		const receipt = await receiptOf(txBad);
		assert.equal(receipt.record.signed_meter.status, 'invalid_signature');
		const anomalies = await waitFor(async () => {
			const a = await srv.getOk(`/api/v1/anomalies?charger_id=${id}&kind=signed_meter_values`);
			return a.items.length ? a.items : null;
		}, { what: 'signed meter anomaly' });
		assert.match(anomalies[0].detail, new RegExp(`transaction ${txBad}: signed meter values invalid_signature`));
		// ... and raised as an alert by fault diagnosis.
		const alert = await waitFor(async () => {
			const a = await srv.getOk(`/api/v1/alerts?charger_id=${id}&limit=100`);
			return a.items.find((x) => x.detector === 'signed_meter_invalid');
		}, { timeout: 8000, what: 'signed meter alert' });
		assert.equal(alert.code, 'invalid_signature');
		assert.equal(alert.category, 'metering');
		assert.match(alert.diagnosis || alert.title, /signed meter|Signed meter/);

		// No key registered: verified signatures need one.
		const c2 = await srv.registerCharger();
		const cp2 = await srv.charger(c2.id, c2.password);
		const tx3 = await charge(cp2, ocmf(1.0, 2.0));
		assert.equal((await receiptOf(tx3)).record.signed_meter.status, 'no_key');

		// A meter key that is not a key is refused by the API.
		const r = await srv.patch(`/api/v1/chargers/${c2.id}`, { meter_public_key: 'hello' });
		assert.equal(r.status, 400);
	});

	it('security events are logged; entries and proofs of the API verify', T, async () => {
		const cp = await srv.newCharger({ handlers: { Reset: () => ({ status: 'Accepted' }) } });
		assert.equal((await srv.patch(`/api/v1/chargers/${cp.id}`, { password: 'a-new-password-1' })).status, 200);
		const cmd = await srv.post(`/api/v1/chargers/${cp.id}/commands/Reset`, { type: 'Soft' });
		assert.equal(cmd.status, 200, cmd.text);
		const seen = await waitFor(async () => {
			const c = await srv.getOk('/api/v1/ledger/checkpoint');
			const events = [];
			for (let i = 0; i < c.tree_size; i++) events.push((await srv.getOk(`/api/v1/ledger/entries/${i}`)).record);
			const mine = events.filter((e) => e.subject === cp.id).map((e) => e.event);
			return mine.includes('remote_command') && mine.includes('charger_credentials') ? events : null;
		}, { timeout: 10000, what: 'security entries' });
		const reset = seen.find((e) => e.subject === cp.id && e.event === 'remote_command');
		assert.equal(reset.actor, 'api:admin');
		assert.match(reset.detail, /^Reset \{"type":"Soft"\}$/);
		assert.ok(seen.some((e) => e.event === 'role_change' && e.subject === 'admin'), 'tokens are logged as role changes');
		// Who may connect is logged too.
		assert.equal((await srv.patch(`/api/v1/chargers/${cp.id}`, { registration: 'rejected' })).status, 200);
		await waitFor(async () => {
			const c = await srv.getOk('/api/v1/ledger/checkpoint');
			const e = await srv.getOk(`/api/v1/ledger/entries/${c.tree_size - 1}`);
			return e.record.event === 'charger_registration' && e.record.subject === cp.id && e.record.detail === 'rejected';
		}, { timeout: 8000, what: 'registration entry' });

		// Every entry's inclusion proof, and consistency from every earlier size, at the latest checkpoint.
		const c = await srv.getOk('/api/v1/ledger/checkpoint');
		const head = openCheckpoint(c.checkpoint, c.public_key_pem);
		assert.ok(head.ok);
		const roots = {};
		for (let i = 0; i < head.size; i++) {
			const e = await srv.getOk(`/api/v1/ledger/entries/${i}`);
			const p = await srv.getOk(`/api/v1/ledger/proof/inclusion?index=${i}&size=${head.size}`);
			assert.ok(verifyInclusion(leafHash(e.entry), i, head.size, p.hashes.map((h) => Buffer.from(h, 'base64')), head.root), `entry ${i}`);
		}
		assert.ok(checkpoint.tree_size >= 1 && checkpoint.tree_size <= head.size);
		roots[checkpoint.tree_size] = Buffer.from(checkpoint.root_hash, 'base64');
		const p = await srv.getOk(`/api/v1/ledger/proof/consistency?from=${checkpoint.tree_size}&to=${head.size}`);
		assert.ok(verifyConsistency(checkpoint.tree_size, head.size, roots[checkpoint.tree_size], head.root, p.hashes.map((h) => Buffer.from(h, 'base64'))));
		assert.equal((await srv.get(`/api/v1/ledger/proof/inclusion?index=${head.size}`)).status, 400);
		assert.equal((await srv.get('/api/v1/ledger/entries/999999')).status, 404);
		assert.equal((await srv.get('/api/v1/transactions/999999/receipt')).status, 404);
		const m = /^chargeops_ledger_entries (\d+)$/m.exec(await srv.metrics());
		assert.ok(m && Number(m[1]) >= head.size, 'ledger size in /metrics');
	});

	it('chargeops ledger audit finds a row changed in the SQLite file', T, async () => {
		await srv.stop();
		const clean = run(['ledger', 'audit', '--data', srv.dataDir]);
		assert.equal(clean.code, 0, clean.out);
		assert.match(clean.out, /0 problems/);

		const db = path.join(srv.dataDir, 'chargeops.db');
		const sql = spawnSync('sqlite3', [db, `UPDATE transactions SET meter_stop = meter_stop + 1 WHERE id = ${txOk}`], { encoding: 'utf8' });
		assert.equal(sql.status, 0, sql.stderr);
		const found = run(['ledger', 'audit', '--data', srv.dataDir]);
		assert.equal(found.code, 1, found.out);
		assert.match(found.out, new RegExp(`TAMPERED: transaction ${txOk} \\(entry \\d+\\) changed in the store since it was logged: meter_stop`));

		const del = spawnSync('sqlite3', [path.join(srv.dataDir, 'ledger.db'), 'DELETE FROM ledger_entries WHERE idx = 1'], { encoding: 'utf8' });
		assert.equal(del.status, 0, del.stderr);
		const gone = run(['ledger', 'audit', '--data', srv.dataDir]);
		assert.equal(gone.code, 1);
		assert.match(gone.out, /entries 1\.\.1 were deleted from the ledger/);
	});
});

describe('chargeops sim signs its meter values', () => {
	let srv;
	const dir = mkdtempSync(path.join(tmpdir(), 'chargeops-ledger-sim-'));
	after(async () => {
		if (srv) await srv.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	it('the simulator signs start and end readings as OCMF; the receipts show them verified', T, async () => {
		srv = await startServer({ args: ['--ledger-checkpoint-interval', '1'] });
		const keyFile = path.join(dir, 'meter.pem');
		writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
		const scenario = path.join(dir, 'ledger.json');
		writeFileSync(scenario, JSON.stringify({
			name: 'ledger', chargers: 2, sample_interval_s: 60,
			charger_types: [{ name: 'ac', kind: 'AC', power_kw: 11, phases: 3, connectors: 1 }],
			site_types: [{ name: 't', sessions_per_day: 0.001, dwell_h: [0.2, 0.3], first_arrival_s: [30, 60] }],
			sites: [{ type: 't', chargers: ['ac', 'ac'] }],
		}));
		const proc = spawn(BIN, ['sim', '--url', `ws://127.0.0.1:${srv.port}/ocpp`, '--scenario', scenario, '--prefix', 'LSIM-',
			'--api', srv.base, '--token', srv.tokens.admin, '--meter-key', keyFile, '--speed', '600', '--duration', '6', '--seed', '5'],
		{ stdio: ['ignore', 'ignore', 'pipe'] });
		let err = '';
		proc.stderr.setEncoding('utf8');
		proc.stderr.on('data', (d) => (err += d));
		const code = await withTimeout(new Promise((resolve) => proc.on('exit', resolve)), 45000, 'sim');
		assert.equal(code, 0, err);
		const txs = await srv.getOk('/api/v1/transactions?status=completed&limit=100');
		assert.ok(txs.items.length >= 1, `completed transactions: ${err}`);
		for (const t of txs.items) {
			const r = await waitFor(async () => {
				const x = await srv.get(`/api/v1/transactions/${t.id}/receipt`);
				return x.status === 200 ? x.body : null;
			}, { timeout: 10000, what: `receipt ${t.id}` });
			assert.equal(r.record.signed_meter.status, 'verified', JSON.stringify(r.record));
			const file = path.join(dir, `r${t.id}.json`);
			writeFileSync(file, JSON.stringify(r));
			const v = run(['ledger', 'verify', file, '--key', r.key]);
			assert.equal(v.code, 0, v.out);
		}
	});
});
