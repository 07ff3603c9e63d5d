import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiEvent } from '../shared/api/contract.ts';
import { formatError, toErrorBody } from '../shared/api/errors.ts';
import type { ClusterDetail, ClusterSummary, OperationView, StepProgress } from '../shared/api/types.ts';
import { parseImageSet } from '../shared/spec/index.ts';
import { ScaleDeck, type StartedOperation } from './services/scaledeck.ts';

/**
 * `scaledeck` command line: the same services as the app, printed for a terminal.
 * Every command takes --json; failures exit non-zero (1: operation failed, 2: bad input).
 */
const USAGE = `Usage: scaledeck <command> [options]

Commands:
  up <spec.yaml> [--dry-run]        create or update a cluster to match the spec
  status [name]                     list clusters, or one cluster's containers
  scale <name> api=<N>              change the number of API nodes (1-64)
  down <name> [--keep-data]         remove a cluster (--keep-data keeps its volumes and secrets)
  export <name|spec.yaml> --out DIR write docker-compose.yml, nginx.conf and .env.example
  serve [--port N] [--host H]       web mode: the app's UI and API over HTTP (token required)
  upgrade <name> --image X [--env K=V] --strategy rolling|blue-green [--batch 1|50%] [--probe-rate 200] [--canary 10] [--gate-timeout 60]
                                    upgrade the API nodes without dropping requests
  rollback <name>                   blue-green: switch back; otherwise undo the last upgrade
  finalize <name>                   blue-green: remove the old nodes
  upgrades <name>                   the cluster's upgrade records
  db status <name>                  Postgres primary, replicas (state, lag in bytes and seconds), slots
  db promote <name> <replica>       failover: fence the primary, promote the replica, report write downtime
  loadtest <name|url> --stages 30s:50,1m:50,30s:0 [--rate 200 --duration 30s] --threshold 'p95<500' [--json]
                                    load test through the cluster's balancer; exit 1 when a threshold fails
                                    (scaledeck loadtest --help for every option)
  hosts add <name> <user@address[:port]> (--key PATH | --agent | --password-stdin) [--advertise ADDR] [--trust SHA256:...]
                                    add a remote host (its first connection prints the key fingerprint to trust)
  hosts test <name> [--ports 80,5432]  engine version, CPUs, memory, free disk, ports in use
  hosts ls | hosts rm <name>        list or forget hosts
  hosts push <name> <image>         copy a local image to the host over SSH (skipped when it has it)
  hosts bootstrap <name> [--yes]    install Docker there with its package manager (lists the commands without --yes)

Options:
  --json        machine-readable output on stdout
  -h, --help    this help

Environment:
  SCALEDECK_IMAGES=test   use the offline test images (npm run test-images) for roles the spec leaves unset
  SCALEDECK_HOME          workspace folder (default ~/.scaledeck)
  DOCKER_HOST             Docker engine to use (default the local socket)
`;

class UsageError extends Error {}

interface Out {
  json: boolean;
  log: (line: string) => void;
}

