import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TenantId } from '#common';
import { ConsentEventEntity, type ConsentChannel, type ConsentEventType } from '../entities/consent-event.entity.js';
import { SubscriberEntity, type SubscriberStatus } from '../entities/subscriber.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export type NewSubscriber = Pick<SubscriberEntity, 'id' | 'phoneE164' | 'waId' | 'userId' | 'source'> &
  Partial<Pick<SubscriberEntity, 'firstName' | 'lastName' | 'frazione' | 'tags' | 'status'>>;

export type SubscriberPatch = Partial<
  Pick<
    SubscriberEntity,
    | 'waId'
    | 'userId'
    | 'firstName'
    | 'lastName'
    | 'frazione'
    | 'tags'
    | 'status'
    | 'awaitingField'
    | 'pendingListIds'
    | 'policyVersionAccepted'
    | 'lastInboundAt'
    | 'activatedAt'
    | 'unsubscribedAt'
  >
>;

export interface NewConsentEvent {
  id: string;
  subscriberId: string;
  type: ConsentEventType;
  listIds: string[];
  policyVersion: string | null;
  channel: ConsentChannel;
  evidence: Record<string, unknown>;
}

export interface SubscriberProfile {
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
  policyVersionAccepted: string | null;
}

export interface SubscriberFilter {
  status?: SubscriberStatus;
  listId?: string;
  frazione?: string;
  tag?: string;
  /** Matches name, surname or phone digits. */
  text?: string;
}

/** What an erasure leaves to do once it has committed: the stored files of the person's media to delete. */
export interface ErasureResult {
  storageKeys: string[];
}

/**
 * What an erased person's outbound rows say instead of their phone number or user id (the column is
 * not null). Should a row that was in Meta's hands at the erasure come back to the queue (a retry,
 * an unknown outcome settled by silence), nobody gets it: a one-off row has no content left to
 * send, and the adapter refuses this as a phone number; as a business-scoped user id Meta knows no such user.
 */
const ERASED_RECIPIENT = 'erased';
const ERASED_REASON = 'the citizen was erased (GDPR) before it was sent';

export interface SubscriberCounts {
  byStatus: Record<string, number>;
  byList: { listId: string; active: number }[];
  byFrazione: { frazione: string | null; active: number }[];
}

/** Subscribers, their list subscriptions and the consent ledger of one comune. */
@Injectable()
export class SubscriberRepository {
  constructor(private readonly db: TenantDb) {}

  /** Runs several calls in one transaction (they join it). */
  inTransaction<T>(tenantId: TenantId, work: () => Promise<T>): Promise<T> {
    return this.db.forTenant(tenantId, () => work());
  }

