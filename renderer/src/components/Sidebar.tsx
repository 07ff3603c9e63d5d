import { useClusters } from '../data/clusters/queries.ts';
import { useEngineInfo } from '../data/engine/queries.ts';
import { clusterStateTone } from '../lib/health.ts';
import { SECTIONS } from '../lib/nav.tsx';
import { paths, type Route } from '../lib/router.ts';
import { useTheme } from '../lib/theme.ts';
import { Dot } from './ui.tsx';

function ClusterLinks({ current }: { current: string | null }) {
  const clusters = useClusters();
  if (!clusters.data || clusters.data.length === 0) return null;
  return (
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
  );
}

export function Sidebar({ route, onShowShortcuts }: { route: Route; onShowShortcuts: () => void }) {
  const clusters = useClusters();
  const engine = useEngineInfo();
  const { theme, explicit, toggle, reset } = useTheme();
  const current = route.page === 'cluster' ? route.name : null;

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
          {SECTIONS.map((s) => {
            const active = s.match(route);
            return (
              <div key={s.id} className="nav-section">
                <a className={`nav-item${active ? ' active' : ''}`} href={s.href} aria-current={active ? 'page' : undefined} data-testid={`nav-${s.id}`}>
                  {s.icon}
                  {s.label}
                  {s.children === 'clusters' && clusters.data && <span className="nav-count">{clusters.data.length}</span>}
                </a>
                {s.children === 'clusters' && <ClusterLinks current={current} />}
              </div>
            );
          })}
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
              title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme (t)`}
            >
              <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span>
              {theme === 'dark' ? 'Dark' : 'Light'}
            </button>
            {explicit && (
              <button type="button" className="btn btn-link btn-sm" onClick={reset} title="Follow the system theme">
                auto
              </button>
            )}
            <button type="button" className="btn btn-ghost btn-sm shortcuts-btn" onClick={onShowShortcuts} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" data-testid="shortcuts-button">
              <kbd>?</kbd>
            </button>
          </div>
        </div>
      </div>
    </aside>
  );
}
