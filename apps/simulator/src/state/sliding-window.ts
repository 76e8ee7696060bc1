/**
 * Counts events per key over a sliding window (Meta's throughput and pair-rate limits are both
 * "at most N in the last T"). Pure apart from the clock passed in.
 *
 * Each key's times are a queue read from `head`: expired times are skipped by moving the head and
 * dropped only once they are half the array. Dropping them with `splice` on every event moved the
 * whole window (up to 10,000 times at 10,000 msg/s) once per message.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, { times: number[]; head: number }>();

  constructor(private readonly windowMs: number) {}

  /** Records one event and returns true when the key is under `limit`; records nothing and returns false otherwise. */
  tryAcquire(key: string, limit: number, now: number): boolean {
    const q = this.prune(key, now);
    if (q.times.length - q.head >= limit) return false;
    q.times.push(now);
    return true;
  }

  count(key: string, now: number): number {
    const q = this.prune(key, now);
    return q.times.length - q.head;
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, now: number): { times: number[]; head: number } {
    let q = this.hits.get(key);
    if (!q) {
      q = { times: [], head: 0 };
      this.hits.set(key, q);
    }
    const { times } = q;
    while (q.head < times.length && times[q.head] <= now - this.windowMs) q.head += 1;
    if (q.head === times.length) {
      times.length = 0;
      q.head = 0;
    } else if (q.head > 64 && q.head * 2 >= times.length) {
      times.splice(0, q.head);
      q.head = 0;
    }
    return q;
  }
}
