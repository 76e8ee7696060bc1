import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type NumberId, type TenantId } from '#common';
import { OutboundMessageRepository, type QueuedRef } from '#database';
import { QueueProducer } from '#queue';
import { NumberDirectory } from './number-directory.js';
import { planBatches, planRun, type PlannedBatch, type SendRun } from './send-plan.js';

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

  /** Enqueues one run of messages already in planned order (a chunk of a campaign's snapshot). */
  async enqueueRun(run: SendRun): Promise<number> {
    if (run.length === 0) return 0;
    const batches = planRun(run, await this.rateOf(run.tenantId, run.numberId), Date.now());
    await this.producer.sendBatches(batches);
    return batches.length;
  }

  /**
   * Enqueues messages whose job was lost (the sweep) and records, on each, when its new job is due:
   * until then the next sweep does not take it for lost again.
   */
  async requeueLost(refs: readonly QueuedRef[]): Promise<number> {
    const now = Date.now();
    // A lost row's planned time is minutes old; the lease below makes it the new job's due time,
    // and the job carries that (a campaign batch's plannedAt), or each time the batch waits for
    // slots it would write its rows' time again, believing the sweep about to take them for lost.
    const batches = (await this.plan(refs, now)).map((b) => (b.lane !== undefined ? { ...b, plannedAt: now + b.delayMs } : b));
    await this.outbound.leaseUnscoped(
      batches.flatMap((b) => b.outboundIds.map((id) => ({ tenantId: b.tenantId, id, at: new Date(now + b.delayMs) }))),
    );
    await this.producer.sendBatches(batches);
    return batches.length;
  }

  private async plan(refs: readonly QueuedRef[], now: number): Promise<PlannedBatch[]> {
    if (refs.length === 0) return [];
    const rates = new Map<string, number>();
    let previous: QueuedRef | null = null;
    for (const r of refs) {
      if (previous && previous.tenantId === r.tenantId && previous.numberId === r.numberId) continue;
      previous = r;
      const key = `${r.tenantId}/${r.numberId}`;
      if (!rates.has(key)) rates.set(key, await this.rateOf(r.tenantId, r.numberId));
    }
    return planBatches(refs, (r) => rates.get(`${r.tenantId}/${r.numberId}`) ?? 80, now);
  }

  /** The pace a number's jobs are planned at: its cap times the pacing share. */
  private async rateOf(tenantId: TenantId, numberId: NumberId): Promise<number> {
    const sender = await this.directory.get(tenantId, numberId);
    return (sender?.number.mpsCap ?? 80) * this.config.whatsapp.pacingShare;
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
