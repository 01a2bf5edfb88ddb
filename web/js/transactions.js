// Transactions (#/transactions): the list, newest first, searchable by charger, id tag,
// state (active or completed) and start date, 50 to a page; and one transaction
// (#/transactions/ID) with its power and delivered-energy curves drawn from its own meter
// values and the values themselves in a table. An active transaction follows its charger's
// live meter events. Filters live in the hash (#/transactions?charger=CP-1), so a link
// from a charger page opens the list already filtered.

import { get, ApiError } from './api.js';
import { h, clear, fmtTime, fmtEnergy, fmtMinutes, hashParams } from './dom.js';
import { renderReceipt } from './ledger.js';
import { subscribe } from './live.js';
import { loadUplot, timeChart, NO_LIBRARY } from './chart.js';

const PAGE = 50;
const TABLE_ROWS = 500;

/* "2026-03-02" (a date input, local time) -> RFC 3339; endOfDay moves to the next midnight. */
function dayToIso(day, endOfDay) {
	if (!day) return undefined;
	const d = new Date(`${day}T00:00:00`);
	if (Number.isNaN(d.getTime())) return undefined;
	if (endOfDay) d.setDate(d.getDate() + 1);
	return d.toISOString();
}

function duration(t) {
	if (!t.start_time) return '—';
	const end = t.stop_time ? new Date(t.stop_time).getTime() : Date.now();
	return fmtMinutes((end - new Date(t.start_time).getTime()) / 60000) + (t.stop_time ? '' : ' so far');
}

const flagText = (t) => (t.flags && t.flags.length ? ` ⚑ ${t.flags.join(', ')}` : '');

/* The columns a transaction table can show: header, cell content, cell attributes. */
const TX_COLUMNS = {
	id: ['Id', (t) => h('a', { href: `#/transactions/${t.id}` }, String(t.id))],
	charger: ['Charger', (t) => h('a', { href: `#/chargers/${encodeURIComponent(t.charger_id)}` }, t.charger_id)],
	connector: ['Conn.', (t) => String(t.connector_id)],
	idTag: ['Id tag', (t) => t.id_tag || ''],
	start: ['Start', (t) => fmtTime(t.start_time)],
	stop: ['Stop', (t) => fmtTime(t.stop_time)],
	duration: ['Duration', (t) => duration(t)],
	energy: ['Energy', (t) => fmtEnergy(t.energy_wh), { class: 'num' }],
	status: ['Status', (t) => t.status + (t.stop_reason ? ` (${t.stop_reason})` : '') + flagText(t)],
	state: ['State', (t) => [h('span', { class: `tx-state tx-${t.status}` }, t.status), flagText(t)]],
};

/* A table of transactions with the named columns (keys of TX_COLUMNS); attrs go on the table. */
export function txTable(items, columns, attrs = {}) {
	const cols = columns.map((c) => TX_COLUMNS[c]);
	return h(
		'table',
		{ class: 'table', ...attrs },
		h('thead', null, h('tr', null, cols.map(([title]) => h('th', null, title)))),
		h(
			'tbody',
			null,
			items.map((t) => h('tr', { dataset: { transaction: t.id } }, cols.map(([, cell, cattrs]) => h('td', cattrs || null, cell(t))))),
		),
	);
}

