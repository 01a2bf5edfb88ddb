// The whole charging flow through ocpp-rpc in strict mode, timestamp and energy
// anomalies, and the operator closing a stale transaction.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, isoNow, sleep, waitFor, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };
const close = (a, b, eps = 1e-6) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

describe('charging flow (ocpp-rpc strict)', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--heartbeat-interval', '120'] });
		for (const t of [
			{ id_tag: 'TAG-OK', status: 'Accepted' },
			{ id_tag: 'TAG-BLOCKED', status: 'Blocked' },
			{ id_tag: 'TAG-OLD', status: 'Accepted', expiry_date: '2020-01-01T00:00:00.000Z' },
			{ id_tag: 'TAG-CHILD', status: 'Accepted', expiry_date: '2099-01-01T00:00:00.000Z', parent_id_tag: 'TAG-OK' },
		]) {
			const r = await srv.post('/api/v1/id-tags', t);
			assert.equal(r.status, 201, `create id tag ${t.id_tag}: ${r.text}`);
		}
	});
	after(async () => srv && srv.dispose());

	it('boot, status, authorize, start, meter values, stop: everything lands in the API', T, async () => {
		const { id, password } = await srv.registerCharger();
		const cp = srv.rpcClient(id, password);
		await cp.connect();

		const boot = await cp.call('BootNotification', {
			chargePointVendor: 'Acme',
			chargePointModel: 'Wallbox X',
			chargePointSerialNumber: 'SN-0001',
			firmwareVersion: '1.2.3',
			meterType: 'MID meter',
		});
		assert.equal(boot.status, 'Accepted');
		assert.equal(boot.interval, 120, 'interval is the configured heartbeat interval');
		assert.ok(Math.abs(Date.parse(boot.currentTime) - Date.now()) < 60000, `currentTime ${boot.currentTime}`);

		const hb = await cp.call('Heartbeat', {});
		assert.ok(!Number.isNaN(Date.parse(hb.currentTime)));

		assert.deepEqual(await cp.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' }), {});
		assert.deepEqual(
			await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: isoNow() }),
			{},
		);
		await cp.call('StatusNotification', { connectorId: 2, errorCode: 'GroundFailure', status: 'Faulted', info: 'rcd tripped', vendorErrorCode: 'E42' });

		// Authorize
		const ok = await cp.call('Authorize', { idTag: 'TAG-OK' });
		assert.equal(ok.idTagInfo.status, 'Accepted');
		assert.equal((await cp.call('Authorize', { idTag: 'TAG-NOBODY' })).idTagInfo.status, 'Invalid');
		assert.equal((await cp.call('Authorize', { idTag: 'TAG-BLOCKED' })).idTagInfo.status, 'Blocked');
		assert.equal((await cp.call('Authorize', { idTag: 'TAG-OLD' })).idTagInfo.status, 'Expired');
		const child = await cp.call('Authorize', { idTag: 'TAG-CHILD' });
		assert.equal(child.idTagInfo.status, 'Accepted');
		assert.equal(child.idTagInfo.parentIdTag, 'TAG-OK');
		assert.equal(Date.parse(child.idTagInfo.expiryDate), Date.parse('2099-01-01T00:00:00Z'));

		await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
		const startTs = isoNow(-5000);
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-OK', meterStart: 1000, timestamp: startTs });
		assert.equal(start.idTagInfo.status, 'Accepted');
		assert.ok(Number.isInteger(start.transactionId), 'transactionId is an integer');
		const txid = start.transactionId;
		await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });

		let active = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(active.status, 'active');
		assert.equal(active.meter_start, 1000);
		assert.equal(active.meter_stop, null);
		const activeList = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}&active=true`);
		assert.deepEqual(activeList.items.map((t) => t.id), [txid]);

		const mvTs = isoNow(-2000);
		const mv = await cp.call('MeterValues', {
			connectorId: 1,
			transactionId: txid,
			meterValue: [
				{
					timestamp: mvTs,
					sampledValue: [
						{ value: '1.5', context: 'Sample.Periodic', format: 'Raw', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'kWh' },
						{ value: '3.7', measurand: 'Power.Active.Import', phase: 'L1', unit: 'kW' },
						{ value: '3.6', measurand: 'Power.Active.Import', phase: 'L2', unit: 'kW' },
						{ value: '3.5', measurand: 'Power.Active.Import', phase: 'L3', unit: 'kW' },
						{ value: '16.1', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
						{ value: '230.4', measurand: 'Voltage', phase: 'L1-N', unit: 'V' },
						{ value: '56', measurand: 'SoC', location: 'EV', unit: 'Percent' },
						{ value: '300.15', measurand: 'Temperature', location: 'Body', unit: 'K' },
						{ value: '0.98', measurand: 'Power.Factor' },
						{ value: '1200', measurand: 'Energy.Active.Import.Interval', context: 'Sample.Clock' },
						{ value: '2.25', measurand: 'Energy.Reactive.Import.Register', unit: 'kvarh' },
					],
				},
				{ timestamp: isoNow(-1000), sampledValue: [{ value: '2000' }] },
			],
		});
		assert.deepEqual(mv, {});

		// Meter values for the charger, with SI value and the original text.
		const all = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values`);
		assert.ok(Array.isArray(all.items));
		assert.equal(all.items.length, 12, `12 sampled values stored, got ${all.items.length}`);
		for (const k of ['limit', 'offset', 'total']) assert.equal(typeof all[k], 'number', `list has ${k}`);
		assert.equal(all.total, 12);

		const power = (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values?measurand=Power.Active.Import`)).items;
		assert.equal(power.length, 3);
		const byPhase = Object.fromEntries(power.map((p) => [p.phase, p]));
		assert.deepEqual(Object.keys(byPhase).sort(), ['L1', 'L2', 'L3']);
		assert.ok(close(byPhase.L1.value, 3700), `3.7 kW -> 3700 W, got ${byPhase.L1.value}`);
		assert.equal(byPhase.L1.unit, 'W');
		assert.equal(byPhase.L1.raw_value, '3.7');
		assert.equal(byPhase.L1.raw_unit, 'kW');
		assert.ok(close(byPhase.L3.value, 3500));

		const reg = (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values?measurand=Energy.Active.Import.Register`)).items;
		assert.equal(reg.length, 2, 'the kWh sample and the default-measurand sample');
		assert.ok(close(reg[0].value, 1500), `1.5 kWh -> 1500 Wh, got ${reg[0].value}`);
		assert.equal(reg[0].unit, 'Wh');
		assert.equal(reg[0].raw_value, '1.5');
		assert.equal(reg[0].raw_unit, 'kWh');
		assert.equal(reg[0].transaction_id, txid);
		assert.equal(reg[0].connector_id, 1);
		assert.equal(Date.parse(reg[0].time), Date.parse(mvTs), 'sample time is the charger timestamp');
		assert.ok(close(reg[1].value, 2000));
		assert.equal(reg[1].unit, 'Wh', 'a sample without unit is Wh');

		const get1 = async (m) => (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values?measurand=${m}`)).items;
		const [temp] = await get1('Temperature');
		assert.ok(close(temp.value, 27, 1e-3), `300.15 K -> 27 Celsius, got ${temp.value}`);
		assert.equal(temp.unit, 'Celsius');
		assert.equal(temp.raw_unit, 'K');
		assert.equal(temp.location, 'Body');
		const [soc] = await get1('SoC');
		assert.equal(soc.value, 56);
		assert.equal(soc.location, 'EV');
		const [volt] = await get1('Voltage');
		assert.equal(volt.phase, 'L1-N');
		assert.ok(close(volt.value, 230.4));
		const [react] = await get1('Energy.Reactive.Import.Register');
		assert.ok(close(react.value, 2250));
		assert.equal(react.unit, 'varh');
		const [intv] = await get1('Energy.Active.Import.Interval');
		assert.equal(intv.context, 'Sample.Clock');

		// Stop with transactionData.
		await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Finishing' });
		const stopTs = isoNow();
		const stop = await cp.call('StopTransaction', {
			transactionId: txid,
			idTag: 'TAG-OK',
			meterStop: 2500,
			timestamp: stopTs,
			reason: 'EVDisconnected',
			transactionData: [
				{
					timestamp: stopTs,
					sampledValue: [{ value: '2.5', context: 'Transaction.End', measurand: 'Energy.Active.Import.Register', unit: 'kWh' }],
				},
			],
		});
		assert.equal(stop.idTagInfo.status, 'Accepted');

		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.id, txid);
		assert.equal(tx.charger_id, id);
		assert.equal(tx.connector_id, 1);
		assert.equal(tx.id_tag, 'TAG-OK');
		assert.equal(tx.status, 'completed');
		assert.equal(tx.meter_start, 1000);
		assert.equal(tx.meter_stop, 2500);
		assert.equal(tx.energy_wh, 1500, 'energy = meterStop - meterStart');
		assert.equal(tx.stop_reason, 'EVDisconnected');
		assert.equal(tx.closed_by, 'charger');
		assert.equal(Date.parse(tx.start_time), Date.parse(startTs));
		assert.equal(Date.parse(tx.stop_time), Date.parse(stopTs));
		assert.ok(Array.isArray(tx.flags));
		assert.deepEqual(tx.flags, [], 'a clean transaction has no flags');
		assert.equal(tx.register_energy_wh, 1500);
		assert.ok(Array.isArray(tx.meter_values));
		assert.equal(tx.meter_values.length, 13, 'the 12 samples during the transaction + the transactionData one');
		const end = tx.meter_values.find((m) => m.context === 'Transaction.End');
		assert.ok(end, 'transactionData sample is stored with the transaction');
		assert.ok(close(end.value, 2500));
		assert.equal(end.raw_value, '2.5');
		assert.equal(end.raw_unit, 'kWh');
		assert.equal(end.unit, 'Wh');

		await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
		const completed = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}&active=false`);
		assert.deepEqual(completed.items.map((t) => t.id), [txid]);

		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(ch.id, id);
		assert.equal(ch.online, true);
		assert.equal(ch.vendor, 'Acme');
		assert.equal(ch.model, 'Wallbox X');
		assert.equal(ch.serial_number, 'SN-0001');
		assert.equal(ch.firmware_version, '1.2.3');
		assert.equal(ch.meter_type, 'MID meter');
		assert.ok(ch.last_seen && Date.now() - Date.parse(ch.last_seen) < 60000, `last_seen ${ch.last_seen}`);
		const conns = Object.fromEntries(ch.connectors.map((c) => [c.connector_id, c]));
		assert.deepEqual(Object.keys(conns).map(Number).sort(), [0, 1, 2]);
		assert.equal(conns[0].status, 'Available');
		assert.equal(conns[1].status, 'Available');
		assert.equal(conns[1].error_code, 'NoError');
		assert.equal(conns[2].status, 'Faulted');
		assert.equal(conns[2].error_code, 'GroundFailure');
		assert.equal(conns[2].info, 'rcd tripped');
		assert.equal(conns[2].vendor_error_code, 'E42');

		const hist = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/status-history`);
		const c1 = hist.items.filter((h) => h.connector_id === 1).map((h) => h.status);
		assert.deepEqual(c1, ['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);

		const events = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/events?kind=boot`);
		assert.equal(events.items.length, 1, 'one boot event');

		// Every frame in and out is in the frame log.
		const frames = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/frames?action=StopTransaction`);
		assert.ok(frames.items.some((f) => f.direction === 'in'), 'inbound StopTransaction logged');
		assert.equal(cp.strictFailures.length, 0, 'no answer of the server failed strict validation');
		await cp.close();
	});

	it('DataTransfer, DiagnosticsStatusNotification and FirmwareStatusNotification are answered', T, async () => {
		const cp = await srv.newCharger();
		const dt = await cp.call('DataTransfer', { vendorId: 'com.example', messageId: 'hello', data: 'x' });
		assert.ok(['Accepted', 'Rejected', 'UnknownMessageId', 'UnknownVendorId'].includes(dt.status));
		assert.deepEqual(await cp.call('DiagnosticsStatusNotification', { status: 'Uploaded' }), {});
		assert.deepEqual(await cp.call('FirmwareStatusNotification', { status: 'Installed' }), {});
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}`);
		assert.equal(ch.firmware_status, 'Installed');
		assert.equal(ch.diagnostics_status, 'Uploaded');
		const ev = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/events`);
		const kinds = ev.items.map((e) => e.kind);
		for (const k of ['boot', 'firmware', 'diagnostics']) assert.ok(kinds.includes(k), `event ${k} recorded: ${kinds}`);
	});

	it('StartTransaction with an unknown idTag is answered Invalid (and recorded)', T, async () => {
		const cp = await srv.newCharger();
		const r = await cp.call('StartTransaction', { connectorId: 1, idTag: 'NOT-KNOWN', meterStart: 0, timestamp: isoNow() });
		assert.equal(r.idTagInfo.status, 'Invalid');
		assert.ok(Number.isInteger(r.transactionId));
	});
});

describe('timestamps and energy anomalies', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--clock-skew-max', '300'] });
	});
	after(async () => srv && srv.dispose());

	const anomalies = async (charger, kind) =>
		(await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(charger)}&kind=${kind}`)).items;

	it('a timestamp without time zone is accepted and flagged timestamp_no_tz', T, async () => {
		const { id, password } = await srv.registerCharger();
		// ocpp-rpc strict mode would refuse to send a zone-less date-time: raw frames.
		const ws = await srv.raw(id, { password });
		const boot = await ws.call('BootNotification', BOOT);
		assert.equal(boot[0], 3);
		const noTz = new Date().toISOString().slice(0, 19); // e.g. 2026-01-01T10:00:00
		const start = await ws.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 10, timestamp: noTz });
		assert.equal(start[0], 3, `StartTransaction answered with a CALLRESULT: ${JSON.stringify(start)}`);
		const txid = start[2].transactionId;
		assert.ok(Number.isInteger(txid));
		const st = await ws.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: '2026-01-01T10:00:00' });
		assert.deepEqual(st, [3, st[1], {}]);
		const items = await waitFor(async () => {
			const a = await anomalies(id, 'timestamp_no_tz');
			return a.length ? a : null;
		}, { what: 'timestamp_no_tz anomaly' });
		assert.equal(items[0].kind, 'timestamp_no_tz');
		assert.equal(items[0].charger_id, id);
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.ok(tx.flags.includes('timestamp_no_tz'), `flags: ${tx.flags}`);
		assert.equal(Date.parse(tx.start_time), Date.parse(noTz + 'Z'), 'zone-less time read as UTC');
		ws.close();
	});

	it('a far-off timestamp is accepted and flagged clock_skew', T, async () => {
		const { id, password } = await srv.registerCharger();
		const cp = await srv.charger(id, password);
		const farPast = '2015-03-01T12:00:00.000Z';
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 0, timestamp: farPast });
		assert.ok(Number.isInteger(start.transactionId));
		assert.deepEqual(await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: isoNow(86400e3) }), {});
		const items = await waitFor(async () => {
			const a = await anomalies(id, 'clock_skew');
			return a.length ? a : null;
		}, { what: 'clock_skew anomaly' });
		assert.equal(items[0].charger_id, id);
		const tx = await srv.getOk(`/api/v1/transactions/${start.transactionId}`);
		assert.equal(Date.parse(tx.start_time), Date.parse(farPast), 'the charger time is kept as sent');
		// A charger with a correct clock is not flagged.
		const good = await srv.newCharger();
		await good.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: isoNow() });
		await sleep(200);
		assert.equal((await anomalies(good.id, 'clock_skew')).length, 0);
	});

	it('register samples far from meterStart..meterStop flag energy_mismatch', T, async () => {
		const cp = await srv.newCharger();
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 0, timestamp: isoNow(-60000) });
		const txid = start.transactionId;
		for (const [v, dt] of [
			['910000', -40000],
			['910020', -20000],
			['910050', -1000],
		]) {
			await cp.call('MeterValues', {
				connectorId: 1,
				transactionId: txid,
				meterValue: [{ timestamp: isoNow(dt), sampledValue: [{ value: v, measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
			});
		}
		await cp.call('StopTransaction', { transactionId: txid, meterStop: 83, timestamp: isoNow() });
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.status, 'completed');
		assert.equal(tx.energy_wh, 83, 'energy is still meterStop - meterStart');
		assert.ok(tx.flags.includes('energy_mismatch'), `flags: ${JSON.stringify(tx.flags)}`);
		assert.equal(tx.meter_values.length, 3);
		const an = await anomalies(cp.id, 'energy_mismatch');
		assert.equal(an.length, 1, 'one energy_mismatch anomaly');
	});

	it('register samples that agree with meterStop do not flag energy_mismatch', T, async () => {
		const cp = await srv.newCharger();
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 5000, timestamp: isoNow(-60000) });
		const txid = start.transactionId;
		await cp.call('MeterValues', {
			connectorId: 1,
			transactionId: txid,
			meterValue: [{ timestamp: isoNow(-30000), sampledValue: [{ value: '5.4', measurand: 'Energy.Active.Import.Register', unit: 'kWh' }] }],
		});
		await cp.call('StopTransaction', { transactionId: txid, meterStop: 5800, timestamp: isoNow() });
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.energy_wh, 800);
		assert.ok(!tx.flags.includes('energy_mismatch'), `flags: ${JSON.stringify(tx.flags)}`);
		assert.equal(tx.register_energy_wh, 400);
	});
});

