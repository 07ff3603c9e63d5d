// ScaleDeck API node template: plain Node (node:http), no dependencies.
//
//   GET /        -> {"node", "hostname", "pid", "time"}
//   GET /health  -> 200 {"status":"ok"}                      (liveness)
//   GET /ready   -> 200 {"status":"ready"} | 503 {"status":"draining"}  (readiness)
//   anything else -> 404 JSON
//
// Env: PORT (default 3000), HOST (default: all interfaces), NODE_NAME (default: hostname),
//      LOG_REQUESTS=0 turns the per-request JSON log line off.
//
// SIGTERM / SIGINT: /ready turns 503, the server stops accepting, idle keep-alive connections
// are closed, in-flight requests finish (their responses carry `Connection: close`), then exit 0.
// Hard exit (status 1) after 10 s, or on a second signal.
import http from 'node:http';
import os from 'node:os';

const HOSTNAME = os.hostname();
const NODE_NAME = process.env.NODE_NAME || HOSTNAME;
const PORT = parsePort(process.env.PORT, 3000);
const HOST = process.env.HOST || undefined;
const LOG_REQUESTS = process.env.LOG_REQUESTS !== '0';
const SHUTDOWN_TIMEOUT_MS = 10_000;

let draining = false;

function parsePort(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`invalid PORT ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return n;
}

function log(fields) {
  process.stdout.write(JSON.stringify({ t: new Date().toISOString(), ...fields }) + '\n');
}

function send(req, res, status, body) {
  const payload = JSON.stringify(body);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  };
  // While draining, tell keep-alive clients (e.g. NGINX upstream pools) to drop this connection.
  if (draining) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function handle(req, res) {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const isGet = req.method === 'GET' || req.method === 'HEAD';

  if (isGet && path === '/') {
    return send(req, res, 200, {
      node: NODE_NAME,
      hostname: HOSTNAME,
      pid: process.pid,
      time: new Date().toISOString(),
    });
  }
  if (isGet && path === '/health') return send(req, res, 200, { status: 'ok' });
  if (isGet && path === '/ready') {
    return draining
      ? send(req, res, 503, { status: 'draining' })
      : send(req, res, 200, { status: 'ready' });
  }
  return send(req, res, 404, { error: 'not found', method: req.method, path });
}

const server = http.createServer((req, res) => {
  if (LOG_REQUESTS) {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      log({
        method: req.method,
        url: req.url,
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
      });
    });
  }
  try {
    handle(req, res);
  } catch (err) {
    log({ level: 'error', msg: 'handler failed', error: String(err?.stack || err) });
    if (!res.headersSent) send(req, res, 500, { error: 'internal error' });
    else res.destroy();
  }
});

// Longer than NGINX's upstream keepalive_timeout (60 s), so NGINX always closes idle upstream
// connections first and never sends a request on a socket this server is closing.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.on('error', (err) => {
  log({ level: 'error', msg: 'server error', error: String(err?.message || err) });
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  const addr = server.address();
  log({ msg: 'listening', node: NODE_NAME, port: typeof addr === 'object' ? addr?.port : addr, pid: process.pid });
});

function shutdown(signal) {
  if (draining) {
    log({ level: 'warn', msg: 'second signal, exiting now', signal });
    process.exit(1);
  }
  draining = true;
  log({ msg: 'draining', signal });

  const hard = setTimeout(() => {
    log({ level: 'error', msg: `connections still open after ${SHUTDOWN_TIMEOUT_MS} ms, forcing exit` });
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  hard.unref();

  server.close((err) => {
    if (err && err.code !== 'ERR_SERVER_NOT_RUNNING') {
      log({ level: 'error', msg: 'close failed', error: String(err.message || err) });
      process.exit(1);
    }
    log({ msg: 'drained, exiting' });
    process.exit(0);
  });
  server.closeIdleConnections();
  // Connections that finish their in-flight request become idle later; sweep them too.
  const sweep = setInterval(() => server.closeIdleConnections(), 250);
  sweep.unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
