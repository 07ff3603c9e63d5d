import { useId, useState, type FormEvent } from 'react';
import type { HostCheck, HostView } from '../../../shared/api/index.ts';
import { Field } from '../components/Field.tsx';
import { Badge, Card, ErrorNotice, Skeleton } from '../components/ui.tsx';
import { useAddHost, useCheckHost, useHosts, useRemoveHost } from '../data/hosts/queries.ts';
import { errorCode } from '../lib/errors.ts';
import { formatBytes } from './cluster/metrics/format.ts';

type Auth = 'agent' | 'key' | 'password';

const TARGET_RE = /^[a-z_][a-z0-9_.-]*@[^\s@:]+(:\d{1,5})?$/i;
const NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** The fingerprint an HOST_KEY_UNTRUSTED error carries (details.fingerprint). */
function offeredFingerprint(err: unknown): string | null {
  if (errorCode(err) !== 'HOST_KEY_UNTRUSTED') return null;
  const fp = (err as { details?: { fingerprint?: unknown } }).details?.fingerprint;
  return typeof fp === 'string' ? fp : null;
}

/**
 * Add a host: connect once; an unknown host key comes back with its fingerprint, which the user
 * checks against the server and trusts explicitly before anything is stored.
 */
function AddHostForm() {
  const uid = useId();
  const add = useAddHost();
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [auth, setAuth] = useState<Auth>('agent');
  const [keyPath, setKeyPath] = useState('~/.ssh/id_ed25519');
  const [password, setPassword] = useState('');
  const [advertise, setAdvertise] = useState('');
  const [offered, setOffered] = useState<string | null>(null);

  const nameError = name && !NAME_RE.test(name) ? 'lowercase letters, digits and dashes, starting with a letter' : null;
  const targetError = target && !TARGET_RE.test(target) ? 'write user@address or user@address:port' : null;
  const ready = !!name && !!target && !nameError && !targetError && (auth !== 'password' || !!password) && (auth !== 'key' || !!keyPath.trim());

  const send = (trust?: string) => {
    add.mutate(
      {
        name,
        target,
        ...(auth === 'agent' ? { agent: true } : auth === 'key' ? { keyPath: keyPath.trim() } : { password }),
        ...(advertise.trim() ? { advertise: advertise.trim() } : {}),
        ...(trust ? { trust } : {}),
      },
      {
        onSuccess: () => {
          setOffered(null);
          setName('');
          setTarget('');
          setPassword('');
        },
        onError: (err) => setOffered(offeredFingerprint(err)),
      },
    );
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) send();
  };

  return (
    <form className="card host-form" onSubmit={submit} noValidate data-testid="host-add-form" aria-labelledby={`${uid}-t`}>
      <header className="card-head">
        <h2 className="card-title" id={`${uid}-t`}>
          Add a host
        </h2>
      </header>
      <div className="form-grid form-grid-3">
        <Field id={`${uid}-name`} label="Name" error={nameError} help="Used in specs: api.hosts: [web1]">
          <input id={`${uid}-name`} className={`input mono${nameError ? ' invalid' : ''}`} data-testid="host-name" value={name} placeholder="web1" onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id={`${uid}-target`} label="SSH target" error={targetError} help="user@address[:port]">
          <input id={`${uid}-target`} className={`input mono${targetError ? ' invalid' : ''}`} data-testid="host-target" value={target} placeholder="deploy@10.0.0.5" onChange={(e) => setTarget(e.target.value)} />
        </Field>
        <Field id={`${uid}-adv`} label="Advertise address" help="Where other hosts reach its ports (default: the SSH address)">
          <input id={`${uid}-adv`} className="input mono" data-testid="host-advertise" value={advertise} placeholder="optional" onChange={(e) => setAdvertise(e.target.value)} />
        </Field>
      </div>
      <div className="seg" role="radiogroup" aria-label="Authentication">
        {(['agent', 'key', 'password'] as const).map((a) => (
          <button key={a} type="button" role="radio" aria-checked={auth === a} className={`btn btn-sm${auth === a ? ' btn-selected' : ''}`} data-testid={`host-auth-${a}`} onClick={() => setAuth(a)}>
            {a === 'agent' ? 'SSH agent' : a === 'key' ? 'Key file' : 'Password'}
          </button>
        ))}
      </div>
      {auth === 'key' && (
        <Field id={`${uid}-key`} label="Private key file" help="On this machine; an unencrypted key (or use the agent for a passphrase).">
          <input id={`${uid}-key`} className="input mono" data-testid="host-key" value={keyPath} onChange={(e) => setKeyPath(e.target.value)} />
        </Field>
      )}
      {auth === 'password' && (
        <Field id={`${uid}-pw`} label="Password" help="Kept in a file only you can read (0600), never shown again.">
          <input id={`${uid}-pw`} type="password" className="input" data-testid="host-password" value={password} autoComplete="off" onChange={(e) => setPassword(e.target.value)} />
        </Field>
      )}

      {offered ? (
        <div className="notice notice-warn" role="alertdialog" aria-labelledby={`${uid}-trust`} data-testid="host-trust">
          <p id={`${uid}-trust`}>
            <strong>First connection to {target}.</strong> The server presented this host key:
          </p>
          <p className="mono fingerprint" data-testid="host-fingerprint">
            {offered}
          </p>
          <p className="small muted">
            Check it on the server (<code className="inline-code">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>) or with your provider before trusting it. A key that later changes is refused.
          </p>
          <div className="btn-row">
            <button type="button" className="btn btn-primary btn-sm" data-testid="host-trust-confirm" disabled={add.isPending} onClick={() => send(offered)}>
              Trust this key and add
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setOffered(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        add.isError && <ErrorNotice error={add.error} title="Could not add the host" compact />
      )}

      {!offered && (
        <div className="btn-row">
          <button type="submit" className="btn btn-primary" data-testid="host-add" disabled={!ready || add.isPending}>
            {add.isPending ? 'Connecting…' : 'Connect and add'}
          </button>
        </div>
      )}
    </form>
  );
}

