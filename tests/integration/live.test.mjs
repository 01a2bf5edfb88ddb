// GET /api/v1/live (Server-Sent Events): a charger's messages reach a watcher
// within a second, filters apply, a reconnect with Last-Event-ID gets what it
// missed; and the console's static files are served safely.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, withTimeout, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };

// Opens the stream; events arrive in order in `events`, `next(pred)` waits for one.
function openLive(srv, query = '', headers = {}) {
	return new Promise((resolve, reject) => {
		const req = http.get(`${srv.base}/api/v1/live?${query}`, { headers }, (res) => {
			const s = { res, status: res.statusCode, headers: res.headers, events: [], waiters: [], buf: '' };
			s.close = () => req.destroy();
			s.next = (pred, ms = 3000) =>
				withTimeout(
					new Promise((ok) => {
						const hit = s.events.find(pred);
						if (hit) return ok(hit);
						s.waiters.push({ pred, ok });
					}),
					ms,
					'live event',
				);
			res.setEncoding('utf8');
			res.on('data', (chunk) => {
				s.buf += chunk;
				let i;
				while ((i = s.buf.indexOf('\n\n')) >= 0) {
					const block = s.buf.slice(0, i);
					s.buf = s.buf.slice(i + 2);
					const e = { id: null, event: 'message', data: null, at: Date.now() };
					for (const line of block.split('\n')) {
						if (line.startsWith('id: ')) e.id = Number(line.slice(4));
						else if (line.startsWith('event: ')) e.event = line.slice(7);
						else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
					}
					if (e.data === null && e.event === 'message') continue; // comments, retry
					s.events.push(e);
					s.waiters = s.waiters.filter((w) => (w.pred(e) ? (w.ok(e), false) : true));
				}
			});
			resolve(s);
		});
		req.on('error', reject);
	});
}

