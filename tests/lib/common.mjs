// Helpers the integration and browser test harnesses share. Node built-ins only, so
// either suite can import it without the other's npm packages installed.
import { execFileSync } from 'node:child_process';

/* Every child process a harness starts, killed if the test process dies. */
const procs = new Set();
function killAll() {
	for (const p of procs) {
		try {
			p.kill('SIGKILL');
		} catch {
			/* already gone */
		}
	}
}
process.on('exit', killAll);
// The test runner stops a file that overruns with a signal: take the children along.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.once(sig, () => {
		killAll();
		process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
	});
}

/* Puts a child process on that list until it exits; returns it. */
export function track(proc) {
	procs.add(proc);
	proc.on('exit', () => procs.delete(proc));
	return proc;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Rejects after ms with a message naming what timed out. */
export function withTimeout(promise, ms, what = 'operation') {
	let timer;
	return Promise.race([
		promise,
		new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

/* Polls fn (sync or async) until it returns a truthy value; returns that value. */
export async function waitFor(fn, { timeout = 5000, interval = 50, what = 'condition' } = {}) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`waitFor(${what}) timed out after ${timeout} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
		await sleep(interval);
	}
}

/* Creates an API token with `BIN token create` in dataDir; returns it. */
export function createToken(bin, dataDir, role, name = role) {
	const out = execFileSync(bin, ['token', 'create', '--data', dataDir, '--role', role, '--name', name], {
		encoding: 'utf8',
		timeout: 10000,
	});
	const token = out.trim().split(/\s+/).pop();
	if (!/^[0-9a-f]{16,}$/i.test(token)) throw new Error(`token create printed ${JSON.stringify(out)}`);
	return token;
}
