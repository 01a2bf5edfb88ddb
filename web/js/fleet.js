// The fleet data model shared by the views: every charger and site as the REST API lists
// them, patched in place by live events, plus the latest active power per connector taken
// from meter events. Views subscribe with onChange() and are told, at most once per
// animation frame, which charger ids changed since the last call.

import { get, getAll } from './api.js';

/* Display states of a charger, in the order the overview shows them. */
export const STATES = ['available', 'charging', 'faulted', 'offline', 'unavailable', 'reserved', 'unknown'];

const SESSION_STATUSES = new Set(['Preparing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing']);

/* One state per charger from its connection and connector statuses (connector 0 is the
 * charger as a whole). Precedence, most urgent first: offline (no OCPP connection), faulted
 * (any connector Faulted), unavailable (connector 0 Unavailable, or every connector),
 * charging (a connector in a session: Preparing, Charging, SuspendedEV/EVSE, Finishing),
 * reserved, available; `unknown` for a connected charger that has not reported a status. */
export function stateOf(ch) {
	if (!ch.online) return 'offline';
	const conns = ch.connectors || [];
	const real = conns.filter((c) => c.connector_id > 0 && c.status);
	const zero = conns.find((c) => c.connector_id === 0);
	if (conns.some((c) => c.status === 'Faulted')) return 'faulted';
	if ((zero && zero.status === 'Unavailable') || (real.length > 0 && real.every((c) => c.status === 'Unavailable'))) return 'unavailable';
	if (real.some((c) => SESSION_STATUSES.has(c.status))) return 'charging';
	if (real.some((c) => c.status === 'Reserved')) return 'reserved';
	if (real.some((c) => c.status === 'Available') || (zero && zero.status === 'Available')) return 'available';
	return 'unknown';
}

/* Active import power in W from one meter event's samples, or null when it has none:
 * the phase-less total if present, else the sum of the per-phase values. */
export function powerOfSamples(samples) {
	let total = null;
	let phases = null;
	for (const s of samples || []) {
		if (s.measurand !== 'Power.Active.Import') continue;
		let v = Number(s.value);
		if (!Number.isFinite(v)) continue;
		if (s.unit === 'kW') v *= 1000;
		if (!s.phase) total = v;
		else if (s.phase !== 'N') phases = (phases || 0) + v;
	}
	return total !== null ? total : phases;
}

export class Fleet {
	constructor() {
		this.chargers = new Map();
		this.sites = new Map();
		this.power = new Map(); // charger id -> Map(connector id -> W)
		this.powerSeen = false; // a meter event with power has arrived
		this.loaded = false;
		this.listeners = new Set();
		this.dirty = new Set();
		this.full = false;
		this.frame = 0;
	}

	/* Loads (or reloads, after a live `reset`) every charger and site from the API. */
	async load() {
		const [chargers, sites] = await Promise.all([getAll('/chargers'), getAll('/sites')]);
		this.chargers = new Map(chargers.map((c) => [c.id, c]));
		this.sites = new Map(sites.map((s) => [s.id, s]));
		this.power = new Map();
		for (const c of chargers) {
			c.state = stateOf(c);
			// The server's latest power per connector, so load shows before the next sample.
			if (c.power_w && typeof c.power_w === 'object') {
				const m = new Map(Object.entries(c.power_w).map(([k, w]) => [Number(k), w]));
				if (m.size) {
					this.power.set(c.id, m);
					this.powerSeen = true;
				}
			}
		}
		this.loaded = true;
		this.loadError = null;
		this.changed(null);
	}

	/* Re-reads one charger (a live event about a charger the list does not know yet). */
	async loadOne(id) {
		try {
			const c = await get(`/chargers/${encodeURIComponent(id)}`);
			c.state = stateOf(c);
			this.chargers.set(c.id, c);
			this.changed(null);
		} catch {
			/* deleted meanwhile */
		}
	}

	/* Applies one live event to the model. */
	apply(type, d) {
		const ch = this.chargers.get(d.charger);
		if (!ch) {
			if (this.loaded && d.charger && (type === 'status' || type === 'connectivity')) this.loadOne(d.charger);
			return;
		}
		if (type === 'status') {
			let conn = ch.connectors.find((c) => c.connector_id === d.connector);
			if (!conn) {
				conn = { connector_id: d.connector, status: null, error_code: null, info: null, vendor_error_code: null, updated_at: null };
				ch.connectors.push(conn);
				ch.connectors.sort((a, b) => a.connector_id - b.connector_id);
			}
			conn.status = d.status;
			conn.error_code = d.error_code;
			conn.updated_at = d.time;
			ch.last_seen = d.time;
		} else if (type === 'connectivity') {
			ch.online = !!d.online;
			ch.last_seen = d.time;
			if (!ch.online) this.clearPower(ch.id);
		} else if (type === 'meter') {
			const w = powerOfSamples(d.samples);
			if (w !== null) {
				if (!this.power.has(ch.id)) this.power.set(ch.id, new Map());
				this.power.get(ch.id).set(d.connector, w);
				this.powerSeen = true;
			}
			ch.last_seen = d.time;
		} else if (type === 'transaction') {
			if (d.event === 'stopped' && this.power.has(ch.id)) this.power.get(ch.id).delete(d.connector);
		}
		ch.state = stateOf(ch);
		this.changed(ch.id);
	}

	clearPower(id) {
		this.power.delete(id);
	}

	/* Latest active power of one charger (W), or null if no sample has been seen. */
	chargerPower(id) {
		const m = this.power.get(id);
		if (!m || m.size === 0) return null;
		let sum = 0;
		for (const v of m.values()) sum += v;
		return sum;
	}

	totalPower() {
		let sum = 0;
		for (const m of this.power.values()) for (const v of m.values()) sum += v;
		return sum;
	}

	counts() {
		const n = Object.fromEntries(STATES.map((s) => [s, 0]));
		for (const c of this.chargers.values()) n[c.state] += 1;
		return n;
	}

	/* fn(ids) where ids is a Set of changed charger ids, or null for "everything". */
	onChange(fn) {
		this.listeners.add(fn);
		return () => this.listeners.delete(fn);
	}

	changed(id) {
		if (id === null) this.full = true;
		else this.dirty.add(id);
		if (this.frame) return;
		this.frame = requestAnimationFrame(() => {
			this.frame = 0;
			const ids = this.full ? null : this.dirty;
			this.dirty = new Set();
			this.full = false;
			for (const fn of this.listeners) fn(ids);
		});
	}
}
