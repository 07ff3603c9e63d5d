import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGetText } from './collectors/http.ts';
import { StaticResolver, type MetricsTarget } from './address.ts';
import { TunnelResolver } from './tunnel.ts';

/**
 * The tunnel resolver against a fake "host": `forward` opens a plain TCP connection where an SSH
 * channel would be opened, so listeners, piping, failures and closing are tested without sshd.
 */

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function serve(body: string): Promise<number> {
  const srv = createServer((_req, res) => res.end(body));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as AddressInfo).port;
}

const target = (id: string): MetricsTarget => ({ id, name: `sd-t-${id}`, service: id, role: 'api' });

function tcpForward(log: string[]): (ip: string, port: number) => Promise<Duplex> {
  return (ip, port) =>
    new Promise((resolve, reject) => {
      log.push(`${ip}:${port}`);
      const s = connect(port, ip);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
}

const refused = async (address: string) =>
  httpGetText(address, '/').then(
    () => 'answered',
    (err: Error) => err.message,
  );

describe('TunnelResolver', () => {
  it('serves each (container, port) on one local listener piped to the forwarded address, and closes them', async () => {
    const p1 = await serve('one');
    const p2 = await serve('two');
    const opened: string[] = [];
    const r = new TunnelResolver({
      // The "bridge IP on the host" of each container.
      inner: new StaticResolver({ a: `127.0.0.1:${p1}`, b: `127.0.0.1:${p2}` }),
      forward: tcpForward(opened),
    });
    const a = await r.resolveAddress(target('a'), 3000);
    expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await r.resolveAddress(target('a'), 3000)).toBe(a); // the same listener
    const b = await r.resolveAddress(target('b'), 3000);
    expect(b).not.toBe(a);
    expect((await httpGetText(a, '/metrics')).body).toBe('one');
    expect((await httpGetText(a, '/metrics')).body).toBe('one');
    expect((await httpGetText(b, '/')).body).toBe('two');
    // One forwarded channel per connection, to the container's address as the host sees it.
    expect(opened).toEqual([`127.0.0.1:${p1}`, `127.0.0.1:${p1}`, `127.0.0.1:${p2}`]);
    expect(r.size).toBe(2);

    // The container went away (or failed): its listener closes; another is opened on the next resolve.
    r.invalidate(target('a'));
    expect(r.size).toBe(1);
    expect(await refused(a)).toMatch(/ECONNREFUSED/);
    const a2 = await r.resolveAddress(target('a'), 3000);
    expect((await httpGetText(a2, '/')).body).toBe('one');

    r.close();
    expect(r.size).toBe(0);
    expect(await refused(a2)).toMatch(/ECONNREFUSED/);
    expect(await refused(b)).toMatch(/ECONNREFUSED/);
  });

  it('resets the client when the channel cannot be opened, and refuses addresses while the host is unreachable', async () => {
    let hostUp = true;
    const r = new TunnelResolver({
      inner: new StaticResolver({ a: '10.0.0.5:3000' }),
      forward: async () => {
        throw new Error('(SSH) Channel open failure: Connection refused');
      },
      check: async () => {
        if (!hostUp) throw new Error('host web1 (lab@127.0.0.1:2222): cannot connect (ECONNREFUSED)');
      },
    });
    const a = await r.resolveAddress(target('a'), 3000);
    expect(await refused(a)).toMatch(/socket hang up|ECONNRESET/);
    hostUp = false;
    await expect(r.resolveAddress(target('a'), 3000)).rejects.toThrow(/host web1/);
    r.close();
  });
});
