import { BullModule } from '@nestjs/bull';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '#common';
import { QueueProducer } from './queue.producer.js';
import { ALL_QUEUES } from './queues.js';

/**
 * Bull on Redis, configured in one place. The key prefix is a hash tag (`{araldo}`), so each
 * queue's keys fall in one Redis Cluster slot (docs/adr/0001). Only this library and the worker's
 * processors import Bull.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    const queues = BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [
        BullModule.forRoot({
          redis: config.redis.url,
          prefix: config.redis.keyPrefix,
          defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
        }),
        queues,
      ],
      providers: [QueueProducer],
      exports: [queues, QueueProducer],
    };
  }
}
