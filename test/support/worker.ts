import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '#common';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';

/** The real worker (every processor) in this process, on the same Redis prefix as the test's api. */
export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { scheduleRecurring: false }), { logger: false });
  await ctx.init();
  return ctx;
}

/** Polls until probe returns something truthy (a row, true, a non-zero count), or fails after timeoutMs. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false | 0>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false && value !== 0) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
