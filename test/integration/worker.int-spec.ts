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
  const config = testConfig({ REDIS_KEY_PREFIX: `{araldo-test-worker-${uniq()}}` });
  let app: INestApplicationContext;

  beforeAll(async () => {
    await migrateTestDatabase(config);
  });

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
    const result = (await job.finished()) as { deleted: number };
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(await tokenExists(tokenId)).toBe(false);
    await app.close();
  });
});
