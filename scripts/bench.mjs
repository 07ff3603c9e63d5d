// `npm run bench -- <name>` runs test/bench/<name>.ts. Each benchmark prints its figures and, as
// its last line, one line of JSON with its figures and ratios against a named peer.
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
register();
await import(join(dir, `${name}.ts`));
