// Bundles the Node side with esbuild: the Electron main process (ESM), the sandboxed preload
// (CommonJS, as Electron requires for sandboxed preloads) and the CLI (for a fast start).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
const banner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};
await Promise.all([
  build({ ...common, entryPoints: ['electron/main-entry.ts'], outfile: 'dist/electron/main.mjs', format: 'esm', external: ['electron', 'cpu-features', 'ssh2'], banner }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] }),
  build({ ...common, entryPoints: ['electron/cli.ts'], outfile: 'dist/cli.mjs', format: 'esm', external: ['cpu-features', 'ssh2'], banner }),
]);
console.log('built dist/electron/main.mjs, dist/electron/preload.cjs, dist/cli.mjs');
