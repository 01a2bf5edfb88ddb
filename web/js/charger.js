// Charger detail (#/chargers/ID): identity, connectors, latest readings, charts over time
// (charger-charts.js), the status-history timeline, transactions, the raw OCPP frame log
// with search, and (for operator tokens) remote actions whose answers are shown as the
// charger gave them. A live subscription filtered to this charger keeps connectors,
// readings, charts, timeline and transactions current.

import { get, getNewest, command, ApiError } from './api.js';
import { h, clear, fmtTime, fmtAgo, fmtPower, fmtEnergy } from './dom.js';
import { stateOf, powerOfSamples } from './fleet.js';
import { subscribe } from './live.js';
import { chargerCharts } from './charger-charts.js';
import { txTable } from './transactions.js';
import { chargerRisk } from './risk.js';

const TIMELINE_HOURS = 24;

function section(title, ...body) {
	return h('section', { class: 'card' }, h('h2', null, title), ...body);
}

function kv(pairs) {
	return h(
		'dl',
		{ class: 'kv' },
		pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : String(v))]),
	);
}

function errorText(e) {
	if (e instanceof ApiError) return e.message;
	return `request failed: ${e && e.message ? e.message : e}`;
}

export function renderCharger(root, id, { role, setLive }) {
	const enc = encodeURIComponent(id);
	let ch = null;
	let history = [];
	let readings = new Map(); // "connector|measurand|phase" -> {connector, measurand, phase, unit, value, time}
	let closed = false;

	const title = h('h1', null, id);
	const badge = h('span', { class: 'badge', dataset: { testid: 'charger-state' } });
	const identity = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
	const connectors = h('div');
	const readingsBox = h('div');
	const timeline = h('div', { class: 'timeline' });
	const historyList = h('div');
	const txBox = h('div');
	const frameBox = h('div', { class: 'frames' });
	const frameQ = h('input', { type: 'search', placeholder: 'Search frames (exact text, e.g. Faulted or a message id)', 'aria-label': 'Search frames', dataset: { testid: 'frame-search' } });
	const frameDir = h('select', { 'aria-label': 'Direction' }, h('option', { value: '' }, 'Both directions'), h('option', { value: 'in' }, 'Charger → server'), h('option', { value: 'out' }, 'Server → charger'));
	const frameCount = h('span', { class: 'muted' });
	const frameReload = h('button', { type: 'button' }, 'Refresh');

	const actions = role === 'viewer' ? null : actionPanel();
	const charts = chargerCharts(id);

	clear(root).appendChild(
		h(
			'div',
			{ class: 'detail' },
			h('div', { class: 'detail-head' }, h('a', { href: '#/', class: 'back' }, '← Fleet'), title, badge),
			h(
				'div',
				{ class: 'detail-grid' },
				section('Identity', identity),
				section('Connectors', connectors),
				section('Latest readings', readingsBox),
				actions ? section('Remote actions', actions.el) : null,
				section('Failure risk', chargerRisk(id)),
			),
			section('Charts', charts.el),
			section('Status history', timeline, historyList),
			section('Transactions', txBox),
			section('OCPP frame log', h('div', { class: 'filters' }, frameQ, frameDir, frameReload, frameCount), frameBox),
		),
	);

	/* ---------------------------------------------------------------- identity, connectors */
	function renderCharger() {
		if (!ch) return;
		ch.state = stateOf(ch);
		badge.className = `badge state-${ch.state}`;
		badge.textContent = ch.state;
		clear(identity).appendChild(
			kv([
				['Vendor', ch.vendor],
				['Model', ch.model],
				['Serial number', ch.serial_number],
				['Charge box serial', ch.charge_box_serial_number],
				['Firmware', ch.firmware_version],
				['Firmware status', ch.firmware_status],
				['Meter', [ch.meter_type, ch.meter_serial_number].filter(Boolean).join(' · ')],
				['ICCID / IMSI', [ch.iccid, ch.imsi].filter(Boolean).join(' / ')],
				['Site', ch.site_id],
				['Description', ch.description],
				['Connection', ch.online ? 'online' : 'offline'],
				['Last seen', ch.last_seen ? `${fmtTime(ch.last_seen)} (${fmtAgo(ch.last_seen)})` : null],
				['Last boot', fmtTime(ch.last_boot)],
				['Registration', ch.registration],
			]),
		);
		const rows = ch.connectors.map((c) =>
			h(
				'tr',
				{ dataset: { connector: c.connector_id } },
				h('td', null, c.connector_id === 0 ? '0 (charger)' : String(c.connector_id)),
				h('td', null, h('span', { class: `conn-status st-${(c.status || 'none').toLowerCase()}`, dataset: { testid: `connector-status-${c.connector_id}` } }, c.status || '—')),
				h('td', null, c.error_code || '—'),
				h('td', null, [c.info, c.vendor_error_code].filter(Boolean).join(' · ') || ''),
				h('td', null, fmtTime(c.updated_at)),
			),
		);
		clear(connectors).appendChild(
			rows.length
				? h('table', { class: 'table' }, h('thead', null, h('tr', null, ['Connector', 'Status', 'Error', 'Info', 'Since'].map((t) => h('th', null, t)))), h('tbody', null, rows))
				: h('p', { class: 'empty' }, 'This charger has not reported a connector status yet.'),
		);
		if (actions) actions.update();
	}

	function renderReadings() {
		const list = [...readings.values()].sort((a, b) => a.connector - b.connector || a.measurand.localeCompare(b.measurand) || String(a.phase).localeCompare(String(b.phase)));
		clear(readingsBox).appendChild(
			list.length
				? h(
						'table',
						{ class: 'table' },
						h('thead', null, h('tr', null, ['Conn.', 'Measurand', 'Phase', 'Value', 'Time'].map((t) => h('th', null, t)))),
						h(
							'tbody',
							null,
							list.map((r) =>
								h('tr', null, h('td', null, String(r.connector)), h('td', null, r.measurand), h('td', null, r.phase || ''), h('td', { class: 'num' }, `${r.value} ${r.unit || ''}`), h('td', null, fmtTime(r.time))),
							),
						),
					)
				: h('p', { class: 'empty' }, 'No meter values recorded for this charger.'),
		);
	}

	function addReading(connector, s, time) {
		const measurand = s.measurand || 'Energy.Active.Import.Register';
		readings.set(`${connector}|${measurand}|${s.phase || ''}`, { connector, measurand, phase: s.phase, unit: s.unit, value: s.value, time });
	}

	/* ---------------------------------------------------------------- status history */
	function renderHistory() {
		const now = Date.now();
		// The window is the last TIMELINE_HOURS, or less when the history is younger, so a
		// new charger's changes are not squeezed into the last pixel.
		const first = history.length ? new Date(history[0].time).getTime() : now;
		const start = Math.max(now - TIMELINE_HOURS * 3600e3, Math.min(first, now - 60e3));
		const lanes = new Map(); // lane name -> [{t, status}]
		const laneOf = (e) => (e.kind === 'connectivity' ? 'Link' : `Connector ${e.connector_id}`);
		for (const e of history) {
			const name = laneOf(e);
			if (!lanes.has(name)) lanes.set(name, []);
			lanes.get(name).push({ t: new Date(e.time).getTime(), status: e.status });
		}
		clear(timeline);
		if (history.length === 0) {
			timeline.appendChild(h('p', { class: 'empty' }, 'No status changes recorded.'));
			clear(historyList);
			return;
		}
		const names = [...lanes.keys()].sort((a, b) => (a === 'Link' ? -1 : b === 'Link' ? 1 : a.localeCompare(b, undefined, { numeric: true })));
		for (const name of names) {
			const pts = lanes.get(name).sort((a, b) => a.t - b.t);
			const bar = h('div', { class: 'lane-bar' });
			for (let i = 0; i < pts.length; i++) {
				const from = Math.max(start, pts[i].t);
				const to = i + 1 < pts.length ? pts[i + 1].t : now;
				if (to <= start) continue;
				const left = ((from - start) / (now - start)) * 100;
				const width = Math.max(0.4, ((to - from) / (now - start)) * 100);
				const seg = h('span', { class: `seg st-${pts[i].status.toLowerCase()}`, title: `${pts[i].status} from ${fmtTime(new Date(pts[i].t).toISOString())}` });
				seg.style.left = `${Math.min(left, 100 - width)}%`;
				seg.style.width = `${width}%`;
				bar.appendChild(seg);
			}
			timeline.appendChild(h('div', { class: 'lane' }, h('span', { class: 'lane-name' }, name), bar));
		}
		timeline.appendChild(h('div', { class: 'lane axis' }, h('span', { class: 'lane-name' }), h('div', { class: 'axis-labels' }, h('span', null, fmtTime(new Date(start).toISOString())), h('span', null, 'now'))));
		const recent = history.slice(-15).reverse();
		clear(historyList).appendChild(
			h(
				'table',
				{ class: 'table compact' },
				h('thead', null, h('tr', null, ['Time', 'What', 'Status', 'Detail'].map((t) => h('th', null, t)))),
				h(
					'tbody',
					{ dataset: { testid: 'history' } },
					recent.map((e) =>
						h(
							'tr',
							null,
							h('td', null, fmtTime(e.time)),
							h('td', null, laneOf(e)),
							h('td', null, h('span', { class: `conn-status st-${e.status.toLowerCase()}` }, e.status)),
							h('td', null, (e.kind === 'connectivity' ? e.reason : [e.error_code !== 'NoError' ? e.error_code : null, e.info].filter(Boolean).join(' · ')) || ''),
						),
					),
				),
			),
		);
	}

	/* ---------------------------------------------------------------- transactions */
	async function loadTransactions() {
		try {
			const r = await get('/transactions', { charger: id, limit: 20 });
			if (closed) return;
			clear(txBox).appendChild(
				r.items.length
					? txTable(r.items, ['id', 'connector', 'idTag', 'start', 'stop', 'energy', 'status'])
					: h('p', { class: 'empty' }, 'No transactions yet.'),
				r.total > r.items.length ? h('p', { class: 'muted' }, `Newest ${r.items.length} of ${r.total}. `, h('a', { href: `#/transactions?charger=${enc}` }, 'All transactions')) : null,
			);
			if (actions) actions.setTransactions(r.items.filter((t) => t.status === 'active'));
		} catch (e) {
			clear(txBox).appendChild(h('p', { class: 'error' }, errorText(e)));
		}
	}

	/* ---------------------------------------------------------------- frames */
	async function loadFrames() {
		const params = {};
		if (frameQ.value) params.q = frameQ.value;
		if (frameDir.value) params.direction = frameDir.value;
		try {
			const r = await getNewest(`/chargers/${enc}/frames`, params, 100);
			if (closed) return;
			frameCount.textContent = r.total ? `newest ${r.items.length} of ${r.total}` : '';
			clear(frameBox);
			if (!r.items.length) {
				frameBox.appendChild(h('p', { class: 'empty' }, frameQ.value ? 'No frame contains this text.' : 'No frames logged.'));
				return;
			}
			for (const f of r.items.slice().reverse())
				frameBox.appendChild(
					h(
						'div',
						{ class: `frame dir-${f.direction}`, dataset: { testid: 'frame' } },
						h('span', { class: 'frame-meta' }, `${fmtTime(f.time)} ${f.direction === 'in' ? '→ in ' : '← out'} ${f.action || ''}`),
						h('code', null, f.frame),
					),
				);
		} catch (e) {
			clear(frameBox).appendChild(h('p', { class: 'error' }, errorText(e)));
		}
	}
	let frameTimer = 0;
	frameQ.addEventListener('input', () => {
		clearTimeout(frameTimer);
		frameTimer = setTimeout(loadFrames, 250);
	});
	frameDir.addEventListener('change', loadFrames);
	frameReload.addEventListener('click', loadFrames);

	/* ---------------------------------------------------------------- actions */
	function actionPanel() {
		const answer = h('pre', { class: 'answer', dataset: { testid: 'command-answer' }, 'aria-live': 'polite' }, 'Answers from the charger appear here.');
		const connSel = () => h('select', { 'aria-label': 'Connector' });
		const unlockConn = connSel();
		const availConn = connSel();
		const availType = h('select', { 'aria-label': 'Availability' }, h('option', { value: 'Operative' }, 'Operative'), h('option', { value: 'Inoperative' }, 'Inoperative'));
		const startConn = connSel();
		const startTag = h('input', { type: 'text', placeholder: 'id tag', 'aria-label': 'Id tag', maxlength: 20 });
		const stopTx = h('select', { 'aria-label': 'Transaction' });
		const trigMsg = h(
			'select',
			{ 'aria-label': 'Message' },
			['StatusNotification', 'MeterValues', 'Heartbeat', 'BootNotification', 'FirmwareStatusNotification', 'DiagnosticsStatusNotification'].map((m) => h('option', { value: m }, m)),
		);
		const trigConn = connSel();
		const cfgKeys = h('input', { type: 'text', placeholder: 'keys, comma separated (empty: all)', 'aria-label': 'Configuration keys' });
		const setKey = h('input', { type: 'text', placeholder: 'key', 'aria-label': 'Configuration key to change', maxlength: 50, dataset: { testid: 'config-key' } });
		const setValue = h('input', { type: 'text', placeholder: 'value', 'aria-label': 'New value', maxlength: 500, dataset: { testid: 'config-value' } });
		const buttons = [];

		async function send(action, payload, label) {
			for (const b of buttons) b.disabled = true;
			answer.className = 'answer pending';
			answer.textContent = `${label}: waiting for the charger…`;
			try {
				const r = await command(id, action, payload);
				const ok = r.status === 200;
				answer.className = `answer ${ok ? 'ok' : 'fail'}`;
				answer.dataset.action = action;
				answer.dataset.status = String(r.status);
				answer.textContent = `${label} → HTTP ${r.status}${ok ? ' (charger answered)' : ''}\n${JSON.stringify(r.body, null, 2)}`;
			} catch (e) {
				answer.className = 'answer fail';
				answer.textContent = `${label}: ${errorText(e)}`;
			} finally {
				for (const b of buttons) b.disabled = false;
				setTimeout(loadFrames, 300);
			}
		}
		function btn(label, onclick, cls = '') {
			const b = h('button', { type: 'button', class: cls, dataset: { action: label } }, label);
			b.addEventListener('click', onclick);
			buttons.push(b);
			return b;
		}
		const optConn = (sel) => (sel.value === '' ? undefined : Number(sel.value));

		const el = h(
			'div',
			{ class: 'actions', dataset: { testid: 'actions' } },
			h(
				'div',
				{ class: 'action-row' },
				btn('Reset Soft', () => send('Reset', { type: 'Soft' }, 'Reset Soft')),
				btn(
					'Reset Hard',
					() => {
						if (window.confirm(`Hard reset ${id}? Running sessions are stopped.`)) send('Reset', { type: 'Hard' }, 'Reset Hard');
					},
					'danger',
				),
			),
			h('div', { class: 'action-row' }, unlockConn, btn('Unlock', () => send('UnlockConnector', { connectorId: Number(unlockConn.value) || 1 }, 'UnlockConnector'))),
			h(
				'div',
				{ class: 'action-row' },
				availConn,
				availType,
				btn('Change availability', () => send('ChangeAvailability', { connectorId: Number(availConn.value) || 0, type: availType.value }, 'ChangeAvailability')),
			),
			h(
				'div',
				{ class: 'action-row' },
				startConn,
				startTag,
				btn('Remote start', () => {
					const p = { idTag: startTag.value.trim() };
					const c = optConn(startConn);
					if (c) p.connectorId = c;
					send('RemoteStartTransaction', p, 'RemoteStartTransaction');
				}),
			),
			h(
				'div',
				{ class: 'action-row' },
				stopTx,
				btn('Remote stop', () => {
					if (stopTx.value) send('RemoteStopTransaction', { transactionId: Number(stopTx.value) }, 'RemoteStopTransaction');
				}),
			),
			h(
				'div',
				{ class: 'action-row' },
				trigMsg,
				trigConn,
				btn('Trigger', () => {
					const p = { requestedMessage: trigMsg.value };
					const c = optConn(trigConn);
					if (c !== undefined) p.connectorId = c;
					send('TriggerMessage', p, 'TriggerMessage');
				}),
			),
			h(
				'div',
				{ class: 'action-row' },
				cfgKeys,
				btn('Get configuration', () => {
					const keys = cfgKeys.value
						.split(',')
						.map((k) => k.trim())
						.filter(Boolean);
					send('GetConfiguration', keys.length ? { key: keys } : {}, 'GetConfiguration');
				}),
			),
			h(
				'div',
				{ class: 'action-row' },
				setKey,
				setValue,
				btn('Change configuration', () => {
					const key = setKey.value.trim();
					if (key) send('ChangeConfiguration', { key, value: setValue.value }, 'ChangeConfiguration');
					else {
						answer.className = 'answer fail';
						delete answer.dataset.status;
						answer.textContent = 'ChangeConfiguration: enter the key to change.';
					}
				}),
			),
			answer,
		);

		function fillConnectors(sel, withAll, allLabel) {
			const keep = sel.value;
			clear(sel);
			if (withAll) sel.appendChild(h('option', { value: '' }, allLabel));
			const ids = ch ? ch.connectors.map((c) => c.connector_id).filter((n) => n > 0) : [];
			if (!ids.length) ids.push(1);
			for (const n of ids) sel.appendChild(h('option', { value: String(n) }, `Connector ${n}`));
			if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
		}
		return {
			el,
			update() {
				fillConnectors(unlockConn, false);
				fillConnectors(availConn, true, 'Whole charger');
				if (availConn.options[0]) availConn.options[0].value = '0';
				fillConnectors(startConn, true, 'Any connector');
				fillConnectors(trigConn, true, 'No connector');
			},
			setTransactions(active) {
				const keep = stopTx.value;
				clear(stopTx);
				if (!active.length) stopTx.appendChild(h('option', { value: '' }, 'No active transaction'));
				for (const t of active) stopTx.appendChild(h('option', { value: String(t.id) }, `#${t.id} on connector ${t.connector_id}`));
				if ([...stopTx.options].some((o) => o.value === keep)) stopTx.value = keep;
			},
		};
	}

	/* ---------------------------------------------------------------- loading and live */
	async function loadAll() {
		try {
			ch = await get(`/chargers/${enc}`);
		} catch (e) {
			if (closed) return;
			clear(identity).appendChild(h('p', { class: 'error' }, e instanceof ApiError && e.status === 404 ? `There is no charger ${id}.` : errorText(e)));
			return;
		}
		if (closed) return;
		renderCharger();
		const from = new Date(Date.now() - TIMELINE_HOURS * 3600e3).toISOString();
		const [hist, meters] = await Promise.all([
			getNewest(`/chargers/${enc}/status-history`, { from }, 500).catch(() => ({ items: [] })),
			getNewest(`/chargers/${enc}/meter-values`, {}, 200).catch(() => ({ items: [] })),
		]);
		if (closed) return;
		// The state before the window starts: the newest entry of each lane before `from`.
		const before = await get(`/chargers/${enc}/status-history`, { to: from, limit: 1000 }).catch(() => ({ items: [] }));
		const seen = new Set();
		const carry = [];
		for (const e of before.items.slice().reverse()) {
			const k = e.kind === 'connectivity' ? 'link' : `c${e.connector_id}`;
			if (!seen.has(k)) {
				seen.add(k);
				carry.push(e);
			}
		}
		history = [...carry.reverse(), ...hist.items];
		renderHistory();
		readings = new Map();
		for (const m of meters.items) addReading(m.connector_id, m, m.time);
		renderReadings();
		charts.start(meters.items.map((m) => ({ connector: m.connector_id, measurand: m.measurand, phase: m.phase, location: m.location })));
		loadTransactions();
		loadFrames();
	}

	const sub = subscribe({
		charger: id,
		onState: setLive,
		onReset: loadAll,
		onEvent(type, d) {
			if (!ch || d.charger !== id) return;
			if (type === 'status') {
				let c = ch.connectors.find((x) => x.connector_id === d.connector);
				if (!c) {
					c = { connector_id: d.connector };
					ch.connectors.push(c);
					ch.connectors.sort((a, b) => a.connector_id - b.connector_id);
				}
				Object.assign(c, { status: d.status, error_code: d.error_code, updated_at: d.time });
				history.push({ kind: 'status', connector_id: d.connector, status: d.status, error_code: d.error_code, info: null, time: d.time });
				renderCharger();
				renderHistory();
			} else if (type === 'connectivity') {
				ch.online = !!d.online;
				ch.last_seen = d.time;
				history.push({ kind: 'connectivity', connector_id: null, status: d.online ? 'Online' : 'Offline', reason: d.reason, time: d.time });
				renderCharger();
				renderHistory();
			} else if (type === 'meter') {
				for (const s of d.samples || []) addReading(d.connector, s, d.time);
				renderReadings();
				charts.onMeter(d);
				const w = powerOfSamples(d.samples);
				if (w !== null) badge.title = `${fmtPower(w)} on connector ${d.connector}`;
			} else if (type === 'transaction') {
				loadTransactions();
			}
		},
	});

	loadAll();
	return () => {
		closed = true;
		sub.close();
		charts.destroy();
	};
}
