import { useId, useState, type FormEvent } from 'react';
import type { ClusterDetail, UpgradeRecord, UpgradeRequest } from '../../../../../shared/api/index.ts';
import { Field } from '../../../components/Field.tsx';
import { ErrorNotice } from '../../../components/ui.tsx';
import { useStartUpgrade } from '../../../data/upgrades/queries.ts';
import { batchSize, currentImage, ENV_KEY_RE, IMAGE_RE, nodeColors, STRATEGY_TEXT, type Strategy } from './model.ts';

interface EnvRow {
  id: number;
  key: string;
  value: string;
}

let envSeq = 0;
const newRow = (): EnvRow => ({ id: ++envSeq, key: '', value: '' });

const PROBE_MAX = 2000;

/**
 * Start an upgrade: the new image (prefilled with the one that runs), environment additions, the
 * strategy and its pace, the probe and the health gate. Refused while a blue-green switch waits
 * or another operation runs; the server's refusal (CONFLICT, BUSY…) shows inline either way.
 */
export function UpgradeForm({
  name,
  cluster,
  pending,
  busy,
  onStarted,
}: {
  name: string;
  cluster: ClusterDetail | undefined;
  pending: UpgradeRecord | null;
  busy: boolean;
  onStarted: (operationId: string) => void;
}) {
  const uid = useId();
  const start = useStartUpgrade();
  const current = currentImage(cluster);
  const nodes = cluster?.spec?.api.replicas ?? cluster?.apiReplicas ?? 0;
  const colors = nodeColors(cluster);
  const liveColor = pending ? pending.toColor : colors.green > colors.blue ? 'green' : 'blue';
  const nextColor = liveColor === 'green' ? 'blue' : 'green';
  const currentEnv = cluster?.spec?.api.env ?? {};

  const [imageDraft, setImageDraft] = useState<string | null>(null);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [strategy, setStrategy] = useState<Strategy>('rolling');
  const [batch, setBatch] = useState('1');
  const [probeRate, setProbeRate] = useState('200');
  const [canary, setCanary] = useState('');
  const [gate, setGate] = useState('60');

  const image = (imageDraft ?? current).trim();
  const touched = () => {
    if (start.isError) start.reset();
  };

  // Validation, field by field.
  const imageError = !cluster ? null : image === '' ? 'Name the image to run, for example registry/app:2.0.' : IMAGE_RE.test(image) ? null : 'An image reference: lowercase, no spaces, such as app:2.0.';
  const envErrors = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of env) {
    const k = r.key.trim();
    if (k === '' && r.value === '') continue;
    if (k === '') envErrors.set(r.id, 'Give the variable a name.');
    else if (!ENV_KEY_RE.test(k)) envErrors.set(r.id, 'Letters, digits and _ only, not starting with a digit.');
    else if (seen.has(k)) envErrors.set(r.id, 'Used twice: the last one wins.');
    seen.add(k);
  }
  const envHardErrors = [...envErrors.values()].filter((m) => !m.startsWith('Used twice')).length;
  const size = batchSize(batch, Math.max(1, nodes));
  const batchError = strategy === 'rolling' && size === null ? 'A count such as 1, or a share such as 50%.' : null;
  const rate = Number(probeRate);
  const rateError = probeRate.trim() === '' || !Number.isInteger(rate) || rate < 0 || rate > PROBE_MAX ? `0 to ${PROBE_MAX} requests a second.` : null;
  const canaryN = Number(canary);
  const canaryError = strategy === 'blue-green' && canary.trim() !== '' && (!Number.isInteger(canaryN) || canaryN < 1 || canaryN > 99) ? 'Empty, or 1 to 99 %.' : null;
  const gateN = Number(gate);
  const gateError = !Number.isInteger(gateN) || gateN < 5 || gateN > 600 ? '5 to 600 seconds.' : null;
  const invalid = !!(imageError || envHardErrors || batchError || rateError || canaryError || gateError);

  const envAdd: Record<string, string> = {};
  for (const r of env) if (r.key.trim() && ENV_KEY_RE.test(r.key.trim())) envAdd[r.key.trim()] = r.value;
  const envCount = Object.keys(envAdd).length;
  const imageChanged = image !== current;

  const blocked: string | null = !cluster
    ? 'Loading the cluster…'
    : !cluster.managed
      ? 'This cluster has no stored spec, so ScaleDeck cannot upgrade it.'
      : pending
        ? `A blue-green upgrade waits for you: finalize it or roll it back first (above).`
        : busy
          ? 'An operation is running on this cluster; start when it has finished.'
          : null;
  const disabled = invalid || !!blocked || start.isPending || nodes === 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (disabled) return;
    const req: UpgradeRequest = {
      cluster: name,
      strategy,
      // Only what changes; with nothing else to change, the same image again is a replace-in-place.
      image: imageChanged || envCount === 0 ? image : undefined,
      env: envCount ? envAdd : undefined,
      probeRate: rate,
      gateTimeoutMs: gateN * 1000,
    };
    if (strategy === 'rolling') req.batch = batch.trim().endsWith('%') ? batch.trim() : Number(batch.trim());
    if (strategy === 'blue-green' && canary.trim() !== '') req.canaryPercent = canaryN;
    start.mutate(req, { onSuccess: (r) => onStarted(r.operationId) });
  };

  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : /(s|sh|ch|x)$/.test(w) ? 'es' : 's'}`;
  const summary =
    strategy === 'rolling'
      ? size
        ? `${plural(nodes, 'node')} in ${plural(Math.ceil(nodes / size), 'batch')} of ${size}${size === 1 ? '' : ' at most'}; each new node passes its health gate before an old one leaves.`
        : ''
      : `${plural(nodes, nextColor + ' node')} start beside the ${liveColor} ones, then one switch${canary.trim() && !canaryError ? ` after a ${canaryN}% canary` : ''}; ${liveColor} stays until you finalize.`;
  const what = imageChanged ? (envCount ? `New image and ${plural(envCount, 'variable')}.` : 'New image.') : envCount ? `Same image, ${plural(envCount, 'variable')} added or changed.` : 'Same image: the nodes are replaced by identical ones.';

  return (
    <form className="card upgrade-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`} data-testid="upgrade-form">
      <header className="card-head">
        <h2 className="card-title" id={`${uid}-title`}>
          Start an upgrade
        </h2>
        {nodes > 0 && <span className="muted small">{plural(nodes, 'API node')}</span>}
      </header>

      <fieldset className="form-section" disabled={!cluster?.managed}>
        <legend>New version</legend>
        <Field
          id={`${uid}-image`}
          label="API image"
          error={imageError}
          help={
            imageChanged ? (
              <>
                Runs now: <span className="mono">{current}</span>{' '}
                <button type="button" className="link-btn" data-testid="upgrade-image-reset" onClick={() => setImageDraft(null)}>
                  reset
                </button>
              </>
            ) : (
              'The image that runs now; type the new tag or reference.'
            )
          }
        >
          <input
            id={`${uid}-image`}
            className={`input mono${imageError ? ' invalid' : ''}`}
            data-testid="upgrade-image"
            value={imageDraft ?? current}
            spellCheck={false}
            autoComplete="off"
            placeholder="registry.example.com/team/api:2.0"
            aria-invalid={!!imageError}
            aria-describedby={`${uid}-image-msg`}
            onChange={(e) => {
              setImageDraft(e.target.value);
              touched();
            }}
          />
        </Field>

        <div className="field">
          <span className="field-label" id={`${uid}-env`}>
            Environment additions
          </span>
          <div className="env" data-testid="upgrade-env" role="group" aria-labelledby={`${uid}-env`}>
            {env.length === 0 ? (
              <p className="muted small">
                {Object.keys(currentEnv).length ? (
                  <>
                    Set now:{' '}
                    {Object.entries(currentEnv).map(([k, v]) => (
                      <code className="chip env-chip" key={k} title={`${k}=${v}`}>
                        {k}={v}
                      </code>
                    ))}
                    . A variable added here is set, or replaces the one of the same name.
                  </>
                ) : (
                  'No variables of your own are set now. Add some to roll out a configuration change, with or without a new image.'
                )}
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
                  {env.map((r, i) => {
                    const err = envErrors.get(r.id);
                    const hard = err && !err.startsWith('Used twice');
                    const replaces = r.key.trim() in currentEnv ? `Replaces ${currentEnv[r.key.trim()] === '' ? 'an empty value' : `“${currentEnv[r.key.trim()]}”`}.` : null;
                    return (
                      <tr key={r.id}>
                        <td>
                          <input
                            className={`input mono${hard ? ' invalid' : ''}`}
                            aria-label={`Variable ${i + 1} name`}
                            data-testid={`upgrade-env-key-${i}`}
                            value={r.key}
                            placeholder="FEATURE_FLAG"
                            spellCheck={false}
                            autoComplete="off"
                            aria-invalid={!!hard}
                            onChange={(e) => {
                              setEnv(env.map((x) => (x.id === r.id ? { ...x, key: e.target.value } : x)));
                              touched();
                            }}
                          />
                          <p className={`field-msg${hard ? ' error' : err ? ' warn' : ''}`}>{err ?? replaces ?? '\u00a0'}</p>
                        </td>
                        <td>
                          <input
                            className="input mono"
                            aria-label={`Variable ${i + 1} value`}
                            data-testid={`upgrade-env-value-${i}`}
                            value={r.value}
                            placeholder="on"
                            spellCheck={false}
                            autoComplete="off"
                            onChange={(e) => {
                              setEnv(env.map((x) => (x.id === r.id ? { ...x, value: e.target.value } : x)));
                              touched();
                            }}
                          />
                          <p className="field-msg">&nbsp;</p>
                        </td>
                        <td>
                          <button type="button" className="btn btn-icon btn-ghost" aria-label={`Remove variable ${r.key || i + 1}`} onClick={() => setEnv(env.filter((x) => x.id !== r.id))}>
                            ×
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            <button type="button" className="btn btn-sm" data-testid="upgrade-env-add" onClick={() => setEnv([...env, newRow()])}>
              + Add variable
            </button>
          </div>
        </div>
      </fieldset>

      <fieldset className="form-section" disabled={!cluster?.managed}>
        <legend>Strategy</legend>
        <div className="algo-options" role="radiogroup" aria-label="Strategy">
          {(['rolling', 'blue-green'] as const).map((s) => (
            <label key={s} className={`algo-option${strategy === s ? ' selected' : ''}`} data-testid={`upgrade-strategy-${s}`}>
              <input
                type="radio"
                name={`${uid}-strategy`}
                value={s}
                checked={strategy === s}
                onChange={() => {
                  setStrategy(s);
                  touched();
                }}
              />
              <span className="algo-title">{STRATEGY_TEXT[s].title}</span>
              <span className="algo-text">{STRATEGY_TEXT[s].line}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset className="form-section" disabled={!cluster?.managed}>
        <legend>Pace and proof</legend>
        <div className="form-grid form-grid-3">
          {strategy === 'rolling' ? (
            <Field id={`${uid}-batch`} label="Batch size" error={batchError} help={size && nodes ? `${size} of ${nodes} at a time.` : 'A count, or a share: 50%.'}>
              <input
                id={`${uid}-batch`}
                className={`input mono${batchError ? ' invalid' : ''}`}
                data-testid="upgrade-batch"
                value={batch}
                inputMode="numeric"
                placeholder="1 or 50%"
                aria-describedby={`${uid}-batch-msg`}
                onChange={(e) => {
                  setBatch(e.target.value);
                  touched();
                }}
              />
            </Field>
          ) : (
            <Field id={`${uid}-canary`} label="Canary (% of traffic)" error={canaryError} help={canary.trim() ? `${canaryN}% to ${nextColor} for 10 s first.` : 'Empty: no canary.'}>
              <input
                id={`${uid}-canary`}
                className={`input mono${canaryError ? ' invalid' : ''}`}
                data-testid="upgrade-canary"
                value={canary}
                inputMode="numeric"
                placeholder="none"
                aria-describedby={`${uid}-canary-msg`}
                onChange={(e) => {
                  setCanary(e.target.value);
                  touched();
                }}
              />
            </Field>
          )}
          <Field id={`${uid}-gate`} label="Gate timeout (s)" error={gateError} help="For /ready 3× in a row.">
            <input
              id={`${uid}-gate`}
              className={`input mono${gateError ? ' invalid' : ''}`}
              data-testid="upgrade-gate"
              type="number"
              min={5}
              max={600}
              value={gate}
              aria-describedby={`${uid}-gate-msg`}
              onChange={(e) => {
                setGate(e.target.value);
                touched();
              }}
            />
          </Field>
          <Field id={`${uid}-probe`} label="Probe rate (req/s)" error={rateError} help={rate === 0 && !rateError ? 'No probe: no proof.' : 'Through NGINX. 0: none.'}>
            <input
              id={`${uid}-probe`}
              className={`input mono${rateError ? ' invalid' : ''}`}
              data-testid="upgrade-probe-rate"
              type="number"
              min={0}
              max={PROBE_MAX}
              value={probeRate}
              aria-describedby={`${uid}-probe-msg`}
              onChange={(e) => {
                setProbeRate(e.target.value);
                touched();
              }}
            />
          </Field>
        </div>
        <aside className="teach">
          <strong>Why the probe:</strong> “zero downtime” is a claim until something counts. The probe sends a steady mix of requests through the balancer
          before, during and after the upgrade and records every failure and the p99 latency of each phase, so the history shows the proof.
        </aside>
      </fieldset>

      <div className="upgrade-start">
        <div className="upgrade-start-text">
          <p className="small">
            <strong>{what}</strong> {summary}
          </p>
          <p className={`field-msg${blocked && cluster ? ' warn' : ''}`} data-testid="upgrade-blocked">
            {blocked ?? (rate > 0 && !rateError ? `Probe: ${rate} requests a second through the balancer.` : '\u00a0')}
          </p>
        </div>
        <button type="submit" className="btn btn-primary" data-testid="upgrade-start" disabled={disabled}>
          {start.isPending ? 'Starting…' : `Start ${strategy} upgrade`}
        </button>
      </div>
      {start.isError && <ErrorNotice error={start.error} title="Could not start the upgrade" compact />}
    </form>
  );
}
