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

describe('SharedLoads with staleMs', () => {
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('serves a stale value while one reload runs, then the reloaded one', async () => {
    let t = 0;
    const cache = new SharedLoads<string>(1000, { now: () => t, staleMs: 5000 });
    expect(await cache.get('k', () => Promise.resolve('old'))).toBe('old');
    t = 1500;
    const reload = deferred<string>();
    let loads = 0;
    const load = () => {
      loads++;
      return reload.promise;
    };
    // Past the TTL: the old value at once, and only one reload however many callers ask.
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual(['old', 'old']);
    expect(loads).toBe(1);
    reload.resolve('new');
    await reload.promise;
    await Promise.resolve();
    expect(await cache.get('k', () => Promise.resolve('unused'))).toBe('new');
    // The reloaded value's TTL counts from when it arrived.
    t = 2400;
    expect(await cache.get('k', () => Promise.resolve('unused'))).toBe('new');
  });

  it('keeps the stale value when a reload fails, and tries again on the next call', async () => {
    let t = 0;
    const cache = new SharedLoads<string>(1000, { now: () => t, staleMs: 5000 });
    await cache.get('k', () => Promise.resolve('old'));
    t = 2000;
    const failing = deferred<string>();
    expect(await cache.get('k', () => failing.promise)).toBe('old');
    failing.reject(new Error('down'));
    await failing.promise.catch(() => undefined);
    await Promise.resolve();
    let loads = 0;
    expect(
      await cache.get('k', () => {
        loads++;
        return Promise.resolve('new');
      }),
    ).toBe('old');
    expect(loads).toBe(1);
    await Promise.resolve();
    await Promise.resolve();
    expect(await cache.get('k', () => Promise.resolve('unused'))).toBe('new');
  });

  it('waits for a fresh load past TTL plus staleMs, after delete, and when the reload is not to be kept', async () => {
    let t = 0;
    const cache = new SharedLoads<string | null>(1000, { now: () => t, staleMs: 5000, keep: (v) => v !== null });
    await cache.get('k', () => Promise.resolve('old'));
    t = 6000;
    expect(await cache.get('k', () => Promise.resolve('fresh'))).toBe('fresh');
    cache.delete('k');
    expect(await cache.get('k', () => Promise.resolve('after delete'))).toBe('after delete');
    t = 7500;
    // The number was deleted: the stale value goes once the reload says so.
    expect(await cache.get('k', () => Promise.resolve(null))).toBe('after delete');
    await Promise.resolve();
    await Promise.resolve();
    expect(await cache.get('k', () => Promise.resolve('loaded again'))).toBe('loaded again');
  });

  it('does not serve a value still loading as stale: callers share that load', async () => {
    let t = 0;
    const cache = new SharedLoads<string>(1000, { now: () => t, staleMs: 5000 });
    const slow = deferred<string>();
    const first = cache.get('k', () => slow.promise);
    t = 1500;
    // The first load took longer than the TTL and has not resolved: a new load, as without staleMs.
    expect(await cache.get('k', () => Promise.resolve('second'))).toBe('second');
    slow.resolve('first');
    expect(await first).toBe('first');
  });
});
