import { Global, Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
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

const logger = new Logger('Redis');

export function createRedisClient(config: AppConfig, connectionName: string): Redis {
  const client = new Redis(config.redis.url, {
    connectionName,
    // Keys of every feature share the hash-tagged prefix, so they can live on one Redis Cluster slot.
    keyPrefix: `${config.redis.keyPrefix}:`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // ioredis reconnects by itself; without a listener it prints each failure as a raw "Unhandled
  // error event" stack outside the structured log. One line per kind of failure, not per retry.
  let last = '';
  client.on('error', (err: Error) => {
    if (err.message === last) return;
    last = err.message;
    logger.warn({ event: 'redis_error', connectionName, reason: err.message }, 'Redis connection error; reconnecting');
  });
  client.on('ready', () => {
    last = '';
  });
  return client;
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
