import type { CSSProperties, ReactNode } from 'react';
import type { ClusterState } from '../../../shared/api/index.ts';
import { errorInfo, nextStep } from '../lib/errors.ts';
import { clusterStateTone, type Tone } from '../lib/health.ts';

export function Dot({ tone, pulse }: { tone: Tone; pulse?: boolean }) {
  return <span className={`dot tone-${tone}${pulse ? ' pulse' : ''}`} aria-hidden="true" />;
}

export function Badge({ tone, children, testId, title }: { tone: Tone; children: ReactNode; testId?: string; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} data-testid={testId} title={title}>
      <Dot tone={tone} />
      <span>{children}</span>
    </span>
  );
}

export function StateBadge({ state }: { state: ClusterState }) {
  return (
    <span className={`badge tone-${clusterStateTone[state]}`} data-state={state}>
      <Dot tone={clusterStateTone[state]} pulse={state === 'starting'} />
      <span>{state}</span>
    </span>
  );
}

export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label ?? 'Working'} />;
}

export function Skeleton({ width, height, style }: { width?: number | string; height?: number | string; style?: CSSProperties }) {
  return <span className="skeleton" style={{ width, height, ...style }} aria-hidden="true" />;
}

/** An API error as the user should see it: what happened, and what to do about it. */
export function ErrorNotice({ error, title, compact }: { error: unknown; title?: string; compact?: boolean }) {
  const info = errorInfo(error);
  const next = nextStep(info);
  return (
    <div className={`notice notice-error${compact ? ' compact' : ''}`} role="alert" data-error-code={info.code ?? undefined}>
      <div className="notice-head">
        <strong>{title ?? 'Something went wrong'}</strong>
        {info.code && <code className="chip">{info.code}</code>}
      </div>
      <p className="notice-message">{info.message}</p>
      {next && (
        <p className="notice-hint" data-testid="error-next-step">
          <span aria-hidden="true">→ </span>
          {next}
        </p>
      )}
    </div>
  );
}

export function Card({ title, actions, children, className, id }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; id?: string }) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} id={id}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2 className="card-title">{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function ExternalLink({ href, children, testId }: { href: string; children: ReactNode; testId?: string }) {
  return (
    <a className="ext-link mono" href={href} target="_blank" rel="noopener noreferrer" data-testid={testId}>
      {children}
      <span aria-hidden="true" className="ext-arrow">↗</span>
    </a>
  );
}
