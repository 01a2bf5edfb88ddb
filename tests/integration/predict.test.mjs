// Failure prediction end to end: a small simulated fleet whose connectors' contacts are
// wearing out runs against the real server for two simulated weeks (`chargeops sim
// --labels`), `chargeops predict train` learns from that history and the simulator's
// labels, and the server restarted with the model scores the fleet on its worker thread:
// predictive work orders appear for the connectors the labels say are wearing out, the
// risk list explains each one in words, and an operator can ask for a run on demand.
// This is a plumbing test on the training fleet itself, not an evaluation (that is
// docs/prediction.md, on fleets the model never saw).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, BIN, withTimeout, waitFor } from './lib/harness.mjs';

const DAYS = 12;
const SPEED = 28800; // 8 simulated hours per wall second: 12 days in 36 s
const T = { timeout: 150000 };

function scenario(dir) {
	const file = path.join(dir, 'wear.json');
	writeFileSync(
		file,
		JSON.stringify({
			name: 'wear-e2e',
			chargers: 8,
			sample_interval_s: 300,
			charger_types: [{ name: 'ac22', kind: 'AC', power_kw: 22, phases: 3, connectors: 2, vendor: 'E2E', model: 'W22', firmware: '1.0' }],
			site_types: [{ name: 'busy', sessions_per_day: 10 }],
			sites: [{ type: 'busy', grid_kw: 200, chargers: ['ac22', 'ac22', 'ac22', 'ac22'] }],
			drivers: { tags: 40 },
			faults: { contact_wear: { rate_per_year: 2, initial_share: 0.5, progress_days: [6, 10], repair_days: [1, 2] } },
		}),
	);
	return file;
}

function run(args, timeout) {
	return withTimeout(
		new Promise((resolve, reject) => {
			const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
			let out = '';
			let err = '';
			p.stdout.on('data', (d) => (out += d));
			p.stderr.on('data', (d) => (err += d));
			p.on('exit', (code) => (code === 0 ? resolve({ out, err }) : reject(new Error(`${args[0]} exited ${code}:\n${err}`))));
			p.on('error', reject);
		}),
		timeout,
		args[0],
	);
}

