// Shared helpers for the ChargeOps integration tests: start the real server
// binary on a free loopback port with a fresh data directory, talk REST to it,
// and connect chargers (ocpp-rpc in strict mode, or raw `ws` for frames that a
// well-behaved client library would never send).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sleep, withTimeout, track, createToken as sharedCreateToken } from '../../lib/common.mjs';
import https from 'node:https';
import WebSocket from 'ws';
import ocppRpc from 'ocpp-rpc';

const { RPCClient } = ocppRpc;
export const { createRPCError } = ocppRpc;

const here = path.dirname(fileURLToPath(import.meta.url));
const testDir = path.resolve(here, '..');
export const BIN = path.resolve(testDir, process.env.CHARGEOPS_BIN || '../../build/chargeops');

export { sleep, withTimeout, waitFor, track } from '../../lib/common.mjs';

let counter = 0;
/* A charger id unique within the run. */
export function uid(prefix = 'CP') {
	counter += 1;
	return `${prefix}-${process.pid}-${counter}-${randomBytes(2).toString('hex')}`;
}

export const isoNow = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

export function createToken(dataDir, role, name = role) {
	return sharedCreateToken(BIN, dataDir, role, name);
}

export class Server {
	constructor({ args = [], dataDir, ca } = {}) {
		this.args = args;
		// With --tls-cert the server speaks https/wss; ca is the PEM to trust.
		this.tls = args.includes('--tls-cert');
		this.ca = ca;
		this.ownsDir = !dataDir;
		this.dataDir = dataDir || mkdtempSync(path.join(tmpdir(), 'chargeops-it-'));
		this.proc = null;
		this.port = 0;
		this.stderr = '';
		this.clients = new Set();
		this.sockets = new Set();
		this.tokens = {};
	}

