/**
 * Container CPU, memory and network from the engine's stats samples, computed the way the docker
 * CLI's `docker stats` does (cli/command/container/stats_helpers.go), for Linux engines.
 */

/** The parts of a /containers/{id}/stats sample we read (cgroup v1 and v2). */
export interface StatsSample {
  read?: string;
  preread?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** Docker sends zero times (`0001-01-01T00:00:00Z`) for a container that is not running. */
export function sampleTime(s: StatsSample): number | null {
  if (!s.read || s.read.startsWith('0001-')) return null;
  const t = Date.parse(s.read);
  return Number.isFinite(t) ? t : null;
}

/**
 * CPU % between two cpu_stats readings: container CPU time delta over host CPU time delta, times the
 * number of online CPUs (100 % = one core, like `docker stats`). Null when it cannot be computed.
 */
export function cpuPercent(cur: CpuStats | undefined, prev: CpuStats | undefined): number | null {
  const cu = cur?.cpu_usage?.total_usage;
  const pu = prev?.cpu_usage?.total_usage;
  const cs = cur?.system_cpu_usage;
  const ps = prev?.system_cpu_usage;
  if (cu === undefined || pu === undefined || cs === undefined || ps === undefined || !ps) return null;
  const cpuDelta = cu - pu;
  const sysDelta = cs - ps;
  if (sysDelta <= 0 || cpuDelta < 0) return null;
  const online = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  return (cpuDelta / sysDelta) * online * 100;
}

/**
 * Memory in use as `docker stats` shows it: usage minus the inactive file cache, which the kernel
 * can drop at once (cgroup v1: `total_inactive_file`, v2: `inactive_file`), when smaller than usage.
 */
export function memoryUsed(mem: StatsSample['memory_stats']): number | null {
  const usage = mem?.usage;
  if (usage === undefined) return null;
  const stats = mem?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

/** Docker reports host memory as the limit when none is set; absurd values mean "no limit". */
export function memoryLimit(mem: StatsSample['memory_stats'], hostMemBytes?: number): number | null {
  const limit = mem?.limit;
  if (limit && limit > 0 && limit < 2 ** 60) {
    return hostMemBytes && limit > hostMemBytes ? hostMemBytes : limit;
  }
  return hostMemBytes ?? null;
}

export function networkTotals(s: StatsSample): { rx: number; tx: number } | null {
  if (!s.networks) return null;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks)) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return { rx, tx };
}

export interface ContainerFigures {
  t: number;
  cpuPct?: number;
  memBytes?: number;
  memLimitBytes?: number;
  memPct?: number;
  rxBps?: number;
  txBps?: number;
}

/**
 * Figures for one sample. CPU and network rates are taken against `prev` (the previous sample the
 * collector kept; it may be several engine samples back when the collector runs slower than the
 * engine), else against the sample's own precpu_stats. Null for a not-running container.
 */
export function containerFigures(cur: StatsSample, prev: StatsSample | null, hostMemBytes?: number): ContainerFigures | null {
  const t = sampleTime(cur);
  if (t === null) return null;
  const out: ContainerFigures = { t };
  const prevT = prev ? sampleTime(prev) : null;
  const cpu = prev && prevT !== null && prevT < t ? cpuPercent(cur.cpu_stats, prev.cpu_stats) : cpuPercent(cur.cpu_stats, cur.precpu_stats);
  if (cpu !== null) out.cpuPct = cpu;
  const used = memoryUsed(cur.memory_stats);
  if (used !== null) {
    out.memBytes = used;
    const limit = memoryLimit(cur.memory_stats, hostMemBytes);
    if (limit) {
      out.memLimitBytes = limit;
      out.memPct = (used / limit) * 100;
    }
  }
  if (prev && prevT !== null && prevT < t) {
    const a = networkTotals(prev);
    const b = networkTotals(cur);
    const dt = (t - prevT) / 1000;
    if (a && b && b.rx >= a.rx && b.tx >= a.tx) {
      out.rxBps = (b.rx - a.rx) / dt;
      out.txBps = (b.tx - a.tx) / dt;
    }
  }
  return out;
}
