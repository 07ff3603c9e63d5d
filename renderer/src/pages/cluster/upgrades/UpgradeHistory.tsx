import { Fragment, useState } from 'react';
import type { UpgradeProbeFigures, UpgradeRecord } from '../../../../../shared/api/index.ts';
import { StepRow } from '../../../components/OperationPanel.tsx';
import { Badge, ErrorNotice, Skeleton } from '../../../components/ui.tsx';
import { useRollbackUpgrade } from '../../../data/upgrades/queries.ts';
import { formatAgo, formatDuration, formatTime, shortImage } from '../../../lib/format.ts';
import { useNow } from '../../../lib/useNow.ts';
import { ColorTag } from './ColorTag.tsx';
import { formatMs, STATE_TEXT, STATE_TONE, STRATEGY_TEXT } from './model.ts';

const COLS = 10;
const PHASES = ['before', 'during', 'after'] as const;

function EnvDiff({ from, to }: { from: Record<string, string>; to: Record<string, string> }) {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((k) => from[k] !== to[k]).sort();
  if (!keys.length) return <p className="muted small">Environment unchanged.</p>;
  return (
    <ul className="env-diff mono small">
      {keys.map((k) => (
        <li key={k}>
          {k}: {k in from ? <span className="muted">{from[k]}</span> : <span className="muted">(unset)</span>} → {k in to ? to[k] : <span className="muted">(unset)</span>}
        </li>
      ))}
    </ul>
  );
}

