import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { SubscriberImportEntity, type SubscriberImportError } from '../entities/subscriber-import.entity.js';
import type { SubscriberSource, SubscriberStatus } from '../entities/subscriber.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export interface NewSubscriberImport {
  id: string;
  createdBy: string | null;
  totalRows: number;
  listIds: string[];
  consentDeclaration: string | null;
}

/** What one chunk added to an import's counters. */
export interface ImportProgress {
  processedRows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Appended to the stored errors: the caller keeps the total within its cap. */
  errors: SubscriberImportError[];
}

/** A row of the file ready to be written: ids made by the caller, values already validated. */
export interface ImportedSubscriber {
  id: string;
  consentEventId: string;
  phoneE164: string;
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
  tags: string[];
  /** Stored as the opt-in's evidence in the consent ledger. */
  evidence: Record<string, unknown>;
}

export interface ImportBatch {
  listIds: readonly string[];
  policyVersion: string | null;
}

export interface SubscriberExportRow {
  id: string;
  phoneE164: string | null;
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
  tags: string[];
  status: SubscriberStatus;
  source: SubscriberSource;
  /** The slugs of the lists the subscriber is active on, `|`-separated (null: none). */
  lists: string | null;
  subscribedAt: Date | null;
}

/** CSV imports of a comune's subscribers (the import record and the bulk writes), and the CSV export's pages. */
@Injectable()
export class SubscriberImportRepository {
  constructor(private readonly db: TenantDb) {}

  /** Runs several calls in one transaction (they join it). */
  inTransaction<T>(tenantId: TenantId, work: () => Promise<T>): Promise<T> {
    return this.db.forTenant(tenantId, () => work());
  }

  create(tenantId: TenantId, i: NewSubscriberImport): Promise<SubscriberImportEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO subscriber_imports (tenant_id, id, created_by, status, total_rows, list_ids, consent_declaration)
         VALUES ($1, $2, $3, 'running', $4, $5, $6)`,
        [tenantId, i.id, i.createdBy, i.totalRows, i.listIds, i.consentDeclaration],
      );
      return m.findOneByOrFail(SubscriberImportEntity, { tenantId, id: i.id });
    });
  }

  findById(tenantId: TenantId, id: string): Promise<SubscriberImportEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(SubscriberImportEntity, { tenantId, id }));
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<SubscriberImportEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(SubscriberImportEntity, {
        where: { tenantId },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  async addProgress(tenantId: TenantId, id: string, p: ImportProgress): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE subscriber_imports SET processed_rows = processed_rows + $3, accepted = accepted + $4, rejected = rejected + $5,
            duplicates = duplicates + $6, errors = errors || $7::jsonb
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, p.processedRows, p.accepted, p.rejected, p.duplicates, JSON.stringify(p.errors)],
      ),
    );
  }

  async finish(tenantId: TenantId, id: string, outcome: { status: 'completed' } | { status: 'failed'; reason: string }): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(`UPDATE subscriber_imports SET status = $3, failure_reason = $4, finished_at = now() WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        id,
        outcome.status,
        outcome.status === 'failed' ? outcome.reason : null,
      ]),
    );
  }

  /**
   * Writes a chunk of imported subscribers in three statements' worth of work, as one: the
   * subscribers (a phone the comune already has is left untouched: it may have unsubscribed, and
   * an import must never undo that), their subscriptions to the chosen lists and one opt-in per
   * new subscriber in the consent ledger. Returns the phones actually inserted.
   */
  async insertSubscribers(tenantId: TenantId, rows: readonly ImportedSubscriber[], batch: ImportBatch): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ phone_e164: string }>(
        m,
        `WITH input AS (
           SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
             AS x (id, event_id, phone_e164, first_name, last_name, frazione, tags, evidence)
         ), inserted AS (
           INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, last_name, frazione, tags, status, source, activated_at)
           SELECT $1, id, phone_e164, first_name, last_name, frazione, ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)), 'active', 'import', now()
             FROM input
           ON CONFLICT (tenant_id, phone_e164) DO NOTHING
           RETURNING id, phone_e164
         ), subscribed AS (
           INSERT INTO subscriptions (tenant_id, subscriber_id, list_id, status)
           SELECT $1, i.id, l.list_id, 'active' FROM inserted i CROSS JOIN unnest($10::uuid[]) AS l (list_id)
           ON CONFLICT DO NOTHING
         ), consented AS (
           INSERT INTO consent_events (tenant_id, id, subscriber_id, type, list_ids, policy_version, channel, evidence)
           SELECT $1, x.event_id, i.id, 'opt_in', $10::uuid[], $11, 'import', x.evidence::jsonb FROM inserted i JOIN input x ON x.id = i.id
         )
         SELECT phone_e164 FROM inserted`,
        [
          tenantId,
          rows.map((r) => r.id),
          rows.map((r) => r.consentEventId),
          rows.map((r) => r.phoneE164),
          rows.map((r) => r.firstName),
          rows.map((r) => r.lastName),
          rows.map((r) => r.frazione),
          rows.map((r) => JSON.stringify(r.tags)),
          rows.map((r) => JSON.stringify(r.evidence)),
          batch.listIds,
          batch.policyVersion,
        ],
      ),
    );
    return inserted.map((r) => r.phone_e164);
  }

  /**
   * One page of the comune's subscribers for the CSV export, erased ones left out, after the given
   * id (keyset pagination: a large comune is read page by page, each page an index range scan).
   */
  exportPage(tenantId: TenantId, afterId: string | null, limit: number): Promise<SubscriberExportRow[]> {
    // The page is chosen first, then each subscriber's lists through the subscriptions' primary key
    // (the OFFSET 0 keeps the planner from driving the look-up through the per-list index instead,
    // which it does when a large import has not been analysed yet: seconds per page instead of ms).
    return this.db.forTenant(tenantId, (m) =>
      m.query(
        `WITH page AS MATERIALIZED (
           SELECT * FROM subscribers
            WHERE tenant_id = $1 AND erased_at IS NULL AND id > coalesce($2::uuid, '00000000-0000-0000-0000-000000000000')
            ORDER BY id
            LIMIT $3
         )
         SELECT s.id, s.phone_e164 AS "phoneE164", s.first_name AS "firstName", s.last_name AS "lastName", s.frazione, s.tags, s.status, s.source,
                a.lists, coalesce(a.subscribed_at, s.activated_at) AS "subscribedAt"
           FROM page s
           LEFT JOIN LATERAL (
             SELECT string_agg(l.slug, '|' ORDER BY l.slug) AS lists, min(x.subscribed_at) AS subscribed_at
               FROM (SELECT list_id, subscribed_at FROM subscriptions
                      WHERE tenant_id = $1 AND subscriber_id = s.id AND status = 'active' OFFSET 0) x
               JOIN subscriber_lists l ON l.tenant_id = $1 AND l.id = x.list_id
           ) a ON true
          ORDER BY s.id`,
        [tenantId, afterId, limit],
      ),
    );
  }
}
