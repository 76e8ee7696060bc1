import { Injectable } from '@nestjs/common';
import { ConflictError, type TenantId } from '#common';
import { CannedReplyEntity } from '../entities/canned-reply.entity.js';
import { TenantDb } from '../tenant-db.js';
import { uniqueViolation } from './pagination.js';

@Injectable()
export class CannedReplyRepository {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: TenantId): Promise<CannedReplyEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(CannedReplyEntity, { where: { tenantId }, order: { title: 'ASC', id: 'ASC' } }));
  }

  findById(tenantId: TenantId, id: string): Promise<CannedReplyEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(CannedReplyEntity, { tenantId, id }));
  }

  async create(tenantId: TenantId, reply: { id: string; title: string; body: string }): Promise<CannedReplyEntity> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        await m.insert(CannedReplyEntity, { ...reply, tenantId });
        return m.findOneByOrFail(CannedReplyEntity, { tenantId, id: reply.id });
      });
    } catch (err) {
      throw titleTaken(err) ?? err;
    }
  }

  async update(tenantId: TenantId, id: string, patch: { title?: string; body?: string }): Promise<CannedReplyEntity | null> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const repo = m.getRepository(CannedReplyEntity);
        const row = await repo.findOneBy({ tenantId, id });
        if (!row) return null;
        return repo.save(repo.merge(row, { ...patch, updatedAt: new Date() }));
      });
    } catch (err) {
      throw titleTaken(err) ?? err;
    }
  }

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    const result = await this.db.forTenant(tenantId, (m) => m.delete(CannedReplyEntity, { tenantId, id }));
    return (result.affected ?? 0) > 0;
  }
}

function titleTaken(err: unknown): ConflictError | undefined {
  return uniqueViolation(err) ? new ConflictError('a canned reply with this title exists already', 'CANNED_REPLY_TITLE_TAKEN') : undefined;
}
