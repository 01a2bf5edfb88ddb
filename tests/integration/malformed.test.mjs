// Malformed and out-of-order input over raw WebSocket frames: each gets the
// right CALLERROR or a clean close, and the server stays up.
// CALLERROR codes follow the mapping documented in src/ocpp/ocpp.h:
//   payload not an object, unknown property -> FormationViolation
//   required property missing               -> ProtocolError
//   wrong JSON type                         -> TypeConstraintViolation
//   enum, maxLength, minimum, bad date-time -> PropertyConstraintViolation
//   unknown action -> NotImplemented, action of the other side -> NotSupported
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, isoNow, BOOT } from './lib/harness.mjs';

const T = { timeout: 20000 };
const MAX = 4096;

describe('malformed input', () => {
	let srv, ws, id, password;
	before(async () => {
		srv = await startServer({ args: ['--max-frame-bytes', String(MAX)] });
		({ id, password } = await srv.registerCharger());
		ws = await srv.raw(id, { password });
		const boot = await ws.call('BootNotification', BOOT);
		assert.equal(boot[2].status, 'Accepted');
	});
	after(async () => srv && srv.dispose());

	/* Sends text and returns the next frame the server sends (must be a CALLERROR). */
	async function errorFor(text) {
		ws.send(text);
		const m = await ws.next(() => true, 3000);
		assert.ok(Array.isArray(m.json), `answer is an OCPP-J array: ${m.text}`);
		assert.equal(m.json[0], 4, `a CALLERROR for ${text}: ${m.text}`);
		assert.equal(m.json.length, 5, `CALLERROR has 5 elements: ${m.text}`);
		assert.equal(typeof m.json[3], 'string');
		assert.equal(typeof m.json[4], 'object');
		return m.json;
	}
	const callErr = (uniq, action, payload) => errorFor(JSON.stringify([2, uniq, action, payload]));

	it('invalid JSON: CALLERROR FormationViolation with unique id "-1"', T, async () => {
		const e = await errorFor('this is not json');
		assert.equal(e[1], '-1');
		assert.equal(e[2], 'FormationViolation');
		const e2 = await errorFor('[2,"abc","Heartbeat",{]');
		assert.ok(['-1', 'abc'].includes(e2[1]), `unique id ${e2[1]}: "-1", or the id if it could be salvaged`);
		assert.equal(e2[2], 'FormationViolation');
	});

	it('wrong array shapes: CALLERROR (id echoed when it can be read)', T, async () => {
		const shapeCodes = ['FormationViolation', 'ProtocolError'];
		for (const [text, uniq] of [
			['{"a":1}', '-1'],
			['[]', '-1'],
			['[2]', '-1'],
			['[2,"shape-1","Heartbeat"]', 'shape-1'],
			['[2,"shape-2","Heartbeat",{},5]', 'shape-2'],
			['[2,5,"Heartbeat",{}]', '-1'],
			['["2","shape-3","Heartbeat",{}]', ['-1', 'shape-3']],
			['[2,"shape-4",7,{}]', 'shape-4'],
			['[2,"' + 'i'.repeat(37) + '","Heartbeat",{}]', '-1'],
			['"just a string"', '-1'],
		]) {
			const e = await errorFor(text);
			if (Array.isArray(uniq)) assert.ok(uniq.includes(e[1]), `unique id for ${text}: ${e[1]}`);
			else assert.equal(e[1], uniq, `unique id for ${text}`);
			assert.ok(shapeCodes.includes(e[2]), `${text}: ${e[2]}`);
		}
	});

	it('unknown messageTypeId: CALLERROR with the unique id', T, async () => {
		const e = await errorFor('[7,"type-7","Heartbeat",{}]');
		assert.equal(e[1], 'type-7');
		assert.ok(['FormationViolation', 'ProtocolError', 'NotSupported'].includes(e[2]), e[2]);
	});

	it('unknown action: NotImplemented; a central-system action: NotSupported', T, async () => {
		const e = await callErr('act-1', 'FooBar', {});
		assert.deepEqual(e.slice(0, 3), [4, 'act-1', 'NotImplemented']);
		const e2 = await callErr('act-2', 'Reset', { type: 'Soft' });
		assert.deepEqual(e2.slice(0, 3), [4, 'act-2', 'NotSupported']);
		const e3 = await callErr('act-3', 'RemoteStartTransaction', { idTag: 'X' });
		assert.deepEqual(e3.slice(0, 3), [4, 'act-3', 'NotSupported']);
		const e4 = await callErr('act-4', 'heartbeat', {});
		assert.deepEqual(e4.slice(0, 3), [4, 'act-4', 'NotImplemented'], 'action names are case-sensitive');
	});

	it('missing required field: ProtocolError', T, async () => {
		const e = await callErr('req-1', 'StatusNotification', { connectorId: 1, errorCode: 'NoError' });
		assert.deepEqual(e.slice(0, 3), [4, 'req-1', 'ProtocolError']);
		assert.match(e[3], /status/, 'description names the field');
		const e2 = await callErr('req-2', 'BootNotification', { chargePointVendor: 'V' });
		assert.deepEqual(e2.slice(0, 3), [4, 'req-2', 'ProtocolError']);
		const e3 = await callErr('req-3', 'MeterValues', { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ unit: 'Wh' }] }] });
		assert.deepEqual(e3.slice(0, 3), [4, 'req-3', 'ProtocolError'], 'nested required field');
	});

	it('wrong type: TypeConstraintViolation', T, async () => {
		for (const [uniq, action, payload] of [
			['type-1', 'StatusNotification', { connectorId: '1', errorCode: 'NoError', status: 'Available' }],
			['type-2', 'StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 1.5, timestamp: isoNow() }],
			['type-3', 'Authorize', { idTag: 42 }],
			['type-4', 'MeterValues', { connectorId: 1, meterValue: {} }],
			['type-5', 'MeterValues', { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: 12 }] }] }],
			['type-6', 'StopTransaction', { transactionId: 1, meterStop: null, timestamp: isoNow() }],
		]) {
			const e = await callErr(uniq, action, payload);
			assert.deepEqual(e.slice(0, 3), [4, uniq, 'TypeConstraintViolation'], `${action} ${JSON.stringify(payload)}`);
		}
	});

	it('bad enum, over-long string, bad date-time: PropertyConstraintViolation', T, async () => {
		for (const [uniq, action, payload] of [
			['prop-1', 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Sleeping' }],
			['prop-2', 'Authorize', { idTag: 'X'.repeat(21) }],
			['prop-3', 'BootNotification', { chargePointVendor: 'V'.repeat(21), chargePointModel: 'M' }],
			['prop-4', 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', info: 'i'.repeat(51) }],
			['prop-5', 'StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: 'yesterday' }],
			['prop-6', 'MeterValues', { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '1', unit: 'MWh' }] }] }],
			['prop-7', 'DiagnosticsStatusNotification', { status: 'Done' }],
		]) {
			const e = await callErr(uniq, action, payload);
			assert.deepEqual(e.slice(0, 3), [4, uniq, 'PropertyConstraintViolation'], `${action} ${JSON.stringify(payload)}`);
		}
		// Exactly at maxLength is fine.
		const ok = await ws.call('Authorize', { idTag: 'X'.repeat(20) });
		assert.equal(ok[0], 3);
	});

	it('unknown property or non-object payload: FormationViolation', T, async () => {
		const e = await callErr('form-1', 'Heartbeat', { foo: 1 });
		assert.deepEqual(e.slice(0, 3), [4, 'form-1', 'FormationViolation']);
		const e2 = await callErr('form-2', 'Heartbeat', []);
		assert.deepEqual(e2.slice(0, 3), [4, 'form-2', 'FormationViolation'], 'payload not an object (documented in ocpp.h)');
	});

	it('an unknown CALLRESULT or CALLERROR from the charger is ignored without reply', T, async () => {
		ws.send(JSON.stringify([3, 'never-asked', { status: 'Accepted' }]));
		ws.send(JSON.stringify([4, 'never-asked-2', 'GenericError', 'x', {}]));
		const hb = await ws.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		assert.equal(ws.inbox.length, 0, `nothing else was sent: ${JSON.stringify(ws.inbox)}`);
	});

	it('the connection survived all of that; malformed frames are in the frame log', T, async () => {
		const hb = await ws.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		assert.ok(hb[2].currentTime);
		const frames = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/frames?direction=in&limit=1000`);
		assert.ok(frames.items.some((f) => String(f.frame).includes('this is not json')), 'invalid JSON frame logged as received');
		const out = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/frames?direction=out&limit=1000`);
		assert.ok(out.items.some((f) => String(f.frame).includes('NotImplemented')), 'CALLERROR logged as sent');
	});

	it('a frame just under --max-frame-bytes is accepted', T, async () => {
		const data = 'd'.repeat(MAX - 200);
		const r = await ws.call('DataTransfer', { vendorId: 'com.example', data });
		assert.equal(r[0], 3, JSON.stringify(r).slice(0, 200));
	});

	it('a binary frame closes the connection with 1003', T, async () => {
		const { id: id2, password: pw2 } = await srv.registerCharger();
		const s = await srv.raw(id2, { password: pw2 });
		await s.call('BootNotification', BOOT);
		s.ws.send(Buffer.from(JSON.stringify([2, 'bin', 'Heartbeat', {}])), { binary: true });
		const c = await Promise.race([s.closed, new Promise((r) => setTimeout(() => r(null), 5000))]);
		assert.ok(c, 'closed by the server');
		assert.equal(c.code, 1003);
	});

	it('a message over --max-frame-bytes closes the connection with 1009', T, async () => {
		const { id: id3, password: pw3 } = await srv.registerCharger();
		const s = await srv.raw(id3, { password: pw3 });
		await s.call('BootNotification', BOOT);
		s.send(JSON.stringify([2, 'big', 'DataTransfer', { vendorId: 'x', data: 'a'.repeat(MAX * 3) }]));
		const c = await Promise.race([s.closed, new Promise((r) => setTimeout(() => r(null), 5000))]);
		assert.ok(c, 'closed by the server');
		assert.equal(c.code, 1009);
		assert.ok(!s.inbox.some((m) => Array.isArray(m.json) && m.json[1] === 'big' && m.json[0] === 3), 'the huge CALL was not processed');
	});

	it('a fragmented message over the limit also closes with 1009', T, async () => {
		const { id: id4, password: pw4 } = await srv.registerCharger();
		const s = await srv.raw(id4, { password: pw4 });
		const text = JSON.stringify([2, 'frag', 'DataTransfer', { vendorId: 'x', data: 'b'.repeat(MAX * 2) }]);
		const chunk = 1000;
		for (let i = 0; i < text.length; i += chunk) s.ws.send(text.slice(i, i + chunk), { fin: i + chunk >= text.length });
		const c = await Promise.race([s.closed, new Promise((r) => setTimeout(() => r(null), 5000))]);
		assert.ok(c, 'closed by the server');
		assert.equal(c.code, 1009);
	});

	it('messages before BootNotification are answered, not dropped', T, async () => {
		const { id: id5, password: pw5 } = await srv.registerCharger();
		const s = await srv.raw(id5, { password: pw5 });
		const st = await s.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
		assert.equal(st[0], 3, JSON.stringify(st));
		const hb = await s.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		s.close();
	});

	it('after all that the server answers /healthz and another charger boots', T, async () => {
		const h = await srv.get('/healthz', { token: null });
		assert.equal(h.status, 200);
		assert.equal(h.body.status, 'ok');
		assert.ok(srv.running, 'server process alive');
		const cp = await srv.newCharger();
		const hb = await cp.call('Heartbeat', {});
		assert.ok(hb.currentTime);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(cp.id)}`);
		assert.equal(ch.online, true);
	});
});