export async function main(argv: string[]): Promise<number> {
  // The load test command has its own options (stages, thresholds, request mix).
  if (argv[0] === 'loadtest') return loadtest(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      out: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      image: { type: 'string' },
      env: { type: 'string', multiple: true },
      strategy: { type: 'string', default: 'rolling' },
      batch: { type: 'string', default: '1' },
      'probe-rate': { type: 'string', default: '200' },
      canary: { type: 'string' },
      'gate-timeout': { type: 'string' },
      key: { type: 'string' },
      agent: { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
      advertise: { type: 'string' },
      trust: { type: 'string' },
      ports: { type: 'string' },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const out: Out = { json: !!values.json, log: (l) => process.stderr.write(`${l}\n`) };
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  let app: ScaleDeck;
  try {
    app = new ScaleDeck({ imageSet: parseImageSet(process.env.SCALEDECK_IMAGES) });
  } catch (err) {
    return fail(out, err, 2);
  }
  try {
    switch (command) {
      case 'up':
        return await up(app, rest, !!values['dry-run'], out);
      case 'status':
        return await status(app, rest[0], out);
      case 'scale':
        return await scale(app, rest, out);
      case 'down':
        if (!rest[0]) throw new UsageError('down needs a cluster name: scaledeck down <name> [--keep-data] [--force]');
        return await follow(app, await app.down(rest[0], { keepData: !!values['keep-data'], force: !!values.force }), out);
      case 'export':
        return await exportCmd(app, rest[0], values.out, out);
      case 'serve': {
        const { serve } = await import('./server.ts');
        await serve(app, { port: values.port ? Number(values.port) : undefined, host: values.host, token: values.token, log: out.log });
        return await new Promise<number>(() => {}); // runs until interrupted
      }
      case 'upgrade': {
        const name = rest[0];
        if (!name) throw new UsageError('upgrade needs a cluster: scaledeck upgrade <name> --image X [--strategy rolling|blue-green]');
        const env = Object.fromEntries(
          (values.env ?? []).map((kv) => {
            const i = kv.indexOf('=');
            if (i < 1) throw new UsageError(`--env takes KEY=VALUE (got "${kv}")`);
            return [kv.slice(0, i), kv.slice(i + 1)];
          }),
        );
        const started = await app.upgrades.start({
          cluster: name,
          image: values.image,
          env: Object.keys(env).length ? env : undefined,
          strategy: values.strategy as 'rolling' | 'blue-green',
          batch: /%$/.test(values.batch!) ? values.batch! : Number(values.batch),
          probeRate: Number(values['probe-rate']),
          canaryPercent: values.canary ? Number(values.canary) : undefined,
          gateTimeoutMs: values['gate-timeout'] ? Number(values['gate-timeout']) * 1000 : undefined,
        });
        const code = await follow(app, started, out);
        printUpgrade(app, name, started.upgradeId, out);
        return code;
      }
      case 'rollback':
        if (!rest[0]) throw new UsageError('rollback needs a cluster: scaledeck rollback <name>');
        return await follow(app, await app.upgrades.rollback(rest[0]), out);
      case 'finalize':
        if (!rest[0]) throw new UsageError('finalize needs a cluster: scaledeck finalize <name>');
        return await follow(app, await app.upgrades.finalize(rest[0]), out);
      case 'upgrades': {
        if (!rest[0]) throw new UsageError('upgrades needs a cluster: scaledeck upgrades <name>');
        const list = app.upgrades.list(rest[0]);
        if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, upgrades: list })}\n`);
        else for (const r of list) process.stdout.write(`${r.id}  ${new Date(r.startedAt).toISOString()}  ${r.strategy.padEnd(10)} ${r.state.padEnd(17)} ${r.from.image} → ${r.to.image}${r.reason ? `  (${r.reason.split('\n')[0]})` : ''}\n`);
        return 0;
      }
      case 'hosts':
        return await hostsCmd(app, rest, values, out);
      case 'db':
        return await dbCommand(app, rest, out);
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } catch (err) {
    const body = toErrorBody(err);
    const code = err instanceof UsageError || body.code === 'SPEC_INVALID' || body.code === 'BAD_REQUEST' || body.code === 'NOT_FOUND' ? 2 : 1;
    return fail(out, err, code);
  }
}

function fail(out: Out, err: unknown, code: number): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    const body = toErrorBody(err);
    if (out.json) process.stdout.write(`${JSON.stringify({ ok: false, error: body })}\n`);
    process.stderr.write(`Error: ${formatError(body)}\n`);
  }
  return code;
}

async function up(app: ScaleDeck, args: string[], dryRun: boolean, out: Out): Promise<number> {
  const file = args[0];
  if (!file) throw new UsageError('up needs a spec file: scaledeck up <spec.yaml> [--dry-run]');
  const yaml = readSpecFile(file);
  if (dryRun) {
    const { plan, text } = await app.dryRun(yaml);
    if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, plan })}\n`);
    else process.stdout.write(`${text}\n`);
    return 0;
  }
  // Images a remote host lacks are copied over SSH before the steps start: show that progress.
  const shownMb = new Map<string, number>(); // a line every 50 MB per image and host
  const off = app.events.subscribe((e: ApiEvent) => {
    if (e.type !== 'image-transfer') return;
    const key = `${e.image}@${e.host}`;
    const mb = Math.floor(e.bytes / 1e6);
    if (e.done) out.log(`copied ${e.image} to ${e.host} (${(e.bytes / 1e6).toFixed(1)} MB)`);
    else if (e.bytes === 0) out.log(`copying ${e.image} to ${e.host} over SSH…`);
    else if (mb >= (shownMb.get(key) ?? 0) + 50) {
      shownMb.set(key, mb);
      out.log(`  ${e.image} → ${e.host}: ${mb} / ${Math.round(e.totalBytes / 1e6)} MB`);
    }
  });
  try {
    return await follow(app, await app.apply(yaml), out);
  } finally {
    off();
  }
}

