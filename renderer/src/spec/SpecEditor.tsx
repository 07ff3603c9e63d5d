import { useId, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ClusterSummary } from '../../../shared/api/index.ts';
import type { SpecError } from '../../../shared/spec/validate.ts';
import { ErrorNotice, Spinner } from '../components/ui.tsx';
import { useApplySpec, usePlanPreview, useValidateSpec } from '../data/clusters/queries.ts';
import { rememberStarted } from '../data/operations/queries.ts';
import { useDebounced } from '../lib/useDebounced.ts';
import { PlanSteps, planSentence } from './PlanPreview.tsx';
import {
  ALGORITHMS,
  duplicateEnvKeys,
  ENV_PATH,
  FIELDS,
  formFromDoc,
  nextEnvId,
  parse,
  withEnv,
  withField,
  type EnvRow,
  type FieldId,
  type FormValues,
} from './specForm.ts';
import { YamlEditor, type YamlEditorHandle } from './YamlEditor.tsx';

const VALIDATE_DEBOUNCE_MS = 350;

const ALGO_TEXT: Record<(typeof ALGORITHMS)[number], { title: string; text: string }> = {
  round_robin: {
    title: 'round_robin',
    text: 'Each node in turn. Best when requests cost about the same; the default.',
  },
  least_conn: {
    title: 'least_conn',
    text: 'The node with the fewest open requests. Beats round robin when some requests are slow (reports, uploads): a busy node is not handed more.',
  },
  ip_hash: {
    title: 'ip_hash',
    text: 'One client IP always reaches the same node. Only for apps that keep state in a node; these nodes are stateless, so rarely needed. No backup nodes.',
  },
};

function portOf(url: string | null): number | null {
  if (!url) return null;
  try {
    const p = new URL(url).port;
    return p ? Number(p) : 80;
  } catch {
    return null;
  }
}

interface FieldProps {
  id: FieldId;
  form: FormValues;
  errors: Map<string, string[]>;
  onChange: (id: FieldId, value: string) => void;
  disabled: boolean;
  help?: ReactNode;
  warn?: ReactNode;
  readOnly?: boolean;
  autoFocus?: boolean;
}

function Field({ id, form, errors, onChange, disabled, help, warn, readOnly, autoFocus }: FieldProps) {
  const def = FIELDS[id];
  const uid = useId();
  const error = errors.get(def.path.join('/'))?.[0];
  const tone = error ? ' error' : warn ? ' warn' : '';
  return (
    <div className="field" data-testid={`field-${id}`}>
      <label className="field-label" htmlFor={`${uid}-in`}>
        {def.label}
      </label>
      <input
        id={`${uid}-in`}
        className={`input mono${error ? ' invalid' : ''}`}
        data-testid={`spec-${id}`}
        value={form[id]}
        placeholder={def.fallback ? `${def.fallback} (default)` : undefined}
        inputMode={def.kind === 'int' ? 'numeric' : undefined}
        autoComplete="off"
        spellCheck={false}
        readOnly={readOnly}
        disabled={disabled}
        autoFocus={autoFocus}
        aria-invalid={!!error}
        aria-describedby={`${uid}-msg`}
        onChange={(e) => onChange(id, e.target.value)}
      />
      <p className={`field-msg${tone}`} id={`${uid}-msg`} data-testid={`field-msg-${id}`}>
        {error ?? warn ?? help ?? '\u00a0'}
      </p>
    </div>
  );
}

export interface SpecEditorProps {
  mode: 'new' | 'existing';
  yaml: string;
  onYamlChange: (yaml: string) => void;
  /** Existing clusters: the name is the cluster's identity and cannot change here. */
  lockedName?: string;
  clusters?: ClusterSummary[];
  /** Above the editor: the preset chooser, a revert button… */
  toolbar?: ReactNode;
  onApplied: (name: string, operationId: string) => void;
}

/**
 * The spec as a form and as YAML, side by side, in sync both ways; validated live by the server
 * (the same schema the engine uses); with the plan `apply` would run, before it runs.
 */
