import { Injectable } from '@nestjs/common';
import type { ContactId, NumberId, OutboundMessageId, TenantId } from '#common';
import { ContactEntity } from '../entities/contact.entity.js';
import { OutboundMessageEntity, type OutboundStatus } from '../entities/outbound-message.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { columnsOf, fieldsOf, returningRows } from './sql.js';
import { SubscriberEntity } from '../entities/subscriber.entity.js';
import type { SubscriberProfile } from './subscriber.repository.js';

export type NewOutboundMessage = Pick<
  OutboundMessageEntity,
  'id' | 'numberId' | 'contactId' | 'recipient' | 'recipientKind' | 'kind' | 'category' | 'priority' | 'campaignId' | 'replyToWamid' | 'content'
>;

/** What Meta accepted in a batch; campaign rows also record the content each recipient got. */
export interface AcceptedSend {
  id: OutboundMessageId;
  providerMessageId: string;
  providerWaId: string | null;
  content: Record<string, unknown> | null;
  category: string | null;
}

/** What sending a claimed message needs of its row, and all the claim reads of it. */
export type ClaimedMessage = Pick<OutboundMessageEntity, (typeof CLAIMED_MESSAGE)[number]>;
const CLAIMED_MESSAGE = [
  'tenantId',
  'id',
  'numberId',
  'contactId',
  'recipient',
  'recipientKind',
  'kind',
  'category',
  'priority',
  'campaignId',
  'subscriberId',
  'replyToWamid',
  'content',
  'status',
  'errorAction',
  'attempts',
  'nextAttemptAt',
] as const satisfies readonly (keyof OutboundMessageEntity)[];

/** What sending needs of a claimed message's contact: its window, its marketing opt-out and any hold. */
export type ClaimedContact = Pick<ContactEntity, (typeof CLAIMED_CONTACT)[number]>;
const CLAIMED_CONTACT = ['id', 'lastInboundAt', 'marketingOptedOutAt', 'heldUntil'] as const satisfies readonly (keyof ContactEntity)[];

const CLAIMED_PROFILE = ['id', 'firstName', 'lastName', 'frazione', 'policyVersionAccepted'] as const satisfies readonly (keyof SubscriberEntity)[];

/** A claimed batch, with the contacts of its messages and the profiles of its campaign recipients (by subscriber id). */
export interface ClaimedBatch {
  rows: ClaimedMessage[];
  contacts: Map<ContactId, ClaimedContact>;
  profiles: Map<string, SubscriberProfile>;
  /**
   * Campaign messages whose recipient has left the campaign's audience since its snapshot: no
   * longer an active subscriber (a STOP, an erasure, a block) or off every list it targets.
   */
  departed: Set<OutboundMessageId>;
}

export interface SendError {
  code: number | null;
  reason: string;
  action: string;
}

/**
 * A receipt, or several for one message folded into one (see reduceReceipts in #domain), ready to
 * apply. Rows are found by our id (biz_opaque_callback_data) when the receipt carries it, else by
 * the provider's message id.
 */
export interface ReceiptUpdate {
  id: OutboundMessageId | null;
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  errorCode: number | null;
  errorReason: string | null;
  errorAction: string | null;
  pricing: Record<string, unknown> | null;
}

export interface AppliedReceipt {
  id: OutboundMessageId;
  providerMessageId: string;
  numberId: NumberId;
  contactId: ContactId | null;
  category: string | null;
  oldStatus: OutboundStatus;
  status: OutboundStatus;
  errorCode: number | null;
  errorAction: string | null;
}

/** Rank of a status in the monotonic order; receipts only ever move a message up it. */
const RANK = (col: string): string =>
  `(CASE ${col} WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'unknown' THEN 1 WHEN 'accepted' THEN 2
     WHEN 'sent' THEN 3 WHEN 'delivered' THEN 4 WHEN 'read' THEN 5 ELSE 0 END)`;

/**
 * The state machine in SQL, mirrored by nextOutboundStatus in #domain (whose spec is the truth):
 * cancelled stays; failed stays unless it was only an expired unknown outcome, which a real receipt
 * corrects; a failed receipt wins over anything not yet delivered; otherwise the higher rank wins.
 */
