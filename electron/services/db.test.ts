import { describe, expect, it } from 'vitest';
import { parsePrimaryRows } from './db.ts';

describe('parsePrimaryRows', () => {
  it('joins slots with their walsenders; idle lag reads as 0; a slot without a walsender has no replica figures', () => {
    const text = ['replica_1\tt\treserved\t4096\tstreaming\t172.18.0.4\t0\t', 'replica_2\tf\textended\t1048576\t\t\t\t', ''].join('\n');
    const { slots, bySlot } = parsePrimaryRows(text);
    expect(slots).toEqual([
      { name: 'replica_1', active: true, walStatus: 'reserved', retainedBytes: 4096 },
      { name: 'replica_2', active: false, walStatus: 'extended', retainedBytes: 1048576 },
    ]);
    expect(bySlot.get('replica_1')).toEqual({ state: 'streaming', clientAddr: '172.18.0.4', lagBytes: 0, replayLagS: 0 });
    expect(bySlot.has('replica_2')).toBe(false);
  });

  it('never reports a negative lag', () => {
    const { bySlot } = parsePrimaryRows('replica_1\tt\treserved\t0\tcatchup\t10.0.0.2\t-5\t-0.2\n');
    expect(bySlot.get('replica_1')).toMatchObject({ lagBytes: 0, replayLagS: 0 });
  });
});