function ProbeTable({ probe }: { probe: UpgradeProbeFigures }) {
  return (
    <table className="table probe-table">
      <thead>
        <tr>
          <th scope="col">Phase</th>
          <th scope="col">Sent</th>
          <th scope="col">OK</th>
          <th scope="col">Failed</th>
          <th scope="col">p99</th>
          <th scope="col">Errors</th>
        </tr>
      </thead>
      <tbody>
        {PHASES.map((ph) => {
          const f = probe.phases[ph];
          return (
            <tr key={ph} data-testid={`probe-${ph}`}>
              <td>{ph}</td>
              <td className="num mono">{f.sent}</td>
              <td className="num mono">{f.ok}</td>
              <td className={`num mono ${f.failed ? 'bad-text' : 'ok-text'}`}>{f.failed}</td>
              <td className="num mono">{formatMs(f.p99_ms)}</td>
              <td className="probe-errors small">{f.errors.length ? f.errors.slice(0, 3).join(' · ') : <span className="muted">none</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The expanded row: steps with timings, the probe per phase, what changed, the plan. */
function Details({ r, canRollBack, onStarted }: { r: UpgradeRecord; canRollBack: boolean; onStarted: (id: string) => void }) {
  const rollback = useRollbackUpgrade();
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="upgrade-detail" data-testid={`upgrade-detail-${r.id}`}>
      <div className="upgrade-detail-col">
        <h3 className="detail-title">Steps</h3>
        {r.steps.length ? (
          <ol className="steps">
            {r.steps.map((s) => (
              <StepRow key={s.id} step={s} />
            ))}
          </ol>
        ) : (
          <p className="muted small">No steps recorded.</p>
        )}
        {r.reason && (
          <div className={`notice ${r.state === 'failed' ? 'notice-error' : 'notice-info'} compact`}>
            <div className="notice-head">
              <strong>{r.state === 'rolled-back' ? 'Why it was rolled back' : 'Reason'}</strong>
            </div>
            <p className="notice-message">{r.reason}</p>
          </div>
        )}
        <details className="plan">
          <summary>Plan</summary>
          <pre className="code">{r.planText}</pre>
        </details>
      </div>
      <div className="upgrade-detail-col">
        <h3 className="detail-title">
          Probe{r.probe ? <span className="muted small"> · {r.probe.rate} req/s through the balancer</span> : null}
        </h3>
        {r.probe ? <ProbeTable probe={r.probe} /> : <p className="muted small">No probe ran (rate 0), so there are no figures for this upgrade.</p>}
        <h3 className="detail-title">Change</h3>
        <p className="small">
          <span className="mono">{r.from.image}</span> on <ColorTag color={r.fromColor} /> → <span className="mono">{r.to.image}</span> on <ColorTag color={r.toColor} />
        </p>
        <EnvDiff from={r.from.env} to={r.to.env} />
        <p className="muted small mono">upgrade {r.id}</p>
        {canRollBack &&
          (confirming ? (
            <div className="pending-confirm" role="group">
              <p className="small">
                Start a rolling upgrade back to <span className="mono">{r.from.image}</span>? It runs without a probe.
              </p>
              <div className="btn-row">
                <button
                  type="button"
                  className="btn btn-danger"
                  data-testid="upgrade-rollback-last-confirm"
                  disabled={rollback.isPending}
                  onClick={() =>
                    rollback.mutate(
                      { cluster: r.cluster },
                      {
                        onSuccess: (x) => {
                          setConfirming(false);
                          onStarted(x.operationId);
                        },
                      },
                    )
                  }
                >
                  {rollback.isPending ? 'Starting…' : 'Roll back'}
                </button>
                <button
                  type="button"
                  className="btn"
                  onClick={() => {
                    setConfirming(false);
                    rollback.reset();
                  }}
                >
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <button type="button" className="btn btn-sm btn-danger-outline" data-testid="upgrade-rollback-last" onClick={() => setConfirming(true)}>
              Roll back to {shortImage(r.from.image)}…
            </button>
          ))}
        {rollback.isError && <ErrorNotice error={rollback.error} title="Could not roll back" compact />}
      </div>
    </div>
  );
}

function Row({ r, open, onToggle, now, canRollBack, onStarted }: { r: UpgradeRecord; open: boolean; onToggle: () => void; now: number; canRollBack: boolean; onStarted: (id: string) => void }) {
  const during = r.probe?.phases.during;
  const duration = (r.finishedAt ?? now) - r.startedAt;
  const detailId = `upgrade-detail-${r.id}`;
  return (
    <Fragment>
      <tr className={`row-link upgrade-row${open ? ' open' : ''}`} data-testid={`upgrade-row-${r.id}`} data-state={r.state} data-strategy={r.strategy} onClick={onToggle}>
        <td className="chev-cell">
          <button
            type="button"
            className="btn btn-icon btn-ghost chev"
            aria-expanded={open}
            aria-controls={detailId}
            aria-label={open ? 'Hide steps' : 'Show steps'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
          >
            <span aria-hidden="true">▸</span>
          </button>
        </td>
        <td className="nowrap" title={new Date(r.startedAt).toLocaleString()}>
          <span className="mono">{formatTime(r.startedAt)}</span>
          <span className="muted small block">{formatAgo(r.startedAt, now)}</span>
        </td>
        <td className="nowrap">{STRATEGY_TEXT[r.strategy].title}</td>
        <td className="image-cell" title={`${r.from.image} → ${r.to.image}`}>
          <span className="mono small muted block truncate">{shortImage(r.from.image)}</span>
          <span className="mono small block truncate">
            <span className="muted">→ </span>
            {shortImage(r.to.image)}
          </span>
        </td>
        <td>
          <Badge tone={STATE_TONE[r.state]} testId="upgrade-state">
            {STATE_TEXT[r.state]}
          </Badge>
        </td>
        <td className="num mono nowrap">{formatDuration(duration)}</td>
        <td className="num mono nowrap" data-testid="upgrade-probe-during" title={r.probe ? `All phases: ${PHASES.reduce((a, p) => a + r.probe!.phases[p].failed, 0)} failed of ${PHASES.reduce((a, p) => a + r.probe!.phases[p].sent, 0)}` : 'No probe'}>
          {during ? (
            <>
              <span className={during.failed ? 'bad-text' : 'ok-text'} data-testid="upgrade-failed">
                {during.failed}
              </span>
              <span className="muted"> / {during.sent}</span>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td className="num mono nowrap small">{r.probe ? PHASES.map((p) => formatMs(r.probe!.phases[p].p99_ms).replace(' ms', '')).join(' / ') : <span className="muted">—</span>}</td>
        <td className="num mono nowrap">{r.switchMs !== undefined ? formatMs(r.switchMs) : <span className="muted">—</span>}</td>
        <td className="reason-cell small" title={r.reason}>
          {r.reason ? <span className="reason-text">{r.reason.split('\n')[0]}</span> : <span className="muted">—</span>}
        </td>
      </tr>
      {open && (
        <tr className="upgrade-detail-row" id={detailId}>
          <td colSpan={COLS}>
            <Details r={r} canRollBack={canRollBack} onStarted={onStarted} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/** Every upgrade of the cluster, newest first; a row opens to its steps, probe figures and plan. */
export function UpgradeHistory({
  records,
  loading,
  canRollBackLast,
  onStarted,
}: {
  records: UpgradeRecord[];
  loading: boolean;
  /** No switch pending and nothing running: the newest finished upgrade can be rolled back. */
  canRollBackLast: boolean;
  onStarted: (operationId: string) => void;
}) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const running = records.some((r) => r.state === 'running');
  const now = useNow(records.length > 0, running ? 1000 : 30_000);
  // What `upgrades.rollback` rolls back when no blue-green switch waits: the newest succeeded or finalized upgrade.
  const lastDone = records.find((r) => r.state === 'succeeded' || r.state === 'finalized');

  if (loading) return <Skeleton width="100%" height={120} />;
  if (!records.length) return <EmptyUpgrades />;
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <div className="table-wrap">
      <table className="table upgrade-table" data-testid="upgrade-history">
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Expand</span>
            </th>
            <th scope="col">Started</th>
            <th scope="col">Strategy</th>
            <th scope="col">Image</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Took
            </th>
            <th scope="col" className="num" title="Failed / sent requests of the probe while the upgrade ran">
              Failed / sent
            </th>
            <th scope="col" className="num" title="p99 latency of the probe before / during / after the upgrade, in ms">
              p99 ms b / d / a
            </th>
            <th scope="col" className="num" title="Blue-green: from the switch command to the last answer from an old node">
              Switch
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <Row key={r.id} r={r} now={now} open={open.has(r.id)} onToggle={() => toggle(r.id)} canRollBack={canRollBackLast && r === lastDone} onStarted={onStarted} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Before the first upgrade: what each strategy does, and why every upgrade runs a probe. */
export function EmptyUpgrades() {
  const cells = (colors: ('b' | 'g' | 'x')[]) => (
    <span className="ue-nodes">
      {colors.map((c, i) => (
        <span key={i} className={`ue-node${c === 'b' ? ' color-blue' : c === 'g' ? ' color-green' : ' ue-off'}`} />
      ))}
    </span>
  );
  return (
    <div className="upgrade-empty" data-testid="upgrades-empty">
      <div className="ue-intro">
        <h3>No upgrades yet</h3>
        <p className="muted">
          Pick a new image (or new environment variables) above and a strategy. Every upgrade is recorded here: its steps and their timings, and what the
          traffic probe saw before, during and after.
        </p>
      </div>
      <div className="ue-cols">
        <div className="ue-col">
          <div className="ue-diagram" aria-hidden="true">
            {cells(['b', 'b', 'b'])}
            {cells(['g', 'b', 'b'])}
            {cells(['g', 'g', 'b'])}
            {cells(['g', 'g', 'g'])}
          </div>
          <h4>Rolling</h4>
          <p className="small muted">
            A few nodes at a time. Each new node starts <em>first</em>, passes its health gate (<span className="mono">/ready</span>, several times in a row)
            and joins NGINX; only then is an old one marked down, drained of its in-flight requests and stopped. If a gate fails, what changed is undone
            automatically. Needs no spare capacity beyond one batch.
          </p>
        </div>
        <div className="ue-col">
          <div className="ue-diagram" aria-hidden="true">
            {cells(['b', 'b', 'b'])}
            {cells(['g', 'g', 'g'])}
            <span className="ue-switch">one switch</span>
          </div>
          <h4>Blue-green</h4>
          <p className="small muted">
            A whole second set starts beside the first, is gated and smoke-tested, then NGINX moves all traffic in one reload. The old set keeps running,
            so rolling back is instant, until you finalize. Costs double the nodes for a while; an optional canary sends a share of traffic first.
          </p>
        </div>
        <div className="ue-col">
          <div className="ue-diagram ue-probe" aria-hidden="true">
            {[5, 6, 5, 7, 6, 9, 8, 6, 5, 6, 5, 5].map((h, i) => (
              <span key={i} className={`ue-bar${i >= 4 && i <= 8 ? ' during' : ''}`} style={{ height: h * 3 }} />
            ))}
          </div>
          <h4>The probe</h4>
          <p className="small muted">
            A steady rate of GET and POST requests through the balancer from start to end. It counts every failed request and the p99 latency before,
            during and after, so “zero downtime” is a measured 0, not a hope. The POSTs matter: NGINX retries only idempotent requests elsewhere.
          </p>
        </div>
      </div>
    </div>
  );
}
