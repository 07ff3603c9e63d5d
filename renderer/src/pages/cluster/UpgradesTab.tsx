import { useState } from 'react';
import type { ClusterDetail } from '../../../../shared/api/index.ts';
import { OperationPanel, OperationSkeleton } from '../../components/OperationPanel.tsx';
import { Card, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { useClusterOperations } from '../../data/operations/queries.ts';
import { pendingBlueGreen, UPGRADE_KINDS, useUpgrades } from '../../data/upgrades/queries.ts';
import { errorCode } from '../../lib/errors.ts';
import { ColorTag } from './upgrades/ColorTag.tsx';
import { currentImage, nodeColors } from './upgrades/model.ts';
import { PendingBanner } from './upgrades/PendingBanner.tsx';
import { UpgradeForm } from './upgrades/UpgradeForm.tsx';
import { UpgradeHistory } from './upgrades/UpgradeHistory.tsx';

function RunningNow({ cluster }: { cluster: ClusterDetail }) {
  const colors = nodeColors(cluster);
  const env = Object.entries(cluster.spec?.api.env ?? {});
  return (
    <dl className="facts" data-testid="upgrade-current">
      <div>
        <dt>Image</dt>
        <dd className="mono" data-testid="upgrade-current-image">
          {currentImage(cluster) || '—'}
        </dd>
      </div>
      <div>
        <dt>API nodes</dt>
        <dd className="color-row">
          {colors.blue > 0 && <ColorTag color="blue" count={colors.blue} />}
          {colors.green > 0 && <ColorTag color="green" count={colors.green} />}
          {colors.blue + colors.green === 0 && <span className="muted">none running</span>}
          <span className="muted small">{colors.green && colors.blue ? 'both colours run' : colors.green ? 'api-N-green' : colors.blue ? 'api-N' : ''}</span>
        </dd>
      </div>
      <div>
        <dt>Variables</dt>
        <dd>{env.length ? <span className="mono small">{env.map(([k]) => k).join(', ')}</span> : <span className="muted">none of your own</span>}</dd>
      </div>
    </dl>
  );
}

/**
 * Upgrades: start one (rolling or blue-green), watch its steps live, decide on a blue-green switch
 * that waits (finalize or roll back), and read the history with the probe's proof.
 */
export default function UpgradesTab({ name }: { name: string }) {
  const cluster = useCluster(name);
  const upgrades = useUpgrades(name);
  const ops = useClusterOperations(name);
  const [startedOp, setStartedOp] = useState<string | null>(null);

  const notFound = cluster.isError && errorCode(cluster.error) === 'NOT_FOUND';
  const c = notFound ? undefined : cluster.data;
  const list = ops.data ?? [];
  const upgradeOps = list.filter((o) => UPGRADE_KINDS.has(o.kind));
  const startedUnknown = startedOp !== null && !list.some((o) => o.id === startedOp);
  // The operation this page just started (until the list knows it), else a running one, else the newest.
  const opId = startedUnknown ? startedOp : (upgradeOps.find((o) => o.state === 'running')?.id ?? upgradeOps[0]?.id ?? null);
  const runningOp = list.find((o) => o.state === 'running');
  const busy = !!c?.activeOperation || !!runningOp || startedUnknown;
  const runningKind = runningOp?.kind ?? (c?.activeOperation || startedUnknown ? 'operation' : null);

  const records = upgrades.data ?? [];
  const pending = pendingBlueGreen(upgrades.data);
  const oldNodes = pending ? nodeColors(c)[pending.fromColor] : 0;
  const opRunning = upgradeOps.some((o) => o.id === opId && o.state === 'running') || (startedUnknown && opId === startedOp);

  if (notFound) return null;

  return (
    <div className="tab-body upgrades">
      {cluster.isError && <ErrorNotice error={cluster.error} title="Cannot load this cluster" />}
      {upgrades.isError && <ErrorNotice error={upgrades.error} title="Cannot load the upgrade history" />}

      {pending && <PendingBanner record={pending} oldNodes={oldNodes} running={busy ? runningKind : null} onStarted={setStartedOp} />}

      <div className="upgrade-grid">
        <UpgradeForm name={name} cluster={c} pending={pending} busy={busy} onStarted={setStartedOp} />

        <div className="side-col">
          <Card title="Running now">{c ? <RunningNow cluster={c} /> : <Skeleton width="100%" height={72} />}</Card>
          <Card title={opRunning ? 'Upgrade in progress' : 'Latest upgrade operation'} className="op-card upgrade-op">
            {opId ? (
              <OperationPanel id={opId} />
            ) : ops.isPending ? (
              <OperationSkeleton />
            ) : (
              <p className="muted small" data-testid="upgrade-no-op">
                Nothing has run from this window yet. When you start an upgrade, its steps appear here as they happen: each batch or colour started,
                gated, switched and drained, with timings.
              </p>
            )}
          </Card>
        </div>
      </div>

      <Card
        title="History"
        actions={records.length ? <span className="muted small">{records.length === 1 ? '1 upgrade' : `${records.length} upgrades`} · click a row for its steps</span> : undefined}
      >
        <UpgradeHistory records={records} loading={upgrades.isPending} canRollBackLast={!pending && !busy} onStarted={setStartedOp} />
      </Card>
    </div>
  );
}
