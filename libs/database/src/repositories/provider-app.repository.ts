import { Injectable } from '@nestjs/common';
import { ConflictError, type ProviderAppId } from '#common';
import { ProviderAppEntity } from '../entities/provider-app.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';

export type NewProviderApp = Omit<ProviderAppEntity, 'createdAt' | 'updatedAt'>;
export type ProviderAppPatch = Partial<Omit<ProviderAppEntity, 'id' | 'kind' | 'createdAt' | 'updatedAt'>>;

/** Provider apps belong to the consortium, not to a comune: only operators reach them. */
@Injectable()
export class ProviderAppRepository {
  constructor(private readonly db: TenantDb) {}

  async create(app: NewProviderApp): Promise<ProviderAppEntity> {
    try {
      return await this.db.withoutTenant((m) => m.save(m.create(ProviderAppEntity, app)));
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError(`a provider app with app id ${app.appId} already exists`, 'PROVIDER_APP_TAKEN');
      throw err;
    }
  }

  findById(id: ProviderAppId): Promise<ProviderAppEntity | null> {
    return this.db.withoutTenant((m) => m.findOneBy(ProviderAppEntity, { id }));
  }

  /** The app a webhook URL names (Meta's app id, or the simulator's). */
  findByAppId(appId: string): Promise<ProviderAppEntity | null> {
    return this.db.withoutTenant((m) => m.findOneBy(ProviderAppEntity, { appId }));
  }

  list(page: PageRequest): Promise<Page<ProviderAppEntity>> {
    return this.db.withoutTenant(async (m) => {
      const [items, total] = await m.findAndCount(ProviderAppEntity, { order: { createdAt: 'ASC' }, take: page.limit, skip: page.offset });
      return { items, total, ...page };
    });
  }

  listAll(): Promise<ProviderAppEntity[]> {
    return this.db.withoutTenant((m) => m.find(ProviderAppEntity, { order: { createdAt: 'ASC' } }));
  }

  async update(id: ProviderAppId, patch: ProviderAppPatch): Promise<ProviderAppEntity | null> {
    try {
      return await this.db.withoutTenant(async (m) => {
        const repo = m.getRepository(ProviderAppEntity);
        const app = await repo.findOneBy({ id });
        if (!app) return null;
        return repo.save(repo.merge(app, patch));
      });
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError('another provider app has this app id', 'PROVIDER_APP_TAKEN');
      throw err;
    }
  }
}
