// The failure-risk page and the risk on a charger's page, in a real browser against a real
// server with a prediction model. The model is trained by `chargeops predict train` on a
// small crafted history (a store written with sqlite3: four of eight chargers trip on
// ground faults day after day before their labelled failure); the live server then sees
// one charger tripping repeatedly over OCPP and one healthy charger, is asked to score,
// and the console shows the ranked list with the reasons in words, the visit plan and
// the predictive work order. A server without a model says that prediction is off.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, BIN, launchBrowser, newContext, signedInPage, shot, waitFor } from './lib/harness.mjs';

const T = { timeout: 90000 };
const DAY = 86400e3;

/* A store with 8 chargers x 20 days of statuses and the labels of the 4 that fail. */
function trainingSet(dir) {
	execFileSync(BIN, ['token', 'create', '--data', dir, '--role', 'viewer', '--name', 'train'], { stdio: 'ignore' });
	const t0 = Math.floor(Date.now() / DAY) * DAY - 40 * DAY;
	const sql = ['BEGIN;'];
	const labels = [];
	for (let c = 1; c <= 8; c++) {
		sql.push(`INSERT INTO chargers(id, site_id, model, created_at) VALUES('T${c}', 'TS', 'AC-2', ${t0});`);
		sql.push(`INSERT INTO connectors(charger_id, connector_id, status) VALUES('T${c}', 1, 'Available');`);
		for (let d = 0; d < 20; d++) {
			const trips = c <= 4 && d >= 5 && d < 12 ? 1 + (d - 5) : 0;
			for (let k = 0; k < trips; k++) {
				const t = t0 + d * DAY + 3600e3 * (k + 1);
				sql.push(`INSERT INTO status_history(charger_id, connector_id, status, error_code, received_at) VALUES('T${c}', 1, 'Faulted', 'GroundFailure', ${t});`);
				sql.push(`INSERT INTO status_history(charger_id, connector_id, status, error_code, received_at) VALUES('T${c}', 1, 'Available', 'NoError', ${t + 60e3});`);
			}
			sql.push(`INSERT INTO status_history(charger_id, connector_id, status, error_code, received_at) VALUES('T${c}', 1, 'Available', 'NoError', ${t0 + d * DAY + 20 * 3600e3});`);
		}
		if (c <= 4) {
			const iso = (ms) => new Date(ms).toISOString();
			labels.push(JSON.stringify({ charger: `T${c}`, connector: 1, fault: 'ground_fault', onset: iso(t0 + 4 * DAY), failure: iso(t0 + 12 * DAY + 12 * 3600e3), repair: iso(t0 + 13 * DAY), site: 'TS' }));
		}
	}
	sql.push('COMMIT;');
	execFileSync('sqlite3', [path.join(dir, 'chargeops.db')], { input: sql.join('\n') });
	const file = path.join(dir, 'labels.jsonl');
	writeFileSync(file, labels.join('\n') + '\n');
	return file;
}

describe('console: failure risk', () => {
	const work = mkdtempSync(path.join(tmpdir(), 'chargeops-risk-'));
	const model = path.join(work, 'model.json');
	let server;
	let browser;

	before(async () => {
		const trainDir = path.join(work, 'train');
		const labels = trainingSet(trainDir);
		const out = execFileSync(BIN, ['predict', 'train', '--data', trainDir, '--labels', labels, '--out', model, '--rounds', '40'], { encoding: 'utf8', timeout: 60000 });
		assert.match(out, /ground_fault .* threshold/);
		server = new Server({ args: ['--prediction-model', model, '--prediction-time', '23:59'] });
		await server.start();
		await server.site('S-RISK', 'Risk site');
		const bad = await server.charger('CP-RISK', { site: 'S-RISK' });
		const ok = await server.charger('CP-FINE', { site: 'S-RISK' });
		await ok.status(1, 'Available');
		for (let k = 0; k < 6; k++) {
			await bad.status(1, 'Faulted', 'GroundFailure');
			await bad.status(1, 'Available');
		}
		const before = (await server.request('GET', '/api/v1/predictions')).body.runs;
		assert.equal((await server.request('POST', '/api/v1/predictions/run', undefined, { token: 'operator' })).status, 202);
		await waitFor(async () => {
			const r = await server.request('GET', '/api/v1/predictions');
			return r.body.runs > before && !r.body.running ? r : null;
		}, { timeout: 30000, interval: 300, what: 'a scoring run' });
		browser = await launchBrowser();
	});

	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
		rmSync(work, { recursive: true, force: true });
	});

	it('lists the connectors at risk with reasons, the visit plan and the work order', T, async () => {
		const api = (await server.request('GET', '/api/v1/predictions')).body;
		const top = api.items[0];
		assert.equal(top.charger_id, 'CP-RISK', JSON.stringify(api.items));
		assert.equal(top.fault, 'ground_fault');
		assert.ok(top.above && top.work_order_id > 0);
		assert.equal(top.evidence, true, 'its ground-fault trips');
		// CP-FINE reported only that it is Available: nothing to go on, so never a visit.
		assert.equal(api.items.find((i) => i.charger_id === 'CP-FINE').evidence, false);

		const ctx = await newContext(browser, server, { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/risk');
		await page.waitForSelector('[data-testid=risk-row]');
		const rows = await page.$$eval('[data-testid=risk-row]', (els) => els.map((e) => ({ charger: e.dataset.charger, above: e.dataset.above, text: e.textContent })));
		assert.equal(rows[0].charger, 'CP-RISK');
		assert.equal(rows[0].above, 'yes');
		assert.match(rows[0].text, /ground fault/i);
		assert.match(rows[0].text, new RegExp(`#${top.work_order_id}`));
		const fine = rows.find((r) => r.charger === 'CP-FINE');
		assert.ok(fine && fine.above === 'no');
		assert.match(fine.text, /no data yet/);
		assert.match(await page.textContent('[data-testid=risk-plan]'), /S-RISK: CP-RISK/);
		await page.check('input[aria-label="Only connectors to visit"]');
		await waitFor(async () => ((await page.$$('[data-testid=risk-row]')).length === rows.filter((r) => r.above === 'yes').length ? true : null), { what: 'the filter' });
		await shot(page, 'risk-light', { fullPage: true });

		await page.goto('/#/chargers/CP-RISK');
		await page.waitForSelector('[data-testid=charger-risk-item]');
		assert.equal(await page.getAttribute('[data-testid=charger-risk-item]', 'data-above'), 'yes');
		assert.match(await page.textContent('[data-testid=charger-risk]'), /Connector 1: \d+ %.*ground fault/i);
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});

	it('says so when prediction is off', T, async () => {
		const plain = new Server();
		await plain.start();
		try {
			const ctx = await newContext(browser, plain, { viewport: { width: 1280, height: 900 } });
			const page = await signedInPage(ctx, plain, 'viewer');
			await page.goto('/#/risk');
			await page.waitForSelector('[data-testid=risk-off]');
			assert.equal(await page.$('[data-testid=risk-run]'), null, 'a viewer gets no run button');
			assert.deepEqual(page.errors, []);
			await ctx.close();
		} finally {
			await plain.dispose();
		}
	});
});
