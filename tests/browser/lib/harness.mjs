// Shared helpers for the browser tests of the web console: start the real chargeops server
// on a free loopback port with a fresh data directory, make tokens with its CLI, register
// chargers through the REST API, connect them as OCPP 1.6J chargers (ocpp-rpc, strict mode),
// and drive Debian's Chromium with playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import ocppRpc from 'ocpp-rpc';
import { chromium } from 'playwright-core';
import { withTimeout, track, createToken } from '../../lib/common.mjs';

const { RPCClient } = ocppRpc;
const here = path.dirname(fileURLToPath(import.meta.url));
const testDir = path.resolve(here, '..');
export const BIN = path.resolve(testDir, process.env.CHARGEOPS_BIN || '../../build/chargeops');
export const WEB_DIR = path.resolve(testDir, '../../web');
export const OUTPUT = path.join(testDir, 'output');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export { sleep, withTimeout, waitFor, track } from '../../lib/common.mjs';

export const isoNow = () => new Date().toISOString();

export class Server {
	constructor({ args = [] } = {}) {
		this.args = args; /* extra `chargeops serve` flags */
		this.dataDir = mkdtempSync(path.join(tmpdir(), 'chargeops-browser-'));
		this.tokens = {};
		this.clients = new Set();
		this.stderr = '';
	}

	async start() {
		if (!existsSync(BIN)) throw new Error(`server binary ${BIN} not found (set CHARGEOPS_BIN)`);
		for (const role of ['admin', 'operator', 'viewer']) this.tokens[role] = createToken(BIN, this.dataDir, role, `browser-${role}`);
		const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', this.dataDir, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
		this.proc = proc;
		track(proc);
		this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
		proc.stderr.setEncoding('utf8');
		proc.stderr.on('data', (d) => {
			this.stderr = (this.stderr + d).slice(-200000);
			if (process.env.CHARGEOPS_LOG) process.stderr.write(d);
		});
		proc.stdout.setEncoding('utf8');
		let out = '';
		this.port = await withTimeout(
			new Promise((resolve, reject) => {
				proc.stdout.on('data', (d) => {
					out += d;
					const m = /listening on port (\d+)/.exec(out);
					if (m) resolve(Number(m[1]));
				});
				proc.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${this.stderr}`)));
			}),
			10000,
			'server start',
		);
		this.base = `http://127.0.0.1:${this.port}`;
		return this;
	}

	async request(method, urlPath, body, { token = 'admin' } = {}) {
		const headers = {};
		if (token) headers.authorization = `Bearer ${this.tokens[token] || token}`;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const res = await fetch(this.base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000) });
		const text = await res.text();
		let json;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { status: res.status, headers: res.headers, text, body: json };
	}

	async site(id, name, extra = {}) {
		const r = await this.request('POST', '/api/v1/sites', { id, name, ...extra });
		if (r.status !== 201) throw new Error(`site ${id}: ${r.status} ${r.text}`);
	}

	/* Registers a charger; returns {id, password}. */
	async register(id, extra = {}) {
		const password = `pw-${randomBytes(8).toString('hex')}`;
		const r = await this.request('POST', '/api/v1/chargers', { id, password, ...extra });
		if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${r.text}`);
		return { id, password };
	}

	/* Registers, connects and boots an ocpp-rpc charger; handlers answer server calls. */
	async charger(id, { site, vendor = 'BrowserTest', model = 'AC-2', handlers = {} } = {}) {
		const { password } = await this.register(id, site ? { site_id: site } : {});
		const client = new RPCClient({
			endpoint: `ws://127.0.0.1:${this.port}/ocpp`,
			identity: id,
			password,
			protocols: ['ocpp1.6'],
			strictMode: true,
			reconnect: false,
			callTimeoutMs: 8000,
		});
		client.received = [];
		for (const action of ['Reset', 'UnlockConnector', 'ChangeAvailability', 'TriggerMessage', 'GetConfiguration', 'ChangeConfiguration', 'RemoteStartTransaction', 'RemoteStopTransaction']) {
			client.handle(action, async ({ params }) => {
				client.received.push({ action, params });
				if (handlers[action]) return handlers[action](params);
				return action === 'GetConfiguration' ? { configurationKey: [], unknownKey: [] } : action === 'UnlockConnector' ? { status: 'Unlocked' } : { status: 'Accepted' };
			});
		}
		this.clients.add(client);
		await withTimeout(client.connect(), 5000, `connect ${id}`);
		const boot = await client.call('BootNotification', { chargePointVendor: vendor, chargePointModel: model, chargePointSerialNumber: `SN-${id}`, firmwareVersion: '1.2.3' });
		if (boot.status !== 'Accepted') throw new Error(`boot ${id}: ${JSON.stringify(boot)}`);
		client.id = id;
		client.status = (connectorId, status, errorCode = 'NoError') => client.call('StatusNotification', { connectorId, status, errorCode, timestamp: isoNow() });
		return client;
	}

	async dispose() {
		for (const c of this.clients) await withTimeout(c.close({ force: true, awaitPending: false }), 2000, 'client close').catch(() => {});
		if (this.proc && this.proc.exitCode === null) {
			this.proc.kill('SIGTERM');
			await withTimeout(this.exited, 8000, 'server stop').catch(() => this.proc.kill('SIGKILL'));
		}
		if (!process.env.CHARGEOPS_KEEP) rmSync(this.dataDir, { recursive: true, force: true });
	}

	/* Does this server serve the console itself (GET / -> web/index.html)? */
	async servesConsole() {
		const r = await fetch(`${this.base}/`).catch(() => null);
		return !!r && r.status === 200 && /text\/html/.test(r.headers.get('content-type') || '');
	}

	/* Is the live channel there (anything but 404 for /api/v1/live)? */
	async hasLive() {
		const ctl = new AbortController();
		const r = await fetch(`${this.base}/api/v1/live?access_token=${this.tokens.viewer}`, { signal: ctl.signal }).catch(() => null);
		const ok = !!r && r.status === 200 && /text\/event-stream/.test(r.headers.get('content-type') || '');
		ctl.abort();
		return ok;
	}
}

