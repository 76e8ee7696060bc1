import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfigModule, RedisModule, type AppConfig } from '#common';
import { DatabaseModule } from '#database';
import { DomainModule, QueueReconciler } from '#domain';
import { QueueModule, QueueProducer } from '#queue';
import { CampaignsProcessor } from './campaigns.processor.js';
import { InboxProcessor } from './inbox.processor.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { MediaProcessor } from './media.processor.js';
import { OutboundProcessor } from './outbound.processor.js';
import { WebhooksProcessor } from './webhooks.processor.js';

/** Says when the queues have been closed: Bull's close waits for the jobs in progress. */
@Injectable()
class ShutdownLog implements OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  onApplicationShutdown(signal?: string): void {
    this.logger.log({ event: 'worker_stopped', signal: signal ?? null }, 'araldo worker stopped; jobs in progress finished');
  }
}

@Injectable()
class RecurringJobs implements OnApplicationBootstrap {
  constructor(private readonly producer: QueueProducer) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.producer.scheduleTokenPurge();
    await this.producer.scheduleChannelMaintenance();
  }
}

/** Checks every few seconds that Redis still holds the queues; rebuilds them from Postgres if not. */
@Injectable()
class ReconcileTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly reconciler: QueueReconciler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}
  onApplicationBootstrap(): void {
    const check = (): void => {
      this.reconciler.check().catch((err: unknown) => this.logger.error({ event: 'reconcile_failed', reason: (err as Error).message }));
    };
    // At once as well: a worker that boots on an empty Redis (first start, or Redis restarted with
    // it) rebuilds before sending, rather than one interval later in the middle of a campaign.
    check();
    this.timer = setInterval(check, this.config.queue.reconcileIntervalMs);
    this.timer.unref();
  }
  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The worker: Bull processors only, no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, options: { scheduleRecurring?: boolean } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        RedisModule.forRoot(config, 'araldo-worker'),
        QueueModule.forRoot(config),
        DomainModule,
      ],
      providers: [
        MaintenanceProcessor,
        WebhooksProcessor,
        OutboundProcessor,
        MediaProcessor,
        InboxProcessor,
        CampaignsProcessor,
        ShutdownLog,
        ...(options.scheduleRecurring === false ? [] : [RecurringJobs, ReconcileTimer]),
      ],
    };
  }
}
