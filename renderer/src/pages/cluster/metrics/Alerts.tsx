import { useEffect, useState } from 'react';
import type { AlertRule, Comparator } from '../../../../../shared/metrics/types.ts';
import { ErrorNotice, Skeleton } from '../../../components/ui.tsx';
import type { LiveMetrics } from '../../../data/metrics/live.ts';
import { useAlertRules, useSetAlertRules } from '../../../data/metrics/queries.ts';
import { latest } from './MetricChart.tsx';
import { formatClock, formatValue, unitOf } from './format.ts';

/** Active alerts (with the latest value) and the recent fired/cleared events, newest first. */
export function AlertsPanel({ metrics }: { metrics: LiveMetrics }) {
  const recent = metrics.recent.slice().reverse().slice(0, 20);
  return (
    <div className="alerts" data-testid="metrics-alerts">
      <h3 className="metric-subtitle">Active {metrics.active.length > 0 && <span className="chip chip-warn">{metrics.active.length}</span>}</h3>
      {metrics.active.length === 0 ? (
        <p className="muted small" data-testid="alerts-none">
          Nothing is over a line right now. An alert fires when a rule below holds for its “for” time, and clears once it no longer does.
        </p>
      ) : (
        <ul className="alert-list">
          {metrics.active.map((a) => {
            const unit = unitOf(a.series);
            return (
              <li key={`${a.ruleId}|${a.series}`} className={`alert-item sev-${a.severity}`} data-testid="alert-active">
                <span className={`badge tone-${a.severity === 'critical' ? 'bad' : 'warn'}`}>{a.severity}</span>
                <span className="alert-name">{a.ruleName}</span>
                <span className="mono small">
                  {a.series} {a.op} {formatValue(a.threshold, unit)}
                </span>
                <span className="mono small">
                  now {formatValue(latest(metrics, a.series) ?? a.lastValue, unit)} · fired {formatClock(a.firedAt)} at {formatValue(a.value, unit)}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <h3 className="metric-subtitle">Recent</h3>
      {recent.length === 0 ? (
        <p className="muted small">No alert has fired or cleared in this window.</p>
      ) : (
        <ul className="alert-list alert-recent">
          {recent.map((e, i) => {
            const unit = unitOf(e.series);
            return (
              <li key={`${e.at}-${e.series}-${i}`} className="alert-item" data-testid="alert-recent">
                <span className="mono small muted">{formatClock(e.at)}</span>
                <span className={e.kind === 'fired' ? 'bad-text' : 'ok-text'}>{e.kind}</span>
                <span className="alert-name">{e.ruleName}</span>
                <span className="mono small">
                  {e.series} = {formatValue(e.value, unit)} ({e.op} {formatValue(e.threshold, unit)})
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

const OPS: Comparator[] = ['>', '>=', '<', '<='];

function newRule(): AlertRule {
  return { id: `rule-${Date.now().toString(36)}`, name: 'New rule', series: 'cluster:p95_ms', op: '>', threshold: 500, forS: 30, clearAfterS: 30, severity: 'warning', enabled: true };
}

/** The cluster's alert rules as an editable table; save replaces them all (metrics.setRules). */
export function RulesEditor({ cluster }: { cluster: string }) {
  const rules = useAlertRules(cluster);
  const save = useSetAlertRules(cluster);
  const [draft, setDraft] = useState<AlertRule[] | null>(null);
  useEffect(() => {
    if (rules.data && draft === null) setDraft(rules.data);
  }, [rules.data, draft]);

  if (rules.isError) return <ErrorNotice error={rules.error} title="Cannot load the alert rules" compact />;
  if (!draft) return <Skeleton width="100%" height={160} />;
  const dirty = JSON.stringify(draft) !== JSON.stringify(rules.data);
  const patch = (i: number, p: Partial<AlertRule>) => setDraft(draft.map((r, j) => (j === i ? { ...r, ...p } : r)));

  return (
    <div className="rules" data-testid="rules-editor">
      <p className="muted small">
        A series is a key like <code className="inline-code">cluster:p95_ms</code> or a glob: <code className="inline-code">*:cpu_pct</code> checks every container on its own. “For” is how long the
        condition must hold before the alert fires.
      </p>
      <div className="table-wrap">
        <table className="table rules-table">
          <thead>
            <tr>
              <th>On</th>
              <th>Name</th>
              <th>Series</th>
              <th>Op</th>
              <th>Threshold</th>
              <th>For (s)</th>
              <th>Severity</th>
              <th aria-label="Remove" />
            </tr>
          </thead>
          <tbody>
            {draft.map((r, i) => (
              <tr key={r.id} data-testid={`rule-${r.id}`}>
                <td>
                  <input type="checkbox" aria-label={`Enable ${r.name}`} checked={r.enabled} onChange={(e) => patch(i, { enabled: e.target.checked })} />
                </td>
                <td>
                  <input className="input input-sm" aria-label="Name" value={r.name} onChange={(e) => patch(i, { name: e.target.value })} />
                </td>
                <td>
                  <input className="input input-sm mono" aria-label="Series" value={r.series} onChange={(e) => patch(i, { series: e.target.value })} />
                </td>
                <td>
                  <select className="input input-sm mono" aria-label="Comparator" value={r.op} onChange={(e) => patch(i, { op: e.target.value as Comparator })}>
                    {OPS.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <input className="input input-sm mono num" type="number" aria-label="Threshold" value={Number.isFinite(r.threshold) ? r.threshold : ''} onChange={(e) => patch(i, { threshold: e.target.valueAsNumber })} />
                </td>
                <td>
                  <input className="input input-sm mono num" type="number" min={0} aria-label="For seconds" value={Number.isFinite(r.forS) ? r.forS : ''} onChange={(e) => patch(i, { forS: e.target.valueAsNumber })} />
                </td>
                <td>
                  <select className="input input-sm" aria-label="Severity" value={r.severity} onChange={(e) => patch(i, { severity: e.target.value as AlertRule['severity'] })}>
                    <option value="warning">warning</option>
                    <option value="critical">critical</option>
                  </select>
                </td>
                <td>
                  <button type="button" className="btn btn-sm btn-ghost" aria-label={`Remove ${r.name}`} onClick={() => setDraft(draft.filter((_, j) => j !== i))}>
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {save.isError && <ErrorNotice error={save.error} title="The rules were not saved" compact />}
      <div className="btn-row">
        <button type="button" className="btn btn-sm" onClick={() => setDraft([...draft, newRule()])}>
          + Add rule
        </button>
        <span className="spacer" />
        {save.isSuccess && !dirty && <span className="ok-text small">Saved</span>}
        <button type="button" className="btn btn-sm btn-ghost" disabled={!dirty || save.isPending} onClick={() => (setDraft(rules.data ?? []), save.reset())}>
          Discard
        </button>
        <button type="button" className="btn btn-sm btn-primary" data-testid="rules-save" disabled={!dirty || save.isPending} onClick={() => save.mutate(draft, { onSuccess: (saved) => setDraft(saved) })}>
          {save.isPending ? 'Saving…' : 'Save rules'}
        </button>
      </div>
    </div>
  );
}
