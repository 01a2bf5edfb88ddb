// The project's own OCPP client against the server: `chargeops sim` runs real
// charge points (src/net/wsclient.c + src/ocpp/) that boot, charge and meter;
// what the server stored must match the simulator's own accounting. Also:
// drivers who start from the app (remote starts through the REST API), the
// clock declaration after boot, and the stop grace at the end of a run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, BIN, withTimeout, waitFor, sleep } from './lib/harness.mjs';

const T = { timeout: 60000 };
const N = 4;
const PASSWORD = 'sim-test-password';

/* Starts the simulator; `done` resolves to {code, signal, err (its stderr), ms (wall time)}. */
function startSim(srv, args) {
	const t0 = Date.now();
	const proc = spawn(BIN, ['sim', '--url', `ws://127.0.0.1:${srv.port}/ocpp`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	proc.stderr.setEncoding('utf8');
	proc.stderr.on('data', (d) => (err += d));
	const done = new Promise((resolve, reject) => {
		proc.on('exit', (code, signal) => resolve({ code, signal, err, ms: Date.now() - t0 }));
		proc.on('error', reject);
	});
	return { proc, done: withTimeout(done, 45000, 'chargeops sim') };
}

/* Runs the simulator to completion; resolves to its stderr. */
function runSim(srv, args) {
	return withTimeout(
		new Promise((resolve, reject) => {
			const p = spawn(BIN, ['sim', '--url', `ws://127.0.0.1:${srv.port}/ocpp`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
			let err = '';
			p.stderr.setEncoding('utf8');
			p.stderr.on('data', (d) => (err += d));
			p.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`sim exited ${code}:\n${err}`))));
			p.on('error', reject);
		}),
		45000,
		'chargeops sim',
	);
}

describe('chargeops sim against chargeops serve', () => {
	const srv = new Server();
	after(async () => srv.dispose());

	it('simulated chargers boot, charge and meter; the store matches the simulator', T, async () => {
		await srv.start();
		for (let i = 1; i <= N; i++) {
			await srv.registerCharger(`SIM-${String(i).padStart(3, '0')}`, PASSWORD);
			assert.equal((await srv.post('/api/v1/id-tags', { id_tag: `TAG${i}`, status: 'Accepted' })).status, 201);
		}
		const log = await runSim(srv, ['--chargers', String(N), '--prefix', 'SIM-', '--password', PASSWORD, '--speed', '60', '--duration', '8', '--seed', '7']);

		const m = /transactions started (\d+), completed (\d+), ([\d.]+) kWh delivered/.exec(log);
		assert.ok(m, `no summary in:\n${log}`);
		const started = Number(m[1]);
		const kwh = Number(m[3]);
		assert.ok(started >= N, `expected at least one session per charger, got ${started}`);
		assert.match(log, /CALLERRORs 0, timeouts 0/);
		assert.match(log, /protocol violations 0/);

		const txns = (await srv.getOk('/api/v1/transactions?limit=1000')).items;
		assert.equal(txns.length, started, 'every transaction the simulator started is stored once');
		// The simulator ends running sessions when it stops: all are completed, by the charger.
		for (const t of txns) {
			assert.equal(t.status, 'completed', JSON.stringify(t));
			assert.equal(t.closed_by, 'charger');
			assert.equal(t.energy_wh, t.meter_stop - t.meter_start);
			assert.ok(!t.flags.includes('energy_mismatch'), JSON.stringify(t));
		}
		const wh = txns.reduce((a, t) => a + t.energy_wh, 0);
		// meterStart/meterStop are whole Wh: each transaction may round by under 1 Wh.
		assert.ok(Math.abs(wh - kwh * 1000) <= txns.length + 1, `store ${wh} Wh vs simulator ${kwh} kWh`);

		const chargers = (await srv.getOk('/api/v1/chargers')).items;
		assert.equal(chargers.length, N);
		for (const c of chargers) {
			assert.equal(c.vendor, 'ChargeOps');
			assert.ok(c.model);
			assert.ok(c.connectors.length >= 2, JSON.stringify(c.connectors));
			const mv = await srv.getOk(`/api/v1/chargers/${c.id}/meter-values?measurand=Power.Active.Import&limit=5`);
			assert.ok(mv.total > 0, `${c.id} sent power samples`);
			assert.equal(mv.items[0].unit, 'W');
		}
		const bad = (await srv.getOk('/api/v1/anomalies?limit=1000')).items.filter((a) =>
			['malformed_frame', 'invalid_answer', 'unknown_transaction', 'duplicate_start', 'energy_mismatch'].includes(a.kind),
		);
		assert.deepEqual(bad, []);
	});
});

