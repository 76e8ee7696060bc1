import { Injectable } from '@nestjs/common';
import { ConflictError } from '#common';
import type { EntityManager } from 'typeorm';
import type { NumberId, OutboundMessageId, TenantId } from '#common';
import { CampaignSettingsEntity } from '../entities/campaign-settings.entity.js';
import { CampaignEntity, type CampaignAudience, type CampaignStatus } from '../entities/campaign.entity.js';
import { REACHING_STATUSES } from '../entities/outbound-message.entity.js';
import { SequentialIds } from '../sequential-ids.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export type NewCampaign = Omit<
  CampaignEntity,
  | 'targeted'
  | 'skipped'
  | 'deferred'
  | 'failureReason'
  | 'approvedBy'
  | 'approvedAt'
  | 'startedAt'
  | 'snapshotPlan'
  | 'snapshotDoneAt'
  | 'pausedAt'
  | 'completedAt'
  | 'cancelledAt'
  | 'createdAt'
  | 'updatedAt'
>;

export type CampaignPatch = Partial<Omit<CampaignEntity, 'tenantId' | 'id' | 'createdAt'>>;

/** Who a campaign would reach, counted without materialising anything. */
export interface AudienceCounts {
  total: number;
  inWindow: number;
  marketingOptedOut: number;
  unreachable: number;
  frequencyCapped: number;
  /** Held back because they have not accepted the privacy policy version whose deadline has passed. */
  policyPaused: number;
}

export interface CampaignCounts {
  targeted: number;
  queued: number;
  sending: number;
  unknown: number;
  accepted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  cancelled: number;
  skipped: number;
  failedByReason: { code: number | null; action: string | null; reason: string | null; count: number }[];
  skippedByReason: { reason: string | null; count: number }[];
  firstAcceptedAt: Date | null;
  lastAcceptedAt: Date | null;
}

/** A chunk of a snapshot: the next `limit` subscribers of the audience, by id, after `after` (null: from the first). */
export interface SnapshotChunk {
  after: string | null;
  /** The last subscriber the chunk may take (null: no bound): a piece written beside the next one. */
  upTo?: string | null;
  limit: number;
  /** Rows of the campaign materialised before this chunk: the planned times go on from there. */
  offset: number;
}

/** A range of subscriber ids, (after, upTo] (either end null: open), as SQL over `column`. */
const RANGE = (column: string, after: string, upTo: string): string =>
  `(${after}::uuid IS NULL OR ${column} > ${after}::uuid) AND (${upTo}::uuid IS NULL OR ${column} <= ${upTo}::uuid)`;

const DAY_MS = 24 * 3600_000;

/**
 * Whether the subscriber joined by CONTACT_JOIN is inside the 24-hour customer-service window: free
 * text may reach them, and a template to them uses none of the portfolio's capacity. The estimate
 * and a capacity split's snapshot decide it alike.
 */
const IN_WINDOW = `coalesce(coalesce(cw.last_inbound_at, cu.last_inbound_at) > now() - interval '24 hours', false)`;

/**
 * The key of a capacity split's campaign `snapshot_plan` that counts the recipients outside the
 * window its chunks planned now so far: the part of `immediate` used up (absent: none).
 */
const CAPACITY_USED = 'capacityUsed';

/** Contacts after this many undeliverable results are treated as unreachable and skipped by campaigns. */
export const UNREACHABLE_AFTER = 3;

/**
 * Why a campaign skips a recipient, first reason first, as [reason, SQL condition] over the
 * subscriber `s` and CONTACT_JOIN's contacts: the snapshot records the reason, and the estimate
 * counts the window without them; one list, so the two cannot disagree. `unreachableAfter` and
 * `policyVersion` are the statements' parameters; `capped` says whether a `capped` CTE is there.
 */
function skipReasons(p: { unreachableAfter: string; capped: boolean; policyVersion: string | null }): [string, string][] {
  return [
    ['unreachable', `coalesce(cw.undeliverable_count, cu.undeliverable_count, 0) >= ${p.unreachableAfter}`],
    ...(p.capped ? [['frequency_cap', `s.id IN (SELECT subscriber_id FROM capped)`] as [string, string]] : []),
    ...(p.policyVersion ? [['policy_not_accepted', `s.policy_version_accepted IS DISTINCT FROM ${p.policyVersion}`] as [string, string]] : []),
  ];
}

export interface MaterialiseOptions {
  numberId: NumberId;
  category: string | null;
  priority: number;
  /** Planned time of the first message and the spacing between messages (the number's pace). */
  start: Date;
  intervalMs: number;
  /**
   * A capacity split (the portfolio's tier limits how many people outside the 24-hour window it may
   * reach in a day): how many recipients outside the window may go now, counted over the whole
   * snapshot; the others outside it go 24 hours later. Those inside the window always go now: they
   * use none of the capacity. Null: everyone now.
   */
  immediate: number | null;
  frequencyCap: { perWeek: number; campaignIds: string[] } | null;
  policyGate: PolicyGate | null;
}

