import { useId, useState, type FormEvent, type RefObject } from 'react';
import type { ClusterSummary } from '../../../shared/api/index.ts';
import { useCreateFromPreset } from '../data/clusters/queries.ts';
import { rememberStarted } from '../data/operations/queries.ts';
import { usePresets } from '../data/presets/queries.ts';
import { validateClusterName, validatePort } from '../lib/format.ts';
import { navigate, paths } from '../lib/router.ts';
import { ErrorNotice, Skeleton } from './ui.tsx';

function portOf(url: string | null): number | null {
  if (!url) return null;
  try {
    const p = new URL(url).port;
    return p ? Number(p) : 80;
  } catch {
    return null;
  }
}

export function CreateClusterCard({ clusters, nameRef }: { clusters: ClusterSummary[] | undefined; nameRef: RefObject<HTMLInputElement | null> }) {
  const presets = usePresets();
  const create = useCreateFromPreset();
  const [preset, setPreset] = useState<string | null>(null);
  const [name, setName] = useState('starter');
  const [port, setPort] = useState('8080');
  const [submitted, setSubmitted] = useState(false);
  const ids = useId();

  // Default to the first preset once the list arrives ("starter" comes first).
  const chosen = preset ?? presets.data?.[0]?.id ?? null;

  const nameError = validateClusterName(name);
  const portError = validatePort(port);
  const exists = clusters?.some((c) => c.name === name) ?? false;
  const portUser = clusters?.find((c) => c.name !== name && portOf(c.url) === Number(port));
  const invalid = !!nameError || !!portError || !chosen;

  // Editing the form clears the previous attempt's error.
  const edited = () => {
    if (create.isError) create.reset();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (invalid || create.isPending) return;
    create.mutate(
      { preset: chosen!, name, port: Number(port) },
      {
        onSuccess: (r) => {
          rememberStarted(name, r.operationId);
          navigate(paths.cluster(name));
        },
      },
    );
  };

  const showNameError = nameError && (submitted || name !== 'starter');

  return (
    <section className="card create-card" aria-labelledby={`${ids}-title`}>
      <header className="card-head">
        <h2 className="card-title" id={`${ids}-title`}>
          Create local cluster
        </h2>
        <span className="muted small">
          Press <kbd>C</kbd> to jump here
        </span>
      </header>
      <form onSubmit={submit} noValidate data-testid="create-form">
        <fieldset className="presets">
          <legend className="field-label">Preset</legend>
          {presets.isPending &&
            [0, 1, 2].map((i) => (
              <div className="preset preset-skeleton" key={i}>
                <Skeleton width={80} height={14} />
                <Skeleton width="90%" height={11} />
                <Skeleton width="70%" height={11} />
              </div>
            ))}
          {presets.isError && <ErrorNotice error={presets.error} title="Cannot load presets" compact />}
          {presets.data?.map((p) => (
            <label key={p.id} className={`preset${chosen === p.id ? ' selected' : ''}`} data-testid={`preset-${p.id}`}>
              <input type="radio" name="preset" value={p.id} checked={chosen === p.id} onChange={() => { setPreset(p.id); edited(); }} />
              <span className="preset-title">{p.title}</span>
              <span className="preset-desc">{p.description}</span>
            </label>
          ))}
        </fieldset>

        <div className="create-row">
          <div className="field field-name">
            <label className="field-label" htmlFor={`${ids}-name`}>
              Name
            </label>
            <input
              id={`${ids}-name`}
              ref={nameRef}
              className={`input mono${showNameError ? ' invalid' : ''}`}
              data-testid="create-name"
              value={name}
              onChange={(e) => { setName(e.target.value); edited(); }}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={!!showNameError}
              aria-describedby={`${ids}-name-msg`}
              maxLength={64}
            />
            <p className={`field-msg${showNameError ? ' error' : exists ? ' warn' : ''}`} id={`${ids}-name-msg`}>
              {showNameError
                ? nameError
                : exists
                  ? `A cluster named “${name}” already exists; creating it again re-applies this preset.`
                  : 'Lowercase letters, digits and dashes.'}
            </p>
          </div>
          <div className="field field-port">
            <label className="field-label" htmlFor={`${ids}-port`}>
              Port on 127.0.0.1
            </label>
            <input
              id={`${ids}-port`}
              className={`input mono${portError ? ' invalid' : ''}`}
              data-testid="create-port"
              inputMode="numeric"
              value={port}
              onChange={(e) => { setPort(e.target.value.replace(/[^\d]/g, '')); edited(); }}
              aria-invalid={!!portError}
              aria-describedby={`${ids}-port-msg`}
              maxLength={5}
            />
            <p className={`field-msg${portError ? ' error' : portUser ? ' warn' : ''}`} id={`${ids}-port-msg`}>
              {portError ?? (portUser ? `“${portUser.name}” already listens on ${port}.` : 'Where the load balancer listens.')}
            </p>
          </div>
          <div className="field field-submit">
            <span className="field-label" aria-hidden="true">
              &nbsp;
            </span>
            <button type="submit" className="btn btn-primary btn-lg" data-testid="create-cluster" disabled={create.isPending || (submitted && invalid)}>
              {create.isPending ? 'Creating…' : 'Create local cluster'}
            </button>
            <p className="field-msg">&nbsp;</p>
          </div>
        </div>
        {create.isError && <ErrorNotice error={create.error} title="Could not create the cluster" />}
      </form>
      <p className="create-more muted small">
        Want another algorithm, backup nodes or your own environment?{' '}
        <a href={paths.newCluster(chosen)} data-testid="customise-preset">
          Customise {presets.data?.find((p) => p.id === chosen)?.title ?? 'this preset'} in the spec editor →
        </a>
      </p>
    </section>
  );
}
