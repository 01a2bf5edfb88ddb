// The console's second slice in a real browser against a real server fed over OCPP 1.6J:
// charger charts drawn from the series endpoint and extended by live meter samples, zoom
// re-querying the series, transactions (list, filters, detail with its curves and values),
// the site map with its counts and live load, analytics figures from sessions with known
// times and energies, and the alerts / work orders panels' empty states. Screenshots of
// every page (light, dark, phone) go to output/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Server, launchBrowser, newContext, signedInPage, shot, sleep, OUTPUT } from './lib/harness.mjs';

const T = { timeout: 90000 };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: 'UTC' };
const DESK = { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' };
const DAY = '2026-03-02';
const iso = (d, hm) => `${d}T${hm}:00.000Z`;
const ago = (min) => new Date(Date.now() - min * 60000).toISOString();

/* Light, dark (toggle) and phone (system dark) screenshots of the page at `hash`. */
async function threeShots(browser, server, hash, name, ready) {
	const ctx = await newContext(browser, server, DESK);
	const page = await signedInPage(ctx, server, 'operator');
	await page.goto(`/${hash}`);
	await ready(page);
	await shot(page, `${name}-light`, { fullPage: true });
	await page.click('#theme-toggle');
	await sleep(150);
	await shot(page, `${name}-dark`, { fullPage: true });
	assert.deepEqual(page.errors, []);
	await ctx.close();
	const phone = await newContext(browser, server, { ...PHONE, colorScheme: 'dark' });
	const p2 = await signedInPage(phone, server, 'viewer');
	await p2.goto(`/${hash}`);
	await ready(p2);
	await shot(p2, `${name}-phone-dark`, { fullPage: true });
	const wide = await p2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert.ok(wide <= 1, `${name} scrolls sideways on a phone by ${wide} px`);
	assert.deepEqual(p2.errors, []);
	await phone.close();
}

describe('console views', () => {
	let server;
	let browser;
	const ch = {};
	let liveTx;

	/* A completed session at known times: start, one power sample, stop with `energy` Wh. */
	async function session(c, start, stop, energy, powerW) {
		const s = await c.call('StartTransaction', { connectorId: 1, idTag: 'TAG-HIST', meterStart: 10000, timestamp: start });
		await c.call('MeterValues', {
			connectorId: 1,
			transactionId: s.transactionId,
			meterValue: [{ timestamp: start, sampledValue: [{ value: String(powerW), measurand: 'Power.Active.Import', unit: 'W' }] }],
		});
		await c.call('StopTransaction', { transactionId: s.transactionId, meterStop: 10000 + energy, timestamp: stop });
	}

	/* One reading of every charted measurand on connector 1. */
	function reading(time, { v = 230, i = 32, w = 7400, tOut = 35, tBody = 28, wh = 12345 } = {}, transactionId) {
		return {
			connectorId: 1,
			...(transactionId ? { transactionId } : {}),
			meterValue: [
				{
					timestamp: time,
					sampledValue: [
						{ value: String(v), measurand: 'Voltage', phase: 'L1-N', unit: 'V' },
						{ value: String(i), measurand: 'Current.Import', phase: 'L1', unit: 'A' },
						{ value: String(w), measurand: 'Power.Active.Import', unit: 'W' },
						{ value: String(tOut), measurand: 'Temperature', location: 'Outlet', unit: 'Celsius' },
						{ value: String(tBody), measurand: 'Temperature', location: 'Body', unit: 'Celsius' },
						{ value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
					],
				},
			],
		};
	}

	before(async () => {
		server = await new Server().start();
		await server.site('S1', 'Depot', { latitude: 52.37, longitude: 4.89, grid_limit_kw: 50 });
		await server.site('S2', 'Harbour', { latitude: 51.92, longitude: 4.48, grid_limit_kw: 22 });
		await server.site('S3', 'Unplaced yard');
		ch.a = await server.charger('CH-A', { site: 'S1' });
		ch.b = await server.charger('CH-B', { site: 'S1' });
		ch.c = await server.charger('CH-C', { site: 'S2' });
		for (const c of [ch.a, ch.b, ch.c]) await c.status(1, 'Available');
		await ch.c.status(1, 'Faulted', 'GroundFailure');
		// The analytics integration test's sessions: Monday 2026-03-02 and Tuesday.
		await session(ch.a, iso(DAY, '08:00'), iso(DAY, '10:00'), 20000, 11000); // 2 h, 20 kWh
		await session(ch.b, iso(DAY, '08:00'), iso(DAY, '08:45'), 7000, 7000); // 45 min, 7 kWh
		await session(ch.a, iso(DAY, '18:30'), iso(DAY, '19:00'), 3000, 6000); // 30 min, 3 kWh
		await session(ch.b, iso('2026-03-03', '08:15'), iso('2026-03-03', '12:15'), 45000, 11000); // 4 h, 45 kWh
		// CH-A: readings over the last few minutes (no transaction) for the charts.
		await ch.a.call('MeterValues', reading(ago(6), { v: 229, w: 7000, wh: 12000 }));
		await ch.a.call('MeterValues', reading(ago(4), { v: 231, w: 7400, wh: 12200 }));
		await ch.a.call('MeterValues', reading(ago(2), { v: 230, w: 7800, wh: 12345 }));
		// CH-B: an active session started 10 minutes ago with three samples.
		await ch.b.status(1, 'Charging');
		const s = await ch.b.call('StartTransaction', { connectorId: 1, idTag: 'TAG-LIVE', meterStart: 50000, timestamp: ago(10) });
		liveTx = s.transactionId;
		await ch.b.call('MeterValues', reading(ago(9), { w: 7000, wh: 50500 }, liveTx));
		await ch.b.call('MeterValues', reading(ago(6), { w: 7400, wh: 50900 }, liveTx));
		await ch.b.call('MeterValues', reading(ago(3), { w: 7200, wh: 51270 }, liveTx));
		browser = await launchBrowser();
	});

	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('charger charts draw the series endpoint values, follow live samples and zoom by re-querying', T, async () => {
		const api = (await server.request('GET', `/api/v1/chargers/CH-A/series?measurand=Power.Active.Import&phase=none&location=Outlet&connector=1&from=${ago(60)}&to=${new Date(Date.now() + 1000).toISOString()}&points=600`)).body;
		const apiKw = api.points.map((p) => p.avg / 1000);
		assert.deepEqual(apiKw, [7, 7.4, 7.8]);

		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/chargers/CH-A');
		await page.waitForSelector('#live-state[data-state=open]');
		for (const key of ['voltage', 'current', 'power', 'temperature', 'energy']) await page.waitForSelector(`[data-chart=${key}][data-points="3"]`, { timeout: 10000 });
		const drawn = await page.$eval('[data-chart=power]', (el) => ({ series: el._uplot.series.length, y: el._uplot.data[1], canvas: el.querySelector('canvas').width }));
		assert.equal(drawn.series, 2);
		assert.deepEqual(drawn.y, apiKw);
		assert.ok(drawn.canvas > 200, 'the power chart has a canvas');
		// Something was drawn: the canvas is not blank.
		const inked = await page.$eval('[data-chart=power] canvas', (c) => {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
			return n;
		});
		assert.ok(inked > 500, `power chart canvas has ${inked} painted pixels`);
		const temps = await page.$eval('[data-chart=temperature]', (el) => ({ labels: el._uplot.series.slice(1).map((s) => s.label), data: el._uplot.data.slice(1) }));
		assert.deepEqual(temps.labels, ['Body', 'Outlet']);
		assert.deepEqual(temps.data, [
			[28, 28, 28],
			[35, 35, 35],
		]);
		assert.deepEqual(await page.$eval('[data-chart=energy]', (el) => el._uplot.data[1].map((v) => Math.round(v * 1000) / 1000)), [12, 12.2, 12.345]);

		// A live sample is appended within a second.
		await ch.a.call('MeterValues', reading(new Date().toISOString(), { w: 9100 }));
		await page.waitForSelector('[data-chart=power][data-points="4"]', { timeout: 3000 });
		assert.equal(await page.$eval('[data-chart=power]', (el) => el._uplot.data[1].at(-1)), 9.1);

		// The ranges re-query; dragging across the chart zooms every chart to that window.
		await page.click('[data-range="24h"]');
		await page.waitForSelector('[data-range="24h"].active');
		await page.waitForSelector('[data-testid=charts][data-window]:not([data-loading])');
		const day = await page.$eval('[data-testid=charts]', (el) => el.dataset.window.split('/').map(Date.parse));
		assert.ok(Math.abs(day[1] - day[0] - 86400e3) < 5000, 'the 24 h range queries 24 hours');
		const over = await page.$('[data-chart=power] .u-over');
		const box = await over.boundingBox();
		// The four samples are in the last few minutes: at 24 h they are at the right edge.
		await page.mouse.move(box.x + box.width * 0.97, box.y + box.height / 2);
		await page.mouse.down();
		await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
		await page.mouse.up();
		await page.waitForSelector('[data-testid=zoom-reset]:not([hidden])');
		assert.ok(!(await page.$('[data-range].active')), 'no range is active while zoomed');
		await page.waitForSelector('[data-testid=charts][data-window]:not([data-loading])');
		// The zoomed window (about 3 % of a day, at its end) was queried, and the samples in it drawn.
		const win = await page.$eval('[data-testid=charts]', (el) => el.dataset.window.split('/').map(Date.parse));
		assert.ok(win[1] - win[0] < 3600e3 && win[1] - win[0] > 60e3, `zoomed window ${win}`);
		const zoomed = await page.$eval('[data-chart=power]', (el) => el._uplot.data[0]);
		assert.ok(zoomed.length >= 1 && zoomed.every((t) => t >= win[0] && t <= win[1]), `zoomed series ${zoomed} in ${win}`);
		await page.click('[data-testid=zoom-reset]');
		await page.waitForSelector('[data-range="24h"].active');
		await page.click('[data-range="1h"]');
		await page.waitForSelector('[data-testid=charts][data-window]:not([data-loading])');
		await shot(page, 'charts-light', { fullPage: true });
		await page.click('#theme-toggle');
		await sleep(200);
		await shot(page, 'charts-dark', { fullPage: true });
		assert.deepEqual(page.errors, []);
		await ctx.close();

		const phone = await newContext(browser, server, { ...PHONE, colorScheme: 'dark' });
		const p2 = await signedInPage(phone, server, 'viewer');
		await p2.goto('/#/chargers/CH-A');
		await p2.waitForSelector('[data-chart=power][data-points="4"]', { timeout: 10000 });
		await p2.evaluate(() => document.querySelector('[data-testid=charts]').scrollIntoView());
		await p2.screenshot({ path: path.join(OUTPUT, 'charts-phone-dark.png') });
		assert.ok(await p2.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the charts scroll sideways on a phone');
		await phone.close();
	});

	it('transactions: the list filters, and a transaction shows its curves and meter values', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/transactions');
		await page.waitForSelector('[data-testid=tx-list]');
		assert.equal(await page.textContent('[data-testid=tx-shown]'), '1–5 of 5');
		await page.selectOption('[data-filter=status]', 'true');
		await page.waitForFunction(() => document.querySelector('[data-testid=tx-shown]').textContent === '1–1 of 1');
		await page.selectOption('[data-filter=status]', '');
		await page.fill('[data-filter=charger]', 'CH-A');
		await page.waitForFunction(() => document.querySelector('[data-testid=tx-shown]').textContent === '1–2 of 2');
		await page.fill('[data-filter=charger]', '');
		await page.fill('[data-filter=from]', '2026-03-03');
		await page.fill('[data-filter=to]', '2026-03-03');
		await page.waitForFunction(() => document.querySelector('[data-testid=tx-shown]').textContent === '1–1 of 1');
		assert.match(await page.textContent('[data-testid=tx-list] tbody'), /CH-B.*45\.000 kWh/);
		await page.fill('[data-filter=from]', '');
		await page.fill('[data-filter=to]', '');
		await page.waitForFunction(() => document.querySelector('[data-testid=tx-shown]').textContent === '1–5 of 5');
		await shot(page, 'transactions-light', { fullPage: true });

		await page.click(`a[href="#/transactions/${liveTx}"]`);
		await page.waitForSelector('[data-chart=tx-power][data-points="3"]');
		assert.deepEqual(await page.$eval('[data-chart=tx-power]', (el) => el._uplot.data[1]), [7, 7.4, 7.2]);
		assert.deepEqual(await page.$eval('[data-chart=tx-energy]', (el) => el._uplot.data[1]), [0.5, 0.9, 1.27]);
		assert.equal(await page.locator('[data-testid=tx-values] tbody tr').count(), 18);
		assert.match(await page.textContent('[data-testid=tx-summary]'), /TAG-LIVE/);
		// Live: a new sample of this transaction reaches the curve.
		await page.waitForFunction(() => document.querySelector('#live-state').dataset.state === 'open');
		await sleep(300);
		await ch.b.call('MeterValues', reading(new Date().toISOString(), { w: 6600, wh: 51500 }, liveTx));
		await page.waitForSelector('[data-chart=tx-power][data-points="4"]', { timeout: 4000 });
		assert.deepEqual(page.errors, []);
		await ctx.close();

		await threeShots(browser, server, `#/transactions/${liveTx}`, 'transaction', (p) => p.waitForSelector('[data-chart=tx-power][data-points]'));
		const phone = await newContext(browser, server, { ...PHONE, colorScheme: 'dark' });
		const p2 = await signedInPage(phone, server, 'viewer');
		await p2.goto('/#/transactions');
		await p2.waitForSelector('[data-testid=tx-list]');
		await shot(p2, 'transactions-phone-dark', { fullPage: true });
		await phone.close();
	});

	it('the site map places the sites with their counts and live load; a click filters the fleet', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/sites');
		await page.waitForSelector('#live-state[data-state=open]');
		await page.waitForSelector('.site-marker[data-site=S1]');
		assert.equal(await page.locator('.site-marker').count(), 2, 'the site without coordinates is not on the plane');
		const pos = await page.$$eval('.site-marker', (els) => Object.fromEntries(els.map((g) => [g.dataset.site, g.querySelector('.ring-count').getAttribute('y')])));
		assert.ok(Number(pos.S1) < Number(pos.S2), 'the northern site is drawn higher');
		const pills = async () => page.$$eval('[data-site-card]', (els) => Object.fromEntries(els.map((e) => [e.dataset.siteCard, Object.fromEntries([...e.querySelectorAll('.pill')].map((p) => [p.dataset.state, Number(p.dataset.n)]))])));
		assert.deepEqual(await pills(), { S1: { available: 1, charging: 1 }, S2: { faulted: 1 }, S3: {} });
		await ch.a.call('MeterValues', reading(new Date().toISOString(), { w: 11000 }));
		await ch.b.call('MeterValues', reading(new Date().toISOString(), { w: 7000, wh: 51600 }, liveTx));
		await page.waitForFunction(() => document.querySelector('[data-site-card=S1] [data-testid=site-load]').textContent === '18.0 kW of 50 kW · 36 %', null, { timeout: 3000 });
		assert.match(await page.textContent('[data-site-card=S2] [data-testid=site-load]'), /0 kW of 22 kW/);
		await shot(page, 'sites-light', { fullPage: true });
		await page.click('.site-marker[data-site=S1]');
		await page.waitForFunction(() => document.querySelector('[data-testid=shown]') && document.querySelector('[data-testid=shown]').textContent.startsWith('2 of 3'));
		assert.equal(await page.$eval('[data-filter=site]', (s) => s.value), 'S1');
		assert.deepEqual(page.errors, []);
		await ctx.close();
		await threeShots(browser, server, '#/sites', 'sites', (p) => p.waitForSelector('.site-marker[data-site=S2]'));
	});

	it('analytics shows the aggregated figures of known sessions', T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'operator');
		await page.goto('/#/analytics?period=custom&from=2026-03-02&to=2026-03-03');
		await page.waitForSelector('[data-figure=sessions]');
		assert.equal(await page.textContent('[data-figure=sessions]'), '4');
		assert.equal(await page.textContent('[data-figure=energy]'), '75.000 kWh');
		assert.equal(await page.textContent('[data-figure=mean-duration]'), '1 h 49 min'); // (120+45+30+240)/4
		const cells = await page.$$eval('.heatmap rect.cell:not(.zero)', (els) => els.map((e) => `${e.dataset.weekday}/${e.dataset.hour}:${e.dataset.sessions}`).sort());
		assert.deepEqual(cells, ['0/18:1', '0/8:2', '1/8:1']);
		assert.equal(await page.locator('.heatmap rect').count(), 168);
		assert.equal(await page.textContent('[data-testid=heat-max]'), '2');
		const util = await page.$$eval('[data-testid=util-chargers] .hbar', (els) => els.map((e) => [e.dataset.row, e.querySelector('.hbar-value').textContent]));
		assert.deepEqual(util, [
			['CH-B', '9.9 %'], // 4.75 h of 48
			['CH-A', '5.2 %'], // 2.5 h of 48
			['CH-C', '0.0 %'],
		]);
		const hist = await page.$$eval('[data-testid=hist-duration] .col', (els) => Object.fromEntries(els.filter((e) => e.dataset.count !== '0').map((e) => [e.dataset.from, Number(e.dataset.count)])));
		assert.deepEqual(hist, { 30: 2, 120: 1, 240: 1 });
		const peak = await page.$$eval('[data-testid=peak-power] .hbar', (els) => els.map((e) => [e.dataset.row, e.querySelector('.hbar-value').textContent]));
		assert.deepEqual(peak, [['S1', '18.0 kW / 50 kW']]);
		assert.equal(await page.textContent('[data-testid=top-busy] tbody tr td'), 'CH-B');
		await shot(page, 'analytics-light', { fullPage: true });

		// One site, then all history (from the earliest transaction: the live one counts too).
		await page.selectOption('[data-filter=site]', 'S2');
		await page.waitForFunction(() => document.querySelector('[data-figure=sessions]') && document.querySelector('[data-figure=sessions]').textContent === '0');
		assert.match(await page.textContent('[data-testid=heatmap]'), /No sessions in this period/);
		await page.selectOption('[data-filter=site]', '');
		await page.selectOption('[data-filter=period]', 'all');
		await page.waitForFunction(() => document.querySelector('[data-figure=sessions]') && document.querySelector('[data-figure=sessions]').textContent === '5');
		assert.match(page.url(), /#\/analytics\?period=all$/);
		assert.deepEqual(page.errors, []);
		await ctx.close();
		await threeShots(browser, server, '#/analytics?period=custom&from=2026-03-02&to=2026-03-03', 'analytics', (p) => p.waitForSelector('.heatmap'));
	});

	it('alerts and work orders read the diagnosis API: empty states on a quiet fleet', T, async () => {
		assert.equal((await server.request('GET', '/api/v1/alerts')).status, 200);
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'viewer');
		await page.click('.nav a[data-nav=alerts]');
		await page.waitForSelector('[data-testid=panel-alerts] [data-testid=panel-empty], [data-testid=panel-alerts] table');
		const alerts = (await server.request('GET', '/api/v1/alerts')).body;
		if (alerts.total === 0) assert.equal(await page.textContent('[data-testid=panel-empty]'), 'No alerts.');
		else assert.equal(await page.locator('[data-testid=panel-alerts] tbody tr').count(), Math.min(alerts.total, 200));
		assert.equal(await page.getAttribute('.nav a[data-nav=alerts]', 'aria-current'), 'page');
		await page.click('.nav a[data-nav=work-orders]');
		await page.waitForSelector('[data-testid=panel-work-orders] [data-testid=panel-empty], [data-testid=panel-work-orders] .wo-board');
		assert.deepEqual(page.errors, []);
		await ctx.close();
		await threeShots(browser, server, '#/alerts', 'alerts', (p) => p.waitForSelector('[data-testid=panel-alerts] [data-testid=panel-empty], [data-testid=panel-alerts] table'));
	});
});
