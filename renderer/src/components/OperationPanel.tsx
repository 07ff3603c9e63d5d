import type { OperationView, StepProgress, StepState } from '../../../shared/api/index.ts';
import { useCancelOperation, useOperation } from '../data/operations/queries.ts';
import { formatAgo, formatDuration, formatTime } from '../lib/format.ts';
import type { Tone } from '../lib/health.ts';
import { paths } from '../lib/router.ts';
import { useNow } from '../lib/useNow.ts';
import { Badge, ErrorNotice, Skeleton, Spinner } from './ui.tsx';

// Partial: the Node side may add kinds (upgrades…) before this map names them; the raw kind shows then.
const KIND_TEXT: Partial<Record<string, string>> = {
  up: 'Create / apply',
  scale: 'Scale',
  down: 'Delete',
  upgrade: 'Upgrade',
  rollback: 'Roll back',
  finalize: 'Finalize',
  promote: 'Promote replica',
};

const STATE_TONE: Record<OperationView['state'], Tone> = { running: 'info', succeeded: 'ok', failed: 'bad', cancelled: 'warn' };

const STEP_ICON: Record<StepState, string> = { pending: '○', running: '', done: '✓', failed: '✗', skipped: '–' };

export function StepRow({ step }: { step: StepProgress }) {
  return (
    <li className={`step step-${step.state}`} data-step-state={step.state}>
      <span className="step-icon" aria-label={step.state}>
        {step.state === 'running' ? <Spinner label="running" /> : STEP_ICON[step.state]}
      </span>
      <span className="step-label">{step.label}</span>
      <span className="step-message muted" title={step.message}>
        {step.message ?? ''}
      </span>
      <span className="step-ms mono muted">{formatDuration(step.ms)}</span>
    </li>
  );
}

export function OperationDetails({ op, showCluster }: { op: OperationView; showCluster?: boolean }) {
  const running = op.state === 'running';
  const now = useNow(running);
  // A finished operation has no running step: one still marked so is the step it failed on.
  const steps = running ? op.steps : op.steps.map((s) => (s.state === 'running' ? { ...s, state: op.state === 'failed' ? ('failed' as const) : ('done' as const) } : s));
  const done = steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
  const total = steps.length;
  const pct = op.state === 'succeeded' ? 100 : total ? Math.round((done / total) * 100) : 0;
  const elapsed = (op.finishedAt ?? now) - op.startedAt;
  const cancel = useCancelOperation();

  return (
    <div className="op" data-operation-id={op.id}>
      <div className="op-head">
        <span className="op-kind">{KIND_TEXT[op.kind] ?? op.kind}</span>
        {showCluster && (
          <a className="mono" href={paths.cluster(op.cluster)}>
            {op.cluster}
          </a>
        )}
        <Badge tone={STATE_TONE[op.state]} testId="operation-state">
          {op.state}
        </Badge>
        <span className="muted small op-time" title={new Date(op.startedAt).toLocaleString()}>
          started {formatTime(op.startedAt)} ({formatAgo(op.startedAt, now)}) · {running ? 'running for ' : 'took '}
          <span className="mono">{formatDuration(elapsed)}</span>
        </span>
        <a className="op-id mono muted small" href={paths.operation(op.id)} title="Open this operation">
          {op.id}
        </a>
        {running && op.cancellable && (
          <button
            type="button"
            className="btn btn-sm btn-danger-outline"
            data-testid="operation-cancel"
            disabled={op.cancelRequested || cancel.isPending}
            title={op.kind === 'upgrade' ? 'Abort between batches: what changed is rolled back' : 'Steps not started are skipped; running ones finish'}
            onClick={() => cancel.mutate(op.id)}
          >
            {op.cancelRequested ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {cancel.isError && <ErrorNotice error={cancel.error} title="Could not cancel" compact />}

      <div className={`progress tone-${STATE_TONE[op.state]}`} role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <span style={{ width: `${pct}%` }} />
      </div>

      {running && (
        <p className="op-hint" data-testid="operation-hint">
          <span aria-hidden="true" className="op-hint-icon">
            i
          </span>
          <span>
            {op.kind === 'upgrade' || op.kind === 'rollback' || op.kind === 'finalize'
              ? 'This continues if you close the window; the upgrade history keeps its record.'
              : 'This continues if you close the window; re-running continues from what exists.'}
            <span className="muted"> There is no need to wait here.</span>
          </span>
        </p>
      )}

      {op.kind === 'promote' && op.result && (
        <p className="small" data-testid="operation-result">
          Write downtime <strong className="mono">{String(op.result.writeDowntimeMs)} ms</strong>
          <span className="muted">
            {' '}
            (promote → first committed write {String(op.result.promoteToWriteMs)} ms) · {String(op.result.fenced)} fenced, kept for inspection
          </span>
        </p>
      )}

      {op.error && <ErrorNotice error={op.error} title={op.state === 'cancelled' ? `${KIND_TEXT[op.kind] ?? op.kind} cancelled` : `${KIND_TEXT[op.kind] ?? op.kind} failed`} compact />}
      {op.state === 'failed' && op.kind === 'upgrade' && (
        <p className="muted small" data-testid="operation-retry-hint">
          What was changed is rolled back; the nodes that served before keep serving. The{' '}
          <a href={paths.clusterTab(op.cluster, 'upgrades')}>upgrade history</a> keeps the reason and the probe&apos;s figures.
        </p>
      )}
      {op.state === 'failed' && op.kind !== 'down' && op.kind !== 'upgrade' && (
        <p className="muted small" data-testid="operation-retry-hint">
          {op.kind === 'rollback' || op.kind === 'finalize' ? (
            <>
              The blue-green switch is still pending: try again from the <a href={paths.clusterTab(op.cluster, 'upgrades')}>Upgrades tab</a>.
            </>
          ) : (
            <>
              Re-running continues from what exists: fix the cause, then apply again from the{' '}
              <a href={paths.clusterTab(op.cluster, 'spec')}>Spec tab</a>.
            </>
          )}
        </p>
      )}

      {total > 0 ? (
        <ol className="steps">
          {steps.map((s) => (
            <StepRow key={s.id} step={s} />
          ))}
        </ol>
      ) : (
        <p className="muted small">{running ? 'Planning…' : 'Nothing to do: the cluster already matched the spec.'}</p>
      )}

      {op.planText && (
        <details className="plan">
          <summary>Plan</summary>
          <pre className="code">{op.planText}</pre>
        </details>
      )}
    </div>
  );
}

/** Loads one operation by id; kept live by pushed events (and a 2 s poll while it runs). */
export function OperationPanel({ id, showCluster }: { id: string; showCluster?: boolean }) {
  const op = useOperation(id);
  if (op.isPending) return <OperationSkeleton />;
  if (op.isError) return <ErrorNotice error={op.error} title="Cannot load the operation" compact />;
  return <OperationDetails op={op.data} showCluster={showCluster} />;
}

export function OperationSkeleton() {
  return (
    <div className="op" aria-hidden="true">
      <div className="op-head">
        <Skeleton width={90} height={16} />
        <Skeleton width={80} height={18} />
        <Skeleton width={220} height={12} />
      </div>
      <div className="progress">
        <span style={{ width: 0 }} />
      </div>
      <ol className="steps">
        {[0, 1, 2].map((i) => (
          <li className="step" key={i}>
            <span className="step-icon" />
            <Skeleton width={160} height={12} />
          </li>
        ))}
      </ol>
    </div>
  );
}
