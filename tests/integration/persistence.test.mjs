// Restart persistence (SIGTERM, same data dir) and kill -9 durability: what
// the server answered is on disk.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, isoNow, sleep, waitFor, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 40000 };

const reg = (value, dt = 0) => ({ timestamp: isoNow(dt), sampledValue: [{ value: String(value), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] });

describe('restart persistence', () => {
	const srv = new Server();
	after(async () => srv.dispose());

	it('chargers, transactions, meter values, id tags and sites survive a SIGTERM restart; active transactions go on', T, async () => {
		await srv.start();
		const site = await srv.post('/api/v1/sites', { name: 'Depot', timezone: 'Europe/Berlin', grid_limit_kw: 150 });
		assert.equal(site.status, 201, site.text);
		const tag = await srv.post('/api/v1/id-tags', { id_tag: 'TAG-P', status: 'Accepted' });
		assert.equal(tag.status, 201);
		const { id, password } = await srv.registerCharger(undefined, undefined, { site_id: site.body.id });
		const cp = await srv.charger(id, password, { boot: false });
		await cp.call('BootNotification', { ...BOOT, chargePointSerialNumber: 'SN-P', firmwareVersion: '9.9' });
		await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });

		// T1: complete before the restart.
		const { transactionId: t1 } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-P', meterStart: 100, timestamp: isoNow(-60000) });
		for (const v of [150, 200, 250]) await cp.call('MeterValues', { connectorId: 1, transactionId: t1, meterValue: [reg(v, -30000)] });
		await cp.call('StopTransaction', { transactionId: t1, meterStop: 300, timestamp: isoNow(-20000) });
		// T2: active across the restart, consistent register samples.
		const t2start = { connectorId: 2, idTag: 'TAG-P', meterStart: 0, timestamp: isoNow(-10000) };
		const { transactionId: t2 } = await cp.call('StartTransaction', t2start);
		for (const v of [100, 200]) await cp.call('MeterValues', { connectorId: 2, transactionId: t2, meterValue: [reg(v, -5000)] });
		// T3: active across the restart, register samples far above what meterStop will say.
		const { transactionId: t3 } = await cp.call('StartTransaction', { connectorId: 3, idTag: 'TAG-P', meterStart: 0, timestamp: isoNow(-9000) });
		await cp.call('MeterValues', { connectorId: 3, transactionId: t3, meterValue: [reg(900000, -4000)] });

		const mvBefore = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values?limit=1000`);
		const chBefore = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		const t1Before = await srv.getOk(`/api/v1/transactions/${t1}`);

		const exit = await srv.stop('SIGTERM');
		assert.equal(exit.code, 0, `clean exit on SIGTERM: ${JSON.stringify(exit)}`);
		await srv.start();

		// Everything is still there.
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(ch.online, false, 'no charger is connected right after a restart');
		for (const k of ['vendor', 'model', 'serial_number', 'firmware_version', 'site_id', 'registration', 'created_at'])
			assert.deepEqual(ch[k], chBefore[k], k);
		assert.deepEqual(ch.connectors.map((c) => [c.connector_id, c.status]), chBefore.connectors.map((c) => [c.connector_id, c.status]));
		assert.deepEqual(await srv.getOk(`/api/v1/transactions/${t1}`), t1Before, 'completed transaction unchanged');
		const mvAfter = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values?limit=1000`);
		assert.deepEqual(mvAfter.items, mvBefore.items, 'meter values unchanged');
		assert.equal(mvAfter.total, 6);
		assert.equal((await srv.getOk('/api/v1/id-tags/TAG-P')).status, 'Accepted');
		assert.equal((await srv.getOk(`/api/v1/sites/${site.body.id}`)).name, 'Depot');
		const active = await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}&active=true`);
		assert.deepEqual(active.items.map((t) => t.id).sort((a, b) => a - b), [t2, t3]);
		const conn = (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/status-history`)).items.filter((h) => h.kind === 'connectivity');
		assert.equal(conn.at(-1).status, 'Offline', `the restart shows as Offline: ${conn.map((h) => h.status)}`);

		// The charger reconnects with its password; the active transactions go on.
		const cp2 = await srv.charger(id, password);
		const again = await cp2.call('StartTransaction', t2start);
		assert.equal(again.transactionId, t2, 'StartTransaction re-sent after the server restart gets the same id');
		await cp2.call('MeterValues', { connectorId: 2, transactionId: t2, meterValue: [reg(300)] });
		const stop2 = await cp2.call('StopTransaction', { transactionId: t2, idTag: 'TAG-P', meterStop: 310, timestamp: isoNow() });
		assert.equal(stop2.idTagInfo.status, 'Accepted');
		const tx2 = await srv.getOk(`/api/v1/transactions/${t2}`);
		assert.equal(tx2.status, 'completed');
		assert.equal(tx2.energy_wh, 310);
		assert.equal(tx2.meter_values.length, 3);
		assert.ok(!tx2.flags.includes('energy_mismatch'), `flags ${tx2.flags}`);
		assert.equal(tx2.register_energy_wh, 300, 'register energy counts the samples from before the restart');

		await cp2.call('StopTransaction', { transactionId: t3, meterStop: 50, timestamp: isoNow() });
		const tx3 = await srv.getOk(`/api/v1/transactions/${t3}`);
		assert.equal(tx3.status, 'completed');
		assert.equal(tx3.energy_wh, 50);
		assert.ok(tx3.flags.includes('energy_mismatch'), `samples from before the restart are cross-checked: flags ${JSON.stringify(tx3.flags)}`);

		const { transactionId: t4 } = await cp2.call('StartTransaction', { connectorId: 1, idTag: 'TAG-P', meterStart: 400, timestamp: isoNow() });
		assert.ok(t4 > Math.max(t1, t2, t3), `new transaction ids do not reuse old ones (${t4})`);
		assert.equal((await srv.getOk(`/api/v1/transactions?charger=${encodeURIComponent(id)}`)).items.length, 4);

		// A restart does not lose the tokens either.
		assert.equal((await srv.get('/api/v1/chargers', { token: 'viewer' })).status, 200);
	});
});