/* A small scenario: `chargers` one-connector AC chargers whose first car comes
 * 2-4 simulated seconds after the start and stays 5 hours. */
// Cars arrive 30-60 simulated seconds in (0.5-1 s of wall time at --speed 60): after the
// chargers have connected and booted, so a tap is authorised online, not from the cache.
function scenarioFile(dir, name, drivers) {
	const file = path.join(dir, `${name}.json`);
	writeFileSync(
		file,
		JSON.stringify({
			name,
			chargers: 3,
			sample_interval_s: 60,
			charger_types: [{ name: 'ac', kind: 'AC', power_kw: 11, phases: 3, connectors: 1 }],
			site_types: [{ name: 't', sessions_per_day: 0.001, dwell_h: [5, 5], first_arrival_s: [30, 60] }],
			sites: [{ type: 't', chargers: ['ac', 'ac', 'ac'] }],
			drivers,
		}),
	);
	return file;
}

describe('chargeops sim: app starts, clock declaration, stop grace', () => {
	const srv = new Server();
	const dir = mkdtempSync(path.join(tmpdir(), 'chargeops-sim-it-'));
	const appScenario = scenarioFile(dir, 'app', { app_share: 1 });
	const cardScenario = scenarioFile(dir, 'card', {});
	before(async () => srv.start());
	after(async () => {
		try {
			srv.proc?.kill('SIGCONT');
		} catch {
			/* gone */
		}
		await srv.dispose();
		rmSync(dir, { recursive: true, force: true });
	});
	const api = () => ['--api', srv.base, '--token', srv.tokens.admin];

	it('app drivers start through RemoteStartTransaction; each boot declares the simulated clock', T, async () => {
		// At 30x a driver waits ConnectionTimeOut (60 s) = 2 wall seconds for the remote start.
		const log = await runSim(srv, ['--scenario', appScenario, '--prefix', 'APP-', ...api(), '--speed', '30', '--duration', '5', '--seed', '3']);
		assert.match(log, /app starts 3, app failed 0/);
		assert.match(log, /CALLERRORs 0, timeouts 0/);
		assert.match(log, /protocol violations 0/);
		const txns = (await srv.getOk('/api/v1/transactions?limit=1000')).items.filter((t) => t.charger_id.startsWith('APP-'));
		assert.equal(txns.length, 3);
		for (const t of txns) assert.equal(t.status, 'completed', JSON.stringify(t));
		for (const id of ['APP-001', 'APP-002', 'APP-003']) {
			const remote = await srv.getOk(`/api/v1/chargers/${id}/frames?direction=out&action=RemoteStartTransaction`);
			assert.equal(remote.total, 1, `${id}: one remote start`);
			const auth = await srv.getOk(`/api/v1/chargers/${id}/frames?direction=in&action=Authorize`);
			assert.equal(auth.total, 0, `${id}: no card tapped`);
		}
		// The clock declaration: the simulated time of the boot, and the speed.
		const ev = (await srv.getOk('/api/v1/chargers/APP-001/events?kind=data_transfer')).items;
		assert.ok(ev.length >= 1, JSON.stringify(ev));
		const req = JSON.parse(ev[0].detail);
		assert.equal(req.vendorId, 'org.chargeops.sim');
		assert.equal(req.messageId, 'clock');
		const data = JSON.parse(req.data);
		assert.equal(data.speed, 30);
		assert.match(data.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		// The scenario has no start: simulated time began with the run, at most a few wall seconds ago.
		assert.ok(Math.abs(Date.parse(data.time) - Date.parse(ev[0].time)) < 10000, `${data.time} vs ${ev[0].time}`);
	});

	it('without --api, app drivers tap a card instead', T, async () => {
		for (let i = 1; i <= 3; i++) {
			await srv.registerCharger(`APQ-${String(i).padStart(3, '0')}`, PASSWORD);
			await srv.post('/api/v1/id-tags', { id_tag: `TAG${i}`, status: 'Accepted' }); // 409 if it exists: fine
		}
		const log = await runSim(srv, ['--scenario', appScenario, '--prefix', 'APQ-', '--password', PASSWORD, '--speed', '60', '--duration', '4', '--seed', '3']);
		assert.match(log, /app starts 0, app failed 0 \(no --api: app drivers tapped cards\)/);
		const auth = await srv.getOk('/api/v1/chargers/APQ-001/frames?direction=in&action=Authorize');
		assert.ok(auth.total >= 1);
		const remote = await srv.getOk('/api/v1/chargers/APQ-001/frames?direction=out&action=RemoteStartTransaction');
		assert.equal(remote.total, 0);
	});

	it('the stop grace ends as soon as every StopTransaction is answered', T, async () => {
		const { done } = startSim(srv, ['--scenario', cardScenario, '--prefix', 'SGA-', ...api(), '--speed', '60', '--duration', '3', '--stop-grace', '30']);
		const r = await done;
		assert.equal(r.code, 0, r.err);
		const m = /stopping: (\d+) StopTransactions to deliver, all answered in ([\d.]+) s/.exec(r.err);
		assert.ok(m, r.err);
		assert.equal(Number(m[1]), 3);
		assert.ok(Number(m[2]) < 5, r.err);
		assert.ok(r.ms < 3000 + 8000, `took ${r.ms} ms`);
	});

	it('stops still unanswered when --stop-grace runs out are counted', T, async () => {
		const { done } = startSim(srv, ['--scenario', cardScenario, '--prefix', 'SGB-', ...api(), '--speed', '60', '--duration', '4', '--stop-grace', '2']);
		// Every charger charges, then the server stops answering.
		await waitFor(async () => (await srv.getOk('/api/v1/transactions?active=true&limit=1000')).items.filter((t) => t.charger_id.startsWith('SGB-')).length === 3, {
			timeout: 3500,
			what: 'three running transactions',
		});
		srv.proc.kill('SIGSTOP');
		let r;
		try {
			r = await done;
		} finally {
			srv.proc.kill('SIGCONT');
		}
		assert.equal(r.code, 0, r.err);
		const m = /stopping: 3 of 3 StopTransactions still unanswered after ([\d.]+) s \(--stop-grace ran out\)/.exec(r.err);
		assert.ok(m, r.err);
		assert.ok(Number(m[1]) >= 2 && Number(m[1]) < 4, r.err);
		assert.match(r.err, /transactions started \d+, completed 0/);
		assert.ok(r.ms < 4000 + 2000 + 2000 + 3000, `took ${r.ms} ms`);
	});

	it('a second signal ends the stop grace at once', T, async () => {
		const { proc, done } = startSim(srv, ['--scenario', cardScenario, '--prefix', 'SGC-', ...api(), '--speed', '60', '--stop-grace', '60']);
		await waitFor(async () => (await srv.getOk('/api/v1/transactions?active=true&limit=1000')).items.filter((t) => t.charger_id.startsWith('SGC-')).length === 3, {
			timeout: 5000,
			what: 'three running transactions',
		});
		srv.proc.kill('SIGSTOP');
		let r;
		try {
			proc.kill('SIGINT');
			await sleep(1000);
			const t = Date.now();
			proc.kill('SIGINT');
			r = await done;
			assert.ok(Date.now() - t < 2500, `${Date.now() - t} ms after the second signal`);
		} finally {
			srv.proc.kill('SIGCONT');
		}
		assert.equal(r.code, 0, r.err);
		assert.match(r.err, /signal 2, stopping/);
		assert.match(r.err, /stopping: 3 of 3 StopTransactions still unanswered after [\d.]+ s \(second signal\)/);
	});
});
