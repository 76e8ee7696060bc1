import { Injectable } from '@nestjs/common';
import type { TenantId } from '#common';
import { TenantDb } from '../tenant-db.js';
import { returningRows } from './sql.js';

export interface NewPendingReceipt {
  providerMessageId: string;
  status: string;
  occurredAt: Date;
  receipt: Record<string, unknown>;
}

/** Receipts that arrived before we knew their message id; applied once it is known, dropped after a while. */
@Injectable()
export class PendingReceiptRepository {
  constructor(private readonly db: TenantDb) {}

  async park(tenantId: TenantId, receipts: readonly NewPendingReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO pending_receipts (tenant_id, provider_message_id, status, occurred_at, receipt)
         SELECT $1, x.pmid, x.status, x.at, x.receipt
           FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS x(pmid, status, at, receipt)
         ON CONFLICT DO NOTHING`,
        [
          tenantId,
          receipts.map((r) => r.providerMessageId),
          receipts.map((r) => r.status),
          receipts.map((r) => r.occurredAt),
          receipts.map((r) => JSON.stringify(r.receipt)),
        ],
      ),
    );
  }

  /** The parked receipts of these message ids (left in place until applied, so they keep their age). */
  find(tenantId: TenantId, providerMessageIds: readonly string[]): Promise<Record<string, unknown>[]> {
    if (providerMessageIds.length === 0) return Promise.resolve([]);
    return this.db.forTenant(tenantId, async (m) => {
      const rows: { receipt: Record<string, unknown> }[] = await m.query(
        `SELECT receipt FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = ANY($2::text[])`,
        [tenantId, providerMessageIds],
      );
      return rows.map((r) => r.receipt);
    });
  }

  /** Forgets the parked receipts of messages they have now been applied to. */
  async remove(tenantId: TenantId, providerMessageIds: readonly string[]): Promise<void> {
    if (providerMessageIds.length === 0) return;
    await this.db.forTenant(tenantId, (m) =>
      m.query(`DELETE FROM pending_receipts WHERE tenant_id = $1 AND provider_message_id = ANY($2::text[])`, [tenantId, providerMessageIds]),
    );
  }

  /** Every parked receipt, grouped by comune, for the sweeper to retry. */
  async listTenantsWithPendingUnscoped(): Promise<{ tenantId: TenantId; providerMessageIds: string[] }[]> {
    const rows: { tenantId: TenantId; ids: string[] }[] = await this.db.unscoped((m) =>
      m.query(`SELECT tenant_id AS "tenantId", array_agg(DISTINCT provider_message_id) AS ids FROM pending_receipts GROUP BY tenant_id LIMIT 1000`),
    );
    return rows.map((r) => ({ tenantId: r.tenantId, providerMessageIds: r.ids }));
  }

  async purgeOlderThanUnscoped(before: Date): Promise<number> {
    const rows = await this.db.unscoped((m) =>
      returningRows<{ n: number }>(m, `DELETE FROM pending_receipts WHERE created_at < $1 RETURNING 1 AS n`, [before]),
    );
    return rows.length;
  }
}