export function SpecEditor({ mode, yaml, onYamlChange, lockedName, clusters, toolbar, onApplied }: SpecEditorProps) {
  const parsed = useMemo(() => parse(yaml), [yaml]);
  const [form, setForm] = useState<FormValues>(() => formFromDoc(parsed.doc));
  const [formSource, setFormSource] = useState(yaml);
  const yamlRef = useRef<YamlEditorHandle>(null);
  const ids = useId();
  const apply = useApplySpec();

  // The text changed outside the form (typed YAML, a preset): re-read the form when it parses.
  if (yaml !== formSource) {
    setFormSource(yaml);
    if (parsed.syntax.length === 0) setForm(formFromDoc(parsed.doc));
  }

  const formBlocked = parsed.syntax.length > 0;
  const setYamlFromForm = (next: string) => {
    setFormSource(next);
    onYamlChange(next);
  };
  const onField = (id: FieldId, value: string) => {
    setForm((f) => ({ ...f, [id]: value }));
    setYamlFromForm(withField(yaml, id, value));
    if (apply.isError) apply.reset();
  };
  const onEnv = (rows: EnvRow[]) => {
    setForm((f) => ({ ...f, env: rows }));
    setYamlFromForm(withEnv(yaml, rows));
    if (apply.isError) apply.reset();
  };

  // Live validation of the text once typing pauses.
  const checked = useDebounced(yaml, VALIDATE_DEBOUNCE_MS);
  const validate = useValidateSpec(checked);
  const current = checked === yaml && !validate.isPlaceholderData && !validate.isFetching;
  const result = validate.data;
  const valid = current && result?.ok === true && !formBlocked;
  const specName = result?.ok ? result.spec.name : form.name;
  const nameChanged = mode === 'existing' && !!lockedName && valid && specName !== lockedName;
  const plan = usePlanPreview(checked, valid && !nameChanged);

  const problems: SpecError[] = useMemo(() => {
    if (parsed.syntax.length) return parsed.syntax.map((s) => ({ path: '', message: `invalid YAML: ${s.message}`, line: s.line }));
    return result && !result.ok ? result.errors : [];
  }, [parsed.syntax, result]);

  const errorsByPath = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of problems) m.set(p.path, [...(m.get(p.path) ?? []), p.message]);
    return m;
  }, [problems]);
  const problemLines = useMemo(() => {
    const m = new Map<number, string[]>();
    for (const p of problems) if (p.line) m.set(p.line, [...(m.get(p.line) ?? []), `${p.path || 'spec'}: ${p.message}`]);
    return m;
  }, [problems]);
  const envPrefix = ENV_PATH.join('/');
  const envErrors = problems.filter((p) => p.path === envPrefix || p.path.startsWith(`${envPrefix}/`));
  const dupKeys = duplicateEnvKeys(form.env);

  // Hints from what the UI already knows (the server re-checks ports when applying).
  const existing = mode === 'new' ? clusters?.find((c) => c.name === form.name) : undefined;
  const portUser = clusters?.find((c) => c.name !== (lockedName ?? form.name) && portOf(c.url) === Number(form.balancerPort || FIELDS.balancerPort.fallback));
  const replicas = Number(form.replicas || FIELDS.replicas.fallback);
  const backups = Number(form.backupNodes || 0);

  const checking = !formBlocked && (checked !== yaml || validate.isFetching);
  const planBusy = valid && !nameChanged && plan.isFetching;
  let blocker: string | null = null;
  if (formBlocked) blocker = 'Fix the YAML syntax to apply.';
  else if (checking) blocker = 'Checking the spec…';
  else if (validate.isError) blocker = 'The spec could not be checked.';
  else if (problems.length) blocker = `Fix ${problems.length} problem${problems.length === 1 ? '' : 's'} to apply.`;
  else if (nameChanged) blocker = `The name is this cluster's identity; to make a copy named "${specName}", use New cluster.`;
  else if (plan.isPending || planBusy) blocker = 'Planning…';
  else if (plan.isError) blocker = 'The plan could not be computed.';
  else if (plan.data?.empty) blocker = 'Nothing to change.';
  const canApply = valid && !blocker && !apply.isPending && !!plan.data && !plan.data.empty;

  const doApply = () => {
    if (!canApply || !result?.ok) return;
    const name = result.spec.name;
    apply.mutate(
      { yaml, name },
      {
        onSuccess: (r) => {
          rememberStarted(name, r.operationId);
          onApplied(name, r.operationId);
        },
      },
    );
  };

  const fieldProps = { form, errors: errorsByPath, onChange: onField, disabled: formBlocked };

  return (
    <div className="spec-editor" data-testid="spec-editor">
      <div className="spec-top">
        {toolbar}
        <p className={`spec-status${problems.length ? ' bad' : valid ? ' ok' : ''}`} role="status" aria-live="polite" data-testid="spec-status">
          {checking ? (
            <>
              <Spinner label="checking" /> Checking…
            </>
          ) : formBlocked ? (
            <>✗ The YAML does not parse</>
          ) : problems.length ? (
            <>
              ✗ {problems.length} problem{problems.length === 1 ? '' : 's'}
            </>
          ) : valid ? (
            <>✓ Valid spec</>
          ) : validate.isError ? (
            <>Cannot check</>
          ) : (
            <>&nbsp;</>
          )}
        </p>
      </div>

      <div className="spec-cols">
        <form className="card spec-form" onSubmit={(e) => e.preventDefault()} noValidate aria-label="Spec form">
          {formBlocked && (
            <p className="notice notice-info compact" role="status">
              The form follows the YAML; it is read-only until the YAML parses again.
            </p>
          )}
          <fieldset className="form-section" disabled={formBlocked}>
            <legend>Cluster</legend>
            <div className="form-grid">
              <Field
                id="name"
                {...fieldProps}
                readOnly={mode === 'existing'}
                help={mode === 'existing' ? 'Fixed: the name is how ScaleDeck finds the containers.' : 'Lowercase letters, digits and dashes.'}
                warn={existing ? `“${existing.name}” exists: applying changes it.` : undefined}
              />
              <Field
                id="balancerPort"
                {...fieldProps}
                help="Where NGINX listens on this machine."
                warn={portUser ? `“${portUser.name}” already listens on ${form.balancerPort || FIELDS.balancerPort.fallback}.` : undefined}
              />
            </div>
          </fieldset>

          <fieldset className="form-section" disabled={formBlocked}>
            <legend>API nodes</legend>
            <div className="form-grid">
              <Field id="replicas" {...fieldProps} help="1 to 64 identical containers." />
              <Field id="apiPort" {...fieldProps} help="The port the app listens on inside its container." />
            </div>
            <aside className="teach">
              <strong>Why replicas are cheap to add:</strong> API nodes are stateless. Sessions and cache live in Redis and data in Postgres, so any
              node can answer any request, and adding or removing one loses nothing. Scale out instead of up.
            </aside>
          </fieldset>

          <fieldset className="form-section" disabled={formBlocked}>
            <legend>Load balancer</legend>
            <AlgorithmField form={form} errors={errorsByPath} onChange={onField} disabled={formBlocked} />
            <div className="form-grid form-grid-4">
              <Field id="maxFails" {...fieldProps} help="Failed tries before a node is skipped." />
              <Field id="failTimeout" {...fieldProps} help="…within this window; skipped as long." />
              <Field id="keepalive" {...fieldProps} help="Idle connections kept to the nodes." />
              <Field
                id="backupNodes"
                {...fieldProps}
                help={backups > 0 ? `The last ${backups} of ${replicas} nodes wait as spares.` : 'Spares that get traffic only when all others fail.'}
              />
            </div>
            <aside className="teach">
              <strong>Backup nodes</strong> run but receive requests only when every regular node is down or marked failed: idle capacity that keeps the
              site answering while you fix the others. They must be fewer than the replicas, and NGINX refuses them with <span className="mono">ip_hash</span>.
            </aside>
          </fieldset>

          <fieldset className="form-section" disabled={formBlocked}>
            <legend>Postgres</legend>
            <div className="form-grid form-grid-3">
              <Field id="pgDatabase" {...fieldProps} help="Created on first start." />
              <Field id="pgUser" {...fieldProps} help="Its password is generated." />
              <Field
                id="pgMaxConnections"
                {...fieldProps}
                help={`Each API node keeps a pool: ${replicas} × pool must fit.`}
              />
              <Field id="pgReplicas" {...fieldProps} help="Streaming read replicas (0-8), each with its own slot." />
              <Field id="pgPool" {...fieldProps} help="Connections per API node and worker (DB_POOL_MAX)." />
            </div>
          </fieldset>

          <fieldset className="form-section" disabled={formBlocked}>
            <legend>Environment of the API nodes</legend>
            <EnvEditor rows={form.env} onChange={onEnv} duplicates={dupKeys} errors={envErrors} />
          </fieldset>
        </form>

        <div className="spec-side">
          <section className="card spec-yaml" aria-labelledby={`${ids}-yaml-label`}>
            <header className="card-head">
              <h2 className="card-title">
                <label id={`${ids}-yaml-label`} htmlFor={`${ids}-yaml`}>
                  <span className="mono">{(lockedName ?? (form.name || 'cluster'))}.yaml</span>
                </label>
              </h2>
              <span className="muted small">{parsed.syntax.length ? 'not parsing' : 'edits update the form'}</span>
            </header>
            <YamlEditor ref={yamlRef} id={`${ids}-yaml`} value={yaml} onChange={(t) => { onYamlChange(t); if (apply.isError) apply.reset(); }} problems={problemLines} describedBy={`${ids}-problems`} />
            <div id={`${ids}-problems`} className="problems" data-testid="spec-problems">
              {problems.length === 0 ? (
                <p className="muted small problems-none">{validate.isError ? '' : 'No problems. Images default to the image set in Settings.'}</p>
              ) : (
                <ul>
                  {problems.map((p, i) => (
                    <li key={i} className="problem">
                      {p.line ? (
                        <button type="button" className="btn btn-link btn-sm problem-line mono" onClick={() => yamlRef.current?.goToLine(p.line!)}>
                          line {p.line}
                        </button>
                      ) : (
                        <span className="problem-line mono muted">—</span>
                      )}
                      <span className="mono problem-path">{p.path || 'spec'}</span>
                      <span className="problem-msg">{p.message}</span>
                    </li>
                  ))}
                </ul>
              )}
              {validate.isError && <ErrorNotice error={validate.error} title="Cannot validate" compact />}
            </div>
          </section>
          <div className="apply-bar" data-testid="apply-bar">
            <div className="apply-summary">
              <strong data-testid="plan-summary">{plan.data && valid && !nameChanged ? planSentence(plan.data) : blocker ?? '\u00a0'}</strong>
              {canApply && <span className="muted small block">Long steps keep running if you close the window.</span>}
              {!canApply && plan.data && valid && blocker && blocker !== 'Nothing to change.' && <span className="muted small block">{blocker}</span>}
            </div>
            <button type="button" className="btn btn-primary btn-lg" data-testid="spec-apply" disabled={!canApply} onClick={doApply}>
              {apply.isPending ? 'Applying…' : mode === 'new' ? 'Create cluster' : 'Apply changes'}
            </button>
          </div>
          {apply.isError && <ErrorNotice error={apply.error} title="Could not apply" />}
        </div>
      </div>

      <section className="card plan-card" aria-labelledby={`${ids}-plan`} data-testid="plan-preview">
        <header className="card-head">
          <h2 className="card-title" id={`${ids}-plan`}>
            Plan preview
          </h2>
          <span className="muted small">what Apply will do, computed against what runs now</span>
        </header>
        <div className={`plan-body${planBusy || (plan.data && !valid) ? ' stale' : ''}`}>
          {plan.isError ? (
            <ErrorNotice error={plan.error} title="Cannot compute the plan" compact />
          ) : plan.data && (valid || planBusy) ? (
            <PlanSteps plan={plan.data} />
          ) : (
            <p className="muted small plan-wait">{problems.length ? 'A plan appears once the spec is valid.' : 'Computing the plan…'}</p>
          )}
        </div>
      </section>

    </div>
  );
}

