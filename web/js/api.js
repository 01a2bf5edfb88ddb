// REST client of the console: the API token (kept in sessionStorage for this tab only),
// JSON requests under /api/v1, paging through list endpoints, and role detection.
// Every request goes to the origin that served the page, so the console works behind
// whatever host and port `chargeops serve` listens on.

const TOKEN_KEY = 'chargeops.token';
const ROLE_KEY = 'chargeops.role';

export class ApiError extends Error {
	/* status: HTTP status; body: the parsed error object ({error, detail, ...}) or null. */
	constructor(status, body, what) {
		super(`${what}: ${status} ${body && body.error ? body.error : ''}${body && body.detail ? ' — ' + body.detail : ''}`);
		this.status = status;
		this.body = body;
	}
}

export function getToken() {
	return sessionStorage.getItem(TOKEN_KEY);
}

export function getRole() {
	return sessionStorage.getItem(ROLE_KEY);
}

export function setSession(token, role) {
	sessionStorage.setItem(TOKEN_KEY, token);
	sessionStorage.setItem(ROLE_KEY, role);
}

export function clearSession() {
	sessionStorage.removeItem(TOKEN_KEY);
	sessionStorage.removeItem(ROLE_KEY);
}

/* Listeners called with no argument when the API answers 401 (token revoked or wrong). */
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
	unauthorizedListeners.add(fn);
}

function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : '';
}

/* One request. Resolves to {status, body} for any answer; the caller decides what an
 * error status means. token overrides the session token (used at login). */
export async function raw(method, path, { params, body, token, signal } = {}) {
	const headers = { accept: 'application/json' };
	const t = token || getToken();
	if (t) headers.authorization = `Bearer ${t}`;
	let payload;
	if (body !== undefined) {
		headers['content-type'] = 'application/json';
		payload = JSON.stringify(body);
	}
	const res = await fetch(`/api/v1${path}${query(params)}`, { method, headers, body: payload, signal });
	const text = await res.text();
	let json = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = null;
	}
	if (res.status === 401 && !token) for (const fn of unauthorizedListeners) fn();
	return { status: res.status, body: json };
}

/* GET that must answer 200; returns the body or throws ApiError. */
export async function get(path, params, opts = {}) {
	const r = await raw('GET', path, { params, ...opts });
	if (r.status !== 200) throw new ApiError(r.status, r.body, `GET ${path}`);
	return r.body;
}

/* Every item of a list endpoint, 1000 per page, pages after the first fetched in parallel. */
export async function getAll(path, params = {}) {
	const limit = 1000;
	const first = await get(path, { ...params, limit, offset: 0 });
	const items = first.items.slice();
	const pages = [];
	for (let off = limit; off < first.total; off += limit) pages.push(get(path, { ...params, limit, offset: off }));
	for (const p of await Promise.all(pages)) items.push(...p.items);
	return items;
}

/* The newest `count` items of a list the API orders oldest first (frames, status history):
 * one request for the total, one for the last page. */
export async function getNewest(path, params = {}, count = 200) {
	const head = await get(path, { ...params, limit: 1, offset: 0 });
	if (head.total <= 1) return { items: head.items, total: head.total };
	const offset = Math.max(0, head.total - count);
	const page = await get(path, { ...params, limit: Math.min(1000, count), offset });
	return { items: page.items, total: head.total };
}

/* Checks a token and finds its role: GET /me names it. A server without /me is asked by
 * a write that can never change anything: POST /chargers with an empty object is refused
 * with 403 for a viewer and with 400 invalid_payload (missing id) for an operator or admin,
 * before anything is stored. Operators and admins have the same REST rights, so only
 * "viewer" changes what the console shows. Resolves to 'viewer' | 'operator' | 'admin';
 * throws ApiError(401) for an unknown token. */
export async function detectRole(token) {
	const me = await raw('GET', '/me', { token });
	if (me.status === 200 && me.body && typeof me.body.role === 'string') return me.body.role;
	if (me.status === 401) throw new ApiError(me.status, me.body, 'token check');
	const check = await raw('GET', '/chargers', { params: { limit: 1 }, token });
	if (check.status !== 200) throw new ApiError(check.status, check.body, 'token check');
	const probe = await raw('POST', '/chargers', { body: {}, token });
	if (probe.status === 403) return 'viewer';
	if (probe.status === 400) return 'operator';
	throw new ApiError(probe.status, probe.body, 'role check');
}

/* POST /chargers/{id}/commands/{action}; resolves to {status, body} whatever the answer. */
export function command(chargerId, action, payload) {
	return raw('POST', `/chargers/${encodeURIComponent(chargerId)}/commands/${encodeURIComponent(action)}`, { body: payload || {} });
}