function readSpecFile(file: string): string {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`Spec file not found: ${path}`);
  return readFileSync(path, 'utf8');
}

async function scale(app: ScaleDeck, args: string[], out: Out): Promise<number> {
  const [name, assignment] = args;
  const m = /^api=(\d+)$/.exec(assignment ?? '');
  if (!name || !m) throw new UsageError('scale needs a cluster and a count: scaledeck scale <name> api=<N>');
  return follow(app, await app.scale(name, Number(m[1])), out);
}

/** Print an operation's steps as they change, then its outcome. */
async function follow(app: ScaleDeck, started: StartedOperation, out: Out): Promise<number> {
  const seen = new Map<string, string>();
  const t0 = Date.now();
  const printStep = (s: StepProgress) => {
    const key = `${s.state}:${s.message ?? ''}`;
    if (seen.get(s.id) === key || s.state === 'pending') return;
    seen.set(s.id, key);
    const icon = { running: '…', done: '✓', failed: '✗', skipped: '-', pending: ' ' }[s.state];
    const secs = ((Date.now() - t0) / 1000).toFixed(1).padStart(5);
    const extra = s.state === 'failed' ? '' : s.message ? `  (${s.message})` : '';
    out.log(`[${secs}s] ${icon} ${s.label}${extra}`);
  };
  const unsubscribe = app.events.subscribe((e: ApiEvent) => {
    if (e.type === 'operation' && e.operation.id === started.operationId) e.operation.steps.forEach(printStep);
  });
  // First Ctrl-C cancels cleanly (running steps finish, nothing half-made); a second one quits now.
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    out.log('Cancelling: steps in progress finish, the rest are skipped. Ctrl-C again quits at once (`up` later continues either way).');
    app.cancelOperation(started.operationId).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  let op: OperationView;
  try {
    op = await started.done;
  } catch (err) {
    unsubscribe();
    process.off('SIGINT', onSigint);
    return fail(out, err, 1);
  }
  unsubscribe();
  process.off('SIGINT', onSigint);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (out.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, operation: op })}\n`);
  } else if (op.steps.length === 0) {
    process.stdout.write(`Cluster "${op.cluster}" is up to date: nothing to do.\n`);
  } else {
    process.stdout.write(`${op.kind} ${op.cluster}: done in ${secs} s (${op.steps.length} steps)\n`);
    if (op.result?.skippedHosts) process.stdout.write(`Skipped (unreachable; what runs there was left): ${String(op.result.skippedHosts)}\n`);
    if (op.kind !== 'down') {
      const detail = await app.getCluster(op.cluster);
      if (detail.url) process.stdout.write(`Open ${detail.url}\n`);
    }
  }
  return 0;
}

/** The probe's figures of an upgrade, as a short table on stderr (and in --json via the record). */
function printUpgrade(app: ScaleDeck, cluster: string, id: string, out: Out): void {
  const r = app.upgrades.list(cluster).find((x) => x.id === id);
  if (!r) return;
  if (out.json) {
    process.stdout.write(`${JSON.stringify({ ok: r.state !== 'rolled-back' && r.state !== 'failed', upgrade: r })}\n`);
    return;
  }
  out.log(`upgrade ${r.id}: ${r.state}${r.reason ? ` (${r.reason.split('\n')[0]})` : ''}`);
  if (r.probe) {
    for (const ph of ['before', 'during', 'after'] as const) {
      const f = r.probe.phases[ph];
      out.log(`  probe ${ph.padEnd(6)} ${String(f.sent).padStart(6)} sent, ${f.failed} failed, p99 ${f.p99_ms ?? '-'} ms`);
    }
  }
  if (r.switchMs !== undefined) out.log(`  switch: all traffic on ${r.toColor} ${r.switchMs} ms after the switch command`);
}

async function dbCommand(app: ScaleDeck, args: string[], out: Out): Promise<number> {
  const [sub, name, replica] = args;
  if (sub === 'status' && name) {
    const st = await app.db.status(name);
    if (out.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, status: st })}\n`);
    } else {
      const p = st.primary;
      process.stdout.write(`Primary ${p.service}: ${p.containerState ?? 'missing'}${p.error ? ` (${p.error})` : ''}${st.fenced.length ? `   fenced: ${st.fenced.join(', ')}` : ''}\n`);
      if (st.replicas.length === 0) process.stdout.write('No replicas.\n');
      else
        process.stdout.write(
          table([
            ['REPLICA', 'CONTAINER', 'STATE', 'LAG BYTES', 'REPLAY LAG', 'IN RECOVERY', 'LAST REPLAY'],
            ...st.replicas.map((r) => [
              r.service,
              r.containerState ?? 'missing',
              r.state ?? 'not connected',
              r.lagBytes === null ? '-' : String(r.lagBytes),
              r.replayLagS === null ? '-' : `${r.replayLagS.toFixed(3)} s`,
              r.inRecovery === null ? '-' : r.inRecovery ? 'yes' : 'NO',
              r.lastReplayAt ?? '-',
            ]),
          ]),
        );
    }
    return st.primary.error || st.replicas.some((r) => r.state !== 'streaming') ? 1 : 0;
  }
  if (sub === 'promote' && name && replica) {
    const started = await app.db.promote(name, replica);
    const code = await follow(app, started, out);
    const op = await started.done.catch(() => null);
    const r = op?.result;
    if (r && !out.json) {
      process.stdout.write(`Promoted ${String(r.replica)}; ${String(r.fenced)} is fenced (stopped, kept for inspection).\n`);
      process.stdout.write(`Write downtime: ${String(r.writeDowntimeMs)} ms (promote → first successful write: ${String(r.promoteToWriteMs)} ms)\n`);
    }
    return code;
  }
  throw new UsageError('db needs a subcommand: scaledeck db status <name> | scaledeck db promote <name> <replica>');
}

