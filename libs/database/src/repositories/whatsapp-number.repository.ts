import { Injectable } from '@nestjs/common';
import { ConflictError, type NumberId, type TenantId } from '#common';
import { PhoneNumberRouteEntity } from '../entities/phone-number-route.entity.js';
import { WhatsappNumberEntity } from '../entities/whatsapp-number.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';

export type NewWhatsappNumber = Omit<WhatsappNumberEntity, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type WhatsappNumberPatch = Partial<
  Omit<WhatsappNumberEntity, 'tenantId' | 'id' | 'phoneNumberId' | 'providerAppId' | 'createdAt' | 'updatedAt'>
>;

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
  routeUnscoped(phoneNumberId: string): Promise<PhoneNumberRouteEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(PhoneNumberRouteEntity, { phoneNumberId }));
  }
}
