/**
 * A short-lived cache of values loaded asynchronously, in which a load in flight is shared: the
 * fifty batches a campaign starts with ask for the same campaign or number at the same moment, and
 * one load serves them all. A load that fails, or whose value `keep` refuses, is not kept, so the
 * next caller loads again. Oldest entries go first past `maxEntries`.
 *
 * With `staleMs`, a value past its TTL is still served for up to that much longer while one
 * caller's reload runs in the background: every batch of a campaign sending at 1,000 msg/s asks
 * for its context, and a reload that made them all wait (behind the claims queued for
 * PostgreSQL's pool, 400 ms on a busy machine) stalled the number each time the TTL ran out. A
 * value is thus at most TTL plus one reload old while it is in use; `delete` still forgets it at once.
 */
export class SharedLoads<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly options: { maxEntries?: number; keep?: (value: T) => boolean; now?: () => number; staleMs?: number } = {},
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (hit?.loaded && now - hit.at < this.ttlMs + (this.options.staleMs ?? 0)) {
      if (!hit.reloading) this.reload(key, hit, load);
      return hit.value;
    }
    return this.store(key, now, load());
  }

  /** Forgets a key (the value changed): the next caller loads it again. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private store(key: string, at: number, value: Promise<T>): Promise<T> {
    const entry: Entry<T> = { at, value, loaded: false, reloading: false };
    this.entries.set(key, entry);
    const forget = (): void => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    value.then((v) => {
      if (this.options.keep && !this.options.keep(v)) forget();
      else entry.loaded = true;
    }, forget);
    if (this.entries.size > (this.options.maxEntries ?? 1000)) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** Loads a stale entry's value again; it is replaced only once the load succeeds (a failure leaves it, and the next caller tries again). */
  private reload(key: string, stale: Entry<T>, load: () => Promise<T>): void {
    stale.reloading = true;
    let fresh: Promise<T>;
    try {
      fresh = load();
    } catch (err) {
      // A load that throws instead of rejecting fails the reload the same way.
      fresh = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    fresh.then(
      (v) => {
        if (this.entries.get(key) !== stale) return; // deleted or replaced meanwhile
        if (this.options.keep && !this.options.keep(v)) this.entries.delete(key);
        else this.entries.set(key, { at: this.now(), value: Promise.resolve(v), loaded: true, reloading: false });
      },
      () => {
        stale.reloading = false;
      },
    );
  }
}

interface Entry<T> {
  at: number;
  value: Promise<T>;
  /** The value resolved and was kept: it may be served stale. */
  loaded: boolean;
  /** A reload of a stale value is in flight. */
  reloading: boolean;
}
