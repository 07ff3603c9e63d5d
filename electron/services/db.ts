import { ScaleDeckError } from '../../shared/api/errors.ts';
import type { DbReplicaStatus, DbSlotStatus, DbStatus, OperationView, StepProgress } from '../../shared/api/types.ts';
import { replicaKeys, replicaNumber, replicaSlot, replicaVolume, type DbTopology } from '../../shared/generate/model.ts';
import { LABEL, names } from '../../shared/labels.ts';
import { executePlan, psql } from '../engine/execute.ts';
import { healthFromStatus, observe } from '../engine/observe.ts';
import { planUp } from '../engine/plan.ts';
import type { ScaleDeck, StartedOperation } from './scaledeck.ts';

/**
 * The Postgres data tier at run time: replication status (from the primary's pg_stat_replication
 * and each replica's own view) and failover (promote a replica, fence the old primary).
 * Everything goes through `psql` exec'd in the containers, so no port is published.
 */

/** Slots on the primary, joined with the walsender using each (pg_stat_replication has no slot name). */
const PRIMARY_SQL = `SELECT s.slot_name, s.active, coalesce(s.wal_status, ''),
  coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text, ''),
  coalesce(r.state, ''), coalesce(host(r.client_addr), ''),
  coalesce(greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), 0)::bigint::text, ''),
  coalesce(greatest(extract(epoch FROM r.replay_lag), 0)::text, '')
FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
WHERE s.slot_type = 'physical' ORDER BY s.slot_name`;

/** A replica's own view; the delay is 0 when everything received is replayed (an idle primary). */
const REPLICA_SQL = `SELECT pg_is_in_recovery(), coalesce(pg_last_xact_replay_timestamp()::text, ''),
  CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
       ELSE greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END`;

const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Math.max(0, Number(s)));

export function parsePrimaryRows(text: string): { slots: DbSlotStatus[]; bySlot: Map<string, Pick<DbReplicaStatus, 'state' | 'clientAddr' | 'lagBytes' | 'replayLagS'>> } {
  const slots: DbSlotStatus[] = [];
  const bySlot = new Map<string, Pick<DbReplicaStatus, 'state' | 'clientAddr' | 'lagBytes' | 'replayLagS'>>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [name, active, walStatus, retained, state, addr, lagBytes, lagS] = line.split('\t');
    slots.push({ name: name!, active: active === 't', walStatus: walStatus || null, retainedBytes: num(retained) });
    // A connected walsender with nothing left to replay has lag 0, and replay_lag NULL when idle.
    if (state) bySlot.set(name!, { state, clientAddr: addr || null, lagBytes: num(lagBytes) ?? 0, replayLagS: num(lagS) ?? 0 });
  }
  return { slots, bySlot };
}

export class DbService {
  constructor(private readonly app: ScaleDeck) {}

  private container(cluster: string, service: string): string {
    return names.container(cluster, service);
  }

