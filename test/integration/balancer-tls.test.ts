import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, destroyCluster, freePort, tempDir, uniqueName, writeSpec } from '../support/cluster.ts';

/**
 * TLS on the balancer with a generated self-signed certificate: HTTPS reaches the nodes, plain
 * HTTP is redirected to the HTTPS port, status shows the https URL, export carries the same config.
 */
const name = uniqueName('tls');
const home = tempDir();

function httpsGet(url: string): Promise<{ status: number; body: string; subject: string }> {
  return new Promise((res, rej) => {
    // Self-signed: the test checks the certificate's subject itself instead of a CA chain.
    const req = request(url, { rejectUnauthorized: false, agent: false, timeout: 5000 }, (r) => {
      let body = '';
      const cert = (r.socket as import('node:tls').TLSSocket).getPeerCertificate();
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body, subject: String(cert.subject?.CN ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

function redirectOf(url: string): Promise<{ status: number; location: string }> {
  return new Promise((res, rej) => {
    const req = httpRequest(url, { agent: false, timeout: 5000 }, (r) => {
      r.resume();
      res({ status: r.statusCode ?? 0, location: String(r.headers.location ?? '') });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

afterAll(async () => {
  await destroyCluster(name);
});

describe('balancer TLS', () => {
  it('serves HTTPS with a self-signed certificate and redirects HTTP to it', async () => {
    const http = await freePort();
    const https = await freePort();
    const yaml = `name: ${name}\napi:\n  replicas: 2\nworker:\n  replicas: 0\nbalancer:\n  port: ${http}\n  tls:\n    self_signed: true\n    port: ${https}\n`;
    const up = await cli(['up', writeSpec(home, yaml)], home);
    expect(up.stderr).not.toMatch(/Error/);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`Open https://127.0.0.1:${https}/`);

    const r = await httpsGet(`https://127.0.0.1:${https}/`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).node).toMatch(/^api-[12]$/);
    expect(r.subject).toBe(`${name}.scaledeck.local`);

    const plain = await redirectOf(`http://127.0.0.1:${http}/some/path?x=1`);
    expect(plain).toEqual({ status: 301, location: `https://127.0.0.1:${https}/some/path?x=1` });

    const ex = await cli(['export', name, '--json'], home);
    const files = (JSON.parse(ex.stdout) as { files: Record<string, string> }).files;
    expect(files['nginx.conf']).toContain('listen 443 ssl;');
    expect(files['nginx.conf']).toContain(`return 301 https://$host:${https}$request_uri;`);
    expect(files['docker-compose.yml']).toContain('./tls/cert.pem:/etc/scaledeck/tls/cert.pem:ro');
    expect(files['docker-compose.yml']).toContain(`127.0.0.1:${https}:443`);

    // Up again: nothing to do (the certificate is kept, so the balancer is not recreated).
    const again = await cli(['up', writeSpec(home, yaml)], home);
    expect(again.stdout).toContain('up to date');
  });

  it('rejects a TLS section without a certificate, before creating anything', async () => {
    const yaml = `name: ${name}x\nbalancer:\n  tls:\n    port: 9443\n`;
    const r = await cli(['up', writeSpec(home, yaml, 'bad.yaml')], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('balancer/tls');
    expect(r.stderr).toContain('needs both cert and key');
  });
});
