import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFingerprint, HostStore, parseTarget } from './hosts.ts';
import { fingerprintOf } from './pool.ts';
import { listeningPorts, parseDfFree } from './service.ts';
import { useSealer } from '../workspace/secret-store.ts';

describe('hosts store', () => {
  const fp = `SHA256:${'A'.repeat(43)}`;

  it('parses user@address[:port]', () => {
    expect(parseTarget('deploy@10.0.0.5')).toEqual({ user: 'deploy', address: '10.0.0.5', port: 22 });
    expect(parseTarget('a@host.example:2222')).toEqual({ user: 'a', address: 'host.example', port: 2222 });
    expect(parseTarget('a@[::1]:22')).toEqual({ user: 'a', address: '::1', port: 22 });
    expect(() => parseTarget('10.0.0.5')).toThrow(/not user@address\[:port\]/);
    expect(() => parseTarget('a@b:70000')).toThrow(/out of range/);
  });

  it('checks fingerprints like OpenSSH prints them', () => {
    expect(checkFingerprint(`${fp}=`)).toBe(fp);
    expect(() => checkFingerprint('MD5:aa:bb')).toThrow(/not a SHA256 host-key fingerprint/);
    // OpenSSH: base64 of sha256 over the key blob, without padding.
    expect(fingerprintOf(Buffer.from('key'))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('keeps passwords out of hosts.json, in a 0600 file, and forgets them on rm', () => {
    const root = mkdtempSync(join(tmpdir(), 'sd-hosts-'));
    const store = new HostStore(root);
    const { host, password } = store.build({ name: 'web1', target: 'deploy@10.0.0.5', password: 's3cret', trust: fp });
    expect(host).toEqual({ name: 'web1', address: '10.0.0.5', port: 22, user: 'deploy', auth: 'password', fingerprint: fp, advertise: '10.0.0.5' });
    store.save(host, password);
    expect(readFileSync(join(root, 'hosts.json'), 'utf8')).not.toContain('s3cret');
    expect(statSync(join(root, 'hosts.secrets.json')).mode & 0o777).toBe(0o600);
    expect(store.password('web1')).toBe('s3cret');
    store.remove('web1');
    expect(store.list()).toEqual([]);
    expect(store.password('web1')).toBeUndefined();
  });

  it('with the desktop keyring, host passwords are sealed like the clusters\' secrets', () => {
    const root = mkdtempSync(join(tmpdir(), 'sd-hosts-'));
    const store = new HostStore(root);
    useSealer({ backend: 'test', seal: (t) => Buffer.from(t).reverse(), unseal: (b) => Buffer.from(b).reverse().toString() });
    try {
      const { host, password } = store.build({ name: 'db1', target: 'deploy@10.0.0.7', password: 'pw-db1', trust: fp });
      store.save(host, password);
      expect(existsSync(join(root, 'hosts.secrets.json'))).toBe(false);
      expect(readFileSync(join(root, 'hosts.secrets.sealed'), 'utf8')).not.toContain('pw-db1');
      expect(store.password('db1')).toBe('pw-db1');
    } finally {
      useSealer(null);
    }
  });

  it('refuses bad input with what to do', () => {
    const store = new HostStore(mkdtempSync(join(tmpdir(), 'sd-hosts-')));
    expect(() => store.build({ name: 'Web 1', target: 'a@b', agent: true })).toThrow(/not a valid host name/);
    expect(() => store.build({ name: 'local', target: 'a@b', password: 'x' })).toThrow(/reserved/);
    expect(() => store.build({ name: 'w', target: 'a@b' })).toThrow(/exactly one of a key file, the SSH agent or a password/);
    expect(() => store.build({ name: 'w', target: 'a@b', keyPath: '/nonexistent/key' })).toThrow(/does not exist/);
    expect(() => store.get('nope')).toThrow(/No host named "nope"/);
  });

  it('reads free disk and listening ports from df and /proc/net/tcp', () => {
    expect(parseDfFree('Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/sda1 100 40 60 40% /var/lib/docker\n')).toBe(60);
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
    ].join('\n');
    expect([...listeningPorts(tcp)]).toEqual([22]);
  });
});
