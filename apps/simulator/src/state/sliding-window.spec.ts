import { SlidingWindowCounter } from './sliding-window.js';

describe('SlidingWindowCounter', () => {
  it('allows up to the limit within the window, then frees slots as they age out', () => {
    const counter = new SlidingWindowCounter(1_000);
    expect([0, 100, 200].map((t) => counter.tryAcquire('n', 3, t))).toEqual([true, true, true]);
    expect(counter.tryAcquire('n', 3, 999)).toBe(false);
    expect(counter.tryAcquire('n', 3, 1_000)).toBe(true);
    expect(counter.count('n', 1_000)).toBe(3);
  });

  it('records events that are never refused but count against the limit', () => {
    const counter = new SlidingWindowCounter(1_000);
    for (let i = 0; i < 4; i += 1) counter.record('n', i);
    expect(counter.count('n', 10)).toBe(4);
    expect(counter.tryAcquire('n', 5, 10)).toBe(true);
    expect(counter.tryAcquire('n', 5, 11)).toBe(false);
    counter.record('n', 12);
    expect(counter.count('n', 12)).toBe(6);
  });

  it('does not count refused attempts and keeps keys apart', () => {
    const counter = new SlidingWindowCounter(6_000);
    expect(counter.tryAcquire('a', 1, 0)).toBe(true);
    expect(counter.tryAcquire('a', 1, 10)).toBe(false);
    expect(counter.tryAcquire('b', 1, 10)).toBe(true);
    expect(counter.count('a', 10)).toBe(1);
  });
});

describe('SlidingWindowCounter over long runs', () => {
  it('keeps counting right while the expired times are dropped in blocks', () => {
    const counter = new SlidingWindowCounter(1_000);
    // 10 events per ms for 5 s at a limit of 10,000 per second: every one fits, and the count is the window's.
    let refused = 0;
    for (let t = 0; t < 5_000; t++) {
      for (let k = 0; k < 10; k++) if (!counter.tryAcquire('n', 10_000, t)) refused++;
      if (t >= 1_000) expect(counter.count('n', t)).toBe(10_000);
    }
    expect(refused).toBe(0);
    // One more in the same millisecond is over the limit; a millisecond later one slot has aged out.
    expect(counter.tryAcquire('n', 10_000, 4_999)).toBe(false);
    expect(counter.tryAcquire('n', 10_000, 5_000)).toBe(true);
    expect(counter.count('n', 10_000)).toBe(0);
  });
});

describe('SlidingWindowCounter keys', () => {
  it('forgets keys with nothing in the window, so one key per recipient does not pile up', () => {
    const counter = new SlidingWindowCounter(6_000);
    // A campaign: every message to a new recipient, 100 a second for a minute.
    for (let i = 0; i < 6_000; i++) expect(counter.tryAcquire(`n:${i}`, 45, i * 10)).toBe(true);
    expect(counter.keys).toBeLessThanOrEqual(2 * 600 + 1);
    // A key still in its window keeps its count through a sweep.
    expect(counter.tryAcquire('n:5999', 1, 60_000)).toBe(false);
    expect(counter.count('n:5999', 60_000)).toBe(1);
  });
});
