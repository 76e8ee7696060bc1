import { Injectable } from '@nestjs/common';
import type { ContactId, InboundMessageId, NumberId, TenantId } from '#common';
import { InboundMessageEntity } from '../entities/inbound-message.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface NewInboundMessage {
  id: InboundMessageId;
  numberId: NumberId;
  contactId: ContactId;
  wamid: string;
  type: string;
  body: string | null;
  content: Record<string, unknown>;
  contextMessageId: string | null;
  sentAt: Date;
  webhookEventId: string | null;
}

@Injectable()
export class InboundMessageRepository {
  constructor(private readonly db: TenantDb) {}

  /**
   * Inserts what is new and returns the wamids actually inserted: Meta delivers at least once, so a
   * redelivered wamid is skipped here and nothing downstream runs for it twice.
   */
  insertNew(tenantId: TenantId, rows: readonly NewInboundMessage[]): Promise<Set<string>> {
    if (rows.length === 0) return Promise.resolve(new Set());
    return this.db.forTenant(tenantId, async (m) => {
      const inserted: { wamid: string }[] = await m.query(
        `INSERT INTO inbound_messages (tenant_id, id, number_id, contact_id, wamid, type, body, content, context_message_id, sent_at, webhook_event_id)
         SELECT $1, x.id, x.number_id, x.contact_id, x.wamid, x.type, x.body, x.content, x.context_message_id, x.sent_at, x.webhook_event_id
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::timestamptz[], $11::bigint[])
             AS x(id, number_id, contact_id, wamid, type, body, content, context_message_id, sent_at, webhook_event_id)
         ON CONFLICT (tenant_id, wamid) DO NOTHING
         RETURNING wamid`,
        [
          tenantId,
          rows.map((r) => r.id),
          rows.map((r) => r.numberId),
          rows.map((r) => r.contactId),
          rows.map((r) => r.wamid),
          rows.map((r) => r.type),
          rows.map((r) => r.body),
          rows.map((r) => JSON.stringify(r.content)),
          rows.map((r) => r.contextMessageId),
          rows.map((r) => r.sentAt),
          rows.map((r) => r.webhookEventId),
        ],
      );
      return new Set(inserted.map((r) => r.wamid));
    });
  }

  findById(tenantId: TenantId, id: InboundMessageId): Promise<InboundMessageEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(InboundMessageEntity, { tenantId, id }));
  }

  /** Records that the message was handled: the sweep no longer queues it (see listUnhandledUnscoped). */
  async markHandled(tenantId: TenantId, id: InboundMessageId): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE inbound_messages SET handled_at = now() WHERE tenant_id = $1 AND id = $2 AND handled_at IS NULL`, [tenantId, id]),
    );
  }

  /**
   * The contact's first message not handled yet, in the order the citizen sent them (Meta's
   * timestamp, to the second; then arrival; then wamid), leaving out `skip`.
   */
  nextUnhandledOfContact(tenantId: TenantId, contactId: ContactId, skip: readonly InboundMessageId[]): Promise<InboundMessageEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const ids: { id: InboundMessageId }[] = await m.query(
        `SELECT id FROM inbound_messages WHERE tenant_id = $1 AND contact_id = $2 AND handled_at IS NULL AND id <> ALL($3::uuid[])
          ORDER BY sent_at, received_at, wamid LIMIT 1`,
        [tenantId, contactId, [...skip]],
      );
      return ids.length === 0 ? null : m.findOneBy(InboundMessageEntity, { tenantId, id: ids[0].id });
    });
  }

  /** The ids of these messages (by wamid) that are stored and not handled yet: a retried batch queues them again. */
  async unhandledByWamid(tenantId: TenantId, wamids: readonly string[]): Promise<InboundMessageId[]> {
    if (wamids.length === 0) return [];
    const rows: { id: InboundMessageId }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT id FROM inbound_messages WHERE tenant_id = $1 AND wamid = ANY($2::text[]) AND handled_at IS NULL`, [tenantId, [...wamids]]),
    );
    return rows.map((r) => r.id);
  }

  /**
   * Messages received before `before` and still not handled, across comuni, oldest first: their
   * handle job never got to Redis, was lost with it, or used up its attempts.
   */
  listUnhandledUnscoped(before: Date, limit: number): Promise<{ tenantId: TenantId; id: InboundMessageId }[]> {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT tenant_id AS "tenantId", id FROM inbound_messages WHERE handled_at IS NULL AND received_at < $1 ORDER BY received_at LIMIT $2`,
        [before, limit],
      ),
    );
  }

  /** Keeps only that a message arrived (one-way comuni do not keep what citizens write to them). */
  async forgetContent(tenantId: TenantId, id: InboundMessageId): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE inbound_messages SET body = NULL, content = jsonb_build_object('type', type, 'purged', true), content_purged_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      ),
    );
  }

  list(tenantId: TenantId, page: PageRequest, filter: { contactId?: ContactId } = {}): Promise<Page<InboundMessageEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(InboundMessageEntity, {
        where: { tenantId, ...(filter.contactId ? { contactId: filter.contactId } : {}) },
        order: { sentAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** Retention: drops texts and content of messages received before `before`; the row (a count) stays. */
  async purgeContentBefore(tenantId: TenantId, before: Date): Promise<number> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE inbound_messages SET body = NULL, content = jsonb_build_object('type', type, 'purged', true), content_purged_at = now()
          WHERE tenant_id = $1 AND received_at < $2 AND content_purged_at IS NULL RETURNING id`,
        [tenantId, before],
      ),
    );
    return rows.length;
  }
}
