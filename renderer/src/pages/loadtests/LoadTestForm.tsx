import { useId, useMemo, useState, type FormEvent } from 'react';
import type { LoadTestInput } from '../../../../shared/loadtest/types.ts';
import { Field } from '../../components/Field.tsx';
import { ErrorNotice } from '../../components/ui.tsx';
import { checkForm, describe, fieldOf, newRequest, newThreshold, PRESETS, toInput, type LoadTestForm as FormState } from './model.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const MODEL_TEXT = {
  open: {
    title: 'Open model: arrival rate',
    line: 'Requests start on a fixed schedule whatever the server does, as real users arrive. Latency counts from the scheduled start, so a stall shows in p99.',
  },
  closed: {
    title: 'Closed model: virtual users',
    line: 'Each user waits for its answer (and thinks) before the next request. Throughput follows the server, and a stall mostly hides: fewer requests are sent while it lasts.',
  },
} as const;

/**
 * Design a load test: a preset to start from, the model and its shape, the request mix, an
 * optional login flow, and thresholds. Checked live with the engine's own validation; the
 * target is always the cluster's balancer (filled in by the server).
 */
export function LoadTestForm({
  balancerUrl,
  blocked,
  pending,
  error,
  onStart,
}: {
  balancerUrl: string | null;
  /** Why a run cannot start now (no balancer, a run in progress…), or null. */
  blocked: string | null;
  pending: boolean;
  error: unknown;
  onStart: (input: LoadTestInput) => void;
}) {
  const uid = useId();
  const [form, setForm] = useState<FormState>(() => PRESETS[0]!.form());
  const [preset, setPreset] = useState(PRESETS[0]!.id);
  // Checked on every change with the engine's own validation; the one failing field shows why.
  const check = useMemo(() => checkForm(form), [form]);
  const errOf = (field: string) => (!check.ok && fieldOf(check.path) === field ? check.message : null);

  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!check.ok || blocked) return;
    onStart(toInput(form, balancerUrl ?? 'http://127.0.0.1'));
  };
  const levelLabel = form.model === 'open' ? 'Rate (requests/s)' : 'Virtual users';

  return (
    <form className="card loadtest-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`} data-testid="loadtest-form">
      <header className="card-head">
        <h2 className="card-title" id={`${uid}-title`}>
          Design a load test
        </h2>
        {balancerUrl && <span className="muted small mono">→ {balancerUrl}</span>}
      </header>

      <fieldset className="form-section">
        <legend>Start from</legend>
        <div className="preset-row" role="radiogroup" aria-label="Preset">
          {PRESETS.map((p) => (
            <button
              key={p.id}
              type="button"
              role="radio"
              aria-checked={preset === p.id}
              className={`btn btn-sm${preset === p.id ? ' btn-selected' : ''}`}
              data-testid={`loadtest-preset-${p.id}`}
              title={p.line}
              onClick={() => {
                setPreset(p.id);
                setForm(p.form());
              }}
            >
              {p.title}
            </button>
          ))}
        </div>
      </fieldset>

      <fieldset className="form-section">
        <legend>Model</legend>
        <div className="algo-options" role="radiogroup" aria-label="Load model">
          {(['open', 'closed'] as const).map((m) => (
            <label key={m} className={`algo-option${form.model === m ? ' selected' : ''}`} data-testid={`loadtest-model-${m}`}>
              <input type="radio" name={`${uid}-model`} value={m} checked={form.model === m} onChange={() => set('model', m)} />
              <span className="algo-title">{MODEL_TEXT[m].title}</span>
              <span className="algo-text">{MODEL_TEXT[m].line}</span>
            </label>
          ))}
        </div>
        <div className="seg shape-seg" role="radiogroup" aria-label="Shape">
          {(['constant', 'stages'] as const).map((s) => (
            <button key={s} type="button" role="radio" aria-checked={form.shape === s} className={`btn btn-sm${form.shape === s ? ' btn-selected' : ''}`} data-testid={`loadtest-shape-${s}`} onClick={() => set('shape', s)}>
              {s === 'constant' ? 'Constant' : 'Stages (ramps)'}
            </button>
          ))}
        </div>
        <div className="form-grid form-grid-3">
          {form.shape === 'constant' ? (
            <>
              <Field id={`${uid}-level`} label={levelLabel} error={errOf('level')}>
                <input id={`${uid}-level`} className={`input mono${errOf('level') ? ' invalid' : ''}`} data-testid="loadtest-level" inputMode="numeric" value={form.level} onChange={(e) => set('level', e.target.value)} />
              </Field>
              <Field id={`${uid}-duration`} label="Duration" error={errOf('duration')} help="30s, 1m, 1m30s">
                <input id={`${uid}-duration`} className={`input mono${errOf('duration') ? ' invalid' : ''}`} data-testid="loadtest-duration" value={form.duration} onChange={(e) => set('duration', e.target.value)} />
              </Field>
            </>
          ) : (
            <div className="span-2">
              <Field id={`${uid}-stages`} label={form.model === 'open' ? 'Stages (duration:rate)' : 'Stages (duration:users)'} error={errOf('stages')} help="Each stage ramps linearly from the previous target: 10s:20,20s:100,10s:0">
                <input id={`${uid}-stages`} className={`input mono${errOf('stages') ? ' invalid' : ''}`} data-testid="loadtest-stages" value={form.stages} onChange={(e) => set('stages', e.target.value)} />
              </Field>
            </div>
          )}
          {form.model === 'closed' ? (
            <Field id={`${uid}-think`} label="Think time" error={errOf('thinkTime')} help="Pause after each answer: 0, 100ms, 1s">
              <input id={`${uid}-think`} className={`input mono${errOf('thinkTime') ? ' invalid' : ''}`} data-testid="loadtest-think" value={form.thinkTime} onChange={(e) => set('thinkTime', e.target.value)} />
            </Field>
          ) : (
            <Field id={`${uid}-inflight`} label="Max in flight" error={errOf('maxInFlight')} help="Due beyond this: dropped (counted).">
              <input id={`${uid}-inflight`} className={`input mono${errOf('maxInFlight') ? ' invalid' : ''}`} placeholder="auto" inputMode="numeric" value={form.maxInFlight} onChange={(e) => set('maxInFlight', e.target.value)} />
            </Field>
          )}
        </div>
      </fieldset>

      <fieldset className="form-section">
        <legend>Request mix</legend>
        <table className="mix-table" data-testid="loadtest-mix">
          <thead>
            <tr>
              <th>Method</th>
              <th>Path</th>
              <th>Weight</th>
              <th>Body (JSON template)</th>
              <th>
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {form.requests.map((r, i) => {
              const err = errOf(`request-${i}`);
              const upd = (patch: Partial<typeof r>) => set('requests', form.requests.map((x) => (x.id === r.id ? { ...x, ...patch } : x)));
              return (
                <tr key={r.id} className={err ? 'invalid-row' : undefined}>
                  <td>
                    <select className="input" aria-label={`Method of request ${i + 1}`} value={r.method} onChange={(e) => upd({ method: e.target.value })}>
                      {METHODS.map((m) => (
                        <option key={m}>{m}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input className="input mono" aria-label={`Path of request ${i + 1}`} data-testid={`loadtest-path-${i}`} value={r.path} onChange={(e) => upd({ path: e.target.value })} />
                  </td>
                  <td>
                    <input className="input mono narrow" aria-label={`Weight of request ${i + 1}`} inputMode="numeric" value={r.weight} onChange={(e) => upd({ weight: e.target.value })} />
                  </td>
                  <td>
                    <input className="input mono" aria-label={`Body of request ${i + 1}`} placeholder={r.method === 'GET' ? '—' : '{"n": {{rand}}}'} value={r.body} onChange={(e) => upd({ body: e.target.value })} />
                    {err && <p className="field-msg error">{err}</p>}
                  </td>
                  <td>
                    <button type="button" className="btn btn-icon btn-ghost" aria-label={`Remove request ${i + 1}`} disabled={form.requests.length === 1} onClick={() => set('requests', form.requests.filter((x) => x.id !== r.id))}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="btn-row">
          <button type="button" className="btn btn-sm" data-testid="loadtest-add-request" onClick={() => set('requests', [...form.requests, newRequest()])}>
            Add request
          </button>
          <label className="check">
            <input type="checkbox" data-testid="loadtest-login" checked={form.login} onChange={(e) => set('login', e.target.checked)} />
            Register and log in users first; send their JWT on every request
          </label>
        </div>
        <p className="muted small">
          Placeholders in paths and bodies: <code className="inline-code">{'{{rand}}'}</code> <code className="inline-code">{'{{vu}}'}</code> <code className="inline-code">{'{{iter}}'}</code>{' '}
          <code className="inline-code">{'{{time}}'}</code>.
        </p>
      </fieldset>

      <fieldset className="form-section">
        <legend>Thresholds</legend>
        <ul className="threshold-list" data-testid="loadtest-thresholds">
          {form.thresholds.map((t, i) => {
            const err = errOf(`threshold-${i}`);
            const upd = (patch: Partial<typeof t>) => set('thresholds', form.thresholds.map((x) => (x.id === t.id ? { ...x, ...patch } : x)));
            return (
              <li key={t.id}>
                <input className={`input mono${err ? ' invalid' : ''}`} aria-label={`Threshold ${i + 1}`} data-testid={`loadtest-threshold-${i}`} placeholder="p95<500" value={t.expr} onChange={(e) => upd({ expr: e.target.value })} />
                <label className="check small">
                  <input type="checkbox" checked={t.abort} onChange={(e) => upd({ abort: e.target.checked })} /> abort when crossed
                </label>
                <button type="button" className="btn btn-icon btn-ghost" aria-label={`Remove threshold ${i + 1}`} onClick={() => set('thresholds', form.thresholds.filter((x) => x.id !== t.id))}>
                  ×
                </button>
                {err && <p className="field-msg error">{err}</p>}
              </li>
            );
          })}
        </ul>
        <button type="button" className="btn btn-sm" onClick={() => set('thresholds', [...form.thresholds, newThreshold()])}>
          Add threshold
        </button>
        <aside className="teach">
          <strong>Thresholds</strong> turn a run into a verdict: <code className="inline-code">p95&lt;500</code> (ms), <code className="inline-code">error_rate&lt;1%</code>,{' '}
          <code className="inline-code">rate&gt;=100</code>. They are checked every second; one marked “abort” stops the run as soon as it fails.
        </aside>
      </fieldset>

      <div className="upgrade-start">
        <div className="upgrade-start-text">
          <p className="small" data-testid="loadtest-summary">
            {check.ok ? (
              <>
                <strong>{check.definition.model.kind === 'open' ? 'Open model:' : 'Closed model:'}</strong> {describe(check.definition)}
              </>
            ) : (
              <span className="field-msg error" data-testid="loadtest-form-error">
                {check.path ? <span className="mono">{check.path}</span> : null} {check.message}
              </span>
            )}
          </p>
          <p className={`field-msg${blocked ? ' warn' : ''}`} data-testid="loadtest-blocked">
            {blocked ?? '\u00a0'}
          </p>
        </div>
        <button type="submit" className="btn btn-primary" data-testid="loadtest-start" disabled={pending || !!blocked || !check.ok}>
          {pending ? 'Starting…' : 'Start load test'}
        </button>
      </div>
      {error ? <ErrorNotice error={error} title="Could not start the load test" compact /> : null}
    </form>
  );
}
