// The overview with 10,000 registered chargers: the list is virtualised (only the rows in
// view are in the DOM), the counts cover the whole fleet, scrolling reaches the last
// charger, and a live status change of one charger among 10,000 reaches its row.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, newContext, signedInPage, shot } from './lib/harness.mjs';

const N = 10000;

describe('web console with 10,000 chargers', () => {
	let server;
	let browser;
	let one;

	before(async () => {
		server = await new Server().start();
		await server.site('big', 'Big depot');
		// Registered through the API, 64 requests in flight.
		let next = 0;
		const worker = async () => {
			while (next < N) {
				const i = next++;
				const id = `S-${String(i).padStart(5, '0')}`;
				const r = await server.request('POST', '/api/v1/chargers', i % 2 ? { id, password: 'password-1', site_id: 'big' } : { id, password: 'password-1' });
				if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${r.text}`);
			}
		};
		await Promise.all(Array.from({ length: 64 }, worker));
		one = await server.charger('LIVE-1', { site: 'big' });
		await one.status(1, 'Available');
		browser = await launchBrowser();
	});

	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('stays virtualised and current', { timeout: 120000 }, async () => {
		const ctx = await newContext(browser, server);
		const page = await signedInPage(ctx, server, 'viewer');
		const t0 = Date.now();
		await page.waitForFunction((n) => document.querySelector('[data-count=total]').textContent === String(n), N + 1, { timeout: 30000 });
		const loadMs = Date.now() - t0;
		assert.equal(await page.textContent('[data-count=offline]'), String(N));
		assert.equal(await page.textContent('[data-count=available]'), '1');
		const rows = await page.locator('.vlist-row').count();
		assert.ok(rows < 120, `${rows} row elements in the DOM for ${N + 1} chargers`);

		// Scroll to the end: the last charger of the last group is there, still few rows.
		await page.$eval('.vlist', (el) => (el.scrollTop = el.scrollHeight));
		await page.waitForSelector('[data-charger-id="S-09998"]:not([hidden])');
		assert.ok((await page.locator('.vlist-row').count()) < 120);

		// Search narrows 10,001 to one; a live change of that charger reaches its row.
		await page.fill('[data-filter=q]', 'live-1');
		await page.waitForSelector('[data-charger-id="LIVE-1"][data-state=available]');
		if (await server.hasLive()) {
			await one.status(1, 'Charging');
			await page.waitForSelector('[data-charger-id="LIVE-1"][data-state=charging]', { timeout: 3000 });
			assert.equal(await page.textContent('[data-count=charging]'), '1');
		}
		await page.fill('[data-filter=q]', '');
		await shot(page, 'overview-10k');
		assert.deepEqual(page.errors, []);
		process.stderr.write(`# 10,001 chargers listed in ${loadMs} ms after sign-in\n`);
		await ctx.close();
	});
});