export function renderTransactions(root) {
	const p = hashParams();
	const f = { charger: p.get('charger') || '', id_tag: p.get('id_tag') || '', status: p.get('status') || '', from: p.get('from') || '', to: p.get('to') || '' };
	let offset = 0;
	let gen = 0;

	const input = (key, attrs) => {
		const el = h('input', { ...attrs, value: f[key], dataset: { filter: key } });
		el.addEventListener(attrs.type === 'date' ? 'change' : 'input', () => {
			f[key] = el.value.trim();
			offset = 0;
			schedule();
		});
		return el;
	};
	const status = h('select', { 'aria-label': 'State', dataset: { filter: 'status' } }, h('option', { value: '' }, 'Active and completed'), h('option', { value: 'true' }, 'Active'), h('option', { value: 'false' }, 'Completed'));
	status.value = f.status;
	status.addEventListener('change', () => {
		f.status = status.value;
		offset = 0;
		load();
	});
	const info = h('span', { class: 'muted', dataset: { testid: 'tx-shown' } });
	const prev = h('button', { type: 'button' }, '← Newer');
	const next = h('button', { type: 'button' }, 'Older →');
	prev.addEventListener('click', () => {
		offset = Math.max(0, offset - PAGE);
		load();
	});
	next.addEventListener('click', () => {
		offset += PAGE;
		load();
	});
	const box = h('div', { class: 'card' });

	clear(root).appendChild(
		h(
			'section',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('h1', null, 'Transactions')),
			h(
				'div',
				{ class: 'filters' },
				input('charger', { type: 'search', placeholder: 'Charger id (exact)', 'aria-label': 'Charger id' }),
				input('id_tag', { type: 'search', placeholder: 'Id tag (exact)', 'aria-label': 'Id tag' }),
				status,
				h('label', { class: 'field' }, 'From ', input('from', { type: 'date', 'aria-label': 'Started on or after' })),
				h('label', { class: 'field' }, 'To ', input('to', { type: 'date', 'aria-label': 'Started on or before' })),
				info,
			),
			box,
			h('div', { class: 'pager' }, prev, next),
		),
	);

	let timer = 0;
	function schedule() {
		clearTimeout(timer);
		timer = setTimeout(load, 250);
	}

	async function load() {
		const g = ++gen;
		const params = { charger: f.charger, id_tag: f.id_tag, active: f.status, from: dayToIso(f.from, false), to: dayToIso(f.to, true), limit: PAGE, offset };
		let r;
		try {
			r = await get('/transactions', params);
		} catch (e) {
			if (g === gen) clear(box).appendChild(h('p', { class: 'error' }, e.message));
			return;
		}
		if (g !== gen) return;
		info.textContent = r.total ? `${offset + 1}–${offset + r.items.length} of ${r.total}` : '';
		prev.disabled = offset === 0;
		next.disabled = offset + r.items.length >= r.total;
		clear(box).appendChild(
			r.items.length
				? txTable(r.items, ['id', 'charger', 'connector', 'idTag', 'start', 'duration', 'energy', 'state'], { dataset: { testid: 'tx-list' } })
				: h('p', { class: 'empty' }, Object.values(f).some(Boolean) ? 'No transaction matches these filters.' : 'No transactions yet.'),
		);
	}

	load();
	return () => {
		gen++;
		clearTimeout(timer);
	};
}

/* Power (kW, the phase-less total, else the sum of the phases) and delivered energy (kWh,
 * register minus meter start) per sample time, from a transaction's meter values. */
export function curves(t) {
	const power = new Map();
	const phases = new Map();
	const energy = new Map();
	for (const m of t.meter_values || []) {
		const v = Number(m.value);
		if (!Number.isFinite(v)) continue;
		const time = new Date(m.time).getTime();
		const measurand = m.measurand || 'Energy.Active.Import.Register';
		if (measurand === 'Power.Active.Import') {
			const kw = m.unit === 'kW' ? v : v / 1000;
			if (!m.phase) power.set(time, kw);
			else if (m.phase !== 'N') phases.set(time, (phases.get(time) || 0) + kw);
		} else if (measurand === 'Energy.Active.Import.Register' && !m.phase) {
			const wh = m.unit === 'kWh' ? v * 1000 : v;
			energy.set(time, (wh - (t.meter_start || 0)) / 1000);
		}
	}
	for (const [time, kw] of phases) if (!power.has(time)) power.set(time, kw);
	const sorted = (m) => [...m.entries()].sort((a, b) => a[0] - b[0]);
	return { power: sorted(power), energy: sorted(energy) };
}

