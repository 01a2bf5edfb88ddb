// Time-series charts drawn with uPlot, which `make web-vendor` copies from npm into
// /vendor/uplot/ (it is loaded on first use, so the rest of the console works without it).
// Colours come from the theme's CSS custom properties and are read at every draw, so a theme
// change only needs a redraw. Dragging across a chart selects a time window; the owner gets
// it through onZoom and re-queries the data for it instead of stretching what is drawn.

import { fmtTime } from './dom.js';

let loading = null;

/* Resolves to the uPlot constructor; rejects when /vendor/uplot/ is missing. */
export function loadUplot() {
	if (!loading) {
		const link = document.createElement('link');
		link.rel = 'stylesheet';
		link.href = 'vendor/uplot/uPlot.min.css';
		document.head.appendChild(link);
		loading = import('../vendor/uplot/uPlot.esm.js').then((m) => m.default);
		loading.catch(() => {
			loading = null;
			link.remove();
		});
	}
	return loading;
}

export const NO_LIBRARY = 'The chart library is not installed on this server (run make web-vendor).';

/* A CSS custom property of the page's current theme. */
export function cssVar(name) {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/* Series colours, in order; --chart-N are defined per theme in app.css. */
export const seriesColour = (i) => () => cssVar(`--chart-${(i % 6) + 1}`);

const charts = new Set();
/* Redraws every chart on the page (after a theme change). */
export function redrawCharts() {
	for (const c of charts) c.redraw();
}
if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redrawCharts);
window.addEventListener('chargeops:theme', redrawCharts);

function fmtAxis(v) {
	if (v === null || v === undefined) return '';
	const a = Math.abs(v);
	return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/* A time chart in el (emptied). opts: {unit, series: [{label}], height, sync (a key shared
 * by charts whose cursors move together), onZoom(fromMs, toMs), spanGaps}.
 * Returns {u, setData(x, ys, range?), redraw(), destroy()}; x is in ms, ys one array per series
 * (null for "no value at this time"). The uPlot instance is also kept as el._uplot. */
/* Time axis labels in 24-hour local time, with the date when the span needs it. */
function timeLabels(u, splits) {
	const span = u.scales.x.max - u.scales.x.min;
	const p = (n) => String(n).padStart(2, '0');
	return splits.map((v) => {
		const d = new Date(v);
		const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
		if (span <= 180e3) return `${hm}:${p(d.getSeconds())}`;
		if (span <= 36 * 3600e3) return hm;
		if (span <= 8 * 86400e3) return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
		return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
	});
}

export function timeChart(uPlot, el, { unit = '', series, height = 180, sync, onZoom, paths, fromZero = false } = {}) {
	const width = () => Math.max(240, el.clientWidth || 600);
	const axis = () => cssVar('--muted');
	const grid = () => cssVar('--border');
	const opts = {
		width: width(),
		height,
		ms: 1,
		legend: { live: true },
		cursor: {
			drag: { x: true, y: false, setScale: false },
			sync: sync ? { key: sync } : undefined,
		},
		scales: { x: { time: true }, y: fromZero ? { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } : {} },
		axes: [
			{ stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: timeLabels, space: 60 },
			{ stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, size: 52, values: (u, vals) => vals.map(fmtAxis), label: unit, labelSize: 16, labelGap: 0 },
		],
		series: [
			{ label: 'Time', value: (u, v) => (v === null || v === undefined ? '—' : fmtTime(new Date(v).toISOString())) },
			...series.map((s, i) => ({
				label: s.label,
				stroke: seriesColour(s.colour ?? i),
				width: 1.6,
				spanGaps: true,
				points: { show: false },
				paths: paths ? paths(uPlot) : undefined,
				fill: s.fill ? () => cssVar(s.fill) : undefined,
				value: (u, v) => (v === null || v === undefined ? '—' : `${Number(v).toFixed(Math.abs(v) >= 100 ? 0 : 2)} ${unit}`),
			})),
		],
		hooks: {
			setSelect: [
				(u) => {
					if (u.select.width < 4 || !onZoom) return;
					const a = u.posToVal(u.select.left, 'x');
					const b = u.posToVal(u.select.left + u.select.width, 'x');
					u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
					onZoom(Math.round(a), Math.round(b));
				},
			],
		},
	};
	el.replaceChildren();
	const u = new uPlot(opts, [[], ...series.map(() => [])], el);
	el._uplot = u;
	const ro = new ResizeObserver(() => {
		const w = width();
		if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
	});
	ro.observe(el);
	const chart = {
		u,
		/* range: [minMs, maxMs] to show (the queried window), else the data's own extent. */
		setData(x, ys, range) {
			if (range) {
				u.batch(() => {
					u.setData([x, ...ys], false);
					u.setScale('x', { min: range[0], max: range[1] });
				});
			} else {
				u.setData([x, ...ys]);
			}
			el.dataset.points = String(x.length);
		},
		redraw() {
			u.redraw(false, true);
		},
		destroy() {
			ro.disconnect();
			charts.delete(chart);
			u.destroy();
		},
	};
	charts.add(chart);
	return chart;
}

/* Merges per-series point lists [{t, v}] (each sorted by t) into uPlot's aligned columns. */
export function align(lists) {
	const times = new Set();
	for (const l of lists) for (const p of l) times.add(p.t);
	const x = [...times].sort((a, b) => a - b);
	const index = new Map(x.map((t, i) => [t, i]));
	const ys = lists.map((l) => {
		const y = new Array(x.length).fill(null);
		for (const p of l) y[index.get(p.t)] = p.v;
		return y;
	});
	return { x, ys };
}
