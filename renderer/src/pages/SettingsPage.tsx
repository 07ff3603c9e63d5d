import { useId, type ReactNode } from 'react';
import { useAccess } from '../api/auth.ts';
import { ShortcutList } from '../components/ShortcutsDialog.tsx';
import { Card, Dot, ErrorNotice, Skeleton } from '../components/ui.tsx';
import { useEngineInfo } from '../data/engine/queries.ts';
import { useSecretStorage, useSetSecretStorage } from '../data/settings/queries.ts';
import { useTheme } from '../lib/theme.ts';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function ThemeCard() {
  const { theme, explicit, set } = useTheme();
  const id = useId();
  const choice = explicit ? theme : 'system';
  const options: { value: 'system' | 'light' | 'dark'; label: string; hint: string }[] = [
    { value: 'system', label: 'System', hint: 'Follow the operating system' },
    { value: 'light', label: 'Light', hint: 'Always light' },
    { value: 'dark', label: 'Dark', hint: 'Always dark' },
  ];
  return (
    <Card title="Appearance">
      <fieldset className="theme-choice" aria-describedby={`${id}-hint`}>
        <legend className="field-label">Theme</legend>
        {options.map((o) => (
          <label key={o.value} className={`theme-option${choice === o.value ? ' selected' : ''}`} data-testid={`theme-${o.value}`}>
            <input type="radio" name={`${id}-theme`} value={o.value} checked={choice === o.value} onChange={() => set(o.value === 'system' ? null : o.value)} />
            <span className={`theme-swatch swatch-${o.value}`} aria-hidden="true" />
            <span>
              <span className="strong block">{o.label}</span>
              <span className="muted small">{o.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <p className="muted small" id={`${id}-hint`}>
        Now showing the <strong>{theme}</strong> theme. Press <kbd>t</kbd> anywhere to toggle.
      </p>
    </Card>
  );
}

/** Where cluster secrets live: sealed with the system keyring (desktop app) or 0600 files, and why. */
function SecretsCard() {
  const info = useSecretStorage();
  const set = useSetSecretStorage();
  return (
    <Card title="Secrets">
      {info.isPending ? (
        <Skeleton width="100%" height={48} />
      ) : info.isError ? (
        <ErrorNotice error={info.error} title="Cannot read how secrets are kept" compact />
      ) : (
        <>
          <p className="small" data-testid="secrets-mode">
            <Dot tone={info.data.mode === 'keyring' ? 'ok' : 'warn'} /> {info.data.mode === 'keyring' ? <strong>Sealed with the system keyring</strong> : <strong>0600 files</strong>}
            {info.data.backend ? <span className="muted mono"> · {info.data.backend}</span> : null}
          </p>
          <p className="muted small" data-testid="secrets-note">
            {info.data.note}
          </p>
          {info.data.keyringAvailable && (
            <div className="btn-row">
              <button type="button" className={`btn btn-sm${info.data.mode === 'keyring' ? ' btn-selected' : ''}`} disabled={set.isPending} onClick={() => set.mutate('keyring')}>
                Keyring
              </button>
              <button type="button" className={`btn btn-sm${info.data.mode === 'file' ? ' btn-selected' : ''}`} disabled={set.isPending} onClick={() => set.mutate('file')}>
                0600 files (shared with the CLI)
              </button>
            </div>
          )}
          {set.isError && <ErrorNotice error={set.error} title="Could not switch" compact />}
          {set.data && <p className="muted small">{set.data.converted} cluster{set.data.converted === 1 ? '' : 's'} converted.</p>}
        </>
      )}
    </Card>
  );
}

function AccessCard() {
  const access = useAccess();
  if (access.mode === 'desktop') {
    return (
      <Card title="Access">
        <dl className="facts">
          <Row label="Mode">Desktop app</Row>
        </dl>
        <p className="muted small settings-note">The window talks to ScaleDeck over IPC; no token is needed and nothing listens on the network.</p>
      </Card>
    );
  }
  const t = access.token ?? '';
  return (
    <Card title="Access">
      <dl className="facts">
        <Row label="Mode">Web mode</Row>
        <Row label="Token">
          <span className="cell-status" data-testid="token-status">
            <Dot tone="ok" /> signed in · <span className="mono">{t.length > 8 ? `••••${t.slice(-4)}` : '••••'}</span>
          </span>
        </Row>
        <Row label="Kept in">this tab's sessionStorage</Row>
      </dl>
      <p className="muted small settings-note">
        Closing the tab forgets the token. Anyone with it controls this Docker engine: web mode binds 127.0.0.1 unless started with another host.
      </p>
      <button type="button" className="btn btn-danger-outline" data-testid="sign-out" onClick={access.signOut}>
        Sign out
      </button>
    </Card>
  );
}

function EngineCard() {
  const engine = useEngineInfo();
  if (engine.isError) return <ErrorNotice error={engine.error} title="Cannot ask ScaleDeck about the Docker engine" />;
  const e = engine.data;
  return (
    <Card title="Docker engine" actions={<span className="muted small">re-checked every 10 s</span>}>
      <dl className="facts" data-testid="settings-engine">
        <Row label="Status">
          {e ? (
            <span className="cell-status">
              <Dot tone={e.reachable ? 'ok' : 'bad'} /> {e.reachable ? 'reachable' : 'unreachable'}
            </span>
          ) : (
            <Skeleton width={90} />
          )}
        </Row>
        <Row label="Version">{e ? <span className="mono">{e.version ? `${e.version}${e.apiVersion ? ` (API ${e.apiVersion})` : ''}` : '—'}</span> : <Skeleton width={120} />}</Row>
        <Row label="Host">{e ? <span className="mono">{e.host}</span> : <Skeleton width={200} />}</Row>
        <Row label="Image set">
          {e ? (
            <span>
              <span className={`chip${e.imageSet === 'test' ? ' chip-warn' : ''}`} data-testid="settings-image-set">
                {e.imageSet}
              </span>
            </span>
          ) : (
            <Skeleton width={60} />
          )}
        </Row>
      </dl>
      {e && !e.reachable && e.error && <ErrorNotice error={e.error} title="Docker engine unreachable" compact />}
      <p className="muted small settings-note">
        {e?.imageSet === 'test'
          ? 'Test images: nginx, redis, postgres and node built offline from Debian packages (SCALEDECK_IMAGES=test). Same commands, no registry needed.'
          : 'Official images: nginx, redis, postgres and node from Docker Hub. A spec can set its own image per role.'}{' '}
        The image set is chosen when ScaleDeck starts (SCALEDECK_IMAGES).
      </p>
    </Card>
  );
}

export default function SettingsPage() {
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Settings</h1>
          <p className="muted">How this window looks, how it reaches ScaleDeck, and the engine it drives.</p>
        </div>
      </header>
      <div className="settings-grid">
        <ThemeCard />
        <AccessCard />
        <SecretsCard />
        <EngineCard />
        <Card title="Keyboard shortcuts" className="settings-wide">
          <ShortcutList />
          <p className="muted small settings-note">
            Press <kbd>?</kbd> anywhere to see this list.
          </p>
        </Card>
      </div>
    </div>
  );
}
