import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#common';
import type { QueuedRef } from '#database';
import { QueueProducer } from '#queue';
import { NumberDirectory } from './number-directory.js';
import { planBatches } from './send-plan.js';

/** Enqueues queued messages as paced batch jobs (see planBatches). */
@Injectable()
export class SendPlanner {
  constructor(
    private readonly directory: NumberDirectory,
    private readonly producer: QueueProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async enqueue(refs: readonly QueuedRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const rates = new Map<string, number>();
    for (const r of refs) {
      const key = `${r.tenantId}/${r.numberId}`;
      if (rates.has(key)) continue;
      const sender = await this.directory.get(r.tenantId, r.numberId);
      rates.set(key, (sender?.number.mpsCap ?? 80) * this.config.whatsapp.pacingShare);
    }
    const batches = planBatches(refs, (r) => rates.get(`${r.tenantId}/${r.numberId}`) ?? 80, Date.now());
    await this.producer.sendBatches(batches);
    return batches.length;
  }

  /** A campaign batch again, as it was (same number and lane), after `delayMs`. */
  async requeueBatch(batch: {
    tenantId: string;
    outboundIds: string[];
    delayMs: number;
    numberId: string;
    lane: 'normal' | 'emergency';
  }): Promise<void> {
    await this.producer.sendBatches([{ ...batch, urgent: batch.lane === 'emergency' }]);
  }
}
