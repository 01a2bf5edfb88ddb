// Reliability (#/reliability?month=YYYY-MM&site=ID): the regulators' uptime figures for a
// month, all computed by the server (/api/v1/reliability/..., see docs/reliability.md):
// the network figure (NEVI rolling 12 months and the month, CEC, UK rapid network, MTBF,
// MTTR and charge success), a table per site and per port, and the network's uptime per
// month over the last year drawn with uPlot. Percentages are shown as the API rounds them
// (half-up to 4 decimals); nothing is recomputed here.

import { get, getToken } from './api.js';
import { h, clear, fmtMinutes, hashParams } from './dom.js';
import { loadUplot, timeChart, NO_LIBRARY } from './chart.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(4)} %`);
const num = (v) => (v === null || v === undefined ? '—' : String(Math.round(v * 100) / 100));

/* "YYYY-MM" of the month before now (the last complete month), in UTC. */
function lastMonth() {
	const d = new Date();
	d.setUTCDate(1);
	d.setUTCMonth(d.getUTCMonth() - 1);
	return d.toISOString().slice(0, 7);
}

/* The 12 months ending with month, oldest first. */
function monthsBack(month) {
	const [y, m] = month.split('-').map(Number);
	const out = [];
	for (let i = 11; i >= 0; i--) {
		const d = new Date(Date.UTC(y, m - 1 - i, 1));
		out.push(d.toISOString().slice(0, 7));
	}
	return out;
}

function figure(label, value, testid, hint) {
	return h('div', { class: 'count-card', title: hint || '' }, h('span', { class: 'count-value', dataset: { figure: testid } }, value), h('span', { class: 'count-label' }, label));
}

function networkCard(item) {
	if (!item) return h('section', { class: 'card', dataset: { testid: 'rel-network' } }, h('h2', null, 'Network'), h('p', { class: 'muted' }, 'No ports have reported yet.'));
	return h(
		'section',
		{ class: 'card', dataset: { testid: 'rel-network' } },
		h('h2', null, `Network · ${item.ports} port${item.ports === 1 ? '' : 's'}`),
		h(
			'div',
			{ class: 'counts' },
			figure('NEVI uptime, previous 12 months', pct(item.nevi_rolling_12m?.annual_pct), 'nevi-annual', '(525,600 − (outage − excluded)) / 525,600 per port, averaged'),
			figure('NEVI uptime, this month', pct(item.nevi?.period_pct), 'nevi-period'),
			figure('CEC uptime, this month', pct(item.cec?.period_pct), 'cec-period'),
			figure('UK rapid reliability', item.uk ? pct(item.uk.pct) : 'no rapid ports', 'uk-pct', 'time-weighted over open hours of ≥ 50 kW ports'),
			figure('MTBF', fmtMinutes(item.mtbf_min), 'mtbf'),
			figure('MTTR', fmtMinutes(item.mttr_min), 'mttr'),
			figure('First-time charge success', pct(item.ftcsr_pct), 'ftcsr'),
			figure('Charge attempt success', pct(item.attempt_success_pct), 'attempt-success'),
		),
		h('p', { class: 'muted' }, `${item.failures} failures (${item.open_failures} still open) · ${item.plug_ins} plug-ins, ${item.attempts} attempts · ${num(item.nevi?.outage_min)} min outage, ${num(item.nevi?.excluded_min)} min excluded (NEVI)`),
	);
}

function table(testid, head, rows) {
	return h('table', { class: 'table compact', dataset: { testid } }, h('thead', null, h('tr', null, ...head.map((x) => h('th', null, x)))), h('tbody', null, ...rows));
}

function siteRows(items) {
	return items.map((s) => h('tr', { dataset: { site: s.site_id || '' } }, h('td', null, s.site_id || '(no site)'), h('td', { class: 'num' }, String(s.ports)), h('td', { class: 'num' }, pct(s.nevi_rolling_12m?.annual_pct)), h('td', { class: 'num' }, pct(s.nevi?.period_pct)), h('td', { class: 'num' }, pct(s.cec?.period_pct)), h('td', { class: 'num' }, s.uk ? pct(s.uk.pct) : '—'), h('td', { class: 'num' }, String(s.failures)), h('td', { class: 'num' }, fmtMinutes(s.mttr_min))));
}

function portRows(items) {
	return items.map((p) =>
		h(
			'tr',
			{ dataset: { port: `${p.charger_id}/${p.connector_id}` } },
			h('td', null, h('a', { href: `#/chargers/${encodeURIComponent(p.charger_id)}` }, p.charger_id)),
			h('td', { class: 'num' }, String(p.connector_id)),
			h('td', { class: 'num' }, num(p.nevi?.outage_min)),
			h('td', { class: 'num' }, num(p.nevi?.excluded_min)),
			h('td', { class: 'num' }, pct(p.nevi_rolling_12m?.annual_pct)),
			h('td', { class: 'num' }, pct(p.nevi?.period_pct)),
			h('td', { class: 'num' }, pct(p.cec?.period_pct)),
			h('td', { class: 'num' }, p.uk ? pct(p.uk.pct) : '—'),
			h('td', { class: 'num' }, String(p.failures)),
			h('td', { class: 'num' }, fmtMinutes(p.mtbf_min)),
			h('td', { class: 'num' }, fmtMinutes(p.mttr_min)),
		),
	);
}

