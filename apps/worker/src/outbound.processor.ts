import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { asOutboundMessageId, asTenantId } from '#common';
import { OutboundService } from '#domain';
import { OutboundJob, QueueName, type SendOutboundPayload } from '#queue';

/**
 * Sends queued messages. Concurrency is for waiting on HTTP, not CPU: each number's pace is kept
 * by its Redis bucket, whatever the number of jobs in flight.
 */
@Processor(QueueName.Outbound)
export class OutboundProcessor {
  constructor(private readonly outbound: OutboundService) {}

  @Process({ name: OutboundJob.Send, concurrency: 32 })
  async send(job: Job<SendOutboundPayload>): Promise<void> {
    await this.outbound.dispatch(asTenantId(job.data.tenantId), asOutboundMessageId(job.data.outboundId));
  }
}
