import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#common';
import { OutboundMessageRepository, type QueuedRef } from '#database';
import { QueueProducer } from '#queue';
import { NumberDirectory } from './number-directory.js';
import { planBatches, type PlannedBatch } from './send-plan.js';

/** Enqueues queued messages as paced batch jobs (see planBatches). */
@Injectable()
export class SendPlanner {
  constructor(
    private readonly directory: NumberDirectory,
    private readonly producer: QueueProducer,
    private readonly outbound: OutboundMessageRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async enqueue(refs: readonly QueuedRef[]): Promise<number> {
    const batches = await this.plan(refs, Date.now());
    await this.producer.sendBatches(batches);
    return batches.length;
  }

  /**
   * Enqueues messages whose job was lost (the sweep) and records, on each, when its new job is due:
   * until then the next sweep does not take it for lost again.
   */
  async requeueLost(refs: readonly QueuedRef[]): Promise<number> {
    const now = Date.now();
    const batches = await this.plan(refs, now);
    await this.outbound.leaseUnscoped(
      batches.flatMap((b) => b.outboundIds.map((id) => ({ tenantId: b.tenantId, id, at: new Date(now + b.delayMs) }))),
    );
    await this.producer.sendBatches(batches);
    return batches.length;
  }

  private async plan(refs: readonly QueuedRef[], now: number): Promise<PlannedBatch[]> {
    if (refs.length === 0) return [];
    const rates = new Map<string, number>();
    for (const r of refs) {
      const key = `${r.tenantId}/${r.numberId}`;
      if (rates.has(key)) continue;
      const sender = await this.directory.get(r.tenantId, r.numberId);
      rates.set(key, (sender?.number.mpsCap ?? 80) * this.config.whatsapp.pacingShare);
    }
    return planBatches(refs, (r) => rates.get(`${r.tenantId}/${r.numberId}`) ?? 80, now);
  }

  /** A campaign batch again, as it was (same number and lane), after `delayMs`. */
  async requeueBatch(batch: {
    tenantId: string;
    outboundIds: string[];
    delayMs: number;
    numberId: string;
    lane: 'normal' | 'emergency';
    plannedAt: number | null;
  }): Promise<void> {
    const { plannedAt, ...rest } = batch;
    await this.producer.sendBatches([{ ...rest, urgent: batch.lane === 'emergency', ...(plannedAt !== null ? { plannedAt } : {}) }]);
  }
}
