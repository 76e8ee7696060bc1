import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { asNumberId, asOutboundMessageId, asTenantId } from '#common';
import { OutboundService } from '#domain';
import { OutboundJob, QueueName, type SendOutboundPayload } from '#queue';

/**
 * Sends queued messages in batches. Concurrency is for waiting on paced slots and HTTP, not CPU:
 * each number's pace is kept by its Redis bucket, whatever the number of jobs in flight.
 */
@Processor(QueueName.Outbound)
export class OutboundProcessor {
  constructor(private readonly outbound: OutboundService) {}

  @Process({ name: OutboundJob.Send, concurrency: 64 })
  async send(job: Job<SendOutboundPayload>): Promise<void> {
    const { tenantId, outboundIds, numberId, lane, plannedAt } = job.data;
    await this.outbound.dispatchBatch(
      asTenantId(tenantId),
      outboundIds.map(asOutboundMessageId),
      numberId && lane ? { numberId: asNumberId(numberId), lane, plannedAt: plannedAt ?? null } : undefined,
    );
  }
}
