// The console's Ledger panel and a transaction's receipt card in a real browser against a
// real server: the public key and the latest signed checkpoint as the API gives them, the
// newest entries (a finished transaction and the security events around it), and the
// receipt card of the transaction. Screenshots go to output/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, newContext, signedInPage, shot, isoNow, waitFor } from './lib/harness.mjs';

const T = { timeout: 60000 };
const DESK = { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' };

describe('console: ledger', () => {
	let server;
	let browser;
	let txId;
	before(async () => {
		server = await new Server().start();
		const r = await server.request('POST', '/api/v1/id-tags', { id_tag: 'TAG-B', status: 'Accepted' });
		assert.equal(r.status, 201);
		const cp = await server.charger('L-1');
		const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-B', meterStart: 100, timestamp: isoNow() });
		txId = start.transactionId;
		await cp.call('StopTransaction', { transactionId: txId, meterStop: 2600, timestamp: isoNow(), reason: 'Local' });
		await server.request('POST', '/api/v1/chargers/L-1/commands/Reset', { type: 'Soft' });
		await waitFor(async () => (await server.request('GET', `/api/v1/transactions/${txId}/receipt`)).status === 200, { timeout: 15000, what: 'receipt' });
		browser = await launchBrowser();
	});
	after(async () => {
		if (browser) await browser.close();
		if (server) await server.dispose();
	});

	it('the Ledger panel shows the key, the signed checkpoint and the newest entries', T, async () => {
		const api = (await server.request('GET', '/api/v1/ledger/checkpoint')).body;
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'viewer');
		await page.goto('/#/ledger');
		await page.waitForSelector('[data-testid=ledger-entries]');
		assert.equal(await page.textContent('[data-testid=ledger-vkey]'), api.key);
		const cpText = await page.textContent('[data-testid=ledger-checkpoint]');
		assert.ok(Number((await page.textContent('[data-testid=ledger-checkpoint-kv] dd')).trim()) >= api.tree_size, cpText);
		assert.match(cpText, /chargeops\/ledger\n\d+\n/);
		const entries = await page.textContent('[data-testid=ledger-entries]');
		assert.match(entries, new RegExp(`transaction ${txId} on L-1 #1: 2500 Wh, signed meter values unsigned`));
		assert.match(entries, /remote_command: L-1 by api:admin/);
		assert.equal(await page.getAttribute('.nav a[data-nav=ledger]', 'aria-current'), 'page');
		await shot(page, 'ledger-light', { fullPage: true });
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});

	it("a transaction's page shows its receipt", T, async () => {
		const ctx = await newContext(browser, server, DESK);
		const page = await signedInPage(ctx, server, 'viewer');
		await page.goto(`/#/transactions/${txId}`);
		await page.waitForSelector('[data-testid=tx-receipt]');
		const text = await page.textContent('[data-testid=tx-receipt]');
		assert.match(text, /Ledger entry\d+ of \d+/);
		assert.match(text, /Signed meter valuesunsigned/);
		assert.equal(await page.getAttribute('[data-testid=tx-receipt] a[download]', 'download'), `receipt-${txId}.json`);
		await shot(page, 'ledger-receipt', { fullPage: true });
		assert.deepEqual(page.errors, []);
		await ctx.close();
	});
});
