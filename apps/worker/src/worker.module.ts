import { Module, type DynamicModule, type OnApplicationBootstrap, Injectable } from '@nestjs/common';
import { AppConfigModule, RedisModule, type AppConfig } from '#common';
import { DatabaseModule } from '#database';
import { QueueModule, QueueProducer } from '#queue';
import { MaintenanceProcessor } from './maintenance.processor.js';

@Injectable()
class RecurringJobs implements OnApplicationBootstrap {
  constructor(private readonly producer: QueueProducer) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.producer.scheduleTokenPurge();
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
      ],
      providers: [MaintenanceProcessor, ...(options.scheduleRecurring === false ? [] : [RecurringJobs])],
    };
  }
}