describe('failure prediction end to end', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'chargeops-predict-it-'));
	const srv = new Server({ args: ['--clock', 'charger', '--accept-unknown', '--log-level', 'warn'] });
	after(async () => {
		await srv.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	it('simulate, train, score: predictive work orders for the wearing connectors', T, async () => {
		await srv.start();
		const labels = path.join(dir, 'labels.jsonl');
		const sim = await run(
			['sim', '--url', `ws://127.0.0.1:${srv.port}/ocpp`, '--api', srv.base, '--token', srv.tokens.admin, '--scenario', scenario(dir),
				'--speed', String(SPEED), '--duration', String(Math.ceil((DAYS * 86400) / SPEED) + 2), '--seed', '5', '--labels', labels, '--stop-grace', '5'],
			90000,
		);
		assert.match(sim.err, /protocol violations 0/);
		await srv.stop();
		const lab = readFileSync(labels, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
		const wear = lab.filter((l) => l.fault === 'contact_wear');
		assert.ok(wear.some((l) => l.failure), 'some contacts failed during the run');

		const model = path.join(dir, 'model.json');
		const tr = await run(['predict', 'train', '--data', srv.dataDir, '--labels', labels, '--out', model, '--horizon', '3', '--rounds', '60'], 60000);
		assert.match(tr.out, /contact_wear .* threshold/);
		const meta = JSON.parse(readFileSync(model, 'utf8'));
		assert.equal(meta.format, 'chargeops-predict');
		assert.equal(meta.horizon_days, 3);
		assert.ok(meta.features.includes('temp_rise_per_100a_7d'));
		assert.ok(meta.models.contact_wear.booster, 'the booster is in the file');

		// The CLI scores the store the same way the server will.
		const cli = JSON.parse(execFileSync(BIN, ['predict', 'score', '--data', srv.dataDir, '--model', model, '--json'], { encoding: 'utf8', timeout: 60000 }));
		assert.ok(cli.items.length >= 16, 'every connector is scored');

		srv.args = [...srv.args, '--prediction-model', model, '--prediction-horizon-days', '3', '--prediction-time', '00:00'];
		await srv.start();
		assert.equal((await srv.request('POST', '/api/v1/predictions/run', undefined, { token: 'viewer' })).status, 403);
		const run1 = await srv.request('POST', '/api/v1/predictions/run', undefined, { token: 'operator' });
		assert.equal(run1.status, 202);
		// At start the server scores the day that ended (daily run), then the day so far (asked).
		const res = await waitFor(
			async () => {
				const r = await srv.getOk('/api/v1/predictions');
				return r.runs >= 2 && !r.running ? r : null;
			},
			{ timeout: 90000, interval: 500, what: 'the daily and the requested scoring runs' },
		);
		assert.ok(res.items.length >= 16);
		for (let i = 1; i < res.items.length; i++) assert.ok(res.items[i - 1].risk >= res.items[i].risk, 'ranked by risk');
		// Connectors above the threshold in the latest run (the day so far, which may be too
		// short a day to flag any); each run's work orders are opened, checked below.
		const above = res.items.filter((i) => i.above);
		assert.ok(res.items[0].reasons.length >= 1 && res.items[0].reasons[0].text.length > 10, 'the top risk says why');
		for (const it of res.items) assert.equal(typeof it.evidence, 'boolean');
		for (const it of above) {
			assert.equal(it.evidence, true, 'flagged only with a session or an offer seen');
			assert.ok(it.reasons.length >= 1 && typeof it.reasons[0].text === 'string' && it.reasons[0].text.length > 10);
			assert.ok(it.work_order_id > 0);
		}

		// The work orders: every connector above the threshold has one (the daily run may have
		// opened some for connectors the later run ranks lower), never two for one connector,
		// mostly for connectors whose contacts wear.
		const wos = await waitFor(
			async () => {
				const r = await srv.getOk('/api/v1/work-orders?limit=200');
				const p = r.items.filter((w) => w.kind === 'predictive');
				return p.length >= 1 && above.every((it) => p.some((w) => w.id === it.work_order_id)) ? p : null;
			},
			{ timeout: 10000, interval: 200, what: `predictive work orders (latest run: ${JSON.stringify(res.items.slice(0, 3))})` },
		);
		const orderKeys = wos.map((w) => `${w.charger_id}/${w.connector_id}`);
		assert.equal(new Set(orderKeys).size, orderKeys.length, `one predictive order per connector: ${orderKeys}`);
		const end = Math.max(...lab.map((l) => Date.parse(l.repair || l.failure || l.onset)));
		const wearing = (c, k) =>
			wear.some((l) => l.charger === c && l.connector === k && Date.parse(l.onset) <= end && (!l.repair || Date.parse(l.repair) >= end - 3 * 86400e3));
		const hits = wos.filter((w) => wearing(w.charger_id, w.connector_id)).length;
		assert.ok(hits >= Math.ceil(wos.length / 2), `${hits} of ${wos.length} predictive work orders on wearing connectors`);
		for (const w of wos) {
			assert.match(w.title, /^Predictive: /);
			assert.match(w.description, /Checklist: /);
			assert.match(w.description, /Evidence:\n- /);
		}

		// Another run opens no second order for a connector that has one open; a charger's risk.
		const runs = (await srv.getOk('/api/v1/predictions')).runs;
		await srv.request('POST', '/api/v1/predictions/run', undefined, { token: 'operator' });
		const res2 = await waitFor(
			async () => {
				const r = await srv.getOk('/api/v1/predictions');
				return r.runs > runs && !r.running ? r : null;
			},
			{ timeout: 60000, interval: 500, what: 'another run' },
		);
		await waitFor(async () => {
			const n = (await srv.getOk('/api/v1/work-orders?limit=200')).items.filter((w) => w.kind === 'predictive').length;
			return n >= new Set([...wos.map((w) => `${w.charger_id}/${w.connector_id}`), ...res2.items.filter((i) => i.above).map((i) => `${i.charger_id}/${i.connector_id}`)]).size ? true : null;
		}, { timeout: 10000, interval: 200, what: 'the orders of the other run' });
		const again = (await srv.getOk('/api/v1/work-orders?limit=200')).items.filter((w) => w.kind === 'predictive');
		const keys = again.map((w) => `${w.charger_id}/${w.connector_id}`);
		assert.equal(new Set(keys).size, keys.length, `one open predictive order per connector: ${keys}`);
		for (const w of wos) assert.ok(again.some((a) => a.id === w.id));
		for (const it of res2.items.filter((i) => i.above)) {
			const w = again.find((a) => a.charger_id === it.charger_id && a.connector_id === it.connector_id);
			assert.ok(w && it.work_order_id === w.id, `${it.charger_id}/${it.connector_id} refers to its open order`);
		}
		const top = res2.items[0];
		const one = await srv.getOk(`/api/v1/chargers/${top.charger_id}/risk`);
		assert.ok(one.items.length >= 1 && one.items.every((i) => i.charger_id === top.charger_id));
		assert.equal((await srv.request('GET', '/api/v1/chargers/NOPE/risk')).status, 404);
		const site = await srv.getOk(`/api/v1/predictions?site=${encodeURIComponent(top.site_id)}&above=1`);
		const siteAbove = res2.items.filter((i) => i.site_id === top.site_id && i.above).length;
		assert.ok(site.items.length === siteAbove && site.items.every((i) => i.site_id === top.site_id && i.above));
		const siteAll = await srv.getOk(`/api/v1/predictions?site=${encodeURIComponent(top.site_id)}`);
		assert.ok(siteAll.items.length >= 1 && siteAll.items.every((i) => i.site_id === top.site_id));
	});
});

describe('predict command line', () => {
	it('refuses more fleets than it reads at once, instead of leaving some out', async () => {
		const dirs = Array.from({ length: 65 }, (_, i) => `/nonexistent/fleet-${i}`);
		const labels = dirs.map((d) => `${d}/labels.jsonl`);
		await assert.rejects(
			run(['predict', 'train', '--data', dirs.join(','), '--labels', labels.join(','), '--out', '/nonexistent/model.json'], 10000),
			/at most 64 fleets at once/,
		);
	});
});
