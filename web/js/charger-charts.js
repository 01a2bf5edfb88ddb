// The charts of a charger page: voltage, current, power, temperature (outlet and body) and
// the energy register over a chosen range (1 h, 24 h, 7 d, 30 d). Each line is one
// connector/phase/location the charger reports, read from GET /chargers/{id}/series, which
// buckets the samples on the server (min, max, mean), so 30 days cost as little as an hour.
// Live meter events are appended as they arrive; dragging across a chart zooms every chart
// to that window and re-queries it, so a zoomed day is as precise as the last hour.

import { get } from './api.js';
import { h, clear, fmtTime } from './dom.js';
import { loadUplot, timeChart, align, NO_LIBRARY } from './chart.js';

export const RANGES = [
	{ key: '1h', ms: 3600e3, label: '1 h' },
	{ key: '24h', ms: 86400e3, label: '24 h' },
	{ key: '7d', ms: 7 * 86400e3, label: '7 d' },
	{ key: '30d', ms: 30 * 86400e3, label: '30 d' },
];

const kilo = { W: 1e-3, kW: 1, Wh: 1e-3, kWh: 1 };
const celsius = (v, unit) => (unit === 'Fahrenheit' ? ((v - 32) * 5) / 9 : unit === 'K' ? v - 273.15 : v);

/* One row per chart: the measurand, the unit shown and how a sample's unit converts to it. */
const CHARTS = [
	{ key: 'voltage', title: 'Voltage', measurand: 'Voltage', unit: 'V', conv: (v) => v },
	{ key: 'current', title: 'Current', measurand: 'Current.Import', unit: 'A', conv: (v) => v },
	{ key: 'power', title: 'Active power', measurand: 'Power.Active.Import', unit: 'kW', conv: (v, u) => v * (kilo[u] ?? 1e-3) },
	{ key: 'temperature', title: 'Temperature', measurand: 'Temperature', unit: '°C', conv: celsius },
	{ key: 'energy', title: 'Energy register', measurand: 'Energy.Active.Import.Register', unit: 'kWh', conv: (v, u) => v * (kilo[u] ?? 1e-3) },
];
const BY_MEASURAND = new Map(CHARTS.map((c) => [c.measurand, c]));
/* A sample without a measurand is the energy register (OCPP's default). */
const measurandOf = (s) => s.measurand || 'Energy.Active.Import.Register';

