import { SharedLoads } from './shared-loads.js';

describe('SharedLoads', () => {
  it('shares a load in flight and keeps its value for the TTL', async () => {
    let t = 0;
    const cache = new SharedLoads<number>(1000, { now: () => t });
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    t = 999;
    expect(await cache.get('k', load)).toBe(1);
    t = 1000;
    expect(await cache.get('k', load)).toBe(2);
    cache.delete('k');
    expect(await cache.get('k', load)).toBe(3);
  });

  it('does not keep a failed load, nor a value it is told not to keep', async () => {
    const cache = new SharedLoads<number | null>(1000, { keep: (v) => v !== null });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve(null))).toBeNull();
    expect(await cache.get('k', () => Promise.resolve(7))).toBe(7);
    expect(await cache.get('k', () => Promise.resolve(8))).toBe(7);
  });

  it('drops the oldest entry past its size', async () => {
    const cache = new SharedLoads<string>(60_000, { maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, () => Promise.resolve(k));
    expect(await cache.get('a', () => Promise.resolve('a again'))).toBe('a again');
    expect(await cache.get('c', () => Promise.resolve('c again'))).toBe('c');
  });
});
