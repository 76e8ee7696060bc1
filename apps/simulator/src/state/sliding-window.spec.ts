import { SlidingWindowCounter } from './sliding-window.js';

describe('SlidingWindowCounter', () => {
  it('allows up to the limit within the window, then frees slots as they age out', () => {
    const counter = new SlidingWindowCounter(1_000);
    expect([0, 100, 200].map((t) => counter.tryAcquire('n', 3, t))).toEqual([true, true, true]);
    expect(counter.tryAcquire('n', 3, 999)).toBe(false);
    expect(counter.tryAcquire('n', 3, 1_000)).toBe(true);
    expect(counter.count('n', 1_000)).toBe(3);
  });

  it('does not count refused attempts and keeps keys apart', () => {
    const counter = new SlidingWindowCounter(6_000);
    expect(counter.tryAcquire('a', 1, 0)).toBe(true);
    expect(counter.tryAcquire('a', 1, 10)).toBe(false);
    expect(counter.tryAcquire('b', 1, 10)).toBe(true);
    expect(counter.count('a', 10)).toBe(1);
  });
});