export function chargerCharts(chargerId) {
	const enc = encodeURIComponent(chargerId);
	let range = RANGES[0];
	let zoom = null; // {from, to} in ms while zoomed, else null (live)
	let uPlot = null;
	let closed = false;
	let generation = 0;
	const combos = new Map(CHARTS.map((c) => [c.key, new Map()])); // chart -> key -> {connector, phase, location}
	const state = new Map(); // chart key -> {chart, keys, x, ys}

	const rangeButtons = RANGES.map((r) => {
		const b = h('button', { type: 'button', class: 'seg-btn', dataset: { range: r.key } }, r.label);
		b.addEventListener('click', () => {
			range = r;
			zoom = null;
			load();
		});
		return b;
	});
	const zoomNote = h('span', { class: 'muted', dataset: { testid: 'zoom-note' } });
	const liveBtn = h('button', { type: 'button', hidden: true, dataset: { testid: 'zoom-reset' } }, 'Back to live');
	liveBtn.addEventListener('click', () => {
		zoom = null;
		load();
	});
	const message = h('p', { class: 'empty', hidden: true });
	const boxes = new Map();
	const cards = CHARTS.map((c) => {
		const el = h('div', { class: 'chart', dataset: { chart: c.key } });
		const empty = h('p', { class: 'empty', hidden: true });
		boxes.set(c.key, { el, empty });
		return h('div', { class: 'chart-card' }, h('h3', null, `${c.title} (${c.unit})`), el, empty);
	});
	const el = h(
		'div',
		{ class: 'charts', dataset: { testid: 'charts' } },
		h('div', { class: 'chart-tools' }, h('div', { class: 'segmented', role: 'group', 'aria-label': 'Range' }, rangeButtons), zoomNote, liveBtn, h('span', { class: 'muted hint' }, 'Drag across a chart to zoom.')),
		message,
		h('div', { class: 'chart-grid' }, cards),
	);

	const comboKey = (c) => `${c.connector}|${c.phase || ''}|${c.location || 'Outlet'}`;

	/* Adds the connector/phase/location lines seen in samples; true when one is new. */
	function discover(samples) {
		let added = false;
		for (const s of samples) {
			const def = BY_MEASURAND.get(measurandOf(s));
			if (!def) continue;
			const m = combos.get(def.key);
			const c = { connector: s.connector, phase: s.phase || null, location: s.location || 'Outlet' };
			const k = comboKey(c);
			if (!m.has(k)) {
				m.set(k, c);
				added = true;
			}
		}
		return added;
	}

	function label(def, c, all) {
		const connectors = new Set(all.map((x) => x.connector));
		const locations = new Set(all.map((x) => x.location));
		const parts = [];
		if (connectors.size > 1) parts.push(c.connector === 0 ? 'Charger' : `C${c.connector}`);
		if (c.phase) parts.push(c.phase);
		if (locations.size > 1 || def.key === 'temperature') parts.push(c.location);
		return parts.join(' ') || def.title;
	}

	function window_() {
		if (zoom) return zoom;
		const to = Date.now() + 1000;
		return { from: to - range.ms, to };
	}

	async function load() {
		const gen = ++generation;
		for (const b of rangeButtons) b.classList.toggle('active', !zoom && b.dataset.range === range.key);
		liveBtn.hidden = !zoom;
		zoomNote.textContent = zoom ? `${fmtTime(new Date(zoom.from).toISOString())} – ${fmtTime(new Date(zoom.to).toISOString())}` : `last ${range.label}, live`;
		if (!uPlot) {
			try {
				uPlot = await loadUplot();
			} catch {
				message.hidden = false;
				message.textContent = NO_LIBRARY;
				return;
			}
		}
		if (closed || gen !== generation) return;
		const win = window_();
		el.dataset.loading = 'yes';
		const points = Math.min(1000, Math.max(60, Math.round(el.clientWidth / (window.innerWidth < 700 ? 1 : 2)) || 300));
		await Promise.all(
			CHARTS.map(async (def) => {
				const box = boxes.get(def.key);
				const list = [...combos.get(def.key).values()].sort((a, b) => a.connector - b.connector || String(a.phase).localeCompare(String(b.phase)) || a.location.localeCompare(b.location));
				if (!list.length) {
					drop(def.key);
					box.el.hidden = true;
					box.empty.hidden = false;
					box.empty.textContent = `This charger has not reported ${def.measurand} yet.`;
					return;
				}
				let results;
				try {
					results = await Promise.all(
						list.map((c) =>
							get(`/chargers/${enc}/series`, {
								measurand: def.measurand,
								phase: c.phase || 'none',
								location: c.location,
								connector: c.connector,
								from: new Date(win.from).toISOString(),
								to: new Date(win.to).toISOString(),
								points,
							}),
						),
					);
				} catch (e) {
					if (closed || gen !== generation) return;
					box.el.hidden = true;
					box.empty.hidden = false;
					box.empty.textContent = `Could not load the series: ${e.message}`;
					return;
				}
				if (closed || gen !== generation) return;
				const lists = results.map((r) => r.points.map((p) => ({ t: new Date(p.time).getTime() + r.bucket_ms / 2, v: def.conv(p.avg, r.unit) })));
				const { x, ys } = align(lists);
				const keys = list.map(comboKey);
				let st = state.get(def.key);
				if (!st || st.keys.join() !== keys.join()) {
					drop(def.key);
					box.el.hidden = false;
					const chart = timeChart(uPlot, box.el, { unit: def.unit, series: list.map((c) => ({ label: label(def, c, list) })), sync: `charger-${chargerId}`, onZoom, fromZero: def.key === 'power' || def.key === 'current' });
					st = { chart, keys };
					state.set(def.key, st);
				}
				st.x = x;
				st.ys = ys;
				st.units = results.map((r) => r.unit);
				st.chart.setData(x, ys, [win.from, win.to]);
				box.el.hidden = false;
				box.el.dataset.samples = String(results.reduce((a, r) => a + r.points.reduce((b, p) => b + p.n, 0), 0));
				const empty = x.length === 0;
				box.empty.hidden = !empty;
				box.empty.textContent = empty ? `No ${def.measurand} samples in this window.` : '';
			}),
		);
		if (gen !== generation) return;
		delete el.dataset.loading;
		el.dataset.window = `${new Date(win.from).toISOString()}/${new Date(win.to).toISOString()}`;
	}

	function drop(key) {
		const st = state.get(key);
		if (st) st.chart.destroy();
		state.delete(key);
	}

	function onZoom(from, to) {
		if (to - from < 2000) to = from + 2000;
		zoom = { from, to };
		load();
	}

	/* A live `meter` event of this charger: a new line reloads, else the values are appended. */
	function onMeter(d) {
		const samples = (d.samples || []).map((s) => ({ ...s, connector: d.connector }));
		if (discover(samples)) {
			if (!zoom) load();
			return;
		}
		if (zoom || !uPlot) return;
		const t = new Date(d.time).getTime();
		const from = Date.now() - range.ms;
		for (const def of CHARTS) {
			const st = state.get(def.key);
			if (!st) continue;
			let touched = false;
			const row = st.keys.map(() => null);
			for (const s of samples) {
				if (measurandOf(s) !== def.measurand) continue;
				const i = st.keys.indexOf(comboKey({ connector: s.connector, phase: s.phase || null, location: s.location || 'Outlet' }));
				const v = Number(s.value);
				if (i < 0 || !Number.isFinite(v)) continue;
				row[i] = def.conv(v, s.unit);
				touched = true;
			}
			if (!touched || (st.x.length && t < st.x[st.x.length - 1])) continue;
			st.x.push(t);
			row.forEach((v, i) => st.ys[i].push(v));
			let cut = 0;
			while (cut < st.x.length && st.x[cut] < from) cut++;
			if (cut) {
				st.x.splice(0, cut);
				for (const y of st.ys) y.splice(0, cut);
			}
			st.chart.setData(st.x, st.ys, [from, Math.max(Date.now(), t)]);
			boxes.get(def.key).empty.hidden = true;
		}
	}

	return {
		el,
		/* samples: [{connector, measurand, phase, location}] from the REST API. */
		start(samples) {
			discover(samples);
			return load();
		},
		onMeter,
		destroy() {
			closed = true;
			for (const k of [...state.keys()]) drop(k);
		},
	};
}
