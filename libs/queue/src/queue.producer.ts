import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { MaintenanceJob, QueueName, type PurgeExpiredRefreshTokensPayload } from './queues.js';

/** The only way code outside the processors puts work on a queue. */
@Injectable()
export class QueueProducer {
  constructor(@InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue) {}

  /**
   * Schedules the daily purge of expired refresh tokens. The repeat key is deterministic, so every
   * worker that boots schedules the same single job rather than one each.
   */
  async scheduleTokenPurge(cron = '17 3 * * *', timezone = 'Europe/Rome'): Promise<void> {
    const payload: PurgeExpiredRefreshTokensPayload = { graceDays: 7 };
    await this.maintenance.add(MaintenanceJob.PurgeExpiredRefreshTokens, payload, {
      repeat: { cron, tz: timezone },
      jobId: MaintenanceJob.PurgeExpiredRefreshTokens,
    });
  }
}