describe('kill -9 durability', () => {
	const srv = new Server();
	after(async () => srv.dispose());

	it('every answered MeterValues survives SIGKILL right after the last answer', T, async () => {
		await srv.start();
		const N = 60;
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'K', meterStart: 0, timestamp: isoNow(-60000) });
		for (let i = 1; i <= N; i++) {
			await cp.call('MeterValues', {
				connectorId: 1,
				transactionId: txid,
				meterValue: [{ timestamp: isoNow(-60000 + i * 100), sampledValue: [{ value: String(i * 10), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
			});
		}
		const last = await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'SuspendedEV' });
		assert.deepEqual(last, {});
		const killed = await srv.stop('SIGKILL', { closeClients: false });
		assert.equal(killed.signal, 'SIGKILL');
		await srv.closeClients();
		await srv.start();

		const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values?limit=1000`);
		assert.equal(mv.total, N, `all ${N} answered MeterValues are stored`);
		assert.deepEqual(
			mv.items.map((m) => m.value),
			Array.from({ length: N }, (_, i) => (i + 1) * 10),
		);
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.status, 'active');
		assert.equal(tx.meter_values.length, N);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}`);
		assert.equal(ch.connectors.find((c) => c.connector_id === 1)?.status, 'SuspendedEV', 'the last StatusNotification is stored');
		assert.equal(ch.online, false);
	});

	it('an answered StopTransaction and a REST write survive SIGKILL', T, async () => {
		if (!srv.running) await srv.start();
		const cp = await srv.newCharger();
		const { transactionId: txid } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'K', meterStart: 10, timestamp: isoNow(-1000) });
		const created = await srv.post('/api/v1/id-tags', { id_tag: 'KILL-TAG', status: 'Blocked' });
		assert.equal(created.status, 201);
		await cp.call('StopTransaction', { transactionId: txid, meterStop: 20, timestamp: isoNow() });
		await srv.stop('SIGKILL', { closeClients: false });
		await srv.closeClients();
		await srv.start();
		const tx = await srv.getOk(`/api/v1/transactions/${txid}`);
		assert.equal(tx.status, 'completed');
		assert.equal(tx.energy_wh, 10);
		assert.equal((await srv.getOk('/api/v1/id-tags/KILL-TAG')).status, 'Blocked');
	});

	it('many chargers sending at once: nothing answered is lost to SIGKILL', T, async () => {
		if (!srv.running) await srv.start();
		const chargers = await Promise.all(Array.from({ length: 5 }, () => srv.newCharger()));
		const per = 20;
		await Promise.all(
			chargers.map(async (cp) => {
				for (let i = 0; i < per; i++)
					await cp.call('MeterValues', { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: String(i), measurand: 'Voltage', unit: 'V' }] }] });
			}),
		);
		await srv.stop('SIGKILL', { closeClients: false });
		await srv.closeClients();
		await srv.start();
		for (const cp of chargers) {
			const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values?measurand=Voltage`);
			assert.equal(mv.total, per, `${cp.id}: ${mv.total}/${per}`);
		}
	});
});
