// REST resources: sites and id-tags CRUD, charger CRUD, list envelopes,
// filters, errors, /healthz and /metrics.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uid, isoNow, sleep, waitFor, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };

function assertEnvelope(body, what) {
	assert.ok(body && typeof body === 'object', `${what}: JSON object`);
	assert.ok(Array.isArray(body.items), `${what}: items`);
	for (const k of ['limit', 'offset', 'total']) assert.ok(Number.isInteger(body[k]), `${what}: ${k} is an integer`);
}

function assertError(r, status, code) {
	assert.equal(r.status, status, r.text);
	assert.equal(r.body?.error, code, r.text);
	assert.equal(typeof r.body.detail, 'string', `detail in ${r.text}`);
}

describe('REST API', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('sites CRUD', T, async () => {
		const body = {
			name: 'Main depot',
			address: 'Hafenstrasse 1, Hamburg',
			latitude: 53.5461,
			longitude: 9.9661,
			grid_limit_kw: 250.5,
			opening_hours: {
				twentyfourseven: false,
				regular_hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, period_begin: '06:00', period_end: '22:00' })),
			},
			timezone: 'Europe/Berlin',
		};
		const c = await srv.post('/api/v1/sites', body, { token: 'operator' });
		assert.equal(c.status, 201, c.text);
		assert.equal(typeof c.body.id, 'string');
		assert.ok(c.body.id.length > 0, 'id generated');
		for (const [k, v] of Object.entries(body)) assert.deepEqual(c.body[k], v, k);
		const id = c.body.id;

		const named = await srv.post('/api/v1/sites', { id: 'site-b', name: 'B' });
		assert.equal(named.status, 201, named.text);
		assert.equal(named.body.id, 'site-b');
		assertError(await srv.post('/api/v1/sites', { id: 'site-b', name: 'again' }), 409, 'conflict');
		assertError(await srv.post('/api/v1/sites', { name: 'bad', latitude: 91 }), 400, 'invalid_payload');
		assertError(await srv.post('/api/v1/sites', { name: 'bad', latitude: 'north' }), 400, 'invalid_payload');
		assertError(await srv.post('/api/v1/sites', { name: 'bad', colour: 'red' }), 400, 'invalid_payload');
		assertError(await srv.post('/api/v1/sites', 'not json'), 400, 'bad_request');

		const got = await srv.getOk(`/api/v1/sites/${id}`, { token: 'viewer' });
		for (const [k, v] of Object.entries(body)) assert.deepEqual(got[k], v, k);

		const list = await srv.getOk('/api/v1/sites');
		assertEnvelope(list, 'sites');
		assert.equal(list.total, 2);
		assert.equal(list.limit, 100, 'default limit 100');
		assert.equal(list.offset, 0);
		assert.deepEqual(list.items.map((s) => s.id).sort(), [id, 'site-b'].sort());
		const page = await srv.getOk('/api/v1/sites?limit=1&offset=1');
		assert.equal(page.items.length, 1);
		assert.equal(page.limit, 1);
		assert.equal(page.offset, 1);
		assert.equal(page.total, 2);
		assert.notEqual(page.items[0].id, (await srv.getOk('/api/v1/sites?limit=1')).items[0].id);

		const p = await srv.patch(`/api/v1/sites/${id}`, { name: 'Renamed', grid_limit_kw: 300 });
		assert.equal(p.status, 200, p.text);
		assert.equal(p.body.name, 'Renamed');
		assert.equal(p.body.grid_limit_kw, 300);
		assert.equal(p.body.address, body.address, 'untouched fields stay');
		assert.equal((await srv.getOk(`/api/v1/sites/${id}`)).name, 'Renamed');

		// A charger belongs to a site, which must exist.
		const noSite = await srv.post('/api/v1/chargers', { id: uid(), password: 'password-123', site_id: 'no-such-site' });
		assert.equal(noSite.status, 400, noSite.text);
		assert.equal(noSite.body.error, 'invalid_payload');
		const { id: cid } = await srv.registerCharger(undefined, undefined, { site_id: id });
		assert.equal((await srv.getOk(`/api/v1/chargers/${cid}`)).site_id, id);
		const bySite = await srv.getOk(`/api/v1/chargers?site_id=${id}`);
		assert.deepEqual(bySite.items.map((x) => x.id), [cid]);

		const d = await srv.del(`/api/v1/sites/${id}`);
		assert.equal(d.status, 204);
		assertError(await srv.get(`/api/v1/sites/${id}`), 404, 'not_found');
		assertError(await srv.patch(`/api/v1/sites/${id}`, { name: 'x' }), 404, 'not_found');
		assertError(await srv.del(`/api/v1/sites/${id}`), 404, 'not_found');
		assert.equal((await srv.getOk('/api/v1/sites')).total, 1);
		assert.equal((await srv.getOk(`/api/v1/chargers/${cid}`)).site_id, null, 'the charger stays, without site');
	});

	it('id-tags CRUD, used to answer Authorize', T, async () => {
		const cp = await srv.newCharger();
		const auth = async (tag) => (await cp.call('Authorize', { idTag: tag })).idTagInfo.status;

		const c = await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0001', status: 'Accepted', expiry_date: '2099-12-31T23:59:59.000Z', parent_id_tag: 'FLEET-1' });
		assert.equal(c.status, 201, c.text);
		assert.equal(c.body.id_tag, 'RFID-0001');
		assert.equal(c.body.status, 'Accepted');
		assert.equal(c.body.expiry_date, '2099-12-31T23:59:59.000Z');
		assert.equal(c.body.parent_id_tag, 'FLEET-1');
		await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0002', status: 'Blocked' });
		await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0003', status: 'Accepted' });
		assertError(await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0001', status: 'Accepted' }), 409, 'conflict');
		assertError(await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0009', status: 'Maybe' }), 400, 'invalid_payload');
		assertError(await srv.post('/api/v1/id-tags', { id_tag: 'X'.repeat(21), status: 'Accepted' }), 400, 'invalid_payload');
		assertError(await srv.post('/api/v1/id-tags', { id_tag: 'RFID-0010', status: 'Accepted', expiry_date: 'soon' }), 400, 'invalid_payload');
		assert.equal(await auth('RFID-0001'), 'Accepted');

		const list = await srv.getOk('/api/v1/id-tags');
		assertEnvelope(list, 'id-tags');
		assert.equal(list.total, 3);
		assert.deepEqual(list.items.map((t) => t.id_tag), ['RFID-0001', 'RFID-0002', 'RFID-0003']);
		const blocked = await srv.getOk('/api/v1/id-tags?status=Blocked');
		assert.deepEqual(blocked.items.map((t) => t.id_tag), ['RFID-0002']);
		const page = await srv.getOk('/api/v1/id-tags?limit=2&offset=2');
		assert.deepEqual(page.items.map((t) => t.id_tag), ['RFID-0003']);
		assert.equal(page.total, 3);

		const got = await srv.getOk('/api/v1/id-tags/RFID-0001', { token: 'viewer' });
		assert.equal(got.parent_id_tag, 'FLEET-1');

		const p = await srv.patch('/api/v1/id-tags/RFID-0001', { status: 'Blocked' });
		assert.equal(p.status, 200, p.text);
		assert.equal(p.body.status, 'Blocked');
		assert.equal(await auth('RFID-0001'), 'Blocked', 'Authorize sees the change at once');
		await srv.patch('/api/v1/id-tags/RFID-0001', { status: 'Accepted', expiry_date: '2021-01-01T00:00:00.000Z' });
		assert.equal(await auth('RFID-0001'), 'Expired');
		assertError(await srv.patch('/api/v1/id-tags/RFID-0001', { status: 'Nope' }), 400, 'invalid_payload');
		assertError(await srv.patch('/api/v1/id-tags/NO-SUCH-TAG', { status: 'Blocked' }), 404, 'not_found');

		const d = await srv.del('/api/v1/id-tags/RFID-0001');
		assert.equal(d.status, 204);
		assertError(await srv.get('/api/v1/id-tags/RFID-0001'), 404, 'not_found');
		assertError(await srv.del('/api/v1/id-tags/RFID-0001'), 404, 'not_found');
		assert.equal(await auth('RFID-0001'), 'Invalid', 'a deleted tag is unknown');
		assert.equal((await srv.getOk('/api/v1/id-tags')).total, 2);
	});

	it('chargers CRUD: 409 on duplicate id, PATCH, DELETE disconnects a connected charger', T, async () => {
		const id = uid('CRUD');
		const c = await srv.post('/api/v1/chargers', { id, password: 'secret-password', description: 'bay 4' });
		assert.equal(c.status, 201, c.text);
		assert.equal(c.body.id, id);
		assert.equal(c.body.online, false);
		assert.equal(c.body.registration, 'accepted');
		assert.equal(c.body.description, 'bay 4');
		assert.deepEqual(c.body.connectors, []);
		assertError(await srv.post('/api/v1/chargers', { id, password: 'other-password' }), 409, 'conflict');
		assertError(await srv.post('/api/v1/chargers', { password: 'other-password' }), 400, 'invalid_payload');
		assertError(await srv.get('/api/v1/chargers/NO-SUCH'), 404, 'not_found');
		assertError(await srv.patch('/api/v1/chargers/NO-SUCH', { description: 'x' }), 404, 'not_found');
		assertError(await srv.del('/api/v1/chargers/NO-SUCH'), 404, 'not_found');
		for (const sub of ['meter-values', 'frames', 'status-history', 'events'])
			assertError(await srv.get(`/api/v1/chargers/NO-SUCH/${sub}`), 404, 'not_found');

		const p = await srv.patch(`/api/v1/chargers/${id}`, { description: 'bay 5' });
		assert.equal(p.status, 200, p.text);
		assert.equal(p.body.description, 'bay 5');

		const list = await srv.getOk('/api/v1/chargers');
		assertEnvelope(list, 'chargers');
		assert.ok(list.items.some((x) => x.id === id));
		assert.equal(list.total, list.items.length);

		const ws = await srv.raw(id, { password: 'secret-password' });
		await ws.call('BootNotification', BOOT);
		const d = await srv.del(`/api/v1/chargers/${id}`);
		assert.equal(d.status, 204);
		await withTimeout(ws.closed, 5000, 'deleted charger disconnected');
		assertError(await srv.get(`/api/v1/chargers/${id}`), 404, 'not_found');
		try {
			const again = await srv.raw(id, { password: 'secret-password' });
			again.terminate();
			assert.fail('a deleted charger can connect');
		} catch (e) {
			assert.equal(e.status, 401, e.message);
		}
	});

	it('transactions list filters and 404s', T, async () => {
		const cp = await srv.newCharger();
		const t0 = Date.now();
		const mk = async (conn, startOffset) =>
			(await cp.call('StartTransaction', { connectorId: conn, idTag: 'F', meterStart: 0, timestamp: isoNow(startOffset) })).transactionId;
		const a = await mk(1, -3600e3); // an hour ago
		const b = await mk(2, -60e3);
		await cp.call('StopTransaction', { transactionId: a, meterStop: 5, timestamp: isoNow(-1800e3) });
		const mine = `charger=${encodeURIComponent(cp.id)}`;
		const all = await srv.getOk(`/api/v1/transactions?${mine}`);
		assertEnvelope(all, 'transactions');
		assert.deepEqual(all.items.map((t) => t.id).sort((x, y) => x - y), [a, b]);
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&active=true`)).items.map((t) => t.id), [b]);
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&active=false`)).items.map((t) => t.id), [a]);
		const from = new Date(t0 - 600e3).toISOString();
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&from=${from}`)).items.map((t) => t.id), [b], 'from is on start time');
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&to=${from}`)).items.map((t) => t.id), [a]);
		// from inclusive, to exclusive, on the exact start time
		const bStart = (await srv.getOk(`/api/v1/transactions/${b}`)).start_time;
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&from=${bStart}`)).items.map((t) => t.id), [b]);
		assert.deepEqual((await srv.getOk(`/api/v1/transactions?${mine}&to=${bStart}`)).items.map((t) => t.id), [a]);
		assertError(await srv.get(`/api/v1/transactions?${mine}&from=yesterday`), 400, 'bad_request');
		assertError(await srv.get('/api/v1/transactions?active=maybe'), 400, 'bad_request');
		assertError(await srv.get('/api/v1/transactions/99999999'), 404, 'not_found');
		assertError(await srv.get('/api/v1/transactions/abc'), 404, 'not_found');
		const other = await srv.getOk('/api/v1/transactions?charger=NOBODY');
		assert.equal(other.total, 0);
	});

	it('meter values filters by measurand, transaction and time', T, async () => {
		const cp = await srv.newCharger();
		const { transactionId: tx } = await cp.call('StartTransaction', { connectorId: 1, idTag: 'F', meterStart: 0, timestamp: isoNow(-100e3) });
		const t1 = isoNow(-90e3);
		const t2 = isoNow(-30e3);
		await cp.call('MeterValues', {
			connectorId: 1,
			transactionId: tx,
			meterValue: [
				{ timestamp: t1, sampledValue: [{ value: '10', measurand: 'Energy.Active.Import.Register' }, { value: '230', measurand: 'Voltage' }] },
				{ timestamp: t2, sampledValue: [{ value: '20', measurand: 'Energy.Active.Import.Register' }] },
			],
		});
		await cp.call('MeterValues', { connectorId: 2, meterValue: [{ timestamp: t2, sampledValue: [{ value: '231', measurand: 'Voltage' }] }] });
		const base = `/api/v1/chargers/${encodeURIComponent(cp.id)}/meter-values`;
		const all = await srv.getOk(base);
		assertEnvelope(all, 'meter-values');
		assert.equal(all.total, 4);
		assert.equal((await srv.getOk(`${base}?measurand=Voltage`)).total, 2);
		assert.equal((await srv.getOk(`${base}?transaction=${tx}`)).total, 3);
		assert.deepEqual((await srv.getOk(`${base}?from=${t2}`)).items.map((m) => m.raw_value).sort(), ['20', '231']);
		assert.deepEqual((await srv.getOk(`${base}?to=${t2}`)).items.map((m) => m.raw_value).sort(), ['10', '230']);
		const page = await srv.getOk(`${base}?limit=3`);
		assert.equal(page.items.length, 3);
		assert.equal(page.total, 4);
		assertError(await srv.get(`${base}?from=notatime`), 400, 'bad_request');
	});

	it('limits: default 100, max 1000', T, async () => {
		assert.equal((await srv.getOk('/api/v1/chargers')).limit, 100);
		assert.equal((await srv.getOk('/api/v1/chargers?limit=1000')).limit, 1000);
		const over = await srv.get('/api/v1/chargers?limit=5000');
		assert.ok(over.status === 400 || (over.status === 200 && over.body.limit === 1000), `limit=5000: ${over.status} ${over.text}`);
		for (const bad of ['-1', 'abc']) {
			const r = await srv.get(`/api/v1/chargers?limit=${bad}`);
			assertError(r, 400, 'bad_request');
		}
		assertError(await srv.get('/api/v1/chargers?offset=-5'), 400, 'bad_request');
	});

	it('unknown routes and methods', T, async () => {
		assertError(await srv.get('/api/v1/nothing-here'), 404, 'not_found');
		const m = await srv.request('PUT', '/api/v1/sites', {});
		assert.ok([404, 405].includes(m.status), `PUT /api/v1/sites -> ${m.status}`);
		assert.equal(typeof m.body?.error, 'string');
	});

	it('/metrics: connected chargers and messages in by action', T, async () => {
		const gauge = (text) => {
			const m = /^chargeops_chargers_connected(?:\{\})?\s+(\d+(?:\.\d+)?)$/m.exec(text);
			assert.ok(m, 'chargeops_chargers_connected present');
			return Number(m[1]);
		};
		const boots = (text) => {
			const m = /^chargeops_ocpp_messages_in_total\{action="BootNotification"\}\s+(\d+)$/m.exec(text);
			return m ? Number(m[1]) : 0;
		};
		const before = await srv.metrics();
		assert.match(before, /^# TYPE chargeops_chargers_connected gauge$/m);
		assert.match(before, /^# TYPE chargeops_ocpp_messages_in_total counter$/m);
		const c0 = gauge(before);
		const b0 = boots(before);
		const cp = await srv.newCharger();
		await cp.call('BootNotification', BOOT);
		const during = await srv.metrics();
		assert.equal(gauge(during), c0 + 1, 'one more connected charger');
		assert.equal(boots(during), b0 + 2, 'two more BootNotifications in');
		await cp.close();
		await waitFor(async () => gauge(await srv.metrics()) === c0, { what: 'gauge back down' });
		const r = await srv.get('/metrics', { token: null });
		assert.match(r.headers.get('content-type') || '', /text\/plain/);
	});
});
