// Offline detection: missed heartbeats and unanswered WebSocket pings mark a
// charger offline, with exact times in the status history.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep, waitFor, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 25000 };

describe('offline after missed heartbeats', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--heartbeat-interval', '1', '--offline-missed-heartbeats', '2'] });
	});
	after(async () => srv && srv.dispose());

	const charger = (id) => srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);

	it('a silent charger is disconnected and shown offline; a heartbeating one stays online', T, async () => {
		const quiet = await srv.registerCharger();
		const busy = await srv.registerCharger();
		const q = await srv.raw(quiet.id, { password: quiet.password });
		const b = await srv.raw(busy.id, { password: busy.password });
		const t0 = Date.now();
		const boot = await q.call('BootNotification', BOOT);
		assert.equal(boot[2].interval, 1, 'Boot tells the charger the heartbeat interval');
		await b.call('BootNotification', BOOT);
		assert.equal((await charger(quiet.id)).online, true);

		let beating = true;
		const beat = (async () => {
			while (beating) {
				await b.call('Heartbeat', {}).catch(() => {});
				await sleep(400);
			}
		})();

		const closed = await withTimeout(q.closed, 8000, 'server closes the silent charger');
		const took = Date.now() - t0;
		assert.ok(took >= 1500, `not closed before two intervals were missed (${took} ms)`);
		assert.ok(closed.code >= 1000);
		const off = await waitFor(async () => {
			const c = await charger(quiet.id);
			return c.online === false ? c : null;
		}, { timeout: 3000, what: 'quiet charger offline' });
		assert.equal(off.online, false);

		// The charger's live state changes at once; the history row is written through the
		// store queue and is readable once committed (milliseconds later).
		const hist = await waitFor(async () => {
			const h = (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(quiet.id)}/status-history`)).items.filter(
				(x) => x.kind === 'connectivity',
			);
			return h.length >= 2 ? h : null;
		}, { timeout: 3000, what: 'quiet charger Offline row' });
		assert.deepEqual(hist.map((h) => h.status), ['Online', 'Offline']);
		const tOn = Date.parse(hist[0].time);
		const tOff = Date.parse(hist[1].time);
		assert.ok(tOff > tOn, 'Offline after Online');
		assert.ok(tOff - tOn >= 1500 && tOff - tOn < 8000, `Offline ${tOff - tOn} ms after Online`);
		assert.ok(Math.abs(tOn - t0) < 2000, 'Online time is the connection time');
		assert.match(hist[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339 with milliseconds');

		beating = false;
		await beat;
		assert.equal((await charger(busy.id)).online, true, 'the heartbeating charger stayed online');
		assert.equal(b.closeInfo, null, 'and connected');
		const offline = await srv.getOk('/api/v1/chargers?online=false');
		assert.ok(offline.items.some((c) => c.id === quiet.id));
		assert.ok(!offline.items.some((c) => c.id === busy.id));
		const online = await srv.getOk('/api/v1/chargers?online=true');
		assert.ok(online.items.some((c) => c.id === busy.id));
		b.close();
	});

	it('any message counts as a sign of life, not only Heartbeat', T, async () => {
		const cp = await srv.registerCharger();
		const ws = await srv.raw(cp.id, { password: cp.password });
		await ws.call('BootNotification', BOOT);
		const end = Date.now() + 4000;
		while (Date.now() < end) {
			const r = await ws.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
			assert.equal(r[0], 3);
			await sleep(400);
		}
		assert.equal(ws.closeInfo, null, 'still connected');
		assert.equal((await charger(cp.id)).online, true);
		ws.close();
	});
});

describe('offline after unanswered WebSocket pings', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--heartbeat-interval', '3600', '--ping-interval', '1', '--ping-timeout', '1'] });
	});
	after(async () => srv && srv.dispose());

	it('a charger that does not answer pings is marked offline; one that does stays', T, async () => {
		const deaf = await srv.registerCharger();
		const fine = await srv.registerCharger();
		const d = await srv.raw(deaf.id, { password: deaf.password, wsOpts: { autoPong: false } });
		const f = await srv.raw(fine.id, { password: fine.password });
		let pings = 0;
		d.ws.on('ping', () => pings++);
		await d.call('BootNotification', BOOT);
		await f.call('BootNotification', BOOT);
		await withTimeout(d.closed, 10000, 'server drops the charger that ignores pings');
		assert.ok(pings >= 1, 'the server pinged');
		await waitFor(async () => (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(deaf.id)}`)).online === false, {
			timeout: 3000,
			what: 'deaf charger offline',
		});
		// The charger's live state changes at once; the history row is written through the
		// store queue and is readable once committed (milliseconds later).
		const hist = await waitFor(async () => {
			const h = (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(deaf.id)}/status-history`)).items.filter(
				(x) => x.kind === 'connectivity',
			);
			return h.length >= 2 ? h : null;
		}, { timeout: 3000, what: 'deaf charger Offline row' });
		assert.deepEqual(hist.map((h) => h.status), ['Online', 'Offline']);
		assert.equal(f.closeInfo, null, 'the charger answering pings is still connected');
		assert.equal((await srv.getOk(`/api/v1/chargers/${encodeURIComponent(fine.id)}`)).online, true);
		f.close();
	});
});
