// Work orders against the real server: a charger (ocpp-rpc, strict) reports a
// connector fault, diagnosis raises an alert and maintenance opens one corrective
// order, which a second alert of the same problem joins; a technician's token
// sees and changes only its own orders; illegal transitions answer 409 with the
// allowed actions; a driver's report needs no token and is rate-limited; a
// resolved order is verified by the next good charging session, or reopened by
// a fault.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, waitFor, isoNow, BIN } from './lib/harness.mjs';

const T = { timeout: 30000 };

describe('work orders', () => {
	let server, dir, tech1, tech2, techToken;
	before(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'chargeops-wo-'));
		const rules = path.join(dir, 'rules.json');
		writeFileSync(rules, JSON.stringify({ faulted: { debounce_s: 1, resolve_s: 600 } }));
		server = await startServer({
			args: [
				'--diagnosis-rules', rules,
				'--remediation', 'on',
				'--remediation-ladders', 'connector: work_order',
				'--report-limit-client', '3',
			],
		});
		const r = await server.post('/api/v1/id-tags', { id_tag: 'TAG-WO', status: 'Accepted' });
		assert.equal(r.status, 201, r.text);
		await server.post('/api/v1/sites', { id: 'WO-SITE', name: 'Depot', latitude: 52.52, longitude: 13.4 });
		tech1 = (await server.post('/api/v1/technicians', { name: 'Ann', skills: ['connector'], site_id: 'WO-SITE' })).body;
		tech2 = (await server.post('/api/v1/technicians', { name: 'Bo', skills: ['*'] })).body;
		assert.equal(tech1.id, 1);
		techToken = execFileSync(BIN, ['token', 'create', '--data', server.dataDir, '--role', 'technician', '--name', 'ann', '--technician', String(tech1.id)], { encoding: 'utf8', timeout: 10000 }).trim();
		assert.match(techToken, /^[0-9a-f]{64}$/);
	});
	after(async () => {
		await server?.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	const ordersOf = async (charger) => (await server.getOk(`/api/v1/work-orders?charger=${encodeURIComponent(charger)}`)).items;
	const act = (id, action, body, token = 'operator') => server.post(`/api/v1/work-orders/${id}/actions/${action}`, body, { token });

	/* An order for cp's connector 1 taken to resolved by the operator. */
	async function resolvedOrder(cp) {
		const created = await server.post('/api/v1/work-orders', { charger_id: cp.id, connector_id: 1, category: 'connector', priority: 'high', title: 'Replace the latch' }, { token: 'operator' });
		assert.equal(created.status, 201, created.text);
		const id = created.body.id;
		for (const [action, body] of [['assign', { technician_id: tech2.id }], ['start'], ['resolve', { note: 'latch replaced' }]]) {
			const r = await act(id, action, body);
			assert.equal(r.status, 200, `${action}: ${r.text}`);
		}
		return id;
	}

	it('an alert opens an order, a second alert of the same problem attaches', T, async () => {
		const cp = await server.newCharger();
		await cp.call('StatusNotification', { connectorId: 1, status: 'Faulted', errorCode: 'ConnectorLockFailure', timestamp: isoNow() });
		const order = await waitFor(async () => (await ordersOf(cp.id))[0], { timeout: 10000, what: 'work order from the alert' });
		assert.equal(order.kind, 'corrective');
		assert.equal(order.category, 'connector');
		assert.equal(order.created_by, 'diagnosis');
		assert.equal(order.status, 'open');
		assert.equal(order.sla.response_breached, false);
		assert.ok(order.sla.response_left_s > 0);
		const detail = await server.getOk(`/api/v1/work-orders/${order.id}`);
		assert.equal(detail.alerts.length, 1);
		assert.equal(detail.alerts[0].category, 'connector');
		assert.ok(detail.checklist.length >= 3);
		assert.deepEqual(detail.allowed_actions, ['assign', 'cancel']);

		await cp.call('StatusNotification', { connectorId: 1, status: 'Faulted', errorCode: 'HighTemperature', timestamp: isoNow() });
		await waitFor(async () => (await server.getOk(`/api/v1/work-orders/${order.id}`)).alerts.length === 2, { timeout: 10000, what: 'second alert linked' });
		assert.equal((await ordersOf(cp.id)).length, 1, 'still one order for the problem');
		const byAlert = await server.getOk(`/api/v1/work-orders?alert=${detail.alerts[0].id}`);
		assert.equal(byAlert.items[0].id, order.id);
		// Dispatch: Ann (connector skills, same site) first.
		const d = await server.getOk(`/api/v1/work-orders/${order.id}/dispatch`);
		assert.equal(d.suggestions[0].name, 'Ann');
	});

	it('illegal transitions answer 409 with the allowed actions; the history records who and when', T, async () => {
		const cp = await server.newCharger();
		const created = await server.post('/api/v1/work-orders', { charger_id: cp.id, priority: 'p4', title: 'Check the display' }, { token: 'operator' });
		assert.equal(created.status, 201, created.text);
		const id = created.body.id;
		const bad = await act(id, 'resolve');
		assert.equal(bad.status, 409);
		assert.equal(bad.body.error, 'illegal_transition');
		assert.deepEqual(bad.body.allowed, ['assign', 'cancel']);
		assert.equal((await act(id, 'fly')).status, 404);
		assert.equal((await act(id, 'assign', { technician_id: 999 })).status, 400);
		assert.equal((await act(id, 'start', undefined, 'viewer')).status, 403);
		assert.equal((await act(id, 'assign', { technician_id: tech2.id })).status, 200);
		const cancelled = await act(id, 'cancel', { note: 'duplicate' });
		assert.equal(cancelled.status, 200);
		assert.equal(cancelled.body.status, 'cancelled');
		assert.deepEqual(cancelled.body.history.map((h) => `${h.action}:${h.from_status ?? '-'}>${h.to_status}`), ['create:->open', 'assign:open>assigned', 'cancel:assigned>cancelled']);
		assert.ok(cancelled.body.history.every((h) => h.actor === 'operator' && h.time));
		assert.equal((await act(id, 'reopen')).status, 404, 'a cancelled order is no longer in work');
	});

	it('a technician token sees and updates only its own orders', T, async () => {
		const cp = await server.newCharger();
		const mine = (await server.post('/api/v1/work-orders', { charger_id: cp.id, connector_id: 1, category: 'power', title: 'Fan' }, { token: 'operator' })).body;
		const theirs = (await server.post('/api/v1/work-orders', { charger_id: cp.id, connector_id: 2, category: 'power', title: 'Fuse' }, { token: 'operator' })).body;
		assert.equal((await act(mine.id, 'assign', { technician_id: tech1.id })).status, 200);
		assert.equal((await act(theirs.id, 'assign', { technician_id: tech2.id })).status, 200);
		const t = { token: techToken };
		const list = await server.getOk('/api/v1/work-orders?status=active', t);
		assert.ok(list.items.length >= 1);
		assert.ok(list.items.every((o) => o.technician_id === tech1.id), 'only its own orders are listed');
		assert.ok(list.items.some((o) => o.id === mine.id));
		assert.equal((await server.get(`/api/v1/work-orders/${theirs.id}`, t)).status, 403);
		assert.equal((await act(theirs.id, 'start', undefined, techToken)).status, 403);
		assert.equal((await server.get('/api/v1/chargers', t)).status, 403);
		assert.equal((await server.post('/api/v1/work-orders', { charger_id: cp.id }, t)).status, 403);
		const started = await act(mine.id, 'start', undefined, techToken);
		assert.equal(started.status, 200, started.text);
		assert.equal(started.body.history.at(-1).actor, 'ann');
		assert.deepEqual(started.body.allowed_actions, ['hold', 'resolve']);
		const ticked = await server.request('PUT', `/api/v1/work-orders/${mine.id}/checklist/1`, { state: 'done', reading: 12.5 }, t);
		assert.equal(ticked.status, 200, ticked.text);
		assert.equal(ticked.body.checklist[0].state, 'done');
		assert.equal(ticked.body.checklist[0].reading, '12.5');
		const noted = await server.patch(`/api/v1/work-orders/${mine.id}`, { notes: 'fan bearing noisy', labour_minutes: 45 }, t);
		assert.equal(noted.status, 200, noted.text);
		assert.equal(noted.body.labour_minutes, 45);
		assert.equal((await server.patch(`/api/v1/work-orders/${mine.id}`, { priority: 'critical' }, t)).status, 403);
		const part = await server.post(`/api/v1/work-orders/${mine.id}/parts`, { part: 'Fan 120 mm', quantity: 1, unit_cost: 40 }, t);
		assert.equal(part.status, 201, part.text);
		assert.equal(part.body.cost.parts, 40);
		assert.equal(part.body.cost.labour, 45);
		const me = await server.getOk('/api/v1/me', t);
		assert.deepEqual(me, { role: 'technician', technician_id: tech1.id });
	});

	it("a driver's report needs no token, becomes an order and is rate-limited", T, async () => {
		const cp = await server.newCharger();
		const problems = await server.getOk('/api/v1/reports/problems', { token: null });
		assert.ok(problems.problems.some((p) => p.problem === 'damaged_cable'));
		const first = await server.post('/api/v1/reports', { charger_id: cp.id, connector_id: 1, problem: 'damaged_cable', text: 'Insulation split near the handle' }, { token: null });
		assert.equal(first.status, 201, first.text);
		assert.equal(first.body.attached, false);
		const order = await server.getOk(`/api/v1/work-orders/${first.body.work_order_id}`);
		assert.equal(order.created_by, 'driver report');
		assert.equal(order.category, 'connector');
		assert.equal(order.reports.length, 1);
		const second = await server.post('/api/v1/reports', { charger_id: cp.id, connector_id: 1, problem: 'cable_stuck' }, { token: null });
		assert.equal(second.status, 201);
		assert.equal(second.body.work_order_id, first.body.work_order_id);
		assert.equal(second.body.attached, true);
		assert.equal((await server.post('/api/v1/reports', { charger_id: 'NO-SUCH-CHARGER', problem: 'other' }, { token: null })).status, 404);
		assert.equal((await server.post('/api/v1/reports', { charger_id: cp.id, problem: 'other', text: 'x'.repeat(1001) }, { token: null })).status, 400);
		// The limit is 3 an hour per client address: the third passes, the fourth waits.
		assert.equal((await server.post('/api/v1/reports', { charger_id: cp.id, problem: 'other' }, { token: null })).status, 201);
		const limited = await server.post('/api/v1/reports', { charger_id: cp.id, problem: 'other' }, { token: null });
		assert.equal(limited.status, 429);
		const retry = Number(limited.headers.get('retry-after'));
		assert.ok(retry > 0 && retry <= 1200, `Retry-After ${retry}`);
		const listed = await server.getOk(`/api/v1/reports?charger=${encodeURIComponent(cp.id)}`);
		assert.equal(listed.total, 3);
		assert.equal((await server.get('/api/v1/reports', { token: null })).status, 401);
	});

	it('resolve, then a good charging session verifies the order', T, async () => {
		const cp = await server.newCharger();
		const id = await resolvedOrder(cp);
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-WO', meterStart: 1000, timestamp: isoNow() });
		assert.equal(start.idTagInfo.status, 'Accepted');
		assert.equal((await server.getOk(`/api/v1/work-orders/${id}`)).status, 'resolved');
		await cp.call('StopTransaction', { transactionId: start.transactionId, meterStop: 8000, timestamp: isoNow(), reason: 'EVDisconnected' });
		const verified = await waitFor(async () => {
			const o = await server.getOk(`/api/v1/work-orders/${id}`);
			return o.status === 'verified' && o;
		}, { timeout: 8000, what: 'verified' });
		const v = verified.history.at(-1);
		assert.equal(v.actor, 'system');
		assert.match(v.note, /delivered 7000 Wh and ended normally/);
		assert.ok(verified.verified_at);
		assert.deepEqual(verified.allowed_actions, ['reopen', 'close', 'cancel']);
		const closed = await act(id, 'close');
		assert.equal(closed.status, 200);
		assert.equal(closed.body.status, 'closed');
	});

	it('resolve, then a fault reopens the order with the reason', T, async () => {
		const cp = await server.newCharger();
		const id = await resolvedOrder(cp);
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-WO', meterStart: 0, timestamp: isoNow() });
		await cp.call('StopTransaction', { transactionId: start.transactionId, meterStop: 2500, timestamp: isoNow(), reason: 'EmergencyStop' });
		const reopened = await waitFor(async () => {
			const o = await server.getOk(`/api/v1/work-orders/${id}`);
			return o.status === 'open' && o;
		}, { timeout: 8000, what: 'reopened' });
		assert.equal(reopened.reopen_count, 1);
		assert.equal(reopened.resolved_at, null);
		const r = reopened.history.at(-1);
		assert.equal(r.action, 'reopen');
		assert.equal(r.actor, 'system');
		assert.match(r.note, /EmergencyStop/);
		// Statistics count it: responded within the SLA, not resolved.
		const stats = await server.getOk(`/api/v1/work-orders/stats?charger=${encodeURIComponent(cp.id)}`);
		assert.equal(stats.fleet.orders, 1);
		assert.equal(stats.fleet.response_sla.met, 1);
		assert.equal(stats.fleet.resolution_sla.decided, 0);
	});

	it('preventive plans: created, run, on the calendar, one order per charger', T, async () => {
		const cp = await server.newCharger();
		await server.patch(`/api/v1/chargers/${encodeURIComponent(cp.id)}`, { site_id: 'WO-SITE' });
		const start = new Date(Date.now() - 88 * 86400000).toISOString();
		const bad = await server.post('/api/v1/plans', { name: 'No rule', site_id: 'WO-SITE' }, { token: 'operator' });
		assert.equal(bad.status, 400);
		const plan = await server.post('/api/v1/plans', { name: 'Quarterly', site_id: 'WO-SITE', every_days: 90, lead_days: 7, start_time: start }, { token: 'operator' });
		assert.equal(plan.status, 201, plan.text);
		const run = await server.post('/api/v1/plans/run', {}, { token: 'operator' });
		assert.equal(run.status, 200);
		assert.ok(run.body.opened >= 1);
		assert.equal((await server.post('/api/v1/plans/run', {}, { token: 'operator' })).body.opened, 0);
		const orders = (await server.getOk(`/api/v1/work-orders?charger=${encodeURIComponent(cp.id)}&kind=preventive`)).items;
		assert.equal(orders.length, 1);
		assert.equal(orders[0].plan_id, plan.body.id);
		const detail = await server.getOk(`/api/v1/work-orders/${orders[0].id}`);
		assert.deepEqual(detail.checklist.map((c) => c.text), ['Cable and connector wear', 'Enclosure and seals', 'RCD test', 'Cooling filters', 'Meter check']);
		const cal = await server.getOk('/api/v1/plans/calendar');
		const entry = cal.items.find((e) => e.charger_id === cp.id && e.plan_id === plan.body.id && e.work_order_id);
		assert.ok(entry, JSON.stringify(cal.items.slice(0, 3)));
		assert.equal(entry.work_order_id, orders[0].id);
	});
});
