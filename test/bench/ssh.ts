import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { EngineClient } from '../../electron/docker/client.ts';
import { HostsService } from '../../electron/ssh/service.ts';
import { transferImage } from '../../electron/ssh/transfer.ts';
import { docker, tempDir } from '../support/cluster.ts';
import { startLab } from '../support/lab.ts';

/**
 * `npm run bench -- ssh`: Docker over SSH against one lab host (a container running sshd and its
 * own dockerd, test/support/lab.ts), same host, same run.
 *
 * 1. API round trips: N (100) sequential `GET /_ping` through ScaleDeck's engine (one persistent
 *    ssh2 connection, a channel per request forwarded to /var/run/docker.sock) vs dockerode's
 *    built-in `{protocol: 'ssh'}` (a new SSH connection running `docker system dial-stdio` per
 *    request). One warm-up call each, not counted. ping_speedup = peer time / our time (target >= 5).
 *
 * 2. Image transfer: IMAGE (scaledeck-test/redis:1) from the local engine into the host's engine,
 *    removed from the host before every run (one uncounted warm-up transfer each). Ours: `docker save` stream → POST /images/load over
 *    the same SSH connection. Peer: `docker save IMAGE | ssh host docker load` with the OpenSSH
 *    client. MB/s = bytes of the saved tar / seconds until the load finished. Runs alternate
 *    (R rounds, medians). transfer_vs_openssh = ours MB/s / OpenSSH MB/s (target >= 0.8).
 *
 * Environment: BENCH_PINGS (100), BENCH_RUNS (3), BENCH_IMAGE (scaledeck-test/redis:1).
 */
const N = Number(process.env.BENCH_PINGS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IMAGE = process.env.BENCH_IMAGE ?? 'scaledeck-test/redis:1';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function pings(d: Docker, n: number): Promise<number> {
  await d.ping();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await d.ping();
  return performance.now() - t0;
}

function opensshTransfer(port: number, keyPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sshCmd = `ssh -i '${keyPath}' -p ${port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes lab@127.0.0.1 docker load`;
    const child = spawn('bash', ['-c', `set -o pipefail; docker save '${IMAGE}' | ${sshCmd}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`docker save | ssh docker load exited ${code}`))));
  });
}

const lab = await startLab(1);
const home = tempDir('scaledeck-bench-ssh-');
const hosts = new HostsService(home);
try {
  const h = lab.hosts[0]!;
  await hosts.add({ name: 'bench', target: `lab@127.0.0.1:${h.sshPort}`, keyPath: lab.keyPath, trust: h.fingerprint });
  const ours = await hosts.engine('bench');
  const peer = new Docker({ protocol: 'ssh', host: '127.0.0.1', port: h.sshPort, username: 'lab', sshOptions: { privateKey: readFileSync(lab.keyPath) } } as Docker.DockerOptions);

  console.log(`ssh bench: lab host ${h.container} (127.0.0.1:${h.sshPort}), ${N} pings, ${RUNS} transfer rounds of ${IMAGE}`);
  const oursPingMs = await pings(ours.docker, N);
  const peerPingMs = await pings(peer, N);
  console.log(`  ${N} pings, forwarded socket (one connection):   ${round(oursPingMs, 0)} ms (${round(oursPingMs / N, 2)} ms each)`);
  console.log(`  ${N} pings, dockerode protocol 'ssh' (dial-stdio): ${round(peerPingMs, 0)} ms (${round(peerPingMs / N, 2)} ms each)`);

  const local = new EngineClient();
  const rmRemote = () => docker('exec', h.container, 'docker', 'rmi', '-f', IMAGE).catch(() => '');
  const oursMBs: number[] = [];
  const peerMBs: number[] = [];
  let bytes = 0;
  // One uncounted transfer each first: the host's fresh engine and both paths warm up.
  await rmRemote();
  bytes = (await transferImage(local, ours, IMAGE)).bytes;
  await rmRemote();
  await opensshTransfer(h.sshPort, lab.keyPath);
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? ['ours', 'openssh'] : ['openssh', 'ours'];
    for (const who of order) {
      await rmRemote();
      if (who === 'ours') {
        const res = await transferImage(local, ours, IMAGE);
        if (res.skipped) throw new Error('transfer was skipped: the image was not removed from the host');
        bytes = res.bytes;
        oursMBs.push(res.bytes / 1e6 / (res.ms / 1000));
      } else {
        const ms = await opensshTransfer(h.sshPort, lab.keyPath);
        // Same image, same tar: the byte count our transfer measured.
        peerMBs.push(bytes / 1e6 / (ms / 1000));
      }
      console.log(`  round ${r + 1} ${who.padEnd(7)} ${round(who === 'ours' ? oursMBs.at(-1)! : peerMBs.at(-1)!, 1)} MB/s`);
    }
  }
  await rmRemote();
  const oursMed = median(oursMBs);
  const peerMed = median(peerMBs);
  console.log(`  transfer of ${round(bytes / 1e6, 1)} MB: ScaleDeck ${round(oursMed, 1)} MB/s, docker save | ssh docker load ${round(peerMed, 1)} MB/s (medians)`);
  const result = {
    bench: 'ssh',
    pings: N,
    ping_ms_forwarded: round(oursPingMs / N, 3),
    ping_ms_dockerode_ssh: round(peerPingMs / N, 3),
    ping_speedup: round(peerPingMs / oursPingMs, 2),
    ping_speedup_target: 5,
    image: IMAGE,
    image_mb: round(bytes / 1e6, 1),
    transfer_mb_s: round(oursMed, 1),
    openssh_mb_s: round(peerMed, 1),
    transfer_vs_openssh: round(oursMed / peerMed, 2),
    transfer_vs_openssh_target: 0.8,
  };
  console.log(JSON.stringify(result));
} finally {
  hosts.close();
  await lab.cleanup();
}
