// Failure risk (#/risk): the ranked list of connectors most likely to fail within the
// model's horizon, with the predicted fault, the reasons in words, the planned visit day
// and the predictive work order, filterable by site; the visit plan by day; and (for
// operators) a button that scores the fleet now. chargerRisk() is the same information
// for one charger's detail page. Both read GET /api/v1/predictions (and
// /chargers/{id}/risk); a server without a prediction model answers 503, which is said.

import { raw } from './api.js';
import { h, clear, fmtTime } from './dom.js';

const pct = (r) => `${Math.round(r * 100)} %`;

function reasonsList(it) {
	return h('ul', { class: 'reasons' }, (it.reasons || []).map((r) => h('li', null, r.text)));
}

// Why a connector without evidence is never visited: its risk is only the rate of chargers
// like it (the server's predict_row_has_evidence).
const NO_DATA_WHY = 'no session, reading, fault or alert in 7 days';

// "visit" when flagged; "no data yet" when nothing was seen of the connector in 7 days.
function riskBadge(it) {
	if (it.above) return h('span', { class: 'badge', dataset: { state: 'faulted' } }, 'visit');
	if (it.evidence === false) return h('span', { class: 'badge', title: `${NO_DATA_WHY}: no visit`, dataset: { testid: 'risk-no-data' } }, 'no data yet');
	return null;
}

function riskRow(it) {
	return h(
		'tr',
		{ dataset: { testid: 'risk-row', charger: it.charger_id, above: it.above ? 'yes' : 'no' } },
		h('td', null, h('strong', null, pct(it.risk)), riskBadge(it)),
		h('td', null, h('a', { href: `#/chargers/${encodeURIComponent(it.charger_id)}` }, it.charger_id), ` · ${it.connector_id}`),
		h('td', null, it.site_id || '—'),
		h('td', null, it.fault_title || it.fault),
		h('td', null, reasonsList(it)),
		h('td', null, it.visit_day === null || it.visit_day === undefined ? '—' : `day ${it.visit_day}`),
		h('td', null, it.work_order_id ? `#${it.work_order_id}` : '—'),
	);
}

function message(box, r) {
	if (r.status === 503) {
		box.appendChild(h('p', { class: 'empty', dataset: { testid: 'risk-off' } }, 'Failure prediction is off on this server (no model configured: setting prediction_model).'));
		return true;
	}
	if (r.status !== 200) {
		box.appendChild(h('p', { class: 'error' }, `${r.status} ${(r.body && (r.body.detail || r.body.error)) || ''}`));
		return true;
	}
	return false;
}

