import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, createRedisClient, luaCommand, ExpiringTimes, REDIS, type AppConfig, type LuaCommand } from '#common';

/**
 * Which traffic a reservation is for. Emergencies pre-empt a number's normal campaign traffic;
 * replies to citizens (keyword replies, editors' answers) are few and never wait behind a newsletter.
 */
export type PacingLane = 'normal' | 'emergency' | 'reply';

export type Reservation =
  /**
   * `granted` sends may go: the i-th at `startAt + i × intervalMs` (this process's clock), the first
   * `startInMs` from now. `tat` is the bucket's schedule end after this reservation (for `refund`);
   * `reservedAt`, when it was asked for (this clock): a pre-emption heard since then may have come
   * after it in Redis, one heard before came before it (see `preemptedSince`).
   */
  | { granted: number; startInMs: number; startAt: number; intervalMs: number; tat: string; reservedAt: number }
  /**
   * Nothing granted: ask again in `retryInMs`. `nextInLine`: the batch only has to wait for the
   * number's schedule to come within reach of its end (it is the next one due), so it should come
   * back then, not later: its slots follow the schedule's end without a gap only if it does.
   */
  | { granted: 0; retryInMs: number; nextInLine?: boolean };

/**
 * How far ahead slots may be handed out: a batch (about a second of its number's pace, batchSizeFor)
 * reserves all its slots at once, and its rows are 'sending' until they go, so this also bounds
 * what a worker that dies leaves in doubt. An emergency does not wait for these slots: it takes
 * them back (RESERVE_SCRIPT). It did wait, when this was 800 ms and batches half a second.
 */
export const RESERVATION_HORIZON_MS = 1_500;
/**
 * Slots are never handed out closer than this to now: a campaign batch reserves before it claims
 * its rows, and a slot that passed during the claim would be sent late, bunched with the next
 * batch's on time, over the number's rate for Meta (130429).
 */
export const RESERVATION_LEAD_MS = 150;
/** A heard campaign stop is kept this long (far beyond the horizon), pruned once more than STOPS_KEPT are kept. */
const STOP_KEPT_MS = 60_000;
const STOPS_KEPT = 256;
/** While an emergency sends on a number, its normal traffic waits; refreshed by each emergency reservation. */
export const EMERGENCY_HOLD_MS = 2_000;
/**
 * A number idle for IDLE_MS sends its next WARM_UP_MS of traffic slower (WHATSAPP_WARM_UP_FACTOR,
 * 1.1): the first second of a campaign is when every process is busiest (the snapshot's chunks,
 * the first claims, code not yet optimised), and sends held up 20 ms then delivered with the next
 * ones put Meta's count of the last second over 1,000 at 985/s. Measured: 173 of a run's 218
 * 130429s fell in that second, and the slow-down they caused cost six seconds at 0.8. Counted in
 * slot time (the slots before warm start + WARM_UP_MS), not reservation time: reservations reach
 * the horizon ahead, and "reserved within two seconds" had slowed three and a half seconds of
 * sending once the horizon was 1.5 s (905, 895, 935 msg/s at 1,000/s).
 */
const WARM_UP_MS = 2_000;
const IDLE_MS = 1_000;
/**
 * Citizens' messages to a number are kept as a rate that decays with this time constant: a steady
 * 8 a second reads about 8, a burst of 50 reads 50 a second at once and half of that 0.7 s later.
 */
const INBOUND_TAU_MS = 1_000;
/** Whatever the citizens write, a number keeps at least this share of its pace for its own sends. */
const INBOUND_FLOOR = 0.2;

/**
 * Lua declaring `local <name>`: the citizens' messages' rate kept in hash `<key>` (fields r, at),
 * decayed to `now` (the script's Redis time). Shared by the scripts that record and read it.
 */
function decayedInbound(name: string, key: string): string {
  return `local ${name} = 0
local was = redis.call('HMGET', ${key}, 'r', 'at')
if was[1] then ${name} = tonumber(was[1]) * math.exp(-math.max(0, now - tonumber(was[2])) / ${INBOUND_TAU_MS}) end`;
}

