// The Docker image (scaledeck-test/api:1, built by `npm run test-images`) as ScaleDeck runs it: API
// node and worker containers on a network with Postgres and Redis, reached by service name.
// The image must exist (`npm test` builds it first): a missing image fails here, never skips.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Infra, docker, freePort, req, secret, signUp, waitFor } from './helpers.ts';

const IMAGE = process.env.SDTPL_API_IMAGE ?? 'scaledeck-test/api:1';
const haveImage = (() => {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe(`image ${IMAGE}`, () => {
  it('exists (built by `npm run test-images`)', () => {
    expect(haveImage, `${IMAGE} is missing: run \`npm run test-images\``).toBe(true);
  });

  let infra: Infra;
  let base = '';
  let apiName = '';
  let workerName = '';
  const jwt = secret();

  beforeAll(async () => {
    infra = await Infra.start();
    const env = (name: string) => [
      '-e', `NODE_NAME=${name}`, '-e', 'PORT=3000',
      '-e', `DATABASE_URL=postgres://app:${infra.pgPassword}@postgres:5432/app`, '-e', 'DATABASE_REPLICA_URLS=',
      '-e', 'REDIS_URL=redis://redis:6379', '-e', `JWT_SECRET=${jwt}`,
    ];
    const port = await freePort();
    apiName = `${infra.run}-api-1`;
    workerName = `${infra.run}-worker`;
    const common = ['run', '-d', '--label', `io.scaledeck.sdtpl=${infra.run}`, '--network', infra.network];
    await docker(...common, '--name', apiName, '-p', `127.0.0.1:${port}:3000`, ...env('api-1'), IMAGE);
    await docker(...common, '--name', workerName, ...env('worker-1'), IMAGE, 'node', 'dist/worker.js');
    base = `http://127.0.0.1:${port}`;
    await waitFor('api container ready', async () => (await fetch(`${base}/ready`, { signal: AbortSignal.timeout(3000) })).status === 200, 90_000, 200).catch(async (err) => {
      throw new Error(`${String(err)}\n${await docker('logs', apiName).catch(() => '')}`);
    });
  });

  afterAll(async () => {
    await infra?.stop();
  });

  it('runs as the non-root user with a passing HEALTHCHECK', async () => {
    expect(await docker('exec', apiName, 'id', '-un')).toBe('node');
    const hc = JSON.parse(await docker('inspect', '-f', '{{json .Config.Healthcheck.Test}}', IMAGE)) as string[];
    expect(hc[0]).toBe('CMD');
    await docker('exec', apiName, ...hc.slice(1));
    await waitFor('healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', apiName)) === 'healthy', 60_000, 500);
  });

  it('serves the API and the worker container runs its jobs', async () => {
    expect((await req(base, 'GET', '/')).json.node).toBe('api-1');
    const u = await signUp(base, `img-${secret(4)}@example.com`.toLowerCase());
    const r = await req(base, 'POST', '/api/emails', { token: u.token, body: { to: 'a@example.com', subject: 's', body: 'b' } });
    expect(r.status).toBe(202);
    await waitFor('job done', async () => (await req(base, 'GET', `/api/jobs/${r.json.job_id}`, { token: u.token })).json.job.state === 'completed', 60_000, 200);
  });

  it('docker stop: both exit 0 well within the 15 s stop timeout', async () => {
    const t0 = Date.now();
    await Promise.all([docker('stop', '-t', '15', apiName), docker('stop', '-t', '15', workerName)]);
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', apiName)).toBe('0');
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', workerName)).toBe('0');
    const logs = await docker('logs', apiName);
    expect(logs).toContain('shutdown complete');
    expect(logs).not.toContain(jwt);
    expect(logs).not.toContain(infra.pgPassword);
  });
});
