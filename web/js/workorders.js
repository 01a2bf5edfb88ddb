// Work orders: the board (#/work-orders), one column per state in work with SLA timers
// counting down on each card, and one order (#/work-orders/ID) with its checklist to
// tick, the lifecycle actions the server allows, dispatch suggestions, parts, linked
// alerts, reports and the history. Everything comes from /api/v1/work-orders; the
// timers start from the seconds left the server computed and run down locally.

import { raw } from './api.js';
import { h, clear, fmtTime } from './dom.js';

const COLUMNS = [
	['open', 'Open'],
	['assigned', 'Assigned'],
	['in_progress', 'In progress'],
	['on_hold', 'On hold'],
	['resolved', 'Resolved'],
	['verified', 'Verified'],
];

/* "1 h 05 min", "3 d 4 h", "45 s"; negative values are overdue. */
export function fmtLeft(s) {
	const a = Math.abs(Math.round(s));
	let t;
	if (a < 60) t = `${a} s`;
	else if (a < 3600) t = `${Math.floor(a / 60)} min`;
	else if (a < 86400) t = `${Math.floor(a / 3600)} h ${String(Math.floor((a % 3600) / 60)).padStart(2, '0')} min`;
	else t = `${Math.floor(a / 86400)} d ${Math.floor((a % 86400) / 3600)} h`;
	return s < 0 ? `${t} overdue` : `${t} left`;
}

/* The SLA timer element of an order: the response clock until responded, then the resolution clock. */
function slaTimer(o, fetchedAt) {
	const sla = o.sla || {};
	const which = sla.response_left_s !== null && sla.response_left_s !== undefined ? 'response' : sla.resolution_left_s !== null && sla.resolution_left_s !== undefined ? 'resolution' : null;
	const el = h('span', { class: 'sla', dataset: { testid: 'sla' } });
	if (!which) {
		const breached = sla.response_breached || sla.resolution_breached;
		el.textContent = breached ? 'SLA breached' : 'SLA met';
		el.classList.add(breached ? 'sla-breached' : 'sla-ok');
		return el;
	}
	const left0 = sla[`${which}_left_s`];
	const tick = () => {
		const left = left0 - (Date.now() - fetchedAt) / 1000;
		el.textContent = `${which}: ${fmtLeft(left)}`;
		el.classList.toggle('sla-breached', left < 0);
		el.classList.toggle('sla-warn', left >= 0 && left < 3600);
	};
	tick();
	el.tick = tick;
	return el;
}

function card(o, fetchedAt, timers) {
	const t = slaTimer(o, fetchedAt);
	if (t.tick) timers.push(t);
	return h(
		'a',
		{ class: 'wo-card', href: `#/work-orders/${o.id}`, dataset: { testid: 'wo-card', id: String(o.id), priority: o.priority } },
		h('div', { class: 'wo-card-head' }, h('span', { class: `badge prio-${o.priority}` }, o.priority), h('span', { class: 'muted' }, `#${o.id} · ${o.kind}`)),
		h('div', { class: 'wo-title' }, o.title),
		h('div', { class: 'muted' }, `${o.charger_id}${o.connector_id ? ` / ${o.connector_id}` : ''}${o.category ? ` · ${o.category}` : ''}`),
		t,
	);
}

export function renderBoard(root) {
	const box = h('div', { class: 'card', dataset: { testid: 'panel-work-orders' } }, h('p', { class: 'muted' }, 'Loading…'));
	clear(root).appendChild(
		h('section', { class: 'detail' }, h('div', { class: 'detail-head' }, h('h1', null, 'Work orders'), h('a', { href: '#/plans', class: 'back' }, 'Inspection plans →')), box),
	);
	let closed = false;
	const timers = [];
	const every = setInterval(() => timers.forEach((t) => t.tick()), 1000);
	/* The board reloads every 30 s: orders change by telemetry and by other people. */
	async function load() {
		const r = await raw('GET', '/work-orders', { params: { status: 'active', limit: 500 } }).catch((e) => ({ status: 0, body: { detail: e.message } }));
		if (closed) return;
		clear(box);
		timers.length = 0;
		if (r.status !== 200) {
			box.appendChild(h('p', { class: 'error' }, `GET /api/v1/work-orders: ${r.status} ${(r.body && (r.body.detail || r.body.error)) || ''}`));
			return;
		}
		const items = r.body.items || [];
		if (!items.length) {
			box.appendChild(h('p', { class: 'empty', dataset: { testid: 'panel-empty' } }, 'No work orders.'));
			return;
		}
		const fetchedAt = Date.now();
		box.appendChild(
			h(
				'div',
				{ class: 'wo-board' },
				COLUMNS.map(([state, title]) => {
					const mine = items.filter((o) => o.status === state);
					return h('div', { class: 'wo-col', dataset: { testid: `col-${state}` } }, h('h2', null, `${title} `, h('span', { class: 'muted' }, String(mine.length))), mine.map((o) => card(o, fetchedAt, timers)));
				}),
			),
		);
		if (r.body.total > items.length) box.appendChild(h('p', { class: 'muted' }, `${items.length} of ${r.body.total}.`));
	}
	load();
	const reload = setInterval(load, 30000);
	return () => {
		closed = true;
		clearInterval(every);
		clearInterval(reload);
	};
}

