import { createServer, type Server } from 'node:net';
import { EngineClient, type ContainerSummary } from '../docker/client.ts';
import { BridgeNetworkResolver, type AddressResolver, type MetricsTarget } from '../metrics/address.ts';
import type { StatsSource } from '../metrics/collectors/stats-stream.ts';
import type { SshConnection } from './pool.ts';

/**
 * Live metrics of a cluster spread over hosts: the hub sees one engine whose container list is
 * every host's, stats streams are opened on the engine that runs each container, and container
 * ports on a remote host are reached through a local port tunnelled over that host's SSH
 * connection (direct-tcpip to the container's address on the host's sd-<cluster> network).
 */

export interface FleetMember {
  host: string;
  engine: EngineClient;
  /** For remote hosts: the SSH connection tunnels go through. */
  connection?: () => Promise<SshConnection>;
}

export class FleetEngine extends EngineClient {
  /** Which member runs each container id (from the last listing). */
  readonly owner = new Map<string, FleetMember>();

  constructor(
    private readonly members: FleetMember[],
    local: EngineClient,
  ) {
    super(local.docker, { where: 'every host of the cluster' });
  }

  override async listContainers(cluster?: string): Promise<ContainerSummary[]> {
    const lists = await Promise.all(this.members.map(async (m) => ({ m, list: await m.engine.listContainers(cluster) })));
    this.owner.clear();
    return lists.flatMap(({ m, list }) => {
      for (const c of list) this.owner.set(c.id, m);
      return list;
    });
  }

  statsSource(): StatsSource {
    return {
      openStatsStream: (id, signal) => {
        const engine = this.owner.get(id)?.engine ?? this;
        return engine.docker.getContainer(id).stats({ stream: true, abortSignal: signal } as { stream: true }) as Promise<NodeJS.ReadableStream>;
      },
    };
  }
}

/** Local containers at their bridge IP; remote ones at a local port tunnelled over SSH. */
export class FleetResolver implements AddressResolver {
  private readonly local: BridgeNetworkResolver;
  private readonly tunnels = new Map<string, { server: Server; address: string }>();

  constructor(
    private readonly fleet: FleetEngine,
    private readonly cluster: string,
    localEngine: EngineClient,
  ) {
    this.local = BridgeNetworkResolver.forCluster(localEngine, cluster);
  }

  async resolveAddress(target: MetricsTarget, port: number): Promise<string> {
    const m = this.fleet.owner.get(target.id);
    if (!m?.connection) return this.local.resolveAddress(target, port);
    const key = `${target.id}:${port}`;
    const open = this.tunnels.get(key);
    if (open) return open.address;
    const remoteAddr = await BridgeNetworkResolver.forCluster(m.engine, this.cluster).resolveAddress(target, port);
    const [ip] = remoteAddr.replace(/^\[|\](?=:)/g, '').split(/:(?=\d+$)/);
    const getConn = m.connection;
    const server = createServer((sock) => {
      sock.on('error', () => sock.destroy());
      getConn()
        .then(
          (c) =>
            new Promise<void>((resolve, reject) =>
              c.client.forwardOut('127.0.0.1', 0, ip!, port, (err, ch) => {
                if (err) return reject(err);
                sock.pipe(ch).pipe(sock);
                ch.on('close', () => sock.destroy());
                ch.on('error', () => sock.destroy());
                sock.on('close', () => ch.close());
                resolve();
              }),
            ),
        )
        .catch(() => sock.destroy());
    });
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    this.tunnels.set(key, { server, address });
    return address;
  }

  invalidate(target: MetricsTarget): void {
    this.local.invalidate(target);
    for (const [key, t] of this.tunnels) {
      if (key.startsWith(`${target.id}:`)) {
        t.server.close();
        this.tunnels.delete(key);
      }
    }
  }
}