  async status(cluster: string): Promise<DbStatus> {
    const spec = this.app.storedSpec(cluster);
    const topo = this.app.workspace.dbTopology(cluster);
    const containers = await this.app.engine.listContainers(cluster);
    const byService = new Map(containers.filter((c) => c.labels[LABEL.role] === 'postgres').map((c) => [c.labels[LABEL.service] ?? c.name, c]));
    const view = (service: string) => {
      const c = byService.get(service);
      return { containerState: c?.state ?? null, health: c && c.state === 'running' ? healthFromStatus(c.status) : ('none' as const) };
    };
    const primary: DbStatus['primary'] = { service: topo.primary, ...view(topo.primary), inRecovery: null };
    let slots: DbSlotStatus[] = [];
    let bySlot = new Map<string, Pick<DbReplicaStatus, 'state' | 'clientAddr' | 'lagBytes' | 'replayLagS'>>();
    try {
      const [rows, recovery] = await Promise.all([
        psql(this.app.engine, this.container(cluster, topo.primary), PRIMARY_SQL, 5000),
        psql(this.app.engine, this.container(cluster, topo.primary), 'SELECT pg_is_in_recovery()', 5000),
      ]);
      ({ slots, bySlot } = parsePrimaryRows(rows));
      primary.inRecovery = recovery.trim() === 't';
    } catch (err) {
      primary.error = (err as Error).message;
    }
    const keys = replicaKeys(spec).filter((k) => k !== topo.primary && !topo.fenced.includes(k));
    const replicas = await Promise.all(
      keys.map(async (service): Promise<DbReplicaStatus> => {
        const slot = replicaSlot(replicaNumber(service)!);
        const seen = bySlot.get(slot);
        const r: DbReplicaStatus = {
          service,
          slot,
          ...view(service),
          state: seen?.state ?? null,
          clientAddr: seen?.clientAddr ?? null,
          lagBytes: seen?.lagBytes ?? null,
          replayLagS: seen?.replayLagS ?? null,
          inRecovery: null,
          lastReplayAt: null,
          replayDelayS: null,
        };
        if (r.containerState !== 'running') return r;
        try {
          const [rec, last, delay] = (await psql(this.app.engine, this.container(cluster, service), REPLICA_SQL, 5000)).trim().split('\t');
          r.inRecovery = rec === 't';
          r.lastReplayAt = last ? new Date(last.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString() : null;
          r.replayDelayS = num(delay);
        } catch (err) {
          r.error = (err as Error).message;
        }
        return r;
      }),
    );
    return { cluster, primary, replicas, slots, fenced: topo.fenced, checkedAt: Date.now() };
  }

  /**
   * Failover to `replica`: fence the old primary (stop it and take it off the cluster network, so
   * nothing can reach it even if it is started again; container and volume are kept), promote the
   * replica, give it the `postgres` DNS name (DATABASE_URL stays valid: API nodes' pools reconnect),
   * create slots for the other replicas, which follow the new timeline, rebuilding any that cannot.
   * The result carries the write downtime: promote start → first committed write through `postgres`.
   */
  async promote(cluster: string, replica: string): Promise<StartedOperation> {
    const spec = this.app.storedSpec(cluster);
    const topo = this.app.workspace.dbTopology(cluster);
    const replicas = replicaKeys(spec).filter((k) => k !== topo.primary && !topo.fenced.includes(k));
    if (!replicas.includes(replica)) {
      throw new ScaleDeckError(
        'BAD_REQUEST',
        `replica: "${replica}" is not a replica of cluster "${cluster}" (replicas: ${replicas.join(', ') || 'none'}).`,
        replicas.length ? `Promote one of: ${replicas.join(', ')}.` : 'Add replicas with postgres/replicas in the spec first.',
      );
    }
    const engine = this.app.engine;
    const network = names.network(cluster);
    const oldPrimary = topo.primary;
    const others = replicas.filter((r) => r !== replica);
    const steps = [
      { id: 'check', label: `check ${replica} is a running standby` },
      { id: 'fence', label: `fence ${oldPrimary}: stop it and take it off the network (kept for inspection)` },
      { id: 'promote', label: `promote ${replica} and wait until it leaves recovery` },
      { id: 'alias', label: `${replica} answers as "postgres" on the cluster network` },
      { id: 'first-write', label: 'first committed write through "postgres"' },
      ...others.map((o) => ({ id: `follow:${o}`, label: `${o} follows ${replica}` })),
    ];
    return this.app.runOperation(cluster, 'promote', async () => {
      const info = await engine.inspect(this.container(cluster, replica));
      if (!info || info.State.Status !== 'running') {
        throw new ScaleDeckError('CONFLICT', `${replica} is not running (${info?.State.Status ?? 'no container'}); only a running replica can be promoted.`, `Start it with \`scaledeck up\` first.`);
      }
      return {
        planText: steps.map((s) => `  ~ ${s.label}`).join('\n'),
        steps,
        run: async (update) => this.runPromote({ cluster, replica, oldPrimary, others, network, topo }, update),
      };
    });
  }

  private async runPromote(
    ctx: { cluster: string; replica: string; oldPrimary: string; others: string[]; network: string; topo: DbTopology },
    update: (p: StepProgress) => void,
  ): Promise<OperationView['result']> {
    const { cluster, replica, oldPrimary, others, network } = ctx;
    const engine = this.app.engine;
    const step = async <T>(id: string, label: string, fn: () => Promise<T>, message?: (v: T) => string): Promise<T> => {
      const t = Date.now();
      update({ id, label, state: 'running' });
      try {
        const v = await fn();
        update({ id, label, state: 'done', ms: Date.now() - t, message: message?.(v) });
        return v;
      } catch (err) {
        update({ id, label, state: 'failed', ms: Date.now() - t, message: (err as Error).message });
        throw err;
      }
    };
    const target = this.container(cluster, replica);
    await step('check', `check ${replica} is a running standby`, async () => {
      const r = (await psql(engine, target, 'SELECT pg_is_in_recovery()')).trim();
      if (r !== 't') throw new ScaleDeckError('CONFLICT', `${replica} is not in recovery: it is not a standby.`);
    });
    const tFence = Date.now();
    await step('fence', `fence ${oldPrimary}: stop it and take it off the network (kept for inspection)`, async () => {
      const old = this.container(cluster, oldPrimary);
      await engine.stop(old);
      await engine.disconnectNetwork(network, old);
      // Recorded at once: from here on `up` leaves the old primary alone and treats the replica as primary.
      this.app.workspace.writeDbTopology(cluster, { primary: replica, fenced: [...new Set([...ctx.topo.fenced, oldPrimary])] });
    });
    const tPromote = Date.now();
    await step('promote', `promote ${replica} and wait until it leaves recovery`, async () => {
      await psql(engine, target, 'SELECT pg_promote(true, 60)', 70_000);
      await until(async () => (await psql(engine, target, 'SELECT pg_is_in_recovery()')).trim() === 'f', 60_000, `${replica} to leave recovery`);
    });
    await step('alias', `${replica} answers as "postgres" on the cluster network`, async () => {
      await engine.disconnectNetwork(network, target);
      await engine.connectNetwork(network, target, [replica, 'postgres']);
      // The other replicas stream from it through their own slots (slots are not copied to standbys).
      for (const o of others) {
        const slot = replicaSlot(replicaNumber(o)!);
        await psql(engine, target, `SELECT pg_create_physical_replication_slot('${slot}', true) WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '${slot}')`);
      }
    });
    const writeMs = await step(
      'first-write',
      'first committed write through "postgres"',
      async () => {
        // Through the network name the API nodes use, as they would reach it.
        const sql =
          'CREATE TABLE IF NOT EXISTS scaledeck_failover (at timestamptz NOT NULL DEFAULT now(), primary_service text NOT NULL); ' +
          `INSERT INTO scaledeck_failover (primary_service) VALUES ('${replica}')`;
        await until(
          async () => {
            const r = await engine.exec(target, ['sh', '-c', `PGPASSWORD="$POSTGRES_PASSWORD" psql -h postgres -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 -c "${sql}"`], 5000);
            return r.exitCode === 0;
          },
          30_000,
          'a write through "postgres" to succeed',
          100,
        );
        return Date.now() - tPromote;
      },
      (ms) => `${ms} ms after promote started`,
    );
    const downtimeMs = Date.now() - tFence;
    let rebuilt = 0;
    for (const o of others) {
      await step(`follow:${o}`, `${o} follows ${replica}`, async () => {
        const slot = replicaSlot(replicaNumber(o)!);
        try {
          await until(async () => (await psql(engine, target, `SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '${slot}' AND r.state = 'streaming'`)).trim() === '1', 30_000, `${o} to stream`);
          return 'streaming';
        } catch {
          // It could not follow (it had WAL the new primary never got): copy it afresh.
          await this.rebuildReplica(cluster, o);
          rebuilt++;
          return 'rebuilt from a fresh base backup';
        }
      }, (m) => m);
    }
    return { replica, fenced: oldPrimary, promoteToWriteMs: writeMs, writeDowntimeMs: downtimeMs, rebuiltReplicas: rebuilt };
  }

  /** Remove a replica's container and data, then let the normal plan recreate it (a fresh pg_basebackup). */
  private async rebuildReplica(cluster: string, service: string): Promise<void> {
    const engine = this.app.engine;
    await engine.stopAndRemove(this.container(cluster, service));
    await engine.removeVolume(names.volume(cluster, replicaVolume(replicaNumber(service)!)));
    const spec = this.app.storedSpec(cluster);
    const observed = await observe(engine, cluster, { readBalancerConf: false });
    const desired = this.app.desiredFor(spec, observed);
    const plan = planUp(desired, observed);
    const mine = plan.steps.filter((s) => ('service' in s && s.service === service) || (s.kind === 'create-volume' && s.name.endsWith(replicaVolume(replicaNumber(service)!))));
    await executePlan(engine, { cluster, steps: mine.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => mine.some((m) => m.id === d)) })) }, desired);
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 250): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
