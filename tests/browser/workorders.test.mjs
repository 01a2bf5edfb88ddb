// Work orders in a real browser against the real server: the board puts each order
// in its state's column with an SLA timer that counts down; the
// order page ticks a checklist item and takes a lifecycle action, both stored through
// the API; the plans calendar shows an inspection due this month linked to its order; a
// technician's token lands on a board of its own orders only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Server, launchBrowser, newContext, signedInPage, shot, sleep, BIN } from './lib/harness.mjs';

const T = { timeout: 90000 };
const DESK = { viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' };

describe('console: work orders and plans', () => {
	let server, browser, open, assigned, tech;
	before(async () => {
		server = await new Server().start();
		await server.site('WS', 'Workshop', { latitude: 52.37, longitude: 4.89 });
		await server.charger('WO-A', { site: 'WS' });
		await server.charger('WO-B', { site: 'WS' });
		tech = (await server.request('POST', '/api/v1/technicians', { name: 'Ann', skills: ['connector', 'power'], site_id: 'WS' })).body;
		open = (await server.request('POST', '/api/v1/work-orders', { charger_id: 'WO-A', connector_id: 1, category: 'connector', priority: 'critical', title: 'Latch broken' })).body;
		assigned = (await server.request('POST', '/api/v1/work-orders', { charger_id: 'WO-B', category: 'power', priority: 'low', title: 'Fan noise' })).body;
		const r = await server.request('POST', `/api/v1/work-orders/${assigned.id}/actions/assign`, { technician_id: tech.id });
		assert.equal(r.status, 200, r.text);
		// A plan for the workshop due in a few days (every 30 days, started 27 days ago).
		const start = new Date(Date.now() - 27 * 86400000).toISOString();
		const plan = await server.request('POST', '/api/v1/plans', { name: 'Monthly check', site_id: 'WS', every_days: 30, lead_days: 7, start_time: start });
		assert.equal(plan.status, 201, plan.text);
		assert.equal((await server.request('POST', '/api/v1/plans/run', {})).body.opened, 2);
		browser = await launchBrowser();
	});
	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('the board groups orders by state with running SLA timers', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.click('.nav a[data-nav=work-orders]');
		await page.waitForSelector('[data-testid=panel-work-orders] .wo-board');
		assert.equal(await page.locator('[data-testid=col-open] [data-testid=wo-card]').count(), 3); /* the latch and two inspections */
		assert.equal(await page.locator('[data-testid=col-assigned] [data-testid=wo-card]').count(), 1);
		const card = page.locator(`[data-testid=wo-card][data-id="${open.id}"]`);
		assert.equal(await card.getAttribute('data-priority'), 'critical');
		const t1 = await card.locator('[data-testid=sla]').textContent();
		assert.match(t1, /^response: (59|60) min left$/);
		// The assigned order has responded: its clock is the resolution one (low: 7 days).
		const t2 = await page.locator(`[data-testid=wo-card][data-id="${assigned.id}"] [data-testid=sla]`).textContent();
		assert.match(t2, /^resolution: 6 d 23 h left$/);
		assert.equal(await page.getAttribute('.nav a[data-nav=work-orders]', 'aria-current'), 'page');
		await shot(page, 'work-orders-board');
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});

	it('the order page ticks the checklist and takes an action', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto(`/#/work-orders/${assigned.id}`);
		await page.waitForSelector('[data-testid=wo-checklist]');
		assert.equal(await page.textContent('[data-testid=wo-status]'), 'assigned');
		const buttons = await page.$$eval('[data-testid=wo-actions] button', (b) => b.map((x) => x.dataset.action));
		assert.deepEqual(buttons, ['assign', 'start', 'cancel']);
		await page.selectOption('[data-testid=check-1]', 'done');
		await page.waitForFunction(() => document.querySelector('[data-testid=check-1]') && document.querySelector('[data-testid=check-1]').value === 'done' && document.querySelector('tr.check-done'));
		const stored = (await server.request('GET', `/api/v1/work-orders/${assigned.id}`)).body;
		assert.equal(stored.checklist[0].state, 'done');
		await page.fill('[data-testid=wo-note]', 'on my way');
		await page.click('[data-testid=wo-actions] button[data-action=start]');
		await page.waitForFunction(() => document.querySelector('[data-testid=wo-status]') && document.querySelector('[data-testid=wo-status]').textContent === 'in progress');
		const after = (await server.request('GET', `/api/v1/work-orders/${assigned.id}`)).body;
		assert.equal(after.status, 'in_progress');
		assert.equal(after.history.at(-1).note, 'on my way');
		assert.match(await page.textContent('[data-testid=wo-history]'), /assigned → in_progress/);
		await shot(page, 'work-order-detail', { fullPage: true });
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});

	it('the plans calendar shows the inspections due with their orders', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'viewer');
		await page.click('.nav a[data-nav=plans]');
		await page.waitForSelector('[data-testid=plans-list] table');
		const due = new Date(Date.now() + 3 * 86400000);
		// The due day may fall in next month: step there if needed.
		if (due.getUTCMonth() !== new Date().getUTCMonth()) await page.click('[data-testid=next-month]');
		const day = due.toISOString().slice(0, 10);
		await page.waitForSelector(`[data-day="${day}"] [data-testid=cal-entry]`);
		const entries = await page.$$eval(`[data-day="${day}"] a[data-testid=cal-entry]`, (a) => a.map((x) => x.textContent));
		assert.deepEqual(entries.sort(), ['WO-A · Monthly check', 'WO-B · Monthly check']);
		await shot(page, 'plans-calendar');
		assert.deepEqual(page.errors, []);
		await sleep(10);
		await ctx.close();
	});

	it("a technician's token sees a board of its own orders only", T, async () => {
		const token = execFileSync(BIN, ['token', 'create', '--data', server.dataDir, '--role', 'technician', '--name', 'ann', '--technician', String(tech.id)], { encoding: 'utf8', timeout: 10000 }).trim();
		const ctx = await newContext(browser, server, DESK);
		const page = await ctx.newPage();
		page.errors = [];
		page.on('pageerror', (e) => page.errors.push(e));
		await page.goto('/');
		await page.fill('#token', token);
		await page.click('button[type=submit]');
		await page.waitForSelector('[data-testid=panel-work-orders] .wo-board');
		assert.match(page.url(), /#\/work-orders$/);
		const ids = await page.$$eval('[data-testid=wo-card]', (c) => c.map((x) => Number(x.dataset.id)));
		assert.deepEqual(ids, [assigned.id]);
		assert.equal(await page.textContent('#role'), 'technician');
		assert.equal(await page.isVisible('.nav a[data-nav=fleet]'), false);
		assert.equal(await page.isVisible('.nav a[data-nav=work-orders]'), true);
		// Any other view sends a technician back to the board.
		await page.goto('/#/transactions');
		await page.waitForSelector('[data-testid=panel-work-orders] .wo-board');
		await page.click(`[data-testid=wo-card][data-id="${assigned.id}"]`);
		await page.waitForSelector('[data-testid=wo-actions] button[data-action=hold]');
		const buttons = await page.$$eval('[data-testid=wo-actions] button', (b) => b.map((x) => x.dataset.action));
		assert.deepEqual(buttons, ['hold', 'resolve']);
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});
});
