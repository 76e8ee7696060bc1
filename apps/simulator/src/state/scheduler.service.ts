import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Every timer of the simulator (status webhooks, retries, held responses, latency) goes through
 * here, so a reset or shutdown cancels all of them at once and nothing outlives the app.
 */
@Injectable()
export class SchedulerService implements OnModuleDestroy {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private epoch = 0;

  /** Bumped by every cancelAll(): work started in an earlier epoch stops at its next step. */
  get generation(): number {
    return this.epoch;
  }

  /** Resolves true after `ms`, or false as soon as the simulator resets, shuts down or `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(timer);
          signal?.removeEventListener('abort', cancel);
          resolve(true);
        },
        Math.max(0, ms),
      );
      const cancel = (): void => {
        clearTimeout(timer);
        this.pending.delete(timer);
        resolve(false);
      };
      this.pending.set(timer, cancel);
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Runs `task` after `ms` unless cancelled first (or already, when `epoch` is past); the task handles its own errors. */
  later(ms: number, task: () => Promise<void>, epoch = this.epoch): void {
    if (epoch !== this.epoch) return;
    void this.sleep(ms).then((elapsed) => (elapsed && epoch === this.epoch ? task() : undefined));
  }

  cancelAll(): void {
    this.epoch += 1;
    for (const cancel of [...this.pending.values()]) cancel();
  }

  /** Runs before the HTTP server closes, so held responses end instead of keeping it open. */
  onModuleDestroy(): void {
    this.cancelAll();
  }
}