async function loadtest(args: string[]): Promise<number> {
  const { loadtestCommand } = await import('./loadtest/cli.ts');
  const out: Out = { json: args.includes('--json'), log: (l) => process.stderr.write(`${l}\n`) };
  let app: ScaleDeck;
  try {
    app = new ScaleDeck({ imageSet: parseImageSet(process.env.SCALEDECK_IMAGES) });
  } catch (err) {
    return fail(out, err, 2);
  }
  const name = args.find((a) => !a.startsWith('-'));
  let url = '';
  try {
    if (name && /^https?:\/\//.test(name)) url = name;
    else if (name) {
      url = (await app.getCluster(name)).url ?? '';
      if (!url) throw new UsageError(`Cluster "${name}" has no running balancer to load test.`);
    }
  } catch (err) {
    return fail(out, err, 2);
  }
  const rest = name ? args.filter((a) => a !== name) : args;
  return loadtestCommand(rest, {
    target: url,
    reportsDir: join(app.workspace.root, 'loadtests'),
    stdout: process.stdout,
    stderr: process.stderr,
    allowHosts: url ? [url] : [],
    cluster: name && !/^https?:\/\//.test(name) ? name : null,
    confirm: process.stdin.isTTY ? askYesNo : undefined,
  });
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function status(app: ScaleDeck, name: string | undefined, out: Out): Promise<number> {
  if (name) {
    const d = await app.getCluster(name);
    if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, cluster: d })}\n`);
    else process.stdout.write(formatDetail(d));
    return d.state === 'running' ? 0 : 1;
  }
  const list = await app.listClusters();
  if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, clusters: list })}\n`);
  else process.stdout.write(formatList(list));
  return 0;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function formatList(list: ClusterSummary[]): string {
  if (list.length === 0) return 'No clusters. Create one with `scaledeck up examples/starter.yaml`.\n';
  return table([
    ['NAME', 'STATE', 'HEALTHY', 'API NODES', 'URL'],
    ...list.map((c) => [c.name, c.state, `${c.counts.healthy}/${c.counts.total}`, String(c.apiReplicas ?? '-'), c.url ?? '-']),
  ]);
}

