import { useId, useState } from 'react';
import type { UpgradeRecord } from '../../../../../shared/api/index.ts';
import { ErrorNotice, Spinner } from '../../../components/ui.tsx';
import { useFinalizeUpgrade, useRollbackUpgrade } from '../../../data/upgrades/queries.ts';
import { formatAgo } from '../../../lib/format.ts';
import { useNow } from '../../../lib/useNow.ts';
import { ColorTag } from './ColorTag.tsx';
import { formatMs } from './model.ts';

/**
 * A blue-green upgrade has switched and waits: the old colour still runs (marked down in NGINX)
 * for an instant rollback. Finalize removes it; Roll back switches NGINX back. Both confirm first.
 */
export function PendingBanner({
  record,
  oldNodes,
  running,
  onStarted,
}: {
  record: UpgradeRecord;
  /** How many nodes of the old colour still run. */
  oldNodes: number;
  /** The kind of the operation running on the cluster, if any (a finalize or rollback in flight). */
  running: string | null;
  onStarted: (operationId: string) => void;
}) {
  const uid = useId();
  const now = useNow(true, 30_000);
  const finalize = useFinalizeUpgrade();
  const rollback = useRollbackUpgrade();
  const [confirm, setConfirm] = useState<'finalize' | 'rollback' | null>(null);
  const { fromColor: old, toColor: live, cluster } = record;
  const during = record.probe?.phases.during;
  const inFlight = running === 'finalize' ? 'Finalizing' : running === 'rollback' ? 'Rolling back' : running ? 'An operation is running' : null;
  const pendingMutation = finalize.isPending || rollback.isPending;
  const olds = `${oldNodes || 'the'} ${old} node${oldNodes === 1 ? '' : 's'}`;

  const cancel = () => {
    setConfirm(null);
    finalize.reset();
    rollback.reset();
  };
  const go = () => {
    const m = confirm === 'finalize' ? finalize : rollback;
    m.mutate(
      { cluster },
      {
        onSuccess: (r) => {
          setConfirm(null);
          onStarted(r.operationId);
        },
      },
    );
  };

  return (
    <section className="pending-banner" aria-labelledby={`${uid}-h`} data-testid="upgrade-pending" data-upgrade-id={record.id}>
      <div className="pending-mark" aria-hidden="true">
        <span className={`swatch color-${old}`} />
        <span className="pending-arrow">→</span>
        <span className={`swatch color-${live}`} />
      </div>
      <div className="pending-body">
        <h2 id={`${uid}-h`}>
          Blue-green upgrade awaiting finalize: traffic is on <ColorTag color={live} />, <ColorTag color={old} /> still runs
        </h2>
        <p className="mono small pending-images">
          {record.from.image} <span className="muted">→</span> {record.to.image}
        </p>
        <p className="muted small">
          The {olds} are kept, marked down in NGINX, so going back is a single reload. When the new version looks right, finalize: the {old} nodes are
          drained and removed. Scaling and new upgrades wait until you decide.
        </p>
        <p className="small pending-facts">
          Switched {formatAgo(record.finishedAt ?? record.startedAt, now)}
          {record.switchMs !== undefined && (
            <>
              {' '}
              · all traffic on {live} <span className="mono">{formatMs(record.switchMs)}</span> after the switch
            </>
          )}
          {during && (
            <>
              {' '}
              · probe during:{' '}
              <span className={`mono ${during.failed ? 'bad-text' : 'ok-text'}`}>
                {during.failed} failed of {during.sent}
              </span>
            </>
          )}
        </p>

        {inFlight ? (
          <p className="pending-progress" role="status">
            <Spinner label={inFlight} /> {inFlight}… its steps are shown below.
          </p>
        ) : confirm === null ? (
          <div className="btn-row">
            <button type="button" className="btn btn-primary" data-testid="upgrade-finalize" onClick={() => setConfirm('finalize')}>
              Finalize…
            </button>
            <button type="button" className="btn btn-danger-outline" data-testid="upgrade-rollback" onClick={() => setConfirm('rollback')}>
              Roll back…
            </button>
          </div>
        ) : (
          <div className="pending-confirm" role="group" aria-labelledby={`${uid}-q`}>
            <p id={`${uid}-q`}>
              {confirm === 'finalize' ? (
                <>
                  Remove the {olds}? After this, going back to <span className="mono">{record.from.image}</span> is a new upgrade.
                </>
              ) : (
                <>
                  Switch NGINX back to the {old} nodes (<span className="mono">{record.from.image}</span>) and remove the {live} ones?
                </>
              )}
            </p>
            <div className="btn-row">
              <button
                type="button"
                className={`btn ${confirm === 'finalize' ? 'btn-primary' : 'btn-danger'}`}
                data-testid={`upgrade-confirm-${confirm}`}
                disabled={pendingMutation}
                onClick={go}
              >
                {pendingMutation ? 'Starting…' : confirm === 'finalize' ? `Finalize: remove ${old}` : `Roll back to ${old}`}
              </button>
              <button type="button" className="btn" data-testid="upgrade-confirm-cancel" onClick={cancel}>
                Cancel
              </button>
            </div>
          </div>
        )}
        {finalize.isError && <ErrorNotice error={finalize.error} title="Could not finalize" compact />}
        {rollback.isError && <ErrorNotice error={rollback.error} title="Could not roll back" compact />}
      </div>
    </section>
  );
}