/**
 * GCRA (a token bucket without bursts) in one Lua script, so every worker process shares one
 * schedule per number: slots are `interval` apart, handed out at most HORIZON ahead of Redis's own
 * clock (no skew between processes). KEYS: tat, emergency flag, slow-down factor, warm-up start,
 * inbound rate. ARGV: interval ms, wanted, horizon ms, lane, warm-up factor, pre-emption channel,
 * number id. The citizens' messages' rate (takeForInbound) comes off the number's: slots are spaced
 * for what is left of it.
 *
 * The first emergency reservation on a number (no hold yet) takes back the normal slots already
 * handed out: its schedule starts LEAD from now, not after them, and it publishes the number on
 * the pre-emption channel, so the worker processes holding those slots stop sending on them
 * (NumberPacer.preemptedSince). Normal sends up to now and the emergency's from LEAD on are
 * still one stream at most one slot per interval, so the number stays within its rate.
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local lane = ARGV[4]
local preempt = false
if lane == 'normal' then
  local hold = redis.call('PTTL', KEYS[2])
  if hold > 0 then return {0, hold} end
elseif lane == 'emergency' then
  preempt = not redis.call('SET', KEYS[2], '1', 'PX', ${EMERGENCY_HOLD_MS}, 'GET')
end
${decayedInbound('inbound', 'KEYS[5]')}
local rate = 1000 / interval
interval = interval * rate / math.max(rate * ${INBOUND_FLOOR}, rate - inbound)
interval = interval * tonumber(redis.call('GET', KEYS[3]) or '1')
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if preempt then
  if tat > now + ${RESERVATION_LEAD_MS} then tat = now + ${RESERVATION_LEAD_MS} end
  redis.call('PUBLISH', ARGV[6], ARGV[7])
end
if tat < now - ${IDLE_MS} then redis.call('SET', KEYS[4], tostring(now), 'PX', math.ceil(${WARM_UP_MS} + horizon)) end
if tat < now + ${RESERVATION_LEAD_MS} then tat = now + ${RESERVATION_LEAD_MS} end
local warmFrom = tonumber(redis.call('GET', KEYS[4]) or '')
if warmFrom and tat < warmFrom + ${WARM_UP_MS} then interval = interval * tonumber(ARGV[5]) end
local wait = tat - now
if wait > horizon then return {0, math.ceil(wait - horizon)} end
local room = math.floor((horizon - wait) / interval) + 1
-- A batch waits until all of it fits (up to what a reservation can ever hold) rather than taking
-- the few slots free now: split batches meant four claims and transactions where one would do.
local needed = math.min(wanted, math.floor((horizon - ${RESERVATION_LEAD_MS}) / interval) + 1)
if room < needed then return {0, math.max(1, math.ceil(wait - (horizon - (needed - 1) * interval))), 'next'} end
local granted = math.min(wanted, room)
local newTat = tat + granted * interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now) + 60000)
return {granted, math.floor(wait), tostring(interval), tostring(newTat), tostring(now), tostring(inbound)}
`;

/** Extends the emergency hold (KEYS[1]) to at least ARGV[1] ms from now. */
const HOLD_SCRIPT = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

/**
 * A number is slowed down when its 130429s within SLOW_WINDOW_MS reach this share of what it may
 * send then (at least 3): 60 in two seconds at 1,000/s, 5 at 80/s. At 1 %, clusters of 20 to 30
 * (a send path held up for 20 ms, then delivered bunched) slowed a 1,000/s number to 0.8 for 5 s
 * each, a second of sending lost to spare twenty retries; a number truly over its limit (Meta
 * lowered it) has a fifth of its sends refused and crosses 3 % within a fraction of a second.
 */
const SLOW_ERROR_SHARE = 0.03;
const SLOW_WINDOW_MS = 2_000;
/**
 * ... and only when they are spread over the window: errors in at least SLOW_SPREAD of its four
 * quarters. A number over its limit (Meta lowered it, or citizens' own messages take part of it)
 * is refused a share of its sends all the time; a stall somewhere between our send and Meta's count
 * (a busy machine, the network) delivers sends bunched, refused together in one cluster, and
 * pacing slower for SLOW_DOWN_MS afterwards would not have prevented it. Measured on a 2-core VM
 * whose processes stalled 50-150 ms: most slow-downs came from such clusters, a second of sending
 * lost each for a few retries.
 */
