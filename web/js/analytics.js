// Analytics (#/analytics): charging behaviour over a period (the last 7 or 30 days, all
// history from the earliest transaction, or custom dates) and optionally one site. Every
// figure is aggregated by the server (/api/v1/analytics/...): the sessions heatmap per
// weekday and hour (in the browser's time zone), utilisation per charger and site, session
// duration and energy histograms, peak power per site against its grid limit, and the top
// busy and idle chargers. The period and site live in the hash, so a view can be linked.

import { get } from './api.js';
import { h, svg, clear, fmtTime, fmtEnergy, fmtMinutes, fmtPct, hashParams } from './dom.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_MS = 86400e3;
const BARS = 15; // bars shown per ranking before "show all"

/* Local "YYYY-MM-DD" of a Date. */
function dayOf(d) {
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/* The period as {from, to} (ms) for the picker's choice. */
async function resolvePeriod(sel) {
	const now = Date.now();
	if (sel.period === '30d') return { from: now - 30 * DAY_MS, to: now };
	if (sel.period === 'custom') {
		const from = new Date(`${sel.from}T00:00:00`).getTime();
		const to = new Date(`${sel.to}T00:00:00`).getTime() + DAY_MS;
		if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new Error('Pick a start date before the end date.');
		return { from, to };
	}
	if (sel.period === 'all') {
		// The list is newest first: the last item is the earliest transaction.
		const head = await get('/transactions', { limit: 1 });
		if (!head.total) return { from: now - 7 * DAY_MS, to: now, none: true };
		const last = await get('/transactions', { limit: 1, offset: head.total - 1 });
		const first = new Date(last.items[0].start_time).getTime();
		return { from: Math.min(first, now - 3600e3), to: Math.max(now, first + 3600e3) };
	}
	return { from: now - 7 * DAY_MS, to: now };
}

/* A horizontal bar row: label, a bar of value/max, and the figure text. */
function barRow(label, frac, text, attrs = {}, extra = null) {
	const fill = h('span', { class: 'hbar-fill' });
	fill.style.width = `${Math.max(0, Math.min(1, frac || 0)) * 100}%`;
	return h('div', { class: 'hbar', ...attrs }, h('span', { class: 'hbar-label' }, label), h('span', { class: 'hbar-track' }, fill, extra), h('span', { class: 'hbar-value num' }, text));
}

function card(title, testid, ...body) {
	return h('section', { class: 'card', dataset: { testid } }, h('h2', null, title), ...body);
}

export function renderAnalytics(root, fleet) {
	const p = hashParams();
	const sel = { period: p.get('period') || (p.get('from') ? 'custom' : '7d'), from: p.get('from') || dayOf(new Date(Date.now() - 6 * DAY_MS)), to: p.get('to') || dayOf(new Date()), site: p.get('site') || '' };
	let gen = 0;

	const periodSel = h(
		'select',
		{ 'aria-label': 'Period', dataset: { filter: 'period' } },
		h('option', { value: '7d' }, 'Last 7 days'),
		h('option', { value: '30d' }, 'Last 30 days'),
		h('option', { value: 'all' }, 'All history'),
		h('option', { value: 'custom' }, 'Custom dates'),
	);
	periodSel.value = sel.period;
	const fromIn = h('input', { type: 'date', value: sel.from, 'aria-label': 'From', dataset: { filter: 'from' } });
	const toIn = h('input', { type: 'date', value: sel.to, 'aria-label': 'To (inclusive)', dataset: { filter: 'to' } });
	const custom = h('span', { class: 'custom-dates' }, fromIn, ' – ', toIn);
	const siteSel = h('select', { 'aria-label': 'Site', dataset: { filter: 'site' } });
	const periodNote = h('span', { class: 'muted', dataset: { testid: 'period' } });
	const body = h('div', { class: 'analytics' });

	function fillSites() {
		clear(siteSel).appendChild(h('option', { value: '' }, 'All sites'));
		for (const s of [...fleet.sites.values()].sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id))) siteSel.appendChild(h('option', { value: s.id }, s.name || s.id));
		if (sel.site && !fleet.sites.has(sel.site)) siteSel.appendChild(h('option', { value: sel.site }, sel.site));
		siteSel.value = sel.site;
	}
	fillSites();

	function update() {
		sel.period = periodSel.value;
		sel.from = fromIn.value;
		sel.to = toIn.value;
		sel.site = siteSel.value;
		const q = new URLSearchParams({ period: sel.period });
		if (sel.period === 'custom') {
			q.set('from', sel.from);
			q.set('to', sel.to);
		}
		if (sel.site) q.set('site', sel.site);
		history.replaceState(null, '', `#/analytics?${q}`);
		load();
	}
	for (const el of [periodSel, fromIn, toIn, siteSel]) el.addEventListener('change', update);

	clear(root).appendChild(
		h(
			'section',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('h1', null, 'Analytics'), periodNote),
			h('div', { class: 'filters' }, periodSel, custom, siteSel),
			body,
		),
	);

	async function load() {
		const g = ++gen;
		custom.hidden = sel.period !== 'custom';
		clear(body).appendChild(h('p', { class: 'muted' }, 'Loading…'));
		let per;
		let data;
		try {
			per = await resolvePeriod(sel);
			const q = { from: new Date(per.from).toISOString(), to: new Date(per.to).toISOString(), site: sel.site || undefined };
			const tz = Math.max(-900, Math.min(900, -new Date(per.to).getTimezoneOffset()));
			const [heat, util, dist, peak] = await Promise.all([
				get('/analytics/heatmap', { ...q, tz_offset_minutes: tz }),
				get('/analytics/utilisation', { ...q, top: 5 }),
				get('/analytics/distributions', q),
				get('/analytics/peak-power', q),
			]);
			data = { heat, util, dist, peak };
		} catch (e) {
			if (g === gen) clear(body).appendChild(h('p', { class: 'error' }, e.message));
			return;
		}
		if (g !== gen) return;
		periodNote.textContent = `${fmtTime(new Date(per.from).toISOString())} – ${fmtTime(new Date(per.to).toISOString())}`;
		render(data);
	}

	function siteName(id) {
		if (!id) return 'No site';
		const s = fleet.sites.get(id);
		return (s && s.name) || id;
	}

	function render({ heat, util, dist, peak }) {
		const sessions = heat.sessions;
		clear(body).append(
			h(
				'div',
				{ class: 'counts' },
				h('div', { class: 'count-card' }, h('span', { class: 'count-value', dataset: { figure: 'sessions' } }, String(sessions)), h('span', { class: 'count-label' }, 'Sessions')),
				h('div', { class: 'count-card' }, h('span', { class: 'count-value', dataset: { figure: 'energy' } }, fmtEnergy(heat.energy_wh)), h('span', { class: 'count-label' }, 'Energy')),
				h('div', { class: 'count-card' }, h('span', { class: 'count-value', dataset: { figure: 'mean-duration' } }, dist.sessions ? fmtMinutes(dist.mean_duration_minutes) : '—'), h('span', { class: 'count-label' }, 'Mean duration (completed)')),
				h('div', { class: 'count-card' }, h('span', { class: 'count-value', dataset: { figure: 'mean-energy' } }, dist.sessions ? `${dist.mean_energy_kwh.toFixed(1)} kWh` : '—'), h('span', { class: 'count-label' }, 'Mean energy (completed)')),
			),
			heatmap(heat),
			h('div', { class: 'detail-grid' }, utilisation('Utilisation per charger', 'util-chargers', util.chargers, (c) => c.charger, (c) => `#/chargers/${encodeURIComponent(c.charger)}`), utilisation('Utilisation per site', 'util-sites', util.sites, (s) => siteName(s.site_id), null)),
			h('div', { class: 'detail-grid' }, histogram('Session duration', 'hist-duration', dist.duration_minutes, (b) => `${b.from}${b.to === null ? '+' : `–${b.to}`} min`, dist.sessions), histogram('Session energy', 'hist-energy', dist.energy_kwh, (b) => `${b.from}${b.to === null ? '+' : `–${b.to}`} kWh`, dist.sessions)),
			h('div', { class: 'detail-grid' }, peakPower(peak.sites), tops(util)),
		);
	}

	function heatmap(heat) {
		const metric = h('select', { 'aria-label': 'Heatmap figure' }, h('option', { value: 'sessions' }, 'Sessions'), h('option', { value: 'energy_wh' }, 'Energy'));
		const box = h('div', { class: 'heatmap-box' });
		const sec = card('Sessions by weekday and hour', 'heatmap', h('div', { class: 'filters' }, metric, h('span', { class: 'muted' }, 'Start times in this browser’s time zone')), box);
		function draw() {
			const key = metric.value;
			clear(box);
			if (!heat.sessions) {
				box.appendChild(h('p', { class: 'empty' }, 'No sessions in this period.'));
				return;
			}
			const cells = new Map(heat.cells.map((c) => [`${c.weekday}|${c.hour}`, c]));
			const max = Math.max(...heat.cells.map((c) => c[key]), 1);
			const cw = 30;
			const ch = 22;
			const left = 40;
			const top = 18;
			const g = svg('svg', { viewBox: `0 0 ${left + 24 * cw + 2} ${top + 7 * ch + 2}`, class: 'heatmap', role: 'img', 'aria-label': 'Sessions per weekday and hour' });
			for (let hr = 0; hr < 24; hr += 3) g.appendChild(svg('text', { x: left + hr * cw + cw / 2, y: 12, class: 'axis-text', 'text-anchor': 'middle', text: `${String(hr).padStart(2, '0')}h` }));
			for (let d = 0; d < 7; d++) {
				g.appendChild(svg('text', { x: left - 6, y: top + d * ch + ch / 2 + 4, class: 'axis-text', 'text-anchor': 'end', text: DAYS[d] }));
				for (let hr = 0; hr < 24; hr++) {
					const c = cells.get(`${d}|${hr}`);
					const v = c ? c[key] : 0;
					const rect = svg(
						'rect',
						{ x: left + hr * cw + 1, y: top + d * ch + 1, width: cw - 2, height: ch - 2, rx: 3, class: v ? 'cell' : 'cell zero', dataset: { weekday: d, hour: hr, sessions: c ? c.sessions : 0, energyWh: c ? c.energy_wh : 0 } },
						svg('title', { text: `${DAYS[d]} ${String(hr).padStart(2, '0')}:00–${String(hr + 1).padStart(2, '0')}:00: ${c ? c.sessions : 0} sessions, ${fmtEnergy(c ? c.energy_wh : 0)}` }),
					);
					if (v) rect.style.fillOpacity = String(0.18 + 0.82 * (v / max));
					g.appendChild(rect);
				}
			}
			box.appendChild(g);
			const fmt = (v) => (key === 'sessions' ? String(v) : fmtEnergy(v));
			box.appendChild(h('div', { class: 'scale-legend' }, h('span', null, key === 'sessions' ? '0' : '0 kWh'), h('span', { class: 'scale-ramp' }), h('span', { dataset: { testid: 'heat-max' } }, fmt(max)), h('span', { class: 'muted' }, key === 'sessions' ? 'sessions per hour slot' : 'energy per hour slot')));
		}
		metric.addEventListener('change', draw);
		draw();
		return sec;
	}

	function utilisation(title, testid, rows, name, link) {
		const list = h('div', { class: 'hbars' });
		const more = h('button', { type: 'button', class: 'link-btn' });
		let all = false;
		function draw() {
			clear(list);
			if (!rows.length) {
				list.appendChild(h('p', { class: 'empty' }, 'No chargers in this period.'));
				more.hidden = true;
				return;
			}
			const max = Math.max(...rows.map((r) => r.utilisation), 1e-9);
			for (const r of all ? rows : rows.slice(0, BARS)) {
				const label = link ? h('a', { href: link(r) }, name(r)) : name(r);
				list.appendChild(
					barRow(label, r.utilisation / max, fmtPct(r.utilisation), { title: `${r.sessions} sessions, ${r.busy_hours.toFixed(1)} busy hours on ${r.connectors} connector(s), ${fmtEnergy(r.energy_wh)}`, dataset: { row: name(r), utilisation: r.utilisation, sessions: r.sessions } }),
				);
			}
			more.hidden = rows.length <= BARS;
			more.textContent = all ? 'Show fewer' : `Show all ${rows.length}`;
		}
		more.addEventListener('click', () => {
			all = !all;
			draw();
		});
		draw();
		return card(title, testid, h('p', { class: 'muted' }, 'Busy time ÷ (period × connectors), busiest first'), list, more);
	}

	function histogram(title, testid, bins, label, sessions) {
		if (!sessions) return card(title, testid, h('p', { class: 'empty' }, 'No completed sessions in this period.'));
		const max = Math.max(...bins.map((b) => b.count), 1);
		return card(
			title,
			testid,
			h(
				'div',
				{ class: 'histogram' },
				bins.map((b) => {
					const bar = h('span', { class: 'col-fill' });
					bar.style.height = `${(b.count / max) * 100}%`;
					return h('div', { class: 'col', title: `${label(b)}: ${b.count} sessions`, dataset: { from: b.from, count: b.count } }, h('span', { class: 'col-count' }, b.count ? String(b.count) : ''), h('span', { class: 'col-track' }, bar), h('span', { class: 'col-label' }, label(b)));
				}),
			),
		);
	}

	function peakPower(sites) {
		const list = h('div', { class: 'hbars' });
		const withData = sites.filter((s) => s.peak_kw !== null && s.peak_kw !== undefined);
		if (!withData.length) list.appendChild(h('p', { class: 'empty' }, 'No power samples in this period.'));
		const max = Math.max(...withData.map((s) => Math.max(s.peak_kw, s.grid_limit_kw || 0)), 1e-9);
		for (const s of withData.sort((a, b) => b.peak_kw - a.peak_kw)) {
			const limit = s.grid_limit_kw > 0 ? h('span', { class: 'limit-mark', title: `grid limit ${s.grid_limit_kw} kW` }) : null;
			if (limit) limit.style.left = `${(s.grid_limit_kw / max) * 100}%`;
			const row = barRow(siteName(s.site_id), s.peak_kw / max, `${s.peak_kw.toFixed(1)} kW${s.grid_limit_kw > 0 ? ` / ${s.grid_limit_kw} kW` : ''}`, { title: `peak at ${fmtTime(s.at)}`, dataset: { row: s.site_id || '', peak: s.peak_kw } }, limit);
			if (s.grid_limit_kw > 0 && s.peak_kw > s.grid_limit_kw) row.classList.add('over');
			list.appendChild(row);
		}
		return card('Peak power per site', 'peak-power', h('p', { class: 'muted' }, 'Highest summed active power in a 15-minute bucket; the mark is the grid limit'), list);
	}

	function tops(util) {
		const table = (rows, testid) =>
			rows.length
				? h(
						'table',
						{ class: 'table compact', dataset: { testid } },
						h('thead', null, h('tr', null, ['Charger', 'Site', 'Utilisation', 'Sessions'].map((t) => h('th', null, t)))),
						h(
							'tbody',
							null,
							rows.map((r) => h('tr', null, h('td', null, h('a', { href: `#/chargers/${encodeURIComponent(r.charger)}` }, r.charger)), h('td', null, siteName(r.site_id)), h('td', { class: 'num' }, fmtPct(r.utilisation)), h('td', { class: 'num' }, String(r.sessions)))),
						),
					)
				: h('p', { class: 'empty' }, 'No chargers.');
		return card('Top busy and idle chargers', 'tops', h('h3', null, 'Busiest'), table(util.top_busy || [], 'top-busy'), h('h3', null, 'Most idle'), table(util.top_idle || [], 'top-idle'));
	}

	const off = fleet.onChange((ids) => {
		if (ids === null) fillSites();
	});
	load();
	return () => {
		gen++;
		off();
	};
}
