// Console entry point: the header (navigation, live indicator, role, theme toggle, sign
// out), the login view, and a hash router over the views: fleet overview (#/, #/?site=ID),
// charger (#/chargers/ID), sites map, transactions and one transaction, analytics, alerts
// and work orders. The route table below names each view's module.
// The fleet model and its live subscription live as long as the page, so going back to the
// overview from a charger shows current data without reloading.

import { getToken, getRole, setSession, clearSession, detectRole, onUnauthorized, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { Fleet } from './fleet.js';
import { subscribe } from './live.js';
import { renderOverview } from './overview.js';
import { renderCharger } from './charger.js';
import { renderSites } from './sites.js';
import { renderTransactions, renderTransaction } from './transactions.js';
import { renderAnalytics } from './analytics.js';
import { renderPanel } from './panels.js';
import { renderBoard, renderOrder } from './workorders.js';
import { renderPlans } from './plans.js';
import { renderReliability } from './reliability.js';
import { renderRisk } from './risk.js';
import { redrawCharts } from './chart.js';
import { renderLedger } from './ledger.js';

const main = document.getElementById('main');
const liveEl = document.getElementById('live-state');
const roleEl = document.getElementById('role');
const logoutBtn = document.getElementById('logout');
const themeBtn = document.getElementById('theme-toggle');

/* ---------------------------------------------------------------- theme */
const THEME_KEY = 'chargeops.theme';
function systemDark() {
	return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
}
function applyTheme(theme) {
	if (theme) document.documentElement.dataset.theme = theme;
	else delete document.documentElement.dataset.theme;
	const dark = theme ? theme === 'dark' : systemDark();
	themeBtn.textContent = dark ? '☀' : '☾';
	themeBtn.title = dark ? 'Switch to the light theme' : 'Switch to the dark theme';
}
applyTheme(localStorage.getItem(THEME_KEY));
themeBtn.addEventListener('click', () => {
	const cur = document.documentElement.dataset.theme || (systemDark() ? 'dark' : 'light');
	const next = cur === 'dark' ? 'light' : 'dark';
	localStorage.setItem(THEME_KEY, next);
	applyTheme(next);
	redrawCharts();
});

/* ---------------------------------------------------------------- live indicator */
const LIVE_TEXT = { open: 'live', connecting: 'connecting…', closed: 'not live' };
function setLive(state) {
	liveEl.dataset.state = state;
	liveEl.textContent = LIVE_TEXT[state] || state;
}

/* ---------------------------------------------------------------- session */
let fleet = null;
let fleetSub = null;
let teardown = null;

function startFleet() {
	if (fleet) return;
	fleet = new Fleet();
	fleetSub = subscribe({
		onState: setLive,
		onEvent: (type, data) => fleet.apply(type, data),
		onReset: () => fleet.load().catch(() => {}),
	});
	fleet.load().catch((e) => {
		fleet.loadError = e;
		fleet.changed(null);
	});
}

function signOut() {
	clearSession();
	if (fleetSub) fleetSub.close();
	fleet = null;
	fleetSub = null;
	location.hash = '#/login';
	route();
}
logoutBtn.addEventListener('click', signOut);
onUnauthorized(() => {
	if (getToken()) signOut();
});

function renderLogin() {
	const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, placeholder: 'API token', 'aria-label': 'API token' });
	const msg = h('p', { class: 'error', 'aria-live': 'polite' });
	const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
	const form = h(
		'form',
		{ class: 'login card' },
		h('h1', null, 'ChargeOps console'),
		h('p', { class: 'muted' }, 'Sign in with an API token (made with chargeops token create). It is kept for this browser tab only.'),
		input,
		submit,
		msg,
	);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		msg.textContent = '';
		submit.disabled = true;
		const token = input.value.trim();
		try {
			const role = await detectRole(token);
			setSession(token, role);
			location.hash = role === 'technician' ? '#/work-orders' : '#/';
			route();
		} catch (e) {
			msg.textContent = e instanceof ApiError && e.status === 401 ? 'This token is not valid.' : `Sign-in failed: ${e.message}`;
		} finally {
			submit.disabled = false;
		}
	});
	clear(main).appendChild(form);
	input.focus();
}