function formatDetail(d: ClusterDetail): string {
  const head = `Cluster ${d.name}: ${d.state} (${d.counts.healthy}/${d.counts.total} healthy)${d.url ? `  ${d.url}` : ''}\n`;
  if (d.containers.length === 0) return `${head}No containers.\n`;
  if (d.containers.some((c) => c.host)) {
    // Multi-host: grouped by host (this machine's engine first).
    const hosts = [...new Set(d.containers.map((c) => c.host ?? 'local'))].sort((a, b) => (a === 'local' ? -1 : b === 'local' ? 1 : a.localeCompare(b)));
    return (
      head +
      table([
        ['HOST', 'SERVICE', 'CONTAINER', 'STATE', 'HEALTH', 'IMAGE', 'UP TO DATE'],
        ...hosts.flatMap((h) =>
          d.containers
            .filter((c) => (c.host ?? 'local') === h)
            .map((c) => [h, c.service, c.name, c.state, c.health, c.image, c.upToDate === null ? '?' : c.upToDate ? 'yes' : 'no']),
        ),
      ])
    );
  }
  return (
    head +
    table([
      ['SERVICE', 'CONTAINER', 'STATE', 'HEALTH', 'IMAGE', 'UP TO DATE'],
      ...d.containers.map((c) => [c.service, c.name, c.state, c.health, c.image, c.upToDate === null ? '?' : c.upToDate ? 'yes' : 'no']),
    ])
  );
}

