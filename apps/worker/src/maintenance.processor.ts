import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { RefreshTokenRepository } from '#database';
import { CampaignSchedulesService, CampaignsService, ChannelMaintenanceService, type RetentionReport, type SweepReport } from '#domain';
import { MaintenanceJob, QueueName, type PurgeExpiredRefreshTokensPayload } from '#queue';

/** Housekeeping jobs. Idempotent: running one twice deletes nothing more. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly channel: ChannelMaintenanceService,
    private readonly campaigns: CampaignsService,
    private readonly schedules: CampaignSchedulesService,
  ) {}

  /** Every minute: lost jobs and unknown outcomes, due scheduled campaigns, recurring runs, finished campaigns. */
  @Process(MaintenanceJob.Sweep)
  async sweep(): Promise<SweepReport & { campaignsStarted: number; campaignsCompleted: number; scheduleRuns: number }> {
    const report = await this.channel.sweep();
    const scheduleRuns = await this.schedules.runDue();
    const due = await this.campaigns.runDue();
    return { ...report, campaignsStarted: due.started, campaignsCompleted: due.completed, scheduleRuns };
  }

  @Process(MaintenanceJob.Retention)
  retention(): Promise<RetentionReport> {
    return this.channel.retention();
  }

  @Process(MaintenanceJob.PurgeExpiredRefreshTokens)
  async purgeExpiredRefreshTokens(job: Job<PurgeExpiredRefreshTokensPayload>): Promise<{ deleted: number }> {
    const graceDays = Math.max(0, job.data.graceDays);
    const deleted = await this.refreshTokens.deleteExpired(new Date(Date.now() - graceDays * 86_400_000));
    this.logger.log({ event: 'refresh_tokens_purged', deleted });
    return { deleted };
  }
}
