// `npm run bench -- <name>` runs test/bench/<name>.ts. Each benchmark prints its figures and, as
// its last line, one line of JSON with its figures and ratios against a named peer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

const name = process.argv[2];
const dir = join(import.meta.dirname, '..', 'test', 'bench');
const available = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.replace(/\.ts$/, ''));
if (!name || !existsSync(join(dir, `${name}.ts`))) {
  console.error(`Usage: npm run bench -- <name>\nBenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
process.env.SCALEDECK_IMAGES ??= 'test';
// Benchmarks time the `scaledeck` command as installed: its bundle, rebuilt here so an edited
// source never sends it through tsx (about 0.4 s more per command).
const built = spawnSync(process.execPath, [join(import.meta.dirname, 'build-electron.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
register();
await import(join(dir, `${name}.ts`));
