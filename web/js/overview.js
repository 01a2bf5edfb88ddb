// Fleet overview (#/): counts per state, live fleet power, filters, and every charger in a
// virtualised list grouped by site. Live events patch the shared Fleet model; this view
// recomputes its row list (one linear pass) and refreshes only the rows in view, at most
// once per animation frame.

import { h, clear, fmtAgo, fmtPower } from './dom.js';
import { STATES } from './fleet.js';
import { VirtualList } from './vlist.js';

const ROW_HEIGHT = 44;
const NO_SITE = '\u0000none';
const STATE_LABEL = {
	available: 'Available',
	charging: 'Charging',
	faulted: 'Faulted',
	offline: 'Offline',
	unavailable: 'Unavailable',
	reserved: 'Reserved',
	unknown: 'No status',
};

const modelOf = (c) => [c.vendor, c.model].filter(Boolean).join(' ') || '';

/* opts.site: start filtered to that site (the site map links here with #/?site=ID). */
export function renderOverview(root, fleet, opts = {}) {
	const filters = { q: '', site: opts.site || '', state: '', model: '' };

	const countEls = {};
	const countCards = STATES.map((s) => {
		countEls[s] = h('span', { class: 'count-value', dataset: { count: s } }, '0');
		const card = h(
			'button',
			{ type: 'button', class: `count-card state-${s}`, dataset: { stateFilter: s }, title: `Show only ${STATE_LABEL[s].toLowerCase()} chargers` },
			countEls[s],
			h('span', { class: 'count-label' }, STATE_LABEL[s]),
		);
		card.addEventListener('click', () => {
			filters.state = filters.state === s ? '' : s;
			stateSelect.value = filters.state;
			refresh(null);
		});
		return card;
	});
	const totalEl = h('span', { class: 'count-value', dataset: { count: 'total' } }, '0');
	const powerEl = h('span', { class: 'count-value', dataset: { testid: 'fleet-power' } }, '—');
	const powerNote = h('span', { class: 'count-label' }, 'Live power');

	const search = h('input', { type: 'search', placeholder: 'Search charger id', 'aria-label': 'Search charger id', dataset: { filter: 'q' } });
	const siteSelect = h('select', { 'aria-label': 'Site', dataset: { filter: 'site' } });
	const stateSelect = h(
		'select',
		{ 'aria-label': 'State', dataset: { filter: 'state' } },
		h('option', { value: '' }, 'All states'),
		STATES.map((s) => h('option', { value: s }, STATE_LABEL[s])),
	);
	const modelSelect = h('select', { 'aria-label': 'Vendor and model', dataset: { filter: 'model' } });
	search.addEventListener('input', () => {
		filters.q = search.value.trim().toLowerCase();
		refresh(null);
	});
	for (const [el, key] of [
		[siteSelect, 'site'],
		[stateSelect, 'state'],
		[modelSelect, 'model'],
	])
		el.addEventListener('change', () => {
			filters[key] = el.value;
			refresh(null);
		});

	const shown = h('span', { class: 'muted', dataset: { testid: 'shown' } });
	const box = h('div', { class: 'vlist', role: 'list', 'aria-label': 'Chargers' });
	const empty = h('p', { class: 'empty', hidden: true });

	clear(root).appendChild(
		h(
			'section',
			{ class: 'overview' },
			h(
				'div',
				{ class: 'counts' },
				h('div', { class: 'count-card total' }, totalEl, h('span', { class: 'count-label' }, 'Chargers')),
				countCards,
				h('div', { class: 'count-card power', title: 'Sum of the latest Power.Active.Import sample of every connector, from live meter events' }, powerEl, powerNote),
			),
			h('div', { class: 'filters' }, search, siteSelect, stateSelect, modelSelect, shown),
			empty,
			box,
		),
	);

	/* Pooled row: the same element shows a site header or a charger. */
	function createRow() {
		const el = h('div', { role: 'listitem' });
		el._dot = h('span', { class: 'dot' });
		el._link = h('a', { class: 'cid' });
		el._title = h('span', { class: 'site-title' });
		el._state = h('span', { class: 'state-text' });
		el._conns = h('span', { class: 'conns' });
		el._model = h('span', { class: 'model' });
		el._power = h('span', { class: 'power num' });
		el._seen = h('span', { class: 'seen' });
		el.append(el._dot, el._link, el._title, el._state, el._conns, el._model, el._power, el._seen);
		return el;
	}

	function renderRow(el, row) {
		if (row.kind === 'site') {
			el.className = 'vlist-row site-row';
			delete el.dataset.chargerId;
			delete el.dataset.state;
			el.dataset.siteId = row.id;
			el._link.hidden = true;
			el._title.hidden = false;
			el._title.textContent = row.name;
			el._state.textContent = `${row.count} charger${row.count === 1 ? '' : 's'}`;
			clear(el._conns);
			for (const s of STATES) if (row.counts[s]) el._conns.appendChild(h('span', { class: `pill state-${s}`, title: STATE_LABEL[s] }, `${row.counts[s]} ${STATE_LABEL[s].toLowerCase()}`));
			el._model.textContent = '';
			el._power.textContent = row.power === null ? '' : fmtPower(row.power);
			el._seen.textContent = '';
			return;
		}
		const c = row.c;
		el.className = `vlist-row charger-row state-${c.state}`;
		delete el.dataset.siteId;
		el.dataset.chargerId = c.id;
		el.dataset.state = c.state;
		el._link.hidden = false;
		el._title.hidden = true;
		el._link.textContent = c.id;
		el._link.href = `#/chargers/${encodeURIComponent(c.id)}`;
		el._state.textContent = STATE_LABEL[c.state];
		clear(el._conns);
		for (const k of c.connectors) {
			if (k.connector_id === 0) continue;
			el._conns.appendChild(h('span', { class: `conn st-${(k.status || 'none').toLowerCase()}`, title: `Connector ${k.connector_id}: ${k.status || 'no status'}${k.error_code && k.error_code !== 'NoError' ? ' (' + k.error_code + ')' : ''}` }, String(k.connector_id)));
		}
		el._model.textContent = modelOf(c);
		const p = fleet.chargerPower(c.id);
		el._power.textContent = p === null ? '' : fmtPower(p);
		el._seen.textContent = c.online ? '' : c.last_seen ? `seen ${fmtAgo(c.last_seen)}` : 'never connected';
	}

	const list = new VirtualList(box, { rowHeight: ROW_HEIGHT, createRow, renderRow });

	let sorted = [];
	function resort() {
		const siteName = (c) => (c.site_id ? (fleet.sites.get(c.site_id) || { name: c.site_id }).name || c.site_id : '\uffff');
		sorted = [...fleet.chargers.values()].sort((a, b) => {
			const sa = siteName(a);
			const sb = siteName(b);
			if (sa !== sb) return sa < sb ? -1 : 1;
			return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
		});
		// Filter options from what exists.
		const keepSite = filters.site;
		clear(siteSelect).appendChild(h('option', { value: '' }, 'All sites'));
		const siteIds = new Set([...fleet.sites.keys()]);
		for (const c of sorted) if (c.site_id) siteIds.add(c.site_id);
		for (const id of [...siteIds].sort()) siteSelect.appendChild(h('option', { value: id }, (fleet.sites.get(id) || {}).name || id));
		if ([...fleet.chargers.values()].some((c) => !c.site_id)) siteSelect.appendChild(h('option', { value: NO_SITE }, 'No site'));
		siteSelect.value = keepSite;
		const keepModel = modelSelect.value;
		clear(modelSelect).appendChild(h('option', { value: '' }, 'All vendors and models'));
		for (const m of [...new Set(sorted.map(modelOf))].sort()) modelSelect.appendChild(h('option', { value: m }, m || 'Unknown (no boot yet)'));
		modelSelect.value = keepModel;
	}

	/* One linear pass: filtered rows grouped by site, with a header row per group. */
	function buildRows() {
		const rows = [];
		let group = null;
		for (const c of sorted) {
			if (filters.q && !c.id.toLowerCase().includes(filters.q)) continue;
			if (filters.site && (filters.site === NO_SITE ? c.site_id : c.site_id !== filters.site)) continue;
			if (filters.state && c.state !== filters.state) continue;
			if (filters.model && modelOf(c) !== filters.model) continue;
			const gid = c.site_id || NO_SITE;
			if (!group || group.id !== gid) {
				const site = c.site_id ? fleet.sites.get(c.site_id) : null;
				group = { kind: 'site', id: gid, name: c.site_id ? (site && site.name) || c.site_id : 'No site', count: 0, counts: {}, power: null };
				rows.push(group);
			}
			group.count += 1;
			group.counts[c.state] = (group.counts[c.state] || 0) + 1;
			const p = fleet.chargerPower(c.id);
			if (p !== null) group.power = (group.power || 0) + p;
			rows.push({ kind: 'charger', c });
		}
		return rows;
	}

	function refresh(ids) {
		if (ids === null) resort();
		const n = fleet.counts();
		for (const s of STATES) {
			countEls[s].textContent = String(n[s]);
			countCards[STATES.indexOf(s)].classList.toggle('active', filters.state === s);
			countCards[STATES.indexOf(s)].hidden = s === 'unknown' && n[s] === 0;
		}
		totalEl.textContent = String(fleet.chargers.size);
		powerEl.textContent = fleet.powerSeen ? fmtPower(fleet.totalPower()) : '—';
		powerNote.textContent = fleet.powerSeen ? 'Live power' : 'Live power · no samples yet';
		const rows = buildRows();
		const matched = rows.reduce((a, r) => a + (r.kind === 'charger' ? 1 : 0), 0);
		shown.textContent = `${matched} of ${fleet.chargers.size} shown`;
		empty.hidden = matched > 0;
		empty.classList.toggle('error', !!fleet.loadError);
		if (fleet.loadError) empty.hidden = false;
		empty.textContent = fleet.loadError ? `Could not load the fleet: ${fleet.loadError.message}` : fleet.chargers.size === 0 ? 'No chargers are registered yet. Register one with POST /api/v1/chargers or run the simulator.' : 'No charger matches these filters.';
		list.setRows(rows);
	}

	const off = fleet.onChange(refresh);
	if (fleet.loaded) refresh(null);
	return () => {
		off();
		list.destroy();
	};
}
