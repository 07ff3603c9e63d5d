import { useEngineInfo } from '../data/engine/queries.ts';
import { Dot, ErrorNotice, Skeleton } from './ui.tsx';

/** The Docker engine ScaleDeck drives: reachable or not, which version, which image set. */
export function EngineStatus() {
  const engine = useEngineInfo();

  if (engine.isPending) {
    return (
      <div className="engine-bar" data-testid="engine-status" data-reachable="unknown">
        <Dot tone="idle" />
        <Skeleton width={280} height={14} />
      </div>
    );
  }
  if (engine.isError) {
    return <ErrorNotice error={engine.error} title="Cannot ask ScaleDeck about the Docker engine" />;
  }
  const info = engine.data;
  if (!info.reachable) {
    return (
      <div className="engine-down" data-testid="engine-status" data-reachable="false" role="alert">
        <div className="engine-down-head">
          <Dot tone="bad" />
          <strong>Docker engine unreachable</strong>
          <span className="mono muted">{info.host}</span>
        </div>
        <p className="engine-down-message">{info.error?.message ?? 'ScaleDeck cannot talk to the Docker engine.'}</p>
        {info.error?.hint && <p className="engine-down-hint">→ {info.error.hint}</p>}
        <p className="muted small">ScaleDeck checks again every 10 seconds.</p>
      </div>
    );
  }
  return (
    <div className="engine-bar" data-testid="engine-status" data-reachable="true">
      <Dot tone="ok" />
      <span>
        Docker engine <strong>reachable</strong>
      </span>
      <span className="sep" aria-hidden="true" />
      <span>
        version <span className="mono">{info.version ?? '?'}</span>
        {info.apiVersion && <span className="muted"> (API {info.apiVersion})</span>}
      </span>
      <span className="sep" aria-hidden="true" />
      <span className="mono muted truncate" title={info.host}>
        {info.host}
      </span>
      <span className="sep" aria-hidden="true" />
      <span title={info.imageSet === 'test' ? 'Offline images built for tests from Debian packages' : 'Official nginx, redis, postgres and node images'}>
        images <span className={`chip${info.imageSet === 'test' ? ' chip-warn' : ''}`}>{info.imageSet}</span>
      </span>
    </div>
  );
}
