// Charger authentication at the WebSocket upgrade, subprotocol negotiation,
// pending registration, and REST token roles.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uid, sleep, waitFor, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };

async function refused(promise) {
	try {
		const s = await promise;
		s.terminate();
	} catch (e) {
		return e;
	}
	assert.fail('the upgrade was accepted');
}

describe('charger authentication', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('the right password connects with subprotocol ocpp1.6', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		assert.equal(ws.ws.protocol, 'ocpp1.6');
		const boot = await ws.call('BootNotification', BOOT);
		assert.equal(boot[0], 3);
		assert.equal(boot[2].status, 'Accepted');
		ws.close();
	});

	it('wrong password: 401', T, async () => {
		const { id } = await srv.registerCharger();
		const e = await refused(srv.raw(id, { password: 'not-the-password' }));
		assert.equal(e.status, 401);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(ch.online, false);
	});

	it('no credentials for a registered charger: 401', T, async () => {
		const { id } = await srv.registerCharger();
		const e = await refused(srv.raw(id, { auth: false }));
		assert.equal(e.status, 401);
	});

	it('Basic auth with another charger\'s id as user name: 401', T, async () => {
		const a = await srv.registerCharger();
		const b = await srv.registerCharger();
		const auth = 'Basic ' + Buffer.from(`${a.id}:${a.password}`).toString('base64');
		const e = await refused(srv.raw(b.id, { auth: false, headers: { authorization: auth } }));
		assert.equal(e.status, 401);
	});

	it('unknown charger id: 401, and not recorded', T, async () => {
		const id = uid('UNKNOWN');
		const e = await refused(srv.raw(id, { password: 'whatever-password' }));
		assert.equal(e.status, 401);
		const r = await srv.get(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(r.status, 404);
	});

	it('ocpp-rpc gets refused with the wrong password', T, async () => {
		const { id } = await srv.registerCharger();
		const cp = srv.rpcClient(id, 'wrong-password-123');
		await assert.rejects(cp.connect());
	});

	it('unsupported subprotocol ocpp2.0.1: HTTP 400', T, async () => {
		const { id, password } = await srv.registerCharger();
		const e = await refused(srv.raw(id, { password, protocols: ['ocpp2.0.1'] }));
		assert.equal(e.status, 400);
	});

	it('missing subprotocol: HTTP 400', T, async () => {
		const { id, password } = await srv.registerCharger();
		const e = await refused(srv.raw(id, { password, protocols: [] }));
		assert.equal(e.status, 400);
	});

	it('ocpp1.6 is chosen when offered first among several', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password, protocols: ['ocpp1.6', 'ocpp2.0.1'] });
		assert.equal(ws.ws.protocol, 'ocpp1.6');
		ws.close();
	});

	it('ocpp1.6 is chosen when offered after a newer version (ocpp2.0.1, ocpp1.6)', T, async () => {
		// RFC 6455 4.2.2: the server selects one of the offered subprotocols it supports.
		// Dual-version chargers commonly offer their newest version first.
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password, protocols: ['ocpp2.0.1', 'ocpp1.6'] });
		assert.equal(ws.ws.protocol, 'ocpp1.6');
		ws.close();
	});

	it('a path without charger id is refused', T, async () => {
		const e = await refused(srv.raw('', { password: 'whatever-password' }));
		assert.ok(e.status >= 400 && e.status < 500, `status ${e.status}`);
	});

	it('a password change takes effect at the next connection', T, async () => {
		const { id, password } = await srv.registerCharger();
		const r = await srv.patch(`/api/v1/chargers/${encodeURIComponent(id)}`, { password: 'brand-new-password' });
		assert.equal(r.status, 200, r.text);
		const e = await refused(srv.raw(id, { password }));
		assert.equal(e.status, 401);
		const ws = await srv.raw(id, { password: 'brand-new-password' });
		ws.close();
	});

	it('passwords outside 8..40 characters are refused', T, async () => {
		for (const password of ['short', 'x'.repeat(41)]) {
			const r = await srv.post('/api/v1/chargers', { id: uid(), password });
			assert.equal(r.status, 400, `${password.length} chars: ${r.text}`);
		}
		const ok = await srv.post('/api/v1/chargers', { id: uid(), password: 'x'.repeat(40) });
		assert.equal(ok.status, 201, ok.text);
		assert.equal(ok.body.password, undefined, 'the password is never shown');
		assert.equal(ok.body.password_hash, undefined, 'the hash is never shown');
	});
});