const SLOW_QUARTERS = 4;
const SLOW_SPREAD = 3;
/** Each slow-down stretches the number's interval by this factor, at most once per SLOW_WINDOW_MS, compounding up to SLOW_MAX_FACTOR. */
const SLOW_STEP = 1.25;
const SLOW_MAX_FACTOR = 8;

/**
 * KEYS: error counts (a hash: one field per quarter of the window, and 'quiet'), slow-down factor.
 * ARGV: errors that slow down, window ms, slow-down ms, step, max factor, errors now, now (epoch ms,
 * the caller's clock), quarters with errors needed. Returns the factor now in force when these
 * errors slowed the number down, else 0.
 */
const SLOW_DOWN_SCRIPT = `
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[7])
-- One step per window: the rest of a cluster (one backlog answered at once) does not compound it.
if now < tonumber(redis.call('HGET', KEYS[1], 'quiet') or '0') then return '0' end
local quarter = window / ${SLOW_QUARTERS}
local q = math.floor(now / quarter)
redis.call('HINCRBY', KEYS[1], tostring(q), ARGV[6])
redis.call('PEXPIRE', KEYS[1], window)
local sum, spread = 0, 0
for i = 0, ${SLOW_QUARTERS - 1} do
  local c = tonumber(redis.call('HGET', KEYS[1], tostring(q - i)) or '0')
  sum = sum + c
  if c > 0 then spread = spread + 1 end
end
for i = ${SLOW_QUARTERS}, ${SLOW_QUARTERS * 2} do redis.call('HDEL', KEYS[1], tostring(q - i)) end
if sum < tonumber(ARGV[1]) or spread < tonumber(ARGV[8]) then return '0' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'quiet', tostring(now + window))
redis.call('PEXPIRE', KEYS[1], window)
local f = tonumber(redis.call('GET', KEYS[2]) or '1') * tonumber(ARGV[4])
if f > tonumber(ARGV[5]) then f = tonumber(ARGV[5]) end
redis.call('SET', KEYS[2], tostring(f), 'PX', ARGV[3])
return tostring(f)
`;

/**
 * Citizens' messages to a number, as a rate (messages a second, decaying with INBOUND_TAU_MS): Meta
 * counts them in the number's throughput with its sends. KEYS: inbound rate. ARGV: messages.
 */
const INBOUND_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
${decayedInbound('rate', 'KEYS[1]')}
rate = rate + tonumber(ARGV[1]) * 1000 / ${INBOUND_TAU_MS}
redis.call('HSET', KEYS[1], 'r', tostring(rate), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ${INBOUND_TAU_MS * 20})
return tostring(rate)
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
 * counts a number's throughput over short windows. Clusters of throughput errors (130429) slow the
 * number down for a while (slowDown).
 */
