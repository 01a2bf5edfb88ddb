// Server-initiated commands through POST /api/v1/chargers/{id}/commands/{Action}:
// every one of the 19 to an ocpp-rpc charger, and every error status.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRPCError, sleep, waitFor, withTimeout, BOOT, uid } from './lib/harness.mjs';

const T = { timeout: 20000 };
const iso = (ms) => new Date(ms).toISOString();
const day = 86400e3;
const now = Date.now();

// Each: the request (keys deliberately not in schema or alphabetical order) and
// the answer the charger gives (valid for strict mode).
const COMMANDS = {
	RemoteStartTransaction: [
		{
			idTag: 'TAG-1',
			connectorId: 1,
			chargingProfile: {
				stackLevel: 0,
				chargingProfileId: 11,
				chargingProfilePurpose: 'TxProfile',
				chargingProfileKind: 'Absolute',
				chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
			},
		},
		{ status: 'Accepted' },
	],
	RemoteStopTransaction: [{ transactionId: 424242 }, { status: 'Rejected' }],
	Reset: [{ type: 'Soft' }, { status: 'Accepted' }],
	UnlockConnector: [{ connectorId: 2 }, { status: 'Unlocked' }],
	ChangeAvailability: [{ type: 'Inoperative', connectorId: 1 }, { status: 'Scheduled' }],
	ChangeConfiguration: [{ value: '60', key: 'HeartbeatInterval' }, { status: 'RebootRequired' }],
	GetConfiguration: [
		{ key: ['HeartbeatInterval', 'NoSuchKey'] },
		{ unknownKey: ['NoSuchKey'], configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '60' }] },
	],
	ClearCache: [{}, { status: 'Accepted' }],
	TriggerMessage: [{ requestedMessage: 'StatusNotification', connectorId: 1 }, { status: 'Accepted' }],
	UpdateFirmware: [
		{ retrieveDate: iso(now + day), location: 'https://fw.example.com/fw-2.0.bin', retries: 3, retryInterval: 60 },
		{},
	],
	GetDiagnostics: [
		{ location: 'ftp://diag.example.com/upload/', stopTime: iso(now), startTime: iso(now - day), retries: 1, retryInterval: 30 },
		{ fileName: 'diag-2026.zip' },
	],
	ReserveNow: [
		{ reservationId: 77, connectorId: 1, idTag: 'TAG-1', expiryDate: iso(now + 3600e3), parentIdTag: 'PARENT-1' },
		{ status: 'Occupied' },
	],
	CancelReservation: [{ reservationId: 77 }, { status: 'Rejected' }],
	SetChargingProfile: [
		{
			csChargingProfiles: {
				chargingProfileId: 5,
				stackLevel: 1,
				chargingProfilePurpose: 'TxDefaultProfile',
				chargingProfileKind: 'Recurring',
				recurrencyKind: 'Daily',
				validFrom: iso(now - day),
				chargingSchedule: {
					duration: 3600,
					startSchedule: iso(now),
					chargingRateUnit: 'W',
					chargingSchedulePeriod: [
						{ startPeriod: 0, limit: 11000.5, numberPhases: 3 },
						{ startPeriod: 1800, limit: 7400 },
					],
					minChargingRate: 1380.5,
				},
			},
			connectorId: 1,
		},
		{ status: 'Accepted' },
	],
	ClearChargingProfile: [{ stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile', connectorId: 1, id: 5 }, { status: 'Unknown' }],
	GetCompositeSchedule: [
		{ duration: 3600, connectorId: 1, chargingRateUnit: 'W' },
		{
			status: 'Accepted',
			connectorId: 1,
			scheduleStart: iso(now),
			chargingSchedule: { duration: 3600, chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400.5 }] },
		},
	],
	SendLocalList: [
		{
			updateType: 'Full',
			listVersion: 3,
			localAuthorizationList: [
				{ idTag: 'TAG-1', idTagInfo: { status: 'Accepted', expiryDate: iso(now + day), parentIdTag: 'PARENT-1' } },
				{ idTag: 'TAG-2', idTagInfo: { status: 'Blocked' } },
			],
		},
		{ status: 'VersionMismatch' },
	],
	GetLocalListVersion: [{}, { listVersion: 3 }],
	DataTransfer: [{ vendorId: 'com.example', messageId: 'ping', data: '{"x":[1,2]}' }, { status: 'Accepted', data: 'pong' }],
};

