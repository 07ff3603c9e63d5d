import type { ReactNode } from 'react';

/** A labelled form field with its message line (the error, else the help; a blank line keeps the height). */
export function Field({
  id,
  label,
  error,
  help,
  children,
}: {
  id: string;
  label: string;
  error?: string | null;
  help?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children}
      <p className={`field-msg${error ? ' error' : ''}`} id={`${id}-msg`}>
        {error ?? help ?? '\u00a0'}
      </p>
    </div>
  );
}