	/* Creates the three tokens (first start only) and starts the server. */
	async start() {
		if (!existsSync(BIN)) throw new Error(`server binary ${BIN} not found (set CHARGEOPS_BIN)`);
		if (!this.tokens.admin) {
			for (const role of ['admin', 'operator', 'viewer']) this.tokens[role] = createToken(this.dataDir, role);
		}
		const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', this.dataDir, ...this.args], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.proc = track(proc);
		this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
		proc.stderr.setEncoding('utf8');
		proc.stderr.on('data', (d) => {
			this.stderr += d;
			if (this.stderr.length > 2_000_000) this.stderr = this.stderr.slice(-1_000_000);
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
				proc.on('exit', (code, signal) =>
					reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${this.stderr}`)),
				);
				proc.on('error', reject);
			}),
			10000,
			'server start',
		).catch((e) => {
			try {
				proc.kill('SIGKILL');
			} catch {
				/* gone */
			}
			throw e;
		});
		this.base = `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
		return this;
	}

	get running() {
		return this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
	}

	/* Closes the clients, then stops the server with signal; resolves to {code, signal}. */
	async stop(signal = 'SIGTERM', { closeClients = true } = {}) {
		if (closeClients) await this.closeClients();
		if (!this.proc) return null;
		const proc = this.proc;
		if (this.running) proc.kill(signal);
		let res;
		try {
			res = await withTimeout(this.exited, 8000, 'server stop');
		} catch {
			proc.kill('SIGKILL');
			res = await withTimeout(this.exited, 3000, 'server kill');
		}
		this.proc = null;
		return res;
	}

	async closeClients() {
		const tasks = [];
		for (const c of this.clients) tasks.push(withTimeout(c.close({ force: true, awaitPending: false }), 2000, 'client close').catch(() => {}));
		for (const ws of this.sockets) {
			try {
				ws.terminate();
			} catch {
				/* gone */
			}
		}
		await Promise.all(tasks);
		this.clients.clear();
		this.sockets.clear();
	}

	async restart(signal = 'SIGTERM') {
		await this.stop(signal);
		return this.start();
	}

	/* Stops the server (SIGKILL if it will not stop) and removes its data directory. */
	async dispose() {
		await this.stop('SIGTERM').catch(() => {});
		if (this.proc) this.proc.kill('SIGKILL');
		if (this.ownsDir && !process.env.CHARGEOPS_KEEP) rmSync(this.dataDir, { recursive: true, force: true });
		// Under `make SANITIZE=1` a sanitizer report fails the suite that started the server.
		const report = this.sanitizerReport();
		if (report) throw new Error(`sanitizer report from the server:\n${report}`);
	}

	/* The first ASan/UBSan/LSan report in the server's stderr, or null. */
	sanitizerReport() {
		const m = /(==\d+==ERROR: \w+Sanitizer|runtime error:|WARNING: ThreadSanitizer)/.exec(this.stderr);
		if (!m) return null;
		const start = Math.max(0, this.stderr.lastIndexOf('\n', m.index));
		return this.stderr.slice(start, start + 4000);
	}

	/* One HTTP request. body: object (sent as JSON) or string (sent as is).
	 * token: a role name, a literal token, or null for none. */
	async request(method, urlPath, body, { token = 'admin', headers = {}, timeout = 10000 } = {}) {
		const h = { ...headers };
		if (token) h.authorization = `Bearer ${this.tokens[token] || token}`;
		let payload;
		if (body !== undefined) {
			payload = typeof body === 'string' ? body : JSON.stringify(body);
			h['content-type'] = 'application/json';
		}
		if (this.tls) return this.#httpsRequest(method, urlPath, h, payload, timeout);
		const res = await fetch(this.base + urlPath, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeout) });
		const text = await res.text();
		let json;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { status: res.status, headers: res.headers, text, body: json };
	}

	/* fetch cannot be given a CA per request: plain node:https for TLS servers. */
	#httpsRequest(method, urlPath, headers, payload, timeout) {
		return withTimeout(
			new Promise((resolve, reject) => {
				const req = https.request(this.base + urlPath, { method, headers, ca: this.ca }, (res) => {
					let text = '';
					res.setEncoding('utf8');
					res.on('data', (d) => (text += d));
					res.on('end', () => {
						let json;
						try {
							json = text ? JSON.parse(text) : undefined;
						} catch {
							json = undefined;
						}
						resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text, body: json });
					});
				});
				req.on('error', reject);
				req.end(payload);
			}),
			timeout,
			`${method} ${urlPath}`,
		);
	}

	get(p, opts) {
		return this.request('GET', p, undefined, opts);
	}
	post(p, body, opts) {
		return this.request('POST', p, body === undefined ? {} : body, opts);
	}
	patch(p, body, opts) {
		return this.request('PATCH', p, body, opts);
	}
	del(p, opts) {
		return this.request('DELETE', p, undefined, opts);
	}

	/* GET that must answer 200; returns the body. */
	async getOk(p, opts) {
		const r = await this.get(p, opts);
		if (r.status !== 200) throw new Error(`GET ${p} -> ${r.status} ${r.text}`);
		return r.body;
	}

	/* Registers a charger (201) and returns {id, password}. */
	async registerCharger(id = uid(), password = `pw-${randomBytes(8).toString('hex')}`, extra = {}) {
		const r = await this.post('/api/v1/chargers', { id, password, ...extra });
		if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${r.text}`);
		return { id, password };
	}

	wsUrl(id = '') {
		return `${this.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}/ocpp/${id ? encodeURIComponent(id) : ''}`;
	}

	/* An ocpp-rpc charger, not yet connected. */
	rpcClient(id, password, opts = {}) {
		const client = new RPCClient({
			endpoint: `${this.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}/ocpp`,
			wsOpts: this.ca ? { ca: this.ca } : {},
			identity: id,
			password,
			protocols: ['ocpp1.6'],
			strictMode: true,
			reconnect: false,
			callTimeoutMs: 8000,
			pingIntervalMs: 60000,
			...opts,
		});
		// Strict mode drops what does not validate; make that visible to tests.
		client.strictFailures = [];
		client.on('strictValidationFailure', (e) => client.strictFailures.push(e));
		// Raw frames in both directions, in order.
		client.frames = [];
		client.on('message', ({ message, outbound }) => client.frames.push({ outbound, text: message.toString() }));
		this.clients.add(client);
		return client;
	}

	/* An ocpp-rpc charger connected (and booted unless boot === false). */
	async charger(id, password, { boot = true, handlers, ...opts } = {}) {
		const client = this.rpcClient(id, password, opts);
		if (handlers) for (const [action, fn] of Object.entries(handlers)) client.handle(action, fn);
		await withTimeout(client.connect(), 5000, `connect ${id}`);
		if (boot) {
			const res = await client.call('BootNotification', { chargePointVendor: 'ITest', chargePointModel: 'Model-1' });
			if (res.status !== 'Accepted') throw new Error(`boot ${id}: ${JSON.stringify(res)}`);
		}
		return client;
	}

	/* Registers a new charger and connects it; returns the client (with .id, .password). */
	async newCharger(opts = {}) {
		const { id, password } = await this.registerCharger(opts.id);
		const client = await this.charger(id, password, opts);
		client.id = id;
		client.password = password;
		return client;
	}

	/* A raw WebSocket (npm ws). Resolves to a RawSocket once open, or rejects with
	 * an Error carrying .status when the upgrade is refused. */
	async raw(id, { password, protocols = ['ocpp1.6'], auth = true, headers = {}, wsOpts = {} } = {}) {
		const h = { ...headers };
		if (auth && password !== undefined) h.authorization = 'Basic ' + Buffer.from(`${id}:${password}`).toString('base64');
		const ws = new WebSocket(this.wsUrl(id), protocols, { headers: h, handshakeTimeout: 5000, ...(this.ca ? { ca: this.ca } : {}), ...wsOpts });
		this.sockets.add(ws);
		const sock = new RawSocket(ws);
		await withTimeout(
			new Promise((resolve, reject) => {
				ws.once('open', resolve);
				ws.once('unexpected-response', (req, res) => {
					const err = new Error(`upgrade refused: HTTP ${res.statusCode}`);
					err.status = res.statusCode;
					let b = '';
					res.setEncoding('utf8');
					res.on('data', (d) => (b += d));
					res.on('end', () => {
						err.body = b;
						reject(err);
					});
					res.on('error', () => reject(err));
					setTimeout(() => reject(err), 1000);
				});
				ws.once('error', reject);
			}),
			6000,
			`raw connect ${id}`,
		);
		return sock;
	}

	/* Parses /metrics into lines. */
	async metrics() {
		const r = await this.request('GET', '/metrics', undefined, { token: null });
		if (r.status !== 200) throw new Error(`/metrics -> ${r.status}`);
		return r.text;
	}
}

/* A raw WebSocket with an inbox of parsed frames and a close promise. */
export class RawSocket {
	constructor(ws) {
		this.ws = ws;
		this.inbox = [];
		this.waiters = [];
		this.closeInfo = null;
		this.closed = new Promise((resolve) => {
			ws.on('close', (code, reason) => {
				this.closeInfo = { code, reason: reason.toString() };
				resolve(this.closeInfo);
			});
		});
		ws.on('error', () => {});
		ws.on('message', (data, isBinary) => {
			const text = data.toString();
			let json;
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}
			this.inbox.push({ text, json, isBinary });
			this.#wake();
		});
	}

	#wake() {
		for (const w of [...this.waiters]) {
			const i = this.inbox.findIndex(w.pred);
			if (i >= 0) {
				this.waiters.splice(this.waiters.indexOf(w), 1);
				const [m] = this.inbox.splice(i, 1);
				w.resolve(m);
			}
		}
	}

	send(data, opts) {
		this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data), opts);
	}

	/* Next inbound message matching pred (removed from the inbox). */
	next(pred = () => true, timeout = 5000) {
		const i = this.inbox.findIndex(pred);
		if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
		return withTimeout(
			new Promise((resolve) => this.waiters.push({ pred, resolve })),
			timeout,
			'raw message',
		);
	}

	/* Sends a CALL and returns the parsed answer frame (CALLRESULT or CALLERROR with that id). */
	async call(action, payload, id = randomBytes(6).toString('hex'), timeout = 5000) {
		this.send([2, id, action, payload]);
		const m = await this.next((x) => Array.isArray(x.json) && x.json[1] === id && x.json[0] !== 2, timeout);
		return m.json;
	}

	/* Next CALL from the server. */
	async nextCall(timeout = 5000) {
		return (await this.next((x) => Array.isArray(x.json) && x.json[0] === 2, timeout)).json;
	}

	close() {
		try {
			this.ws.close();
		} catch {
			/* gone */
		}
	}

	terminate() {
		try {
			this.ws.terminate();
		} catch {
			/* gone */
		}
	}
}

/* Starts a server; returns it (the test must call dispose()). */
export async function startServer(opts = {}) {
	const s = new Server(opts);
	await s.start();
	return s;
}

export const BOOT = { chargePointVendor: 'ITest', chargePointModel: 'Model-1' };