function AlgorithmField({ form, errors, onChange, disabled }: { form: FormValues; errors: Map<string, string[]>; onChange: (id: FieldId, v: string) => void; disabled: boolean }) {
  const uid = useId();
  const error = errors.get(FIELDS.algorithm.path.join('/'))?.[0];
  const effective = form.algorithm || FIELDS.algorithm.fallback;
  return (
    <div className="field algo" data-testid="field-algorithm" role="radiogroup" aria-labelledby={`${uid}-l`} aria-describedby={`${uid}-msg`}>
      <span className="field-label" id={`${uid}-l`}>
        Algorithm: how NGINX picks a node
      </span>
      <div className="algo-options">
        {ALGORITHMS.map((a) => (
          <label key={a} className={`algo-option${effective === a ? ' selected' : ''}`}>
            <input type="radio" name={`${uid}-algo`} value={a} checked={effective === a} disabled={disabled} onChange={() => onChange('algorithm', a)} />
            <span className="algo-title mono">
              {ALGO_TEXT[a].title}
              {a === 'round_robin' && !form.algorithm && <span className="muted small"> (default)</span>}
            </span>
            <span className="algo-text">{ALGO_TEXT[a].text}</span>
          </label>
        ))}
      </div>
      <p className={`field-msg${error ? ' error' : ''}`} id={`${uid}-msg`}>
        {error ?? '\u00a0'}
      </p>
    </div>
  );
}

