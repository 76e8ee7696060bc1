import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, type AppConfig } from '#common';

/**
 * Which traffic a reservation is for. Emergencies pre-empt a number's normal campaign traffic;
 * replies to citizens (keyword replies, editors' answers) are few and never wait behind a newsletter.
 */
export type PacingLane = 'normal' | 'emergency' | 'reply';

export type Reservation =
  /**
   * `granted` sends may go: the i-th at `startInMs + i × intervalMs` from now. `tat` is the
   * bucket's schedule end after this reservation (for `refund`).
   */
  | { granted: number; startInMs: number; intervalMs: number; tat: string; reservedAt: number }
  /** Nothing granted: ask again in `retryInMs`. */
  | { granted: 0; retryInMs: number };

/** How far ahead slots may be handed out; bounds how long an emergency waits behind normal traffic. */
export const RESERVATION_HORIZON_MS = 800;
/**
 * Slots are never handed out closer than this to now: a campaign batch reserves before it claims
 * its rows, and a slot that passed during the claim would be sent late, bunched with the next
 * batch's on time, over the number's rate for Meta (130429).
 */
export const RESERVATION_LEAD_MS = 150;
/** While an emergency sends on a number, its normal traffic waits; refreshed by each emergency reservation. */
const EMERGENCY_HOLD_MS = 2_000;

/**
 * GCRA (a token bucket without bursts) in one Lua script, so every worker process shares one
 * schedule per number: slots are `interval` apart, handed out at most HORIZON ahead of Redis's own
 * clock (no skew between processes). KEYS: tat, emergency flag, slow-down flag.
 * ARGV: interval ms, wanted, horizon ms, lane.
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local lane = ARGV[4]
if lane == 'normal' then
  local hold = redis.call('PTTL', KEYS[2])
  if hold > 0 then return {0, hold} end
elseif lane == 'emergency' then
  redis.call('SET', KEYS[2], '1', 'PX', ${EMERGENCY_HOLD_MS})
end
if redis.call('EXISTS', KEYS[3]) == 1 then interval = interval * 2 end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now + ${RESERVATION_LEAD_MS} then tat = now + ${RESERVATION_LEAD_MS} end
local wait = tat - now
if wait > horizon then return {0, math.ceil(wait - horizon)} end
local room = math.floor((horizon - wait) / interval) + 1
local granted = math.min(wanted, room)
local newTat = tat + granted * interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now) + 60000)
return {granted, math.floor(wait), tostring(interval), tostring(newTat)}
`;

/** Throughput errors on one number within SLOW_WINDOW_MS that halve its rate (see slowDown). */
const SLOW_AFTER_ERRORS = 3;
const SLOW_WINDOW_MS = 2_000;

/** KEYS: error counter, slow-down flag. ARGV: errors that slow down, window ms, slow-down ms. */
const SLOW_DOWN_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return 1
end
return 0
`;

/**
 * Gives back the last `unused` slots of a reservation, if nobody reserved after it (the schedule
 * still ends where that reservation left it). KEYS: tat. ARGV: the reservation's tat, slot ms, unused.
 */
const REFUND_SCRIPT = `
local tat = redis.call('GET', KEYS[1])
if tat ~= ARGV[1] then return 0 end
local back = tonumber(ARGV[1]) - tonumber(ARGV[2]) * tonumber(ARGV[3])
redis.call('SET', KEYS[1], tostring(back), 'KEEPTTL')
return 1
`;

/**
 * Paces sends per business number across every worker process (docs/adr/0009): a number gets
 * pacingShare × its messages-per-second cap, spread evenly rather than in bursts, because Meta
 * counts a number's throughput over short windows. A throughput error (130429) halves the rate for
 * a while (slowDown).
 */
@Injectable()
export class NumberPacer {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Reserves up to `wanted` send slots for the number. */
  async reserve(numberId: string, mpsCap: number, wanted: number, lane: PacingLane): Promise<Reservation> {
    const rate = Math.max(0.1, mpsCap * this.config.whatsapp.pacingShare);
    const interval = 1000 / rate;
    const result = (await this.redis.eval(
      RESERVE_SCRIPT,
      3,
      `pace:{${numberId}}:tat`,
      `pace:{${numberId}}:emergency`,
      `pace:{${numberId}}:slow`,
      String(interval),
      String(Math.max(1, wanted)),
      String(RESERVATION_HORIZON_MS),
      lane,
    )) as [number, number, string?, string?];
    const [granted, ms, usedInterval, tat] = result;
    if (granted === 0) return { granted: 0, retryInMs: Math.max(1, ms) };
    return { granted, startInMs: ms, intervalMs: Number(usedInterval), tat: tat ?? '', reservedAt: Date.now() };
  }

  /**
   * Returns slots a job reserved and will not use (rows another job had, recipients deferred or
   * skipped), so they are not lost to the number; only when no reservation came after it.
   */
  async refund(numberId: string, reservation: { tat: string; intervalMs: number }, unused: number): Promise<boolean> {
    if (unused <= 0 || reservation.tat === '') return false;
    const done = (await this.redis.eval(
      REFUND_SCRIPT,
      1,
      `pace:{${numberId}}:tat`,
      reservation.tat,
      String(reservation.intervalMs),
      String(unused),
    )) as number;
    return done === 1;
  }

  /**
   * Meta said the number was over its throughput (130429). An isolated one is timing jitter at the
   * edge of the rate (the message itself is retried a few seconds later); SLOW_AFTER_ERRORS within
   * SLOW_WINDOW_MS mean the number really is over it, and its rate is halved for `ms`. Returns
   * whether it was slowed.
   */
  async slowDown(numberId: string, ms: number): Promise<boolean> {
    const slowed = (await this.redis.eval(
      SLOW_DOWN_SCRIPT,
      2,
      `pace:{${numberId}}:errors`,
      `pace:{${numberId}}:slow`,
      String(SLOW_AFTER_ERRORS),
      String(SLOW_WINDOW_MS),
      String(Math.max(1, Math.round(ms))),
    )) as number;
    return slowed === 1;
  }
}
