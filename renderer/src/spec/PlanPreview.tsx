import type { PlanStepView, PlanView } from '../../../shared/api/index.ts';

/** "3 to create, 1 to recreate, balancer reload" — or why nothing happens. */
export function planSentence(plan: PlanView): string {
  if (plan.empty) return 'Nothing to change: what runs already matches this spec.';
  const s = plan.summary;
  const parts: string[] = [];
  if (s.create) parts.push(`${s.create} to create`);
  if (s.recreate) parts.push(`${s.recreate} to recreate`);
  if (s.start) parts.push(`${s.start} to start`);
  if (s.remove) parts.push(`${s.remove} to remove`);
  if (s.reload) parts.push('balancer reload');
  return parts.length ? parts.join(', ') : `${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}`;
}

const ICON: Record<string, string> = { create: '+', recreate: '~', start: '▶', remove: '−', reload: '↻', wait: '·' };
const TONE: Record<string, string> = { create: 'ok', recreate: 'warn', start: 'info', remove: 'bad', reload: 'info' };

function StepLine({ step }: { step: PlanStepView }) {
  const icon = ICON[step.action] ?? '·';
  const tone = TONE[step.action] ?? 'idle';
  return (
    <li className={`plan-step tone-${tone}${step.action === 'wait' ? ' plan-step-wait' : ''}`} data-action={step.action}>
      <span className="plan-step-icon mono" aria-hidden="true">
        {icon}
      </span>
      <span className="plan-step-text">{step.detail}</span>
    </li>
  );
}

export function PlanSteps({ plan }: { plan: PlanView }) {
  if (plan.empty) {
    return <p className="muted small">Applying now would change nothing.</p>;
  }
  return (
    <>
      <ul className="plan-chips" aria-label="Plan summary">
        {(['create', 'recreate', 'start', 'remove'] as const).map((k) => (
          <li key={k} className={`plan-chip${plan.summary[k] ? ` tone-${TONE[k]}` : ' zero'}`}>
            <strong className="mono">{plan.summary[k]}</strong> to {k}
          </li>
        ))}
        <li className={`plan-chip${plan.summary.reload ? ' tone-info' : ' zero'}`}>{plan.summary.reload ? 'balancer reload' : 'no reload'}</li>
      </ul>
      <ol className="plan-steps" data-testid="plan-steps">
        {plan.steps.map((s) => (
          <StepLine key={s.id} step={s} />
        ))}
      </ol>
      <details className="plan">
        <summary>Plan text (as `scaledeck up --dry-run` prints it)</summary>
        <pre className="code" data-testid="plan-text">
          {plan.text}
        </pre>
      </details>
    </>
  );
}
