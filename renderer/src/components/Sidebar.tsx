import { useClusters } from '../data/clusters/queries.ts';
import { useEngineInfo } from '../data/engine/queries.ts';
import { clusterStateTone } from '../lib/health.ts';
import { paths, type Route } from '../lib/router.ts';
import { useTheme } from '../lib/theme.ts';
import { Dot } from './ui.tsx';

export function Sidebar({ route }: { route: Route }) {
  const clusters = useClusters();
  const engine = useEngineInfo();
  const { theme, explicit, toggle, reset } = useTheme();
  const current = route.page === 'cluster' || route.page === 'export' ? route.name : null;
  const onClusters = route.page === 'clusters';

  return (
    <aside className="sidebar">
      <div className="sidebar-inner">
        <a className="logo" href={paths.clusters()} aria-label="ScaleDeck home">
          <span className="logo-mark" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span className="logo-text">ScaleDeck</span>
        </a>

        <nav className="nav" aria-label="Main">
          <a className={`nav-item${onClusters ? ' active' : ''}`} href={paths.clusters()} aria-current={onClusters ? 'page' : undefined}>
            <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
              <rect x="2" y="2" width="12" height="4" rx="1" />
              <rect x="2" y="10" width="5" height="4" rx="1" />
              <rect x="9" y="10" width="5" height="4" rx="1" />
            </svg>
            Clusters
            {clusters.data && <span className="nav-count">{clusters.data.length}</span>}
          </a>
          {clusters.data && clusters.data.length > 0 && (
            <ul className="nav-sub">
              {clusters.data.map((c) => (
                <li key={c.name}>
                  <a className={`nav-subitem${current === c.name ? ' active' : ''}`} href={paths.cluster(c.name)} aria-current={current === c.name ? 'page' : undefined}>
                    <Dot tone={clusterStateTone[c.state]} pulse={!!c.activeOperation} />
                    <span className="mono truncate">{c.name}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </nav>

        <div className="sidebar-foot">
          <div className="engine-mini" title={engine.data?.error?.message ?? engine.data?.host ?? ''}>
            <Dot tone={engine.isPending ? 'idle' : engine.data?.reachable ? 'ok' : 'bad'} />
            <span className="truncate">
              {engine.isPending ? 'Checking Docker…' : engine.data?.reachable ? `Docker ${engine.data.version ?? ''}` : 'Docker unreachable'}
            </span>
          </div>
          <div className="theme-row">
            <button
              type="button"
              className="btn btn-ghost btn-sm theme-toggle"
              data-testid="theme-toggle"
              data-theme-current={theme}
              onClick={toggle}
              aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
              title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            >
              <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span>
              {theme === 'dark' ? 'Dark' : 'Light'}
            </button>
            {explicit && (
              <button type="button" className="btn btn-link btn-sm" onClick={reset} title="Follow the system theme">
                auto
              </button>
            )}
          </div>
        </div>
      </div>
    </aside>
  );
}