/**
 * The comune's current privacy policy version once its acceptance deadline has passed: normal
 * broadcasts skip the subscribers who have not accepted it (docs/adr/0008).
 */
export interface PolicyGate {
  version: string;
  reason: string;
}

/**
 * The SQL that selects a campaign's audience from `subscribers s`: active subscribers of the comune
 * on any of the lists (all lists when none is given), narrowed by frazione, tags and sign-up date.
 * $1 is the tenant; the audience parameters follow from `first`.
 */
function audienceSql(audience: CampaignAudience, first: number): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  const clauses = [`s.tenant_id = $1`, `s.status = 'active'`, `s.erased_at IS NULL`, `(s.phone_e164 IS NOT NULL OR s.user_id IS NOT NULL)`];
  if (audience.listIds && audience.listIds.length > 0) {
    clauses.push(
      `EXISTS (SELECT 1 FROM subscriptions x WHERE x.tenant_id = $1 AND x.subscriber_id = s.id AND x.status = 'active' AND x.list_id = ANY(${p(audience.listIds)}::uuid[]))`,
    );
  }
  if (audience.frazioni && audience.frazioni.length > 0) clauses.push(`s.frazione = ANY(${p(audience.frazioni)}::text[])`);
  if (audience.tags && audience.tags.length > 0) clauses.push(`s.tags && ${p(audience.tags)}::text[]`);
  if (audience.subscribedAfter) clauses.push(`s.activated_at >= ${p(audience.subscribedAfter)}::timestamptz`);
  if (audience.subscribedBefore) clauses.push(`s.activated_at < ${p(audience.subscribedBefore)}::timestamptz`);
  if (audience.policyPending) {
    const version = p(audience.policyPending.versionId);
    clauses.push(
      `s.policy_version_accepted IS DISTINCT FROM (SELECT v.version FROM privacy_policy_versions v WHERE v.tenant_id = $1 AND v.id = ${version}::uuid)`,
    );
    // Not asked twice for the same version: whoever an earlier request reached (or is reaching) is
    // left out, unless this request is a reminder.
    if (!audience.policyPending.includeAsked) {
      clauses.push(
        `NOT EXISTS (SELECT 1 FROM outbound_messages o JOIN campaigns k ON k.tenant_id = o.tenant_id AND k.id = o.campaign_id
          WHERE o.tenant_id = $1 AND k.tenant_id = $1 AND k.policy_version_id = ${version}::uuid AND o.subscriber_id = s.id
            AND o.status = ANY(${p(REACHING_STATUSES)}::text[]))`,
      );
    }
  }
  return { where: clauses.join(' AND '), params };
}

/**
 * The audience queries read a whole comune (up to 100,000 subscribers, their contacts and lists):
 * hash joins are right for them. Right after an import the tables' statistics still say "empty",
 * and the planner then picks nested loops that took 45 s for 5,000 recipients; this keeps the
 * choice out of the statistics' hands, for this transaction only. A small chunk of a snapshot (the
 * first second of a campaign) goes the other way, `lookup`: hashing the comune's 100,000 contacts
 * for 100 recipients cost more than the rest of its statement, so its joins are index look-ups.
 */
async function bulkQuery<T>(m: EntityManager, sql: string, params: unknown[], plan: 'hash' | 'lookup' = 'hash'): Promise<T[]> {
  // And the snapshot's sort by subscriber id stays in memory (the 4 MB default spilled it to disk).
  await m.query(
    plan === 'hash'
      ? `SET LOCAL enable_nestloop = off; SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on; SET LOCAL work_mem = '64MB'`
      : `SET LOCAL enable_nestloop = on; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`,
  );
  return returningRows<T>(m, sql, params);
}

/**
 * The queued rows of a snapshot chunk in planned order, read by position (0-based): a chunk of
 * 100,000 needs no object per row on its way to the send jobs.
 */
export interface QueuedRun {
  readonly length: number;
  /** How many of the rows, from the first, go now: the rest a capacity split planned for the next day. */
  readonly goingNow: number;
  idAt(i: number): OutboundMessageId;
  /** Planned time, epoch ms. */
  plannedAt(i: number): number;
}

/** Snapshot chunks of up to this many recipients join by index look-ups (see bulkQuery). */
const LOOKUP_CHUNK_MAX = 5_000;

