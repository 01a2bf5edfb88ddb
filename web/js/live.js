// The live channel: an EventSource on /api/v1/live (Server-Sent Events) carrying status,
// connectivity, meter and transaction events. EventSource reconnects by itself and sends
// Last-Event-ID, and the server replays what was missed; when it cannot (the events are too
// old) it sends `reset`, and the subscriber reloads its state from the REST API.

import { getToken } from './api.js';

const TYPES = ['status', 'connectivity', 'meter', 'transaction'];

/* Opens a subscription. opts: {charger?: id, types?: [..], onEvent(type, data, id),
 * onReset(), onState('connecting'|'open'|'closed')}. Returns {close()}. The token travels
 * as access_token because EventSource cannot send an Authorization header. */
export function subscribe({ charger, types = TYPES, onEvent, onReset, onState } = {}) {
	const q = new URLSearchParams();
	q.set('access_token', getToken() || '');
	if (charger) q.set('charger', charger);
	if (types && types.length) q.set('types', types.join(','));
	let es = null;
	let closed = false;
	let retry = null;
	let opens = 0;

	const state = (s) => onState && onState(s);

	function open() {
		state('connecting');
		es = new EventSource(`/api/v1/live?${q}`);
		es.addEventListener('open', () => {
			opens += 1;
			state('open');
		});
		es.addEventListener('error', () => {
			if (closed) return;
			// CLOSED means the browser gave up (an HTTP error such as 401 or 404, or a wrong
			// content type); CONNECTING means it is retrying on its own.
			if (es.readyState === EventSource.CLOSED) {
				state('closed');
				retry = setTimeout(() => {
					retry = null;
					if (!closed) {
						// Events may have been lost while the stream was down for good.
						if (opens > 0 && onReset) onReset();
						open();
					}
				}, 5000);
			} else {
				state('connecting');
			}
		});
		for (const type of types) {
			es.addEventListener(type, (ev) => {
				let data;
				try {
					data = JSON.parse(ev.data);
				} catch {
					return;
				}
				if (onEvent) onEvent(type, data, ev.lastEventId);
			});
		}
		es.addEventListener('reset', () => {
			if (onReset) onReset();
		});
	}

	open();
	return {
		close() {
			closed = true;
			if (retry) clearTimeout(retry);
			if (es) es.close();
			state('closed');
		},
	};
}
