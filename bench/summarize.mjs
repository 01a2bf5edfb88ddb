// bench/summarize.mjs RESULTS.jsonl - medians over runs of each phase metric for
// chargeops and the ocpp-rpc baseline, and the ratio (>1 means chargeops is better).
import fs from 'node:fs';

const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const machine = rows.find((r) => r.phase === 'machine');
const median = (a) => {
  const v = a.filter((x) => typeof x === 'number' && x >= 0).sort((x, y) => x - y);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const target = (label) => (label || '').replace(/-\d+$/, '');
const pick = (t, phase, key, filter = () => true) =>
  rows.filter((r) => target(r.label) === t && r.phase === phase && filter(r)).map((r) => r[key]);
const runs = (t) => new Set(rows.filter((r) => target(r.label) === t).map((r) => r.label)).size;

// [title, phase, key, filter, better: 'higher' | 'lower' | null]
const meterCounts = [...new Set(rows.filter((r) => r.phase === 'meter').map((r) => r.chargers))];
const metrics = [
  ['boot storm: chargers', 'storm', 'chargers', null, null],
  ['boot storm: time until all Accepted (s)', 'storm', 'all_accepted_s', null, 'lower'],
  ['boot storm: errors', 'storm', 'errors', null, 'lower'],
  ['boot storm: connect→Accepted p50 (ms)', 'storm', 'boot_p50_ms', null, 'lower'],
  ['boot storm: connect→Accepted p99 (ms)', 'storm', 'boot_p99_ms', null, 'lower'],
  ['boot storm: server CPU (s)', 'storm', 'server_cpu_s', null, 'lower'],
  ['held: connected chargers', 'hold', 'connected', null, 'higher'],
  ['held: server RSS (KB)', 'hold', 'rss_held_kb', null, 'lower'],
  ['held: server RSS per connection (bytes)', 'hold', 'rss_per_conn_bytes', null, 'lower'],
];
for (const n of meterCounts) {
  const f = (r) => r.chargers === n;
  metrics.push(
    [`MeterValues @${n}: msgs/s committed`, 'meter', 'msgs_per_s', f, 'higher'],
    [`MeterValues @${n}: sampled values/s`, 'meter', 'values_per_s', f, 'higher'],
    [`MeterValues @${n}: p50 (ms)`, 'meter', 'p50_ms', f, 'lower'],
    [`MeterValues @${n}: p99 (ms)`, 'meter', 'p99_ms', f, 'lower'],
    [`MeterValues @${n}: server CPU (cores busy)`, 'meter', 'server_cores', f, null],
    [`MeterValues @${n}: loadgen CPU (cores busy)`, 'meter', 'loadgen_cores', f, null],
    [`MeterValues @${n}: errors`, 'meter', 'errors', f, 'lower'],
  );
}
metrics.push(
  ['REST command: connected', 'command', 'connected', null, null],
  ['REST command: round trip p50 (ms)', 'command', 'p50_ms', null, 'lower'],
  ['REST command: round trip p99 (ms)', 'command', 'p99_ms', null, 'lower'],
  ['REST command: errors', 'command', 'errors', null, 'lower'],
);

const fmt = (x) => (x === null ? '–' : Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : +x.toFixed(2));
const out = [];
if (machine) {
  out.push(`Machine: ${machine.cpus} CPUs (${machine.cpu}), ${machine.mem_mb} MB, Linux ${machine.kernel}, ` +
    `libwebsockets ${machine.lws}, SQLite ${machine.sqlite}, Node ${machine.node}, fd limit ${machine.fd_limit}, ` +
    `somaxconn ${machine.somaxconn}; server built from ${machine.source}. Load generator and server share the CPUs.`);
  out.push('');
}
out.push(`Medians of ${runs('chargeops')} chargeops run(s) and ${runs('baseline')} baseline run(s); ` +
  'ratio > 1 means chargeops is better.', '');
out.push('| metric | chargeops | ocpp-rpc baseline | ratio | chargeops runs |', '|---|---:|---:|---:|---|');
for (const [title, phase, key, filter, better] of metrics) {
  const f = filter || (() => true);
  const a = pick('chargeops', phase, key, f), b = pick('baseline', phase, key, f);
  const ma = median(a), mb = median(b);
  let ratio = '–';
  if (better && ma !== null && mb !== null && ma > 0 && mb > 0)
    ratio = (better === 'higher' ? ma / mb : mb / ma).toFixed(2) + '×';
  out.push(`| ${title} | ${fmt(ma)} | ${fmt(mb)} | ${ratio} | ${a.map(fmt).join(', ')} |`);
}
// Store check: rows in meter_values against answered MeterValues × sampled values.
const store = rows.filter((r) => r.phase === 'store');
if (store.length) {
  out.push('', '| run | MeterValues answered | of them CALLERROR (nothing stored) | (answered − CALLERROR) × values = expected rows | rows in meter_values |', '|---|---:|---:|---:|---:|');
  for (const s of store) {
    const m = rows.filter((r) => r.label === s.label && r.phase === 'meter');
    const answered = m.reduce((acc, r) => acc + r.answered, 0);
    const refused = m.reduce((acc, r) => acc + (r.errors || 0), 0);
    const expected = m.reduce((acc, r) => acc + (r.answered - (r.errors || 0)) * r.values_per_msg, 0);
    out.push(`| ${s.label} | ${answered.toLocaleString('en-US')} | ${refused.toLocaleString('en-US')} | ${expected.toLocaleString('en-US')} | ${s.meter_value_rows.toLocaleString('en-US')} |`);
  }
}
console.log(out.join('\n'));