/**
 * The planned time of the `rn`-th slot (1-based) of a run from `start`, one interval apart, whose
 * slots past the first `immediate` go 24 hours later (null: none do). The snapshot plans the rows
 * going now on the slot of their place in the audience (`immediate` null), and the rows a capacity
 * split defers on a run of their own from a day after the start (`immediate` 0): see materialise.
 */
export function plannedAt(opts: { start: Date; intervalMs: number; immediate: number | null }, rn: number): { time: Date; deferred: boolean } {
  const start = opts.start.getTime();
  if (opts.immediate === null || rn <= opts.immediate) return { time: new Date(start + (rn - 1) * opts.intervalMs), deferred: false };
  return { time: new Date(start + DAY_MS + (rn - 1 - opts.immediate) * opts.intervalMs), deferred: true };
}

/**
 * The contact a subscriber is to the campaign's number (wa_id from the profile, else the phone's
 * digits). `waKey` may name that key computed beforehand in a subquery: a plain column compared
 * can be an index look-up under row-level security, an expression with `ltrim` (not leakproof) cannot.
 */
const CONTACT_JOIN = (numberParam: string, waKey = `coalesce(s.wa_id, ltrim(s.phone_e164, '+'))`): string => `
  LEFT JOIN contacts cw ON cw.tenant_id = $1 AND cw.number_id = ${numberParam} AND cw.wa_id = ${waKey}
  LEFT JOIN contacts cu ON cu.tenant_id = $1 AND cu.number_id = ${numberParam} AND s.wa_id IS NULL AND s.phone_e164 IS NULL AND cu.user_id = s.user_id`;

@Injectable()
export class CampaignRepository {
  constructor(private readonly db: TenantDb) {}

