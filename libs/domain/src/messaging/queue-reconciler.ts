import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { newId, REDIS } from '#common';
import { OutboundMessageRepository } from '#database';
import { QueueProducer } from '#queue';
import { SendPlanner } from './send-planner.js';

/** The marker whose absence says Redis lost its data (a FLUSHALL, or a restart without persistence). */
const EPOCH_KEY = 'queue-epoch';
const PAGE = 5_000;

/**
 * Postgres is the record; Redis is transport (docs/adr/0009). Each worker checks every few seconds
 * that Redis still holds its marker. When it does not, Redis has lost every job: the first worker to
 * notice sets a new marker, schedules the recurring jobs again and enqueues every queued message
 * from Postgres. A message already sent is never queued, so nothing goes twice.
 */
@Injectable()
export class QueueReconciler {
  private readonly logger = new Logger('QueueReconciler');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly outbound: OutboundMessageRepository,
    private readonly planner: SendPlanner,
    private readonly producer: QueueProducer,
  ) {}

  /** Returns how many messages were enqueued again (0 when Redis still had its marker). */
  async check(): Promise<number> {
    const won = await this.redis.set(EPOCH_KEY, newId(), 'NX');
    if (won !== 'OK') return 0;
    await this.producer.scheduleTokenPurge();
    await this.producer.scheduleChannelMaintenance();
    let after: { tenantId: string; id: string } | null = null;
    let total = 0;
    for (;;) {
      const page = await this.outbound.listQueuedPageUnscoped(after, PAGE);
      if (page.length === 0) break;
      await this.planner.enqueue(page);
      total += page.length;
      const last = page[page.length - 1];
      after = { tenantId: last.tenantId, id: last.id };
    }
    this.logger.warn({ event: 'queues_rebuilt', messages: total }, 'Redis had lost its queues: rebuilt from Postgres');
    return total;
  }
}
