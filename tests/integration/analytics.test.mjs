// Server-side aggregation for the console: heatmap, utilisation, distributions,
// peak power per site and a charger's bucketed series, computed from real OCPP
// sessions with known times and energies.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitFor, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };
// Monday 2026-03-02; sessions at 08:00 and 18:30 UTC on Monday, one at 08:15 on Tuesday.
const DAY = '2026-03-02';
const iso = (d, hm) => `${d}T${hm}:00.000Z`;

describe('analytics', () => {
	let srv, a, b;
	const from = '2026-03-02T00:00:00.000Z';
	const to = '2026-03-04T00:00:00.000Z';
	const q = `from=${from}&to=${to}`;

	// One session: start at t0, meter samples of power, stop at t1 with energy Wh.
	async function session(raw, start, stop, energy, powerW) {
		const s = await raw.call('StartTransaction', { connectorId: 1, idTag: 'TAG', meterStart: 10000, timestamp: start });
		const id = s[2].transactionId;
		await raw.call('MeterValues', {
			connectorId: 1, transactionId: id,
			meterValue: [{ timestamp: start, sampledValue: [{ value: String(powerW), measurand: 'Power.Active.Import', unit: 'W' }] }],
		});
		await raw.call('StopTransaction', { transactionId: id, meterStop: 10000 + energy, timestamp: stop });
	}

	before(async () => {
		srv = await startServer();
		await srv.post('/api/v1/sites', { id: 'S1', name: 'Depot', grid_limit_kw: 50 });
		a = await srv.registerCharger(undefined, undefined, { site_id: 'S1' });
		b = await srv.registerCharger(undefined, undefined, { site_id: 'S1' });
		const ra = await srv.raw(a.id, { password: a.password });
		const rb = await srv.raw(b.id, { password: b.password });
		for (const r of [ra, rb]) {
			await r.call('BootNotification', BOOT);
			await r.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
		}
		await session(ra, iso(DAY, '08:00'), iso(DAY, '10:00'), 20000, 11000); // 2 h, 20 kWh
		await session(rb, iso(DAY, '08:00'), iso(DAY, '08:45'), 7000, 7000); // 45 min, 7 kWh
		await session(ra, iso(DAY, '18:30'), iso(DAY, '19:00'), 3000, 6000); // 30 min, 3 kWh
		await session(rb, iso('2026-03-03', '08:15'), iso('2026-03-03', '12:15'), 45000, 11000); // 4 h, 45 kWh
		await waitFor(async () => (await srv.getOk('/api/v1/transactions?active=false')).total === 4, { what: 'stops stored' });
	});
	after(async () => srv && srv.dispose());

	it('heatmap: sessions and energy per weekday (Monday = 0) and hour', T, async () => {
		const h = await srv.getOk(`/api/v1/analytics/heatmap?${q}`);
		assert.equal(h.sessions, 4);
		assert.equal(h.energy_wh, 75000);
		const cell = (w, hr) => h.cells.find((c) => c.weekday === w && c.hour === hr);
		assert.deepEqual(cell(0, 8), { weekday: 0, hour: 8, sessions: 2, energy_wh: 27000 });
		assert.deepEqual(cell(0, 18), { weekday: 0, hour: 18, sessions: 1, energy_wh: 3000 });
		assert.deepEqual(cell(1, 8), { weekday: 1, hour: 8, sessions: 1, energy_wh: 45000 });
		const shifted = await srv.getOk(`/api/v1/analytics/heatmap?${q}&tz_offset_minutes=60`);
		assert.equal(shifted.cells.find((c) => c.weekday === 0 && c.hour === 19).sessions, 1);
		const empty = await srv.getOk(`/api/v1/analytics/heatmap?${q}&site=nowhere`);
		assert.equal(empty.sessions, 0);
	});

	it('utilisation per charger and site, busiest first', T, async () => {
		const u = await srv.getOk(`/api/v1/analytics/utilisation?${q}`);
		const ca = u.chargers.find((c) => c.charger === a.id);
		const cb = u.chargers.find((c) => c.charger === b.id);
		assert.equal(ca.sessions, 2);
		assert.equal(ca.energy_wh, 23000);
		assert.ok(Math.abs(ca.busy_hours - 2.5) < 1e-9, `${ca.busy_hours}`);
		assert.ok(Math.abs(cb.busy_hours - 4.75) < 1e-9, `${cb.busy_hours}`);
		assert.ok(Math.abs(cb.utilisation - 4.75 / 48) < 1e-9, `${cb.utilisation}`);
		assert.equal(u.top_busy[0].charger, b.id);
		assert.equal(u.top_idle[0].charger, a.id);
		const site = u.sites.find((s) => s.site_id === 'S1');
		assert.equal(site.chargers, 2);
		assert.equal(site.sessions, 4);
		assert.ok(Math.abs(site.busy_hours - 7.25) < 1e-9);
		// A window cutting a session counts only the overlap.
		const cut = await srv.getOk(`/api/v1/analytics/utilisation?from=2026-03-02T09:00:00.000Z&to=2026-03-02T12:00:00.000Z`);
		assert.ok(Math.abs(cut.chargers.find((c) => c.charger === a.id).busy_hours - 1) < 1e-9);
	});

	it('distributions of session duration and energy', T, async () => {
		const d = await srv.getOk(`/api/v1/analytics/distributions?${q}`);
		assert.equal(d.sessions, 4);
		const count = (hist, lo) => hist.find((x) => x.from === lo).count;
		assert.equal(count(d.duration_minutes, 30), 2); // 30 and 45 minutes
		assert.equal(count(d.duration_minutes, 120), 1); // 2 h
		assert.equal(count(d.duration_minutes, 240), 1); // 4 h
		assert.equal(count(d.energy_kwh, 0), 1); // 3 kWh
		assert.equal(count(d.energy_kwh, 5), 1); // 7 kWh
		assert.equal(count(d.energy_kwh, 20), 1); // 20 kWh
		assert.equal(count(d.energy_kwh, 40), 1); // 45 kWh
		assert.equal(d.energy_kwh.at(-1).to, null);
	});

	it('peak power per site against its grid limit', T, async () => {
		const p = await srv.getOk(`/api/v1/analytics/peak-power?${q}`);
		const s = p.sites.find((x) => x.site_id === 'S1');
		assert.equal(s.peak_kw, 18); // 11 kW + 7 kW in the same 15-minute bucket on Monday 08:00
		assert.equal(s.at, '2026-03-02T08:00:00.000Z');
		assert.equal(s.grid_limit_kw, 50);
	});

	it('a charger series is bucketed with min, max and mean', T, async () => {
		const s = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(a.id)}/series?measurand=Power.Active.Import&${q}&points=2`);
		assert.equal(s.unit, 'W');
		assert.equal(s.bucket_ms, 86400000);
		assert.equal(s.points.length, 1);
		assert.deepEqual([s.points[0].min, s.points[0].max, s.points[0].avg, s.points[0].n], [6000, 11000, 8500, 2]);
		assert.equal(s.points[0].time, '2026-03-02T00:00:00.000Z');
		const bad = await srv.get(`/api/v1/chargers/${encodeURIComponent(a.id)}/series?${q}`);
		assert.equal(bad.status, 400);
		const missing = await srv.get(`/api/v1/chargers/nope/series?measurand=Voltage&${q}`);
		assert.equal(missing.status, 404);
	});
});