@Injectable()
export class NumberPacer implements OnApplicationShutdown {
  private readonly logger = new Logger('NumberPacer');
  private readonly clock = new ClockOffset();
  private readonly window = new SendWindow(1_000);
  /** Messages per number in campaign batches under way in this process, from reservation to outcome (see backlogWait). */
  private readonly holding = new Map<string, number>();
  /** When (this clock) an emergency last took each number's normal slots back, as heard on the channel. */
  private readonly preemptions = new Map<string, number>();
  /** The citizens' messages' rate per number (messages a second) as of its last reservation here. */
  private readonly inbound = new Map<string, number>();
  /** When (this clock) each campaign was last paused or cancelled, as heard on the stop channel (see stopCampaign). */
  private readonly stops = new Map<string, number>();
  /** A connection of its own for the two channels, opened by the first campaign reservation (workers only). */
  private subscriber: { client: Redis; subscribed: Promise<void> } | null = null;
  private readonly channel: string;
  private readonly stopChannel: string;
  private readonly reserveScript: LuaCommand;
  private readonly refundScript: LuaCommand;
  private readonly slowDownScript: LuaCommand;
  private readonly holdScript: LuaCommand;
  private readonly inboundScript: LuaCommand;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Channels are not prefixed by ioredis: the key prefix keeps deployments sharing a Redis apart.
    this.channel = `${config.redis.keyPrefix}:pace:preempt`;
    this.stopChannel = `${config.redis.keyPrefix}:pace:stop`;
    this.reserveScript = luaCommand(redis, 'araldoPaceReserve', 5, RESERVE_SCRIPT);
    this.refundScript = luaCommand(redis, 'araldoPaceRefund', 1, REFUND_SCRIPT);
    this.slowDownScript = luaCommand(redis, 'araldoPaceSlowDown', 2, SLOW_DOWN_SCRIPT);
    this.holdScript = luaCommand(redis, 'araldoPaceHold', 1, HOLD_SCRIPT);
    this.inboundScript = luaCommand(redis, 'araldoPaceInbound', 1, INBOUND_SCRIPT);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Closes the channels' connection (the shared client is not this class's to close). */
  async close(): Promise<void> {
    const sub = this.subscriber?.client;
    this.subscriber = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /**
   * Whether an emergency took the number's normal slots back after `since` (this clock): a normal
   * send reserved before then must not go on its slot (the emergency has it). Heard on the
   * pre-emption channel, a millisecond or two after the emergency's reservation; the emergency's
   * first slot is RESERVATION_LEAD_MS after it.
   */
  preemptedSince(numberId: string, since: number): boolean {
    const at = this.preemptions.get(numberId);
    return at !== undefined && at >= since;
  }

  /**
   * Keeps the number's normal traffic held for at least `ms` more: an emergency's messages Meta
   * refused for throughput come back after a few seconds, and the number's newsletter must not take
   * their place meanwhile.
   */
  async holdForEmergency(numberId: string, ms: number): Promise<void> {
    await this.holdScript(`pace:{${numberId}}:emergency`, String(Math.max(1, Math.round(ms))));
  }

  /**
   * A campaign was paused or cancelled: every worker stops sending its messages on the slots they
   * reserved before hearing this (stoppedSince), rather than letting a batch's slots run out, up to
   * RESERVATION_HORIZON_MS of the number's traffic (1,500 messages at 1,000/s). Messages already
   * handed to Meta are not affected. Published after the campaign's new status is committed: a
   * batch that reserves after hearing it finds the campaign no longer sending when it claims.
   */
  async stopCampaign(campaignId: string): Promise<void> {
    await this.redis.publish(this.stopChannel, campaignId);
  }

  /** Whether the campaign was paused or cancelled after `since` (this clock): its sends reserved before then must not go. */
  stoppedSince(campaignId: string, since: number): boolean {
    const at = this.stops.get(campaignId);
    return at !== undefined && at >= since;
  }

  /**
   * Starts listening on the pre-emption and stop channels (once; the first campaign reservation
   * does it) and resolves when subscribed. Until then, or while reconnecting, a pre-emption or a
   * stop is not heard: the batches finish their slots (the emergency follows them; a paused
   * campaign's last messages go), as without them.
   */
  listenForSignals(): Promise<void> {
    if (this.subscriber) return this.subscriber.subscribed;
    // The process's usual client set-up (its one line per kind of connection error); ioredis
    // subscribes again after a reconnect.
    const sub = createRedisClient(this.config, 'pace-signals');
    sub.on('message', (channel: string, id: string) => {
      if (channel === this.channel) this.preemptions.set(id, Date.now());
      else if (channel === this.stopChannel) this.heardStop(id, Date.now());
    });
    const subscribed = sub.subscribe(this.channel, this.stopChannel).then(
      () => undefined,
      (err: Error) => {
        this.logger.warn({ event: 'pace_signals_subscribe_failed', reason: err.message }, 'could not listen for pre-emptions and campaign stops');
      },
    );
    this.subscriber = { client: sub, subscribed };
    return subscribed;
  }

  /** Records a stop; stops older than STOP_KEPT_MS can no longer matter (no slot is reserved that far ahead) and are dropped. */
  private heardStop(campaignId: string, now: number): void {
    this.stops.set(campaignId, now);
    if (this.stops.size <= STOPS_KEPT) return;
    for (const [id, at] of this.stops) if (at < now - STOP_KEPT_MS) this.stops.delete(id);
  }

  /**
   * A ticket when the next send on the number may go now (it is then counted), or how long it must
   * still wait, in ms. A send that comes late for its slot (the event loop was busy), or whose
   * receiver counted the previous ones late, would otherwise go bunched with the next ones on time:
   * over Meta's count of the last second (130429). This keeps what this process sends per number
   * within the cap in any second as the receiver counts it (SendWindow); the slots keep it at
   * pacingShare × cap on average.
   */
  admit(numberId: string, mpsCap: number, now = Date.now()): SendTicket | number {
    // The whole cap: counted to the answers, the window holds what the receiver counted at most, and
    // a send waits its answer's round trip longer; at pacingShare × cap it would hold the number
    // below the pace its slots come at (985 a second at 1,000 with round trips of 8 ms: 977). The
    // share's headroom (other processes, the citizens' messages not yet counted) is kept by the
    // slots. Less the citizens' messages' rate on the number, which Meta counts with the sends, but
    // never below the share of the cap the slots keep for the sends (INBOUND_FLOOR): below it, the
    // reserved slots came faster than the window let them go, and a batch's rows waited in
    // 'sending' further behind with every send, until the sweep took them for stale.
    const inbound = this.inbound.get(numberId) ?? 0;
    return this.window.admit(numberId, Math.max(1, Math.floor(Math.max(mpsCap * INBOUND_FLOOR, mpsCap - inbound))), now);
  }

  /**
   * Waits until the next send on the number fits in this process's last second (see admit), and
   * counts it: the caller reports its answer with `answered`, or `release`s it if it does not go.
   */
  async waitForRoom(numberId: string, mpsCap: number): Promise<SendTicket> {
    for (;;) {
      const admitted = this.admit(numberId, mpsCap);
      if (typeof admitted !== 'number') return admitted;
      await new Promise((resolve) => setTimeout(resolve, admitted));
    }
  }

  /**
   * How long a campaign batch on the number should wait before reserving, in ms; 0 when this
   * process is keeping up. Slots are handed out on Redis's clock whatever this process manages to
   * send: a process that falls behind them (its CPU starved, or its window waiting for answers)
   * would go on claiming a horizon's worth of rows every 1.5 s while sending fewer, and the rows
   * it holds in 'sending' (in doubt should it die, and taken for stale by the sweep after a minute)
   * would pile up. Past two horizons of the number's cap in batches under way, batches wait instead.
   */
  backlogWait(numberId: string, mpsCap: number): number {
    const held = this.holding.get(numberId) ?? 0;
    const limit = Math.max(1, Math.ceil((mpsCap * 2 * RESERVATION_HORIZON_MS) / 1000));
    return held < limit ? 0 : Math.ceil(((held - limit + 1) * 1000) / mpsCap);
  }

  /** A campaign batch of `count` messages of the number is under way in this process (see backlogWait). */
  hold(numberId: string, count: number): void {
    this.holding.set(numberId, (this.holding.get(numberId) ?? 0) + count);
  }

  /** It is done. */
  unhold(numberId: string, count: number): void {
    const held = (this.holding.get(numberId) ?? 0) - count;
    if (held > 0) this.holding.set(numberId, held);
    else this.holding.delete(numberId);
  }

  /** The answer (or error) of a send counted by waitForRoom came (now, unless given). */
  answered(ticket: SendTicket, at = Date.now()): void {
    this.window.answered(ticket, at);
  }

  /** A send counted by waitForRoom did not go after all. */
  release(ticket: SendTicket): void {
    this.window.release(ticket);
  }

  /** Reserves up to `wanted` send slots for the number. */
  async reserve(numberId: string, mpsCap: number, wanted: number, lane: PacingLane): Promise<Reservation> {
    if (lane !== 'reply') void this.listenForSignals();
    const rate = Math.max(0.1, mpsCap * this.config.whatsapp.pacingShare);
    const interval = 1000 / rate;
    const sentAt = Date.now();
    const result = (await this.reserveScript(
      `pace:{${numberId}}:tat`,
      `pace:{${numberId}}:emergency`,
      `pace:{${numberId}}:slow`,
      `pace:{${numberId}}:warm`,
      `pace:{${numberId}}:in`,
      String(interval),
      String(Math.max(1, wanted)),
      String(RESERVATION_HORIZON_MS),
      lane,
      String(this.config.whatsapp.warmUpFactor),
      this.channel,
      numberId,
    )) as [number, number, string?, string?, string?, string?];
    const receivedAt = Date.now();
    const [granted, ms, usedInterval, tat, redisNow, inbound] = result;
    if (inbound !== undefined) this.noteInbound(numberId, Number(inbound));
    if (granted === 0) return { granted: 0, retryInMs: Math.max(1, ms), ...(usedInterval === 'next' ? { nextInLine: true } : {}) };
    const intervalMs = Number(usedInterval);
    // The slots are times on Redis's clock, shared by every worker; here they become times on this
    // process's clock through a steady estimate of the offset, not "ms from when the answer came
    // back": a reply late by the event loop would shift this batch onto the next one's slots.
    const offset = this.clock.observe(sentAt, receivedAt, Number(redisNow));
    const startAt = Number(tat) - granted * intervalMs + offset;
    return { granted, startInMs: Math.max(0, startAt - receivedAt), startAt, intervalMs, tat: tat ?? '', reservedAt: sentAt };
  }

  /**
   * `messages` citizens' messages reached the number: Meta counts them in its throughput with ours.
   * They are kept as a rate (INBOUND_TAU_MS) that the number's reservations leave room for: its
   * slots are spaced for its pace less that rate, and each worker's send window admits its cap less
   * that rate in any second (as of its last reservation). Without this, the pacing share's slack
   * (1.5 %: about one message a second at 80/s) was all the room inbound traffic had: replies to
   * an alert beyond it were refused as 130429s. Returns the number's inbound rate now.
   */
  async takeForInbound(numberId: string, messages: number): Promise<number> {
    if (messages <= 0) return 0;
    const rate = Number(await this.inboundScript(`pace:{${numberId}}:in`, String(Math.floor(messages))));
    this.noteInbound(numberId, rate);
    return rate;
  }

  /** The citizens' messages' rate on the number as Redis last told this process (see admit). */
  private noteInbound(numberId: string, rate: number): void {
    if (rate >= 0.5) this.inbound.set(numberId, rate);
    else this.inbound.delete(numberId);
  }

  /**
   * Returns slots a job reserved and will not use (rows another job had, recipients deferred or
   * skipped), so they are not lost to the number; only when no reservation came after it.
   */
  async refund(numberId: string, reservation: { tat: string; intervalMs: number }, unused: number): Promise<boolean> {
    if (unused <= 0 || reservation.tat === '') return false;
    const done = (await this.refundScript(`pace:{${numberId}}:tat`, reservation.tat, String(reservation.intervalMs), String(unused))) as number;
    return done === 1;
  }

  /**
   * Meta said the number was over its throughput (130429). A few are timing at the edge of the
   * rate, or sends bunched by a stall on the way (each message is retried a few seconds later).
   * When they reach SLOW_ERROR_SHARE of what the number may send in SLOW_WINDOW_MS, spread over
   * the window (SLOW_SPREAD of its quarters), the number really is over what Meta allows it: its
   * interval is stretched by SLOW_STEP for `ms`, compounding while the errors go on (a number Meta
   * holds at 20/s, a coexistence number, gets there in a few steps), back to full pace once they
   * stop. `errors`: how many 130429s this call reports (a batch's together); `now`: when (epoch
   * ms). Returns the factor now in force when they slowed the number down, else 0.
   */
  async slowDown(numberId: string, mpsCap: number, ms: number, errors = 1, now = Date.now()): Promise<number> {
    const threshold = Math.max(3, Math.ceil(mpsCap * (SLOW_WINDOW_MS / 1000) * SLOW_ERROR_SHARE));
    const factor = (await this.slowDownScript(
      `pace:{${numberId}}:errors`,
      `pace:{${numberId}}:slow`,
      String(threshold),
      String(SLOW_WINDOW_MS),
      String(Math.max(1, Math.round(ms))),
      String(SLOW_STEP),
      String(SLOW_MAX_FACTOR),
      String(Math.max(1, Math.floor(errors))),
      String(Math.floor(now)),
      String(SLOW_SPREAD),
    )) as string;
    return Number(factor);
  }
}

