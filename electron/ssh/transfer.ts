import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { EngineClient } from '../docker/client.ts';

/**
 * Move an image to another engine without a registry: the local engine's `docker save` stream
 * goes straight into the remote engine's image load (POST /images/load), over the same SSH
 * connection as every other call. Skipped when the remote already has that image id.
 */

export interface TransferProgress {
  image: string;
  bytes: number;
  /** Uncompressed image size as the local engine reports it (the tar is about this big). */
  totalBytes: number;
}

export interface TransferResult {
  image: string;
  id: string;
  skipped: boolean;
  bytes: number;
  ms: number;
}

async function imageId(engine: EngineClient, ref: string): Promise<{ id: string; size: number } | null> {
  try {
    const info = await engine.docker.getImage(ref).inspect();
    return { id: info.Id, size: info.Size ?? 0 };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

export async function transferImage(
  from: EngineClient,
  to: EngineClient,
  ref: string,
  onProgress?: (p: TransferProgress) => void,
): Promise<TransferResult> {
  const t0 = Date.now();
  const local = await imageId(from, ref);
  if (!local) throw new ScaleDeckError('IMAGE_MISSING', `Image ${ref} is not on the local engine, so it cannot be copied to ${to.where}.`, 'Build or pull it locally first.');
  const remote = await imageId(to, ref);
  if (remote?.id === local.id) return { image: ref, id: local.id, skipped: true, bytes: 0, ms: Date.now() - t0 };

  const saved = (await from.docker.getImage(ref).get()) as unknown as Readable;
  let bytes = 0;
  let lastReport = 0;
  // Counts bytes for progress, and hands the request body on in 1 MiB pieces: every HTTP chunk
  // costs two tiny SSH packets of framing besides its data, so fewer, bigger chunks go faster.
  const COALESCE = 1024 * 1024;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (onProgress && bytes - lastReport >= 4 * 1024 * 1024) {
        lastReport = bytes;
        onProgress({ image: ref, bytes, totalBytes: local.size });
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= COALESCE) {
        const out = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        cb(null, out);
      } else cb();
    },
    flush(cb) {
      cb(null, pendingBytes ? Buffer.concat(pending, pendingBytes) : undefined);
    },
  });
  // loadImage sends the body as it is read; the response is a JSON progress stream.
  // A failure on the sending side (the local engine's save) rejects the transfer too.
  const pipelineDone = pipeline(saved, counter).catch((err: unknown) => {
    throw new ScaleDeckError('STEP_FAILED', `Reading ${ref} from the local engine failed: ${(err as Error).message}`);
  });
  pipelineDone.catch(() => {});
  const res = (await to.docker.loadImage(counter, { quiet: true })) as unknown as Readable;
  let text = '';
  for await (const c of res) text += (c as Buffer).toString('utf8');
  await pipelineDone;
  const errLine = text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as { error?: string };
      } catch {
        return {};
      }
    })
    .find((j) => j.error);
  if (errLine?.error) throw new ScaleDeckError('STEP_FAILED', `Loading ${ref} into ${to.where} failed: ${errLine.error}`, 'Check free disk space on the host (`df -h /var/lib/docker`).');
  onProgress?.({ image: ref, bytes, totalBytes: local.size });
  const after = await imageId(to, ref);
  if (after?.id !== local.id) throw new ScaleDeckError('STEP_FAILED', `After loading, ${to.where} has ${ref} as ${after?.id ?? 'nothing'}, not ${local.id}.`);
  return { image: ref, id: local.id, skipped: false, bytes, ms: Date.now() - t0 };
}
