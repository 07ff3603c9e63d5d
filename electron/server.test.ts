import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP, METHODS } from '../shared/api/contract.ts';
import type { EngineClient } from './docker/client.ts';
import { CSP, createApiServer } from './server.ts';
import { ScaleDeck } from './services/scaledeck.ts';
import { Workspace } from './workspace/workspace.ts';

const TOKEN = 'test-token-123';
let dir: string;
let base: string;
let close: () => Promise<void>;
let app: ScaleDeck;

/** An engine that fails the test if anything reaches it. */
const noEngine = new Proxy(
  {},
  {
    get: (_t, prop) => {
      if (prop === 'then') return undefined;
      return () => {
        throw new Error(`the engine was called (${String(prop)})`);
      };
    },
  },
) as EngineClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaledeck-server-'));
  mkdirSync(join(dir, 'static', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>ScaleDeck</title>');
  writeFileSync(join(dir, 'static', 'assets', 'app.js'), 'console.log(1)');
  app = new ScaleDeck({ engine: noEngine, workspace: new Workspace(join(dir, 'home')), imageSet: 'official' });
  const server = createApiServer(app, { token: TOKEN, staticDir: join(dir, 'static') });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
});

afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('token', () => {
  it.each(METHODS.map((m) => [m]))('POST %s without a token is 401 UNAUTHORIZED', async (m) => {
    const res = await fetch(`${base}${HTTP.route(m)}`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { ok: boolean; error: { code: string; hint?: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(body.error.hint).toBeTruthy();
  });

  it.each([
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a token of another length', { authorization: `Bearer ${TOKEN}x` }],
    ['the token without Bearer', { authorization: TOKEN }],
  ])('POST with %s is 401', async (_what, headers) => {
    const res = await post(HTTP.route('presets.list'), null, headers);
    expect(res.status).toBe(401);
  });

  it('does not accept the token as a query parameter on API methods', async () => {
    const res = await fetch(`${base}${HTTP.route('presets.list')}?token=${TOKEN}`, { method: 'POST' });
    expect(res.status).toBe(401);
  });

  it('GET on a method without a token is 401 too', async () => {
    expect((await fetch(`${base}${HTTP.route('clusters.list')}`)).status).toBe(401);
  });

  it('/api/events without a token is 401', async () => {
    const res = await fetch(`${base}${HTTP.events}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${base}${HTTP.events}?token=wrong`)).status).toBe(401);
  });

  it('unknown methods are 401 without a token (nothing is revealed)', async () => {
    expect((await post('/api/clusters.nuke', null, {})).status).toBe(401);
  });
});

describe('routes', () => {
  it('presets.list answers with every preset as YAML', async () => {
    const res = await post(HTTP.route('presets.list'), null);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await res.json()) as { ok: true; result: { id: string; yaml: string }[] };
    expect(body.ok).toBe(true);
    expect(body.result.map((p) => p.id)).toEqual(['starter', 'tiny', 'busy']);
    expect(body.result[0]!.yaml).toContain('replicas: 3');
    expect(body.result[0]!.yaml).not.toContain('image:'); // images follow the image set in use
  });

  it('clusters.validate returns the parsed spec for valid YAML', async () => {
    const res = await post(HTTP.route('clusters.validate'), { yaml: 'name: shop\napi:\n  replicas: 4\n' });
    const body = (await res.json()) as { ok: true; result: { ok: boolean; spec: { api: { replicas: number } } } };
    expect(res.status).toBe(200);
    expect(body.result.ok).toBe(true);
    expect(body.result.spec.api.replicas).toBe(4);
  });

  it('clusters.validate returns path-qualified errors with lines for invalid YAML', async () => {
    const res = await post(HTTP.route('clusters.validate'), { yaml: 'name: shop\napi:\n  replicas: 0\n' });
    const body = (await res.json()) as { ok: true; result: { ok: false; errors: unknown[] } };
    expect(body.ok).toBe(true);
    expect(body.result).toEqual({ ok: false, errors: [{ path: 'api/replicas', message: 'must be between 1 and 64 (got 0)', line: 3 }] });
  });

  it('a missing argument is a BAD_REQUEST envelope', async () => {
    const res = await post(HTTP.route('clusters.validate'), {});
    const body = (await res.json()) as { ok: false; error: { code: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toContain('yaml');
  });

  it('a body that is not JSON is a BAD_REQUEST', async () => {
    const res = await fetch(`${base}${HTTP.route('clusters.validate')}`, { method: 'POST', headers: auth, body: '{not json' });
    const body = (await res.json()) as { ok: false; error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toContain('not JSON');
  });

  it('a body over 1 MiB is refused with 413', async () => {
    const res = await fetch(`${base}${HTTP.route('clusters.validate')}`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ yaml: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(res.status).toBe(413);
  });

  it('operations.get for an unknown id is NOT_FOUND', async () => {
    const body = (await (await post(HTTP.route('operations.get'), { id: 'nope' })).json()) as { ok: false; error: { code: string } };
    expect(body.error.code).toBe('NOT_FOUND');
  });

  it('an unknown method is 404 with the token', async () => {
    const res = await post('/api/clusters.nuke', null);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { ok: false; error: { code: string; message: string } };
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.message).toContain('clusters.nuke');
    expect((await post('/api/presets.list/extra', null)).status).toBe(404);
    expect((await post('/api/toString', null)).status).toBe(404);
  });

  it.each(['GET', 'PUT', 'DELETE'])('%s on a method is 405', async (method) => {
    const res = await fetch(`${base}${HTTP.route('presets.list')}`, { method, headers: auth });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });
});

describe('events', () => {
  it('streams events to a client with the token (query or bearer)', async () => {
    for (const [url, headers] of [
      [`${base}${HTTP.events}?token=${TOKEN}`, {}],
      [`${base}${HTTP.events}`, auth],
    ] as const) {
      const ac = new AbortController();
      const res = await fetch(url, { headers, signal: ac.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);
      expect(text).toContain(': connected');
      app.events.emit({ type: 'cluster-changed', cluster: 'shop' });
      while (!text.includes('data: ')) text += decoder.decode((await reader.read()).value);
      expect(text).toContain(`data: ${JSON.stringify({ type: 'cluster-changed', cluster: 'shop' })}\n\n`);
      ac.abort();
      await reader.cancel().catch(() => {});
    }
  });
});

describe('static files', () => {
  it('serves index.html with the CSP, no caching and frame denial', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('<title>ScaleDeck</title>');
  });

  it('the CSP allows no inline or remote script and no framing', () => {
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(CSP).toContain("frame-ancestors 'none'");
    expect(CSP).toContain("object-src 'none'");
  });

  it('falls back to index.html (with the CSP) for client-side routes', async () => {
    const res = await fetch(`${base}/clusters/shop`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
  });

  it('serves assets with long caching and without the HTML headers', async () => {
    const res = await fetch(`${base}/assets/app.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(await res.text()).toBe('console.log(1)');
  });

  it('refuses to leave the static folder', async () => {
    writeFileSync(join(dir, 'outside.txt'), 'SECRET');
    const status = await rawGet('/..%2foutside.txt');
    expect(status).toBe(403);
  });

  it('refuses other methods on static paths', async () => {
    const res = await fetch(`${base}/`, { method: 'POST' });
    expect(res.status).toBe(405);
  });

  // BUG (electron/server.ts serveStatic): `file.startsWith(root)` also matches a sibling folder
  // whose name starts with the static folder's name (…/static-private). Remove `.fails` once fixed.
  it('does not serve files from a sibling folder sharing the prefix', async () => {
    mkdirSync(join(dir, 'static-private'), { recursive: true });
    writeFileSync(join(dir, 'static-private', 'secret.txt'), 'SECRET');
    const res = await fetch(`${base}/..%2fstatic-private%2fsecret.txt`);
    expect(await res.text()).not.toContain('SECRET');
  });
});

/** GET with the path sent exactly as given (fetch would normalize some of it). */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
