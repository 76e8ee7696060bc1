import { ExpiringTimes } from '#common';

/**
 * Counts events per key over a sliding window (Meta's throughput and pair-rate limits are both
 * "at most N in the last T"). Pure apart from the clock passed in.
 *
 * Keys with nothing left in the window are forgotten once a window: the pair rate has a key per
 * recipient, and a campaign writes to a new recipient with nearly every message.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, ExpiringTimes>();
  private nextSweep = -Infinity;

  constructor(private readonly windowMs: number) {}

  /** Records one event and returns true when the key is under `limit`; records nothing and returns false otherwise. */
  tryAcquire(key: string, limit: number, now: number): boolean {
    const times = this.timesOf(key, now);
    if (times.countAt(now) >= limit) return false;
    times.push(now);
    return true;
  }

  /** Records one event whatever the count (one that is never refused, but counts). */
  record(key: string, now: number): void {
    this.timesOf(key, now).push(now);
  }

  count(key: string, now: number): number {
    return this.hits.get(key)?.countAt(now) ?? 0;
  }

  /** How many keys are held (the ones with events in the last window or two). */
  get keys(): number {
    return this.hits.size;
  }

  clear(): void {
    this.hits.clear();
    this.nextSweep = -Infinity;
  }

  private timesOf(key: string, now: number): ExpiringTimes {
    this.sweep(now);
    let times = this.hits.get(key);
    if (!times) {
      times = new ExpiringTimes(this.windowMs);
      this.hits.set(key, times);
    }
    return times;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, times] of this.hits) if (times.countAt(now) === 0) this.hits.delete(key);
  }
}
