// `npm start`: build what is missing, then open the Electron window. Where the Electron binary is
// not installed (it is downloaded by electron's own install script, which needs internet), start
// web mode instead and print its URL, rather than failing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareEngine } from './prepare-engine.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!existsSync(join(root, 'dist/renderer/index.html')) || process.env.SCALEDECK_REBUILD === '1') run('npx', ['vite', 'build', '--logLevel', 'warn']);
run('node', ['scripts/build-electron.mjs']);
if (process.env.SCALEDECK_SKIP_PREPARE !== '1') Object.assign(process.env, prepareEngine());

function electronBinary() {
  try {
    const pathTxt = join(dirname(require.resolve('electron/package.json')), 'path.txt');
    if (!existsSync(pathTxt)) return null;
    const bin = join(dirname(pathTxt), 'dist', readFileSync(pathTxt, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const electron = process.env.SCALEDECK_WEB === '1' ? null : electronBinary();
if (electron && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.platform !== 'linux')) {
  const child = spawn(electron, [join(root, 'dist/electron/main.mjs')], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error(
    electron
      ? 'No display found: starting web mode instead of the desktop window.'
      : 'The Electron binary is not installed (it downloads from the internet: `node node_modules/electron/install.js`).\n' +
          'Starting web mode instead: the same UI in your browser.',
  );
  const child = spawn(process.execPath, [join(root, 'bin/scaledeck.mjs'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
