import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { ConflictError, type NumberId, type ProviderAppId, type TenantId } from '#common';
import type { MessagingTier, NumberStatus } from '../entities/enums.js';
import { TenantEntity } from '../entities/tenant.entity.js';
import { PhoneNumberRouteEntity } from '../entities/phone-number-route.entity.js';
import { WhatsappNumberEntity } from '../entities/whatsapp-number.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';
import { returningRows } from './sql.js';

export type NewWhatsappNumber = Omit<WhatsappNumberEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type WhatsappNumberPatch = Partial<
  Omit<WhatsappNumberEntity, 'tenantId' | 'id' | 'phoneNumberId' | 'providerAppId' | 'createdAt' | 'updatedAt'>
>;

/** Where a webhook's phone_number_id leads: its comune, its number, and the provider app the number is on. */
export interface NumberRoute {
  phoneNumberId: string;
  tenantId: TenantId;
  numberId: NumberId;
  providerAppId: ProviderAppId;
}

@Injectable()
export class WhatsappNumberRepository {
  constructor(private readonly db: TenantDb) {}

  /** Inserts the number and its webhook route in one transaction. */
  async create(tenantId: TenantId, number: NewWhatsappNumber): Promise<WhatsappNumberEntity> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const saved = await m.save(m.create(WhatsappNumberEntity, { ...number, tenantId }));
        await m.insert(PhoneNumberRouteEntity, { phoneNumberId: number.phoneNumberId, tenantId, numberId: number.id });
        return saved;
      });
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === 'whatsapp_numbers_display_number_key') {
        throw new ConflictError('this comune already has a number with this display number', 'NUMBER_DISPLAY_TAKEN');
      }
      if (constraint) {
        throw new ConflictError('this phone_number_id is already registered in the deployment', 'NUMBER_PHONE_NUMBER_ID_TAKEN');
      }
      throw err;
    }
  }

  findById(tenantId: TenantId, id: NumberId): Promise<WhatsappNumberEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(WhatsappNumberEntity, { tenantId, id }));
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<WhatsappNumberEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(WhatsappNumberEntity, {
        where: { tenantId },
        order: { createdAt: 'ASC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  async update(tenantId: TenantId, id: NumberId, patch: WhatsappNumberPatch): Promise<WhatsappNumberEntity | null> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const repo = m.getRepository(WhatsappNumberEntity);
        const number = await repo.findOneBy({ tenantId, id });
        if (!number) return null;
        return repo.save(repo.merge(number, patch));
      });
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError('this comune already has a number with this display number', 'NUMBER_DISPLAY_TAKEN');
      throw err;
    }
  }

  /** Routes a webhook's phone_number_id to its comune and number, before any tenant is known. */
  async routeUnscoped(phoneNumberId: string): Promise<NumberRoute | null> {
    return (await this.routeManyUnscoped([phoneNumberId])).get(phoneNumberId) ?? null;
  }

  /**
   * Routes a batch of phone_number_ids at once, each with the provider app its number is on: a
   * webhook counts only for numbers of the app whose secret signed it.
   */
  async routeManyUnscoped(phoneNumberIds: readonly string[]): Promise<Map<string, NumberRoute>> {
    if (phoneNumberIds.length === 0) return new Map();
    const rows: NumberRoute[] = await this.db.unscoped((m) =>
      m.query(
        `SELECT r.phone_number_id AS "phoneNumberId", r.tenant_id AS "tenantId", r.number_id AS "numberId", n.provider_app_id AS "providerAppId"
           FROM phone_number_routes r JOIN whatsapp_numbers n ON n.tenant_id = r.tenant_id AND n.id = r.number_id
          WHERE r.phone_number_id = ANY($1::text[])`,
        [[...phoneNumberIds]],
      ),
    );
    return new Map(rows.map((r) => [r.phoneNumberId, r]));
  }

  /**
   * The numbers of a WABA, for account-level webhooks (template and quality updates) that carry the
   * WABA id rather than a phone_number_id.
   */
  findByWabaUnscoped(wabaId: string): Promise<Pick<WhatsappNumberEntity, 'tenantId' | 'id' | 'displayNumber' | 'phoneNumberId' | 'providerAppId'>[]> {
    return this.db.unscoped((m) =>
      m.find(WhatsappNumberEntity, {
        where: { wabaId },
        select: { tenantId: true, id: true, displayNumber: true, phoneNumberId: true, providerAppId: true },
      }),
    );
  }

  /** Numbers in a given status across comuni, with their comune's slug (operators' overview of paused numbers). */
  listByStatusUnscoped(status: NumberStatus, page: PageRequest): Promise<Page<{ number: WhatsappNumberEntity; tenantSlug: string }>> {
    return this.db.unscoped(async (m) => {
      const [numbers, total] = await m.findAndCount(WhatsappNumberEntity, {
        where: { status },
        order: { updatedAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      const tenants = numbers.length ? await m.findBy(TenantEntity, { id: In([...new Set(numbers.map((n) => n.tenantId))]) }) : [];
      const slugs = new Map(tenants.map((t) => [t.id, t.slug]));
      return { items: numbers.map((number) => ({ number, tenantSlug: slugs.get(number.tenantId) ?? '' })), total, ...page };
    });
  }

  /** Every number of a provider app, across comuni (the CLI registers the simulator's numbers with it). */
  listByProviderAppUnscoped(providerAppId: string): Promise<WhatsappNumberEntity[]> {
    return this.db.unscoped((m) =>
      m.find(WhatsappNumberEntity, { where: { providerAppId: providerAppId as WhatsappNumberEntity['providerAppId'] }, order: { createdAt: 'ASC' } }),
    );
  }

  /** Pauses an active number; false when it was not active (already paused by another worker, or disabled). */
  async pauseIfActive(tenantId: TenantId, id: NumberId, pause: { reason: string; errorCode: number | null }): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, (m) =>
      returningRows<{ id: string }>(
        m,
        `UPDATE whatsapp_numbers SET status = 'paused', paused_reason = $3, paused_error_code = $4, paused_at = now(), updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'active' RETURNING id`,
        [tenantId, id, pause.reason, pause.errorCode],
      ),
    );
    return rows.length > 0;
  }

  /** phone_number_quality_update: remembers the event and, when given, the new messaging tier. */
  async recordQualityEvent(tenantId: TenantId, id: NumberId, event: string, tier: MessagingTier | null): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE whatsapp_numbers SET last_quality_event = $3, last_quality_event_at = now(),
            quality_rating = CASE $3 WHEN 'FLAGGED' THEN 'RED' WHEN 'UNFLAGGED' THEN 'GREEN' ELSE quality_rating END,
            messaging_tier = coalesce($4, messaging_tier), updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, event, tier],
      ),
    );
  }
}
