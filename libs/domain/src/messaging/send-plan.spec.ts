import { asNumberId, asOutboundMessageId, asTenantId } from '#common';
import type { QueuedRef } from '#database';
import { EMERGENCY_PRIORITY, batchSizeFor, planBatches, planRun, type SendRun } from './send-plan.js';

const tenantId = asTenantId('0190f0b0-0000-7000-8000-000000000001');
const numberId = asNumberId('0190f0b0-0000-7000-8000-000000000002');
const now = Date.UTC(2026, 11, 7, 9, 0, 0);

/** A campaign's run of `n` messages, one every `intervalMs` from `startMs`. */
function run(n: number, startMs: number, intervalMs: number, urgent = false): SendRun {
  return {
    tenantId,
    numberId,
    campaignId: 'c1',
    urgent,
    length: n,
    idAt: (i) => `m${i}`,
    plannedAt: (i) => startMs + i * intervalMs,
  };
}

describe('planRun', () => {
  it('cuts a campaign run into batches of about a second of its pace, in order, each due with its first message', () => {
    const batches = planRun(run(250, now, 12.5), 80, now);
    expect(batchSizeFor(80)).toBe(80);
    expect([batchSizeFor(5), batchSizeFor(20), batchSizeFor(1000)]).toEqual([10, 20, 100]);
    expect(batches.map((b) => b.outboundIds.length)).toEqual([80, 80, 80, 10]);
    expect(batches.flatMap((b) => b.outboundIds)).toEqual(Array.from({ length: 250 }, (_, i) => `m${i}`));
    // The first batch goes at once; the others 250 ms before their first slot.
    expect(batches[0]).toMatchObject({ delayMs: 0, urgent: false, numberId, lane: 'normal', plannedAt: now });
    expect(batches[1]).toMatchObject({ delayMs: 80 * 12.5 - 250, plannedAt: now + 80 * 12.5 });
    expect(batches[3].delayMs).toBe(240 * 12.5 - 250);
  });

  it('never plans a batch before the pace reaches it, even when its rows say earlier', () => {
    const batches = planRun(run(300, now - 60_000, 1), 80, now);
    expect(batches[0].delayMs).toBe(0);
    expect(batches[2].delayMs).toBe((160 * 1000) / 80 - 250);
  });

  it('puts an emergency run on the emergency lane', () => {
    const [b] = planRun(run(5, now, 1, true), 1000, now);
    expect(b).toMatchObject({ urgent: true, lane: 'emergency', outboundIds: ['m0', 'm1', 'm2', 'm3', 'm4'] });
  });

  it('sends messages of no campaign one job each, as soon as they are due', () => {
    const single: SendRun = { ...run(3, now + 5000, 0), campaignId: null };
    const batches = planRun(single, 80, now);
    expect(batches.map((b) => b.outboundIds)).toEqual([['m0'], ['m1'], ['m2']]);
    expect(batches[0]).not.toHaveProperty('lane');
    expect(batches.map((b) => b.delayMs)).toEqual([4750, 4750, 4750]);
  });

  it('plans nothing for an empty run', () => {
    expect(planRun(run(0, now, 1), 80, now)).toEqual([]);
  });
});

describe('planBatches', () => {
  const ref = (id: string, at: number | null, over: Partial<QueuedRef> = {}): QueuedRef => ({
    tenantId,
    id: asOutboundMessageId(id),
    numberId,
    campaignId: 'c1',
    priority: 0,
    nextAttemptAt: at === null ? null : new Date(at),
    ...over,
  });

  it('groups by comune, number, campaign and lane, each group in planned order', () => {
    const refs = [
      ref('b', now + 20),
      ref('e1', now, { priority: EMERGENCY_PRIORITY }),
      ref('a', now + 10),
      ref('x', now, { campaignId: 'c2' }),
      ref('r', null, { campaignId: null }),
    ];
    const batches = planBatches(refs, () => 80, now);
    expect(batches.map((b) => [b.outboundIds, b.lane ?? null])).toEqual([
      [['a', 'b'], 'normal'],
      [['e1'], 'emergency'],
      [['x'], 'normal'],
      [['r'], null],
    ]);
  });

  it('plans a group as planRun plans the same run', () => {
    const refs = Array.from({ length: 130 }, (_, i) => ref(`m${i}`, now + i * 12.5));
    expect(planBatches([...refs].reverse(), () => 80, now)).toEqual(planRun(run(130, now, 12.5), 80, now));
  });
});