describe('server-initiated commands', () => {
	let srv;
	before(async () => {
		srv = await startServer({ args: ['--command-timeout', '8'] });
	});
	after(async () => srv && srv.dispose());

	const cmd = (id, action, body, query = '', opts) =>
		srv.post(`/api/v1/chargers/${encodeURIComponent(id)}/commands/${action}${query}`, body, opts);

	it('all 19 commands reach the charger with the exact payload and return its answer', T, async () => {
		assert.equal(Object.keys(COMMANDS).length, 19);
		const received = [];
		const cp = await srv.newCharger();
		for (const [action, [, answer]] of Object.entries(COMMANDS)) {
			cp.handle(action, ({ params, messageId }) => {
				received.push({ action, params, messageId });
				return answer;
			});
		}
		for (const [action, [payload, answer]] of Object.entries(COMMANDS)) {
			const before = received.length;
			const r = await cmd(cp.id, action, payload, '', { token: 'operator' });
			assert.equal(r.status, 200, `${action}: ${r.status} ${r.text}`);
			assert.equal(received.length, before + 1, `${action} sent exactly once`);
			const got = received.at(-1);
			assert.equal(got.action, action);
			assert.deepEqual(got.params, payload, `${action}: payload forwarded unchanged`);
			assert.equal(JSON.stringify(got.params), JSON.stringify(payload), `${action}: keys in the order given`);
			assert.deepEqual(r.body, answer, `${action}: REST answer is the charger's answer`);
			assert.equal(JSON.stringify(r.body), JSON.stringify(answer), `${action}: answer as is (key order)`);
			// The raw frame is a CALL [2, id, action, payload].
			const raw = cp.frames.find((f) => !f.outbound && f.text.includes(`"${got.messageId}"`));
			const frame = JSON.parse(raw.text);
			assert.equal(frame.length, 4);
			assert.equal(frame[0], 2);
			assert.equal(frame[2], action);
		}
		assert.equal(cp.strictFailures.length, 0, `strict validation failures: ${cp.strictFailures.map((e) => e.error?.message)}`);
		// Outbound calls are in the frame log too.
		const frames = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}/frames?direction=out&action=SetChargingProfile`);
		assert.equal(frames.items.length, 1);
	});

	it('400 for an invalid payload, and nothing is sent', T, async () => {
		const calls = [];
		const cp = await srv.newCharger();
		cp.handle(({ method, params }) => {
			calls.push({ method, params });
			return { status: 'Accepted' };
		});
		const cases = [
			['Reset', { type: 'Medium' }],
			['Reset', {}],
			['Reset', { type: 'Soft', extra: 1 }],
			['ChangeAvailability', { connectorId: '1', type: 'Operative' }],
			['ChangeConfiguration', { key: 'k'.repeat(51), value: 'v' }],
			['UnlockConnector', { connectorId: 1.5 }],
			['ReserveNow', { connectorId: 1, expiryDate: 'tomorrow', idTag: 'T', reservationId: 1 }],
			['RemoteStartTransaction', { idTag: 'X'.repeat(21) }],
			['TriggerMessage', { requestedMessage: 'StartTransaction' }],
			['SetChargingProfile', { connectorId: 1, csChargingProfiles: { chargingProfileId: 1 } }],
		];
		for (const [action, body] of cases) {
			const r = await cmd(cp.id, action, body);
			assert.equal(r.status, 400, `${action} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
			assert.equal(r.body.error, 'invalid_payload', `${action}: ${r.text}`);
			assert.equal(typeof r.body.detail, 'string');
		}
		const notJson = await cmd(cp.id, 'Reset', '{"type": ');
		assert.equal(notJson.status, 400);
		const arr = await cmd(cp.id, 'Reset', '["Soft"]');
		assert.equal(arr.status, 400);
		await sleep(300);
		assert.deepEqual(calls, [], 'no invalid command reached the charger');
		// A valid one afterwards goes through.
		const ok = await cmd(cp.id, 'Reset', { type: 'Hard' });
		assert.equal(ok.status, 200, ok.text);
		assert.deepEqual(calls, [{ method: 'Reset', params: { type: 'Hard' } }]);
	});

	it('400 unknown action, 404 unknown charger, 409 offline, 403 viewer, 401 no token', T, async () => {
		const cp = await srv.newCharger();
		const calls = [];
		cp.handle(({ method }) => {
			calls.push(method);
			return {};
		});
		for (const action of ['FooBar', 'BootNotification', 'Heartbeat', 'reset']) {
			const r = await cmd(cp.id, action, {});
			assert.equal(r.status, 400, `${action}: ${r.text}`);
			assert.equal(r.body.error, 'bad_request', `${action}: ${r.text}`);
		}
		const nf = await cmd('NO-SUCH-CHARGER', 'Reset', { type: 'Soft' });
		assert.equal(nf.status, 404);
		assert.equal(nf.body.error, 'not_found');

		const { id } = await srv.registerCharger();
		const off = await cmd(id, 'Reset', { type: 'Soft' });
		assert.equal(off.status, 409, off.text);
		assert.equal(off.body.error, 'offline');

		const viewer = await cmd(cp.id, 'Reset', { type: 'Soft' }, '', { token: 'viewer' });
		assert.equal(viewer.status, 403);
		const anon = await cmd(cp.id, 'Reset', { type: 'Soft' }, '', { token: null });
		assert.equal(anon.status, 401);
		await sleep(200);
		assert.deepEqual(calls, [], 'nothing was sent');
	});

	it('an invalid ?timeout (outside 1..3599, not a number) is a 400 and nothing is sent', T, async () => {
		const cp = await srv.newCharger();
		const calls = [];
		cp.handle('Reset', ({ params }) => {
			calls.push(params);
			return { status: 'Accepted' };
		});
		for (const q of ['?timeout=abc', '?timeout=0', '?timeout=3600', '?timeout=-1', '?timeout=5s']) {
			const r = await cmd(cp.id, 'Reset', { type: 'Soft' }, q);
			assert.equal(r.status, 400, `${q}: ${r.status} ${r.text}`);
			assert.equal(r.body.error, 'bad_request', `${q}: ${r.text}`);
		}
		await sleep(200);
		assert.equal(calls.length, 0, `a Reset was sent ${calls.length} times for a malformed request`);
		const ok = await cmd(cp.id, 'Reset', { type: 'Soft' }, '?timeout=3599');
		assert.equal(ok.status, 200);
	});

	it('409 once the charger has disconnected', T, async () => {
		const cp = await srv.newCharger();
		cp.handle('ClearCache', () => ({ status: 'Accepted' }));
		assert.equal((await cmd(cp.id, 'ClearCache', {})).status, 200);
		await cp.close();
		await waitFor(async () => (await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}`)).online === false, { what: 'offline' });
		const r = await cmd(cp.id, 'ClearCache', {});
		assert.equal(r.status, 409, r.text);
	});

	it('502 with the CALLERROR when the charger refuses', T, async () => {
		const cp = await srv.newCharger();
		cp.handle('Reset', () => {
			throw createRPCError('NotSupported', 'resets are not supported', { hint: 'power-cycle' });
		});
		const r = await cmd(cp.id, 'Reset', { type: 'Soft' });
		assert.equal(r.status, 502, r.text);
		assert.equal(r.body.error, 'call_error');
		assert.equal(r.body.error_code, 'NotSupported');
		assert.equal(r.body.error_description, 'resets are not supported');
		assert.deepEqual(r.body.error_details, { hint: 'power-cycle' });
	});

	it('judgments the schema cannot make are the charger\'s: sent and answered', T, async () => {
		const cp = await srv.newCharger();
		const seen = [];
		cp.handle('UnlockConnector', ({ params }) => {
			seen.push(params);
			return { status: 'NotSupported' };
		});
		cp.handle('CancelReservation', ({ params }) => {
			seen.push(params);
			return { status: 'Rejected' };
		});
		const a = await cmd(cp.id, 'UnlockConnector', { connectorId: 99 });
		assert.equal(a.status, 200, a.text);
		assert.deepEqual(a.body, { status: 'NotSupported' });
		const b = await cmd(cp.id, 'CancelReservation', { reservationId: 123456 });
		assert.equal(b.status, 200, b.text);
		assert.deepEqual(seen, [{ connectorId: 99 }, { reservationId: 123456 }]);
	});

	it('504 when the charger never answers (?timeout=1); the queue goes on; a late answer is ignored', T, async () => {
		const cp = await srv.newCharger();
		let lateDone;
		const late = new Promise((r) => (lateDone = r));
		cp.handle('GetLocalListVersion', () =>
			// Answers, but only after the REST timeout.
			sleep(2000).then(() => {
				lateDone();
				return { listVersion: 1 };
			}),
		);
		cp.handle('ClearCache', () => ({ status: 'Rejected' }));
		const t0 = Date.now();
		const r = await cmd(cp.id, 'GetLocalListVersion', {}, '?timeout=1');
		const took = Date.now() - t0;
		assert.equal(r.status, 504, r.text);
		assert.equal(r.body.error, 'timeout');
		assert.ok(took >= 900 && took < 4000, `timed out after ${took} ms`);
		await withTimeout(late, 5000, 'late answer');
		await sleep(100);
		const next = await cmd(cp.id, 'ClearCache', {});
		assert.equal(next.status, 200, next.text);
		assert.deepEqual(next.body, { status: 'Rejected' }, 'the late answer of the first call is not taken for the second');
		// The charger connection survived.
		assert.ok((await cp.call('Heartbeat', {})).currentTime);
	});

	it('504 from the server --command-timeout when no ?timeout is given', { timeout: 30000 }, async () => {
		const s2 = await startServer({ args: ['--command-timeout', '1'] });
		try {
			const cp = await s2.newCharger();
			cp.handle('ClearCache', () => new Promise(() => {}));
			const t0 = Date.now();
			const r = await s2.post(`/api/v1/chargers/${encodeURIComponent(cp.id)}/commands/ClearCache`, {});
			assert.equal(r.status, 504, r.text);
			assert.ok(Date.now() - t0 < 5000);
		} finally {
			await s2.dispose();
		}
	});

	it('504 quickly when the charger disconnects after receiving the call (hard reset)', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);
		const t0 = Date.now();
		const pending = cmd(id, 'Reset', { type: 'Hard' }, '?timeout=10');
		const call = await ws.nextCall();
		assert.equal(call[2], 'Reset');
		assert.deepEqual(call[3], { type: 'Hard' });
		ws.terminate(); // reboots without answering
		const r = await pending;
		const took = Date.now() - t0;
		assert.equal(r.status, 504, r.text);
		assert.equal(r.body.error, 'timeout');
		assert.ok(took < 5000, `answered ${took} ms after the call, not after the 10 s timeout`);
	});

	it('two commands at once are sent one at a time', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);
		const p1 = cmd(id, 'ChangeConfiguration', { key: 'A', value: '1' });
		await sleep(50);
		const p2 = cmd(id, 'ChangeConfiguration', { key: 'B', value: '2' });
		const first = await ws.nextCall();
		assert.deepEqual(first[3], { key: 'A', value: '1' });
		await sleep(600);
		assert.equal(
			ws.inbox.filter((m) => Array.isArray(m.json) && m.json[0] === 2).length,
			0,
			'no second CALL while the first is unanswered',
		);
		ws.send([3, first[1], { status: 'Accepted' }]);
		const second = await ws.nextCall();
		assert.deepEqual(second[3], { key: 'B', value: '2' });
		assert.notEqual(second[1], first[1], 'a new unique id');
		ws.send([3, second[1], { status: 'Rejected' }]);
		const [r1, r2] = await Promise.all([p1, p2]);
		assert.equal(r1.status, 200);
		assert.deepEqual(r1.body, { status: 'Accepted' });
		assert.equal(r2.status, 200);
		assert.deepEqual(r2.body, { status: 'Rejected' });
		ws.close();
	});

	it('a queued command\'s timeout includes its wait', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);
		const t0 = Date.now();
		const p1 = cmd(id, 'ClearCache', {}, '?timeout=3');
		await sleep(50);
		const p2 = cmd(id, 'ClearCache', {}, '?timeout=1');
		await ws.nextCall(); // never answered
		const r2 = await p2;
		assert.equal(r2.status, 504, r2.text);
		assert.ok(Date.now() - t0 < 2800, 'the queued one timed out on its own clock');
		const r1 = await p1;
		assert.equal(r1.status, 504);
		await sleep(200);
		assert.equal(ws.inbox.filter((m) => Array.isArray(m.json) && m.json[0] === 2).length, 0, 'a timed-out queued command is never sent');
		ws.close();
	});

	it('an answer that violates the schema is still the charger\'s answer: 200 as is, connection kept', T, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);
		const p = cmd(id, 'Reset', { type: 'Soft' }, '?timeout=3');
		const call = await ws.nextCall();
		ws.send([3, call[1], { status: 'Maybe' }]);
		const r = await p;
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.body, { status: 'Maybe' });
		// An unknown CALLRESULT / CALLERROR afterwards is ignored; the connection stays usable.
		ws.send([3, 'never-sent-1', { status: 'Accepted' }]);
		ws.send([4, 'never-sent-2', 'GenericError', '', {}]);
		const hb = await ws.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		assert.equal(ws.inbox.length, 0, `no reply to unknown answers: ${JSON.stringify(ws.inbox)}`);
		ws.close();
	});

	it('unknown charger id in the path with reserved characters is a 404, not a crash', T, async () => {
		const r = await cmd(uid('x y/z'), 'Reset', { type: 'Soft' });
		assert.equal(r.status, 404);
		assert.equal((await srv.get('/healthz', { token: null })).status, 200);
	});
});
