/**
 * Runs a keyed piece of work at most once per `windowMs`, and never drops the last request: the
 * first request for a key runs at once (its caller awaits it); requests within the window after a
 * run start share one run at the window's end, which thus starts after each of them was made. For
 * checks whose answer depends only on what was committed before they start (is the campaign done?):
 * a batch of a campaign sending at 5,000 msg/s ends fifty times a second, and one check a quarter
 * of a second answers the last batch as surely as fifty.
 *
 * A deferred run's error goes to `onError`. `flush` runs every deferred run now and turns the
 * window off, for a process that is shutting down.
 */
export class CoalescedRuns {
  private readonly lastStart = new Map<string, number>();
  private readonly deferred = new Map<string, { timer: NodeJS.Timeout; work: () => Promise<void> }>();
  private closing = false;

  constructor(
    private readonly windowMs: number,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly options: { maxKeys?: number; now?: () => number } = {},
  ) {}

  /** Runs `work` now, or once at the end of the key's window (the latest `work` given). */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const pending = this.deferred.get(key);
    if (pending) {
      pending.work = work;
      return Promise.resolve();
    }
    const now = this.now();
    const last = this.lastStart.get(key);
    if (this.closing || last === undefined || now - last >= this.windowMs) return this.start(key, work, now);
    const timer = setTimeout(() => void this.runDeferred(key), last + this.windowMs - now);
    // A waiting run does not keep a process alive by itself; one that shuts down calls flush().
    timer.unref();
    this.deferred.set(key, { timer, work });
    return Promise.resolve();
  }

  /** Runs every deferred run now and waits for them; from then on every request runs at once. */
  async flush(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.deferred.keys()].map((key) => this.runDeferred(key)));
  }

  /** How many runs wait for the end of their window. */
  get waiting(): number {
    return this.deferred.size;
  }

  private start(key: string, work: () => Promise<void>, now: number): Promise<void> {
    this.lastStart.delete(key);
    this.lastStart.set(key, now);
    const max = this.options.maxKeys ?? 10_000;
    if (this.lastStart.size > max) {
      // Forgetting a key only lets its next request run at once.
      const oldest = this.lastStart.keys().next().value;
      if (oldest !== undefined) this.lastStart.delete(oldest);
    }
    return work();
  }

  private async runDeferred(key: string): Promise<void> {
    const pending = this.deferred.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.deferred.delete(key);
    try {
      await this.start(key, pending.work, this.now());
    } catch (err) {
      this.onError(key, err);
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