describe('live events', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('needs a token: 401 without, and a viewer token in the query works', T, async () => {
		const none = await openLive(srv);
		assert.equal(none.status, 401);
		none.close();
		const bad = await openLive(srv, `access_token=${srv.tokens.viewer}&types=status,bogus`);
		assert.equal(bad.status, 400);
		bad.close();
		const ok = await openLive(srv, `access_token=${srv.tokens.viewer}`);
		assert.equal(ok.status, 200);
		assert.match(ok.headers['content-type'], /^text\/event-stream/);
		assert.equal(ok.headers['cache-control'], 'no-store');
		ok.close();
	});

	it('a status change reaches a watcher of that charger within a second; others are filtered out', T, async () => {
		const a = await srv.registerCharger();
		const b = await srv.registerCharger();
		const live = await openLive(srv, `access_token=${srv.tokens.viewer}&charger=${encodeURIComponent(a.id)}`);
		assert.equal(live.status, 200);
		const ra = await srv.raw(a.id, { password: a.password });
		const rb = await srv.raw(b.id, { password: b.password });
		await live.next((e) => e.event === 'connectivity' && e.data.online === true);
		await ra.call('BootNotification', BOOT);
		await rb.call('BootNotification', BOOT);
		await rb.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Faulted' });
		const t0 = Date.now();
		await ra.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
		const e = await live.next((x) => x.event === 'status');
		assert.ok(e.at - t0 < 1000, `arrived after ${e.at - t0} ms`);
		assert.equal(e.data.charger, a.id);
		assert.equal(e.data.connector, 1);
		assert.equal(e.data.status, 'Charging');
		assert.equal(e.data.error_code, 'NoError');
		assert.ok(Number.isInteger(e.id) && e.id > 0);
		assert.ok(!live.events.some((x) => x.data && x.data.charger === b.id), 'no events of the other charger');
		live.close();
		ra.close();
		rb.close();
	});

	it('meter and transaction events, filtered by type', T, async () => {
		const c = await srv.registerCharger();
		const live = await openLive(srv, `access_token=${srv.tokens.viewer}&types=transaction,meter&charger=${encodeURIComponent(c.id)}`);
		const raw = await srv.raw(c.id, { password: c.password });
		await raw.call('BootNotification', BOOT);
		await raw.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
		const start = await raw.call('StartTransaction', { connectorId: 1, idTag: 'ANY', meterStart: 1000, timestamp: new Date().toISOString() });
		const txid = start[2].transactionId;
		const started = await live.next((e) => e.event === 'transaction');
		assert.equal(started.data.event, 'started');
		assert.equal(started.data.id, txid);
		assert.equal(started.data.meter_start, 1000);
		await raw.call('MeterValues', {
			connectorId: 1, transactionId: txid,
			meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
				{ value: '7200', measurand: 'Power.Active.Import', unit: 'W' },
				{ value: '1.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
			] }],
		});
		const m = await live.next((e) => e.event === 'meter');
		const withPower = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(c.id)}`);
		assert.deepEqual(withPower.power_w, { 1: 7200 }, 'the charger carries its latest power per connector');
		assert.equal(m.data.transaction_id, txid);
		assert.deepEqual(m.data.samples.map((s) => [s.measurand, s.unit, s.value]), [
			['Power.Active.Import', 'W', 7200],
			['Energy.Active.Import.Register', 'Wh', 1500],
		]);
		await raw.call('StopTransaction', { transactionId: txid, meterStop: 2500, timestamp: new Date().toISOString() });
		const stopped = await live.next((e) => e.event === 'transaction' && e.data.event === 'stopped');
		assert.equal((await srv.getOk(`/api/v1/chargers/${encodeURIComponent(c.id)}`)).power_w, null, 'a stop clears it');
		assert.equal(stopped.data.energy_wh, 1500);
		assert.ok(!live.events.some((e) => e.event === 'status' || e.event === 'connectivity'), 'only the types asked for');
		live.close();
		raw.close();
	});

	it('a watcher that reconnects with Last-Event-ID gets what it missed, in order', T, async () => {
		const c = await srv.registerCharger();
		const q = `access_token=${srv.tokens.viewer}&types=status&charger=${encodeURIComponent(c.id)}`;
		const raw = await srv.raw(c.id, { password: c.password });
		await raw.call('BootNotification', BOOT);
		const first = await openLive(srv, q);
		await raw.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
		const seen = await first.next((e) => e.event === 'status');
		first.close();
		await raw.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
		await raw.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'SuspendedEV' });
		const again = await openLive(srv, q, { 'Last-Event-ID': String(seen.id) });
		const e1 = await again.next((e) => e.event === 'status' && e.data.status === 'Charging');
		const e2 = await again.next((e) => e.event === 'status' && e.data.status === 'SuspendedEV');
		assert.ok(e1.id > seen.id && e2.id > e1.id);
		assert.ok(!again.events.some((e) => e.data && e.data.status === 'Preparing'), 'nothing seen before is sent again');
		again.close();
		const stale = await openLive(srv, q, { 'Last-Event-ID': '999999999' });
		await stale.next((e) => e.event === 'reset');
		stale.close();
		raw.close();
	});

	it('GET /api/v1/me tells a token its role', T, async () => {
		assert.deepEqual(await srv.getOk('/api/v1/me', { token: 'viewer' }), { role: 'viewer' });
		assert.deepEqual(await srv.getOk('/api/v1/me', { token: 'operator' }), { role: 'operator' });
	});
});

describe('console files', () => {
	let srv, dir;
	before(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'chargeops-web-'));
		mkdirSync(path.join(dir, 'vendor'));
		writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>ChargeOps</title>');
		writeFileSync(path.join(dir, 'app.js'), 'export const x = 1;\n');
		writeFileSync(path.join(dir, 'vendor', 'lib.js'), 'var lib;\n');
		writeFileSync(path.join(dir, '.secret.json'), '{}');
		writeFileSync(path.join(dir, 'package.json'), '{}');
		mkdirSync(path.join(dir, 'node_modules'));
		writeFileSync(path.join(dir, 'node_modules', 'x.js'), '');
		srv = await startServer({ args: ['--web-root', dir] });
	});
	after(async () => {
		if (srv) await srv.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	const get = (p) => fetch(`${srv.base}${p}`);

	it('serves index.html at / and files with their types and caching', T, async () => {
		const root = await get('/');
		assert.equal(root.status, 200);
		assert.match(root.headers.get('content-type'), /^text\/html/);
		assert.equal(root.headers.get('cache-control'), 'no-cache');
		assert.match(await root.text(), /ChargeOps/);
		const js = await get('/app.js');
		assert.equal(js.status, 200);
		assert.match(js.headers.get('content-type'), /^text\/javascript/);
		assert.equal(await js.text(), 'export const x = 1;\n');
		const vendor = await get('/vendor/lib.js');
		assert.equal(vendor.headers.get('cache-control'), 'public, max-age=86400');
	});

	it('refuses hidden files, parent paths and unknown files; the API keeps its own 404', T, async () => {
		assert.equal((await get('/.secret.json')).status, 404);
		assert.equal((await get('/package.json')).status, 404, 'build files are not served');
		assert.equal((await get('/node_modules/x.js')).status, 404);
		assert.equal((await get('/vendor/../../etc/passwd')).status, 404);
		assert.equal((await get('/%2e%2e/%2e%2e/etc/passwd')).status, 404);
		assert.equal((await get('/missing.js')).status, 404);
		const api = await get('/api/v1/nothing');
		assert.equal(api.status, 404);
		assert.match(api.headers.get('content-type'), /json/);
		assert.equal((await get('/healthz')).status, 200);
	});
});
