import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP, isMethod, type ApiEvent, type Envelope, type MethodName } from '../shared/api/contract.ts';
import { ScaleDeckError, toErrorBody } from '../shared/api/errors.ts';
import type { ScaleDeck } from './services/scaledeck.ts';
import { CSP } from './shell/csp.ts';

/**
 * Web mode: the renderer and the API over HTTP, for self-hosting and for browser tests.
 * Binds 127.0.0.1 unless told otherwise; every API route and the event stream need the token.
 */
export interface ServeOptions {
  port?: number;
  host?: string;
  token?: string;
  staticDir?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  token: string;
  close(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
export const DEFAULT_STATIC_DIR = resolve(here, '..', 'dist', 'renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export { CSP };

const MAX_BODY = 1024 * 1024;

function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers[HTTP.tokenHeader];
  const m = typeof h === 'string' ? /^Bearer (.+)$/.exec(h) : null;
  return m?.[1] ?? null;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  return JSON.parse(text);
}

export function createApiServer(app: ScaleDeck, opts: { token: string; staticDir?: string }): Server {
  const handlers = app.handlers();
  const staticDir = opts.staticDir ?? DEFAULT_STATIC_DIR;
  const unauthorized: Envelope<never> = {
    ok: false,
    error: { code: 'UNAUTHORIZED', message: 'A valid token is required.', hint: 'Open the URL that `scaledeck serve` printed (it carries ?token=…).' },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Never let one bad request take the server down.
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: toErrorBody(err) });
      else res.end();
    });
  });
  return server;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');

    if (url.pathname === HTTP.events) {
      if (!tokenMatches(opts.token, url.searchParams.get('token') ?? bearer(req))) return sendJson(res, 401, unauthorized);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const unsubscribe = app.events.subscribe((e: ApiEvent) => res.write(`data: ${JSON.stringify(e)}\n\n`));
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(ping);
        unsubscribe();
      });
      return;
    }

    if (url.pathname.startsWith('/api/')) {
      if (!tokenMatches(opts.token, bearer(req))) return sendJson(res, 401, unauthorized);
      const method = url.pathname.slice('/api/'.length);
      if (!isMethod(method) || HTTP.route(method) !== url.pathname) {
        return sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: `No API method ${method}.` } });
      }
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'BAD_REQUEST', message: 'Use POST.' } });
      try {
        const args = await readBody(req);
        const handler = handlers[method as MethodName] as (a: unknown) => Promise<unknown>;
        const result = await handler(args);
        return sendJson(res, 200, { ok: true, result });
      } catch (err) {
        const status = (err as { status?: number }).status;
        const body = err instanceof SyntaxError ? { code: 'BAD_REQUEST' as const, message: `The request body is not JSON: ${err.message}` } : toErrorBody(err);
        return sendJson(res, status ?? (body.code === 'INTERNAL' ? 500 : 200), { ok: false, error: body });
      }
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ok: false, error: { code: 'BAD_REQUEST', message: 'Use GET.' } });
    return serveStatic(staticDir, url.pathname, res);
  }
}

function serveStatic(dir: string, pathname: string, res: ServerResponse): void {
  const root = resolve(dir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  let file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The ScaleDeck UI is not built. Run `npm run build:renderer` (npm start does it for you).\n');
    return;
  }
  const isHtml = file.endsWith('.html');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
    ...(isHtml ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY' } : {}),
  });
  createReadStream(file).pipe(res);
}

export async function serve(app: ScaleDeck, opts: ServeOptions = {}): Promise<RunningServer> {
  const token = opts.token ?? process.env.SCALEDECK_TOKEN ?? randomBytes(24).toString('base64url');
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const server = createApiServer(app, { token, staticDir: opts.staticDir });
  const wanted = opts.port ?? 7420;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new ScaleDeckError('PORT_IN_USE', `Web mode cannot listen on ${host}:${wanted}: the port is in use.`, 'Choose another with --port (0 picks a free one).'));
      } else reject(err);
    });
    server.listen(wanted, host, () => resolveListen());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${shownHost}:${port}/?token=${token}`;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    log(`Warning: web mode is listening on ${host}, reachable from other machines. Anyone with the token controls your Docker engine.`);
  }
  log(`ScaleDeck web mode: ${url}`);
  return {
    server,
    url,
    token,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
