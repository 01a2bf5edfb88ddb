// A virtualised list: rows of one fixed height inside a scrolling box, with only the rows
// in view (plus a few either side) in the DOM. Row elements are pooled and reused, so
// scrolling through 10,000 rows creates no more elements than fit on the screen.

import { h } from './dom.js';

export class VirtualList {
	/* container: the scrolling element. rowHeight: px. renderRow(el, row, index) fills a
	 * pooled element for a row; createRow() makes an empty one. */
	constructor(container, { rowHeight, createRow, renderRow, overscan = 6 }) {
		this.box = container;
		this.rowHeight = rowHeight;
		this.createRow = createRow;
		this.renderRow = renderRow;
		this.overscan = overscan;
		this.rows = [];
		this.pool = [];
		this.spacer = h('div', { class: 'vlist-spacer' });
		this.box.appendChild(this.spacer);
		this.pending = 0;
		this.box.addEventListener('scroll', () => this.schedule(), { passive: true });
		this.resizeObserver = new ResizeObserver(() => this.schedule());
		this.resizeObserver.observe(this.box);
	}

	setRows(rows) {
		this.rows = rows;
		this.spacer.style.height = `${rows.length * this.rowHeight}px`;
		this.render();
	}

	schedule() {
		if (this.pending) return;
		this.pending = requestAnimationFrame(() => {
			this.pending = 0;
			this.render();
		});
	}

	/* Fills the pool with the rows now in view. */
	render() {
		const H = this.rowHeight;
		const top = this.box.scrollTop;
		const height = this.box.clientHeight || 600;
		const first = Math.max(0, Math.floor(top / H) - this.overscan);
		const last = Math.min(this.rows.length, Math.ceil((top + height) / H) + this.overscan);
		const need = Math.max(0, last - first);
		while (this.pool.length < need) {
			const el = this.createRow();
			el.classList.add('vlist-row');
			el.style.height = `${H}px`;
			this.box.appendChild(el);
			this.pool.push(el);
		}
		for (let i = 0; i < this.pool.length; i++) {
			const el = this.pool[i];
			const idx = first + i;
			if (i < need) {
				el.hidden = false;
				el.style.transform = `translateY(${idx * H}px)`;
				this.renderRow(el, this.rows[idx], idx);
			} else {
				el.hidden = true;
			}
		}
	}

	destroy() {
		this.resizeObserver.disconnect();
		if (this.pending) cancelAnimationFrame(this.pending);
	}
}
