// Storage trouble: another process holds the SQLite write lock longer than the
// server's busy timeout. Heartbeat, StatusNotification and MeterValues must
// still be answered with a CALLRESULT (never a CALLERROR), and what was
// answered must not be lost.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, isoNow, sleep, withTimeout, BOOT } from './lib/harness.mjs';

let haveSqlite = true;
try {
	execFileSync('sqlite3', ['-version'], { stdio: 'ignore', timeout: 5000 });
} catch {
	haveSqlite = false;
}

/* Holds an exclusive write lock on db until release() is called. */
async function lockDatabase(db) {
	const p = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '';
	p.stdout.setEncoding('utf8');
	await withTimeout(
		new Promise((resolve, reject) => {
			p.stdout.on('data', (d) => {
				out += d;
				if (out.includes('locked')) resolve();
			});
			p.on('exit', (code) => reject(new Error(`sqlite3 exited ${code}`)));
			p.stdin.write("PRAGMA busy_timeout=5000;\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
		}),
		8000,
		'taking the database lock',
	);
	return {
		async release() {
			p.stdin.end('COMMIT;\n.quit\n');
			await withTimeout(new Promise((r) => (p.exitCode !== null ? r() : p.on('exit', r))), 5000, 'sqlite3 exit').catch(() => p.kill('SIGKILL'));
		},
		kill() {
			if (p.exitCode === null) p.kill('SIGKILL');
		},
	};
}

describe('storage errors', { skip: !haveSqlite && 'sqlite3 CLI not installed' }, () => {
	let srv;
	before(async () => {
		srv = await startServer();
	});
	after(async () => srv && srv.dispose());

	it('a locked database (past the busy timeout) never turns Heartbeat/StatusNotification/MeterValues into CALLERRORs nor loses them', { timeout: 45000 }, async () => {
		const { id, password } = await srv.registerCharger();
		const ws = await srv.raw(id, { password });
		await ws.call('BootNotification', BOOT);
		const lock = await lockDatabase(path.join(srv.dataDir, 'chargeops.db'));
		let answers;
		try {
			// MeterValues first: its rows are the first to wait for the lock.
			const pending = [
				ws.call('MeterValues', { connectorId: 1, meterValue: [{ timestamp: isoNow(), sampledValue: [{ value: '777', measurand: 'Energy.Active.Import.Register' }] }] }, 'st-mv', 30000),
				ws.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }, 'st-sn', 30000),
				ws.call('Heartbeat', {}, 'st-hb', 30000),
			];
			// Longer than two of the server's 5 s busy timeouts back to back: a transient
			// storage error, as a backup or a long-running admin query would cause.
			await sleep(11000);
			await lock.release();
			answers = await Promise.all(pending);
		} finally {
			lock.kill();
		}
		for (const a of answers) assert.equal(a[0], 3, `CALLRESULT, not CALLERROR: ${JSON.stringify(a)}`);
		assert.equal((await srv.get('/healthz', { token: null })).status, 200);
		// What was answered is stored.
		await sleep(500);
		const mv = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/meter-values`);
		assert.equal(mv.total, 1, 'the answered MeterValues is stored');
		const frames = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}/frames?direction=in`);
		const ids = frames.items.map((f) => f.unique_id);
		for (const u of ['st-mv', 'st-sn', 'st-hb']) assert.ok(ids.includes(u), `inbound frame ${u} is in the frame log: ${ids}`);
		const ch = await srv.getOk(`/api/v1/chargers/${encodeURIComponent(id)}`);
		assert.equal(ch.connectors.find((c) => c.connector_id === 1)?.status, 'Charging', 'the answered StatusNotification is stored');
		// And the server keeps working normally afterwards.
		const hb = await ws.call('Heartbeat', {});
		assert.equal(hb[0], 3);
		ws.close();
	});
});