const NEXT_STATUS = `CASE
  WHEN o.status IN ('cancelled', 'skipped') THEN o.status
  WHEN o.status = 'failed' AND o.error_action IS DISTINCT FROM 'unknown_expired' THEN o.status
  WHEN r.status = 'failed' THEN CASE WHEN o.status IN ('delivered', 'read') THEN o.status ELSE 'failed' END
  WHEN o.status = 'failed' THEN r.status
  WHEN ${RANK('r.status')} > ${RANK('o.status')} THEN r.status
  ELSE o.status END`;

const RECEIPT_COLUMNS = `id uuid, pmid text, status text, sent_at timestamptz, delivered_at timestamptz, read_at timestamptz,
  failed_at timestamptz, error_code integer, error_reason text, error_action text, pricing jsonb`;

/** A queued message as the enqueueing code needs it. */
export interface QueuedRef {
  tenantId: TenantId;
  id: OutboundMessageId;
  numberId: NumberId;
  campaignId: string | null;
  priority: number;
  nextAttemptAt: Date | null;
}

const QUEUED_REF_COLUMNS = `o.tenant_id AS "tenantId", o.id, o.number_id AS "numberId", o.campaign_id AS "campaignId", o.priority,
  o.next_attempt_at AS "nextAttemptAt"`;

/**
 * Queued messages that may go (`x`'s columns, meeting `where` over `x`): the one-off ones, through
 * the queue index, and those of the campaigns that are sending, through each campaign's pending
 * index. A campaign's messages are not in the queue index: its snapshot writes them by the tens of
 * thousands, and jobs carry their ids (migration LeanerOutboundIndexes).
 */
const QUEUED_MAY_GO = (where: string): string => `
  SELECT x.* FROM outbound_messages x WHERE x.status = 'queued' AND x.campaign_id IS NULL AND ${where}
  UNION ALL
  SELECT x.* FROM campaigns k JOIN outbound_messages x ON x.tenant_id = k.tenant_id AND x.campaign_id = k.id
   WHERE k.status = 'sending' AND x.campaign_id IS NOT NULL AND x.status = 'queued' AND ${where}`;

/**
 * Puts claimed ('sending') messages back in the queue: $2 the ids, $3 when they are due, $4 whether
 * the attempt is given back, $5-$7 the error to keep. A message whose campaign was cancelled or
 * failed meanwhile is cancelled instead (the cancel's own sweep of the queue ran while it was
 * claimed, and no job would ever claim it again). The cancel commits its status before that sweep,
 * so a release either sees it or is caught by the sweep.
 */
/** Why a message of campaign `k`, cancelled or failed, will not go: what its row records. */
const GONE_CAMPAIGN_REASON = `CASE WHEN k.status = 'cancelled' THEN 'campaign cancelled' ELSE coalesce(k.failure_reason, 'campaign failed') END`;

const RELEASE_SQL = `
  WITH gone AS MATERIALIZED (
    SELECT k.id, left(${GONE_CAMPAIGN_REASON}, 1000) AS reason
      FROM campaigns k
     WHERE k.tenant_id = $1 AND k.status IN ('cancelled', 'failed')
       AND k.id IN (SELECT r.campaign_id FROM outbound_messages r WHERE r.tenant_id = $1 AND r.id = ANY($2::uuid[]) AND r.campaign_id IS NOT NULL))
  UPDATE outbound_messages o SET
      status = CASE WHEN o.campaign_id IN (SELECT id FROM gone) THEN 'cancelled' ELSE 'queued' END,
      next_attempt_at = CASE WHEN o.campaign_id IN (SELECT id FROM gone) THEN NULL ELSE $3::timestamptz END,
      attempts = o.attempts - CASE WHEN $4 THEN 1 ELSE 0 END,
      error_code = coalesce($5, o.error_code),
      error_reason = coalesce((SELECT g.reason FROM gone g WHERE g.id = o.campaign_id), $6, o.error_reason),
      error_action = coalesce($7, o.error_action),
      updated_at = now()
   WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) AND o.status = 'sending'`;

@Injectable()
export class OutboundMessageRepository {
  constructor(private readonly db: TenantDb) {}

