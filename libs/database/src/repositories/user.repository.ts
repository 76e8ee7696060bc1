import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId, type UserId } from '#common';
import { UserEntity } from '../entities/user.entity.js';
import type { UserRole } from '../entities/enums.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation, type Page, type PageRequest } from './pagination.js';

export type NewUser = Pick<UserEntity, 'id' | 'email' | 'displayName' | 'passwordHash' | 'role'>;
export type UserPatch = Partial<Pick<UserEntity, 'displayName' | 'passwordHash' | 'role' | 'disabled'>>;

@Injectable()
export class UserRepository {
  constructor(private readonly db: TenantDb) {}

  async createInTenant(tenantId: TenantId, user: NewUser): Promise<UserEntity> {
    return this.insert(() => this.db.forTenant(tenantId, (m) => m.save(m.create(UserEntity, { ...user, tenantId }))));
  }

  /** Operators belong to no comune. */
  async createOperatorUnscoped(user: Omit<NewUser, 'role'>): Promise<UserEntity> {
    return this.insert(() => this.db.unscoped((m) => m.save(m.create(UserEntity, { ...user, role: 'operator', tenantId: null }))));
  }

  /** Sign-in knows only an email, not yet a comune. */
  findByEmailUnscoped(email: string): Promise<UserEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(UserEntity, { email: email.toLowerCase() }));
  }

  /** The subject of a valid access or refresh token, whatever comune it belongs to. */
  findByIdUnscoped(userId: UserId): Promise<UserEntity | null> {
    return this.db.unscoped((m) => m.findOneBy(UserEntity, { id: userId }));
  }

  findInTenant(tenantId: TenantId, userId: UserId): Promise<UserEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(UserEntity, { tenantId, id: userId }));
  }

  listInTenant(tenantId: TenantId, page: PageRequest, role?: UserRole): Promise<Page<UserEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(UserEntity, {
        where: role ? { tenantId, role } : { tenantId },
        order: { email: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  updateInTenant(tenantId: TenantId, userId: UserId, patch: UserPatch): Promise<UserEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const repo = m.getRepository(UserEntity);
      const user = await repo.findOneBy({ tenantId, id: userId });
      if (!user) return null;
      return repo.save(repo.merge(user, patch));
    });
  }

  async recordLoginUnscoped(userId: UserId, at: Date): Promise<void> {
    await this.db.unscoped((m) => m.update(UserEntity, { id: userId }, { lastLoginAt: at }));
  }

  private async insert(work: () => Promise<UserEntity>): Promise<UserEntity> {
    try {
      return await work();
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError('this email address is already in use', 'USER_EMAIL_TAKEN');
      throw err;
    }
  }
}
