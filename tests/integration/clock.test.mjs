// clock = charger: a simulated fleet's declared clock (and its timestamps) is the
// time of its records, connectivity included, so accelerated history looks like
// live history. The default (wall clock) ignores the declaration.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitFor, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };
const DECLARE = {
	vendorId: 'org.chargeops.sim',
	messageId: 'clock',
	data: JSON.stringify({ time: '2025-03-01T10:00:00.000Z', speed: 3600 }),
};
const t0 = Date.parse('2025-03-01T10:00:00.000Z');

describe('charger clock', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--clock', 'charger'] });
	});
	after(async () => srv && srv.dispose());

	it('records of a simulated charger carry its declared time, connectivity included', T, async () => {
		const { id, password } = await srv.registerCharger();
		const raw = await srv.raw(id, { password });
		await raw.call('BootNotification', BOOT);
		const dt = await raw.call('DataTransfer', DECLARE);
		assert.equal(dt[2].status, 'Accepted');
		const hb = await raw.call('Heartbeat', {});
		const hbTime = Date.parse(hb[2].currentTime);
		assert.ok(hbTime >= t0 && hbTime < t0 + 86400000, `Heartbeat answers the charger's time: ${hb[2].currentTime}`);
		await raw.call('StatusNotification', {
			connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: '2025-03-01T10:00:05.000Z',
		});
		raw.close();
		await withTimeout(raw.closed, 5000, 'socket closed');
		const path = `/api/v1/chargers/${encodeURIComponent(id)}/status-history?limit=100`;
		const items = await waitFor(async () => {
			const h = (await srv.getOk(path)).items;
			return h.some((x) => x.kind === 'connectivity' && x.status === 'Offline') ? h : null;
		}, { what: 'offline row' });
		const conn = items.filter((x) => x.kind === 'connectivity');
		assert.deepEqual(conn.map((x) => x.status), ['Online', 'Offline']);
		for (const x of items) {
			const t = Date.parse(x.time);
			assert.ok(t >= t0 && t < t0 + 86400000, `${x.kind} ${x.status} at ${x.time} is on the charger's clock`);
		}
		const anomalies = (await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(id)}&kind=clock_skew`)).items;
		assert.equal(anomalies.length, 0);
	});
});

describe('wall clock (default)', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('ignores a clock declaration and flags the skewed timestamps', T, async () => {
		const { id, password } = await srv.registerCharger();
		const raw = await srv.raw(id, { password });
		await raw.call('BootNotification', BOOT);
		const dt = await raw.call('DataTransfer', DECLARE);
		assert.equal(dt[2].status, 'UnknownVendorId');
		const hb = await raw.call('Heartbeat', {});
		assert.ok(Math.abs(Date.parse(hb[2].currentTime) - Date.now()) < 60000);
		await raw.call('StatusNotification', {
			connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: '2025-03-01T10:00:05.000Z',
		});
		const anomalies = await waitFor(async () => {
			const a = (await srv.getOk(`/api/v1/anomalies?charger=${encodeURIComponent(id)}&kind=clock_skew`)).items;
			return a.length ? a : null;
		}, { what: 'clock_skew anomaly' });
		assert.equal(anomalies.length, 1);
		raw.close();
	});
});
