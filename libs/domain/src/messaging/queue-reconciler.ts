import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { luaCommand, newId, REDIS, type LuaCommand } from '#common';
import { OutboundMessageRepository } from '#database';
import { QueueProducer } from '#queue';
import { SendPlanner } from './send-planner.js';

/** The marker whose absence says Redis lost its data (a FLUSHALL, or a restart without persistence). */
const EPOCH_KEY = 'queue-epoch';
const PAGE = 5_000;
/** Deletes the marker if it is still the one given (KEYS: marker; ARGV: its value). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Postgres is the record; Redis is transport (docs/adr/0009). Each worker checks every few seconds
 * that Redis still holds its marker. When it does not, Redis has lost every job: the first worker to
 * notice sets a new marker, schedules the recurring jobs again and enqueues every queued message
 * from Postgres. A message already sent is never queued, so nothing goes twice.
 */
@Injectable()
export class QueueReconciler {
  private readonly logger = new Logger('QueueReconciler');
  private readonly releaseScript: LuaCommand;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly outbound: OutboundMessageRepository,
    private readonly planner: SendPlanner,
    private readonly producer: QueueProducer,
  ) {
    this.releaseScript = luaCommand(redis, 'araldoQueueEpochRelease', 1, RELEASE_SCRIPT);
  }

  /** Returns how many messages were enqueued again (0 when Redis still had its marker). */
  async check(): Promise<number> {
    const epoch = newId();
    const won = await this.redis.set(EPOCH_KEY, epoch, 'NX');
    if (won !== 'OK') return 0;
    let total = 0;
    try {
      await this.producer.scheduleTokenPurge();
      await this.producer.scheduleChannelMaintenance();
      let after: { tenantId: string; id: string } | null = null;
      for (;;) {
        const page = await this.outbound.listQueuedPageUnscoped(after, PAGE);
        if (page.length === 0) break;
        await this.planner.enqueue(page);
        total += page.length;
        const last = page[page.length - 1];
        after = { tenantId: last.tenantId, id: last.id };
      }
    } catch (err) {
      // Not rebuilt (PostgreSQL was down too, say): the marker goes, so the next check, here or in
      // another worker, starts over. Left in place, it said "all is well" and nothing was sent until
      // the sweep took the messages for lost two minutes later (125 s in a fault benchmark run).
      await this.releaseScript(EPOCH_KEY, epoch).catch(() => undefined);
      throw err;
    }
    this.logger.warn({ event: 'queues_rebuilt', messages: total }, 'Redis had lost its queues: rebuilt from Postgres');
    return total;
  }
}
