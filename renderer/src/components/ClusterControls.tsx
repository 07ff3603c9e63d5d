import { useId, useState, type FormEvent } from 'react';
import type { ClusterDetail } from '../../../shared/api/index.ts';
import { useDownCluster, useScaleCluster } from '../data/clusters/queries.ts';
import { ErrorNotice } from './ui.tsx';

const MIN = 1;
const MAX = 64;

export function ScaleControl({ cluster, onStarted }: { cluster: ClusterDetail; onStarted: (operationId: string) => void }) {
  const scale = useScaleCluster();
  const current = cluster.spec?.api.replicas ?? cluster.apiReplicas ?? null;
  const [draft, setDraft] = useState<string | null>(null);
  const id = useId();
  const value = draft ?? (current != null ? String(current) : '');
  const n = Number(value);
  const valid = value !== '' && Number.isInteger(n) && n >= MIN && n <= MAX;
  const busy = !!cluster.activeOperation;
  const unchanged = valid && n === current;
  const disabled = !valid || scale.isPending || !cluster.managed;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (disabled) return;
    scale.mutate({ name: cluster.name, replicas: n }, { onSuccess: (r) => onStarted(r.operationId) });
  };
  const step = (d: number) => {
    const base = valid ? n : (current ?? MIN);
    setDraft(String(Math.min(MAX, Math.max(MIN, base + d))));
    if (scale.isError) scale.reset();
  };

  return (
    <form className="scale" onSubmit={submit} noValidate>
      <label className="field-label" htmlFor={`${id}-replicas`}>
        API replicas
      </label>
      <div className="scale-row">
        <div className="stepper">
          <button type="button" className="btn btn-icon" onClick={() => step(-1)} aria-label="One fewer" disabled={valid && n <= MIN}>
            −
          </button>
          <input
            id={`${id}-replicas`}
            className={`input mono${value !== '' && !valid ? ' invalid' : ''}`}
            data-testid="scale-input"
            type="number"
            min={MIN}
            max={MAX}
            step={1}
            value={value}
            onChange={(e) => {
              setDraft(e.target.value);
              if (scale.isError) scale.reset();
            }}
          />
          <button type="button" className="btn btn-icon" onClick={() => step(1)} aria-label="One more" disabled={valid && n >= MAX}>
            +
          </button>
        </div>
        <button type="submit" className="btn btn-primary" data-testid="scale-apply" disabled={disabled}>
          {scale.isPending ? 'Applying…' : 'Apply'}
        </button>
      </div>
      <p className={`field-msg${value !== '' && !valid ? ' error' : ''}`}>
        {value !== '' && !valid
          ? `Choose a whole number from ${MIN} to ${MAX}.`
          : !cluster.managed
            ? 'This cluster has no stored spec, so ScaleDeck cannot scale it.'
            : busy
              ? 'An operation is running; a new one waits for it or is refused.'
              : unchanged
                ? `Running ${current} API node${current === 1 ? '' : 's'}.`
                : `${current ?? '?'} → ${n} API nodes. NGINX is reloaded with the new list.`}
      </p>
      {scale.isError && <ErrorNotice error={scale.error} title="Could not scale" compact />}
    </form>
  );
}

export function DeleteControl({ cluster, onStarted }: { cluster: ClusterDetail; onStarted: (operationId: string) => void }) {
  const down = useDownCluster();
  const [confirming, setConfirming] = useState(false);
  const [keepData, setKeepData] = useState(false);
  const id = useId();

  if (!confirming) {
    return (
      <div className="danger">
        <p className="muted small">Stops and removes every container and the network of this cluster.</p>
        <button type="button" className="btn btn-danger-outline" data-testid="delete-cluster" onClick={() => setConfirming(true)}>
          Delete cluster…
        </button>
      </div>
    );
  }
  return (
    <div className="danger confirming" role="group" aria-labelledby={`${id}-q`}>
      <p id={`${id}-q`}>
        Delete <strong className="mono">{cluster.name}</strong>? Its {cluster.containers.length} container{cluster.containers.length === 1 ? '' : 's'} and its
        network are removed.
      </p>
      <label className="check">
        <input type="checkbox" data-testid="delete-keep-data" checked={keepData} onChange={(e) => setKeepData(e.target.checked)} />
        <span>
          Keep data volumes
          <span className="muted small block">
            {keepData
              ? 'Postgres and Redis data stay on disk; recreating the cluster finds them again.'
              : `Postgres and Redis data are deleted too${cluster.volumes.length ? ` (${cluster.volumes.length} volume${cluster.volumes.length === 1 ? '' : 's'})` : ''}.`}
          </span>
        </span>
      </label>
      <div className="btn-row">
        <button
          type="button"
          className="btn btn-danger"
          data-testid="delete-confirm"
          disabled={down.isPending}
          onClick={() =>
            down.mutate(
              { name: cluster.name, keepData },
              {
                onSuccess: (r) => {
                  setConfirming(false);
                  onStarted(r.operationId);
                },
              },
            )
          }
        >
          {down.isPending ? 'Deleting…' : `Delete ${cluster.name}`}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setConfirming(false);
            down.reset();
          }}
        >
          Cancel
        </button>
      </div>
      {down.isError && <ErrorNotice error={down.error} title="Could not delete" compact />}
    </div>
  );
}
