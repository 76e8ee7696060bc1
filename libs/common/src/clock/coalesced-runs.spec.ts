import { jest } from '@jest/globals';
import { CoalescedRuns } from './coalesced-runs.js';

describe('CoalescedRuns', () => {
  let now = 0;
  const errors: [string, unknown][] = [];
  const make = (windowMs = 250) => new CoalescedRuns(windowMs, (key, err) => errors.push([key, err]), { now: () => now });
  /** Work that notes its name when it runs. */
  const noting = (seen: string[], name: string) => (): Promise<void> => {
    seen.push(name);
    return Promise.resolve();
  };

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000;
    errors.length = 0;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Moves the fake clock and the timers together, and lets the runs they start settle. */
  const advance = async (ms: number) => {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('runs the first request at once, and its caller waits for it', async () => {
    const runs = make();
    const seen: string[] = [];
    await runs.run('a', noting(seen, 'first'));
    expect(seen).toEqual(['first']);
    expect(runs.waiting).toBe(0);
  });

  it('folds the requests within the window into one run at its end, with the latest work', async () => {
    const runs = make();
    const seen: string[] = [];
    await runs.run('a', noting(seen, 'first'));
    await advance(10);
    await runs.run('a', noting(seen, 'second'));
    await advance(100);
    await runs.run('a', noting(seen, 'third'));
    expect(seen).toEqual(['first']);
    expect(runs.waiting).toBe(1);
    // The window is counted from the first run's start: 250 ms after it, not after the last request.
    await advance(139);
    expect(seen).toEqual(['first']);
    await advance(1);
    expect(seen).toEqual(['first', 'third']);
    expect(runs.waiting).toBe(0);
  });

  it('never drops the last request, and runs at once again once the window has passed', async () => {
    const runs = make();
    const seen: string[] = [];
    const work = noting(seen, 'run');
    await runs.run('a', work);
    await advance(200);
    await runs.run('a', work);
    await advance(50);
    expect(seen).toHaveLength(2);
    // The deferred run started a window: a request right after it waits for that window's end.
    await runs.run('a', work);
    expect(seen).toHaveLength(2);
    await advance(250);
    expect(seen).toHaveLength(3);
    await advance(1_000);
    await runs.run('a', work);
    expect(seen).toHaveLength(4);
  });

  it('keeps keys apart', async () => {
    const runs = make();
    const seen: string[] = [];
    await runs.run('a', noting(seen, 'a'));
    await runs.run('b', noting(seen, 'b'));
    await runs.run('a', noting(seen, 'a2'));
    expect(seen).toEqual(['a', 'b']);
    await advance(250);
    expect(seen).toEqual(['a', 'b', 'a2']);
  });

  it("hands a deferred run's error to onError; the caller of a run at once gets its own", async () => {
    const runs = make();
    const boom = new Error('database unreachable');
    await expect(runs.run('a', () => Promise.reject(boom))).rejects.toBe(boom);
    await runs.run('a', () => Promise.reject(boom));
    await advance(250);
    expect(errors).toEqual([['a', boom]]);
  });

  it('flush runs what waits at once, and then nothing waits any more', async () => {
    const runs = make();
    const seen: string[] = [];
    const work = noting(seen, 'run');
    for (const key of ['a', 'a', 'b', 'b']) await runs.run(key, work);
    expect(seen).toHaveLength(2);
    await runs.flush();
    expect(seen).toHaveLength(4);
    await runs.run('a', work);
    expect(seen).toHaveLength(5);
    expect(runs.waiting).toBe(0);
  });
});
