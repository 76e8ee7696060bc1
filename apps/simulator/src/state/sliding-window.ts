import { ExpiringTimes } from '#common';

/**
 * Counts events per key over a sliding window (Meta's throughput and pair-rate limits are both
 * "at most N in the last T"). Pure apart from the clock passed in.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, ExpiringTimes>();

  constructor(private readonly windowMs: number) {}

  /** Records one event and returns true when the key is under `limit`; records nothing and returns false otherwise. */
  tryAcquire(key: string, limit: number, now: number): boolean {
    const times = this.timesOf(key);
    if (times.countAt(now) >= limit) return false;
    times.push(now);
    return true;
  }

  count(key: string, now: number): number {
    return this.timesOf(key).countAt(now);
  }

  clear(): void {
    this.hits.clear();
  }

  private timesOf(key: string): ExpiringTimes {
    let times = this.hits.get(key);
    if (!times) {
      times = new ExpiringTimes(this.windowMs);
      this.hits.set(key, times);
    }
    return times;
  }
}
