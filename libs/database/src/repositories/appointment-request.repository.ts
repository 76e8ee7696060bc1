import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { TenantId } from '#common';
import { AppointmentRequestEntity, type AppointmentStatus } from '../entities/appointment-request.entity.js';
import type { ConversationId } from '../entities/conversation.entity.js';
import { TenantDb } from '../tenant-db.js';
import type { Page, PageRequest } from './pagination.js';

export type NewAppointmentRequest = Pick<
  AppointmentRequestEntity,
  'id' | 'conversationId' | 'contactId' | 'office' | 'preferredDays' | 'reason' | 'createdAt'
>;

export type AppointmentPatch = Partial<
  Pick<AppointmentRequestEntity, 'status' | 'proposedSlot' | 'editorNote' | 'decidedBy' | 'lastNotifiedAt' | 'lastNotification'>
>;

@Injectable()
export class AppointmentRequestRepository {
  constructor(private readonly db: TenantDb) {}

  create(tenantId: TenantId, row: NewAppointmentRequest): Promise<AppointmentRequestEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.insert(AppointmentRequestEntity, { ...row, tenantId, status: 'requested', updatedAt: row.createdAt });
      return m.findOneByOrFail(AppointmentRequestEntity, { tenantId, id: row.id });
    });
  }

  findById(tenantId: TenantId, id: string): Promise<AppointmentRequestEntity | null> {
    return this.db.forTenant(tenantId, (m) => m.findOneBy(AppointmentRequestEntity, { tenantId, id }));
  }

  list(
    tenantId: TenantId,
    filter: { status?: AppointmentStatus[]; conversationId?: ConversationId },
    page: PageRequest,
  ): Promise<Page<AppointmentRequestEntity>> {
    return this.db.forTenant(tenantId, async (m) => {
      const [items, total] = await m.findAndCount(AppointmentRequestEntity, {
        where: {
          tenantId,
          ...(filter.status ? { status: In(filter.status) } : {}),
          ...(filter.conversationId ? { conversationId: filter.conversationId } : {}),
        },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: page.limit,
        skip: page.offset,
      });
      return { items, total, ...page };
    });
  }

  /** Applies a status change only from the status it was decided on, so two editors cannot both move it. */
  update(tenantId: TenantId, id: string, from: AppointmentStatus, patch: AppointmentPatch): Promise<AppointmentRequestEntity | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const result = await m.update(AppointmentRequestEntity, { tenantId, id, status: from }, { ...patch, updatedAt: new Date() });
      if ((result.affected ?? 0) === 0) return null;
      return m.findOneBy(AppointmentRequestEntity, { tenantId, id });
    });
  }

  async recordNotification(tenantId: TenantId, id: string, outcome: AppointmentRequestEntity['lastNotification'], at: Date): Promise<void> {
    await this.db.forTenant(tenantId, (m) => m.update(AppointmentRequestEntity, { tenantId, id }, { lastNotification: outcome, lastNotifiedAt: at }));
  }
}
