import { Injectable } from '@nestjs/common';
import type { NumberId } from '#common';
import { BusinessPortfolioEntity } from '../entities/business-portfolio.entity.js';
import { TenantDb } from '../tenant-db.js';

/**
 * Business portfolios and their rolling 24-hour usage. Consortium level, across comuni: a portfolio's
 * numbers may belong to several comuni, and Meta counts them together, hence the Unscoped names.
 */
@Injectable()
export class BusinessPortfolioRepository {
  constructor(private readonly db: TenantDb) {}

  findUnscoped(id: string): Promise<BusinessPortfolioEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(BusinessPortfolioEntity, { id }));
  }

  listUnscoped(): Promise<BusinessPortfolioEntity[]> {
    return this.db.unscoped((m) => m.find(BusinessPortfolioEntity, { order: { id: 'ASC' } }));
  }

  async upsertUnscoped(id: string, patch: { name?: string | null; emergencyReserve?: number }): Promise<BusinessPortfolioEntity> {
    return this.db.unscoped(async (m) => {
      await m.query(`INSERT INTO business_portfolios (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, [id]);
      if (Object.keys(patch).length > 0) await m.update(BusinessPortfolioEntity, { id }, { ...patch, updatedAt: new Date() });
      return m.findOneByOrFail(BusinessPortfolioEntity, { id });
    });
  }

  /** The portfolios the numbers name, with their numbers' tiers and comuni (operators' view). */
  listWithNumbersUnscoped(): Promise<
    { id: string; name: string | null; emergencyReserve: number; numbers: number; tenants: number; tiers: string[] }[]
  > {
    return this.db.unscoped((m) =>
      m.query(
        `SELECT n.business_portfolio_id AS id, p.name, coalesce(p.emergency_reserve, 0) AS "emergencyReserve",
                count(*)::int AS numbers, count(DISTINCT n.tenant_id)::int AS tenants, array_agg(DISTINCT n.messaging_tier) AS tiers
           FROM whatsapp_numbers n LEFT JOIN business_portfolios p ON p.id = n.business_portfolio_id
          WHERE n.business_portfolio_id IS NOT NULL
          GROUP BY n.business_portfolio_id, p.name, p.emergency_reserve ORDER BY n.business_portfolio_id`,
      ),
    );
  }

  /**
   * Distinct people reached outside the window (business-initiated, i.e. template, messages) since
   * `since` by the portfolio's numbers — or by the one number when it has no portfolio — plus the
   * recipients of campaigns still queued on them, which will use capacity soon.
   */
  async usedUnscoped(portfolioId: string | null, numberId: NumberId | null, since: Date): Promise<number> {
    const rows: { used: number }[] = await this.db.unscoped((m) =>
      m.query(
        `WITH nums AS (SELECT id FROM whatsapp_numbers WHERE ($1::text IS NOT NULL AND business_portfolio_id = $1) OR id = $2::uuid)
         SELECT count(DISTINCT recipient)::int AS used FROM (
           SELECT o.recipient FROM outbound_messages o
            WHERE o.number_id IN (SELECT id FROM nums) AND o.accepted_at >= $3 AND o.category IS DISTINCT FROM 'service'
           UNION ALL
           SELECT o.recipient FROM outbound_messages o
            WHERE o.number_id IN (SELECT id FROM nums) AND o.campaign_id IS NOT NULL AND o.status IN ('queued', 'sending')
              AND coalesce(o.next_attempt_at, o.created_at) < now() + interval '24 hours') u`,
        [portfolioId, numberId, since],
      ),
    );
    return rows[0]?.used ?? 0;
  }
}
