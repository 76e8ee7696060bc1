import { Injectable } from '@nestjs/common';
import { IsNull, LessThan } from 'typeorm';
import type { UserId } from '#common';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';
import { TenantDb } from '../tenant-db.js';

export type NewRefreshToken = Pick<RefreshTokenEntity, 'id' | 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>;

@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly db: TenantDb) {}

  async insert(token: NewRefreshToken): Promise<void> {
    await this.db.withoutTenant((m) => m.insert(RefreshTokenEntity, token));
  }

  /**
   * Marks a token as used and returns it, atomically: of two concurrent refreshes with the same
   * token only one gets a row back, so a token can never be rotated twice.
   */
  async consume(tokenHash: string, now: Date): Promise<{ consumed: boolean; token: RefreshTokenEntity | null }> {
    return this.db.withoutTenant(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ rotatedAt: now })
        .where('token_hash = :tokenHash AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > :now', { tokenHash, now })
        .execute();
      const token = await m.findOneBy(RefreshTokenEntity, { tokenHash });
      return { consumed: (result.affected ?? 0) > 0, token };
    });
  }

  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.db.withoutTenant((m) => m.update(RefreshTokenEntity, { familyId, revokedAt: IsNull() }, { revokedAt: now }));
  }

  async revokeAllForUser(userId: UserId, now: Date): Promise<void> {
    await this.db.withoutTenant((m) => m.update(RefreshTokenEntity, { userId, revokedAt: IsNull() }, { revokedAt: now }));
  }

  /** Housekeeping: tokens past their expiry are of no use to anyone. */
  async deleteExpired(before: Date): Promise<number> {
    return this.db.withoutTenant(async (m) => {
      const res = await m.delete(RefreshTokenEntity, { expiresAt: LessThan(before) });
      return res.affected ?? 0;
    });
  }
}
