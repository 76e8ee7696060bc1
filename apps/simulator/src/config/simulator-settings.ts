/** Runtime settings of one simulator app (from the environment in main.ts, from options in tests). */
export class SimulatorSettings {
  /** Base of media download URLs; null until known when the app was created without one (port 0). */
  publicUrl: string | null;
  statusDelayMs: number;
  /** Waits between webhook delivery attempts after a failure; Meta retries soon, then less often. */
  webhookRetryDelaysMs: number[];
  /** How long one webhook POST may take before it counts as failed. */
  webhookTimeoutMs: number;

  constructor(init: { publicUrl?: string | null; statusDelayMs?: number; webhookRetryDelaysMs?: number[]; webhookTimeoutMs?: number }) {
    this.publicUrl = init.publicUrl?.replace(/\/+$/, '') ?? null;
    this.statusDelayMs = init.statusDelayMs ?? 200;
    this.webhookRetryDelaysMs = init.webhookRetryDelaysMs ?? [1_000, 5_000, 30_000, 120_000];
    this.webhookTimeoutMs = init.webhookTimeoutMs ?? 10_000;
  }

  get baseUrl(): string {
    return this.publicUrl ?? 'http://localhost:3100';
  }
}