export function renderRisk(root, { role, site = '' } = {}) {
	const box = h('div', { class: 'card', dataset: { testid: 'risk' } }, h('p', { class: 'muted' }, 'Loading…'));
	const planBox = h('div', { class: 'card', dataset: { testid: 'risk-plan' } });
	const siteSel = h('select', { 'aria-label': 'Site' }, h('option', { value: '' }, 'All sites'));
	const onlyAbove = h('input', { type: 'checkbox', 'aria-label': 'Only connectors to visit' });
	const runBtn = role === 'viewer' ? null : h('button', { type: 'button', dataset: { testid: 'risk-run' } }, 'Score now');
	const note = h('span', { class: 'muted' });
	clear(root).appendChild(
		h(
			'section',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('h1', null, 'Failure risk')),
			h('div', { class: 'filters' }, siteSel, h('label', null, onlyAbove, ' only connectors to visit'), runBtn, note),
			box,
			h('h2', null, 'Visit plan'),
			planBox,
		),
	);
	let closed = false;
	let sites = null;

	async function load() {
		const params = {};
		if (siteSel.value) params.site = siteSel.value;
		if (onlyAbove.checked) params.above = 1;
		let r;
		try {
			r = await raw('GET', '/predictions', { params });
		} catch (e) {
			if (!closed) clear(box).appendChild(h('p', { class: 'error' }, `Request failed: ${e.message}`));
			return;
		}
		if (closed) return;
		clear(box);
		clear(planBox);
		if (message(box, r)) return;
		const res = r.body;
		if (!sites) {
			sites = [...new Set((res.items || []).map((i) => i.site_id).filter(Boolean))].sort();
			for (const s of sites) siteSel.appendChild(h('option', { value: s, selected: s === site }, s));
			if (site && sites.includes(site)) {
				siteSel.value = site;
				return load();
			}
		}
		note.textContent = res.as_of ? `as of ${fmtTime(res.as_of)}, failure within ${res.horizon_days} days${res.running ? ' · scoring…' : ''}` : res.running ? 'scoring…' : 'not scored yet';
		const items = res.items || [];
		if (!items.length) {
			box.appendChild(h('p', { class: 'empty', dataset: { testid: 'risk-empty' } }, res.as_of ? 'No connector to list.' : 'The fleet has not been scored yet.'));
		} else {
			box.appendChild(
				h(
					'table',
					{ class: 'table' },
					h('thead', null, h('tr', null, ['Risk', 'Charger · connector', 'Site', 'Predicted fault', 'Why', 'Visit', 'Work order'].map((t) => h('th', null, t)))),
					h('tbody', null, items.map(riskRow)),
				),
			);
		}
		const plan = res.plan || [];
		if (!plan.length) planBox.appendChild(h('p', { class: 'empty' }, 'No visit planned.'));
		for (const d of plan)
			planBox.appendChild(
				h(
					'div',
					{ class: 'plan-day', dataset: { testid: 'plan-day' } },
					h('h3', null, `Day ${d.day} · ${fmtTime(d.date).slice(0, 10)}`),
					h('ol', null, d.visits.map((v) => h('li', null, `${v.site_id}: `, h('a', { href: `#/chargers/${encodeURIComponent(v.charger_id)}` }, v.charger_id), ` (connectors ${v.connectors.join(', ')}; ${v.fault}, ${pct(v.risk)})`))),
				),
			);
	}
	siteSel.addEventListener('change', load);
	onlyAbove.addEventListener('change', load);
	if (runBtn)
		runBtn.addEventListener('click', async () => {
			const r = await raw('POST', '/predictions/run').catch((e) => ({ status: 0, body: { detail: e.message } }));
			note.textContent = r.status === 202 ? 'scoring…' : `could not start: ${r.status}`;
			setTimeout(() => !closed && load(), 3000);
		});
	load();
	return () => {
		closed = true;
	};
}

/* The risk section of a charger's page: an element filled from /chargers/{id}/risk. */
export function chargerRisk(id) {
	const el = h('div', { dataset: { testid: 'charger-risk' } }, h('p', { class: 'muted' }, 'Loading…'));
	raw('GET', `/chargers/${encodeURIComponent(id)}/risk`)
		.then((r) => {
			clear(el);
			if (message(el, r)) return;
			const items = r.body.items || [];
			if (!items.length) {
				el.appendChild(h('p', { class: 'empty' }, r.body.as_of ? 'No risk scored for this charger.' : 'The fleet has not been scored yet.'));
				return;
			}
			for (const it of items)
				el.appendChild(
					h(
						'div',
						{ class: 'risk-item', dataset: { testid: 'charger-risk-item', above: it.above ? 'yes' : 'no' } },
						h('p', null, h('strong', null, `Connector ${it.connector_id}: ${pct(it.risk)}`), ` risk of ${it.fault_title || it.fault} within ${r.body.horizon_days} days`, it.above ? ' — visit planned' : it.evidence === false ? ` — no data yet: ${NO_DATA_WHY}` : ''),
						reasonsList(it),
					),
				);
			el.appendChild(h('p', { class: 'muted' }, `as of ${fmtTime(r.body.as_of)} · `, h('a', { href: '#/risk' }, 'fleet risk list')));
		})
		.catch((e) => {
			clear(el).appendChild(h('p', { class: 'error' }, `Request failed: ${e.message}`));
		});
	return el;
}
