import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type AddressResolver, type MetricsTarget, splitHostPort } from './address.ts';
import { errorMessage } from './source.ts';

export interface TunnelResolverOptions {
  /** Where the container's port is as the remote host sees it (its bridge IP there): "ip:port". */
  inner: AddressResolver;
  /** Open a stream to ip:port from the host (a direct-tcpip channel on its SSH connection). */
  forward: (ip: string, port: number) => Promise<Duplex>;
  /** Run before an address is handed out; rejects (naming the host) while it cannot be reached. */
  check?: () => Promise<void>;
}

interface Tunnel {
  server: Server;
  sockets: Set<Socket>;
  address: Promise<string>;
}

/**
 * Container ports on a remote host, for collectors that speak plain TCP (HTTP, Redis, Postgres):
 * one listener on 127.0.0.1:<ephemeral> per (container, port); every connection to it becomes a
 * channel on the host's existing SSH connection to the container's bridge IP there. `invalidate`
 * (after a failure, or when the container goes away) closes the container's listeners and the
 * connections through them; the next resolve opens fresh ones.
 */
export class TunnelResolver implements AddressResolver {
  private readonly tunnels = new Map<string, Tunnel>();

  constructor(private readonly opts: TunnelResolverOptions) {}

  async resolveAddress(target: MetricsTarget, port: number): Promise<string> {
    await this.opts.check?.();
    const key = `${target.id}|${port}`;
    let t = this.tunnels.get(key);
    if (!t) {
      t = this.open(target, port);
      this.tunnels.set(key, t);
      t.address.catch(() => {
        if (this.tunnels.get(key) === t) this.tunnels.delete(key);
      });
    }
    return t.address;
  }

  private open(target: MetricsTarget, port: number): Tunnel {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      void this.pipe(socket, target, port);
    });
    server.on('error', () => undefined);
    const address = (async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const a = server.address();
      if (!a || typeof a === 'string') throw new Error('tunnel listener has no port');
      return `127.0.0.1:${a.port}`;
    })();
    return { server, sockets, address };
  }

  private async pipe(socket: Socket, target: MetricsTarget, port: number): Promise<void> {
    let channel: Duplex;
    try {
      const { host, port: p } = splitHostPort(await this.opts.inner.resolveAddress(target, port));
      channel = await this.opts.forward(host, p);
    } catch (err) {
      // The client sees a reset; its collector reports the failure and invalidates the tunnel.
      socket.destroy(new Error(`tunnel to ${target.name}:${port}: ${errorMessage(err)}`));
      return;
    }
    if (socket.destroyed) {
      channel.destroy();
      return;
    }
    channel.on('error', () => socket.destroy());
    channel.on('close', () => socket.destroy());
    socket.on('close', () => channel.destroy());
    socket.pipe(channel).pipe(socket);
  }

  private closeTunnel(key: string): void {
    const t = this.tunnels.get(key);
    if (!t) return;
    this.tunnels.delete(key);
    t.server.close();
    for (const s of t.sockets) s.destroy();
  }

  invalidate(target: MetricsTarget): void {
    for (const key of [...this.tunnels.keys()]) if (key.startsWith(`${target.id}|`)) this.closeTunnel(key);
    this.opts.inner.invalidate?.(target);
  }

  /** Close every listener and connection (the hub stopped). */
  close(): void {
    for (const key of [...this.tunnels.keys()]) this.closeTunnel(key);
  }

  /** Open listeners (for tests and diagnostics). */
  get size(): number {
    return this.tunnels.size;
  }
}