/**
 * This process's clock minus Redis's, estimated from the reservations' round trips as NTP does:
 * each call brackets Redis's time between the request and the reply, and the estimate from the
 * tightest bracket wins. An estimate's uncertainty grows with its age (clocks drift, and slew under
 * NTP), so a fresh tight one replaces an old one.
 */
export class ClockOffset {
  /** Growth of an estimate's uncertainty per ms of age (0.1 ms per second). */
  static readonly AGEING = 1e-4;
  private best: { offset: number; error: number; at: number } | null = null;

  /** Records a round trip (`sentAt`, `receivedAt` on this clock; `remoteNow` in between) and returns the offset. */
  observe(sentAt: number, receivedAt: number, remoteNow: number): number {
    const b = this.best;
    if (!Number.isFinite(remoteNow)) return b?.offset ?? 0;
    const error = Math.max(0, receivedAt - sentAt) / 2;
    if (b !== null && error > b.error + (receivedAt - b.at) * ClockOffset.AGEING) return b.offset;
    const offset = (sentAt + receivedAt) / 2 - remoteNow;
    this.best = { offset, error, at: receivedAt };
    return offset;
  }
}

/** One key's sends in a SendWindow: those unanswered, and the answer times still within the window. */
interface WindowState {
  unanswered: number;
  answers: ExpiringTimes;
}