  async insert(tenantId: TenantId, row: NewOutboundMessage): Promise<OutboundMessageEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO outbound_messages (tenant_id, id, number_id, contact_id, recipient, recipient_kind, kind, category, priority, campaign_id, reply_to_wamid, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          tenantId,
          row.id,
          row.numberId,
          row.contactId,
          row.recipient,
          row.recipientKind,
          row.kind,
          row.category,
          row.priority,
          row.campaignId,
          row.replyToWamid,
          row.content === null ? null : JSON.stringify(row.content),
        ],
      );
      return m.findOneByOrFail(OutboundMessageEntity, { tenantId, id: row.id });
    });
  }

  findById(tenantId: TenantId, id: OutboundMessageId): Promise<OutboundMessageEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(OutboundMessageEntity, { tenantId, id }));
  }

  list(tenantId: TenantId, page: PageRequest, filter: { status?: OutboundStatus; numberId?: NumberId } = {}): Promise<Page<OutboundMessageEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(OutboundMessageEntity, {
        where: { tenantId, ...(filter.status ? { status: filter.status } : {}), ...(filter.numberId ? { numberId: filter.numberId } : {}) },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /**
   * Takes a queued message for sending: only one worker can win it, so a duplicated job is a no-op.
   * Messages whose retry time has not come are left alone.
   */
  async claimForSend(tenantId: TenantId, id: OutboundMessageId): Promise<OutboundMessageEntity | null> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now() + interval '1 second')
          RETURNING id`,
        [tenantId, id],
      ),
    );
    if (rows.length === 0) return null;
    return this.findById(tenantId, id);
  }

  /**
   * Takes a batch of queued messages for sending, in one statement: rows another job holds are
   * skipped, as are rows not due within `aheadMs` and rows of a campaign that is not sending
   * (paused or cancelled). Only one job can win a row, so duplicate jobs are harmless. The same
   * statement reads what deciding each message needs: its contact (window, hold) and, for a
   * campaign's, the subscriber's name, frazione and accepted policy; as three statements they
   * were three round trips a batch.
   */
  async claimBatch(tenantId: TenantId, ids: readonly OutboundMessageId[], aheadMs: number, limit?: number): Promise<ClaimedBatch> {
    const claimed: ClaimedBatch = { rows: [], contacts: new Map(), profiles: new Map(), departed: new Set() };
    if (ids.length === 0) return claimed;
    // Looked up one primary key at a time (LATERAL), in id order, so rows are locked in the same
    // order as receipts lock them. The status test is written so it does not match the partial
    // queue index: with statistics that lag behind a large snapshot, the planner would otherwise
    // walk the comune's whole queue once per id.
    const sorted = [...new Set(ids)].sort();
    return this.db.forTenant(tenantId, async (m) => {
      // A SELECT over the UPDATE's CTE: TypeORM answers it with the rows themselves.
      const raw = await m.query<Record<string, unknown>[]>(
        `WITH o AS (
           UPDATE outbound_messages o SET status = 'sending', attempts = o.attempts + 1, updated_at = now()
            WHERE o.tenant_id = $1 AND o.id = ANY(ARRAY(
                    SELECT q.id FROM unnest($2::uuid[]) AS u(id)
                    CROSS JOIN LATERAL (
                      SELECT x.id FROM outbound_messages x
                       WHERE x.tenant_id = $1 AND x.id = u.id AND coalesce(x.status, '') = 'queued'
                         AND (x.next_attempt_at IS NULL OR x.next_attempt_at <= now() + $3 * interval '1 millisecond')
                         AND (x.campaign_id IS NULL OR EXISTS (
                               SELECT 1 FROM campaigns k WHERE k.tenant_id = $1 AND k.id = x.campaign_id AND k.status = 'sending'))
                       FOR UPDATE OF x SKIP LOCKED) q
                    LIMIT $4))
            RETURNING o.*)
         SELECT ${columnsOf(m, OutboundMessageEntity, 'o', CLAIMED_MESSAGE)}, ${columnsOf(m, ContactEntity, 'c', CLAIMED_CONTACT, 'contact.')},
                ${columnsOf(m, SubscriberEntity, 's', CLAIMED_PROFILE, 'profile.')},
                -- A citizen who sent STOP (or was erased, or left the lists) while the campaign was
                -- going out gets nothing more from it: checked at the last moment, as the audience was.
                o.campaign_id IS NOT NULL AND NOT coalesce(
                  s.status = 'active' AND s.erased_at IS NULL
                  AND (jsonb_array_length(coalesce(k.audience -> 'listIds', '[]')) = 0
                       OR EXISTS (SELECT 1 FROM subscriptions x
                                   WHERE x.tenant_id = $1 AND x.subscriber_id = s.id AND x.status = 'active'
                                     AND x.list_id::text IN (SELECT jsonb_array_elements_text(k.audience -> 'listIds')))),
                  false) AS departed
           FROM o
           LEFT JOIN contacts c ON c.tenant_id = $1 AND c.id = o.contact_id
           LEFT JOIN subscribers s ON o.campaign_id IS NOT NULL AND s.tenant_id = $1 AND s.id = o.subscriber_id
           LEFT JOIN campaigns k ON o.campaign_id IS NOT NULL AND k.tenant_id = $1 AND k.id = o.campaign_id`,
        [tenantId, sorted, aheadMs, limit ?? null],
      );
      // The claimed rows as they now are, straight from the UPDATE (a second SELECT cost a round
      // trip), and only the columns sending needs: all 52 of the three tables took about twice the
      // worker's CPU per row to parse, eight timestamps among them.
      for (const r of raw) {
        const row = fieldsOf<ClaimedMessage>(r, CLAIMED_MESSAGE)!;
        claimed.rows.push(row);
        if (r.departed === true) claimed.departed.add(row.id);
        const contact = fieldsOf<ClaimedContact>(r, CLAIMED_CONTACT, 'contact.');
        if (contact) claimed.contacts.set(contact.id, contact);
        const profile = fieldsOf<SubscriberProfile & { id: string }>(r, CLAIMED_PROFILE, 'profile.');
        if (profile) claimed.profiles.set(profile.id, profile);
      }
      claimed.rows.sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return claimed;
    });
  }

  /**
   * Moves queued messages' planned time (a batch that got no slots yet). Neither status nor
   * updated_at changes, so the update touches no index and can stay on its page (HOT).
   */
  async postpone(tenantId: TenantId, ids: readonly OutboundMessageId[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.forTenant(tenantId, (m) =>
      // Never earlier than planned: a row the batch carried but that was not yet due (a capacity
      // split's next day, quiet hours) keeps its time.
      m.query(
        `UPDATE outbound_messages SET next_attempt_at = greatest(next_attempt_at, $3)
          WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'queued'`,
        [tenantId, ids, at],
      ),
    );
  }

  /** Puts claimed messages back in the queue (pacing, quiet hours, paused number), due at `nextAttemptAt`. */
  async releaseMany(
    tenantId: TenantId,
    ids: readonly OutboundMessageId[],
    opts: { nextAttemptAt: Date | null; refundAttempt: boolean; error?: SendError },
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.db.forTenant(tenantId, (m) =>
      m.query(RELEASE_SQL, [
        tenantId,
        ids,
        opts.nextAttemptAt,
        opts.refundAttempt,
        opts.error?.code ?? null,
        opts.error?.reason ?? null,
        opts.error?.action ?? null,
      ]),
    );
  }

  /**
   * Records what Meta accepted in a batch, in one statement. A receipt may already have moved a row
   * further (it can beat the send response), so the status only moves up to 'accepted'. Rows are
   * locked in id order, as receipts lock them, so the two never deadlock.
   *
   * Returns the provider ids among them that have receipts parked (receipts that beat the response
   * and carried no correlation id), looked up by the same statement: one round trip a batch fewer.
   * A receipt parked after this statement's snapshot is applied by the maintenance sweep.
   */
  async markAcceptedMany(tenantId: TenantId, accepted: readonly AcceptedSend[]): Promise<string[]> {
    if (accepted.length === 0) return [];
    const rows = await this.db.forTenant(tenantId, (m) =>
      m.query<{ parked: string[] }[]>(
        `WITH v AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, pmid text, wa_id text, content jsonb, category text)),
         u AS (UPDATE outbound_messages o SET
            status = CASE WHEN o.status IN ('queued', 'sending', 'unknown') THEN 'accepted' ELSE o.status END,
            provider_message_id = coalesce(o.provider_message_id, v.pmid),
            -- A row whose content was purged while it was in flight (the citizen erased, or
            -- retention) gets neither the text nor the citizen's WhatsApp id back.
            provider_wa_id = CASE WHEN o.content_purged_at IS NULL THEN coalesce(v.wa_id, o.provider_wa_id) ELSE o.provider_wa_id END,
            accepted_at = coalesce(o.accepted_at, now()), next_attempt_at = NULL,
            content = CASE WHEN o.content_purged_at IS NULL THEN coalesce(v.content, o.content) ELSE o.content END, category = coalesce(v.category, o.category),
            error_code = CASE WHEN o.status = 'failed' THEN o.error_code ELSE NULL END,
            error_reason = CASE WHEN o.status = 'failed' THEN o.error_reason ELSE NULL END,
            error_action = CASE WHEN o.status = 'failed' THEN o.error_action ELSE NULL END,
            updated_at = now()
           FROM v
          WHERE o.tenant_id = $1 AND o.id = v.id
            -- Locked one primary key at a time, in id order (as receipts lock them), whatever the statistics.
            AND o.id = ANY(ARRAY(SELECT l.id FROM (SELECT id FROM v ORDER BY id) AS w
                                 CROSS JOIN LATERAL (SELECT x.id FROM outbound_messages x WHERE x.tenant_id = $1 AND x.id = w.id FOR UPDATE OF x) l))
          RETURNING 1)
         SELECT coalesce(array_agg(DISTINCT p.provider_message_id), '{}') AS parked
           FROM pending_receipts p WHERE p.tenant_id = $1 AND p.provider_message_id IN (SELECT pmid FROM v)`,
        [
          tenantId,
          JSON.stringify(
            accepted.map((a) => ({ id: a.id, pmid: a.providerMessageId, wa_id: a.providerWaId, content: a.content, category: a.category })),
          ),
        ],
      ),
    );
    return rows[0]?.parked ?? [];
  }

  /** Ends claimed or queued messages without sending them: failed (with the reason) or skipped. */
  async finishUnsent(tenantId: TenantId, ids: readonly OutboundMessageId[], status: 'failed' | 'skipped', error: SendError): Promise<void> {
    if (ids.length === 0) return;
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE outbound_messages SET status = $3, failed_at = CASE WHEN $3 = 'failed' THEN now() END,
            error_code = $4, error_reason = left($5, 1000), error_action = $6, next_attempt_at = NULL, updated_at = now()
          WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status IN ('queued', 'sending')`,
        [tenantId, ids, status, error.code, error.reason, error.action],
      ),
    );
  }

  /**
   * Meta accepted the message. A receipt may already have moved it further (a receipt can beat the
   * send response), so the status only moves up to 'accepted'.
   */
  async markAccepted(tenantId: TenantId, id: OutboundMessageId, providerMessageId: string, providerWaId: string | null): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE outbound_messages SET
            status = CASE WHEN status IN ('queued', 'sending', 'unknown') THEN 'accepted' ELSE status END,
            provider_message_id = coalesce(provider_message_id, $3), provider_wa_id = coalesce($4, provider_wa_id),
            accepted_at = coalesce(accepted_at, now()), next_attempt_at = NULL,
            error_code = CASE WHEN status = 'failed' THEN error_code ELSE NULL END,
            error_reason = CASE WHEN status = 'failed' THEN error_reason ELSE NULL END,
            error_action = CASE WHEN status = 'failed' THEN error_action ELSE NULL END,
            updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, providerMessageId, providerWaId],
      ),
    );
  }

  async markFailed(tenantId: TenantId, id: OutboundMessageId, error: { code: number | null; reason: string; action: string }): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE outbound_messages SET status = 'failed', failed_at = now(), error_code = $3, error_reason = left($4, 1000), error_action = $5,
            next_attempt_at = NULL, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'sending')`,
        [tenantId, id, error.code, error.reason, error.action],
      ),
    );
  }

  /** The request may have reached Meta: recorded as unknown, never re-sent blindly (docs/adr/0006). */
  async markUnknown(tenantId: TenantId, id: OutboundMessageId, reason: string): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE outbound_messages SET status = 'unknown', error_reason = left($3, 1000), error_action = 'unknown_outcome', updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'sending'`,
        [tenantId, id, reason],
      ),
    );
  }

  /** Queued messages of a number, in the order the dispatcher should send them. */
  async listQueuedIds(
    tenantId: TenantId,
    numberId: NumberId,
    limit: number,
  ): Promise<{ id: OutboundMessageId; nextAttemptAt: Date | null; priority: number; campaignId: string | null }[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT o.id, o.next_attempt_at AS "nextAttemptAt", o.priority, o.campaign_id AS "campaignId"
           FROM (${QUEUED_MAY_GO('x.tenant_id = $1 AND x.number_id = $2')}) o
          ORDER BY o.priority DESC, o.created_at LIMIT $3`,
        [tenantId, numberId, limit],
      ),
    );
  }

  /**
   * Applies receipts; returns the rows they matched with their status before and after. Receipts
   * that match no row are left out of the result (the caller parks them as pending receipts).
   */
  applyReceipts(tenantId: TenantId, receipts: readonly ReceiptUpdate[]): Promise<AppliedReceipt[]> {
    if (receipts.length === 0) return Promise.resolve([]);
    const byId = receipts.filter((r) => r.id !== null);
    const byPmid = receipts.filter((r) => r.id === null);
    return this.db.forTenant(tenantId, async (m) => {
      const out: AppliedReceipt[] = [];
      for (const [batch, join] of [
        [byId, 'o.id = r.id'],
        [byPmid, 'o.provider_message_id = r.pmid'],
      ] as const) {
        if (batch.length === 0) continue;
        const rows = await returningRows<AppliedReceipt>(
          m,
          `WITH r AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(${RECEIPT_COLUMNS})),
                cur AS (
                  -- Rows are locked in id order: two batches sharing messages (a message's sent,
                  -- delivered and read receipts arrive in different webhooks) then queue behind each
                  -- other instead of deadlocking.
                  SELECT o.id, o.status AS old_status, ${NEXT_STATUS} AS new_status
                    FROM outbound_messages o JOIN r ON ${join}
                   WHERE o.tenant_id = $1
                   ORDER BY o.id
                   FOR UPDATE OF o)
           UPDATE outbound_messages o SET
             status = cur.new_status,
             provider_message_id = coalesce(o.provider_message_id, r.pmid),
             -- The earliest evidence of each state: a read implies delivered and sent (Meta skips the
             -- delivered webhook when both happen at once), until the real, earlier receipt arrives.
             sent_at = least(o.sent_at, r.sent_at, r.delivered_at, r.read_at),
             delivered_at = least(o.delivered_at, r.delivered_at, r.read_at),
             read_at = least(o.read_at, r.read_at),
             failed_at = CASE WHEN cur.new_status = 'failed' AND cur.old_status <> 'failed' THEN r.failed_at
                              WHEN cur.new_status <> 'failed' THEN NULL ELSE o.failed_at END,
             error_code = CASE WHEN cur.new_status = 'failed' AND cur.old_status <> 'failed' THEN r.error_code
                               WHEN cur.new_status <> 'failed' AND cur.old_status IN ('failed', 'unknown') THEN NULL ELSE o.error_code END,
             error_reason = CASE WHEN cur.new_status = 'failed' AND cur.old_status <> 'failed' THEN r.error_reason
                                 WHEN cur.new_status <> 'failed' AND cur.old_status IN ('failed', 'unknown') THEN NULL ELSE o.error_reason END,
             error_action = CASE WHEN cur.new_status = 'failed' AND cur.old_status <> 'failed' THEN r.error_action
                                 WHEN cur.new_status <> 'failed' AND cur.old_status IN ('failed', 'unknown') THEN NULL ELSE o.error_action END,
             pricing = coalesce(r.pricing, o.pricing),
             updated_at = now()
           FROM r, cur
           WHERE o.tenant_id = $1 AND ${join} AND cur.id = o.id
           RETURNING o.id, o.provider_message_id AS "providerMessageId", o.number_id AS "numberId", o.contact_id AS "contactId",
                     o.category, cur.old_status AS "oldStatus", o.status, o.error_code AS "errorCode", o.error_action AS "errorAction"`,
          [
            tenantId,
            JSON.stringify(
              batch.map((r) => ({
                id: r.id,
                pmid: r.providerMessageId,
                status: r.status,
                sent_at: r.sentAt,
                delivered_at: r.deliveredAt,
                read_at: r.readAt,
                failed_at: r.failedAt,
                error_code: r.errorCode,
                error_reason: r.errorReason,
                error_action: r.errorAction,
                pricing: r.pricing,
              })),
            ),
          ],
        );
        out.push(...rows);
      }
      return out;
    });
  }

  /**
   * Unknown outcomes that no receipt settled in time: Meta sends a status webhook for every message
   * it accepted, so silence means it did not take it, and the message is queued again
   * (docs/adr/0006). Past the last attempt it fails instead ('unknown_expired').
   *
   * So does a message of a campaign cancelled or failed meanwhile, with the campaign's reason, as
   * RELEASE_SQL ends such rows: the cancel's sweep of the queue passed it by (it was not queued),
   * the claim refuses a campaign that is not sending, and nothing would ever have ended it. It
   * fails rather than being cancelled, because 'cancelled' says it never left and is final for
   * receipts, while the request may have reached Meta: as 'unknown_expired', a receipt that comes
   * after all still records what Meta did with it (nextOutboundStatus in #domain).
   */
  async requeueUnsettledUnknownUnscoped(
    before: Date,
    maxAttempts: number,
    limit: number,
  ): Promise<{ tenantId: TenantId; id: OutboundMessageId; status: OutboundStatus; priority: number }[]> {
    return this.db.unscoped((m) =>
      returningRows<{ tenantId: TenantId; id: OutboundMessageId; status: OutboundStatus; priority: number }>(
        m,
        `UPDATE outbound_messages o SET
            status = CASE WHEN s.ends THEN 'failed' ELSE 'queued' END,
            failed_at = CASE WHEN s.ends THEN now() END,
            error_action = CASE WHEN s.ends THEN 'unknown_expired' ELSE 'unknown_resent' END,
            error_reason = CASE WHEN s.gone IS NOT NULL THEN left(s.gone || ': no receipt for its send with an unknown outcome; not sent again', 1000)
                                WHEN o.attempts >= $2 THEN 'no receipt after the last attempt with an unknown outcome'
                                ELSE 'no receipt within the settle period: Meta did not take it; sending again' END,
            next_attempt_at = NULL, updated_at = now()
          FROM (SELECT g.*, g.gone IS NOT NULL OR g.attempts >= $2 AS ends
                  FROM (SELECT u.tenant_id, u.id, u.attempts,
                               (SELECT ${GONE_CAMPAIGN_REASON}
                                  FROM campaigns k
                                 WHERE k.tenant_id = u.tenant_id AND k.id = u.campaign_id AND k.status IN ('cancelled', 'failed')) AS gone
                          FROM outbound_messages u WHERE u.status = 'unknown' AND u.updated_at < $1 LIMIT $3 FOR UPDATE OF u SKIP LOCKED) g) s
          WHERE o.tenant_id = s.tenant_id AND o.id = s.id AND o.status = 'unknown' AND o.provider_message_id IS NULL
          RETURNING o.tenant_id AS "tenantId", o.id, o.status, o.priority`,
        [before, maxAttempts, limit],
      ),
    );
  }

  /**
   * A 'sending' row older than `before` belongs to a worker that died mid-call: whether the request
   * left is unknown, so it is treated as an unknown outcome, never re-sent.
   */
  async abandonStaleSendingUnscoped(before: Date, limit: number): Promise<number> {
    const rows = await this.db.unscoped((m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE outbound_messages o SET status = 'unknown', error_action = 'unknown_outcome',
            error_reason = 'the worker stopped during the send', updated_at = now()
          FROM (SELECT tenant_id, id FROM outbound_messages WHERE status = 'sending' AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) s
          WHERE o.tenant_id = s.tenant_id AND o.id = s.id AND o.status = 'sending'
          RETURNING o.id`,
        [before, limit],
      ),
    );
    return rows.length;
  }

  /**
   * Queued messages whose time has passed by more than the grace (`before`), across comuni: the
   * sweep re-enqueues them when their job went missing. Paused numbers and campaigns that are not
   * sending are left alone (resuming them enqueues their messages).
   */
  async listDueQueuedUnscoped(before: Date, limit: number): Promise<QueuedRef[]> {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT ${QUEUED_REF_COLUMNS} FROM (${QUEUED_MAY_GO('coalesce(x.next_attempt_at, x.created_at) < $1')}) o
           JOIN whatsapp_numbers n ON n.tenant_id = o.tenant_id AND n.id = o.number_id AND n.status = 'active'
          ORDER BY o.priority DESC, o.created_at LIMIT $2`,
        [before, limit],
      ),
    );
  }

  /**
   * Moves queued messages' planned time to when their new job is due, across comuni: the sweep
   * enqueues a lost message once, and does not take it for lost again (with a second job, which
   * would reserve slots it never uses) while that job waits its turn. Never earlier than planned;
   * neither status nor updated_at changes (HOT, as `postpone`).
   */
  async leaseUnscoped(items: readonly { tenantId: string; id: string; at: Date }[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.unscoped((m) =>
      m.query(
        `UPDATE outbound_messages o SET next_attempt_at = greatest(o.next_attempt_at, v.at)
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS v(tenant_id, id, at)
          WHERE o.tenant_id = v.tenant_id AND o.id = v.id AND o.status = 'queued'`,
        [items.map((i) => i.tenantId), items.map((i) => i.id), items.map((i) => i.at)],
      ),
    );
  }

  /**
   * Every queued message that may go (active number, sending campaign), in pages by key: after Redis
   * lost its queues, the reconciler enqueues them all again from here.
   */
  async listQueuedPageUnscoped(after: { tenantId: string; id: string } | null, limit: number): Promise<QueuedRef[]> {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT ${QUEUED_REF_COLUMNS} FROM outbound_messages o
           JOIN whatsapp_numbers n ON n.tenant_id = o.tenant_id AND n.id = o.number_id AND n.status = 'active'
          WHERE o.status = 'queued' AND ($1::uuid IS NULL OR (o.tenant_id, o.id) > ($1::uuid, $2::uuid))
            AND (o.campaign_id IS NULL OR EXISTS (SELECT 1 FROM campaigns k WHERE k.tenant_id = o.tenant_id AND k.id = o.campaign_id AND k.status = 'sending'))
          ORDER BY o.tenant_id, o.id LIMIT $3`,
        [after?.tenantId ?? null, after?.id ?? null, limit],
      ),
    );
  }

  /** Queue references of given messages, across comuni (re-enqueueing what the sweep settled). */
  async refsByIds(items: readonly { tenantId: TenantId; id: OutboundMessageId }[]): Promise<QueuedRef[]> {
    if (items.length === 0) return [];
    return this.db.unscoped((m) =>
      m.query(
        `SELECT ${QUEUED_REF_COLUMNS} FROM outbound_messages o
           JOIN jsonb_to_recordset($1::jsonb) AS x(tenant_id uuid, id uuid) ON o.tenant_id = x.tenant_id AND o.id = x.id
          WHERE o.status = 'queued'`,
        [JSON.stringify(items.map((i) => ({ tenant_id: i.tenantId, id: i.id })))],
      ),
    );
  }

  /** A campaign's queued messages in the order they are planned (resuming, re-planning). */
  async listQueuedOfCampaign(tenantId: TenantId, campaignId: string): Promise<QueuedRef[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT ${QUEUED_REF_COLUMNS} FROM outbound_messages o
          WHERE o.tenant_id = $1 AND o.campaign_id = $2 AND o.status = 'queued' ORDER BY o.next_attempt_at NULLS FIRST, o.id`,
        [tenantId, campaignId],
      ),
    );
  }

  async purgeContentBefore(tenantId: TenantId, before: Date): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE outbound_messages SET content = NULL, content_purged_at = now()
          WHERE tenant_id = $1 AND created_at < $2 AND content_purged_at IS NULL
            AND status IN ('sent', 'delivered', 'read', 'failed', 'cancelled', 'accepted') RETURNING id`,
        [tenantId, before],
      ),
    );
    return rows.length;
  }
}
