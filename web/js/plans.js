// Inspection plans (#/plans): a month calendar of due inspections from
// GET /api/v1/plans/calendar (projected dates marked, the ones with an order in
// work linking to it) and the list of plans with their rules.

import { raw } from './api.js';
import { h, clear } from './dom.js';

/* Local YYYY-MM-DD of a Date. */
function dayKey(d) {
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function rule(p) {
	const parts = [];
	if (p.every_days) parts.push(`every ${p.every_days} d`);
	if (p.every_sessions) parts.push(`${p.every_sessions} sessions`);
	if (p.every_kwh) parts.push(`${p.every_kwh} kWh`);
	if (p.every_hours) parts.push(`${p.every_hours} h charging`);
	return `${parts.join(' or ')}, ${p.lead_days} d ahead`;
}

export function renderPlans(root) {
	let month = new Date();
	month = new Date(month.getFullYear(), month.getMonth(), 1);
	const cal = h('div', { class: 'card', dataset: { testid: 'plans-calendar' } });
	const planList = h('div', { class: 'card', dataset: { testid: 'plans-list' } });
	const title = h('h2');
	clear(root).appendChild(
		h(
			'section',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('h1', null, 'Inspection plans'), h('a', { href: '#/work-orders', class: 'back' }, '← Work orders')),
			h(
				'div',
				{ class: 'filters' },
				h('button', { type: 'button', dataset: { testid: 'prev-month' }, onclick: () => move(-1) }, '‹'),
				title,
				h('button', { type: 'button', dataset: { testid: 'next-month' }, onclick: () => move(1) }, '›'),
			),
			cal,
			planList,
		),
	);
	let closed = false;

	function move(n) {
		month = new Date(month.getFullYear(), month.getMonth() + n, 1);
		draw();
	}

	async function draw() {
		const from = new Date(month);
		const to = new Date(month.getFullYear(), month.getMonth() + 1, 1);
		title.textContent = from.toLocaleString(undefined, { month: 'long', year: 'numeric' });
		const r = await raw('GET', '/plans/calendar', { params: { from: from.toISOString(), to: to.toISOString() } });
		if (closed) return;
		clear(cal);
		if (r.status !== 200) {
			cal.appendChild(h('p', { class: 'error' }, `GET /api/v1/plans/calendar: ${r.status} ${(r.body && (r.body.detail || r.body.error)) || ''}`));
			return;
		}
		const byDay = new Map();
		for (const e of r.body.items) {
			const k = dayKey(new Date(e.due));
			if (!byDay.has(k)) byDay.set(k, []);
			byDay.get(k).push(e);
		}
		const grid = h('div', { class: 'cal-grid' });
		for (const d of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) grid.appendChild(h('div', { class: 'cal-dow muted' }, d));
		const lead = (from.getDay() + 6) % 7; /* Monday first */
		for (let i = 0; i < lead; i++) grid.appendChild(h('div', { class: 'cal-day cal-pad' }));
		for (let day = new Date(from); day < to; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
			const entries = byDay.get(dayKey(day)) || [];
			grid.appendChild(
				h(
					'div',
					{ class: `cal-day${dayKey(day) === dayKey(new Date()) ? ' cal-today' : ''}`, dataset: { day: dayKey(day) } },
					h('div', { class: 'cal-num' }, String(day.getDate())),
					entries.slice(0, 6).map((e) =>
						e.work_order_id
							? h('a', { class: 'cal-entry cal-open', href: `#/work-orders/${e.work_order_id}`, dataset: { testid: 'cal-entry' }, title: `${e.plan}: order ${e.work_order_id} (${e.status})` }, `${e.charger_id} · ${e.plan}`)
							: h('div', { class: `cal-entry${e.projected ? ' cal-projected' : ''}`, dataset: { testid: 'cal-entry' }, title: `${e.plan} (by ${e.by}${e.projected ? ', projected' : ''})` }, `${e.charger_id} · ${e.plan}`),
					),
					entries.length > 6 ? h('div', { class: 'muted' }, `+${entries.length - 6} more`) : null,
				),
			);
		}
		cal.appendChild(grid);
		if (!r.body.items.length) cal.appendChild(h('p', { class: 'empty', dataset: { testid: 'cal-empty' } }, 'No inspections due this month.'));
	}

	(async () => {
		const r = await raw('GET', '/plans', { params: { limit: 200 } });
		if (closed) return;
		if (r.status !== 200) {
			planList.appendChild(h('p', { class: 'error' }, `GET /api/v1/plans: ${r.status}`));
			return;
		}
		planList.appendChild(h('h2', null, 'Plans'));
		if (!r.body.items.length) {
			planList.appendChild(h('p', { class: 'empty' }, 'No plans yet (POST /api/v1/plans).'));
			return;
		}
		planList.appendChild(
			h(
				'table',
				{ class: 'table' },
				h('thead', null, h('tr', null, ['Plan', 'Applies to', 'Rule', 'Checklist', 'Active'].map((c) => h('th', null, c)))),
				h(
					'tbody',
					null,
					r.body.items.map((p) =>
						h(
							'tr',
							null,
							h('td', null, p.name),
							h('td', null, [p.vendor, p.model, p.site_id && `site ${p.site_id}`].filter(Boolean).join(' · ') || 'all chargers'),
							h('td', null, rule(p)),
							h('td', null, (p.checklist || ['(standard procedure)']).join(', ')),
							h('td', null, p.active ? 'yes' : 'no'),
						),
					),
				),
			),
		);
	})();
	draw();
	return () => {
		closed = true;
	};
}
