// Baseline OCPP 1.6J central system for the benchmark: ocpp-rpc in strict mode
// (every inbound call and every outbound answer is validated against the OCPP 1.6
// JSON schemas), HTTP Basic auth checked against one shared password, answers
// BootNotification / Heartbeat / StatusNotification / MeterValues, stores nothing.
// It also offers the one REST route the benchmark uses:
//   POST /api/v1/chargers/{id}/commands/{action}  body = call payload
// which sends the call to the charger and answers with its CALLRESULT payload.
//
// usage: node server.js --listen 127.0.0.1:0 --password PW
// prints "listening on port N" once it accepts connections.
import http from 'node:http';
import { RPCServer } from 'ocpp-rpc';

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const listen = arg('--listen', '127.0.0.1:0');
const password = arg('--password', '');
const colon = listen.lastIndexOf(':');
const host = listen.slice(0, colon);
const port = Number(listen.slice(colon + 1));

const rpc = new RPCServer({
  protocols: ['ocpp1.6'],
  strictMode: true,
  pingIntervalMs: 60000,
  callTimeoutMs: 30000,
});

const clients = new Map();
let validationFailures = 0;

rpc.auth((accept, reject, handshake) => {
  if (password && (!handshake.password || handshake.password.toString('utf8') !== password)) {
    reject(401, 'wrong password');
    return;
  }
  accept({});
});

rpc.on('client', (client) => {
  const prev = clients.get(client.identity);
  if (prev) prev.close({ code: 1000, reason: 'replaced' }).catch(() => {});
  clients.set(client.identity, client);
  client.on('close', () => {
    if (clients.get(client.identity) === client) clients.delete(client.identity);
  });
  client.on('strictValidationFailure', () => { validationFailures++; });
  client.handle('BootNotification', () => ({
    status: 'Accepted',
    currentTime: new Date().toISOString(),
    interval: 300,
  }));
  client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
  client.handle('StatusNotification', () => ({}));
  client.handle('MeterValues', () => ({}));
});

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const m = /^\/api\/v1\/chargers\/([^/]+)\/commands\/([A-Za-z]+)$/.exec(req.url.split('?')[0]);
  if (req.url === '/healthz') return send(res, 200, { ok: true, clients: clients.size, validationFailures });
  if (!m || req.method !== 'POST') return send(res, 404, { error: 'not_found' });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const client = clients.get(decodeURIComponent(m[1]));
    if (!client) return send(res, 409, { error: 'offline' });
    let payload = {};
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw) payload = JSON.parse(raw);
    } catch {
      return send(res, 400, { error: 'bad_request' });
    }
    try {
      send(res, 200, await client.call(m[2], payload));
    } catch (e) {
      send(res, 502, { error: 'call_error', detail: String(e && e.message) });
    }
  });
});
server.on('upgrade', rpc.handleUpgrade);
server.listen(port, host, () => {
  console.log(`listening on port ${server.address().port}`);
});

function stop() {
  server.close();
  rpc.close({ force: true }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
