import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { asTenantId } from '#common';
import { CampaignsService } from '#domain';
import { CampaignJob, QueueName, type StartCampaignPayload } from '#queue';

/** Starts campaigns: the audience snapshot and the first batches. Idempotent (see CampaignsService.start). */
@Processor(QueueName.Campaigns)
export class CampaignsProcessor {
  constructor(private readonly campaigns: CampaignsService) {}

  @Process({ name: CampaignJob.Start, concurrency: 4 })
  async start(job: Job<StartCampaignPayload>): Promise<void> {
    await this.campaigns.start(asTenantId(job.data.tenantId), job.data.campaignId);
  }
}
