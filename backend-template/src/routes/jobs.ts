// POST /api/emails and POST /api/exports queue jobs; GET /api/jobs/:id shows one of the caller's.
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { requireUser, type RouteDeps } from '../app.js';
import { notFound } from '../errors.js';
import { describeJob, enqueue, type EmailJob, type ExportJob } from '../jobs.js';
import { EmailBody, ExportBody, JobParams, parse } from '../schemas.js';

export function jobRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { queue } = deps.services;
  const { metrics } = deps;
  const auth = requireUser(deps);

  const accepted = (id: string) => ({ job_id: id, status_url: `/api/jobs/${id}` });

  app.post('/api/emails', { preHandler: auth }, async (req, reply) => {
    const body = parse(EmailBody, req.body, 'body');
    const data: EmailJob = { userId: req.user!.id, ...body };
    const job = await enqueue(queue, 'email', data, randomUUID());
    metrics.jobsEnqueued.inc({ name: 'email' });
    return reply.code(202).send(accepted(job.id!));
  });

  // Expensive (it reads every order of the user): its own, stricter rate limit policy.
  app.post('/api/exports', { preHandler: auth, config: { rateLimit: 'exports' } }, async (req, reply) => {
    const body = req.body === undefined ? {} : parse(ExportBody, req.body, 'body');
    const data: ExportJob = { userId: req.user!.id, format: body.format ?? 'csv' };
    const job = await enqueue(queue, 'export', data, randomUUID());
    metrics.jobsEnqueued.inc({ name: 'export' });
    return reply.code(202).send(accepted(job.id!));
  });

  app.get('/api/jobs/:id', { preHandler: auth }, async (req) => {
    const { id } = parse(JobParams, req.params, 'path');
    const job = await queue.getJob(id);
    // Someone else's job looks exactly like a missing one.
    const owner = (job?.data as { userId?: number } | undefined)?.userId;
    if (!job || (owner !== req.user!.id && req.user!.role !== 'admin')) throw notFound(`job ${id} not found`);
    return { job: await describeJob(job, () => queue.getJob(id)) };
  });
}
