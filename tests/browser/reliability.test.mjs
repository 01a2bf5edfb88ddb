// The reliability page in a real browser against a real server: a rapid charger's history
// is imported (Available since January 2023, Faulted for 4,464 min in March 2024), and the
// page must show the figures the API computes for March 2024: 44,640 min in the month, so
// (44,640 - 4,464) / 44,640 = 90.0000 % for NEVI, CEC and the UK rule; the rolling twelve
// months before March hold no outage (100.0000 %); one failure restored after 74 h 24 min.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, newContext, signedInPage, shot, WEB_DIR } from './lib/harness.mjs';

const T = { timeout: 60000 };

describe('reliability page', () => {
	let server;
	let browser;
	before(async () => {
		server = await new Server().start();
		await server.site('rel-site', 'Motorway services');
		await server.register('REL-1', { site_id: 'rel-site', max_power_kw: 150 });
		const lines = [
			{ charger: 'REL-1', connector: 1, time: '2023-01-01T00:00:00Z', status: 'Available' },
			{ charger: 'REL-1', connector: 1, time: '2024-03-10T00:00:00Z', status: 'Faulted', error_code: 'GroundFailure' },
			{ charger: 'REL-1', connector: 1, time: '2024-03-13T02:24:00Z', status: 'Available' },
		];
		const res = await fetch(`${server.base}/api/v1/reliability/import`, {
			method: 'POST',
			headers: { authorization: `Bearer ${server.tokens.operator}` },
			body: lines.map((l) => JSON.stringify(l)).join('\n'),
		});
		assert.equal(res.status, 200, await res.text());
		browser = await launchBrowser();
	});
	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('shows the network, site and port figures from the API, and the monthly chart', T, async () => {
		const ctx = await newContext(browser, server, { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', acceptDownloads: true });
		const page = await signedInPage(ctx, server, 'viewer');
		await page.click('a[data-nav=reliability]');
		await page.waitForSelector('input[data-filter=month]');
		await page.goto('/#/reliability?month=2024-03');
		await page.waitForSelector('[data-figure=nevi-period]');
		const fig = async (name) => (await page.textContent(`[data-figure=${name}]`)).trim();
		assert.equal(await fig('nevi-period'), '90.0000 %');
		assert.equal(await fig('cec-period'), '90.0000 %');
		assert.equal(await fig('uk-pct'), '90.0000 %');
		assert.equal(await fig('nevi-annual'), '100.0000 %');
		assert.equal(await fig('mttr'), '74 h 24 min');
		const row = page.locator('[data-testid=rel-ports] tr[data-port="REL-1/1"] td');
		assert.equal((await row.nth(2).textContent()).trim(), '4464');
		assert.equal((await row.nth(8).textContent()).trim(), '1');
		const site = page.locator('[data-testid=rel-sites] tr[data-site=rel-site] td');
		assert.equal((await site.nth(3).textContent()).trim(), '90.0000 %');
		// The chart asks for the twelve months up to March 2024.
		await page.waitForSelector('[data-testid=rel-chart][data-months="12"]', { state: 'attached' });
		if (existsSync(path.join(WEB_DIR, 'vendor/uplot/uPlot.esm.js'))) await page.waitForSelector('[data-testid=rel-chart][data-points="12"]');
		// The CEC CSV of the month downloads with the port's row.
		const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv=cec]')]);
		assert.equal(download.suggestedFilename(), 'chargeops-cec-2024-03.csv');
		const csv = await new Promise((resolve, reject) => {
			download.createReadStream().then((st) => {
				let t = '';
				st.on('data', (d) => (t += d));
				st.on('end', () => resolve(t));
				st.on('error', reject);
			}, reject);
		});
		assert.match(csv, /^REL-1,1,rel-site,2024-03-01T00:00:00\.000Z,2024-04-01T00:00:00\.000Z,44640,4464,0,4464,90\.0000\r$/m);
		// Choosing another month re-queries: February 2024 had no outage.
		await page.fill('input[data-filter=month]', '2024-02');
		await page.dispatchEvent('input[data-filter=month]', 'change');
		await page.waitForFunction(() => document.querySelector('[data-figure=nevi-period]')?.textContent.trim() === '100.0000 %');
		assert.match(page.url(), /month=2024-02/);
		await shot(page, 'reliability', { fullPage: true });
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});
});