  findById(tenantId: TenantId, id: string): Promise<SubscriberEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriberEntity, { tenantId, id }));
  }

  findByPhone(tenantId: TenantId, phoneE164: string): Promise<SubscriberEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriberEntity, { tenantId, phoneE164 }));
  }

  findByUserId(tenantId: TenantId, userId: string): Promise<SubscriberEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriberEntity, { tenantId, userId }));
  }

  /** Creates the subscriber, or returns the existing one with that phone (a concurrent first message). */
  create(tenantId: TenantId, s: NewSubscriber): Promise<SubscriberEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO subscribers (tenant_id, id, phone_e164, wa_id, user_id, first_name, last_name, frazione, tags, status, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
        [
          tenantId,
          s.id,
          s.phoneE164,
          s.waId,
          s.userId,
          s.firstName ?? null,
          s.lastName ?? null,
          s.frazione ?? null,
          s.tags ?? [],
          s.status ?? 'pending',
          s.source,
        ],
      );
      const found = s.phoneE164
        ? await m.findOneBy(SubscriberEntity, { tenantId, phoneE164: s.phoneE164 })
        : await m.findOneBy(SubscriberEntity, { tenantId, userId: s.userId ?? '' });
      return found ?? m.findOneByOrFail(SubscriberEntity, { tenantId, id: s.id });
    });
  }

  update(tenantId: TenantId, id: string, patch: SubscriberPatch): Promise<SubscriberEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const repo = m.getRepository(SubscriberEntity);
      const s = await repo.findOneBy({ tenantId, id });
      if (!s) return null;
      return repo.save(repo.merge(s, { ...patch, updatedAt: new Date() }));
    });
  }

  /** The lists the subscriber is actively subscribed to. */
  async activeListIds(tenantId: TenantId, subscriberId: string): Promise<string[]> {
    const rows: { list_id: string }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT list_id FROM subscriptions WHERE tenant_id = $1 AND subscriber_id = $2 AND status = 'active'`, [tenantId, subscriberId]),
    );
    return rows.map((r) => r.list_id);
  }

  /** Subscribes to lists (again, if they had left); returns the lists that were not active before. */
  async subscribe(tenantId: TenantId, subscriberId: string, listIds: readonly string[]): Promise<string[]> {
    if (listIds.length === 0) return [];
    return this.db.forTenant(tenantId, async (m) => {
      const before = new Set(await this.activeListIds(tenantId, subscriberId));
      await m.query(
        `INSERT INTO subscriptions AS s (tenant_id, subscriber_id, list_id, status)
         SELECT $1, $2, x, 'active' FROM unnest($3::uuid[]) AS x
         ON CONFLICT (tenant_id, subscriber_id, list_id) DO UPDATE SET
           status = 'active',
           subscribed_at = CASE WHEN s.status = 'active' THEN s.subscribed_at ELSE now() END,
           unsubscribed_at = NULL`,
        [tenantId, subscriberId, listIds],
      );
      return listIds.filter((id) => !before.has(id));
    });
  }

  /** Leaves the given lists, or all of them (null); returns the lists actually left. */
  async unsubscribe(tenantId: TenantId, subscriberId: string, listIds: readonly string[] | null): Promise<string[]> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ list_id: string }>(
        m,
        `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = now()
          WHERE tenant_id = $1 AND subscriber_id = $2 AND status = 'active' AND ($3::uuid[] IS NULL OR list_id = ANY($3::uuid[]))
          RETURNING list_id`,
        [tenantId, subscriberId, listIds],
      ),
    );
    return rows.map((r) => r.list_id);
  }

  async recordConsent(tenantId: TenantId, e: NewConsentEvent): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO consent_events (tenant_id, id, subscriber_id, type, list_ids, policy_version, channel, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [tenantId, e.id, e.subscriberId, e.type, e.listIds, e.policyVersion, e.channel, JSON.stringify(e.evidence)],
      ),
    );
  }

  ledger(tenantId: TenantId, subscriberId: string): Promise<ConsentEventEntity[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.find(ConsentEventEntity, { where: { tenantId, subscriberId }, order: { occurredAt: 'ASC', id: 'ASC' } }),
    );
  }

  async subscriptions(
    tenantId: TenantId,
    subscriberId: string,
  ): Promise<{ listId: string; status: string; subscribedAt: Date; unsubscribedAt: Date | null }[]> {
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT list_id AS "listId", status, subscribed_at AS "subscribedAt", unsubscribed_at AS "unsubscribedAt"
           FROM subscriptions WHERE tenant_id = $1 AND subscriber_id = $2 ORDER BY subscribed_at`,
        [tenantId, subscriberId],
      ),
    );
  }

  search(tenantId: TenantId, filter: SubscriberFilter, page: PageRequest): Promise<Page<SubscriberEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const qb = m.createQueryBuilder(SubscriberEntity, 's').where('s.tenant_id = :tenantId', { tenantId }).andWhere('s.erased_at IS NULL');
      if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
      if (filter.frazione) qb.andWhere('s.frazione = :frazione', { frazione: filter.frazione });
      if (filter.tag) qb.andWhere(':tag = ANY(s.tags)', { tag: filter.tag });
      if (filter.listId) {
        qb.andWhere(
          `EXISTS (SELECT 1 FROM subscriptions x WHERE x.tenant_id = s.tenant_id AND x.subscriber_id = s.id AND x.list_id = :listId AND x.status = 'active')`,
          { listId: filter.listId },
        );
      }
      if (filter.text) {
        const digits = filter.text.replace(/\D/g, '');
        qb.andWhere(
          `(s.first_name ILIKE :like OR s.last_name ILIKE :like OR (s.first_name || ' ' || s.last_name) ILIKE :like${digits.length >= 3 ? ' OR s.phone_e164 LIKE :digits' : ''})`,
          { like: `%${filter.text.replace(/[%_\\]/g, (c) => `\\${c}`)}%`, digits: `%${digits}%` },
        );
      }
      const [items, total] = await qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'ASC').take(page.limit).skip(page.offset).getManyAndCount();
      return { items, total, ...page };
    });
  }

  /** Active subscribers of the comune (the launch threshold's figure), without the breakdowns of counts(). */
  async countActive(tenantId: TenantId): Promise<number> {
    const rows: { n: number }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT count(*)::int AS n FROM subscribers WHERE tenant_id = $1 AND status = 'active'`, [tenantId]),
    );
    return rows[0]?.n ?? 0;
  }

  counts(tenantId: TenantId): Promise<SubscriberCounts> {
    return this.db.forTenant(tenantId, async (m) => {
      const status: { status: string; n: string }[] = await m.query(
        `SELECT status, count(*) AS n FROM subscribers WHERE tenant_id = $1 GROUP BY status`,
        [tenantId],
      );
      const lists: { list_id: string; n: string }[] = await m.query(
        `SELECT list_id, count(*) AS n FROM subscriptions WHERE tenant_id = $1 AND status = 'active' GROUP BY list_id`,
        [tenantId],
      );
      const frazioni: { frazione: string | null; n: string }[] = await m.query(
        `SELECT frazione, count(*) AS n FROM subscribers WHERE tenant_id = $1 AND status = 'active' GROUP BY frazione ORDER BY frazione NULLS LAST`,
        [tenantId],
      );
      return {
        byStatus: Object.fromEntries(status.map((r) => [r.status, Number(r.n)])),
        byList: lists.map((r) => ({ listId: r.list_id, active: Number(r.n) })),
        byFrazione: frazioni.map((r) => ({ frazione: r.frazione, active: Number(r.n) })),
      };
    });
  }

  /**
   * Erasure (ADR 0008): everything the comune holds that identifies the person goes, in one
   * transaction, while the rows that keep its counts true stay, anonymous. The subscriber keeps its
   * row and its ledger; their contacts on the comune's numbers are deleted; what they wrote and what
   * was sent to them is purged as retention purges it, and the outbound rows lose their recipient;
   * what was still queued for them is skipped, never sent; their web-form sign-ups are deleted.
   * Only this comune's rows: the same phone in another comune is another subscriber.
   *
   * Returns the storage keys of the media they sent, to delete once the transaction has committed.
   */
  async erase(tenantId: TenantId, id: string): Promise<ErasureResult> {
    return this.db.forTenant(tenantId, async (m) => {
      // Who they were, read before it is forgotten; the lock makes a concurrent edit wait for the erasure.
      const found: { phone_e164: string | null; wa_id: string | null; user_id: string | null }[] = await m.query(
        `SELECT phone_e164, wa_id, user_id FROM subscribers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      const who = found[0];
      if (!who) return { storageKeys: [] };
      // Their WhatsApp id on each of the comune's numbers: the one Meta gave, else the phone's digits
      // (the key campaigns use for a subscriber who never wrote); or their business-scoped user id.
      const waIds = [...new Set([who.wa_id, who.phone_e164?.slice(1)].filter((w): w is string => Boolean(w)))];
      const contacts = (
        await m.query<{ id: string }[]>(
          `SELECT id FROM contacts WHERE tenant_id = $1 AND (wa_id = ANY($2::text[]) OR user_id = $3) ORDER BY id FOR UPDATE`,
          [tenantId, waIds, who.user_id],
        )
      ).map((c) => c.id);

      // Every message sent, or to be sent, to them: campaign rows by subscriber, the others (replies,
      // the inbox's, a web form's confirmation) by contact or by the recipient they were written to.
      // Locked in id order, as sends and receipts lock them, so none of them deadlocks with this.
      // A queued message is skipped: the claim takes only queued rows, so its job finds nothing to
      // send. One being sent or with an unknown outcome is in Meta's hands and keeps its status
      // (ADR 0006), so that its receipt still settles it; it loses its content and recipient like the rest.
      await m.query(
        `WITH mine AS (
           SELECT o.id FROM outbound_messages o
            WHERE o.tenant_id = $1
              AND (o.subscriber_id = $2 OR o.contact_id = ANY($3::uuid[])
                   OR (o.recipient_kind = 'phone' AND o.recipient = $4) OR (o.recipient_kind = 'bsuid' AND o.recipient = $5))
            ORDER BY o.id FOR UPDATE)
         UPDATE outbound_messages o SET
             status = CASE WHEN o.status = 'queued' THEN 'skipped' ELSE o.status END,
             error_code = CASE WHEN o.status = 'queued' THEN NULL ELSE o.error_code END,
             error_reason = CASE WHEN o.status = 'queued' THEN $6 ELSE o.error_reason END,
             error_action = CASE WHEN o.status = 'queued' THEN 'erased' ELSE o.error_action END,
             next_attempt_at = CASE WHEN o.status = 'queued' THEN NULL ELSE o.next_attempt_at END,
             recipient = $7, provider_wa_id = NULL,
             content = NULL, content_purged_at = coalesce(o.content_purged_at, now()), updated_at = now()
           FROM mine WHERE o.tenant_id = $1 AND o.id = mine.id`,
        [tenantId, id, contacts, who.phone_e164, who.user_id, ERASED_REASON, ERASED_RECIPIENT],
      );
      let media: string[] = [];
      if (contacts.length > 0) {
        // What they wrote: the rows stay (a count, the inbox's threads), their texts go as retention drops them.
        await m.query(
          `UPDATE inbound_messages SET body = NULL, content = jsonb_build_object('type', type, 'purged', true, 'erased', true),
              content_purged_at = coalesce(content_purged_at, now())
            WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`,
          [tenantId, contacts],
        );
        media = await this.purgeMediaOf(m, tenantId, contacts);
        // Their conversations stay for the inbox's figures, closed (nobody is left to answer), without
        // the appointment dialogue's draft; their appointment requests and any block are about them
        // alone (their reasons, days, the editor's note) and go, as do the contacts themselves.
        await m.query(
          `UPDATE conversations SET status = 'closed', closed_at = coalesce(closed_at, now()), unread_count = 0, intake_step = NULL,
              intake_draft = '{}', updated_at = now()
            WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`,
          [tenantId, contacts],
        );
        await m.query(`DELETE FROM appointment_requests WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`, [tenantId, contacts]);
        await m.query(`DELETE FROM citizen_blocks WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[])`, [tenantId, contacts]);
        await m.query(`DELETE FROM contacts WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, contacts]);
      }
      // A pending sign-up's confirm button then finds nothing to confirm.
      await m.query(`DELETE FROM web_signups WHERE tenant_id = $1 AND subscriber_id = $2`, [tenantId, id]);
      // Their ledger events stay, without a web form's IP address and user agent or an import's note
      // (the one change the append-only ledger allows, see the ConsentEvidenceRedaction migration).
      await m.query(`SELECT app_redact_consent_evidence($1, $2)`, [tenantId, id]);
      await m.query(
        `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = coalesce(unsubscribed_at, now()) WHERE tenant_id = $1 AND subscriber_id = $2`,
        [tenantId, id],
      );
      await m.query(
        `UPDATE subscribers SET phone_e164 = NULL, wa_id = NULL, user_id = NULL, first_name = NULL, last_name = NULL, frazione = NULL,
            tags = '{}', status = 'unsubscribed', awaiting_field = NULL, pending_list_ids = '{}', unsubscribed_at = coalesce(unsubscribed_at, now()),
            erased_at = now(), updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return { storageKeys: media };
    });
  }

  /**
   * The media of the contacts' messages, as retention purges them (a download still running finds its
   * file purged and deletes what it wrote); returns the stored files' keys.
   */
  private async purgeMediaOf(m: EntityManager, tenantId: TenantId, contacts: readonly string[]): Promise<string[]> {
    const rows = await returningRows<{ storage_key: string | null }>(
      m,
      `WITH theirs AS (
         SELECT f.id, f.storage_key FROM media_files f
          WHERE f.tenant_id = $1 AND f.status IN ('stored', 'pending', 'failed')
            AND f.inbound_message_id IN (SELECT i.id FROM inbound_messages i WHERE i.tenant_id = $1 AND i.contact_id = ANY($2::uuid[]))
          FOR UPDATE OF f)
       UPDATE media_files f SET status = 'purged', storage_key = NULL, error = 'citizen erased'
         FROM theirs WHERE f.tenant_id = $1 AND f.id = theirs.id
       RETURNING theirs.storage_key AS storage_key`,
      [tenantId, contacts],
    );
    return rows.map((r) => r.storage_key).filter((k): k is string => k !== null);
  }
}
