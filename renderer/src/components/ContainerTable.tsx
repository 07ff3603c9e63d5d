import type { ContainerView } from '../../../shared/api/index.ts';
import { containerHealthTone, containerStateTone, sortContainers } from '../lib/health.ts';
import { shortImage } from '../lib/format.ts';
import { Dot, Skeleton } from './ui.tsx';

export function ContainerTable({ containers }: { containers: ContainerView[] | undefined }) {
  // Spread over hosts: a Host column, rows grouped by host (local first).
  const multiHost = !!containers?.some((c) => c.host);
  const rows = containers ? (multiHost ? sortContainers(containers).sort((a, b) => (a.host ?? '').localeCompare(b.host ?? '')) : sortContainers(containers)) : undefined;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="container-table">
        <thead>
          <tr>
            <th>Service</th>
            {multiHost && <th>Host</th>}
            <th>Container</th>
            <th>Image</th>
            <th>State</th>
            <th>Health</th>
            <th>Status</th>
            <th title="Does the container match what the spec asks for?">Up to date</th>
          </tr>
        </thead>
        <tbody>
          {!rows &&
            [0, 1, 2, 3].map((i) => (
              <tr key={i}>
                {[70, 150, 130, 60, 70, 150, 40].map((w, j) => (
                  <td key={j}>
                    <Skeleton width={w} height={12} />
                  </td>
                ))}
              </tr>
            ))}
          {rows?.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No containers exist for this cluster.
              </td>
            </tr>
          )}
          {rows?.map((c) => (
            <tr key={c.id || c.name} data-testid={`container-row-${c.service}`}>
              <td className="mono strong">{c.service}</td>
              {multiHost && <td className="mono">{c.host ?? 'local'}</td>}
              <td className="mono muted">{c.name}</td>
              <td className="mono truncate-cell" title={c.image}>
                {shortImage(c.image)}
              </td>
              <td>
                <span className="cell-status">
                  <Dot tone={containerStateTone(c.state)} />
                  {c.state}
                </span>
              </td>
              <td>
                <span className="cell-status">
                  <Dot tone={containerHealthTone(c)} pulse={c.health === 'starting'} />
                  {c.health === 'none' ? <span className="muted">no check</span> : c.health}
                </span>
              </td>
              <td className="muted">{c.status}</td>
              <td>
                {c.upToDate === true && <span className="ok-text" title="Matches the spec">✓ yes</span>}
                {c.upToDate === false && <span className="warn-text" title="Differs from the spec; the next apply recreates it">✗ outdated</span>}
                {c.upToDate === null && <span className="muted">—</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
