// Site map (#/sites): every site with coordinates placed on a schematic plane (no map tiles:
// the bounding box of the sites, equirectangular, scaled to the drawing), each drawn as a
// ring split by the states of its chargers, with its live load against its grid limit as a
// bar. The same figures are listed as cards below, with the sites that have no coordinates.
// Counts and load come from the shared fleet model (REST plus live events); clicking a
// site opens the fleet overview filtered to it.

import { h, svg, clear, fmtPower } from './dom.js';
import { STATES } from './fleet.js';

/* Drawing size in SVG units: the wide one for a desktop, a squarer one for a phone so the
 * labels keep a readable size when the drawing is scaled to the screen. */
const WIDE = { W: 1000, H: 560, PAD: 90 };
const NARROW = { W: 520, H: 480, PAD: 70 };
/* A marker's ring reaches 30 units above its point, its labels 80 below. */
const ABOVE = 40;
const BELOW = 90;
const STATE_LABEL = { available: 'available', charging: 'charging', faulted: 'faulted', offline: 'offline', unavailable: 'unavailable', reserved: 'reserved', unknown: 'no status' };

/* Per site: counts by state, charger total and live load (W, null with no sample). */
export function siteSummaries(fleet) {
	const out = new Map();
	for (const s of fleet.sites.values()) out.set(s.id, { site: s, counts: {}, total: 0, load: null });
	for (const c of fleet.chargers.values()) {
		const r = c.site_id && out.get(c.site_id);
		if (!r) continue;
		r.total += 1;
		r.counts[c.state] = (r.counts[c.state] || 0) + 1;
		const p = fleet.chargerPower(c.id);
		if (p !== null) r.load = (r.load || 0) + p;
	}
	return out;
}

/* Load as a fraction of the grid limit, null without a limit. */
const loadShare = (r) => (r.site.grid_limit_kw > 0 ? (r.load || 0) / (r.site.grid_limit_kw * 1000) : null);
const loadClass = (x) => (x === null ? 'load-none' : x >= 1 ? 'load-over' : x >= 0.8 ? 'load-high' : 'load-ok');
const loadText = (r) => `${r.load === null ? '0 kW' : fmtPower(r.load)}${r.site.grid_limit_kw > 0 ? ` of ${r.site.grid_limit_kw} kW` : ' (no grid limit)'}`;

/* A ring of radius r split by state counts, as SVG paths. */
function ring(cx, cy, r, counts, total) {
	const g = svg('g', { class: 'ring' });
	if (!total) {
		g.appendChild(svg('circle', { cx, cy, r, class: 'ring-empty' }));
		return g;
	}
	let a = -Math.PI / 2;
	for (const s of STATES) {
		const n = counts[s] || 0;
		if (!n) continue;
		if (n === total) {
			g.appendChild(svg('circle', { cx, cy, r, class: `ring-seg state-${s}` }));
			break;
		}
		const b = a + (n / total) * 2 * Math.PI;
		const large = b - a > Math.PI ? 1 : 0;
		const p = (t) => `${(cx + r * Math.cos(t)).toFixed(2)} ${(cy + r * Math.sin(t)).toFixed(2)}`;
		g.appendChild(svg('path', { d: `M ${p(a)} A ${r} ${r} 0 ${large} 1 ${p(b)}`, class: `ring-seg state-${s}` }));
		a = b;
	}
	return g;
}

