import type { ClusterDetail, ContainerView } from '../../../shared/api/index.ts';
import { healthTone, nodeHealth, sortContainers, type NodeHealth } from '../lib/health.ts';
import { shortImage } from '../lib/format.ts';

interface NodeSlot {
  service: string;
  role: string;
  container?: ContainerView;
}

const HEALTH_TEXT: Record<NodeHealth, string> = {
  healthy: 'healthy',
  starting: 'starting',
  unhealthy: 'unhealthy',
  exited: 'exited',
  missing: 'not created',
};

function Node({ slot, caption, wide, showHost }: { slot: NodeSlot; caption?: string; wide?: boolean; showHost?: boolean }) {
  const c = slot.container;
  const health = nodeHealth(c);
  const tone = healthTone[health];
  return (
    <div
      className={`node tone-${tone}${wide ? ' node-wide' : ''}${health === 'missing' ? ' node-missing' : ''}`}
      data-testid={`node-${slot.service}`}
      data-health={health}
      data-state={c?.state ?? 'missing'}
      title={c ? `${c.name}\n${c.image}\n${c.status}` : `${slot.service} is in the spec but has no container yet`}
    >
      <div className="node-head">
        <span className={`dot tone-${tone}${health === 'starting' ? ' pulse' : ''}`} aria-hidden="true" />
        <span className="node-name mono truncate">{slot.service}</span>
        {showHost && (
          <span className="node-host mono" title="The host it runs on">
            @{c?.host ?? 'local'}
          </span>
        )}
      </div>
      <div className="node-sub">
        <span className="node-health">{c?.health === 'none' && health === 'healthy' ? 'running' : HEALTH_TEXT[health]}</span>
        {caption && <span className="muted"> · {caption}</span>}
      </div>
      <div className="node-image mono truncate">
        {c?.upToDate === false && (
          <span className="node-flag" title="Its configuration differs from the spec; the next apply recreates it">
            outdated ·{' '}
          </span>
        )}
        {c ? shortImage(c.image) : '\u00a0'}
      </div>
    </div>
  );
}

/**
 * balancer on top → API nodes → data services. Built from the containers that exist plus what the
 * spec asks for, so a node that should exist but does not shows as a dashed "not created" box.
 */
