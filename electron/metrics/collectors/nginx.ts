import { Agent } from 'node:http';
import type { AddressResolver, MetricsTarget } from '../address.ts';
import { type CollectorTiming, PollingCollector, type PointSink } from '../source.ts';
import { httpGetText } from './http.ts';

export interface StubStatus {
  active: number;
  accepts: number;
  handled: number;
  requests: number;
  reading: number;
  writing: number;
  waiting: number;
}

/** Parse NGINX stub_status output; throws on anything else. */
export function parseStubStatus(text: string): StubStatus {
  const active = /Active connections:\s*(\d+)/.exec(text);
  const counters = /server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  const rww = /Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!active || !counters) throw new Error(`not an NGINX stub_status answer: ${JSON.stringify(text.slice(0, 80))}`);
  return {
    active: Number(active[1]),
    accepts: Number(counters[1]),
    handled: Number(counters[2]),
    requests: Number(counters[3]),
    reading: rww ? Number(rww[1]) : 0,
    writing: rww ? Number(rww[2]) : 0,
    waiting: rww ? Number(rww[3]) : 0,
  };
}

/** NGINX stub_status: active connections, and requests/s from the total counter's delta. */
export class NginxCollector extends PollingCollector {
  private prev: { t: number; requests: number } | null = null;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly target: MetricsTarget,
    private readonly resolver: AddressResolver,
    timing: CollectorTiming,
    sink: PointSink,
    private readonly port = 8081,
    private readonly path = '/nginx_status',
  ) {
    super(target.service, 'nginx', timing, sink);
  }

  protected async scrape(signal: AbortSignal, startedAt: number): Promise<void> {
    const address = await this.resolver.resolveAddress(this.target, this.port);
    const res = await httpGetText(address, this.path, { signal, agent: this.agent, maxBytes: 64 * 1024 });
    const s = parseStubStatus(res.body);
    const t = startedAt;
    const svc = this.service;
    this.sink(svc, 'active_conns', t, s.active);
    if (this.prev && s.requests >= this.prev.requests && t > this.prev.t) {
      // The counter includes this scrape's own request: one per interval, not traffic.
      const delta = Math.max(0, s.requests - this.prev.requests - 1);
      this.sink(svc, 'rps', t, delta / ((t - this.prev.t) / 1000));
    }
    this.prev = { t, requests: s.requests };
  }

  protected override onFailure(): void {
    this.prev = null;
    this.resolver.invalidate?.(this.target);
  }

  protected override async reset(): Promise<void> {
    this.agent.destroy(); // drop a kept-alive socket to an address that may be dead
  }
}