export function renderSites(root, fleet) {
	const plane = h('div', { class: 'card site-plane' });
	const cards = h('div', { class: 'site-cards' });
	const note = h('p', { class: 'muted' });
	clear(root).appendChild(
		h(
			'section',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('h1', null, 'Sites'), note),
			plane,
			cards,
		),
	);
	const open = (id) => {
		location.hash = `#/?site=${encodeURIComponent(id)}`;
	};

	function draw() {
		const sums = siteSummaries(fleet);
		const all = [...sums.values()].sort((a, b) => (a.site.name || a.site.id).localeCompare(b.site.name || b.site.id));
		const placed = all.filter((r) => Number.isFinite(r.site.latitude) && Number.isFinite(r.site.longitude));
		note.textContent = fleet.loaded ? `${all.length} site${all.length === 1 ? '' : 's'}, ${placed.length} with coordinates · load is the sum of the latest live power samples` : 'Loading…';
		clear(plane);
		if (!fleet.loaded) return;
		if (!placed.length) {
			plane.appendChild(h('p', { class: 'empty' }, all.length ? 'No site has coordinates (latitude and longitude) yet; set them with PATCH /api/v1/sites/{id}.' : 'No sites yet. Create one with POST /api/v1/sites.'));
		} else {
			const { W, H, PAD } = plane.clientWidth && plane.clientWidth < 640 ? NARROW : WIDE;
			// Equirectangular: longitude shrinks by cos(latitude), then the box is fitted.
			const k = Math.cos((placed.reduce((a, r) => a + r.site.latitude, 0) / placed.length) * (Math.PI / 180));
			const xs = placed.map((r) => r.site.longitude * k);
			const ys = placed.map((r) => r.site.latitude);
			const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
			const span = Math.max(x1 - x0, y1 - y0, 1e-9);
			const scale = Math.min((W - 2 * PAD) / Math.max(x1 - x0, span * 1e-3), (H - ABOVE - BELOW) / Math.max(y1 - y0, span * 1e-3));
			const px = (r) => W / 2 + (r.site.longitude * k - (x0 + x1) / 2) * scale;
			const py = (r) => ABOVE + (H - ABOVE - BELOW) / 2 - (r.site.latitude - (y0 + y1) / 2) * scale;
			const map = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plane', role: 'img', 'aria-label': 'Sites by location' });
			for (let i = 1; i < 4; i++) {
				map.appendChild(svg('line', { x1: (W * i) / 4, y1: 0, x2: (W * i) / 4, y2: H, class: 'grid-line' }));
				map.appendChild(svg('line', { x1: 0, y1: (H * i) / 4, x2: W, y2: (H * i) / 4, class: 'grid-line' }));
			}
			for (const r of placed) {
				const x = px(r);
				const y = py(r);
				const share = loadShare(r);
				const bw = 110;
				const g = svg(
					'g',
					{ class: 'site-marker', tabindex: 0, role: 'link', dataset: { site: r.site.id }, 'aria-label': `${r.site.name || r.site.id}: ${r.total} chargers, ${loadText(r)}` },
					svg('title', { text: `${r.site.name || r.site.id}\n${STATES.filter((s) => r.counts[s]).map((s) => `${r.counts[s]} ${STATE_LABEL[s]}`).join(', ') || 'no chargers'}\nload ${loadText(r)}` }),
					ring(x, y, 22, r.counts, r.total),
					svg('text', { x, y: y + 5, class: 'ring-count', 'text-anchor': 'middle', text: String(r.total) }),
					svg('text', { x, y: y + 44, class: 'site-name', 'text-anchor': 'middle', text: r.site.name || r.site.id }),
					svg('rect', { x: x - bw / 2, y: y + 52, width: bw, height: 7, rx: 3, class: 'bar-bg' }),
					svg('rect', { x: x - bw / 2, y: y + 52, width: Math.max(0, Math.min(1, share || 0)) * bw, height: 7, rx: 3, class: `bar-fill ${loadClass(share)}` }),
					svg('text', { x, y: y + 74, class: 'site-load', 'text-anchor': 'middle', text: loadText(r) }),
				);
				g.addEventListener('click', () => open(r.site.id));
				g.addEventListener('keydown', (e) => {
					if (e.key === 'Enter' || e.key === ' ') open(r.site.id);
				});
				map.appendChild(g);
			}
			plane.appendChild(map);
			plane.appendChild(
				h(
					'div',
					{ class: 'legend' },
					STATES.filter((s) => s !== 'unknown').map((s) => h('span', { class: `legend-item state-${s}` }, h('span', { class: 'swatch' }), STATE_LABEL[s])),
					h('span', { class: 'legend-item' }, h('span', { class: 'swatch load-ok' }), 'load < 80 %'),
					h('span', { class: 'legend-item' }, h('span', { class: 'swatch load-high' }), '≥ 80 %'),
					h('span', { class: 'legend-item' }, h('span', { class: 'swatch load-over' }), '≥ grid limit'),
				),
			);
		}
		clear(cards);
		for (const r of all) {
			const share = loadShare(r);
			const bar = h('span', { class: `bar-fill ${loadClass(share)}` });
			bar.style.width = `${Math.min(100, (share || 0) * 100)}%`;
			const card = h(
				'button',
				{ type: 'button', class: 'card site-card', dataset: { siteCard: r.site.id } },
				h('span', { class: 'site-card-name' }, r.site.name || r.site.id),
				h('span', { class: 'muted' }, `${r.total} charger${r.total === 1 ? '' : 's'}${Number.isFinite(r.site.latitude) ? '' : ' · no coordinates'}`),
				h(
					'span',
					{ class: 'pills', dataset: { testid: 'site-counts' } },
					STATES.filter((s) => r.counts[s]).map((s) => h('span', { class: `pill state-${s}`, dataset: { state: s, n: r.counts[s] } }, `${r.counts[s]} ${STATE_LABEL[s]}`)),
				),
				h('span', { class: 'bar', title: 'Live load against the grid limit' }, bar),
				h('span', { class: 'site-load-text', dataset: { testid: 'site-load' } }, loadText(r) + (share === null ? '' : ` · ${Math.round(share * 100)} %`)),
			);
			card.addEventListener('click', () => open(r.site.id));
			cards.appendChild(card);
		}
	}

	// Redrawn at most twice a second: a busy fleet sends many meter events.
	let timer = 0;
	const off = fleet.onChange(() => {
		if (!timer)
			timer = setTimeout(() => {
				timer = 0;
				draw();
			}, 500);
	});
	draw();
	return () => {
		off();
		clearTimeout(timer);
	};
}
