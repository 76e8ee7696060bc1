/**
 * Counts events per key over a sliding window (Meta's throughput and pair-rate limits are both
 * "at most N in the last T"). Pure apart from the clock passed in.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Records one event and returns true when the key is under `limit`; records nothing and returns false otherwise. */
  tryAcquire(key: string, limit: number, now: number): boolean {
    const times = this.prune(key, now);
    if (times.length >= limit) return false;
    times.push(now);
    return true;
  }

  count(key: string, now: number): number {
    return this.prune(key, now).length;
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, now: number): number[] {
    let times = this.hits.get(key);
    if (!times) {
      times = [];
      this.hits.set(key, times);
    }
    let expired = 0;
    while (expired < times.length && times[expired] <= now - this.windowMs) expired += 1;
    if (expired > 0) times.splice(0, expired);
    return times;
  }
}
