import Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import { LABEL } from '../../shared/labels.ts';
import type { CreateOptions } from '../../shared/generate/create-options.ts';

/**
 * EngineClient: the only code that talks to a Docker engine. It wraps dockerode, turns engine
 * failures into ScaleDeckErrors that say what to do, and offers the few operations the engine
 * layer needs. Today it targets the local socket (or DOCKER_HOST); SSH-forwarded engines plug in
 * here by passing another dockerode instance.
 */

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  labels: Record<string, string>;
  ports: { hostIp?: string; hostPort?: number; containerPort: number }[];
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function describeEngineHost(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function engineUnreachable(err: unknown): ScaleDeckError {
  const detail = (err as Error)?.message ?? String(err);
  return new ScaleDeckError(
    'ENGINE_UNREACHABLE',
    `Cannot reach the Docker engine at ${describeEngineHost()} (${detail}).`,
    'Start Docker (e.g. `sudo systemctl start docker`, or `sudo dockerd &`), make sure your user can use its socket ' +
      '(`sudo usermod -aG docker $USER`), or set DOCKER_HOST. Nothing was created.',
  );
}

function isConnError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET' || code === 'EPIPE';
}

const statusCode = (err: unknown) => (err as { statusCode?: number })?.statusCode;

export interface EngineClientOptions {
  /** Which engine this is, for messages ("host web1 (deploy@10.0.0.5:22)"). Default: local. */
  where?: string;
  /** Turns a connection failure into the error users see (remote engines say which host). */
  unreachable?: (err: unknown) => ScaleDeckError;
}

export class EngineClient {
  readonly docker: Docker;
  readonly where: string;
  private readonly unreachable: (err: unknown) => ScaleDeckError;

  constructor(docker?: Docker, opts: EngineClientOptions = {}) {
    this.docker = docker ?? new Docker();
    this.where = opts.where ?? 'local';
    this.unreachable = opts.unreachable ?? engineUnreachable;
  }

