import { createServer } from 'node:net';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { ClusterSpec } from '../../shared/spec/index.ts';
import { imageHint, type EngineClient } from '../docker/client.ts';
import type { ObservedState } from '../engine/observe.ts';
import type { Plan } from '../engine/plan.ts';

/**
 * Checks that can be made before anything is created, so bad input never leaves half a cluster:
 * every image the plan needs is present (or can be pulled), and the balancer's host port is free.
 */
export async function checkImages(engine: EngineClient, plan: Plan, onProgress?: (msg: string) => void): Promise<void> {
  const images = plan.steps.flatMap((s) => (s.kind === 'create' || s.kind === 'recreate' ? [s.image] : []));
  return ensureImages(engine, images, onProgress);
}

/** Every image present, or pulled; otherwise one IMAGE_MISSING error naming each that is not. */
export async function ensureImages(engine: EngineClient, list: string[], onProgress?: (msg: string) => void): Promise<void> {
  const images = [...new Set(list)];
  const missing: { image: string; reason: string }[] = [];
  await Promise.all(
    images.map(async (image) => {
      if (await engine.imageExists(image)) return;
      onProgress?.(`pulling ${image}…`);
      try {
        await engine.pull(image, (line) => onProgress?.(`${image}: ${line}`));
      } catch (err) {
        missing.push({ image, reason: ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 200) });
      }
    }),
  );
  if (missing.length) {
    const list = missing.map((m) => `  ${m.image}: not on this engine, and pulling it failed (${m.reason})`).join('\n');
    throw new ScaleDeckError(
      'IMAGE_MISSING',
      `${missing.length === 1 ? 'An image' : `${missing.length} images`} the cluster needs could not be found. Nothing was created.\n${list}`,
      imageHint(missing[0]!.image),
      { images: missing.map((m) => m.image) },
    );
  }
}

export async function checkPort(engine: EngineClient, spec: ClusterSpec, observed: ObservedState): Promise<void> {
  const { port, bind } = spec.balancer;
  const own = observed.containers.find((c) => c.role === 'balancer');
  if (own?.hostPorts.includes(port)) return; // our own balancer holds it
  const published = (await engine.publishedPorts()).find(
    (p) => p.hostPort === port && (p.hostIp === bind || p.hostIp === '0.0.0.0' || p.hostIp === '::' || bind === '0.0.0.0'),
  );
  if (published) {
    throw new ScaleDeckError(
      'PORT_IN_USE',
      `balancer/port: ${bind}:${port} is already published by container ${published.container}. Nothing was created.`,
      `Choose another port (balancer/port in the spec, or --port), or stop ${published.container}.`,
    );
  }
  const bindError = await new Promise<string | null>((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    srv.listen({ port, host: bind, exclusive: true }, () => srv.close(() => resolve(null)));
  });
  if (bindError === 'EADDRNOTAVAIL') {
    throw new ScaleDeckError(
      'BAD_REQUEST',
      `balancer/bind: ${bind} is not an address of this machine. Nothing was created.`,
      'Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).',
    );
  }
  if (bindError) {
    throw new ScaleDeckError(
      'PORT_IN_USE',
      `balancer/port: ${bind}:${port} is already in use by another program. Nothing was created.`,
      `Choose another port (balancer/port in the spec, or --port), or find the program with \`ss -ltnp 'sport = :${port}'\`.`,
    );
  }
}