const CHECK_STATES = ['pending', 'done', 'failed', 'n/a'];

export function renderOrder(root, id) {
	const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
	clear(root).appendChild(h('section', { class: 'detail', dataset: { testid: 'work-order' } }, h('a', { href: '#/work-orders', class: 'back' }, '← Work orders'), body));
	let closed = false;
	const timers = [];
	const every = setInterval(() => timers.forEach((t) => t.tick()), 1000);
	const msg = h('p', { class: 'error', dataset: { testid: 'wo-message' } });

	async function send(method, path, payload) {
		msg.textContent = '';
		const r = await raw(method, path, { body: payload });
		if (r.status >= 400) {
			const allowed = r.body && r.body.allowed ? ` (allowed: ${r.body.allowed.join(', ') || 'none'})` : '';
			msg.textContent = `${r.status}: ${(r.body && (r.body.detail || r.body.error)) || ''}${allowed}`;
			return;
		}
		load();
	}

	async function actionBar(o) {
		const bar = h('div', { class: 'wo-actions', dataset: { testid: 'wo-actions' } });
		const note = h('input', { type: 'text', placeholder: 'Note (optional)', maxlength: 2000, dataset: { testid: 'wo-note' } });
		let techSelect = null;
		if (o.allowed_actions.includes('assign')) {
			techSelect = h('select', { dataset: { testid: 'wo-technician' } });
			const d = await raw('GET', `/work-orders/${o.id}/dispatch`);
			const sugg = (d.status === 200 && d.body.suggestions) || [];
			for (const s of sugg) techSelect.appendChild(h('option', { value: String(s.technician_id) }, `${s.name} — ${s.distance_km === null ? '? km' : `${s.distance_km} km`}, ${s.open_orders} open`));
			if (!sugg.length) techSelect.appendChild(h('option', { value: '' }, 'No qualified technician'));
			bar.appendChild(techSelect);
		}
		for (const a of o.allowed_actions) {
			bar.appendChild(
				h(
					'button',
					{
						type: 'button',
						dataset: { action: a },
						onclick: () => {
							const payload = { note: note.value || undefined };
							if (a === 'assign') payload.technician_id = Number(techSelect && techSelect.value);
							send('POST', `/work-orders/${o.id}/actions/${a}`, payload);
						},
					},
					a.replace('_', ' '),
				),
			);
		}
		if (!o.allowed_actions.length) bar.appendChild(h('span', { class: 'muted' }, 'No action is open to you on this order.'));
		bar.appendChild(note);
		return bar;
	}

	function checklist(o) {
		const editable = !['resolved', 'verified', 'closed', 'cancelled'].includes(o.status);
		return h(
			'table',
			{ class: 'table', dataset: { testid: 'wo-checklist' } },
			h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Step'), h('th', null, 'State'), h('th', null, 'Reading'), h('th', null, 'By'))),
			h(
				'tbody',
				null,
				o.checklist.map((c) => {
					const reading = h('input', { type: 'text', value: c.reading || '', maxlength: 200, disabled: !editable, placeholder: 'reading' });
					const state = h(
						'select',
						{ disabled: !editable, dataset: { testid: `check-${c.item}` } },
						CHECK_STATES.map((s) => h('option', { value: s, selected: s === c.state }, s)),
					);
					const save = () => send('PUT', `/work-orders/${o.id}/checklist/${c.item}`, { state: state.value, reading: reading.value || undefined });
					state.addEventListener('change', save);
					reading.addEventListener('change', save);
					return h('tr', { class: `check-${c.state.replace('/', '')}` }, h('td', null, String(c.item)), h('td', null, c.text), h('td', null, state), h('td', null, reading), h('td', { class: 'muted' }, c.updated_by || ''));
				}),
			),
		);
	}

	function kv(pairs) {
		return h(
			'dl',
			{ class: 'kv' },
			pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : v)]),
		);
	}

	function list(title, rows, fmt) {
		return h('div', { class: 'card' }, h('h2', null, title), rows.length ? h('ul', { class: 'wo-list' }, rows.map((r) => h('li', null, fmt(r)))) : h('p', { class: 'muted' }, 'None.'));
	}

	async function load() {
		const r = await raw('GET', `/work-orders/${encodeURIComponent(id)}`);
		if (closed) return;
		clear(body);
		timers.length = 0;
		if (r.status !== 200) {
			body.appendChild(h('p', { class: 'error' }, `GET /api/v1/work-orders/${id}: ${r.status} ${(r.body && (r.body.detail || r.body.error)) || ''}`));
			return;
		}
		const o = r.body;
		const t = slaTimer(o, Date.now());
		if (t.tick) timers.push(t);
		body.appendChild(
			h(
				'div',
				{ class: 'detail-head' },
				h('h1', null, `#${o.id} ${o.title}`),
				h('span', { class: `badge prio-${o.priority}` }, o.priority),
				h('span', { class: 'badge', dataset: { testid: 'wo-status' } }, o.status.replace('_', ' ')),
				t,
			),
		);
		body.appendChild(await actionBar(o));
		body.appendChild(msg);
		body.appendChild(
			h(
				'div',
				{ class: 'card' },
				kv([
					['Charger', h('a', { href: `#/chargers/${encodeURIComponent(o.charger_id)}` }, o.charger_id)],
					['Connector', o.connector_id ? String(o.connector_id) : 'whole charger'],
					['Kind', o.kind],
					['Category', o.category],
					['Cause class', o.cause_class],
					['Outage cause', o.outage_cause],
					['Technician', o.technician_id ? String(o.technician_id) : ''],
					['Created', `${fmtTime(o.created_at)} by ${o.created_by || '—'}`],
					['Response due', fmtTime(o.response_due)],
					['Resolution due', fmtTime(o.resolution_due)],
					['Responded', fmtTime(o.responded_at)],
					['Resolved', fmtTime(o.resolved_at)],
					['Verified', fmtTime(o.verified_at)],
					['Reopened', String(o.reopen_count)],
					['Labour', `${o.labour_minutes} min`],
					['Cost', `${o.cost.total.toFixed(2)} (parts ${o.cost.parts.toFixed(2)}, labour ${o.cost.labour.toFixed(2)})`],
				]),
				o.description ? h('pre', { class: 'wo-desc' }, o.description) : null,
				o.notes ? h('p', null, h('strong', null, 'Notes: '), o.notes) : null,
			),
		);
		body.appendChild(h('div', { class: 'card' }, h('h2', null, 'Checklist'), checklist(o)));
		body.appendChild(list('Parts', o.parts, (p) => `${p.quantity} × ${p.part} at ${p.unit_cost} = ${p.cost} (${p.added_by || '—'})`));
		body.appendChild(list('Alerts', o.alerts, (a) => `#${a.id} ${a.title} (${a.severity}, ${a.status}) since ${fmtTime(a.first_seen)}`));
		body.appendChild(list('Drivers\u2019 reports', o.reports, (p) => `${fmtTime(p.time)} ${p.problem}${p.text ? `: ${p.text}` : ''}`));
		body.appendChild(
			h(
				'div',
				{ class: 'card' },
				h('h2', null, 'History'),
				h(
					'table',
					{ class: 'table', dataset: { testid: 'wo-history' } },
					h('tbody', null, o.history.map((e) => h('tr', null, h('td', null, fmtTime(e.time)), h('td', null, e.actor), h('td', null, e.action), h('td', null, `${e.from_status || '—'} → ${e.to_status}`), h('td', null, e.note || '')))),
				),
			),
		);
	}
	load();
	return () => {
		closed = true;
		clearInterval(every);
	};
}