describe('--accept-unknown', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--accept-unknown'] });
	});
	after(async () => srv && srv.dispose());

	it('an unknown charger is accepted as pending; after an operator accepts it, Boot is Accepted', T, async () => {
		const id = uid('NEW');
		const cp = await srv.charger(id, 'first-password', { boot: false });
		const boot = await cp.call('BootNotification', BOOT);
		assert.equal(boot.status, 'Pending');
		assert.ok(Number.isInteger(boot.interval) && boot.interval > 0);

		const ch = await waitFor(async () => {
			const r = await srv.get(`/api/v1/chargers/${encodeURIComponent(id)}`);
			return r.status === 200 ? r.body : null;
		}, { what: 'pending charger listed' });
		assert.equal(ch.registration, 'pending');
		const pending = await srv.getOk('/api/v1/chargers?registration=pending');
		assert.ok(pending.items.some((c) => c.id === id), 'listed under registration=pending');
		const accepted = await srv.getOk('/api/v1/chargers?registration=accepted');
		assert.ok(!accepted.items.some((c) => c.id === id));

		const viewer = await srv.patch(`/api/v1/chargers/${encodeURIComponent(id)}`, { registration: 'accepted' }, { token: 'viewer' });
		assert.equal(viewer.status, 403);
		const bad = await srv.patch(`/api/v1/chargers/${encodeURIComponent(id)}`, { registration: 'maybe' });
		assert.equal(bad.status, 400);

		const r = await srv.patch(`/api/v1/chargers/${encodeURIComponent(id)}`, { registration: 'accepted' }, { token: 'operator' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.registration, 'accepted');
		const boot2 = await cp.call('BootNotification', BOOT);
		assert.equal(boot2.status, 'Accepted');
		const after = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(after.registration, 'accepted');
		assert.equal(after.online, true);
	});

	it('registration rejected: the charger is disconnected and refused with 403 from then on', T, async () => {
		const id = uid('REJ');
		const ws = await srv.raw(id, { password: 'some-password-1' });
		const boot = await ws.call('BootNotification', BOOT);
		assert.equal(boot[2].status, 'Pending');
		await waitFor(async () => (await srv.get(`/api/v1/chargers/${encodeURIComponent(id)}`)).status === 200, { what: 'pending charger recorded' });
		const r = await srv.patch(`/api/v1/chargers/${encodeURIComponent(id)}`, { registration: 'rejected' });
		assert.equal(r.status, 200, r.text);
		await ws.closed;
		try {
			const again = await srv.raw(id, { password: 'some-password-1' });
			again.terminate();
			assert.fail('a rejected charger connected again');
		} catch (e) {
			assert.equal(e.status, 403, e.message);
		}
		assert.equal((await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`)).online, false);
	});

	it('a registered charger still needs its password', T, async () => {
		const { id } = await srv.registerCharger();
		try {
			const ws = await srv.raw(id, { password: 'wrong-password-1' });
			ws.terminate();
			assert.fail('accepted with a wrong password');
		} catch (e) {
			assert.equal(e.status, 401, e.message);
		}
	});
});

describe('REST tokens and roles', () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('no token or an unknown token: 401 unauthorized', T, async () => {
		for (const token of [null, 'deadbeef'.repeat(8)]) {
			const r = await srv.get('/api/v1/chargers', { token });
			assert.equal(r.status, 401);
			assert.equal(r.body.error, 'unauthorized');
			const p = await srv.post('/api/v1/chargers', { id: uid(), password: 'password-123' }, { token });
			assert.equal(p.status, 401);
		}
		const basic = await srv.get('/api/v1/chargers', { token: null, headers: { authorization: 'Basic YTpi' } });
		assert.equal(basic.status, 401);
	});

	it('a viewer may read but not write: 403 forbidden', T, async () => {
		assert.equal((await srv.get('/api/v1/chargers', { token: 'viewer' })).status, 200);
		const id = uid();
		const writes = [
			['POST', '/api/v1/chargers', { id, password: 'password-123' }],
			['POST', '/api/v1/sites', { name: 'x' }],
			['POST', '/api/v1/id-tags', { id_tag: 'V1', status: 'Accepted' }],
		];
		for (const [method, path, body] of writes) {
			const r = await srv.request(method, path, body, { token: 'viewer' });
			assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
			assert.equal(r.body.error, 'forbidden');
		}
		assert.equal((await srv.get(`/api/v1/chargers/${id}`)).status, 404, 'nothing was created');
		const { id: cid } = await srv.registerCharger();
		assert.equal((await srv.patch(`/api/v1/chargers/${cid}`, { description: 'x' }, { token: 'viewer' })).status, 403);
		assert.equal((await srv.del(`/api/v1/chargers/${cid}`, { token: 'viewer' })).status, 403);
		assert.equal((await srv.get(`/api/v1/chargers/${cid}`)).status, 200);
	});

	it('an operator may write; a token made while the server runs works at once', T, async () => {
		const r = await srv.post('/api/v1/chargers', { id: uid(), password: 'password-123' }, { token: 'operator' });
		assert.equal(r.status, 201, r.text);
		const { createToken } = await import('./lib/harness.mjs');
		const fresh = createToken(srv.dataDir, 'viewer', 'late');
		await sleep(50);
		assert.equal((await srv.get('/api/v1/chargers', { token: fresh })).status, 200);
	});

	it('/healthz and /metrics need no token', T, async () => {
		const h = await srv.get('/healthz', { token: null });
		assert.equal(h.status, 200);
		assert.equal(h.body.status, 'ok');
		const m = await srv.get('/metrics', { token: null });
		assert.equal(m.status, 200);
	});
});

describe('TLS (security profile 2)', () => {
	let srv, dir;
	before(async () => {
		const { mkdtempSync, readFileSync } = await import('node:fs');
		const { tmpdir } = await import('node:os');
		const { join } = await import('node:path');
		const { execFileSync } = await import('node:child_process');
		dir = mkdtempSync(join(tmpdir(), 'chargeops-tls-'));
		execFileSync(
			'openssl',
			['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
			{ stdio: 'ignore', timeout: 15000 },
		);
		const { Server } = await import('./lib/harness.mjs');
		srv = new Server({ args: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], ca: readFileSync(join(dir, 'cert.pem')) });
		await srv.start();
	});
	after(async () => {
		if (srv) await srv.dispose();
		if (dir) (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
	});

	it('wss with Basic auth and https REST work; plain ws is refused', T, async () => {
		const cp = await srv.newCharger();
		assert.ok((await cp.call('Heartbeat', {})).currentTime);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}`);
		assert.equal(ch.online, true);
		const { id, password } = await srv.registerCharger();
		const bad = await refused(srv.raw(id, { password: 'wrong-password-x' }));
		assert.equal(bad.status, 401);
		// The same port without TLS does not open a WebSocket.
		const WebSocket = (await import('ws')).default;
		const plain = new WebSocket(`ws://127.0.0.1:${srv.port}/ocpp/${id}`, ['ocpp1.6'], {
			headers: { authorization: 'Basic ' + Buffer.from(`${id}:${password}`).toString('base64') },
			handshakeTimeout: 3000,
		});
		const opened = await new Promise((resolve) => {
			plain.once('open', () => resolve(true));
			plain.once('error', () => resolve(false));
			plain.once('unexpected-response', () => resolve(false));
		});
		plain.terminate();
		assert.equal(opened, false);
	});
});
