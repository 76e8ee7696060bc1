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
if tat < now then tat = now end
local wait = tat - now
if wait > horizon then return {0, math.ceil(wait - horizon)} end
local room = math.floor((horizon - wait) / interval) + 1
local granted = math.min(wanted, room)
local newTat = tat + granted * interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now) + 60000)
return {granted, math.floor(wait), tostring(interval), tostring(newTat)}
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

  /** Halves the number's rate for `ms` after Meta said it was over its throughput. */
  async slowDown(numberId: string, ms: number): Promise<void> {
    await this.redis.set(`pace:{${numberId}}:slow`, '1', 'PX', Math.max(1, Math.round(ms)));
  }
}
