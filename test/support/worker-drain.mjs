// Run by test/integration/worker.int-spec.ts as a separate Node process, on the built code: it
// boots the worker, slows the purge handler so a job is certainly in progress, closes the context
// as SIGTERM does, and prints what it observed as JSON. Outside jest's sandbox, so a stray promise
// rejection during the shutdown is counted rather than attributed to whichever test runs next.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bull';
import Bull from 'bull';

const root = new URL('../../', import.meta.url);
const { loadAppConfig } = await import(new URL('dist/libs/common/src/index.js', root));
const { RefreshTokenRepository } = await import(new URL('dist/libs/database/src/index.js', root));
const { WorkerModule } = await import(new URL('dist/apps/worker/src/worker.module.js', root));

let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

const config = loadAppConfig();
const boot = async () => {
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { scheduleRecurring: false }), { logger: false });
  await ctx.init();
  return ctx;
};

const app = await boot();
const repo = app.get(RefreshTokenRepository);
const original = repo.deleteExpired.bind(repo);
let started;
const running = new Promise((r) => (started = r));
let handlerFinished = false;
repo.deleteExpired = async (before) => {
  started();
  await new Promise((r) => setTimeout(r, 500));
  const deleted = await original(before);
  handlerFinished = true;
  return deleted;
};
const job = await app.get(getQueueToken('maintenance')).add('purge-expired-refresh-tokens', { graceDays: 7 });
await running;
await app.close();
const finishedBeforeClose = handlerFinished;

// A bare queue (no processor) reads the job's state back from Redis.
const check = new Bull('maintenance', config.redis.url, { prefix: config.redis.keyPrefix });
const state = await (await check.getJob(job.id)).getState();
await check.close();
process.stdout.write(JSON.stringify({ finishedBeforeClose, state, unhandled }) + '\n');
