/**
 * A short-lived cache of values loaded asynchronously, in which a load in flight is shared: the
 * fifty batches a campaign starts with ask for the same campaign or number at the same moment, and
 * one load serves them all. A load that fails, or whose value `keep` refuses, is not kept, so the
 * next caller loads again. Oldest entries go first past `maxEntries`.
 */
export class SharedLoads<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly options: { maxEntries?: number; keep?: (value: T) => boolean; now?: () => number } = {},
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.options.now?.() ?? Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const entry = { at: now, value: load() };
    this.entries.set(key, entry);
    const forget = (): void => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((v) => {
      if (this.options.keep && !this.options.keep(v)) forget();
    }, forget);
    if (this.entries.size > (this.options.maxEntries ?? 1000)) this.entries.delete(this.entries.keys().next().value!);
    return entry.value;
  }

  /** Forgets a key (the value changed): the next caller loads it again. */
  delete(key: string): void {
    this.entries.delete(key);
  }
}
