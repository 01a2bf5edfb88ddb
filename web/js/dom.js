// Small DOM helpers. Every string reaches the page through textContent or an attribute
// setter, never through innerHTML, so text from chargers and the API cannot become markup.

/* h('div', {class: 'x', dataset: {id: 1}, onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === undefined || v === null || v === false) continue;
			if (k === 'class') el.className = v;
			else if (k === 'dataset') Object.assign(el.dataset, v);
			else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
			else if (k === 'text') el.textContent = v;
			else if (k in el && typeof v !== 'string') el[k] = v;
			else el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === undefined || c === null || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
}

export function clear(el) {
	while (el.firstChild) el.removeChild(el.firstChild);
	return el;
}

/* "2026-11-23T10:00:00.000Z" -> local "2026-11-23 11:00:00"; '—' for null. */
export function fmtTime(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return String(iso);
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/* Time since iso, short: "12 s", "5 min", "3 h", "2 d". */
export function fmtAgo(iso, now = Date.now()) {
	if (!iso) return '—';
	const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
	if (s < 60) return `${Math.round(s)} s ago`;
	if (s < 3600) return `${Math.round(s / 60)} min ago`;
	if (s < 86400) return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86400)} d ago`;
}

/* Watts -> "11.0 kW" / "850 W" / "1.25 MW". */
export function fmtPower(w) {
	if (w === null || w === undefined || Number.isNaN(w)) return '—';
	const a = Math.abs(w);
	if (a >= 1e6) return `${(w / 1e6).toFixed(2)} MW`;
	if (a >= 1e3) return `${(w / 1e3).toFixed(1)} kW`;
	return `${Math.round(w)} W`;
}

/* Wh -> "12.345 kWh". */
export function fmtEnergy(wh) {
	if (wh === null || wh === undefined) return '—';
	return `${(wh / 1000).toFixed(3)} kWh`;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/* svg('rect', {x: 1, class: 'c'}, children...): like h() for SVG elements (attributes only). */
export function svg(tag, attrs, ...children) {
	const el = document.createElementNS(SVG_NS, tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'dataset') Object.assign(el.dataset, v);
		else if (k === 'text') el.textContent = v;
		else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else el.setAttribute(k, String(v));
	}
	append(el, children);
	return el;
}

/* Minutes -> "45 min" / "2 h 05 min". */
export function fmtMinutes(min) {
	if (min === null || min === undefined || Number.isNaN(min)) return '—';
	if (min < 60) return `${Math.round(min)} min`;
	const hh = Math.floor(min / 60);
	return `${hh} h ${String(Math.round(min - hh * 60)).padStart(2, '0')} min`;
}

/* 0.1234 -> "12.3 %". */
export function fmtPct(x) {
	if (x === null || x === undefined || Number.isNaN(x)) return '—';
	return `${(x * 100).toFixed(1)} %`;
}

/* Parses the query part of a hash route ("#/analytics?from=..&site=.."). */
export function hashParams(hash = location.hash) {
	const i = hash.indexOf('?');
	return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}
