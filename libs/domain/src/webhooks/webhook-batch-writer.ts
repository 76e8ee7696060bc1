import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#common';
import { WebhookEventRepository, type NewWebhookEvent } from '#database';
import { QueueProducer } from '#queue';
import { webhookBatchSize } from './webhook.metrics.js';

interface Waiting {
  event: NewWebhookEvent;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/**
 * Micro-batches webhook bodies into one INSERT: each request waits at most `batchWaitMs` (or
 * until `batchMax` bodies are waiting), then all of them are written in one statement and one
 * commit, and each request is answered once its row is durable. Several batches may be in flight
 * at once (one per pool connection). One INSERT per request costs a round trip and a WAL flush each,
 * which is what caps a single-row intake (see docs/benchmarks.md).
 */
@Injectable()
export class WebhookBatchWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('WebhookIntake');
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly max: number;
  private readonly waitMs: number;

  constructor(
    private readonly events: WebhookEventRepository,
    private readonly producer: QueueProducer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.max = config.webhooks.batchMax;
    this.waitMs = config.webhooks.batchWaitMs;
  }

  /** Resolves with the stored row's id once it is committed. */
  store(event: NewWebhookEvent): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (this.waiting.length >= this.max) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.waitMs);
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const done = this.write(batch).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private async write(batch: Waiting[]): Promise<void> {
    let ids: string[];
    try {
      ids = await this.events.insertMany(batch.map((w) => w.event));
    } catch (err) {
      // Nothing was stored: every request of the batch answers 5xx and Meta delivers it again.
      this.logger.error({ event: 'webhook_store_failed', rows: batch.length, err: err instanceof Error ? err.message : String(err) });
      for (const w of batch) w.reject(err);
      return;
    }
    webhookBatchSize.observe(batch.length);
    batch.forEach((w, i) => w.resolve(ids[i]));
    const pending = ids.filter((_, i) => batch[i].event.status === 'pending');
    // After the acknowledgement: the rows are durable, so a failed enqueue only delays processing
    // until the sweep finds them.
    try {
      await this.producer.processWebhookEvents(pending);
    } catch (err) {
      this.logger.warn({ event: 'webhook_enqueue_failed', rows: pending.length, err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Writes what is waiting before the process exits. */
  async onApplicationShutdown(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }
}
