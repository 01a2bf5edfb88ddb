// The tamper-evident ledger in the console: a panel (#/ledger) with the ledger's public key,
// the latest signed checkpoint and the newest entries, and a receipt card on each
// transaction's page (its signed meter value verdict and the receipt to download and check
// with `chargeops ledger verify`). Everything is read from /api/v1/ledger and the receipt
// route; nothing here is trusted for verification, which is the offline tool's job.

import { get, raw, ApiError } from './api.js';
import { h, clear, fmtTime } from './dom.js';

const ENTRIES_SHOWN = 20;

function kv(rows, testid) {
	return h(
		'dl',
		{ class: 'kv', dataset: { testid } },
		rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : v instanceof Node ? v : String(v))]),
	);
}

/* A one-line description of an entry's record. */
function describe(rec) {
	if (!rec) return '';
	if (rec.type === 'transaction')
		return `transaction ${rec.id} on ${rec.charger} #${rec.connector}: ${rec.energy_wh} Wh, signed meter values ${rec.signed_meter?.status ?? '—'}`;
	return `${rec.event}: ${rec.subject ?? ''} by ${rec.actor ?? '?'}${rec.detail ? ` (${rec.detail})` : ''}`;
}

export function renderLedger(root) {
	let closed = false;
	const head = h('div', { class: 'detail-head' }, h('h1', null, 'Ledger'));
	const keyEl = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
	const cpEl = h('div');
	const entriesEl = h('div');
	clear(root).appendChild(
		h(
			'div',
			{ class: 'detail' },
			head,
			h('p', { class: 'muted' }, 'Every finished transaction and every security event, in an append-only Merkle log with signed checkpoints. Receipts verify offline with chargeops ledger verify RECEIPT --key KEY.'),
			h('section', { class: 'card', dataset: { testid: 'ledger-key' } }, h('h2', null, 'Public key'), keyEl),
			h('section', { class: 'card', dataset: { testid: 'ledger-checkpoint' } }, h('h2', null, 'Latest checkpoint'), cpEl),
			h('section', { class: 'card' }, h('h2', null, 'Newest entries'), entriesEl),
		),
	);

	async function load() {
		let c;
		try {
			c = await get('/ledger/checkpoint');
		} catch (e) {
			if (!closed) clear(keyEl).appendChild(h('p', { class: 'error' }, e instanceof ApiError && e.status === 404 ? 'The ledger is off (setting ledger).' : e.message));
			return;
		}
		if (closed) return;
		clear(keyEl).appendChild(kv([['Verifier key', h('code', { dataset: { testid: 'ledger-vkey' } }, c.key)], ['Origin', c.origin]], 'ledger-key-kv'));
		keyEl.appendChild(h('pre', { class: 'answer' }, c.public_key_pem));
		clear(cpEl).appendChild(
			kv(
				[
					['Entries', c.tree_size],
					['Root hash', h('code', null, c.root_hash)],
					['Published', fmtTime(c.published_at)],
					['Waiting to be logged', c.queued],
				],
				'ledger-checkpoint-kv',
			),
		);
		cpEl.appendChild(h('pre', { class: 'answer' }, c.checkpoint));
		const rows = [];
		for (let i = c.tree_size - 1; i >= 0 && rows.length < ENTRIES_SHOWN; i--) {
			const e = await get(`/ledger/entries/${i}`).catch(() => null);
			if (!e) continue;
			rows.push(h('tr', null, h('td', null, String(e.index)), h('td', null, fmtTime(e.time)), h('td', null, e.kind), h('td', null, describe(e.record))));
		}
		if (closed) return;
		clear(entriesEl).appendChild(
			rows.length
				? h('table', { class: 'table compact', dataset: { testid: 'ledger-entries' } }, h('thead', null, h('tr', null, ['#', 'Logged', 'Kind', 'What'].map((x) => h('th', null, x)))), h('tbody', null, rows))
				: h('p', { class: 'empty' }, 'The ledger has no entries yet.'),
		);
	}
	load();
	return () => {
		closed = true;
	};
}

/* The receipt card of a transaction's page: fills el. */
export async function renderReceipt(el, txId) {
	const r = await raw('GET', `/transactions/${encodeURIComponent(txId)}/receipt`);
	clear(el);
	if (r.status === 409) {
		el.appendChild(h('p', { class: 'empty' }, 'Not in the ledger yet: it is logged when the transaction ends.'));
		return;
	}
	if (r.status !== 200) {
		el.appendChild(h('p', { class: 'empty' }, r.status === 404 ? 'The ledger is off.' : `The receipt could not be read (${r.status}).`));
		return;
	}
	const rc = r.body;
	const sm = rc.record?.signed_meter || {};
	const blob = new Blob([JSON.stringify(rc, null, 2)], { type: 'application/json' });
	el.appendChild(
		kv(
			[
				['Ledger entry', `${rc.index} of ${rc.tree_size}`],
				['Signed meter values', sm.detail ? `${sm.status} (${sm.detail})` : sm.status],
				['Leaf hash', h('code', null, rc.leaf_hash)],
				['Receipt', h('a', { href: URL.createObjectURL(blob), download: `receipt-${txId}.json` }, 'Download receipt')],
			],
			'tx-receipt',
		),
	);
}
