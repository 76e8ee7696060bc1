import type { NumberId, TenantId } from '#common';
import type { QueuedRef } from '#database';

/** Priority at or above which a message is an emergency: it pre-empts its number's normal traffic. */
export const EMERGENCY_PRIORITY = 10;
/** Jobs are queued this much before their first slot, so a worker has the batch claimed when it comes. */
const LEAD_MS = 250;

export interface PlannedBatch {
  tenantId: string;
  outboundIds: string[];
  delayMs: number;
  urgent: boolean;
  /** Campaign batches only: the number and lane their slots are reserved on before the claim. */
  numberId?: string;
  lane?: 'normal' | 'emergency';
  /** Campaign batches only: the earliest planned time of its rows in PostgreSQL (epoch ms), see LOST_JOB_AFTER_MS. */
  plannedAt?: number;
}

/**
 * A queued message whose planned time passed this long ago lost its job: the sweep enqueues it
 * again. So a batch that waits for slots need not write its rows' new time while it comes back
 * within this of the time they show (SendOutboundPayload.plannedAt).
 */
export const LOST_JOB_AFTER_MS = 2 * 60_000;

/**
 * A campaign job's length in seconds of its number's pace (batchSizeFor). With the job queued
 * LEAD_MS before its first slot, the whole batch must fit within the reservation horizon (1.5 s)
 * even while the number warms up (1.1× slower), or it waits for the schedule to come within reach:
 * at 1.2 s it did not, and the number idled between batches in its first seconds.
 */
const BATCH_SECONDS = 1;

/**
 * How many messages one job carries for a number paced at `ratePerSec`: about BATCH_SECONDS of its
 * traffic, at least 10 and at most 100. Each job costs the same whatever its size (a Bull job, a
 * reservation, the claim's and the record's transactions, the completion check), so at 80 msg/s a
 * batch of 80 costs it once where batches of 40 cost it twice. Half a second was the length
 * while an emergency had to wait for the normal slots a job held; it now takes them back (ADR 0009).
 */
export function batchSizeFor(ratePerSec: number): number {
  return Math.max(10, Math.min(100, Math.floor(ratePerSec * BATCH_SECONDS)));
}

/**
 * Messages of one comune, number, campaign (or none) and lane, in planned order, read by
 * position (0-based): what planBatches groups its refs into, and what a campaign's snapshot
 * hands over directly, without an object per message.
 */
export interface SendRun {
  tenantId: TenantId;
  numberId: NumberId;
  campaignId: string | null;
  urgent: boolean;
  readonly length: number;
  idAt(i: number): string;
  /** Planned time (epoch ms); null: as soon as possible. */
  plannedAt(i: number): number | null;
}

/**
 * Turns queued messages into send jobs: grouped by comune, number, campaign and lane, in planned
 * order, each batch delayed until its messages are due and no earlier than the number's pace
 * reaches it. The pace itself is kept by NumberPacer; these delays only keep a 100,000-recipient
 * campaign from sitting in Redis as ready jobs that every worker would pick up and put back.
 */
export function planBatches(refs: readonly QueuedRef[], rateOf: (ref: QueuedRef) => number, now: number): PlannedBatch[] {
  const groups = new Map<string, QueuedRef[]>();
  for (const r of refs) {
    const urgent = r.priority >= EMERGENCY_PRIORITY;
    const key = `${r.tenantId}/${r.numberId}/${r.campaignId ?? '-'}/${urgent ? 'u' : 'n'}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const out: PlannedBatch[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0));
    const first = list[0];
    const run: SendRun = {
      tenantId: first.tenantId,
      numberId: first.numberId,
      campaignId: first.campaignId,
      urgent: first.priority >= EMERGENCY_PRIORITY,
      length: list.length,
      idAt: (i) => list[i].id,
      plannedAt: (i) => list[i].nextAttemptAt?.getTime() ?? null,
    };
    for (const b of planRun(run, rateOf(first), now)) out.push(b);
  }
  return out;
}

/** One run's send jobs (see planBatches): a campaign's in batches of about BATCH_SECONDS of its pace, others one message each. */
export function planRun(run: SendRun, ratePerSec: number, now: number): PlannedBatch[] {
  const rate = Math.max(0.1, ratePerSec);
  const size = run.campaignId ? batchSizeFor(rate) : 1;
  const out: PlannedBatch[] = [];
  for (let i = 0, k = 0; i < run.length; i += size, k++) {
    const end = Math.min(run.length, i + size);
    const outboundIds = new Array<string>(end - i);
    for (let j = i; j < end; j++) outboundIds[j - i] = run.idAt(j);
    const planned = run.plannedAt(i);
    const due = Math.max(0, (planned ?? now) - now);
    const paced = run.campaignId ? (i * 1000) / rate : 0;
    out.push({
      tenantId: run.tenantId,
      outboundIds,
      delayMs: Math.max(0, Math.max(due, paced) - (k === 0 && due === 0 ? 0 : LEAD_MS)),
      urgent: run.urgent,
      ...(run.campaignId
        ? {
            numberId: run.numberId,
            lane: run.urgent ? ('emergency' as const) : ('normal' as const),
            ...(planned !== null ? { plannedAt: planned } : {}),
          }
        : {}),
    });
  }
  return out;
}
