/**
 * Times in ascending order that expire once they are `windowMs` old: the queue behind "at most N in
 * the last T" counts (Meta's throughput and pair-rate limits, and the sends a worker lets out).
 *
 * Read from `head`: expired times are skipped by moving the head and dropped only once they are half
 * the array. Dropping them with `splice` on every event moved the whole window (up to 10,000 times
 * at 10,000 msg/s) once per message.
 */
export class ExpiringTimes {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  /** How many times are younger than `windowMs` at `now`; drops the others. */
  countAt(now: number): number {
    const { times } = this;
    while (this.head < times.length && times[this.head] <= now - this.windowMs) this.head += 1;
    if (this.head === times.length) {
      times.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 >= times.length) {
      times.splice(0, this.head);
      this.head = 0;
    }
    return times.length - this.head;
  }

  /** When the oldest time kept expires (only meaningful while {@link countAt} is above zero). */
  get nextExpiry(): number {
    return this.times[this.head] + this.windowMs;
  }

  /** Adds `at`, or the latest time kept when `at` is older: a time is never counted shorter than the ones before it. */
  push(at: number): void {
    const { times } = this;
    times.push(times.length > this.head ? Math.max(at, times[times.length - 1]) : at);
  }
}
