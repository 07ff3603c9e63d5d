import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Small real HTTP servers on 127.0.0.1 for the load test engine's tests and benchmarks.
 * Each counts the requests it receives, so tests can compare with the engine's own count.
 */
export interface TestServer {
  url: string;
  port: number;
  /** Requests received (including login calls). */
  count(): number;
  close(): Promise<void>;
}

async function listen(server: http.Server, counter: () => number): Promise<TestServer> {
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    count: counter,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers `ok` at once, except during a stall of `stallMs` every `periodMs`: everything that
 * arrives during a stall waits until it ends. The first stall starts `firstAfterMs` after the
 * first request, so a run started against a fresh server meets its stalls at known times.
 */
export function stallServer(opts: { periodMs?: number; stallMs?: number; firstAfterMs?: number } = {}): Promise<TestServer> {
  const period = opts.periodMs ?? 10_000;
  const stall = opts.stallMs ?? 1000;
  const first = opts.firstAfterMs ?? 500;
  let n = 0;
  let origin = -1;
  const server = http.createServer((req, res) => {
    n++;
    const now = performance.now();
    if (origin < 0) origin = now;
    const since = now - origin - first;
    const phase = since >= 0 ? since % period : -1;
    req.resume();
    if (phase >= 0 && phase < stall) setTimeout(() => res.end('ok'), stall - phase);
    else res.end('ok');
  });
  return listen(server, () => n);
}

/**
 * Routes: `/` ok; `/slow?ms=N` answers after N ms; `/status/NNN` answers that status;
 * `/api/register` + `/api/login` (JSON body with a username) → `{accessToken}`;
 * `/api/me` 200 with a valid `Authorization: Bearer` token, else 401;
 * `/chunked` a chunked body; `/close` answers with Connection: close.
 */
export function appServer(): Promise<TestServer & { authorized(): number; unauthorized(): number }> {
  let n = 0;
  let ok = 0;
  let denied = 0;
  const users = new Map<string, string>();
  const server = http.createServer((req, res) => {
    n++;
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const p = url.pathname;
      if (p === '/slow') {
        setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 50));
      } else if (p.startsWith('/status/')) {
        res.statusCode = Number(p.slice(8));
        res.end();
      } else if (p === '/api/register' || p === '/api/login') {
        let name = '';
        try {
          name = String((JSON.parse(body) as { username?: unknown }).username ?? '');
        } catch {
          // fall through to 400
        }
        if (!name) {
          res.statusCode = 400;
          return res.end('{"error":"username required"}');
        }
        if (p === '/api/register') {
          if (users.has(name)) res.statusCode = 409;
          else users.set(name, `tok-${name}-${users.size}`);
          return res.end('{}');
        }
        const token = users.get(name);
        res.setHeader('content-type', 'application/json');
        if (!token) {
          res.statusCode = 401;
          return res.end('{"error":"unknown user"}');
        }
        res.end(JSON.stringify({ accessToken: token }));
      } else if (p === '/api/me') {
        const auth = req.headers.authorization ?? '';
        const valid = auth.startsWith('Bearer ') && [...users.values()].includes(auth.slice(7));
        if (valid) ok++;
        else denied++;
        res.statusCode = valid ? 200 : 401;
        res.end(valid ? '{"me":true}' : '{"error":"unauthorized"}');
      } else if (p === '/chunked') {
        res.write('a'.repeat(100));
        res.write('b'.repeat(3000));
        res.end('c');
      } else if (p === '/close') {
        res.setHeader('connection', 'close');
        res.end('bye');
      } else res.end('ok');
    });
  });
  return listen(server, () => n).then((s) => ({ ...s, authorized: () => ok, unauthorized: () => denied }));
}
