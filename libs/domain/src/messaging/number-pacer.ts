import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { REDIS } from '#common';

/** Headroom under Meta's cap for inbound traffic and retries, as Meta's throughput page advises. */
export const PACING_SHARE = 0.8;

/**
 * Paces sends per business number across every worker process, in Redis: at most
 * PACING_SHARE × the number's messages-per-second cap in any one-second window. Throughput
 * errors (130429) additionally slow the number down for a while (slowDown).
 */
@Injectable()
export class NumberPacer {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Takes a slot for one send; returns 0 when it may go now, else how many ms to wait before asking again. */
  async take(numberId: string, mpsCap: number): Promise<number> {
    const slowedFor = await this.redis.pttl(`pace-slow:${numberId}`);
    const points = Math.max(1, Math.floor(mpsCap * PACING_SHARE * (slowedFor > 0 ? 0.5 : 1)));
    try {
      await this.limiter(points).consume(numberId, 1);
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
      throw err;
    }
  }

  /** Halves the number's rate for `ms` after Meta said it was over its throughput. */
  async slowDown(numberId: string, ms: number): Promise<void> {
    await this.redis.set(`pace-slow:${numberId}`, '1', 'PX', Math.max(1, Math.round(ms)));
  }

  private limiter(points: number): RateLimiterRedis {
    let l = this.limiters.get(points);
    if (!l) {
      l = new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `pace-${points}`, points, duration: 1 });
      this.limiters.set(points, l);
    }
    return l;
  }
}
