import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { LogLine } from '../../shared/api/types.ts';
import { names } from '../../shared/labels.ts';
import type { EngineClient } from '../docker/client.ts';
import type { EventBus } from './events.ts';

/**
 * Follow a container's logs: one engine log stream per follower, lines pushed as events in
 * batches (at most every 200 ms). A follower holds a lease that the UI renews while the logs
 * view is open; a stream whose lease runs out is closed, so a closed window or a lost browser
 * tab never leaves streams behind.
 */
const LEASE_MS = 30_000;
const FLUSH_MS = 200;
const MAX_BATCH = 500;

interface Follower {
  id: string;
  stream: Readable;
  expires: number;
  pending: LogLine[];
  timer: NodeJS.Timeout;
}

export class LogFollowers {
  private readonly followers = new Map<string, Follower>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly engine: EngineClient,
    private readonly events: EventBus,
    /** The engine a service runs on (multi-host clusters); default: the engine above. */
    private readonly engineOf?: (cluster: string, service: string) => Promise<EngineClient>,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 5_000);
    this.sweeper.unref();
  }

  async follow(args: { cluster: string; service: string; tail?: number; streamId?: string }): Promise<{ streamId: string }> {
    if (args.streamId) {
      const f = this.followers.get(args.streamId);
      if (f) {
        f.expires = Date.now() + LEASE_MS;
        return { streamId: f.id };
      }
    }
    const name = names.container(args.cluster, args.service);
    const engine = this.engineOf ? await this.engineOf(args.cluster, args.service) : this.engine;
    const info = await engine.inspect(name);
    if (!info) throw new ScaleDeckError('NOT_FOUND', `No container ${name} (service ${args.service} of cluster ${args.cluster}).`);
    const raw = (await engine.docker.getContainer(name).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      tail: Math.min(Math.max(args.tail ?? 200, 0), 5000),
    })) as unknown as Readable;
    const id = randomUUID().slice(0, 12);
    const follower: Follower = {
      id,
      stream: raw,
      expires: Date.now() + LEASE_MS,
      pending: [],
      timer: setInterval(() => this.flush(follower), FLUSH_MS),
    };
    follower.timer.unref();
    const push = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => {
        const text = rest + chunk.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) follower.pending.push(parseLine(line, stream));
        if (follower.pending.length > MAX_BATCH * 4) follower.pending.splice(0, follower.pending.length - MAX_BATCH * 4);
      });
      return out;
    };
    if (info.Config.Tty) raw.pipe(push('stdout'));
    else engine.docker.modem.demuxStream(raw, push('stdout'), push('stderr'));
    raw.on('end', () => this.stop(id));
    raw.on('error', () => this.stop(id));
    this.followers.set(id, follower);
    return { streamId: id };
  }

  stop(streamId: string): void {
    const f = this.followers.get(streamId);
    if (!f) return;
    this.flush(f);
    clearInterval(f.timer);
    this.followers.delete(streamId);
    f.stream.destroy();
    this.events.emit({ type: 'logs', streamId, lines: [], ended: true });
  }

  stopAll(): void {
    for (const id of [...this.followers.keys()]) this.stop(id);
    clearInterval(this.sweeper);
  }

  private flush(f: Follower): void {
    if (f.pending.length === 0) return;
    const lines = f.pending.splice(0, MAX_BATCH);
    this.events.emit({ type: 'logs', streamId: f.id, lines, ended: false });
  }

  private sweep(): void {
    const now = Date.now();
    for (const f of this.followers.values()) if (f.expires < now) this.stop(f.id);
  }
}

/** Docker prefixes each line with an RFC 3339 timestamp when asked to. */
export function parseLine(line: string, stream: 'stdout' | 'stderr'): LogLine {
  const sp = line.indexOf(' ');
  const ts = sp > 0 ? line.slice(0, sp) : '';
  if (/^\d{4}-\d{2}-\d{2}T/.test(ts)) return { ts, stream, text: line.slice(sp + 1) };
  return { ts: '', stream, text: line };
}
