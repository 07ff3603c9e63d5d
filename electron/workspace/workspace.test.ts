import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import { Workspace } from './workspace.ts';

let root: string;
let ws: Workspace;
const children: ChildProcess[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'scaledeck-ws-'));
  ws = new Workspace(root);
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill();
  rmSync(root, { recursive: true, force: true });
});

const lockFile = (cluster: string) => join(root, 'clusters', cluster, 'lock');

function spawnSleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{},5000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('specs', () => {
  it('stores, lists and removes cluster specs', () => {
    expect(ws.listClusters()).toEqual([]);
    expect(ws.readSpec('shop')).toBeNull();
    ws.writeSpec('shop', 'name: shop\n');
    ws.writeSpec('alpha', 'name: alpha\n');
    ws.secrets('only-secrets'); // a folder without a spec is not a cluster
    expect(ws.listClusters()).toEqual(['alpha', 'shop']);
    expect(ws.readSpec('shop')).toBe('name: shop\n');
    expect(ws.hasSpec('shop')).toBe(true);
    ws.writeSpec('shop', 'name: shop\napi:\n  replicas: 5\n');
    expect(ws.readSpec('shop')).toContain('replicas: 5');
    ws.remove('shop');
    expect(ws.hasSpec('shop')).toBe(false);
    expect(ws.listClusters()).toEqual(['alpha']);
  });

  it('leaves no temporary files behind', () => {
    ws.writeSpec('shop', 'name: shop\n');
    ws.secrets('shop');
    const files = readdirSync(join(root, 'clusters', 'shop'));
    expect(files.sort()).toEqual(['secrets.json', 'spec.yaml']);
  });
});

describe('secrets', () => {
  it('writes secrets.json with mode 0600', () => {
    ws.secrets('shop');
    const f = join(root, 'clusters', 'shop', 'secrets.json');
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('generates URL-safe values and keeps them across calls and instances', () => {
    const first = ws.secrets('shop');
    expect(first.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(ws.secrets('shop')).toEqual(first);
    expect(new Workspace(root).secrets('shop')).toEqual(first);
    expect(JSON.parse(readFileSync(join(root, 'clusters', 'shop', 'secrets.json'), 'utf8'))).toEqual(first);
  });

  it('gives each cluster its own secrets', () => {
    expect(ws.secrets('a').POSTGRES_PASSWORD).not.toBe(ws.secrets('b').POSTGRES_PASSWORD);
  });

  it('fills a missing secret but keeps the ones present', () => {
    ws.secrets('shop');
    const f = join(root, 'clusters', 'shop', 'secrets.json');
    writeFileSync(f, JSON.stringify({ POSTGRES_PASSWORD: '' }));
    const again = ws.secrets('shop');
    expect(again.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    writeFileSync(f, JSON.stringify({ POSTGRES_PASSWORD: 'kept' }));
    expect(ws.secrets('shop').POSTGRES_PASSWORD).toBe('kept');
  });

  it('peekSecrets writes nothing and gives placeholders for a new cluster', () => {
    expect(ws.peekSecrets('fresh')).toEqual({ POSTGRES_PASSWORD: 'not-generated-yet', JWT_SECRET: 'not-generated-yet', REPLICATION_PASSWORD: 'not-generated-yet', REDIS_PASSWORD: 'not-generated-yet' });
    expect(existsSync(join(root, 'clusters', 'fresh'))).toBe(false);
    const real = ws.secrets('shop');
    expect(ws.peekSecrets('shop')).toEqual(real);
  });
});

describe('lock', () => {
  it('writes our pid and what we do, and removes the file on release', () => {
    const release = ws.lock('shop', 'up');
    expect(readFileSync(lockFile('shop'), 'utf8')).toBe(`${process.pid}\nup\n`);
    release();
    expect(existsSync(lockFile('shop'))).toBe(false);
  });

  it('refuses while another live process holds it, naming the process and what it runs', async () => {
    const child = spawnSleeper();
    await new Promise((r) => child.once('spawn', r));
    ws.lock('shop', 'up')(); // creates the folder
    writeFileSync(lockFile('shop'), `${child.pid}\nscale\n`);
    let caught: unknown;
    try {
      ws.lock('shop', 'down');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScaleDeckError);
    const e = caught as ScaleDeckError;
    expect(e.code).toBe('BUSY');
    expect(e.message).toContain(`process ${child.pid}`);
    expect(e.message).toContain('"scale"');
    expect(e.hint).toBeTruthy();
    // The holder's lock is left alone.
    expect(readFileSync(lockFile('shop'), 'utf8')).toBe(`${child.pid}\nscale\n`);
  });

  it('takes over a stale lock whose process is gone', async () => {
    const pid = await deadPid();
    ws.lock('shop', 'up')();
    writeFileSync(lockFile('shop'), `${pid}\nup\n`);
    const release = ws.lock('shop', 'down');
    expect(readFileSync(lockFile('shop'), 'utf8')).toBe(`${process.pid}\ndown\n`);
    release();
    expect(existsSync(lockFile('shop'))).toBe(false);
  });

  it('takes over a lock file with garbage in it', () => {
    ws.lock('shop', 'up')();
    writeFileSync(lockFile('shop'), 'not a pid\n');
    expect(() => ws.lock('shop', 'up')).not.toThrow();
  });

  it('release does not remove a lock another process took meanwhile', async () => {
    const child = spawnSleeper();
    await new Promise((r) => child.once('spawn', r));
    const release = ws.lock('shop', 'up');
    writeFileSync(lockFile('shop'), `${child.pid}\nup\n`);
    release();
    expect(readFileSync(lockFile('shop'), 'utf8')).toBe(`${child.pid}\nup\n`);
  });

  it('locks clusters independently', async () => {
    const child = spawnSleeper();
    await new Promise((r) => child.once('spawn', r));
    ws.lock('a', 'up')();
    writeFileSync(lockFile('a'), `${child.pid}\nup\n`);
    expect(() => ws.lock('a', 'up')).toThrow(/busy/);
    expect(() => ws.lock('b', 'up')()).not.toThrow();
  });
});

describe('data tier secrets and topology', () => {
  it('adds the replication and Redis passwords to an existing cluster without touching its old secrets', () => {
    const dir = join(root, 'clusters', 'old');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ POSTGRES_PASSWORD: 'keep-pg', JWT_SECRET: 'keep-jwt' }));
    const s = ws.secrets('old');
    expect(s.POSTGRES_PASSWORD).toBe('keep-pg');
    expect(s.JWT_SECRET).toBe('keep-jwt');
    expect(s.REPLICATION_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(s.REDIS_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(s.REDIS_PASSWORD).not.toBe(s.REPLICATION_PASSWORD);
    // Stored (0600), and the same on the next read.
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(ws.secrets('old')).toEqual(s);
  });

  it('has the default topology until a promotion records another primary', () => {
    expect(ws.dbTopology('shop')).toEqual({ primary: 'postgres', fenced: [] });
    ws.writeDbTopology('shop', { primary: 'postgres-replica-2', fenced: ['postgres'] });
    expect(ws.dbTopology('shop')).toEqual({ primary: 'postgres-replica-2', fenced: ['postgres'] });
  });
});
