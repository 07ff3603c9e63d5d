import http from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { ClientChannel } from 'ssh2';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { HostView } from '../../shared/api/types.ts';
import { EngineClient } from '../docker/client.ts';
import { describeHost, type SshConnection } from './pool.ts';

/**
 * A host's Docker engine over its one SSH connection: dockerode with an http.Agent whose every
 * socket is a channel on that connection, forwarded to /var/run/docker.sock on the host
 * (openssh_forwardOutStreamLocal). When the server does not allow stream-local forwarding, the
 * channel runs `docker system dial-stdio` instead (needs the docker CLI on the host).
 */

export type Transport = 'forward' | 'dial-stdio';

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** Node's http client calls these socket methods; an SSH channel has none of them. */
function asSocket(ch: ClientChannel): Duplex {
  const s = ch as unknown as Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => ch;
  }
  return ch;
}

export function openChannel(conn: SshConnection, transport: Transport): Promise<ClientChannel> {
  if (transport === 'forward') return conn.forwardSocket(DOCKER_SOCKET);
  return conn.execStream('docker system dial-stdio').then((ch) => {
    ch.stderr.resume();
    return ch;
  });
}

/** dockerode whose requests travel over `getConn()`'s connection (re-opened by the pool when lost). */
export function sshDocker(getConn: () => Promise<SshConnection>, transport: Transport): Docker {
  const agent = new http.Agent({ keepAlive: false });
  // Node's Agent accepts an asynchronous createConnection (the callback form).
  (agent as unknown as { createConnection: unknown }).createConnection = (_opts: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
    getConn()
      .then((c) => openChannel(c, transport))
      .then(
        (ch) => cb(null, asSocket(ch)),
        (err: Error) => cb(err),
      );
    return undefined;
  };
  return new Docker({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
}

/** Why the engine cannot be reached through this connection, with the command that fixes it. */
export async function diagnoseEngine(conn: SshConnection, cause: string): Promise<ScaleDeckError> {
  const h = conn.host;
  const d = describeHost(h);
  let probe = '';
  try {
    probe = (
      await conn.exec(
        `if [ -S ${DOCKER_SOCKET} ]; then echo socket; fi; if [ -r ${DOCKER_SOCKET} ] && [ -w ${DOCKER_SOCKET} ]; then echo access; fi; ` +
          `command -v docker >/dev/null 2>&1 && echo cli; command -v dockerd >/dev/null 2>&1 && echo daemon; true`,
      )
    ).stdout;
  } catch {
    /* could not even run a command: report the cause */
  }
  const has = (w: string) => probe.split('\n').includes(w);
  if (probe && !has('socket') && !has('daemon')) {
    return new ScaleDeckError(
      'ENGINE_UNREACHABLE',
      `${d}: Docker is not installed (no ${DOCKER_SOCKET}, no dockerd).`,
      'Install it on the host, e.g. `sudo apt-get install -y docker.io && sudo systemctl enable --now docker` (Debian/Ubuntu), ' +
        `then \`sudo usermod -aG docker ${h.user}\` and run \`scaledeck hosts test ${h.name}\`.`,
    );
  }
  if (probe && !has('socket')) {
    return new ScaleDeckError('ENGINE_UNREACHABLE', `${d}: Docker is installed but its engine is not running (no ${DOCKER_SOCKET}).`, 'Start it on the host: `sudo systemctl enable --now docker`.');
  }
  if (probe && !has('access')) {
    return new ScaleDeckError(
      'ENGINE_UNREACHABLE',
      `${d}: user ${h.user} may not use the Docker socket (${DOCKER_SOCKET}: permission denied).`,
      `On the host run \`sudo usermod -aG docker ${h.user}\`, then \`scaledeck hosts test ${h.name}\` (the new group applies to new logins).`,
    );
  }
  return new ScaleDeckError('ENGINE_UNREACHABLE', `${d}: cannot reach the Docker engine (${cause}).`, `Check \`docker version\` as ${h.user} on the host.`);
}

export interface RemoteEngine {
  engine: EngineClient;
  transport: Transport;
}

/**
 * Find a working transport on a connected host: the forwarded socket, else dial-stdio.
 * Throws a ScaleDeckError that names the host and the fix.
 */
export async function remoteEngine(host: HostView, getConn: () => Promise<SshConnection>): Promise<RemoteEngine> {
  const conn = await getConn();
  let firstErr = '';
  for (const transport of ['forward', 'dial-stdio'] as const) {
    const docker = sshDocker(getConn, transport);
    try {
      await withTimeout(docker.ping(), 15_000, 'the engine did not answer a ping within 15 s');
      const engine = new EngineClient(docker, {
        where: describeHost(host),
        unreachable: (err) =>
          new ScaleDeckError('HOST_UNREACHABLE', `${describeHost(host)}: lost the connection to its Docker engine (${(err as Error)?.message ?? err}).`, 'Check that the host is up; the next command reconnects.'),
      });
      return { engine, transport };
    } catch (err) {
      if (err instanceof ScaleDeckError) throw err;
      firstErr ||= (err as Error).message;
    }
  }
  throw await diagnoseEngine(conn, firstErr);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}