async function exportCmd(app: ScaleDeck, target: string | undefined, outDir: string | undefined, out: Out): Promise<number> {
  if (!target) throw new UsageError('export needs a cluster name or a spec file: scaledeck export <name|spec.yaml> --out DIR');
  const isFile = /\.ya?ml$/i.test(target) || existsSync(target);
  const bundle = app.exportFiles(isFile ? { yaml: readSpecFile(target) } : { name: target });
  if (!outDir) {
    if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, files: bundle })}\n`);
    else for (const [name, text] of Object.entries(bundle)) process.stdout.write(`# ---- ${name}\n${text}\n`);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  const written = Object.entries(bundle).map(([name, text]) => {
    const p = join(outDir, name);
    writeFileSync(p, text);
    return p;
  });
  if (out.json) process.stdout.write(`${JSON.stringify({ ok: true, written })}\n`);
  else process.stdout.write(`Wrote ${written.join(', ')}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;

async function hostsCmd(
  app: ScaleDeck,
  args: string[],
  values: { key?: string; agent?: boolean; 'password-stdin'?: boolean; advertise?: string; trust?: string; ports?: string; yes?: boolean },
  out: Out,
): Promise<number> {
  const [sub, name, target] = args;
  const hosts = app.hosts();
  const print = (json: unknown, text: string) => process.stdout.write(out.json ? `${JSON.stringify({ ok: true, ...(json as object) })}\n` : text);
  try {
    switch (sub) {
      case 'ls':
      case 'list': {
        const list = hosts.list();
        print(
          { hosts: list },
          list.length === 0
            ? 'No hosts. Add one with `scaledeck hosts add <name> <user@address> --agent`.\n'
            : table([
                ['NAME', 'TARGET', 'AUTH', 'ADVERTISE', 'HOST KEY'],
                ...list.map((h) => [h.name, `${h.user}@${h.address}:${h.port}`, h.auth, h.advertise, h.fingerprint ?? 'not trusted']),
              ]),
        );
        return 0;
      }
      case 'add': {
        if (!name || !target) throw new UsageError('hosts add needs a name and a target: scaledeck hosts add <name> <user@address[:port]> --key PATH|--agent|--password-stdin');
        const password = values['password-stdin'] ? await readStdin() : undefined;
        const h = await hosts.add({ name, target, keyPath: values.key, agent: values.agent || undefined, password, advertise: values.advertise, trust: values.trust });
        print({ host: h }, `Added host ${h.name} (${h.user}@${h.address}:${h.port}, key ${h.fingerprint}).\n`);
        return 0;
      }
      case 'test': {
        if (!name) throw new UsageError('hosts test needs a host name: scaledeck hosts test <name> [--ports 80,443]');
        const ports = (values.ports ?? '').split(',').filter(Boolean).map((p) => {
          const n = Number(p);
          if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--ports: "${p}" is not a port number`);
          return n;
        });
        const c = await hosts.test(name, ports);
        print(
          { check: c },
          `Host ${c.name}: Docker ${c.engineVersion} (API ${c.apiVersion}) over ${c.transport}, ${c.os}\n` +
            `  ${c.cpus} CPUs, ${gib(c.memoryBytes)} memory, ${c.diskFreeBytes === null ? '?' : gib(c.diskFreeBytes)} free disk\n` +
            (ports.length ? `  ports in use: ${c.portsInUse.length ? c.portsInUse.join(', ') : 'none of ' + ports.join(', ')}\n` : ''),
        );
        return c.portsInUse.length ? 1 : 0;
      }
      case 'rm':
      case 'remove': {
        if (!name) throw new UsageError('hosts rm needs a host name: scaledeck hosts rm <name>');
        app.removeHost(name);
        print({ removed: name }, `Removed host ${name}.\n`);
        return 0;
      }
      case 'bootstrap': {
        if (!name) throw new UsageError('hosts bootstrap needs a host name: scaledeck hosts bootstrap <name> [--yes]');
        const r = await hosts.bootstrap(name, !!values.yes);
        if (r.alreadyInstalled) {
          print({ bootstrap: r }, `Host ${name} already runs Docker: nothing to do.\n`);
          return 0;
        }
        if (!r.ran) {
          print({ bootstrap: r }, `Would install Docker on ${name} as root:\n${r.commands.map((c) => `  ${c}`).join('\n')}\nRun again with --yes to do it.\n`);
          return 2;
        }
        print({ bootstrap: r }, `Installed Docker on ${name}. Check it with \`scaledeck hosts test ${name}\`.\n`);
        return 0;
      }
      case 'push': {
        if (!name || !target) throw new UsageError('hosts push needs a host and an image: scaledeck hosts push <name> <image>');
        const r = await hosts.pushImage(app.engine, name, target, (p) => out.log(`  ${p.image}: ${(p.bytes / 1e6).toFixed(0)} / ${(p.totalBytes / 1e6).toFixed(0)} MB`));
        print({ transfer: r }, r.skipped ? `${target}: ${name} already has it (${r.id.slice(0, 19)}), skipped.\n` : `${target}: copied ${(r.bytes / 1e6).toFixed(1)} MB to ${name} in ${(r.ms / 1000).toFixed(1)} s.\n`);
        return 0;
      }
      default:
        throw new UsageError('hosts takes: add, test, ls, rm, push, bootstrap (scaledeck --help)');
    }
  } finally {
    hosts.close();
  }
}
