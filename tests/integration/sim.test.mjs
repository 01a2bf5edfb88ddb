// The project's own OCPP client against the server: `chargeops sim` runs real
// charge points (src/net/wsclient.c + src/ocpp/) that boot, charge and meter;
// what the server stored must match the simulator's own accounting.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Server, BIN, withTimeout } from './lib/harness.mjs';

const T = { timeout: 60000 };
const N = 4;
const PASSWORD = 'sim-test-password';

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
