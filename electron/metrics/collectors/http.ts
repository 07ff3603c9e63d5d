import { Agent, request } from 'node:http';
import { splitHostPort } from '../address.ts';

export interface HttpText {
  status: number;
  body: string;
  contentType: string;
}

/**
 * GET a small text resource over HTTP/1.1 with an abort signal and a body size cap. Rejects on
 * non-2xx answers, bodies over `maxBytes`, and connection errors.
 */
export function httpGetText(address: string, path: string, opts: { signal?: AbortSignal; agent?: Agent; maxBytes?: number } = {}): Promise<HttpText> {
  const { host, port } = splitHostPort(address);
  const maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
  return new Promise<HttpText>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason ?? new Error('aborted'));
      return;
    }
    const req = request(
      { host, port, path, method: 'GET', agent: opts.agent ?? false, signal: opts.signal, headers: { accept: 'text/plain;version=0.0.4, */*;q=0.1' } },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new Error(`GET ${path}: answer larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (status < 200 || status >= 300) {
            reject(new Error(`GET ${path} answered HTTP ${status}${body ? `: ${body.slice(0, 120).trim()}` : ''}`));
            return;
          }
          resolve({ status, body, contentType: String(res.headers['content-type'] ?? '') });
        });
      },
    );
    req.on('error', (err) => reject(opts.signal?.aborted && opts.signal.reason ? opts.signal.reason : err));
    req.end();
  });
}
