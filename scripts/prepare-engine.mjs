// Run by `npm start` before the app opens: make the local Docker engine ready for a first cluster.
// - Docker missing or stopped: as root, install/start it (scripts/ensure-docker.sh); otherwise say how.
// - Images: with a registry, the official images are pulled by `up` itself and the API node image
//   is built here from backend-template/. Without a registry (docker pull fails at once), the
//   offline test images are built from Debian packages and SCALEDECK_IMAGES=test is used.
// Prints what it does; never fails the start (the app shows the engine's state and what to do).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
const say = (msg) => console.error(`[scaledeck] ${msg}`);

export function prepareEngine() {
  if (sh('docker', ['version', '--format', '{{.Server.Version}}']).status !== 0) {
    if (process.getuid?.() === 0) {
      say('The Docker engine is not answering: installing/starting it (scripts/ensure-docker.sh)…');
      if (sh('bash', ['scripts/ensure-docker.sh'], { stdio: 'inherit' }).status !== 0) return {};
    } else {
      say('The Docker engine is not answering. Start it (`sudo systemctl start docker`) or run `sudo bash scripts/ensure-docker.sh`.');
      say('The app opens anyway and shows the engine status.');
      return {};
    }
  }
  if (process.env.SCALEDECK_IMAGES) return {};
  const has = (ref) => sh('docker', ['image', 'inspect', ref]).status === 0;
  if (has('nginx:1.27') || sh('docker', ['pull', '-q', 'nginx:1.27']).status === 0) {
    if (!has('scaledeck/api-template:0.1.0')) {
      say('Building the API node image scaledeck/api-template:0.1.0 from backend-template/…');
      sh('docker', ['build', '-q', '-t', 'scaledeck/api-template:0.1.0', 'backend-template'], { stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    }
    return {};
  }
  say('No container registry is reachable: using the offline test images built from Debian packages (SCALEDECK_IMAGES=test).');
  say('Building them if needed (about 90 s the first time)…');
  if (sh('bash', ['scripts/test-images.sh'], { stdio: 'inherit' }).status !== 0) {
    say('Building the test images failed; see above. The app opens anyway.');
    return {};
  }
  return { SCALEDECK_IMAGES: 'test' };
}
