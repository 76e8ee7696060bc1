import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';

/** Injection token of the process's shared ioredis client (rate limits, health). */
export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export function createRedisClient(config: AppConfig, connectionName: string): Redis {
  return new Redis(config.redis.url, {
    connectionName,
    // Keys of every feature share the hash-tagged prefix, so they can live on one Redis Cluster slot.
    keyPrefix: `${config.redis.keyPrefix}:`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(config: AppConfig, connectionName: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [{ provide: REDIS, useFactory: () => createRedisClient(config, connectionName) }, RedisCloser],
      exports: [REDIS],
    };
  }
}
