import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { asTenantId, type InboundMessageId } from '#common';
import { KeywordService, WebhookProcessingService, type ProcessOutcome } from '#domain';
import { QueueName, WebhookJob, type HandleInboundPayload, type ProcessWebhookEventsPayload } from '#queue';

/** Turns stored webhook bodies into inbound messages, receipts and account updates; answers citizens' messages. */
@Processor(QueueName.Webhooks)
export class WebhooksProcessor {
  private readonly logger = new Logger(WebhooksProcessor.name);

  constructor(
    private readonly processing: WebhookProcessingService,
    private readonly keywords: KeywordService,
  ) {}

  @Process({ name: WebhookJob.HandleInbound, concurrency: 8 })
  async handleInbound(job: Job<HandleInboundPayload>): Promise<void> {
    await this.keywords.handle(asTenantId(job.data.tenantId), job.data.inboundMessageId as InboundMessageId);
  }

  @Process({ name: WebhookJob.Process, concurrency: 4 })
  async process(job: Job<ProcessWebhookEventsPayload>): Promise<ProcessOutcome> {
    try {
      return await this.processing.processEvents(job.data.eventIds);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn({ event: 'webhook_processing_failed', events: job.data.eventIds.length, attempt: job.attemptsMade + 1, reason });
      await this.processing.recordFailure(job.data.eventIds, reason);
      throw err;
    }
  }
}
