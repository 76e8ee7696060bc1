import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getQueueToken } from '@nestjs/bull';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bull';
import { newId } from '#common';
import { MaintenanceJob, QueueName } from '#queue';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { migrateTestDatabase, ownerClient } from '../support/database.js';
import { testConfig } from '../support/test-config.js';
import { uniq } from '../support/factories.js';

describe('worker', () => {
  const configEnv = { REDIS_KEY_PREFIX: `{araldo-test-worker-${uniq()}}` };
  const config = testConfig(configEnv);
  let app: INestApplicationContext;

  beforeAll(async () => {
    await migrateTestDatabase(config);
  });

  async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function boot(): Promise<INestApplicationContext> {
    const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { scheduleRecurring: false }), { logger: false });
    await ctx.init();
    return ctx;
  }

  async function expiredTokenOfNewOperator(): Promise<string> {
    const db = await ownerClient(config);
    try {
      const userId = newId();
      await db.query(`INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, 'x', 'operator')`, [userId, `w-${uniq()}@t.it`]);
      const tokenId = newId();
      await db.query(
        `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, now() - interval '30 days')`,
        [tokenId, userId, newId(), uniq() + uniq()],
      );
      return tokenId;
    } finally {
      await db.end();
    }
  }

  async function tokenExists(id: string): Promise<boolean> {
    const db = await ownerClient(config);
    try {
      return ((await db.query('SELECT 1 FROM refresh_tokens WHERE id = $1', [id])).rowCount ?? 0) > 0;
    } finally {
      await db.end();
    }
  }

  it('purges expired refresh tokens from a queued job', async () => {
    app = await boot();
    const tokenId = await expiredTokenOfNewOperator();
    const queue = app.get<Queue>(getQueueToken(QueueName.Maintenance));
    const job = await queue.add(MaintenanceJob.PurgeExpiredRefreshTokens, { graceDays: 7 });
    // Polled rather than job.finished(): that subscribes to queue events whose connection outlives
    // the context and rejects after close.
    const done = await waitFor(async () => ((await job.isCompleted()) ? await queue.getJob(job.id) : null));
    expect((done.returnvalue as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
    expect(await tokenExists(tokenId)).toBe(false);
    await app.close();
  });

  it('finishes the job in progress before shutting down (what SIGTERM triggers)', async () => {
    const tokenId = await expiredTokenOfNewOperator();
    const script = fileURLToPath(new URL('../support/worker-drain.mjs', import.meta.url));
    const env = Object.fromEntries(Object.entries({ ...process.env, ...configEnv }).filter(([k]) => k !== 'NODE_OPTIONS'));
    const res = spawnSync(process.execPath, [script], { env: env, encoding: 'utf8', timeout: 30_000 });
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout.trim())).toEqual({ finishedBeforeClose: true, state: 'completed', unhandled: 0 });
    expect(await tokenExists(tokenId)).toBe(false);
  });
});
