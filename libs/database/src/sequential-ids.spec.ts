import { plannedAt } from './repositories/campaign.repository.js';
import { SequentialIds } from './sequential-ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('SequentialIds', () => {
  it('makes version-7 UUIDs that carry the time and follow each other', () => {
    const now = Date.UTC(2026, 11, 6, 23, 0, 0);
    const ids = new SequentialIds(now);
    const run = [1, 2, 3, 100_000].map((n) => ids.at(n));
    for (const id of run) expect(id).toMatch(UUID_V7);
    expect(parseInt(run[0].replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    expect([...run].sort()).toEqual(run);
    expect(new Set(run).size).toBe(run.length);
  });

  it('finds the row number of its own ids, and not of others', () => {
    const ids = new SequentialIds();
    expect(ids.indexOf(ids.at(1))).toBe(1);
    expect(ids.indexOf(ids.at(65_900).toUpperCase())).toBe(65_900);
    expect(ids.indexOf(new SequentialIds().at(1))).toBeNull();
  });

  it('never carries the counter past its 12 hex digits, even from the highest start', () => {
    const ids = new SequentialIds(Date.now(), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(ids.start).toBeLessThan(2 ** 47);
    expect(ids.at(10_000_000)).toMatch(UUID_V7);
    expect(ids.at(10_000_000) > ids.at(1)).toBe(true);
  });

  it('writes the counter as 12 hex digits, as the SQL lpad(to_hex(start + n)) does', () => {
    for (const bytes of [Buffer.alloc(10), Buffer.alloc(10, 0xff), Buffer.from('0123456789abcdef0123', 'hex')]) {
      const ids = new SequentialIds(Date.now(), bytes);
      for (const n of [1, 2, 0xfff, 0x1000, 0xffffff, 0x1000000, 65_900, 10_000_000]) {
        expect(ids.at(n)).toBe(`${ids.prefix}${(ids.start + n).toString(16).padStart(12, '0')}`);
        expect(ids.indexOf(ids.at(n))).toBe(n);
      }
    }
  });

  it('runs started in the same millisecond differ', () => {
    const now = Date.now();
    const prefixes = new Set(Array.from({ length: 1000 }, () => new SequentialIds(now)).map((r) => `${r.prefix}${r.start}`));
    expect(prefixes.size).toBe(1000);
  });
});

describe('plannedAt', () => {
  const start = new Date('2026-12-07T09:00:00Z');

  it('spaces the rows one interval apart from the start', () => {
    expect(plannedAt({ start, intervalMs: 12.5, immediate: null }, 1)).toEqual({ time: start, deferred: false });
    expect(plannedAt({ start, intervalMs: 12.5, immediate: null }, 81).time.getTime()).toBe(start.getTime() + 1000);
  });

  it('moves the rows past a capacity split to the next day, starting again from its first slot', () => {
    expect(plannedAt({ start, intervalMs: 10, immediate: 250 }, 250)).toEqual({ time: new Date(start.getTime() + 2490), deferred: false });
    expect(plannedAt({ start, intervalMs: 10, immediate: 250 }, 251)).toEqual({ time: new Date(start.getTime() + 24 * 3600_000), deferred: true });
  });
});
