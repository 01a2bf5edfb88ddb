// The web console in a real browser against a real server fed by OCPP 1.6J chargers:
// fleet counts, live status and meter updates, a remote reset and a configuration change
// with their answers, what a viewer may see, and the static files with their content types.
// Screenshots of every page go to output/ (light, dark and phone-sized).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, newContext, signedInPage, shot, sleep, isoNow } from './lib/harness.mjs';

const T = { timeout: 60000 };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/* The counts the console shows, read from the page. */
async function counts(page) {
	return page.$$eval('[data-count]', (els) => Object.fromEntries(els.map((e) => [e.dataset.count, e.textContent])));
}

describe('web console', () => {
	let server;
	let browser;
	let live;
	const ch = {};

	before(async () => {
		server = await new Server().start();
		live = await server.hasLive();
		await server.site('site-a', 'Alpha depot');
		await server.site('site-b', 'Bravo garage');
		// One charger per state, plus two offline ones (never connected; gone again).
		ch.a1 = await server.charger('A-1', { site: 'site-a', model: 'AC-2' });
		await ch.a1.status(1, 'Available');
		await ch.a1.status(2, 'Available');
		ch.a2 = await server.charger('A-2', {
			site: 'site-a',
			model: 'DC-50',
			// A distinctive answer: only the charger could have said it.
			handlers: { Reset: () => ({ status: 'Rejected' }), ChangeConfiguration: () => ({ status: 'RebootRequired' }) },
		});
		await ch.a2.status(1, 'Charging');
		ch.a3 = await server.charger('A-3', { site: 'site-a' });
		await ch.a3.status(1, 'Faulted', 'GroundFailure');
		ch.b1 = await server.charger('B-1', { site: 'site-b' });
		await ch.b1.status(0, 'Unavailable');
		await ch.b1.status(1, 'Unavailable');
		ch.b2 = await server.charger('B-2', { site: 'site-b' });
		await ch.b2.status(1, 'Reserved');
		await server.register('B-3', { site_id: 'site-b' });
		const b4 = await server.charger('B-4', { site: 'site-b' });
		await b4.status(1, 'Available');
		await b4.close({ force: true });
		server.clients.delete(b4);
		await server.register('NOSITE-1');
		browser = await launchBrowser();
	});

	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('the overview shows the counts of the connected fleet, grouped by site, with working filters', T, async () => {
		// The API's own view first, so a failure below is the console's.
		let api;
		for (let i = 0; i < 50; i++) {
			api = (await server.request('GET', '/api/v1/chargers?limit=1000')).body.items;
			if (!api.find((c) => c.id === 'B-4').online) break;
			await sleep(100);
		}
		assert.equal(api.length, 8);
		assert.equal(api.filter((c) => c.online).length, 5);

		const ctx = await newContext(browser, server);
		const page = await signedInPage(ctx, server, 'operator');
		await page.waitForFunction(() => document.querySelector('[data-count=total]').textContent === '8');
		assert.deepEqual(await counts(page), { total: '8', available: '1', charging: '1', faulted: '1', offline: '3', unavailable: '1', reserved: '1', unknown: '0' });
		const states = await page.$$eval('[data-charger-id]', (els) => Object.fromEntries(els.filter((e) => !e.hidden).map((e) => [e.dataset.chargerId, e.dataset.state])));
		assert.deepEqual(states, { 'A-1': 'available', 'A-2': 'charging', 'A-3': 'faulted', 'B-1': 'unavailable', 'B-2': 'reserved', 'B-3': 'offline', 'B-4': 'offline', 'NOSITE-1': 'offline' });
		const sites = await page.$$eval('.site-row:not([hidden]) .site-title', (els) => els.map((e) => e.textContent));
		assert.deepEqual(sites, ['Alpha depot', 'Bravo garage', 'No site']);
		assert.equal(await page.textContent('[data-charger-id="A-2"] .model'), 'BrowserTest DC-50');
		await shot(page, 'overview-light');

		// Filters: a state card, the search box, the model select.
		await page.click('[data-state-filter=offline]');
		await page.waitForFunction(() => document.querySelector('[data-testid=shown]').textContent.startsWith('3 of 8'));
		await page.click('[data-state-filter=offline]');
		await page.fill('[data-filter=q]', 'b-');
		await page.waitForFunction(() => document.querySelector('[data-testid=shown]').textContent.startsWith('4 of 8'));
		await page.fill('[data-filter=q]', '');
		await page.selectOption('[data-filter=model]', 'BrowserTest DC-50');
		const visible = await page.$$eval('[data-charger-id]', (els) => els.filter((e) => !e.hidden).map((e) => e.dataset.chargerId));
		assert.deepEqual(visible, ['A-2']);
		await page.selectOption('[data-filter=model]', '');
		assert.deepEqual(page.errors, []);

		// The same page in the dark theme (toggle) and on a phone in the system's dark mode.
		await page.click('#theme-toggle');
		assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
		await shot(page, 'overview-dark');
		await page.click('#theme-toggle');
		await ctx.close();

		const phone = await newContext(browser, server, { ...PHONE, colorScheme: 'dark' });
		const p2 = await signedInPage(phone, server, 'viewer');
		await p2.waitForFunction(() => document.querySelector('[data-count=total]').textContent === '8');
		await shot(p2, 'overview-phone-dark');
		// Nothing wider than the screen.
		assert.ok(await p2.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the overview scrolls sideways on a phone');
		await phone.close();
	});

	it('a status change and a meter sample sent by a charger reach the screen without a reload', T, async (t) => {
		if (process.env.CHARGEOPS_REQUIRE_LIVE) assert.ok(live, 'the server has no /api/v1/live (CHARGEOPS_REQUIRE_LIVE is set)');
		if (!live) {
			t.todo('LIVE CHANNEL PENDING: the server has no /api/v1/live yet; run again once it lands (it must pass then)');
			return;
		}
		const ctx = await newContext(browser, server);
		const page = await signedInPage(ctx, server, 'operator');
		await page.waitForFunction(() => document.querySelector('[data-count=total]').textContent === '8');
		await page.waitForSelector('#live-state[data-state=open]', { timeout: 5000 });
		const before = await counts(page);
		const sent = Date.now();
		await ch.a1.status(1, 'Faulted', 'OverCurrentFailure');
		await page.waitForSelector('[data-charger-id="A-1"][data-state=faulted]', { timeout: 3000 });
		const latency = Date.now() - sent;
		const after = await counts(page);
		assert.equal(Number(after.faulted), Number(before.faulted) + 1);
		assert.equal(Number(after.available), Number(before.available) - 1);
		// The issue asks for under one second from the charger's message to the screen.
		assert.ok(latency < 1000, `status reached the screen after ${latency} ms`);
		t.diagnostic(`status change on screen ${latency} ms after the charger sent it`);

		// A meter sample's active power becomes the fleet's live power.
		await ch.a2.call('MeterValues', {
			connectorId: 1,
			meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '7400', measurand: 'Power.Active.Import', unit: 'W' }] }],
		});
		await page.waitForFunction(() => document.querySelector('[data-testid=fleet-power]').textContent === '7.4 kW', null, { timeout: 3000 });

		// The detail page follows its charger too, and a going-away reaches the overview.
		await page.goto(`/#/chargers/A-1`);
		await page.waitForSelector('[data-testid=connector-status-1]');
		await ch.a1.status(1, 'Available');
		await page.waitForFunction(() => document.querySelector('[data-testid=connector-status-1]').textContent === 'Available', null, { timeout: 3000 });
		await page.goto('/#/');
		await ch.b2.close({ force: true });
		server.clients.delete(ch.b2);
		await page.waitForSelector('[data-charger-id="B-2"][data-state=offline]', { timeout: 3000 });
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});

	it('a Reset and a ChangeConfiguration from the detail page reach the charger and their answers are shown', T, async () => {
		const ctx = await newContext(browser, server);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/chargers/A-2');
		await page.waitForSelector('[data-testid=connector-status-1]');
		assert.equal(await page.textContent('[data-testid=connector-status-1]'), 'Charging');
		assert.match(await page.textContent('.kv'), /SN-A-2/);
		await page.waitForSelector('[data-testid=frame]');
		const n = ch.a2.received.length;
		await page.click('button[data-action="Reset Soft"]');
		await page.waitForSelector('[data-testid=command-answer][data-status="200"]', { timeout: 10000 });
		const got = ch.a2.received.slice(n);
		assert.deepEqual(got, [{ action: 'Reset', params: { type: 'Soft' } }]);
		const answer = await page.textContent('[data-testid=command-answer]');
		assert.match(answer, /Reset Soft → HTTP 200/);
		assert.match(answer, /"status": "Rejected"/);

		// A ChangeConfiguration with a key and value typed in the page reaches the charger as
		// typed, and its (distinctive) answer replaces the Reset's.
		const m = ch.a2.received.length;
		await page.fill('[data-testid=config-key]', 'HeartbeatInterval');
		await page.fill('[data-testid=config-value]', '120');
		await page.click('button[data-action="Change configuration"]');
		await page.waitForSelector('[data-testid=command-answer][data-action=ChangeConfiguration][data-status="200"]', { timeout: 10000 });
		assert.deepEqual(ch.a2.received.slice(m), [{ action: 'ChangeConfiguration', params: { key: 'HeartbeatInterval', value: '120' } }]);
		const cfgAnswer = await page.textContent('[data-testid=command-answer]');
		assert.match(cfgAnswer, /ChangeConfiguration → HTTP 200/);
		assert.match(cfgAnswer, /"status": "RebootRequired"/);

		// The frame log finds the call and the charger's answer by its text.
		await page.fill('[data-testid=frame-search]', '"Reset"');
		await page.waitForFunction(() => {
			const f = [...document.querySelectorAll('[data-testid=frame]')];
			return f.length > 0 && f.every((x) => x.textContent.includes('"Reset"'));
		});
		await page.fill('[data-testid=frame-search]', '');
		await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame]').length > 2);
		await shot(page, 'charger-light', { fullPage: true });

		// An offline charger: the server's refusal is shown as such.
		await page.goto('/#/chargers/B-3');
		await page.waitForSelector('.kv');
		await page.click('button[data-action="Reset Soft"]');
		await page.waitForSelector('[data-testid=command-answer][data-status="409"]');
		assert.match(await page.textContent('[data-testid=command-answer]'), /offline/);
		assert.deepEqual(page.errors, []);
		await ctx.close();

		const phone = await newContext(browser, server, { ...PHONE, colorScheme: 'dark' });
		const p2 = await signedInPage(phone, server, 'operator');
		await p2.goto('/#/chargers/A-3');
		await p2.waitForSelector('[data-testid=connector-status-1]');
		await shot(p2, 'charger-phone-dark', { fullPage: true });
		assert.ok(await p2.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the detail page scrolls sideways on a phone');
		await phone.close();
	});

	it('a viewer token sees no action buttons', T, async () => {
		const ctx = await newContext(browser, server, { colorScheme: 'dark' });
		const page = await signedInPage(ctx, server, 'viewer');
		assert.equal(await page.textContent('#role'), 'viewer');
		await page.goto('/#/chargers/A-2');
		await page.waitForSelector('[data-testid=connector-status-1]');
		await page.waitForSelector('[data-testid=frame]');
		assert.equal(await page.locator('[data-testid=actions]').count(), 0);
		assert.equal(await page.locator('button[data-action]').count(), 0);
		assert.equal(await page.locator('[data-testid=config-key], [data-testid=config-value]').count(), 0);
		assert.equal(await page.locator('text=Remote actions').count(), 0);
		await shot(page, 'charger-viewer-dark', { fullPage: true });
		await ctx.close();
	});

	it('a wrong token is refused at sign-in', T, async () => {
		const ctx = await newContext(browser, server);
		const page = await ctx.newPage();
		await page.goto('/');
		await page.fill('#token', 'f'.repeat(64));
		await page.click('button[type=submit]');
		await page.waitForFunction(() => document.querySelector('.login .error').textContent.length > 0);
		assert.match(await page.textContent('.login .error'), /not valid/);
		await shot(page, 'login-light');
		await ctx.close();
	});

	it('the server serves the console files with their content types', T, async (t) => {
		const serves = await server.servesConsole();
		if (process.env.CHARGEOPS_REQUIRE_STATIC) assert.ok(serves, 'GET / is not the console (CHARGEOPS_REQUIRE_STATIC is set)');
		if (!serves) {
			t.todo('STATIC SERVING PENDING: the server does not serve web/ yet; run again once it lands (it must pass then)');
			return;
		}
		const want = { '/': 'text/html', '/js/app.js': 'javascript', '/css/app.css': 'text/css', '/favicon.svg': 'image/svg+xml' };
		for (const [p, type] of Object.entries(want)) {
			const r = await fetch(server.base + p);
			assert.equal(r.status, 200, p);
			const got = r.headers.get('content-type') || '';
			assert.ok(got.includes(type), `${p}: content type ${got}`);
		}
		assert.equal((await fetch(`${server.base}/no-such-file.js`)).status, 404);
		assert.equal((await fetch(`${server.base}/js/`)).status, 404, 'directory listing');
		assert.equal((await fetch(`${server.base}/js/../../README.md`)).status, 404);
	});
});
