// Reliability reporting end to end: a charger speaks OCPP (ocpp-rpc, strict) and
// sends a day of StatusNotifications (one arriving out of order), a second
// charger's history and both chargers' charge attempts come in through the
// import endpoint, and the API's figures are checked against minutes worked
// out by hand below.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uid, waitFor, BOOT } from './lib/harness.mjs';

const T = { timeout: 30000 };
const DAY = 'from=2024-03-04T00:00:00Z&to=2024-03-05T00:00:00Z';
const hours = (begin, end) => ({
	twentyfourseven: false,
	regular_hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, period_begin: begin, period_end: end })),
});

describe('reliability reporting', () => {
	let srv, site, a, b;
	before(async () => {
		srv = await startServer({ args: ['--heartbeat-interval', '300'] });
		site = uid('site');
		// Open 06:00-22:00 London time; 4 March 2024 is in winter, so London is UTC.
		const s = await srv.post('/api/v1/sites', { id: site, name: 'Depot', timezone: 'Europe/London', opening_hours: hours('06:00', '22:00') });
		assert.equal(s.status, 201, s.text);
		assert.deepEqual(s.body.opening_hours, hours('06:00', '22:00'));
		a = await srv.registerCharger(uid('A'), undefined, { site_id: site, max_power_kw: 150 });
		b = await srv.registerCharger(uid('B'), undefined, { site_id: site, max_power_kw: 22 });
	});
	after(async () => srv && srv.dispose());

	it('opening hours with a boundary in a DST gap are refused', T, async () => {
		const bad = {
			twentyfourseven: false,
			regular_hours: [{ weekday: 7, period_begin: '01:30', period_end: '18:00' }],
		};
		const r = await srv.post('/api/v1/sites', { name: 'Gap', timezone: 'Europe/London', opening_hours: bad });
		assert.equal(r.status, 400, r.text);
		assert.match(r.body.detail, /01:30 does not exist/);
		const z = await srv.post('/api/v1/sites', { name: 'Zone', timezone: 'Mars/Base' });
		assert.equal(z.status, 400, z.text);
		// The same hours are fine in Tokyo (no summer time); patching the zone to London is then refused.
		const ok = await srv.post('/api/v1/sites', { name: 'Tokyo', timezone: 'Asia/Tokyo', opening_hours: bad });
		assert.equal(ok.status, 201, ok.text);
		const p = await srv.patch(`/api/v1/sites/${ok.body.id}`, { timezone: 'Europe/London' });
		assert.equal(p.status, 400, p.text);
	});

	it('live statuses, imported history and attempts give the worked-out figures', T, async () => {
		const cp = srv.rpcClient(a.id, a.password);
		await cp.connect();
		await cp.call('BootNotification', BOOT);
		const status = (connectorId, st, timestamp, errorCode = 'NoError') =>
			cp.call('StatusNotification', { connectorId, status: st, errorCode, timestamp });
		await status(1, 'Available', '2024-03-04T00:00:00Z');
		await status(1, 'Faulted', '2024-03-04T10:00:00Z', 'GroundFailure');
		await status(1, 'Available', '2024-03-04T10:45:00Z');
		await status(1, 'Faulted', '2024-03-04T21:00:00Z', 'HighTemperature');
		await status(1, 'Available', '2024-03-04T23:00:00Z');
		// Sent late: applied at its own time, not its arrival.
		await status(1, 'Unavailable', '2024-03-04T05:00:00Z');
		await status(1, 'Available', '2024-03-04T05:30:00Z');
		await cp.close();

		const lines = [
			{ charger: b.id, connector: 1, time: '2024-03-03T00:00:00Z', status: 'Available' },
			{ charger: b.id, time: '2024-03-04T12:00:00Z', online: false },
			{ charger: b.id, time: '2024-03-04T12:20:00Z', online: true },
			{ charger: b.id, connector: 1, time: '2024-03-04T15:00:00Z', status: 'Faulted', error_code: 'PowerSwitchFailure' },
			{ charger: b.id, connector: 1, time: '2024-03-04T15:00:00Z', status: 'Faulted', error_code: 'PowerSwitchFailure' },
			{ charger: b.id, connector: 1, time: '2024-03-04T16:00:00Z', status: 'Available' },
			{ charger: b.id, connector: null, time: '2024-03-04T15:00:00Z', cause: { class: 'utility_outage', end: '2024-03-04T15:30:00Z', note: 'grid' } },
			{ charger: b.id, connector: 1, time: '2024-03-04T14:00:00Z', attempt: { end: '2024-03-04T14:30:00Z', id_tag: 'T1', transaction: true, energy_wh: 5000, stop_reason: 'EVDisconnected' } },
			{ charger: b.id, connector: 1, time: '2024-03-04T17:00:00Z', attempt: { end: '2024-03-04T17:05:00Z', id_tag: 'T2', transaction: true, energy_wh: 300, stop_reason: 'EmergencyStop' } },
			{ charger: a.id, connector: 1, time: '2024-03-04T17:12:00Z', attempt: { end: '2024-03-04T17:50:00Z', id_tag: 'T2', transaction: true, energy_wh: 8000 } },
			{ charger: b.id, connector: 1, time: '2024-03-04T18:00:00Z', attempt: { id_tag: 'T3', transaction: false } },
		];
		const body = lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"charger": "nobody", "time": "2024-03-04T00:00:00Z", "online": true}\nnot json\n';
		assert.equal((await srv.post('/api/v1/reliability/import', body, { token: 'viewer' })).status, 403);
		const imp = await srv.post('/api/v1/reliability/import', body, { token: 'operator' });
		assert.equal(imp.status, 200, imp.text);
		assert.equal(imp.body.lines, 13);
		assert.deepEqual(imp.body.imported, { status: 3, connectivity: 2, causes: 1, attempts: 4 });
		assert.equal(imp.body.duplicates, 1);
		assert.equal(imp.body.errors, 2);
		assert.deepEqual(imp.body.error_list.map((e) => e.line), [12, 13]);
		const again = await srv.post('/api/v1/reliability/import', body, { token: 'operator' });
		assert.deepEqual(again.body.imported, { status: 0, connectivity: 0, causes: 0, attempts: 0 }, 'idempotent');
		assert.equal(again.body.duplicates, 11);

		// Charger A's statuses are written through the store queue: wait for the last one.
		const ports = await waitFor(async () => {
			const r = await srv.getOk(`/api/v1/reliability/ports?${DAY}`, { token: 'viewer' });
			const pa = r.items.find((i) => i.charger_id === a.id);
			return pa && pa.nevi.outage_min === 195 ? r : null;
		}, { timeout: 5000, what: 'A has all its statuses' });
		const pa = ports.items.find((i) => i.charger_id === a.id && i.connector_id === 1);
		const pb = ports.items.find((i) => i.charger_id === b.id && i.connector_id === 1);
		// A: down 05:00-05:30 (closed), 10:00-10:45, 21:00-23:00 (22-23 closed): 195 min,
		// excluded 30 + 60 = 90, counted 105. NEVI annual 100 - 105/5256 = 99.98002 -> 99.98;
		// period (1440 - 105) / 1440 = 92.708333 -> 92.7083.
		assert.deepEqual(pa.nevi, { outage_min: 195, excluded_min: 90, counted_min: 105, annual_pct: 99.98, period_pct: 92.7083 });
		assert.deepEqual(pa.cec, { outage_min: 195, excluded_min: 90, counted_min: 105, period_pct: 92.7083 });
		// UK: open 06-22 = 960 min, not reliable 45 + 60 = 105: 855/960 = 89.0625 %.
		assert.deepEqual(pa.uk, { rapid_ports: 1, open_min: 960, not_reliable_min: 105, ineligible_min: 0, pct: 89.0625 });
		// Three failures (one in closed hours), all restored: 195 / 3 = 65; operating 1245 / 3 = 415.
		assert.equal(pa.failures, 3);
		assert.equal(pa.restored, 3);
		assert.equal(pa.mttr_min, 65);
		assert.equal(pa.mtbf_min, 415);
		assert.equal(pa.open_failures, 0);
		// B: off-line 12:00-12:20 and Faulted 15:00-16:00 = 80; the utility outage excludes 30.
		assert.deepEqual(pb.nevi, { outage_min: 80, excluded_min: 30, counted_min: 50, annual_pct: 99.9905, period_pct: 96.5278 });
		assert.equal(pb.uk, null, '22 kW is not a rapid charge point');
		assert.equal(pb.failures, 2);
		assert.equal(pb.failed_sessions.length, 2);
		const es = pb.failed_sessions.find((f) => f.stop_reason === 'EmergencyStop');
		assert.equal(es.failure, 'abnormal_stop');
		assert.equal(pb.failed_sessions.find((f) => f.failure === 'no_transaction').charger_id, b.id);

		const net = await srv.getOk(`/api/v1/reliability/network?${DAY}`);
		assert.equal(net.items.length, 1);
		const n = net.items[0];
		// 2 ports: 1 - 155 / 1,051,200 = 99.98525 -> 99.9853; the UK figure is A's alone.
		assert.equal(n.ports, 2);
		assert.equal(n.nevi.annual_pct, 99.9853);
		assert.equal(n.uk.pct, 89.0625);
		// Plug-ins: T1 (ok), T2 on B then on A 7 min later (first attempt failed), T3 (no transaction).
		assert.equal(n.attempts, 4);
		assert.equal(n.plug_ins, 3);
		assert.equal(n.ftcsr_pct, 33.3333);
		assert.equal(n.attempt_success_pct, 50);
		assert.equal(n.plug_in_chains.length, 3);
		assert.deepEqual(n.plug_in_chains.map((c) => c.length), [1, 2, 1]);

		const sites = await srv.getOk(`/api/v1/reliability/sites?${DAY}&rule=uk`);
		assert.equal(sites.items.length, 1);
		assert.equal(sites.items[0].site_id, site);
		assert.equal(sites.items[0].nevi, undefined, 'rule=uk leaves NEVI out');
		const chargers = await srv.getOk(`/api/v1/reliability/chargers?${DAY}&charger_id=${a.id}`);
		assert.equal(chargers.items.length, 1);
		assert.equal(chargers.items[0].failures, 3);

		const csv = await srv.get(`/api/v1/reliability/ports?${DAY}&rule=nevi&format=csv`);
		assert.equal(csv.status, 200);
		assert.match(csv.headers.get('content-type'), /text\/csv/);
		const rows = csv.text.trim().split('\r\n');
		assert.equal(rows[0].split(',')[0], 'station_id');
		const rowA = rows.find((r) => r.startsWith(`${a.id},1,`)).split(',');
		assert.deepEqual(rowA.slice(6), ['195', '90', '105', '99.9800', '92.7083']);
		const byAccept = await srv.get(`/api/v1/reliability/ports?${DAY}&rule=cec`, { headers: { accept: 'text/csv' } });
		assert.match(byAccept.headers.get('content-type'), /text\/csv/);
		assert.equal(byAccept.text.split('\r\n')[0].split(',').at(-1), 'uptime_pct');
		const uk = await srv.get(`/api/v1/reliability/ports?${DAY}&rule=uk&format=csv`);
		assert.equal(uk.text.trim().split('\r\n').length, 2, 'header and the one rapid EVSE');
		assert.equal((await srv.get(`/api/v1/reliability/ports?${DAY}&format=csv`)).status, 400);

		const month = await srv.getOk('/api/v1/reliability/ports?month=2024-03');
		assert.equal(month.from, '2024-03-01T00:00:00.000Z');
		assert.deepEqual(month.rolling_12m, { from: '2023-03-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' });
		assert.ok(month.items[0].nevi_rolling_12m);
	});

	it('operator cause records change the exclusions', T, async () => {
		const c = await srv.post('/api/v1/reliability/causes', {
			charger_id: a.id, connector_id: 1, class: 'scheduled_maintenance',
			start: '2024-03-04T10:00:00Z', end: '2024-03-04T10:30:00Z', note: 'contactor swap',
		}, { token: 'operator' });
		assert.equal(c.status, 201, c.text);
		assert.equal(c.body.class, 'scheduled_maintenance');
		assert.equal(c.body.end_time, '2024-03-04T10:30:00.000Z');
		assert.equal((await srv.post('/api/v1/reliability/causes', { charger_id: a.id, class: 'aliens', start: '2024-03-04T10:00:00Z' })).status, 400);
		const list = await srv.getOk(`/api/v1/reliability/causes?charger_id=${a.id}`);
		assert.equal(list.items.length, 1);
		let p = (await srv.getOk(`/api/v1/reliability/ports?${DAY}&charger_id=${a.id}`)).items[0];
		// 30 more minutes excluded: 120; counted 75.
		assert.equal(p.nevi.excluded_min, 120);
		assert.equal(p.nevi.counted_min, 75);
		assert.equal((await srv.del(`/api/v1/reliability/causes/${c.body.id}`, { token: 'operator' })).status, 204);
		p = (await srv.getOk(`/api/v1/reliability/ports?${DAY}&charger_id=${a.id}`)).items[0];
		assert.equal(p.nevi.excluded_min, 90);
	});

	it("a work order's outage cause excludes the outage it covers, until it is cancelled", T, async () => {
		// A site open round the clock, so that the time of day the test runs at never matters.
		const allDay = await srv.post('/api/v1/sites', { name: 'Always open', timezone: 'Europe/London' });
		assert.equal(allDay.status, 201, allDay.text);
		const c = await srv.registerCharger(uid('C'), undefined, { site_id: allDay.body.id, max_power_kw: 50 });
		const wo = await srv.post('/api/v1/work-orders', { charger_id: c.id, connector_id: 1, title: 'Cable cut', outage_cause: 'vandalism' }, { token: 'operator' });
		assert.equal(wo.status, 201, wo.text);
		assert.equal(wo.body.outage_cause, 'vandalism');
		// From the order on: the port is Faulted for 10 min, inside a one-hour window.
		const t0 = Math.ceil(Date.now() / 60000) * 60000 + 60000;
		const iso = (ms) => new Date(ms).toISOString();
		const lines = [
			{ charger: c.id, connector: 1, time: iso(t0 - 30 * 60000), status: 'Available' },
			{ charger: c.id, connector: 1, time: iso(t0), status: 'Faulted', error_code: 'OtherError' },
			{ charger: c.id, connector: 1, time: iso(t0 + 10 * 60000), status: 'Available' },
		];
		const imp = await srv.post('/api/v1/reliability/import', lines.map((l) => JSON.stringify(l)).join('\n'), { token: 'operator' });
		assert.equal(imp.status, 200, imp.text);
		const win = `from=${iso(t0 - 30 * 60000)}&to=${iso(t0 + 30 * 60000)}&charger_id=${c.id}`;
		let p = (await srv.getOk(`/api/v1/reliability/ports?${win}`)).items[0];
		assert.deepEqual([p.nevi.outage_min, p.nevi.excluded_min, p.cec.excluded_min], [10, 10, 10]);
		const cancel = await srv.post(`/api/v1/work-orders/${wo.body.id}/actions/cancel`, { note: 'not vandalism' }, { token: 'operator' });
		assert.equal(cancel.status, 200, cancel.text);
		p = await waitFor(async () => {
			const q = (await srv.getOk(`/api/v1/reliability/ports?${win}`)).items[0];
			return q.nevi.excluded_min === 0 ? q : null;
		}, { timeout: 5000, what: 'the cancelled order no longer excludes' });
		assert.equal(p.nevi.counted_min, 10);
	});
});
