// Duplicate connections and duplicate messages: newest connection wins without
// an outage, re-sent StartTransaction / StopTransaction are idempotent, unknown
// stops are answered and flagged, retransmitted CALLs get the same answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, isoNow, sleep, waitFor, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };

describe('duplicates', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	const history = async (id) => (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/status-history?limit=1000`)).items;
	const connectivity = async (id) => (await history(id)).filter((h) => h.kind === 'connectivity').map((h) => h.status);
	const charger = (id) => srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);

	it('a second connection with the same id replaces the first without an outage', T, async () => {
		const { id, password } = await srv.registerCharger();
		const first = await srv.charger(id, password);
		const firstClosed = new Promise((r) => first.once('close', r));
		assert.equal((await charger(id)).online, true);

		const second = await srv.charger(id, password);
		await withTimeout(firstClosed, 5000, 'old connection closed by the server');
		await sleep(300); // let the old socket's close be fully processed
		assert.equal((await charger(id)).online, true, 'still online after the old socket closed');
		assert.ok(!(await connectivity(id)).includes('Offline'), `no Offline in status history: ${await connectivity(id)}`);

		// The new connection is the live one, for calls both ways.
		assert.ok((await second.call('Heartbeat', {})).currentTime);
		second.handle('GetLocalListVersion', () => ({ listVersion: 42 }));
		const r = await srv.post(`/api/v1/chargers/${encodeURIComponent(id)}/commands/GetLocalListVersion`, {});
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.body, { listVersion: 42 });

		// A real disconnect of the current connection is an outage.
		await second.close();
		await waitFor(async () => (await charger(id)).online === false, { what: 'offline after the live connection closed' });
		const conn = await connectivity(id);
		assert.equal(conn.at(-1), 'Offline', `history ends Offline: ${conn}`);
		assert.equal(conn.filter((s) => s === 'Offline').length, 1, `exactly one Offline: ${conn}`);
		assert.equal(conn[0], 'Online');
	});

	it('a replaced raw connection is closed even when it keeps quiet; its late frames change nothing', T, async () => {
		const { id, password } = await srv.registerCharger();
		const old = await srv.raw(id, { password });
		await old.call('BootNotification', BOOT);
		const now = await srv.raw(id, { password });
		await now.call('BootNotification', BOOT);
		const c = await withTimeout(old.closed, 5000, 'old socket closed');
		assert.notEqual(c.code, 1006, `a Close frame, not a dropped socket: ${JSON.stringify(c)}`);
		assert.ok(c.code >= 1000);
		await sleep(200);
		assert.equal((await charger(id)).online, true);
		const hb = await now.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		now.close();
	});

	it('StartTransaction re-sent after a reconnect gets the same transactionId', T, async () => {
		const { id, password } = await srv.registerCharger();
		const start = { connectorId: 1, idTag: 'TAG-DUP', meterStart: 4711, timestamp: isoNow(-10000) };
		const a = await srv.charger(id, password);
		const r1 = await a.call('StartTransaction', start);
		await a.close();
		const b = await srv.charger(id, password);
		const r2 = await b.call('StartTransaction', { ...start });
		assert.equal(r2.transactionId, r1.transactionId, 'same transaction id');
		const list = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}`);
		assert.equal(list.items.length, 1, 'one transaction');
		// A different start (other timestamp) is a new transaction.
		const r3 = await b.call('StartTransaction', { ...start, connectorId: 2, timestamp: isoNow() });
		assert.notEqual(r3.transactionId, r1.transactionId);
		assert.equal((await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}`)).items.length, 2);
	});

	it('a re-sent StopTransaction is answered and not counted twice', T, async () => {
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-S', meterStart: 1000, timestamp: isoNow(-60000) });
		const stop = {
			transactionId: txid,
			idTag: 'TAG-S',
			meterStop: 1750,
			timestamp: isoNow(-1000),
			reason: 'Local',
			transactionData: [{ timestamp: isoNow(-1000), sampledValue: [{ value: '1750', context: 'Transaction.End' }] }],
		};
		const s1 = await cp.call('StopTransaction', stop);
		const before = await srv.getOk(`/api/v1/transactions/${txid}`);
		await cp.close();
		const cp2 = await srv.charger(cp.id, cp.password);
		const s2 = await cp2.call('StopTransaction', { ...stop });
		assert.deepEqual(s2, s1, 'same answer');
		const s3 = await cp2.call('StopTransaction', { ...stop });
		assert.deepEqual(s3, s1);
		const list = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(cp.id)}`);
		assert.equal(list.items.length, 1, 'one transaction');
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.status, 'completed');
		assert.equal(tx.energy_wh, 750);
		assert.equal(tx.stop_time, before.stop_time);
		assert.equal(tx.meter_values.length, before.meter_values.length, 'transactionData not stored twice');
		assert.equal(tx.meter_values.length, 1);
		const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values`);
		assert.equal(mv.total, 1);
	});

	it('a StopTransaction with an unknown transactionId is answered and flagged unknown_transaction', T, async () => {
		const cp = await srv.newCharger();
		const r = await cp.call('StopTransaction', { transactionId: 987654, idTag: 'TAG-X', meterStop: 300, timestamp: isoNow() });
		assert.ok(r.idTagInfo, 'answered with idTagInfo for the idTag');
		const r2 = await cp.call('StopTransaction', { transactionId: 987655, meterStop: 300, timestamp: isoNow() });
		assert.deepEqual(r2, {});
		const an = await waitFor(async () => {
			const a = await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(cp.id)}&kind=unknown_transaction`);
			return a.items.length >= 2 ? a.items : null;
		}, { what: 'unknown_transaction anomalies' });
		assert.equal(an.length, 2);
		assert.ok(an.every((a) => a.kind === 'unknown_transaction' && a.charger_id === cp.id));
		assert.ok(an.some((a) => String(a.detail).includes('987654')), 'detail keeps what the charger sent');
		const all = await srv.getOk('/api/v1/anomalies?kind=unknown_transaction');
		assert.ok(all.items.length >= 2);
		assert.equal(typeof all.total, 'number');
	});

	it('an unknown StopTransaction is stored: the anomaly keeps the request, its transactionData is kept', T, async () => {
		const cp = await srv.newCharger();
		const stop = {
			transactionId: 876543,
			idTag: 'TAG-Y',
			meterStop: 3456,
			timestamp: isoNow(),
			transactionData: [{ timestamp: isoNow(-1000), sampledValue: [{ value: '3.456', unit: 'kWh', context: 'Transaction.End' }] }],
		};
		const r = await cp.call('StopTransaction', stop);
		assert.ok(r.idTagInfo);
		const an = await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(cp.id)}&kind=unknown_transaction`);
		assert.equal(an.items.length, 1);
		assert.ok(String(an.items[0].detail).includes('3456'), `detail keeps meterStop: ${an.items[0].detail}`);
		const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values?transaction=876543`);
		assert.equal(mv.total, 1, 'transactionData of the unknown transaction is stored');
		assert.equal(mv.items[0].value, 3456);
		assert.equal(mv.items[0].raw_value, '3.456');
		// It did not invent a transaction that would count energy.
		const list = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(cp.id)}`);
		assert.ok(list.items.every((t) => t.energy_wh === null || t.energy_wh === undefined || t.id === 876543), 'no energy counted for a made-up transaction');
	});

	it('MeterValues for a completed or unknown transaction are stored and flagged', T, async () => {
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'L', meterStart: 0, timestamp: isoNow(-5000) });
		await cp.call('StopTransaction', { transactionId: txid, meterStop: 100, timestamp: isoNow(-1000) });
		const late = await cp.call('MeterValues', { connectorId: 1, transactionId: txid, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '101' }] }] });
		assert.deepEqual(late, {});
		const unknown = await cp.call('MeterValues', { connectorId: 1, transactionId: 55555555, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '7' }] }] });
		assert.deepEqual(unknown, {});
		const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values`);
		assert.equal(mv.total, 2, 'both stored');
		const kinds = (await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(cp.id)}`)).items.map((a) => a.kind);
		assert.ok(kinds.includes('meter_values_after_stop'), `kinds: ${kinds}`);
		assert.ok(kinds.includes('meter_values_unknown_transaction'), `kinds: ${kinds}`);
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.energy_wh, 100, 'a late sample does not change the energy');
	});

	it('a CALL retransmitted with the same unique id gets the same answer, work done once', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);

		const hb1 = await ws.call('Heartbeat', {}, 'hb-dup-1');
		await sleep(30);
		const hb2 = await ws.call('Heartbeat', {}, 'hb-dup-1');
		assert.deepEqual(hb2, hb1, 'identical answer, including currentTime');

		const mv = { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '123', measurand: 'Energy.Active.Import.Register' }] }] };
		const m1 = await ws.call('MeterValues', mv, 'mv-dup-1');
		const m2 = await ws.call('MeterValues', mv, 'mv-dup-1');
		assert.deepEqual(m2, m1);
		const stored = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values`);
		assert.equal(stored.total, 1, 'the retransmitted MeterValues is stored once');

		const st = { connectorId: 1, idTag: 'TAG-R', meterStart: 0, timestamp: isoNow() };
		const t1 = await ws.call('StartTransaction', st, 'st-dup-1');
		const t2 = await ws.call('StartTransaction', st, 'st-dup-1');
		assert.deepEqual(t2, t1);
		assert.equal((await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}`)).items.length, 1);

		const dups = await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(id)}&kind=duplicate_message`);
		assert.ok(dups.items.length >= 3, `duplicate messages flagged: ${dups.items.length}`);

		// The same unique id for a different action is a new message, not a retransmission.
		const other = await ws.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }, 'st-dup-1');
		assert.deepEqual(other, [3, 'st-dup-1', {}]);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(ch.connectors.find((c) => c.connector_id === 1)?.status, 'Charging');
		ws.close();
	});

	it('MeterValues retransmitted with the same unique id after a reconnect is stored once', T, async () => {
		// The usual reason for a retransmission: the connection dropped before the answer arrived.
		const { id, password } = await srv.registerCharger();
		const mv = { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '555', measurand: 'Energy.Active.Import.Register' }] }] };
		const a = await srv.raw(id, { password });
		await a.call('BootNotification', BOOT);
		const r1 = await a.call('MeterValues', mv, 'mv-retx-1');
		a.terminate();
		await a.closed;
		const b = await srv.raw(id, { password });
		const r2 = await b.call('MeterValues', mv, 'mv-retx-1');
		assert.deepEqual(r2, r1);
		const stored = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values`);
		assert.equal(stored.total, 1, `stored ${stored.total} times`);
		b.close();
	});
});
