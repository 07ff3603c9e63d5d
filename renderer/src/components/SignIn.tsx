import { useId, useState, type FormEvent } from 'react';
import { createApi, tokenFromInput } from '../api/transport.ts';
import { errorInfo } from '../lib/errors.ts';

/**
 * Web mode without a usable token: paste the token (or the whole link) that `scaledeck serve`
 * printed. It is checked against the server before it is kept for this tab.
 */
export function SignIn({ reason, onSignedIn }: { reason: 'missing' | 'refused' | 'signed-out'; onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [show, setShow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const id = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = tokenFromInput(value);
    if (!token) {
      setError({ message: 'Paste the token first.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await createApi(token)['engine.info']();
      onSignedIn(token);
    } catch (err) {
      const info = errorInfo(err);
      setError(
        info.code === 'UNAUTHORIZED'
          ? { message: 'The server refused that token.', hint: 'Copy it again from the terminal running `scaledeck serve`; a restarted server prints a new one unless SCALEDECK_TOKEN is set.' }
          : { message: info.message, hint: info.hint },
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" data-testid="sign-in">
      <form className="card signin-card" onSubmit={(e) => void submit(e)} noValidate>
        <div className="logo signin-logo" aria-hidden="true">
          <span className="logo-mark">
            <span />
            <span />
            <span />
          </span>
          <span className="logo-text">ScaleDeck</span>
        </div>
        <h1>Sign in to web mode</h1>
        {reason === 'refused' && (
          <p className="notice notice-info" role="status">
            The server no longer accepts the token this tab had (it was restarted, or the token changed).
          </p>
        )}
        {reason === 'signed-out' && (
          <p className="notice notice-info" role="status">
            You signed out. The token was removed from this tab.
          </p>
        )}
        <p className="muted">
          Anyone with this token controls the Docker engine, so ScaleDeck asks for it. It is the <span className="mono">?token=…</span> part of the link that{' '}
          <code className="inline-code">scaledeck serve</code> printed in its terminal. Pasting the whole link works too.
        </p>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-token`}>
            Access token
          </label>
          <div className="signin-row">
            <input
              id={`${id}-token`}
              className={`input mono${error ? ' invalid' : ''}`}
              data-testid="sign-in-token"
              type={show ? 'text' : 'password'}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              value={value}
              aria-invalid={!!error}
              aria-describedby={`${id}-msg`}
              onChange={(e) => {
                setValue(e.target.value);
                setError(null);
              }}
            />
            <button type="button" className="btn" onClick={() => setShow((s) => !s)} aria-pressed={show}>
              {show ? 'Hide' : 'Show'}
            </button>
          </div>
          <div id={`${id}-msg`} className={`field-msg${error ? ' error' : ''}`} role={error ? 'alert' : undefined}>
            {error ? (
              <>
                {error.message}
                {error.hint && <span className="block muted">→ {error.hint}</span>}
              </>
            ) : (
              'Kept for this tab only (sessionStorage); closing the tab forgets it.'
            )}
          </div>
        </div>
        <button type="submit" className="btn btn-primary btn-lg" data-testid="sign-in-submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
