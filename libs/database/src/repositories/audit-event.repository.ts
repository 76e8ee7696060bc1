import { Injectable } from '@nestjs/common';
import { newId, type TenantId } from '#common';
import { AuditEventEntity } from '../entities/audit-event.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';

export interface NewAuditEvent {
  actorUserId: string | null;
  actorRole: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

function toRow(tenantId: TenantId, event: NewAuditEvent): AuditEventEntity {
  return { ...event, details: event.details ?? {}, tenantId, id: newId(), occurredAt: new Date() };
}

@Injectable()
export class AuditEventRepository {
  constructor(private readonly db: TenantDb) {}

  async append(tenantId: TenantId, event: NewAuditEvent): Promise<void> {
    const row = toRow(tenantId, event);
    await this.db.forTenant(tenantId, (m) => m.save(m.create(AuditEventEntity, row)));
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<AuditEventEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(AuditEventEntity, {
        where: { tenantId },
        order: { occurredAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }
}
