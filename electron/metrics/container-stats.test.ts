import { describe, expect, it } from 'vitest';
import { containerFigures, cpuPercent, memoryLimit, memoryUsed, type StatsSample } from './container-stats.ts';

describe('memoryUsed (as docker stats)', () => {
  it('cgroup v1: usage minus total_inactive_file', () => {
    expect(memoryUsed({ usage: 6918144, limit: 25276502016, stats: { total_inactive_file: 49152, inactive_file: 49152, cache: 3190784 } })).toBe(6918144 - 49152);
  });
  it('cgroup v2: usage minus inactive_file', () => {
    expect(memoryUsed({ usage: 10_000_000, stats: { inactive_file: 2_500_000, active_file: 1 } })).toBe(7_500_000);
  });
  it('keeps usage when the inactive file figure is not smaller', () => {
    expect(memoryUsed({ usage: 1000, stats: { total_inactive_file: 5000 } })).toBe(1000);
    expect(memoryUsed({ usage: 1000, stats: {} })).toBe(1000);
    expect(memoryUsed({ usage: 1000 })).toBe(1000);
  });
  it('null without usage', () => {
    expect(memoryUsed({})).toBeNull();
    expect(memoryUsed(undefined)).toBeNull();
  });
});

describe('memoryLimit', () => {
  it('uses the container limit; caps by host memory; host memory when none', () => {
    expect(memoryLimit({ limit: 512 * 2 ** 20 }, 8 * 2 ** 30)).toBe(512 * 2 ** 20);
    expect(memoryLimit({ limit: 2 ** 63 }, 8 * 2 ** 30)).toBe(8 * 2 ** 30);
    expect(memoryLimit({ limit: 0 }, 4096)).toBe(4096);
    expect(memoryLimit({ limit: 16 * 2 ** 30 }, 8 * 2 ** 30)).toBe(8 * 2 ** 30);
    expect(memoryLimit({}, undefined)).toBeNull();
  });
});

describe('cpuPercent', () => {
  it('container delta over system delta times online CPUs', () => {
    const prev = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000, online_cpus: 2 };
    const cur = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 102_000_000_000, online_cpus: 2 };
    // 0.5 s of CPU over 1 s wall (2 s of host CPU time on 2 CPUs) = 50 %
    expect(cpuPercent(cur, prev)).toBeCloseTo(50, 10);
  });
  it('falls back to percpu length for online CPUs', () => {
    expect(cpuPercent({ cpu_usage: { total_usage: 2e9, percpu_usage: [1, 1, 1, 1] }, system_cpu_usage: 4e9 }, { cpu_usage: { total_usage: 0 }, system_cpu_usage: 1 })).toBeCloseTo(200, 3);
  });
  it('null without a previous reading or without progress', () => {
    expect(cpuPercent({ cpu_usage: { total_usage: 5 }, system_cpu_usage: 10 }, { cpu_usage: {}, system_cpu_usage: 0 })).toBeNull();
    expect(cpuPercent({ cpu_usage: { total_usage: 5 }, system_cpu_usage: 10 }, { cpu_usage: { total_usage: 4 }, system_cpu_usage: 10 })).toBeNull();
  });
});

describe('containerFigures', () => {
  const sample = (read: string, cpu: number, sys: number, rx: number, tx: number, pre?: [number, number]): StatsSample => ({
    read,
    cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: sys, online_cpus: 2 },
    precpu_stats: pre ? { cpu_usage: { total_usage: pre[0] }, system_cpu_usage: pre[1], online_cpus: 2 } : { cpu_usage: { total_usage: 0 } },
    memory_stats: { usage: 100 * 2 ** 20, limit: 200 * 2 ** 20, stats: { total_inactive_file: 20 * 2 ** 20 } },
    networks: { eth0: { rx_bytes: rx, tx_bytes: tx }, eth1: { rx_bytes: rx, tx_bytes: 0 } },
  });
  it('computes CPU from precpu for a first sample, memory %, no rates yet', () => {
    const f = containerFigures(sample('2026-01-01T00:00:01Z', 3e9, 20e9, 100, 50, [2e9, 18e9]), null)!;
    expect(f.cpuPct).toBeCloseTo(100, 6);
    expect(f.memBytes).toBe(80 * 2 ** 20);
    expect(f.memPct).toBeCloseTo(40, 6);
    expect(f.rxBps).toBeUndefined();
  });
  it('computes CPU and network rates against the previous kept sample (several seconds back)', () => {
    const a = sample('2026-01-01T00:00:00Z', 1e9, 10e9, 1000, 500);
    const b = sample('2026-01-01T00:00:04Z', 2e9, 18e9, 5000, 4500, [1.9e9, 16e9]);
    const f = containerFigures(b, a)!;
    expect(f.cpuPct).toBeCloseTo(25, 6); // 1 s CPU over 4 s
    expect(f.rxBps).toBe((2 * 4000) / 4);
    expect(f.txBps).toBe(4000 / 4);
  });
  it('null for a stopped container (zero read time)', () => {
    expect(containerFigures({ read: '0001-01-01T00:00:00Z' }, null)).toBeNull();
  });
  it('skips network rates when counters went backwards (restart)', () => {
    const a = sample('2026-01-01T00:00:00Z', 1e9, 10e9, 9000, 9000);
    const b = sample('2026-01-01T00:00:01Z', 2e9, 12e9, 10, 10);
    expect(containerFigures(b, a)!.rxBps).toBeUndefined();
  });
});
