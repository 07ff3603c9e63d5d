import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, docker, freePort, nodesSeen, specYaml, tempDir, uniqueName, waitFor, writeSpec } from '../support/cluster.ts';

/** Export is what runs: the exported compose file starts the same topology with Debian's docker-compose. */
const exec = promisify(execFile);
const project = uniqueName('cmp');
const home = tempDir();
const out = tempDir('scaledeck-export-');

async function compose(...args: string[]) {
  return exec('docker-compose', ['-p', project, ...args], { cwd: out, maxBuffer: 8 * 1024 * 1024 });
}

afterAll(async () => {
  await compose('down', '-v', '--remove-orphans').catch(() => undefined);
});

describe('scaledeck export', () => {
  it('writes docker-compose.yml, nginx.conf and .env.example without secrets', async () => {
    const port = await freePort();
    const spec = writeSpec(home, specYaml(project, port, 3));
    const r = await cli(['export', spec, '--out', out], home);
    expect(r.code, r.stderr).toBe(0);
    const composeText = readFileSync(join(out, 'docker-compose.yml'), 'utf8');
    expect(composeText).toContain('${POSTGRES_PASSWORD}');
    expect(readFileSync(join(out, 'nginx.conf'), 'utf8')).toContain('server api-3:3000');
    expect(readFileSync(join(out, '.env.example'), 'utf8')).toMatch(/^POSTGRES_PASSWORD=change-me$/m);
    expect(readFileSync(join(out, '.env.example'), 'utf8')).toMatch(/^JWT_SECRET=change-me$/m);
  });

  it('docker-compose up -d starts the same topology, healthy, serving through the balancer', async () => {
    writeFileSync(join(out, '.env'), 'POSTGRES_PASSWORD=composeTestSecret1\nJWT_SECRET=composeJwtSecret1\nREPLICATION_PASSWORD=composeReplSecret1\nREDIS_PASSWORD=composeRedisSecret1\n');
    await compose('up', '-d');
    const services = ['api-1', 'api-2', 'api-3', 'balancer', 'postgres', 'redis', 'worker-1'];
    await waitFor(
      async () => {
        const { stdout } = await compose('ps', '-q');
        const idsList = stdout.trim().split('\n').filter(Boolean);
        if (idsList.length !== services.length) return false;
        const health = await docker('inspect', '-f', '{{.State.Health.Status}}', ...idsList);
        return health.split('\n').every((h) => h === 'healthy');
      },
      120_000,
      'compose services to be healthy',
    );
    const { stdout } = await compose('ps', '--services');
    expect(stdout.trim().split('\n').sort()).toEqual(services);
    const port = /127\.0\.0\.1:(\d+):80/.exec(readFileSync(join(out, 'docker-compose.yml'), 'utf8'))![1];
    const seen = await nodesSeen(`http://127.0.0.1:${port}/`, 30);
    expect([...seen.keys()].sort()).toEqual(['api-1', 'api-2', 'api-3']);
  });

  it('the exported nginx.conf passes nginx -t inside the balancer container', async () => {
    const { stdout } = await compose('ps', '-q', 'balancer');
    const t = await docker('exec', stdout.trim(), 'sh', '-c', 'nginx -t -c /etc/scaledeck/nginx.conf 2>&1');
    expect(t).toContain('test is successful');
  });
});
