import { Injectable } from '@nestjs/common';
import { In, Not } from 'typeorm';
import { newId, type ContactId, type InboundMessageId, type NumberId, type OutboundMessageId, type TenantId, type UserId } from '#common';
import { ContactEntity } from '../entities/contact.entity.js';
import { ConversationMessageEntity } from '../entities/conversation-message.entity.js';
import { ConversationEntity, type ConversationCategory, type ConversationId, type ConversationStatus } from '../entities/conversation.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface ConversationFilter {
  status?: ConversationStatus[];
  category?: ConversationCategory;
  assigneeId?: UserId;
  urgent?: boolean;
  contactId?: ContactId;
}

export type ConversationPatch = Partial<
  Pick<
    ConversationEntity,
    | 'status'
    | 'category'
    | 'categorySource'
    | 'urgent'
    | 'assigneeId'
    | 'unreadCount'
    | 'firstResponseAt'
    | 'closedAt'
    | 'closedBy'
    | 'lastAutoReplyAt'
    | 'lastAutoReplyKind'
    | 'intakeStep'
    | 'intakeDraft'
    | 'lastMessageAt'
  >
>;

/** One message of a thread with what its inbound or outbound row holds (and the inbound media). */
export interface ThreadRow {
  id: string;
  direction: 'in' | 'out';
  created_at: Date;
  author_user_id: string | null;
  inbound_message_id: string | null;
  outbound_message_id: string | null;
  in_type: string | null;
  in_body: string | null;
  in_content: Record<string, unknown> | null;
  in_context_message_id: string | null;
  in_sent_at: Date | null;
  in_wamid: string | null;
  media_status: string | null;
  media_mime_type: string | null;
  media_sha256: string | null;
  media_size_bytes: string | null;
  out_kind: string | null;
  out_status: string | null;
  out_content: Record<string, unknown> | null;
  out_provider_message_id: string | null;
  out_error_reason: string | null;
}

export interface DayCount {
  day: string;
  key: string | null;
  count: number;
}

@Injectable()
export class ConversationRepository {
  constructor(private readonly db: TenantDb) {}

  /**
   * The citizen's active conversation, opening one when there is none. Concurrent messages of one
   * citizen meet on the partial unique index: exactly one of them creates it.
   */
  openOrFind(
    tenantId: TenantId,
    input: { numberId: NumberId; contactId: ContactId; at: Date },
  ): Promise<{ conversation: ConversationEntity; created: boolean }> {
    return this.db.forTenant(tenantId, async (m) => {
      const inserted: { id: string }[] = await m.query(
        `INSERT INTO conversations (tenant_id, id, number_id, contact_id, opened_at, last_message_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5, $5, $5)
         ON CONFLICT (tenant_id, contact_id) WHERE status <> 'closed' DO NOTHING RETURNING id`,
        [tenantId, newId(), input.numberId, input.contactId, input.at],
      );
      const conversation = await m.findOneByOrFail(ConversationEntity, { tenantId, contactId: input.contactId, status: Not('closed' as const) });
      return { conversation, created: inserted.length > 0 };
    });
  }