export function renderTransaction(root, id) {
	let closed = false;
	let t = null;
	let charts = [];
	let sub = null;
	const head = h('div', { class: 'detail-head' }, h('a', { href: '#/transactions', class: 'back' }, '← Transactions'), h('h1', null, `Transaction ${id}`));
	const summary = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
	const powerEl = h('div', { class: 'chart', dataset: { chart: 'tx-power' } });
	const energyEl = h('div', { class: 'chart', dataset: { chart: 'tx-energy' } });
	const chartNote = h('p', { class: 'empty', hidden: true });
	const table = h('div', { class: 'values' });
	const receiptEl = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
	clear(root).appendChild(
		h(
			'div',
			{ class: 'detail' },
			head,
			h('section', { class: 'card' }, h('h2', null, 'Summary'), summary),
			h('section', { class: 'card' }, h('h2', null, 'Power and energy'), chartNote, h('div', { class: 'chart-grid' }, h('div', { class: 'chart-card' }, h('h3', null, 'Active power (kW)'), powerEl), h('div', { class: 'chart-card' }, h('h3', null, 'Energy delivered (kWh)'), energyEl))),
			h('section', { class: 'card' }, h('h2', null, 'Meter values'), table),
			h('section', { class: 'card' }, h('h2', null, 'Ledger receipt'), receiptEl),
		),
	);

	function renderSummary() {
		const rows = [
			['Charger', h('a', { href: `#/chargers/${encodeURIComponent(t.charger_id)}` }, t.charger_id)],
			['Connector', t.connector_id],
			['Id tag', t.id_tag],
			['State', t.status + (t.closed_by === 'operator' ? ' (closed by an operator)' : '')],
			['Start', fmtTime(t.start_time)],
			['Stop', fmtTime(t.stop_time)],
			['Duration', duration(t)],
			['Meter start', t.meter_start === null ? null : `${t.meter_start} Wh`],
			['Meter stop', t.meter_stop === null || t.meter_stop === undefined ? null : `${t.meter_stop} Wh`],
			['Energy', fmtEnergy(t.energy_wh)],
			['Energy from register samples', t.register_energy_wh === null || t.register_energy_wh === undefined ? null : fmtEnergy(t.register_energy_wh)],
			['Stop reason', t.stop_reason],
			['Flags', (t.flags || []).join(', ')],
		];
		clear(summary).appendChild(
			h(
				'dl',
				{ class: 'kv', dataset: { testid: 'tx-summary' } },
				rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : v instanceof Node ? v : String(v))]),
			),
		);
	}

	function renderTable() {
		const mv = t.meter_values || [];
		clear(table);
		if (!mv.length) {
			table.appendChild(h('p', { class: 'empty' }, 'This transaction has no meter values.'));
			return;
		}
		const shown = mv.slice(0, TABLE_ROWS);
		table.appendChild(
			h(
				'table',
				{ class: 'table compact', dataset: { testid: 'tx-values' } },
				h('thead', null, h('tr', null, ['Time', 'Conn.', 'Measurand', 'Phase', 'Location', 'Context', 'Value'].map((x) => h('th', null, x)))),
				h(
					'tbody',
					null,
					shown.map((m) =>
						h(
							'tr',
							null,
							h('td', null, fmtTime(m.time)),
							h('td', null, String(m.connector_id)),
							h('td', null, m.measurand || 'Energy.Active.Import.Register'),
							h('td', null, m.phase || ''),
							h('td', null, m.location || ''),
							h('td', null, (m.context || '').replace(/^Sample\./, '')),
							h('td', { class: 'num' }, `${m.value ?? m.raw_value} ${m.unit || ''}`),
						),
					),
				),
			),
		);
		if (mv.length > shown.length) table.appendChild(h('p', { class: 'muted' }, `The first ${shown.length} of ${mv.length} values.`));
	}

	async function renderCharts() {
		const c = curves(t);
		if (!c.power.length && !c.energy.length) {
			chartNote.hidden = false;
			chartNote.textContent = 'No power or energy register samples in this transaction.';
		}
		let uPlot;
		try {
			uPlot = await loadUplot();
		} catch {
			chartNote.hidden = false;
			chartNote.textContent = NO_LIBRARY;
			return;
		}
		if (closed) return;
		if (!charts.length)
			charts = [
				timeChart(uPlot, powerEl, { unit: 'kW', series: [{ label: 'Power', fill: '--chart-fill' }], sync: `tx-${id}`, fromZero: true }),
				timeChart(uPlot, energyEl, { unit: 'kWh', series: [{ label: 'Energy', colour: 1 }], sync: `tx-${id}` }),
			];
		charts[0].setData(
			c.power.map((p) => p[0]),
			[c.power.map((p) => p[1])],
		);
		charts[1].setData(
			c.energy.map((p) => p[0]),
			[c.energy.map((p) => p[1])],
		);
	}

	let redraw = 0;
	async function load() {
		try {
			t = await get(`/transactions/${encodeURIComponent(id)}`);
		} catch (e) {
			if (!closed) clear(summary).appendChild(h('p', { class: 'error' }, e instanceof ApiError && e.status === 404 ? `There is no transaction ${id}.` : e.message));
			return;
		}
		if (closed) return;
		renderSummary();
		renderTable();
		renderCharts();
		renderReceipt(receiptEl, id).catch(() => {});
		if (t.status === 'active' && !sub)
			sub = subscribe({
				charger: t.charger_id,
				types: ['meter', 'transaction'],
				onReset: load,
				onEvent(type, d) {
					if (String(d.transaction_id ?? d.id) !== String(t.id)) return;
					if (type === 'transaction') {
						load();
						return;
					}
					for (const s of d.samples || []) t.meter_values.push({ ...s, time: d.time, connector_id: d.connector });
					if (!redraw)
						redraw = setTimeout(() => {
							redraw = 0;
							if (closed) return;
							renderTable();
							renderCharts();
							renderSummary();
						}, 500);
				},
			});
	}
	load();
	return () => {
		closed = true;
		clearTimeout(redraw);
		if (sub) sub.close();
		for (const c of charts) c.destroy();
	};
}
