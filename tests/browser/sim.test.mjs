// The overview against a real server fed by the fleet simulator (`chargeops sim`, the
// small-city scenario, 20 chargers at 60x speed for 45 s): the console shows all 20, its
// counts per state add up to 20 and match the API's chargers with the console's own state
// rule, the online chargers match /healthz, live meter samples move the fleet's power, and
// the chargers leaving at the end of the run reach the screen without a reload. The
// simulator is killed after the test whatever happens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Server, BIN, launchBrowser, newContext, signedInPage, shot, sleep, withTimeout, track } from './lib/harness.mjs';
import { STATES, stateOf } from '../../web/js/fleet.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const N = 20;
const DURATION = 45; // long enough that a loaded machine still sees the fleet move before the run ends

/* The counts the console shows, read from the page, as numbers. */
async function counts(page) {
	return page.$$eval('[data-count]', (els) => Object.fromEntries(els.map((e) => [e.dataset.count, Number(e.textContent)])));
}

/* Polls fn() until it returns a truthy value or ms pass; returns the last value. */
async function until(ms, fn, pause = 200) {
	const end = Date.now() + ms;
	let v;
	for (;;) {
		v = await fn();
		if (v || Date.now() >= end) return v;
		await sleep(pause);
	}
}

describe('web console fed by the fleet simulator', () => {
	let server;
	let browser;
	let sim;
	let simExited;
	let simOut = '';

	before(async () => {
		server = await new Server().start();
		const port = server.port;
		const args = ['sim', '--url', `ws://127.0.0.1:${port}/ocpp`, '--api', `http://127.0.0.1:${port}`, '--token', server.tokens.admin];
		args.push('--scenario', 'scenarios/small-city.json', '--chargers', String(N), '--speed', '60', '--duration', String(DURATION), '--stop-grace', '5', '--seed', '7');
		sim = track(spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
		simExited = new Promise((resolve) => sim.on('exit', (code, signal) => resolve({ code, signal })));
		for (const s of [sim.stdout, sim.stderr]) {
			s.setEncoding('utf8');
			s.on('data', (d) => (simOut = (simOut + d).slice(-20000)));
		}
		browser = await launchBrowser();
	});

	after(async () => {
		if (sim && sim.exitCode === null && sim.signalCode === null) {
			sim.kill('SIGTERM');
			// A second signal ends the simulator's stop-grace at once; SIGKILL if even that hangs.
			await withTimeout(simExited, 3000, 'sim stop').catch(() => {
				sim.kill('SIGTERM');
				return withTimeout(simExited, 2000, 'sim stop').catch(() => sim.kill('SIGKILL'));
			});
		}
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('shows the simulated fleet, consistent with the API, and follows it live', { timeout: 150000 }, async () => {
		// The simulator registers its fleet through the API and connects every charger.
		const connected = async () => (await server.request('GET', '/healthz', undefined, { token: null })).body.chargers_connected;
		const up = await until(15000, async () => (await connected()) === N);
		assert.ok(up, `${await connected()} of ${N} simulated chargers connected after 15 s; sim said:\n${simOut}`);

		const page = await signedInPage(await newContext(browser, server, { viewport: { width: 1400, height: 1000 } }), server, 'operator');
		await page.waitForFunction((n) => document.querySelector('[data-count=total]').textContent === String(n), N, { timeout: 10000 });
		await page.waitForSelector('#live-state[data-state=open]', { timeout: 5000 });

		// The counts per state add up to the fleet and match the API's chargers with the
		// console's state rule. The fleet moves meanwhile, so both are read until they agree.
		let last;
		const agree = await until(15000, async () => {
			const shown = await counts(page);
			const api = (await server.request('GET', '/api/v1/chargers?limit=1000')).body.items;
			const want = Object.fromEntries(STATES.map((s) => [s, 0]));
			for (const c of api) want[stateOf(c)] += 1;
			const sum = STATES.reduce((a, s) => a + shown[s], 0);
			last = { shown, want, sum, api: api.length };
			return api.length === N && sum === N && STATES.every((s) => shown[s] === want[s]);
		});
		assert.ok(agree, `the console's counts never matched the API's: ${JSON.stringify(last)}`);
		assert.equal(last.shown.total, N);
		assert.equal(N - last.shown.offline, await connected(), 'online chargers on the page vs /healthz');
		assert.ok(last.shown.charging > 0, `no charger is charging: ${JSON.stringify(last.shown)}`);

		// Live meter samples: the fleet's power appears (it is "—" until a sample arrives
		// after the page opened) and then changes, without a reload.
		const power = () => page.textContent('[data-testid=fleet-power]');
		const first = await until(10000, async () => {
			const p = await power();
			return /kW$/.test(p) && p;
		});
		assert.ok(first, `no live power after 10 s (shows ${await power()})`);
		const next = await until(10000, async () => {
			const p = await power();
			return p !== first && /kW$/.test(p) && p;
		});
		assert.ok(next, `the live power stayed ${first} for 10 s`);
		await shot(page, 'overview-sim');
		assert.deepEqual(page.errors, []);

		// At the end of the run the simulator stops every session and leaves: the page
		// shows every charger offline, from live events alone.
		await page.waitForFunction((n) => document.querySelector('[data-count=offline]').textContent === String(n), N, { timeout: (DURATION + 15) * 1000 });
		const end = await counts(page);
		assert.equal(end.total, N);
		assert.equal(await connected(), 0);
		assert.deepEqual(page.errors, []);
		const done = await withTimeout(simExited, 15000, 'sim exit');
		assert.equal(done.code, 0, `sim exited with ${JSON.stringify(done)}:\n${simOut}`);
	});
});