  async insert(tenantId: TenantId, row: NewCampaign): Promise<CampaignEntity> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        await m.insert(CampaignEntity, { ...row, tenantId });
        return m.findOneByOrFail(CampaignEntity, { tenantId, id: row.id });
      });
    } catch (err) {
      if (uniqueViolation(err) === 'campaigns_open_policy_request_key') {
        throw new ConflictError(
          'a request to accept this privacy policy version is still open: wait until it has been sent, or cancel it',
          'POLICY_REQUEST_IN_PROGRESS',
        );
      }
      throw err;
    }
  }

  findById(tenantId: TenantId, id: string): Promise<CampaignEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(CampaignEntity, { tenantId, id }));
  }

  list(tenantId: TenantId, page: PageRequest, filter: { status?: CampaignStatus; alertId?: string } = {}): Promise<Page<CampaignEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(CampaignEntity, {
        where: { tenantId, ...(filter.status ? { status: filter.status } : {}), ...(filter.alertId ? { alertId: filter.alertId } : {}) },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /**
   * Moves a campaign from one of `from` to the patched state, atomically: of two concurrent clicks
   * (or a click and the scheduler) only one wins. Returns the updated row, or null when it was not in `from`.
   */
  async transition(tenantId: TenantId, id: string, from: readonly CampaignStatus[], patch: CampaignPatch): Promise<CampaignEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(CampaignEntity)
        .set({ ...patch, updatedAt: () => 'now()' })
        .where('tenant_id = :tenantId AND id = :id AND status IN (:...from)', { tenantId, id, from })
        .execute();
      if (!result.affected) return null;
      return m.findOneBy(CampaignEntity, { tenantId, id });
    });
  }

  /**
   * As transition, and also says which of `from` the campaign left: what the caller read before
   * may be stale (a start that committed meanwhile has made a scheduled campaign sending). The row
   * is locked first, so the status returned is the one the update replaced.
   */
  async transitionFrom(
    tenantId: TenantId,
    id: string,
    from: readonly CampaignStatus[],
    patch: CampaignPatch,
  ): Promise<{ row: CampaignEntity; previous: CampaignStatus } | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const before = await m
        .createQueryBuilder(CampaignEntity, 'k')
        .setLock('pessimistic_write')
        .where('k.tenant_id = :tenantId AND k.id = :id', { tenantId, id })
        .getOne();
      if (!before || !from.includes(before.status)) return null;
      const row = await this.transition(tenantId, id, from, patch);
      return row ? { row, previous: before.status } : null;
    });
  }

  async countAudience(
    tenantId: TenantId,
    numberId: NumberId,
    audience: CampaignAudience,
    frequencyCap: MaterialiseOptions['frequencyCap'],
    policyGate: PolicyGate | null = null,
  ): Promise<AudienceCounts> {
    const a = audienceSql(audience, 4);
    const capped = frequencyCap ? this.cappedCte(4 + a.params.length) : null;
    const gateIdx = 4 + a.params.length + (frequencyCap ? 2 : 0);
    // Who the snapshot will skip (unreachable, over the frequency cap, not on the policy): the
    // window count leaves them out, or those outside the window, who use the portfolio's capacity,
    // would be under-counted by the skipped ones inside it.
    const skipped = skipReasons({ unreachableAfter: '$3', capped: capped !== null, policyVersion: policyGate ? `$${gateIdx}` : null })
      .map(([, condition]) => condition)
      .join(' OR ');
    const rows = await this.db.forTenant(tenantId, (m) =>
      bulkQuery<AudienceCounts>(
        m,
        `${capped ? `WITH ${capped.sql}` : ''}
         SELECT count(*)::int AS total,
                count(*) FILTER (WHERE ${IN_WINDOW} AND NOT (${skipped}))::int AS "inWindow",
                count(*) FILTER (WHERE coalesce(cw.marketing_opted_out_at, cu.marketing_opted_out_at) IS NOT NULL)::int AS "marketingOptedOut",
                count(*) FILTER (WHERE coalesce(cw.undeliverable_count, cu.undeliverable_count, 0) >= $3)::int AS unreachable,
                ${capped ? `count(*) FILTER (WHERE s.id IN (SELECT subscriber_id FROM capped))::int` : '0'} AS "frequencyCapped",
                ${
                  policyGate
                    ? `count(*) FILTER (WHERE s.policy_version_accepted IS DISTINCT FROM $${gateIdx} AND coalesce(cw.undeliverable_count, cu.undeliverable_count, 0) < $3)::int`
                    : '0'
                } AS "policyPaused"
           FROM subscribers s ${CONTACT_JOIN('$2')}
          WHERE ${a.where}`,
        [
          tenantId,
          numberId,
          UNREACHABLE_AFTER,
          ...a.params,
          ...(frequencyCap ? [frequencyCap.campaignIds, frequencyCap.perWeek] : []),
          ...(policyGate ? [policyGate.version] : []),
        ],
      ),
    );
    return rows[0] ?? { total: 0, inWindow: 0, marketingOptedOut: 0, unreachable: 0, frequencyCapped: 0, policyPaused: 0 };
  }

  /** Subscribers who already got `perWeek` normal campaigns in the last 7 days. */
  /** Subscribers who already had `perWeek` of the recent campaigns (optionally only those in a snapshot chunk's range). */
  private cappedCte(first: number, after?: string, upTo?: string): { sql: string } {
    const range = after && upTo ? ` AND ${RANGE('p.subscriber_id', after, upTo)}` : '';
    return {
      sql: `capped AS (
        SELECT p.subscriber_id FROM outbound_messages p
         WHERE p.tenant_id = $1 AND p.campaign_id = ANY($${first}::uuid[]) AND p.status NOT IN ('skipped', 'cancelled', 'failed')${range}
         GROUP BY p.subscriber_id HAVING count(*) >= $${first + 1})`,
    };
  }

  /**
   * Gives the chunk's rows that have no contact one (subscribers imported or signed up on the web
   * never wrote to the number), so receipts and holds have a row to land on: creates the contacts
   * of the chunk's subscribers (ids in (after, upTo]) and points the campaign's rows at them. Only
   * run when the snapshot found such rows: for a comune whose citizens subscribed on WhatsApp it
   * costs nothing (it was a hash of every contact, per chunk, before). The new contacts go in the
   * order of their unique keys (wa_id, then user_id): of two statements creating the same contacts
   * (the two pieces of a chunk, two campaigns on one number), the later one then waits at the
   * first contact they share, holding none the other needs; in no fixed order each could hold a
   * contact the other waits for, and one of them died of a deadlock.
   */
  async attachContacts(tenantId: TenantId, numberId: NumberId, campaignId: string, after: string | null, upTo: string): Promise<number> {
    return this.db.forTenant(tenantId, async (m) => {
      await bulkQuery(
        m,
        `INSERT INTO contacts (tenant_id, id, number_id, wa_id, user_id)
         SELECT $1, gen_random_uuid(), $2, coalesce(s.wa_id, ltrim(s.phone_e164, '+')),
                CASE WHEN s.wa_id IS NULL AND s.phone_e164 IS NULL THEN s.user_id END
           FROM outbound_messages o JOIN subscribers s ON s.tenant_id = $1 AND s.id = o.subscriber_id
          WHERE o.tenant_id = $1 AND o.campaign_id = $3 AND o.contact_id IS NULL AND ${RANGE('o.subscriber_id', '$4', '$5')}
          ORDER BY 4, 5
         ON CONFLICT DO NOTHING`,
        [tenantId, numberId, campaignId, after, upTo],
      );
      const rows = await bulkQuery<{ id: string }>(
        m,
        `UPDATE outbound_messages o SET contact_id = coalesce(cw.id, cu.id)
           FROM subscribers s ${CONTACT_JOIN('$2')}
          WHERE o.tenant_id = $1 AND o.campaign_id = $3 AND o.contact_id IS NULL AND ${RANGE('o.subscriber_id', '$4', '$5')}
            AND s.tenant_id = $1 AND s.id = o.subscriber_id AND coalesce(cw.id, cu.id) IS NOT NULL
          RETURNING o.id`,
        [tenantId, numberId, campaignId, after, upTo],
      );
      return rows.length;
    });
  }

  /**
   * One chunk of the audience snapshot (the next `chunk.limit` subscribers by id), in one INSERT ...
   * SELECT: one outbound row per recipient, unique per (campaign, subscriber), content rendered
   * later at send time. Recipients over the frequency cap or unreachable are recorded as skipped
   * with the reason; each queued row carries its planned time, the slot of its place in the
   * audience, counted on from `chunk.offset` rows already materialised. A chunk with fewer rows
   * than its limit is the last. The ids are a run of {@link SequentialIds} numbered like the planned
   * times, so only the count and the skipped rows' ids come back: this process rebuilds the queued
   * ids and times itself (returning 100,000 rows to be parsed and sorted cost a fifth of the snapshot).
   * No ON CONFLICT: the chunk's range starts after the last subscriber materialised, under the
   * campaign's lock, so a duplicate is a defect and fails the chunk rather than shifting the run.
   *
   * A capacity split (`opts.immediate`) decides per recipient, in id order: inside the 24-hour
   * window, now; outside it, now while the campaign's recipients outside the window planned now
   * stay within `immediate`, else the next day, on a run of slots of the deferred rows' own from a
   * day after the start. Both counts go on from the campaign's row (`deferred` and the snapshot
   * plan's CAPACITY_USED, which addSnapshotChunk adds the chunk's to), so the caller holds the
   * campaign locked and writes such a chunk whole: a piece written beside another would count
   * without the other's rows.
   *
   * Returns the queued rows in planned order (those going now, then the deferred ones), as a run
   * read by position, and how many outside the window it planned now (`capacityUsed`).
   */
  async materialise(
    tenantId: TenantId,
    campaign: CampaignEntity,
    opts: MaterialiseOptions,
    chunk: SnapshotChunk,
  ): Promise<{
    queued: QueuedRun;
    rows: number;
    skipped: number;
    deferred: number;
    capacityUsed: number;
    /** How many of the chunk's rows found no contact (see attachContacts). */
    withoutContact: number;
  }> {
    const base = 16;
    const a = audienceSql(campaign.audience, base);
    const capIdx = base + a.params.length;
    const capped = opts.frequencyCap ? this.cappedCte(capIdx, '$10', 'NULL') : null;
    const gateIdx = capIdx + (opts.frequencyCap ? 2 : 0);
    const split = opts.immediate !== null;
    const immediateIdx = gateIdx + (opts.policyGate ? 2 : 0);
    const ids = new SequentialIds();
    const result = await this.db.forTenant(tenantId, (m) =>
      bulkQuery<{
        rows: number;
        skipped: string[];
        withoutContact: number;
        /** A capacity split's: the deferred rows' numbers in the chunk, in order, and the counts. */
        later?: number[];
        deferredBefore?: number;
        capacityUsed?: number;
      }>(
        m,
        `WITH ${capped ? `${capped.sql},` : ''}
         src AS (
           SELECT s.id AS subscriber_id, coalesce(cw.id, cu.id) AS contact_id,
                  coalesce(s.phone_e164, s.user_id) AS recipient, CASE WHEN s.phone_e164 IS NULL THEN 'bsuid' ELSE 'phone' END AS recipient_kind,
                  CASE ${skipReasons({ unreachableAfter: '$8', capped: capped !== null, policyVersion: opts.policyGate ? `$${gateIdx}` : null })
                    .map(([reason, condition]) => `WHEN ${condition} THEN '${reason}'`)
                    .join(' ')} END AS skip,
                  ${split ? `${IN_WINDOW} AS in_window,` : ''}
                  row_number() OVER (ORDER BY s.id) AS rc
             FROM (SELECT s.*, coalesce(s.wa_id, ltrim(s.phone_e164, '+')) AS wa_key FROM subscribers s
                    WHERE ${a.where} AND ${RANGE('s.id', '$10', '$15')} ORDER BY s.id LIMIT $11) s
                  ${CONTACT_JOIN('$3', 's.wa_key')}),
         ${
           split
             ? `so_far AS (
                  SELECT deferred, coalesce((snapshot_plan->>'${CAPACITY_USED}')::int, 0) AS used FROM campaigns WHERE tenant_id = $1 AND id = $2),
                flagged AS (
                  SELECT src.*, skip IS NULL AND NOT in_window
                         AND (SELECT used FROM so_far) + count(*) FILTER (WHERE skip IS NULL AND NOT in_window) OVER (ORDER BY rc) > $${immediateIdx}::int AS later
                    FROM src),
                planned AS (SELECT flagged.*, count(*) FILTER (WHERE later) OVER (ORDER BY rc) AS dn FROM flagged),`
             : ''
         }
         ins AS (
           INSERT INTO outbound_messages (tenant_id, id, number_id, contact_id, subscriber_id, recipient, recipient_kind, kind, category, priority,
                                          campaign_id, content, status, error_action, error_reason, next_attempt_at)
           SELECT $1, ${SequentialIds.sql('$13', '$14', 'rc')}, $3, contact_id, subscriber_id, recipient, recipient_kind, 'campaign', $4, $5, $2, NULL,
                  CASE WHEN skip IS NULL THEN 'queued' ELSE 'skipped' END,
                  skip,
                  CASE skip WHEN 'unreachable' THEN $9 WHEN 'frequency_cap' THEN 'over the comune''s weekly limit of campaigns per citizen'
                            ${opts.policyGate ? `WHEN 'policy_not_accepted' THEN $${gateIdx + 1}` : ''} END,
                  CASE WHEN skip IS NOT NULL THEN NULL
                       ${split ? `WHEN later THEN $6::timestamptz + interval '24 hours' + ((SELECT deferred FROM so_far) + dn - 1) * $7::float8 * interval '1 millisecond'` : ''}
                       ELSE $6::timestamptz + ($12::bigint + rc - 1) * $7::float8 * interval '1 millisecond' END
             FROM ${split ? 'planned' : 'src'}
           RETURNING id, status, contact_id)
         SELECT count(*)::int AS rows, coalesce(array_agg(id::text) FILTER (WHERE status = 'skipped'), '{}') AS skipped,
                count(*) FILTER (WHERE contact_id IS NULL)::int AS "withoutContact"
                ${
                  split
                    ? `, (SELECT coalesce(array_agg(rc::int ORDER BY rc) FILTER (WHERE later), '{}') FROM planned) AS later,
                       (SELECT deferred FROM so_far) AS "deferredBefore",
                       (SELECT count(*) FILTER (WHERE skip IS NULL AND NOT in_window AND NOT later) FROM planned)::int AS "capacityUsed"`
                    : ''
                }
           FROM ins`,
        [
          tenantId,
          campaign.id,
          opts.numberId,
          opts.category,
          opts.priority,
          opts.start,
          opts.intervalMs,
          UNREACHABLE_AFTER,
          `not delivered ${UNREACHABLE_AFTER} times in a row: flagged unreachable`,
          chunk.after,
          chunk.limit,
          chunk.offset,
          ids.prefix,
          ids.start,
          chunk.upTo ?? null,
          ...a.params,
          ...(opts.frequencyCap ? [opts.frequencyCap.campaignIds, opts.frequencyCap.perWeek] : []),
          ...(opts.policyGate ? [opts.policyGate.version, opts.policyGate.reason] : []),
          ...(split ? [opts.immediate] : []),
        ],
        chunk.limit <= LOOKUP_CHUNK_MAX ? 'lookup' : 'hash',
      ),
    );
    const rows = result[0]?.rows ?? 0;
    const skipped = new Set((result[0]?.skipped ?? []).map((id) => ids.indexOf(id)));
    const later = result[0]?.later ?? [];
    const goingNow = rows - skipped.size - later.length;
    // The queued rows' numbers (1-based) in planned order, when some were skipped or deferred;
    // otherwise row i is number i + 1.
    let numberAt = (i: number): number => i + 1;
    if (skipped.size > 0 || later.length > 0) {
      const numbers = new Int32Array(rows - skipped.size);
      const deferred = new Set(later);
      let i = 0;
      for (let rc = 1; rc <= rows; rc++) if (!skipped.has(rc) && !deferred.has(rc)) numbers[i++] = rc;
      for (const rc of later) numbers[i++] = rc;
      numberAt = (i) => numbers[i];
    }
    const now = { start: opts.start, intervalMs: opts.intervalMs, immediate: null };
    const nextDay = { start: opts.start, intervalMs: opts.intervalMs, immediate: 0 };
    const deferredBefore = result[0]?.deferredBefore ?? 0;
    const queued: QueuedRun = {
      length: rows - skipped.size,
      goingNow,
      idAt: (i) => ids.at(numberAt(i)) as OutboundMessageId,
      plannedAt: (i) =>
        (i < goingNow ? plannedAt(now, chunk.offset + numberAt(i)) : plannedAt(nextDay, deferredBefore + i - goingNow + 1)).time.getTime(),
    };
    return {
      queued,
      rows,
      skipped: skipped.size,
      deferred: later.length,
      capacityUsed: result[0]?.capacityUsed ?? 0,
      withoutContact: result[0]?.withoutContact ?? 0,
    };
  }

  /**
   * How many of the campaign's audience come after subscriber `after` (all of it for null): what
   * its snapshot has still to write, so that the snapshot can size its last chunks. Skips none
   * (those over the frequency cap or unreachable get a row too, as skipped).
   */
  async countAudienceAfter(tenantId: TenantId, campaign: CampaignEntity, after: string | null): Promise<number> {
    const a = audienceSql(campaign.audience, 3);
    const rows: { n: number }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT count(*)::int AS n FROM subscribers s WHERE ${a.where} AND ($2::uuid IS NULL OR s.id > $2::uuid)`, [
        tenantId,
        after,
        ...a.params,
      ]),
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The `n`-th subscriber (1-based) of the campaign's audience after `after`, in the snapshot's
   * order (by id), or null when fewer are left: where a chunk written in two pieces is cut.
   */
  async audienceSubscriberAt(tenantId: TenantId, campaign: CampaignEntity, after: string | null, n: number): Promise<string | null> {
    const a = audienceSql(campaign.audience, 4);
    const rows: { id: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT s.id FROM subscribers s WHERE ${a.where} AND ($2::uuid IS NULL OR s.id > $2::uuid) ORDER BY s.id OFFSET $3 LIMIT 1`, [
        tenantId,
        after,
        n - 1,
        ...a.params,
      ]),
    );
    return rows[0]?.id ?? null;
  }

  /**
   * The last subscriber a campaign's snapshot has materialised: the next chunk starts after it
   * (the rows so far are the campaign's `targeted`, kept with each chunk).
   */
  async snapshotLastSubscriber(tenantId: TenantId, campaignId: string): Promise<string | null> {
    const rows: { subscriberId: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT subscriber_id AS "subscriberId" FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2
          ORDER BY subscriber_id DESC LIMIT 1`,
        [tenantId, campaignId],
      ),
    );
    return rows[0]?.subscriberId ?? null;
  }

  /** Locks the campaign's row for the rest of the transaction (one snapshot chunk at a time). */
  async lockForSnapshot(tenantId: TenantId, id: string): Promise<CampaignEntity | null> {
    return this.db.forTenant(tenantId, (m) =>
      m
        .createQueryBuilder(CampaignEntity, 'k')
        .setLock('pessimistic_write')
        .where('k.tenant_id = :tenantId AND k.id = :id', { tenantId, id })
        .getOne(),
    );
  }

  /**
   * Adds a chunk's figures to the campaign (a capacity split's recipients outside the window it
   * planned now to its plan's CAPACITY_USED, which the next chunk goes on from); the last chunk
   * marks the snapshot complete.
   */
  async addSnapshotChunk(
    tenantId: TenantId,
    id: string,
    chunk: { rows: number; skipped: number; deferred: number; capacityUsed: number; last: boolean },
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE campaigns SET targeted = targeted + $3, skipped = skipped + $4, deferred = deferred + $5,
            snapshot_plan = CASE WHEN $7::int = 0 THEN snapshot_plan
                                 ELSE jsonb_set(snapshot_plan, '{${CAPACITY_USED}}', to_jsonb(coalesce((snapshot_plan->>'${CAPACITY_USED}')::int, 0) + $7::int)) END,
            snapshot_done_at = CASE WHEN $6 THEN now() ELSE snapshot_done_at END, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, chunk.rows, chunk.skipped, chunk.deferred, chunk.last, chunk.capacityUsed],
      ),
    );
  }

  /** Refreshes the planner's statistics of the comune's messages after a large snapshot. */
  async analyzeOutbound(tenantId: TenantId): Promise<void> {
    await this.db.forTenant(tenantId, (m) => m.query(`SELECT app_analyze_tenant_outbound($1)`, [tenantId]));
  }

  /**
   * Normal campaigns of the comune that started in the last 7 days (the frequency cap's window).
   * Requests to accept a privacy policy version are notices the comune owes, not news: they do not count.
   */
  async recentNormalCampaignIds(tenantId: TenantId, since: Date): Promise<string[]> {
    const rows: { id: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT id FROM campaigns WHERE tenant_id = $1 AND priority = 'normal' AND policy_version_id IS NULL AND started_at >= $2`, [
        tenantId,
        since,
      ]),
    );
    return rows.map((r) => r.id);
  }

  /** Counts of a campaign's messages by state, read while it sends. */
  async counts(tenantId: TenantId, campaignId: string): Promise<CampaignCounts> {
    return this.db.forTenant(tenantId, async (m) => {
      // One pass over the campaign's rows for the counts and the acceptance times (there is no
      // index by status any more: migration LeanerOutboundIndexes); every row carries the times.
      const byStatus: { status: string; count: number; first: Date | null; last: Date | null }[] = await m.query(
        `SELECT status, count(*)::int AS count, min(min(accepted_at)) OVER () AS first, max(max(accepted_at)) OVER () AS last
           FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 GROUP BY status`,
        [tenantId, campaignId],
      );
      const failedByReason: CampaignCounts['failedByReason'] = await m.query(
        `SELECT error_code AS code, error_action AS action, min(error_reason) AS reason, count(*)::int AS count FROM outbound_messages
          WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'failed' GROUP BY error_code, error_action ORDER BY count DESC LIMIT 20`,
        [tenantId, campaignId],
      );
      const skippedByReason: CampaignCounts['skippedByReason'] = await m.query(
        `SELECT error_reason AS reason, count(*)::int AS count FROM outbound_messages
          WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'skipped' GROUP BY error_reason ORDER BY count DESC LIMIT 20`,
        [tenantId, campaignId],
      );
      const get = (s: string): number => byStatus.find((b) => b.status === s)?.count ?? 0;
      return {
        targeted: byStatus.reduce((n, b) => n + b.count, 0),
        queued: get('queued'),
        sending: get('sending'),
        unknown: get('unknown'),
        accepted: get('accepted'),
        sent: get('sent'),
        delivered: get('delivered'),
        read: get('read'),
        failed: get('failed'),
        cancelled: get('cancelled'),
        skipped: get('skipped'),
        failedByReason,
        skippedByReason,
        firstAcceptedAt: byStatus[0]?.first ?? null,
        lastAcceptedAt: byStatus[0]?.last ?? null,
      };
    });
  }

  /** Cancels what has not gone yet. */
  async cancelQueued(tenantId: TenantId, campaignId: string, reason = 'campaign cancelled'): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE outbound_messages SET status = 'cancelled', error_reason = left($3, 1000), next_attempt_at = NULL, updated_at = now()
          WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' RETURNING id`,
        [tenantId, campaignId, reason],
      ),
    );
    return rows.length;
  }

  /** Marks sending campaigns with nothing left to send (or settle) as completed; returns those that completed. */
  async completeIfDone(tenantId: TenantId, campaignIds: readonly string[]): Promise<string[]> {
    if (campaignIds.length === 0) return [];
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE campaigns k SET status = 'completed', completed_at = now(), updated_at = now()
          WHERE k.tenant_id = $1 AND k.id = ANY($2::uuid[]) AND k.status = 'sending'
            AND k.snapshot_done_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.tenant_id = $1 AND o.campaign_id = k.id AND o.status IN ('queued', 'sending', 'unknown'))
          RETURNING k.id`,
        [tenantId, campaignIds],
      ),
    );
    return rows.map((r) => r.id);
  }

  /** Scheduled campaigns whose time has come, across comuni (the scheduler's safety net). */
  listDueScheduledUnscoped(now: Date, limit: number): Promise<{ tenantId: TenantId; id: string }[]> {
    return this.db.unscoped((m) =>
      m.query(`SELECT tenant_id AS "tenantId", id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at LIMIT $2`, [
        now,
        limit,
      ]),
    );
  }

  /** Sending campaigns whose snapshot is unfinished and has not moved since `before`, across comuni. */
  listStalledSnapshotsUnscoped(before: Date, limit: number): Promise<{ tenantId: TenantId; id: string }[]> {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT tenant_id AS "tenantId", id FROM campaigns
          WHERE status IN ('sending', 'paused') AND snapshot_done_at IS NULL AND snapshot_plan IS NOT NULL AND updated_at < $1 LIMIT $2`,
        [before, limit],
      ),
    );
  }

  listSendingUnscoped(limit: number): Promise<{ tenantId: TenantId; id: string }[]> {
    return this.db.unscoped((m) => m.query(`SELECT tenant_id AS "tenantId", id FROM campaigns WHERE status = 'sending' LIMIT $1`, [limit]));
  }

  getSettings(tenantId: TenantId): Promise<CampaignSettingsEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(CampaignSettingsEntity, { tenantId }));
  }

  async saveSettings(tenantId: TenantId, patch: Partial<Omit<CampaignSettingsEntity, 'tenantId' | 'updatedAt'>>): Promise<CampaignSettingsEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(`INSERT INTO campaign_settings (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId]);
      if (Object.keys(patch).length > 0) await m.update(CampaignSettingsEntity, { tenantId }, { ...patch, updatedAt: new Date() });
      return m.findOneByOrFail(CampaignSettingsEntity, { tenantId });
    });
  }
}