export function Topology({ cluster }: { cluster: ClusterDetail }) {
  const containers = sortContainers(cluster.containers);
  const spec = cluster.spec;
  const byService = new Map(containers.map((c) => [c.service, c]));

  const balancer: NodeSlot = { service: 'balancer', role: 'balancer', container: containers.find((c) => c.role === 'balancer') };
  if (balancer.container) balancer.service = balancer.container.service;

  const apiContainers = containers.filter((c) => c.role === 'api');
  const wanted = spec?.api.replicas ?? 0;
  const api: NodeSlot[] = apiContainers.map((c) => ({ service: c.service, role: 'api', container: c }));
  for (let i = 1; i <= wanted; i++) {
    if (!byService.has(`api-${i}`)) api.push({ service: `api-${i}`, role: 'api' });
  }
  api.sort((a, b) => a.service.localeCompare(b.service, undefined, { numeric: true }));

  const data: NodeSlot[] = containers
    .filter((c) => c.role !== 'api' && c.role !== 'balancer')
    .map((c) => ({ service: c.service, role: c.role, container: c }));
  if (spec) {
    for (const role of ['redis', 'postgres']) {
      if (!data.some((d) => d.role === role)) data.push({ service: role, role });
    }
  }
  const dataOrder = (s: NodeSlot) => (s.role === 'redis' ? 0 : s.role === 'postgres' ? 1 : 2);
  data.sort((a, b) => dataOrder(a) - dataOrder(b) || a.service.localeCompare(b.service, undefined, { numeric: true }));

  const apiUp = api.filter((s) => nodeHealth(s.container) === 'healthy').length;
  const algorithm = spec?.balancer.algorithm.replace('_', ' ');
  const port = spec?.balancer.port;
  const cols = Math.max(1, data.length);
  // A cluster spread over hosts: every box names its host, and API nodes are grouped by host.
  const multiHost = containers.some((c) => c.host);
  const apiByHost = new Map<string, NodeSlot[]>();
  for (const s of api) {
    const h = s.container?.host ?? (s.container ? 'local' : 'not placed yet');
    apiByHost.set(h, [...(apiByHost.get(h) ?? []), s]);
  }

  const caption = (s: NodeSlot) => {
    if (s.role === 'redis') return 'cache · sessions';
    if (s.role === 'postgres') {
      // After a failover a replica is the primary and the old primary is fenced (stopped, kept).
      const primary = cluster.db?.primary ?? 'postgres';
      if (cluster.db?.fenced.includes(s.service)) return 'fenced · old primary';
      if (s.service !== primary) return 'streaming replica';
      return spec ? `primary · db ${spec.postgres.database}` : 'primary';
    }
    return s.role;
  };

  if (containers.length === 0 && !spec) {
    return <p className="muted">No containers.</p>;
  }

  return (
    <div className="topology" aria-label="Cluster topology">
      <div className="topo-tier">
        <div className="topo-label">Load balancer</div>
        <Node
          slot={balancer}
          wide
          showHost={multiHost}
          caption={[algorithm, port ? `${spec?.balancer.bind ?? '127.0.0.1'}:${port}` : null].filter(Boolean).join(' · ') || 'NGINX'}
        />
      </div>

      <div className="topo-link" aria-hidden="true">
        <span className="topo-link-label">proxies HTTP to every healthy node</span>
      </div>

      <div className="topo-group">
        <div className="topo-group-head">
          <span className="topo-label">API nodes</span>
          <span className="muted small">
            {apiUp}/{api.length} up · stateless, interchangeable
          </span>
        </div>
        {multiHost ? (
          <div className="topo-hosts">
            {[...apiByHost].map(([host, slots]) => (
              <div className="topo-host" key={host} data-testid={`topo-host-${host}`}>
                <div className="topo-host-label mono">{host}</div>
                <div className="topo-api">
                  {slots.map((s) => (
                    <Node key={s.service} slot={s} />
                  ))}
                </div>
              </div>
            ))}
          </div>
        ) : (
          <div className="topo-api">
            {api.map((s) => (
              <Node key={s.service} slot={s} />
            ))}
            {api.length === 0 && <p className="muted small">No API nodes.</p>}
          </div>
        )}
      </div>

      {data.length > 0 && (
        <>
          <div className="topo-fan" aria-hidden="true">
            <span className="topo-fan-stem" />
            {cols > 1 && <span className="topo-fan-rail" style={{ left: `${50 / cols}%`, right: `${50 / cols}%` }} />}
          </div>
          <div className="topo-data" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
            {data.map((s) => (
              <div className="topo-data-cell" key={s.service}>
                <Node slot={s} caption={caption(s)} showHost={multiHost} />
              </div>
            ))}
          </div>
          <div className="topo-foot muted small">shared state lives here, so any API node can answer any request</div>
        </>
      )}
    </div>
  );
}

export function TopologySkeleton() {
  return (
    <div className="topology" aria-hidden="true">
      <div className="topo-tier">
        <div className="topo-label">Load balancer</div>
        <div className="node node-wide node-skeleton" />
      </div>
      <div className="topo-link" />
      <div className="topo-group">
        <div className="topo-group-head">
          <span className="topo-label">API nodes</span>
        </div>
        <div className="topo-api">
          <div className="node node-skeleton" />
          <div className="node node-skeleton" />
          <div className="node node-skeleton" />
        </div>
      </div>
      <div className="topo-fan">
        <span className="topo-fan-stem" />
        <span className="topo-fan-rail" style={{ left: '25%', right: '25%' }} />
      </div>
      <div className="topo-data" style={{ gridTemplateColumns: 'repeat(2, minmax(0, 1fr))' }}>
        <div className="topo-data-cell">
          <div className="node node-skeleton" />
        </div>
        <div className="topo-data-cell">
          <div className="node node-skeleton" />
        </div>
      </div>
    </div>
  );
}
