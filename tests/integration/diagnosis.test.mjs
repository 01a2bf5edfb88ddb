// Fault diagnosis against the real server: a charger (ocpp-rpc, strict) reports
// a fault; the alert appears over REST and on the live channel, reaches a local
// webhook receiver signed (after a failed first delivery, retried), can be
// acknowledged and resolved; the escalation ladder resets the charger and
// verifies the fix, or ends in a work order when the fault stays.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, waitFor, withTimeout, isoNow } from './lib/harness.mjs';

const T = { timeout: 30000 };
const SECRET = 'hook-secret';

/* A local webhook receiver: answers 500 to the first delivery, 200 after. */
async function receiver() {
	const got = [];
	let calls = 0;
	const srv = http.createServer((req, res) => {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			calls += 1;
			if (calls === 1) {
				res.writeHead(500).end('try again');
				return;
			}
			got.push({ headers: req.headers, body });
			res.writeHead(204).end();
		});
	});
	await new Promise((r) => srv.listen(0, '127.0.0.1', r));
	return { srv, got, url: `http://127.0.0.1:${srv.address().port}/hook`, calls: () => calls };
}

describe('fault diagnosis', () => {
	let server, hook, dir;
	before(async () => {
		hook = await receiver();
		dir = mkdtempSync(path.join(tmpdir(), 'chargeops-diag-'));
		const rules = path.join(dir, 'rules.json');
		writeFileSync(rules, JSON.stringify({ faulted: { debounce_s: 1, resolve_s: 2 }, flap_window_s: 1 }));
		server = await startServer({
			args: [
				'--diagnosis-rules', rules,
				'--remediation', 'on',
				'--remediation-ladders', 'safety: soft_reset, wait 2, inoperative, work_order; power: inoperative, work_order',
				'--webhook-urls', hook.url,
				'--webhook-secret', SECRET,
			],
		});
	});
	after(async () => {
		await server?.dispose();
		hook?.srv.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('a ground fault: alert, live event, signed webhook after a retry, reset fixes it, auto-resolved', T, async () => {
		let faulted = true;
		const resets = [];
		const cp = await server.newCharger({
			handlers: {
				Reset: ({ params }) => {
					resets.push(params.type);
					faulted = false; // a reboot re-arms the residual-current device
					setTimeout(() => cp.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError', timestamp: isoNow() }), 50);
					return { status: 'Accepted' };
				},
			},
		});
		const live = await fetch(`${server.base}/api/v1/live?types=alert&charger=${encodeURIComponent(cp.id)}`, {
			headers: { authorization: `Bearer ${server.tokens.viewer}` },
		});
		assert.equal(live.status, 200);
		const reader = live.body.getReader();
		let liveText = '';
		const pump = (async () => {
			for (;;) {
				const { value, done } = await reader.read();
				if (done) break;
				liveText += new TextDecoder().decode(value);
			}
		})().catch(() => {});

		await cp.call('StatusNotification', { connectorId: 1, status: 'Faulted', errorCode: 'GroundFailure', vendorErrorCode: 'RCD-30', timestamp: isoNow() });
		const alert = await waitFor(async () => {
			const r = await server.getOk(`/api/v1/alerts?charger=${encodeURIComponent(cp.id)}&detector=faulted`);
			return r.items[0];
		}, { timeout: 8000, what: 'faulted alert' });
		assert.equal(alert.code, 'GroundFailure');
		assert.equal(alert.category, 'safety');
		assert.equal(alert.connector_id, 1);
		assert.ok(alert.diagnosis.includes('GroundFailure'));
		assert.ok(alert.action.length > 10);
		assert.ok(alert.evidence.links.frames.startsWith(`/api/v1/chargers/${cp.id}/frames?from=`));
		assert.equal(alert.evidence.values.vendor_error_code, 'RCD-30');

		// Live and webhook: the opening is announced once, the webhook after a 500.
		await waitFor(() => liveText.includes('event: alert') && liveText.includes('"alert.opened"'), { timeout: 5000, what: 'live alert' });
		const opened = await waitFor(() => hook.got.find((g) => JSON.parse(g.body).event === 'alert.opened'), { timeout: 8000, what: 'webhook' });
		assert.ok(hook.calls() >= 2, 'the first delivery failed and was retried');
		const sig = createHmac('sha256', SECRET).update(opened.body).digest('hex');
		assert.equal(opened.headers['x-chargeops-signature'], `sha256=${sig}`);
		assert.equal(opened.headers['x-chargeops-event'], 'alert.opened');
		assert.equal(JSON.parse(opened.body).alert.id, alert.id);

		// The ladder: soft reset, then the verification finds the fault gone.
		await waitFor(() => resets.length === 1, { timeout: 8000, what: 'soft reset' });
		assert.deepEqual(resets, ['Soft']);
		const fixed = await waitFor(async () => {
			const a = await server.getOk(`/api/v1/alerts/${alert.id}`);
			return a.remediation.some((s) => s.action === 'verify' && s.outcome === 'fixed') && a;
		}, { timeout: 10000, what: 'verified fix' });
		assert.equal(fixed.remediation[0].action, 'soft_reset');
		assert.equal(fixed.remediation[0].outcome, 'Accepted');
		const resolved = await waitFor(async () => {
			const a = await server.getOk(`/api/v1/alerts/${alert.id}`);
			return a.status === 'resolved' && a;
		}, { timeout: 10000, what: 'auto resolution' });
		assert.equal(resolved.resolved_by, 'auto');
		const summary = await server.getOk('/api/v1/diagnosis/summary');
		assert.ok(summary.remediation.fixed_remotely >= 1);
		const actions = await server.getOk(`/api/v1/remediation-actions?alert=${alert.id}`);
		assert.ok(actions.items.some((a) => a.action === 'soft_reset' && a.outcome === 'Accepted'));
		const metrics = await server.get('/metrics', { token: null });
		assert.match(metrics.text, /chargeops_remediation_fixed_remotely_total [1-9]/);
		assert.match(metrics.text, /chargeops_alerts_raised_total\{detector="faulted"\} [1-9]/);
		assert.match(metrics.text, /chargeops_webhook_deliveries_total [1-9]/);
		assert.equal(faulted, false);
		await reader.cancel();
		await pump;
	});

	it('a welded contactor: Inoperative, then a work order; operators acknowledge and resolve', T, async () => {
		const avail = [];
		const cp = await server.newCharger({
			handlers: { ChangeAvailability: ({ params }) => (avail.push(params), { status: 'Accepted' }) },
		});
		await cp.call('StatusNotification', { connectorId: 2, status: 'Faulted', errorCode: 'PowerSwitchFailure', timestamp: isoNow() });
		const wo = await waitFor(async () => {
			const r = await server.getOk(`/api/v1/work-orders?charger=${encodeURIComponent(cp.id)}`);
			return r.items[0];
		}, { timeout: 10000, what: 'work order' });
		assert.deepEqual(avail, [{ connectorId: 2, type: 'Inoperative' }]);
		assert.equal(wo.kind, 'corrective');
		assert.equal(wo.status, 'open');
		assert.equal(wo.priority, 'critical');
		assert.equal(wo.connector_id, 2);
		assert.match(wo.title, /PowerSwitchFailure/);

		const r0 = await server.post(`/api/v1/alerts/${wo.alert_id}/ack`, { note: 'on it' }, { token: 'viewer' });
		assert.equal(r0.status, 403);
		const r1 = await server.post(`/api/v1/alerts/${wo.alert_id}/ack`, { by: 'alex' }, { token: 'operator' });
		assert.equal(r1.status, 200, r1.text);
		assert.equal(r1.body.status, 'acknowledged');
		assert.equal(r1.body.acknowledged_by, 'alex');
		const r2 = await server.post(`/api/v1/alerts/${wo.alert_id}/resolve`, { note: 'contactor replaced' }, { token: 'operator' });
		assert.equal(r2.status, 200, r2.text);
		assert.equal(r2.body.status, 'resolved');
		assert.equal(r2.body.resolution, 'contactor replaced');
		const r3 = await server.post(`/api/v1/alerts/${wo.alert_id}/resolve`, {}, { token: 'operator' });
		assert.equal(r3.status, 409);
		assert.equal((await server.post('/api/v1/alerts/999999/ack', {})).status, 404);
		const list = await server.getOk(`/api/v1/alerts?status=resolved&charger=${encodeURIComponent(cp.id)}`);
		assert.equal(list.items.length, 1);
		assert.equal((await server.get('/api/v1/alerts?status=bogus')).status, 400);
	});

	it('an outage is an alert after the grace period, not a short drop; rules are served', T, async () => {
		const rules = await server.getOk('/api/v1/diagnosis/rules');
		assert.ok(rules.detectors.length >= 15);
		const offline = rules.detectors.find((d) => d.name === 'offline');
		assert.equal(offline.params.grace_s.value, 360);
		assert.equal(offline.category, 'communication');
		assert.equal(rules.detectors.find((d) => d.name === 'faulted').params.debounce_s.value, 1);
		assert.ok(rules.ladders.safety.some((s) => s.step === 'soft_reset'));
		const cp = await server.newCharger();
		await withTimeout(cp.close({ force: true }), 3000, 'close');
		await new Promise((r) => setTimeout(r, 1500));
		const r = await server.getOk(`/api/v1/alerts?charger=${encodeURIComponent(cp.id)}`);
		assert.equal(r.items.length, 0, 'a drop shorter than the grace period raises nothing');
	});
});