function CheckFacts({ check }: { check: HostCheck }) {
  return (
    <dl className="facts host-facts" data-testid={`host-check-${check.name}`}>
      <div>
        <dt>Docker</dt>
        <dd className="mono">
          {check.engineVersion} (API {check.apiVersion})
        </dd>
      </div>
      <div>
        <dt>OS</dt>
        <dd>{check.os}</dd>
      </div>
      <div>
        <dt>CPUs</dt>
        <dd className="mono">{check.cpus}</dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd className="mono">{formatBytes(check.memoryBytes)}</dd>
      </div>
      <div>
        <dt>Free disk</dt>
        <dd className="mono">{check.diskFreeBytes === null ? '—' : formatBytes(check.diskFreeBytes)}</dd>
      </div>
      <div>
        <dt>Via</dt>
        <dd>{check.transport === 'forward' ? 'forwarded socket' : 'docker system dial-stdio'}</dd>
      </div>
    </dl>
  );
}

function HostRow({ host }: { host: HostView }) {
  const check = useCheckHost();
  const remove = useRemoveHost();
  const [confirm, setConfirm] = useState(false);
  return (
    <li className="host-row" data-testid={`host-${host.name}`}>
      <div className="host-main">
        <div>
          <strong className="mono">{host.name}</strong>{' '}
          <span className="mono muted">
            {host.user}@{host.address}:{host.port}
          </span>
        </div>
        <div className="small muted">
          {host.auth === 'agent' ? 'SSH agent' : host.auth === 'key' ? `key ${host.keyPath ?? ''}` : 'password (stored 0600)'} · advertise <span className="mono">{host.advertise}</span>
        </div>
        <div className="small">
          {host.fingerprint ? (
            <span title="The trusted host key; a different key is refused">
              <Badge tone="ok">trusted</Badge> <span className="mono muted">{host.fingerprint}</span>
            </span>
          ) : (
            <Badge tone="warn">key not trusted yet</Badge>
          )}
        </div>
      </div>
      <div className="btn-row">
        <button type="button" className="btn btn-sm" data-testid={`host-test-${host.name}`} disabled={check.isPending} onClick={() => check.mutate(host.name)}>
          {check.isPending ? 'Checking…' : 'Test'}
        </button>
        {confirm ? (
          <>
            <button type="button" className="btn btn-sm btn-danger" data-testid={`host-remove-confirm-${host.name}`} disabled={remove.isPending} onClick={() => remove.mutate(host.name)}>
              Remove {host.name}
            </button>
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-sm btn-danger-outline" data-testid={`host-remove-${host.name}`} onClick={() => setConfirm(true)}>
            Remove…
          </button>
        )}
      </div>
      {check.data && <CheckFacts check={check.data} />}
      {check.isError && <ErrorNotice error={check.error} title={`${host.name} did not pass the check`} compact />}
      {remove.isError && <ErrorNotice error={remove.error} title="Could not remove" compact />}
    </li>
  );
}

/**
 * Hosts: machines with Docker that ScaleDeck drives over one SSH connection each. Added with an
 * explicit host-key trust, tested (engine, CPUs, memory, disk), and named in specs for placement.
 */
export default function HostsPage() {
  const hosts = useHosts();
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Hosts</h1>
          <p className="muted">Servers with Docker, reached over SSH. Name them in a spec to place roles on them; without hosts, everything runs on this machine’s engine.</p>
        </div>
      </header>
      <Card title="Hosts">
        {hosts.isPending ? (
          <Skeleton width="100%" height={60} />
        ) : hosts.isError ? (
          <ErrorNotice error={hosts.error} title="Could not list the hosts" />
        ) : hosts.data.length === 0 ? (
          <div className="empty-teach" data-testid="hosts-empty">
            <p>No hosts yet: clusters run on this machine’s Docker engine.</p>
            <p className="muted">
              Add a server you can <code className="inline-code">ssh</code> into whose user can run Docker. ScaleDeck keeps one SSH connection per host and talks to its engine through the forwarded
              socket; images go over the same connection when there is no registry. Then place roles in a spec:{' '}
              <code className="inline-code">api: {'{'} hosts: [web1, web2] {'}'}</code>, <code className="inline-code">balancer: {'{'} host: lb {'}'}</code>.
            </p>
          </div>
        ) : (
          <ul className="host-list" data-testid="host-list">
            {hosts.data.map((h) => (
              <HostRow key={h.name} host={h} />
            ))}
          </ul>
        )}
      </Card>
      <AddHostForm />
    </div>
  );
}
