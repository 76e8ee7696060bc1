import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId } from '#common';
import { TenantEntity } from '../entities/tenant.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';

export type NewTenant = Omit<TenantEntity, 'createdAt' | 'updatedAt'>;
export type TenantPatch = Partial<Omit<TenantEntity, 'id' | 'slug' | 'createdAt' | 'updatedAt'>>;

@Injectable()
export class TenantRepository {
  constructor(private readonly db: TenantDb) {}

  /** A new comune is inserted in its own scope: its id is the tenant id the RLS check sees. */
  async create(tenant: NewTenant): Promise<TenantEntity> {
    try {
      return await this.db.forTenant(tenant.id, (m) => m.getRepository(TenantEntity).save(m.create(TenantEntity, tenant)));
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError(`a comune with slug "${tenant.slug}" already exists`, 'TENANT_SLUG_TAKEN');
      throw err;
    }
  }

  /** Every comune, for consortium-wide jobs (retention). */
  listAllUnscoped(): Promise<TenantEntity[]> {
    return this.db.unscoped((m) => m.find(TenantEntity, { order: { createdAt: 'ASC' } }));
  }

  findById(tenantId: TenantId): Promise<TenantEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(TenantEntity, { id: tenantId }));
  }

  /** Resolves the `:tenant` slug of a route before the caller's rights are known. */
  findBySlugUnscoped(slug: string): Promise<TenantEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(TenantEntity, { slug }));
  }

  /** Operators' cross-tenant listing. */
  listUnscoped(page: PageRequest): Promise<Page<TenantEntity>> {
    return this.db.unscoped(async (m) => {
      const [items, total] = await m.findAndCount(TenantEntity, {
        order: { displayName: 'ASC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  update(tenantId: TenantId, patch: TenantPatch): Promise<TenantEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const repo = m.getRepository(TenantEntity);
      const tenant = await repo.findOneBy({ id: tenantId });
      if (!tenant) return null;
      return repo.save(repo.merge(tenant, patch));
    });
  }
}