/* ---------------------------------------------------------------- router */
function route() {
	if (teardown) teardown();
	teardown = null;
	const hash = location.hash || '#/';
	const token = getToken();
	document.body.dataset.signedIn = token ? 'yes' : 'no';
	roleEl.textContent = token ? getRole() : '';
	roleEl.dataset.role = token ? getRole() : '';
	if (!token) {
		setLive('closed');
		renderLogin();
		teardown = () => {};
		return;
	}
	/* A technician's token reaches only its work orders: no fleet, no live channel. */
	const technician = getRole() === 'technician';
	document.body.dataset.role = technician ? 'technician' : '';
	if (technician) setLive('closed');
	else startFleet();
	const asked = hash.replace(/\?.*$/, '');
	const path = technician && !/^#\/work-orders(\/\d+)?$/.test(asked) ? '#/work-orders' : asked;
	for (const r of ROUTES) {
		const m = r.re.exec(path);
		if (!m) continue;
		const arg = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
		document.title = `${r.title(arg)} · ChargeOps`;
		for (const a of document.querySelectorAll('.nav a')) {
			if (a.dataset.nav === (r.nav || arg)) a.setAttribute('aria-current', 'page');
			else a.removeAttribute('aria-current');
		}
		teardown = r.render(arg);
		break;
	}
	window.scrollTo(0, 0);
}

/* The views: hash path pattern, header entry, page title, and how to draw it. The fleet
 * model is shared; the charger and transaction pages also keep their own subscription. */
const ROUTES = [
	{ re: /^#\/chargers\/(.+)$/, nav: 'fleet', title: (id) => id, render: (id) => renderCharger(main, id, { role: getRole(), setLive: () => {} }) },
	{ re: /^#\/sites$/, nav: 'sites', title: () => 'Sites', render: () => renderSites(main, fleet) },
	{ re: /^#\/transactions\/(.+)$/, nav: 'transactions', title: (id) => `Transaction ${id}`, render: (id) => renderTransaction(main, id) },
	{ re: /^#\/transactions$/, nav: 'transactions', title: () => 'Transactions', render: () => renderTransactions(main) },
	{ re: /^#\/ledger$/, nav: 'ledger', title: () => 'Ledger', render: () => renderLedger(main) },
	{ re: /^#\/analytics$/, nav: 'analytics', title: () => 'Analytics', render: () => renderAnalytics(main, fleet) },
	{ re: /^#\/(alerts)$/, nav: null /* the panel's name */, title: () => 'Alerts', render: (n) => renderPanel(main, n) },
	{ re: /^#\/work-orders\/(\d+)$/, nav: 'work-orders', title: (id) => `Work order ${id}`, render: (id) => renderOrder(main, id) },
	{ re: /^#\/work-orders$/, nav: 'work-orders', title: () => 'Work orders', render: () => renderBoard(main) },
	{ re: /^#\/plans$/, nav: 'plans', title: () => 'Inspection plans', render: () => renderPlans(main) },
	{ re: /^#\/reliability$/, nav: 'reliability', title: () => 'Reliability', render: () => renderReliability(main) },
	{ re: /^#\/risk$/, nav: 'risk', title: () => 'Failure risk', render: () => renderRisk(main, { role: getRole(), site: new URLSearchParams(currentHash().split('?')[1] || '').get('site') || '' }) },
	{ re: /^/, nav: 'fleet', title: () => 'Fleet', render: () => renderOverview(main, fleet, { site: new URLSearchParams(currentHash().split('?')[1] || '').get('site') || '' }) },
];
const currentHash = () => location.hash || '#/';

window.addEventListener('hashchange', route);
route();
