// The worker: `node dist/worker.js`, same image and environment as the API nodes.
// Runs the jobs the API queues (BullMQ, same Redis), WORKER_CONCURRENCY at a time, each with
// retries and exponential backoff (JOB_OPTIONS in jobs.ts). A failure marked permanent is not
// retried. It also answers GET /health, /ready and /metrics on PORT, so the same container health
// check works for it. SIGTERM: stop taking jobs, finish the running ones, exit 0.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createServer } from 'node:http';
import { ConfigError, describeConfig, loadConfig, type Config } from './config.js';
import { Database } from './db.js';
import { LogEmailTransport, PermanentEmailError, QUEUE_NAME, queueConnection, runExport, type EmailJob, type ExportJob } from './jobs.js';
import { createLogger, errFields } from './logger.js';
import { createMetrics } from './metrics.js';

let cfg: Config;
try {
  cfg = loadConfig();
  if (cfg.mode !== 'full') throw new ConfigError(['the worker needs DATABASE_URL, REDIS_URL and JWT_SECRET (none is set)']);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stdout.write(JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: 'invalid configuration', problems: err.problems }) + '\n');
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger(cfg.logLevel, cfg.nodeName, 'worker');
const metrics = createMetrics(cfg.nodeName, 'worker');
const db = new Database(cfg, log, metrics);
const transport = new LogEmailTransport(log);
let draining = false;

async function processJob(job: Job): Promise<unknown> {
  const attempt = job.attemptsMade + 1;
  const jlog = log.child({ job_id: job.id, job: job.name, attempt });
  jlog.info('job started');
  switch (job.name) {
    case 'email':
      try {
        return await transport.send(job.data as EmailJob, attempt);
      } catch (err) {
        if (err instanceof PermanentEmailError) throw new UnrecoverableError(err.message);
        throw err;
      }
    case 'export':
      return runExport(db, job.data as ExportJob);
    default:
      throw new UnrecoverableError(`unknown job type ${job.name}`);
  }
}

const worker = new Worker(QUEUE_NAME, processJob, {
  connection: queueConnection(cfg.redisUrl, true),
  concurrency: cfg.workerConcurrency,
});
worker.on('completed', (job) => {
  metrics.jobsProcessed.inc({ name: job.name, outcome: 'completed' });
  log.info({ job_id: job.id, job: job.name, attempts: job.attemptsMade }, 'job completed');
});
worker.on('failed', (job, err) => {
  metrics.jobsProcessed.inc({ name: job?.name ?? 'unknown', outcome: 'failed' });
  const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
  log[final ? 'error' : 'warn']({ job_id: job?.id, job: job?.name, attempts: job?.attemptsMade, error: err.message, final }, final ? 'job failed' : 'job attempt failed; will retry');
});
worker.on('error', (err) => log.warn(errFields(err), 'worker error'));
worker.on('ready', () => log.info({ queue: QUEUE_NAME, concurrency: cfg.workerConcurrency }, 'worker connected'));

const http = createServer(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'GET') return json(405, { error: 'Method Not Allowed' });
  if (path === '/health') return json(200, { status: 'ok' });
  if (path === '/') return json(200, { node: cfg.nodeName, role: 'worker', pid: process.pid });
  if (path === '/ready') {
    const ok = !draining && worker.isRunning();
    return json(ok ? 200 : 503, { status: draining ? 'draining' : ok ? 'ready' : 'not ready' });
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    return res.end(await metrics.registry.metrics());
  }
  return json(404, { error: 'Not Found' });
});
http.keepAliveTimeout = 65_000;
http.on('error', (err) => log.error(errFields(err), 'worker status server error'));
http.listen(cfg.port, cfg.host, () => log.info({ config: describeConfig(cfg) }, 'worker started'));

async function shutdown(signal: string) {
  if (draining) process.exit(1);
  draining = true;
  log.info({ signal }, 'worker draining: finishing running jobs');
  setTimeout(() => {
    log.error('running jobs did not finish in time; exiting (they will be retried)');
    process.exit(1);
  }, cfg.shutdownTimeoutMs).unref();
  try {
    await worker.close();
  } catch (err) {
    log.error(errFields(err), 'closing the worker failed');
  }
  await db.close();
  http.close();
  log.info('worker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
