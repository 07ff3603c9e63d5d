// Background jobs on BullMQ (same Redis). The API node only enqueues and answers at once; the
// worker (`node dist/worker.js`, same image) runs them, with retries and exponential backoff.
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Database } from './db.js';

export const QUEUE_NAME = 'tasks';

export interface EmailJob {
  userId: number;
  to: string;
  subject: string;
  body: string;
}
export interface ExportJob {
  userId: number;
  format: 'csv';
}
export type JobName = 'email' | 'export';

export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function queueConnection(url: string, forWorker: boolean): ConnectionOptions {
  // A worker blocks on Redis and must retry forever; an API node must fail fast instead (no
  // commandTimeout here: BullMQ's own start-up commands must not time out on a slow start).
  return forWorker
    ? { url, maxRetriesPerRequest: null, connectionName: 'worker' }
    : { url, maxRetriesPerRequest: 1, connectTimeout: 3000, connectionName: 'queue' };
}

export function createQueue(url: string): Queue {
  return new Queue(QUEUE_NAME, { connection: queueConnection(url, false), defaultJobOptions: JOB_OPTIONS, skipWaitingForReady: true });
}

export class QueueTimeoutError extends Error {
  override name = 'QueueTimeoutError';
  constructor() {
    super('Command timed out: the job queue did not answer');
  }
}

/** Adds a job, or fails (503) after timeoutMs: a request never waits long on a sick Redis. */
export async function enqueue(queue: Queue, name: JobName, data: EmailJob | ExportJob, jobId: string, timeoutMs = 3000) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      queue.add(name, data, { jobId }),
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new QueueTimeoutError()), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- the worker's side

export class PermanentEmailError extends Error {}

/**
 * Stand-in for an e-mail provider (clusters here have no SMTP server): it logs the delivery
 * (recipient domain and subject length only, no content). Like a real provider it sometimes fails,
 * deterministically, so retries can be seen: recipients at `flaky.invalid` fail on the first
 * attempt, recipients at `bounce.invalid` always fail (RFC 2606 reserves `.invalid`). Replace
 * send() with a real provider client; the queue, retries and state handling stay as they are.
 */
export class LogEmailTransport {
  constructor(private readonly log: Logger) {}

  async send(msg: EmailJob, attempt: number): Promise<{ messageId: string }> {
    const domain = msg.to.split('@')[1]?.toLowerCase() ?? '';
    if (domain === 'bounce.invalid') throw new PermanentEmailError('mailbox unavailable (550)');
    if (domain === 'flaky.invalid' && attempt === 1) throw new Error('provider timeout (simulated, first attempt)');
    const messageId = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}@scaledeck.invalid`;
    this.log.info({ to_domain: domain, subject_chars: msg.subject.length, messageId, attempt }, 'email delivered (log transport)');
    return { messageId };
  }
}

const csvCell = (v: unknown) => {
  const s = String(v ?? '');
  // Quote, double quotes, and defuse spreadsheet formulas (=, +, -, @ at the start).
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export const EXPORT_MAX_ROWS = 10_000;

export async function runExport(db: Database, data: ExportJob): Promise<{ rows: number; csv: string; truncated: boolean }> {
  const { rows } = await db.read<{ id: number; product: string; quantity: number; unit_price_cents: number; total_cents: number; created_at: Date }>(
    `SELECT id, product, quantity, unit_price_cents, total_cents, created_at
       FROM orders WHERE user_id = $1 ORDER BY id LIMIT $2`,
    [data.userId, EXPORT_MAX_ROWS + 1],
  );
  const truncated = rows.length > EXPORT_MAX_ROWS;
  const lines = ['id,product,quantity,unit_price_cents,total_cents,created_at'];
  for (const r of rows.slice(0, EXPORT_MAX_ROWS)) {
    lines.push([r.id, r.product, r.quantity, r.unit_price_cents, r.total_cents, r.created_at.toISOString()].map(csvCell).join(','));
  }
  return { rows: Math.min(rows.length, EXPORT_MAX_ROWS), csv: lines.join('\n') + '\n', truncated };
}

/** What GET /api/jobs/:id shows. Job data (recipient, body) is not echoed back. */
export async function describeJob(found: Job, reload?: () => Promise<Job | undefined>) {
  const state = await found.getState();
  // The job was read before its state: when it has just finished, read it again so the attempts
  // and result match the state (otherwise a job can show "completed" with its old counters).
  const job = (state === 'completed' || state === 'failed') && reload ? ((await reload()) ?? found) : found;
  return {
    id: job.id,
    name: job.name,
    state,
    attempts_made: job.attemptsMade,
    max_attempts: job.opts.attempts ?? 1,
    failed_reason: job.failedReason || undefined,
    result: state === 'completed' ? (job.returnvalue as unknown) : undefined,
    created_at: new Date(job.timestamp).toISOString(),
    processed_at: job.processedOn ? new Date(job.processedOn).toISOString() : undefined,
    finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
  };
}