function EnvEditor({ rows, onChange, duplicates, errors }: { rows: EnvRow[]; onChange: (rows: EnvRow[]) => void; duplicates: Set<string>; errors: SpecError[] }) {
  const uid = useId();
  const update = (id: number, patch: Partial<EnvRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <div className="env" data-testid="field-env">
      {rows.length === 0 ? (
        <p className="muted small env-empty">
          No variables. Every API node gets <span className="mono">DATABASE_URL</span>, <span className="mono">REDIS_URL</span> and a generated{' '}
          <span className="mono">JWT_SECRET</span> already; add your own settings here, not secrets.
        </p>
      ) : (
        <table className="env-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const err = errors.find((e) => e.path === `${ENV_PATH.join('/')}/${r.key.trim()}`)?.message;
              const dup = duplicates.has(r.key.trim());
              return (
                <tr key={r.id}>
                  <td>
                    <input
                      className={`input mono${err || dup ? ' invalid' : ''}`}
                      aria-label={`Variable ${i + 1} name`}
                      value={r.key}
                      placeholder="LOG_LEVEL"
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(e) => update(r.id, { key: e.target.value })}
                      aria-invalid={!!err || dup}
                      aria-describedby={`${uid}-${r.id}`}
                    />
                    <p className={`field-msg${err || dup ? ' error' : ''}`} id={`${uid}-${r.id}`}>
                      {err ?? (dup ? 'Used twice: the last one wins.' : '\u00a0')}
                    </p>
                  </td>
                  <td>
                    <input
                      className="input mono"
                      aria-label={`Variable ${i + 1} value`}
                      value={r.value}
                      placeholder="info"
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(e) => update(r.id, { value: e.target.value })}
                    />
                    <p className="field-msg">&nbsp;</p>
                  </td>
                  <td>
                    <button type="button" className="btn btn-icon btn-ghost" aria-label={`Remove variable ${r.key || i + 1}`} onClick={() => onChange(rows.filter((x) => x.id !== r.id))}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {errors
        .filter((e) => !rows.some((r) => e.path === `${ENV_PATH.join('/')}/${r.key.trim()}`))
        .map((e, i) => (
          <p key={i} className="field-msg error">
            {e.path}: {e.message}
          </p>
        ))}
      <button type="button" className="btn btn-sm" data-testid="env-add" onClick={() => onChange([...rows, { id: nextEnvId(), key: '', value: '' }])}>
        + Add variable
      </button>
    </div>
  );
}
