import { Injectable, Logger } from '@nestjs/common';
import { NotFoundError, ValidationError } from '#common';
import { BusinessPortfolioRepository, MESSAGING_TIERS, type MessagingTier } from '#database';
import type { Actor } from '../auth/actor.js';
import { TIER_LIMITS } from './campaign-rules.js';

export interface PortfolioView {
  id: string;
  name: string | null;
  /** The lowest tier its numbers report (they share one limit; Meta reports it per number). */
  tier: MessagingTier;
  limit: number | null;
  used: number;
  emergencyReserve: number;
  /** What normal campaigns may still use in the rolling 24 hours (null: unlimited). */
  availableForNormal: number | null;
  numbers: number;
  comuni: number;
}

const DAY_MS = 24 * 3600_000;

/** Operators' view of the business portfolios: tier, 24-hour usage, and the reserve kept for emergencies. */
@Injectable()
export class BusinessPortfoliosService {
  private readonly logger = new Logger('BusinessPortfolios');

  constructor(private readonly portfolios: BusinessPortfolioRepository) {}

  async list(): Promise<PortfolioView[]> {
    const rows = await this.portfolios.listWithNumbersUnscoped();
    const since = new Date(Date.now() - DAY_MS);
    const out: PortfolioView[] = [];
    for (const r of rows) {
      const tier = MESSAGING_TIERS.find((t) => r.tiers.includes(t)) ?? 'tier_250';
      const limit = TIER_LIMITS[tier];
      const used = await this.portfolios.usedUnscoped(r.id, null, since);
      out.push({
        id: r.id,
        name: r.name,
        tier,
        limit,
        used,
        emergencyReserve: r.emergencyReserve,
        availableForNormal: limit === null ? null : Math.max(0, limit - used - r.emergencyReserve),
        numbers: r.numbers,
        comuni: r.tenants,
      });
    }
    return out;
  }

  async update(actor: Actor, id: string, patch: { name?: string | null; emergencyReserve?: number }): Promise<PortfolioView> {
    const known = (await this.portfolios.listWithNumbersUnscoped()).find((p) => p.id === id);
    if (!known) throw new NotFoundError('Business portfolio', 'PORTFOLIO_NOT_FOUND');
    const tier = MESSAGING_TIERS.find((t) => known.tiers.includes(t)) ?? 'tier_250';
    const limit = TIER_LIMITS[tier];
    if (patch.emergencyReserve !== undefined && limit !== null && patch.emergencyReserve >= limit) {
      throw new ValidationError(`the reserve must be below the portfolio's limit of ${limit} people per 24 hours`);
    }
    await this.portfolios.upsertUnscoped(id, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    // Consortium level, so no comune's audit log: the operators' log records who changed what.
    this.logger.log({ event: 'portfolio_updated', portfolioId: id, operatorId: actor.userId, ...patch }, 'business portfolio updated');
    return (await this.list()).find((p) => p.id === id)!;
  }
}