/* Downloads the regulators' per-port CSV of rule for the month (the token goes in a header, so
 * a plain link cannot do it). */
async function downloadCsv(rule, month, site) {
	const q = new URLSearchParams({ month, rule, format: 'csv' });
	if (site) q.set('site_id', site);
	const res = await fetch(`/api/v1/reliability/ports?${q}`, { headers: { authorization: `Bearer ${getToken()}`, accept: 'text/csv' } });
	if (!res.ok) throw new Error(`CSV: HTTP ${res.status}`);
	const url = URL.createObjectURL(await res.blob());
	const a = h('a', { href: url, download: `chargeops-${rule}-${month}${site ? `-${site}` : ''}.csv` });
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function renderReliability(root) {
	const p = hashParams();
	const sel = { month: p.get('month') || lastMonth(), site: p.get('site') || '' };
	let chart = null;
	let gen = 0;
	const monthIn = h('input', { type: 'month', value: sel.month, 'aria-label': 'Month', dataset: { filter: 'month' } });
	const siteSel = h('select', { 'aria-label': 'Site', dataset: { filter: 'site' } }, h('option', { value: '' }, 'All sites'));
	const body = h('div', null);
	const chartEl = h('div', { class: 'chart', dataset: { testid: 'rel-chart' } });
	const chartMsg = h('p', { class: 'muted' });

	function go() {
		const q = new URLSearchParams({ month: sel.month });
		if (sel.site) q.set('site', sel.site);
		history.replaceState(null, '', `#/reliability?${q}`);
		load();
	}
	monthIn.addEventListener('change', () => {
		if (/^\d{4}-\d{2}$/.test(monthIn.value)) {
			sel.month = monthIn.value;
			go();
		}
	});
	siteSel.addEventListener('change', () => {
		sel.site = siteSel.value;
		go();
	});

	async function drawChart(my) {
		const months = monthsBack(sel.month);
		const params = (m) => ({ month: m, ...(sel.site ? { site_id: sel.site } : {}) });
		const results = await Promise.all(months.map((m) => get('/reliability/network', params(m)).catch(() => null)));
		if (my !== gen) return;
		const x = months.map((m) => Date.parse(`${m}-01T00:00:00Z`));
		const series = [
			results.map((r) => r?.items[0]?.nevi?.period_pct ?? null),
			results.map((r) => r?.items[0]?.cec?.period_pct ?? null),
			results.map((r) => r?.items[0]?.uk?.pct ?? null),
		];
		chartEl.dataset.months = String(months.length);
		let uPlot;
		try {
			uPlot = await loadUplot();
		} catch {
			chartMsg.textContent = NO_LIBRARY;
			return;
		}
		if (my !== gen) return;
		if (chart) chart.destroy();
		chart = timeChart(uPlot, chartEl, { unit: '%', series: [{ label: 'NEVI (month)' }, { label: 'CEC' }, { label: 'UK rapid' }] });
		chart.setData(x, series);
	}

	async function load() {
		const my = ++gen;
		const params = { month: sel.month, ...(sel.site ? { site_id: sel.site } : {}) };
		clear(body).appendChild(h('p', { class: 'muted' }, 'Computing…'));
		try {
			const [net, sites, ports] = await Promise.all([get('/reliability/network', params), get('/reliability/sites', params), get('/reliability/ports', params)]);
			if (my !== gen) return;
			clear(body);
			body.append(
				networkCard(net.items[0]),
				h('section', { class: 'card' }, h('h2', null, 'Uptime per month'), chartEl, chartMsg),
				h('section', { class: 'card' }, h('h2', null, 'Sites'), table('rel-sites', ['Site', 'Ports', 'NEVI 12 months', 'NEVI month', 'CEC', 'UK', 'Failures', 'MTTR'], siteRows(sites.items))),
				h('section', { class: 'card' }, h('h2', null, 'Ports'), table('rel-ports', ['Charger', 'Port', 'Outage min', 'Excluded min', 'NEVI 12 months', 'NEVI month', 'CEC', 'UK', 'Failures', 'MTBF', 'MTTR'], portRows(ports.items))),
				...(net.warnings || []).map((w) => h('p', { class: 'error' }, w)),
			);
			drawChart(my);
		} catch (e) {
			if (my !== gen) return;
			clear(body).appendChild(h('p', { class: 'error' }, `Cannot load the reliability report: ${e.message}`));
		}
	}

	const csvMsg = h('span', { class: 'error', 'aria-live': 'polite' });
	const csvButtons = ['nevi', 'cec', 'uk'].map((rule) => {
		const b = h('button', { type: 'button', dataset: { csv: rule } }, `${rule.toUpperCase()} CSV`);
		b.addEventListener('click', () => {
			csvMsg.textContent = '';
			downloadCsv(rule, sel.month, sel.site).catch((e) => (csvMsg.textContent = e.message));
		});
		return b;
	});
	clear(root).appendChild(h('section', { class: 'detail reliability' }, h('div', { class: 'detail-head' }, h('h1', null, 'Reliability')), h('div', { class: 'filters' }, monthIn, siteSel, ...csvButtons, csvMsg), body));
	get('/sites', { limit: 1000 })
		.then((r) => {
			for (const s of r.items) siteSel.appendChild(h('option', { value: s.id }, s.name || s.id));
			siteSel.value = sel.site;
		})
		.catch(() => {});
	load();
	return () => {
		gen++;
		if (chart) chart.destroy();
	};
}