  findById(tenantId: TenantId, id: ConversationId): Promise<ConversationEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(ConversationEntity, { tenantId, id }));
  }

  findActiveByContact(tenantId: TenantId, contactId: ContactId): Promise<ConversationEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(ConversationEntity, { tenantId, contactId, status: Not('closed' as const) }));
  }

  list(tenantId: TenantId, filter: ConversationFilter, page: PageRequest): Promise<Page<ConversationEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(ConversationEntity, {
        where: {
          tenantId,
          ...(filter.status ? { status: In(filter.status) } : {}),
          ...(filter.category ? { category: filter.category } : {}),
          ...(filter.assigneeId ? { assigneeId: filter.assigneeId } : {}),
          ...(filter.urgent !== undefined ? { urgent: filter.urgent } : {}),
          ...(filter.contactId ? { contactId: filter.contactId } : {}),
        },
        order: { urgent: 'DESC', lastMessageAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** Applies a patch; `expect` guards a state change (e.g. only from a status that allows it). */
  update(tenantId: TenantId, id: ConversationId, patch: ConversationPatch): Promise<ConversationEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const repo = m.getRepository(ConversationEntity);
      const row = await repo.findOneBy({ tenantId, id });
      if (!row) return null;
      return repo.save(repo.merge(row, { ...patch, updatedAt: new Date() }));
    });
  }

  /**
   * Puts a citizen's message in the thread and counts it unread; a pending conversation (waiting
   * for the citizen) is open again. False when the message was in the thread already (a retried job).
   */
  async addInbound(tenantId: TenantId, conversationId: ConversationId, inboundMessageId: InboundMessageId, at: Date): Promise<boolean> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: unknown[] = await m.query(
        `INSERT INTO conversation_messages (tenant_id, id, conversation_id, direction, inbound_message_id, created_at)
         VALUES ($1, $2, $3, 'in', $4, $5) ON CONFLICT (tenant_id, inbound_message_id) DO NOTHING RETURNING id`,
        [tenantId, newId(), conversationId, inboundMessageId, at],
      );
      if (rows.length === 0) return false;
      await m.query(
        `UPDATE conversations SET unread_count = unread_count + 1, last_inbound_at = greatest(last_inbound_at, $3),
            last_message_at = greatest(last_message_at, $3), status = CASE WHEN status = 'pending' THEN 'open' ELSE status END, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, conversationId, at],
      );
      return true;
    });
  }

  /** Puts a message the comune sent in the thread; an editor's reply also marks the first response and reads the thread. */
  async addOutbound(
    tenantId: TenantId,
    conversationId: ConversationId,
    outboundMessageId: OutboundMessageId,
    at: Date,
    authorUserId: UserId | null,
  ): Promise<void> {
    await this.db.forTenant(tenantId, async (m) => {
      await m.save(
        m.create(ConversationMessageEntity, {
          tenantId,
          id: newId(),
          conversationId,
          direction: 'out',
          outboundMessageId,
          inboundMessageId: null,
          authorUserId,
          createdAt: at,
        }),
      );
      if (authorUserId) {
        await m.query(
          `UPDATE conversations SET first_response_at = coalesce(first_response_at, $3), unread_count = 0,
              last_message_at = greatest(last_message_at, $3), updated_at = now()
            WHERE tenant_id = $1 AND id = $2`,
          [tenantId, conversationId, at],
        );
      }
    });
  }

  thread(tenantId: TenantId, conversationId: ConversationId, page: PageRequest): Promise<Page<ThreadRow>> {
    return this.db.forTenant(tenantId, async (m) => {
      const counted: { total: number }[] = await m.query(
        `SELECT count(*)::int AS total FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2`,
        [tenantId, conversationId],
      );
      const total = counted[0]?.total ?? 0;
      const items: ThreadRow[] = await m.query(
        `SELECT cm.id, cm.direction, cm.created_at, cm.author_user_id, cm.inbound_message_id, cm.outbound_message_id,
                i.type AS in_type, i.body AS in_body, i.content AS in_content, i.context_message_id AS in_context_message_id,
                i.sent_at AS in_sent_at, i.wamid AS in_wamid,
                f.status AS media_status, f.mime_type AS media_mime_type, f.sha256 AS media_sha256, f.size_bytes AS media_size_bytes,
                o.kind AS out_kind, o.status AS out_status, o.content AS out_content, o.provider_message_id AS out_provider_message_id,
                o.error_reason AS out_error_reason
           FROM conversation_messages cm
           LEFT JOIN inbound_messages i ON i.tenant_id = cm.tenant_id AND i.id = cm.inbound_message_id
           LEFT JOIN media_files f ON f.tenant_id = cm.tenant_id AND f.inbound_message_id = cm.inbound_message_id
           LEFT JOIN outbound_messages o ON o.tenant_id = cm.tenant_id AND o.id = cm.outbound_message_id
          WHERE cm.tenant_id = $1 AND cm.conversation_id = $2
          ORDER BY cm.created_at, cm.id
          LIMIT $3 OFFSET $4`,
        [tenantId, conversationId, page.limit, page.offset],
      );
      return { items, total, ...page };
    });
  }

  /** Whether a message of ours (by wamid) belongs to this conversation: a tapped button answers it. */
  async ownsOutboundWamid(tenantId: TenantId, conversationId: ConversationId, wamid: string): Promise<boolean> {
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT 1 FROM conversation_messages cm JOIN outbound_messages o ON o.tenant_id = cm.tenant_id AND o.id = cm.outbound_message_id
          WHERE cm.tenant_id = $1 AND cm.conversation_id = $2 AND o.provider_message_id = $3 LIMIT 1`,
        [tenantId, conversationId, wamid],
      ),
    );
    return rows.length > 0;
  }

  contacts(tenantId: TenantId, ids: readonly ContactId[]): Promise<ContactEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.forTenant(tenantId, (m) => m.findBy(ContactEntity, { tenantId, id: In([...new Set(ids)]) }));
  }

  /** Citizens' messages per local day and conversation category. */
  inboundByDay(tenantId: TenantId, timezone: string, from: Date, to: Date): Promise<DayCount[]> {
    return this.countByDay(
      tenantId,
      `SELECT to_char(cm.created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, c.category AS key, count(*)::int AS count
         FROM conversation_messages cm JOIN conversations c ON c.tenant_id = cm.tenant_id AND c.id = cm.conversation_id
        WHERE cm.tenant_id = $1 AND cm.direction = 'in' AND cm.created_at >= $2 AND cm.created_at < $3
        GROUP BY 1, 2`,
      [tenantId, from, to, timezone],
    );
  }

  openedByDay(tenantId: TenantId, timezone: string, from: Date, to: Date): Promise<DayCount[]> {
    return this.countByDay(
      tenantId,
      `SELECT to_char(opened_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, NULL AS key, count(*)::int AS count
         FROM conversations WHERE tenant_id = $1 AND opened_at >= $2 AND opened_at < $3 GROUP BY 1`,
      [tenantId, from, to, timezone],
    );
  }

  closedByDay(tenantId: TenantId, timezone: string, from: Date, to: Date): Promise<DayCount[]> {
    return this.countByDay(
      tenantId,
      `SELECT to_char(closed_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, NULL AS key, count(*)::int AS count
         FROM conversations WHERE tenant_id = $1 AND closed_at >= $2 AND closed_at < $3 GROUP BY 1`,
      [tenantId, from, to, timezone],
    );
  }

  /** Conversations opened in the range that have had a first response. */
  async firstResponses(tenantId: TenantId, from: Date, to: Date): Promise<{ openedAt: Date; firstResponseAt: Date }[]> {
    const rows: { opened_at: Date; first_response_at: Date }[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT opened_at, first_response_at FROM conversations
          WHERE tenant_id = $1 AND opened_at >= $2 AND opened_at < $3 AND first_response_at IS NOT NULL`,
        [tenantId, from, to],
      ),
    );
    return rows.map((r) => ({ openedAt: r.opened_at, firstResponseAt: r.first_response_at }));
  }

  private async countByDay(tenantId: TenantId, sql: string, params: unknown[]): Promise<DayCount[]> {
    const rows = await this.db.forTenant(tenantId, (m) => returningRows<DayCount>(m, sql, params));
    return rows.map((r) => ({ day: r.day, key: r.key, count: Number(r.count) }));
  }
}
