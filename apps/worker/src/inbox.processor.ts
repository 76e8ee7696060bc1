import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { asTenantId, type InboundMessageId } from '#common';
import { asConversationId } from '#database';
import { OnDutyNotifier } from '#domain';
import { InboxJob, QueueName, type NotifyOnDutyPayload } from '#queue';

/** The inbox's side work: alerting the on-duty contact about an emergency (retried by the queue if a channel fails). */
@Processor(QueueName.Inbox)
export class InboxProcessor {
  constructor(private readonly onDuty: OnDutyNotifier) {}

  @Process({ name: InboxJob.NotifyOnDuty, concurrency: 4 })
  async notifyOnDuty(job: Job<NotifyOnDutyPayload>): Promise<void> {
    await this.onDuty.notify(asTenantId(job.data.tenantId), asConversationId(job.data.conversationId), job.data.inboundMessageId as InboundMessageId);
  }
}
