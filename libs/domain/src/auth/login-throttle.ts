import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, REDIS, type AppConfig } from '#common';
import { TooManyLoginAttemptsError } from './auth.errors.js';

/**
 * Brute-force protection for sign-in, in Redis so every api instance shares the counts:
 * attempts per IP address, and failed attempts per account (reset by a successful sign-in).
 */
@Injectable()
export class LoginThrottle {
  private readonly perIp: RateLimiterRedis;
  private readonly perAccount: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    const duration = config.login.windowSeconds;
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'login-ip', points: config.login.maxAttemptsPerIp, duration });
    this.perAccount = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'login-account',
      points: config.login.maxFailuresPerAccount,
      duration,
      blockDuration: duration,
    });
  }

  /** Counts an attempt from this IP and refuses it when the IP or the account is over its limit. */
  async beforeAttempt(ip: string, email: string): Promise<void> {
    const account = await this.perAccount.get(accountKey(email));
    if (account && account.remainingPoints <= 0) throw new TooManyLoginAttemptsError(retryAfter(account));
    try {
      await this.perIp.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new TooManyLoginAttemptsError(retryAfter(err));
      throw err;
    }
  }

  async recordFailure(email: string): Promise<void> {
    await this.perAccount.penalty(accountKey(email), 1);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.perAccount.delete(accountKey(email));
  }
}

const accountKey = (email: string): string => email.trim().toLowerCase();
const retryAfter = (res: RateLimiterRes): number => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
