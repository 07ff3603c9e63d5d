// `npm run pack:dir`: pack the app into release/linux-unpacked offline. The Electron binary is
// not downloadable here, so a stand-in `electron` file is given as electronDist; the packed
// app.asar is real. On a machine with internet, run `npx electron-builder` for real installers.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const stand = join(tmpdir(), 'scaledeck-electron-dist');
mkdirSync(stand, { recursive: true });
writeFileSync(join(stand, 'electron'), '#!/bin/sh\necho "stand-in electron binary for offline packing"\n');
chmodSync(join(stand, 'electron'), 0o755);
const r = spawnSync(
  'npx',
  ['electron-builder', '--linux', 'dir', `-c.electronDist=${stand}`, '-c.npmRebuild=false', '--publish', 'never'],
  { stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
);
process.exit(r.status ?? 1);
