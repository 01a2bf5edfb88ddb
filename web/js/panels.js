// Alerts (#/alerts): what the fault-diagnosis module produces, read from
// GET /api/v1/alerts. (Work orders have their own board: workorders.js.)
// Those modules are separate; until a server has them the API answers 404 and the panel
// says so. Nothing is invented: with the API present, its items are shown as it lists them.

import { raw } from './api.js';
import { h, clear, fmtTime } from './dom.js';

/* One row per panel: its API path, title, and what to say when the API is not there. */
export const PANELS = {
	alerts: { path: '/alerts', title: 'Alerts', missing: 'Fault diagnosis is not enabled on this server yet.', none: 'No alerts.' },
};

const TIME_KEY = /(^|_)(time|at|date)$|_at$/;
const FIRST = ['id', 'severity', 'status', 'state', 'charger_id', 'charger', 'connector_id', 'kind', 'code', 'title', 'summary', 'description'];

function cell(key, v) {
	if (v === null || v === undefined) return '';
	if ((key === 'charger_id' || key === 'charger') && typeof v === 'string') return h('a', { href: `#/chargers/${encodeURIComponent(v)}` }, v);
	if (typeof v === 'string' && TIME_KEY.test(key)) return fmtTime(v);
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

export function renderPanel(root, name) {
	const def = PANELS[name];
	const box = h('div', { class: 'card', dataset: { testid: `panel-${name}` } }, h('p', { class: 'muted' }, 'Loading…'));
	clear(root).appendChild(h('section', { class: 'detail' }, h('div', { class: 'detail-head' }, h('h1', null, def.title)), box));
	let closed = false;

	(async () => {
		let r;
		try {
			r = await raw('GET', def.path, { params: { limit: 200 } });
		} catch (e) {
			if (!closed) clear(box).appendChild(h('p', { class: 'error' }, `Request failed: ${e.message}`));
			return;
		}
		if (closed) return;
		clear(box);
		if (r.status === 404) {
			box.appendChild(h('p', { class: 'empty', dataset: { testid: 'panel-missing' } }, def.missing));
			box.appendChild(h('p', { class: 'muted' }, `This panel reads GET /api/v1${def.path}; it fills in when the server provides it.`));
			return;
		}
		if (r.status !== 200) {
			box.appendChild(h('p', { class: 'error' }, `GET /api/v1${def.path}: ${r.status} ${(r.body && (r.body.detail || r.body.error)) || ''}`));
			return;
		}
		const items = Array.isArray(r.body) ? r.body : (r.body && r.body.items) || [];
		if (!items.length) {
			box.appendChild(h('p', { class: 'empty', dataset: { testid: 'panel-empty' } }, def.none));
			return;
		}
		const keys = [...new Set(items.flatMap((i) => Object.keys(i)))];
		keys.sort((a, b) => (FIRST.includes(a) ? FIRST.indexOf(a) : 99) - (FIRST.includes(b) ? FIRST.indexOf(b) : 99));
		const cols = keys.slice(0, 9);
		box.appendChild(
			h(
				'table',
				{ class: 'table' },
				h('thead', null, h('tr', null, cols.map((k) => h('th', null, k.replace(/_/g, ' '))))),
				h(
					'tbody',
					null,
					items.map((i) => h('tr', null, cols.map((k) => h('td', null, cell(k, i[k]))))),
				),
			),
		);
		if (r.body && r.body.total > items.length) box.appendChild(h('p', { class: 'muted' }, `${items.length} of ${r.body.total}.`));
	})();
	return () => {
		closed = true;
	};
}
