import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliEnv, ROOT } from './cluster.ts';

/** Start `scaledeck serve` on a free port and return its tokenised URL. */
export async function startWebMode(home: string, extraEnv: Record<string, string> = {}): Promise<{ url: string; base: string; token: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'scaledeck.mjs'), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: cliEnv(home, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  const u = new URL(url);
  return {
    url,
    base: `${u.protocol}//${u.host}`,
    token: u.searchParams.get('token')!,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