  /** Run an engine call; connection failures become ENGINE_UNREACHABLE (or the host's own error). */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ScaleDeckError) throw err;
      if (isConnError(err) || /Not connected|No response from server|Channel open failure/i.test((err as Error)?.message ?? '')) throw this.unreachable(err);
      throw err;
    }
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    const v = await this.call(() => this.docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  async listContainers(cluster?: string): Promise<ContainerSummary[]> {
    const filters = { label: [cluster ? `${LABEL.cluster}=${cluster}` : LABEL.cluster] };
    const list = await this.call(() => this.docker.listContainers({ all: true, filters }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      status: c.Status,
      labels: c.Labels ?? {},
      ports: (c.Ports ?? []).map((p) => ({ hostIp: p.IP, hostPort: p.PublicPort, containerPort: p.PrivatePort })),
    }));
  }

  /** Every published host port of every container on this engine (for conflict checks). */
  async publishedPorts(): Promise<{ container: string; hostIp: string; hostPort: number }[]> {
    const list = await this.call(() => this.docker.listContainers({ all: false }));
    return list.flatMap((c) =>
      (c.Ports ?? [])
        .filter((p) => p.PublicPort)
        .map((p) => ({ container: (c.Names[0] ?? '').replace(/^\//, ''), hostIp: p.IP ?? '', hostPort: p.PublicPort })),
    );
  }

  async listNetworks(cluster?: string): Promise<{ id: string; name: string }[]> {
    const filters = { label: [cluster ? `${LABEL.cluster}=${cluster}` : LABEL.cluster] };
    const list = await this.call(() => this.docker.listNetworks({ filters }));
    return list.map((n) => ({ id: n.Id, name: n.Name }));
  }

  async listVolumes(cluster?: string): Promise<{ name: string; labels: Record<string, string> }[]> {
    const filters = { label: [cluster ? `${LABEL.cluster}=${cluster}` : LABEL.cluster] };
    const res = await this.call(() => this.docker.listVolumes({ filters }));
    return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.call(() => this.docker.getImage(ref).inspect());
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  /** Pull an image; resolves when done, rejects with the engine's message. */
  async pull(ref: string, onProgress?: (line: string) => void): Promise<void> {
    const stream = (await this.call(() => this.docker.pull(ref))) as Readable;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (evt: { status?: string; progress?: string; error?: string }) => {
          if (evt.error) reject(new Error(evt.error));
          else if (onProgress && evt.status) onProgress(`${evt.status}${evt.progress ? ` ${evt.progress}` : ''}`);
        },
      );
    });
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<void> {
    try {
      await this.call(() => this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true }));
    } catch (err) {
      if (statusCode(err) === 409) return; // created meanwhile: same name, fine
      throw err;
    }
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.call(() => this.docker.getNetwork(name).remove());
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw err;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(() => this.docker.createVolume({ Name: name, Labels: labels }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.call(() => this.docker.getVolume(name).remove());
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw err;
    }
  }

  async createContainer(opts: CreateOptions): Promise<string> {
    try {
      const c = await this.call(() => this.docker.createContainer(opts as unknown as Docker.ContainerCreateOptions));
      return c.id;
    } catch (err) {
      if (statusCode(err) === 409) {
        throw new ScaleDeckError(
          'CONFLICT',
          `A container named ${opts.name} already exists but does not carry this cluster's labels.`,
          `Remove or rename it (\`docker rm -f ${opts.name}\`) and run the command again.`,
        );
      }
      if (statusCode(err) === 404) {
        throw new ScaleDeckError('IMAGE_MISSING', `Image ${opts.Image} is not on this engine.`, imageHint(opts.Image));
      }
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(id).start());
    } catch (err) {
      if (statusCode(err) === 304) return; // already started
      const msg = (err as Error).message ?? '';
      if (/address already in use|port is already allocated/i.test(msg)) {
        throw new ScaleDeckError('PORT_IN_USE', `Docker could not publish a port: ${msg.split('\n').pop()}`, 'Free the port or choose another one in the spec (balancer/port).');
      }
      throw err;
    }
  }

  /** Stop (with the container's own stop signal and timeout) and remove. Missing is fine. */
  async stopAndRemove(id: string, timeoutS?: number): Promise<void> {
    const c = this.docker.getContainer(id);
    try {
      await this.call(() => c.stop(timeoutS === undefined ? {} : { t: timeoutS }));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 304 && code !== 404) throw err;
    }
    try {
      await this.call(() => c.remove({ force: true, v: false }));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 404 && code !== 409) throw err; // 409: removal already in progress
    }
  }

  /** Stop a container and keep it (already stopped or gone is fine). */
  async stop(id: string, timeoutS?: number): Promise<void> {
    try {
      await this.call(() => this.docker.getContainer(id).stop(timeoutS === undefined ? {} : { t: timeoutS }));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 304 && code !== 404) throw err;
    }
  }

  /** Take a container off a network (not attached is fine). */
  async disconnectNetwork(network: string, container: string): Promise<void> {
    try {
      await this.call(() => this.docker.getNetwork(network).disconnect({ Container: container, Force: true }));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 404 && !(code === 500 && /is not connected/i.test((err as Error).message))) throw err;
    }
  }

  /** Attach a container to a network under extra DNS names. */
  async connectNetwork(network: string, container: string, aliases: string[]): Promise<void> {
    await this.call(() => this.docker.getNetwork(network).connect({ Container: container, EndpointConfig: { Aliases: aliases } }));
  }

  async inspect(id: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.call(() => this.docker.getContainer(id).inspect());
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw err;
    }
  }

  async logsTail(id: string, lines = 20): Promise<string> {
    try {
      const buf = (await this.call(() =>
        this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
      )) as unknown as Buffer;
      return demuxBuffer(buf).trim();
    } catch {
      return '';
    }
  }

  /** Write a file into a container (works before it starts). Parent folders are created. */
  async putFile(id: string, path: string, content: string): Promise<void> {
    const pack = tar.pack();
    const parts = path.replace(/^\//, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      pack.entry({ name: `${parts.slice(0, i).join('/')}/`, type: 'directory', mode: 0o755 });
    }
    pack.entry({ name: parts.join('/'), mode: 0o644 }, content);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    await this.call(() => this.docker.getContainer(id).putArchive(Buffer.concat(chunks), { path: '/' }));
  }

  /** Read a file from a container; null when it is not there. */
  async readFile(id: string, path: string): Promise<string | null> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.call(() => this.docker.getContainer(id).getArchive({ path }));
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw err;
    }
    const extract = tar.extract();
    let content: string | null = null;
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (_header, entry, next) => {
        const chunks: Buffer[] = [];
        entry.on("data", (c: unknown) => chunks.push(c as Buffer));
        entry.on('end', () => {
          if (content === null) content = Buffer.concat(chunks).toString('utf8');
          next();
        });
        entry.resume();
      });
      extract.on('finish', () => resolve());
      extract.on('error', reject);
    });
    (stream as Readable).pipe(extract);
    await done;
    return content;
  }

  async exec(id: string, cmd: string[], timeoutMs = 30_000): Promise<ExecResult> {
    const container = this.docker.getContainer(id);
    const exec = await this.call(() => container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }));
    const stream = await this.call(() => exec.start({ hijack: true, stdin: false }));
    const out = new PassThrough();
    const err = new PassThrough();
    const outChunks: Buffer[] = [];
    const errChunks: Buffer[] = [];
    out.on('data', (c: Buffer) => outChunks.push(c));
    err.on('data', (c: Buffer) => errChunks.push(c));
    this.docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error(`\`${cmd.join(' ')}\` did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('end', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const info = await this.call(() => exec.inspect());
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: Buffer.concat(outChunks).toString('utf8'),
      stderr: Buffer.concat(errChunks).toString('utf8'),
    };
  }
}

/** Docker multiplexes stdout/stderr in 8-byte-framed chunks when there is no TTY. */
export function demuxBuffer(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf);
  const parts: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const len = buf.readUInt32BE(i + 4);
    if (type === undefined || type > 2 || buf[i + 1] !== 0) return buf.toString('utf8'); // not framed
    parts.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return parts.join('');
}

export function imageHint(image: string): string {
  if (image.startsWith('scaledeck-test/')) return 'Build the offline test images with `npm run test-images`.';
  if (image.startsWith('scaledeck/api-template')) {
    return 'Build the API node image with `npm run build-template` (or set api/image in the spec to an image you have).';
  }
  return `Pull it (\`docker pull ${image}\`), build it, or set the role's image in the spec. On a machine without a registry, run \`npm run test-images\` and set SCALEDECK_IMAGES=test.`;
}
