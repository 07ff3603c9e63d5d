#!/usr/bin/env node
// Entry point of the `scaledeck` command. It runs the esbuild bundle (dist/cli.mjs, made by
// `npm run build:electron`, which `npm install` runs) when that bundle is newer than every
// source file, and otherwise the TypeScript sources through tsx, so an edit never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let main;
const fresh =
  existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(newestSource(join(root, 'electron')), newestSource(join(root, 'shared')));
if (fresh && process.env.SCALEDECK_FROM_SOURCE !== '1') {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../electron/cli.ts'));
}
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Let pending stdout writes flush, then leave even if a socket keeps the loop alive.
setImmediate(() => process.exit(code));