/** A send counted by a SendWindow, until `answered` or `release` settles it (once). */
export interface SendTicket {
  readonly state: WindowState;
  settled: boolean;
}

/** How long a send waits when every send counted is still unanswered (a window's worth in flight: rare). */
const UNANSWERED_RETRY_MS = 5;

/**
 * The sends per key over a sliding window, as the receiving end may have counted them (Meta counts a
 * number's throughput so); memory is bounded by the limit.
 *
 * A send is counted from when it goes until a full window after its answer came, not after it went:
 * Meta counted it somewhere in between, and a busy receiver counts late. Counted from when it went,
 * sends that reached a receiver stalled for 20 ms were counted together at the end of the stall,
 * bunched with the on-time sends one second later: at 0.985 of the cap, any stall over 15 ms made
 * 130429s. Counted to the answer, the k-th send's count at the receiver is at least a window before
 * the (k + limit)-th's, whatever the stalls; each stall delays the sends after it instead. A send
 * whose answer never comes (until its timeout) holds one place, not the window.
 */
export class SendWindow {
  private readonly states = new Map<string, WindowState>();

  constructor(private readonly windowMs: number) {}

  /**
   * A ticket when fewer than `limit` of the key's sends are unanswered or were answered within the
   * window before `now`: the send is counted, unanswered until {@link answered} (or {@link release}
   * when it does not go after all). Otherwise the ms to wait before asking again.
   */
  admit(key: string, limit: number, now: number): SendTicket | number {
    let state = this.states.get(key);
    if (!state) {
      state = { unanswered: 0, answers: new ExpiringTimes(this.windowMs) };
      this.states.set(key, state);
    }
    const answeredInWindow = state.answers.countAt(now);
    if (state.unanswered + answeredInWindow < limit) {
      state.unanswered += 1;
      return { state, settled: false };
    }
    return answeredInWindow > 0 ? state.answers.nextExpiry - now + 1 : UNANSWERED_RETRY_MS;
  }

  /** The send's answer (or its error) came at `at`: it leaves the window a full window later. */
  answered(ticket: SendTicket, at: number): void {
    if (ticket.settled) return;
    ticket.settled = true;
    ticket.state.unanswered -= 1;
    // An answer reported out of order counts as late as the latest (never shorter).
    ticket.state.answers.push(at);
  }

  /** The send did not go: its place is free at once. */
  release(ticket: SendTicket): void {
    if (ticket.settled) return;
    ticket.settled = true;
    ticket.state.unanswered -= 1;
  }
}
