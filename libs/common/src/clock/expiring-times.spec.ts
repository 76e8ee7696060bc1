import { ExpiringTimes } from './expiring-times.js';

describe('ExpiringTimes', () => {
  it('counts the times younger than the window and expires each exactly a window later', () => {
    const times = new ExpiringTimes(1_000);
    times.push(0);
    times.push(400);
    expect(times.countAt(999)).toBe(2);
    expect(times.nextExpiry).toBe(1_000);
    expect(times.countAt(1_000)).toBe(1);
    expect(times.nextExpiry).toBe(1_400);
    expect(times.countAt(1_400)).toBe(0);
  });

  it('keeps times in order: one pushed older than the latest counts as the latest', () => {
    const times = new ExpiringTimes(1_000);
    times.push(500);
    times.push(200);
    expect(times.countAt(1_200)).toBe(2);
    expect(times.countAt(1_500)).toBe(0);
  });

  it('stays exact over a long run while it compacts (memory bounded by the window)', () => {
    const times = new ExpiringTimes(100);
    for (let t = 0; t < 100_000; t += 1) {
      times.push(t);
      expect(times.countAt(t)).toBe(Math.min(t + 1, 100));
    }
  });
});