describe('operator closes a stale transaction', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('close an active transaction, then 409 on a second close', T, async () => {
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 100, timestamp: isoNow(-3600e3 * 0.05) });

		const bad = await srv.post(`/api/v1/transactions/${txid}/close`, {});
		assert.equal(bad.status, 400, 'a reason is required');
		const viewer = await srv.post(`/api/v1/transactions/${txid}/close`, { reason: 'x' }, { token: 'viewer' });
		assert.equal(viewer.status, 403);
		assert.equal((await srv.getOk(`/api/v1/transactions/${txid}`)).status, 'active', 'refused closes change nothing');

		const r = await srv.post(`/api/v1/transactions/${txid}/close`, { reason: 'charger lost the session' }, { token: 'operator' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.id, txid);
		assert.equal(r.body.status, 'completed');
		assert.equal(r.body.closed_by, 'operator');
		assert.equal(r.body.close_reason, 'charger lost the session');
		assert.ok(r.body.stop_time, 'stop_time set');

		const again = await srv.post(`/api/v1/transactions/${txid}/close`, { reason: 'again' });
		assert.equal(again.status, 409);
		assert.equal(again.body.error, 'conflict');

		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.status, 'completed');
		assert.equal(tx.closed_by, 'operator');
		assert.equal(tx.close_reason, 'charger lost the session');
		assert.ok(tx.flags.includes('closed_by_operator'), `flags: ${JSON.stringify(tx.flags)}`);
		const act = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(cp.id)}&active=true`);
		assert.equal(act.items.length, 0);
	});

	it('close with meter_stop computes energy; unknown transaction 404', T, async () => {
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 2, idTag: 'ANY', meterStart: 100, timestamp: isoNow(-60000) });
		const r = await srv.post(`/api/v1/transactions/${txid}/close`, { reason: 'stale', meter_stop: 1100 });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.meter_stop, 1100);
		assert.equal(r.body.energy_wh, 1000);
		const nf = await srv.post('/api/v1/transactions/987654321/close', { reason: 'x' });
		assert.equal(nf.status, 404);
		assert.equal(nf.body.error, 'not_found');
		// The charger's own late StopTransaction is still answered.
		const late = await cp.call('StopTransaction', { transactionId: txid, meterStop: 1200, timestamp: isoNow() });
		assert.deepEqual(late, {});
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.closed_by, 'operator', 'the operator close stands');
	});
});