const CONTENT_TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.woff2': 'font/woff2' };

/* Launches Debian's Chromium headless. */
export async function launchBrowser() {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/* A browser context on the server. When the server does not serve web/ itself yet (and
 * CHARGEOPS_REQUIRE_STATIC is not set) the context serves those files from the work tree
 * for every path outside /api/, /ocpp/, /healthz and /metrics, as the server will. */
export async function newContext(browser, server, opts = {}) {
	const ctx = await browser.newContext({ baseURL: server.base, ...opts });
	if (!(await server.servesConsole())) {
		if (process.env.CHARGEOPS_REQUIRE_STATIC) throw new Error('the server does not serve web/ (GET / is not text/html)');
		if (!newContext.warned) {
			newContext.warned = true;
			process.stderr.write('# note: this server does not serve web/ yet; the test serves it from the work tree\n');
		}
		await ctx.route(
			(url) => url.origin === server.base && !/^\/(api|ocpp)\/|^\/(healthz|metrics)$/.test(url.pathname),
			(route) => {
				const u = new URL(route.request().url());
				const rel = u.pathname === '/' ? 'index.html' : decodeURIComponent(u.pathname.slice(1));
				const file = path.resolve(WEB_DIR, rel);
				if (!file.startsWith(WEB_DIR + path.sep) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
				return route.fulfill({ status: 200, contentType: CONTENT_TYPES[path.extname(file)] || 'application/octet-stream', body: readFileSync(file) });
			},
		);
	}
	return ctx;
}

/* A page signed in with the token of `role`, on the fleet overview. Collects page errors. */
export async function signedInPage(ctx, server, role) {
	const page = await ctx.newPage();
	// Uncaught exceptions fail a test; console errors (a refused EventSource, say) are kept
	// for the message.
	page.errors = [];
	page.consoleErrors = [];
	page.on('pageerror', (e) => page.errors.push(e));
	page.on('console', (m) => {
		if (m.type() === 'error') page.consoleErrors.push(m.text());
	});
	await page.goto('/');
	await page.fill('#token', server.tokens[role]);
	await page.click('button[type=submit]');
	await page.waitForSelector('[data-count=total]');
	return page;
}

/* Saves a screenshot under output/ and returns its path. */
export async function shot(page, name, { fullPage = false } = {}) {
	mkdirSync(OUTPUT, { recursive: true });
	const file = path.join(OUTPUT, `${name}.png`);
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.screenshot({ path: file, fullPage });
	return file;
}
