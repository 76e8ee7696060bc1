import { Injectable } from '@nestjs/common';
import { newId, type InboundMessageId, type OutboundMessageId, type TenantId } from '#common';
import type { ConversationId } from '../entities/conversation.entity.js';
import { EmergencyAlertEntity } from '../entities/emergency-alert.entity.js';
import { TenantDb } from '../tenant-db.js';

@Injectable()
export class EmergencyAlertRepository {
  constructor(private readonly db: TenantDb) {}

  /** The alert for one emergency message, created on first use (a retried job finds it again). */
  findOrCreate(tenantId: TenantId, conversationId: ConversationId, inboundMessageId: InboundMessageId): Promise<EmergencyAlertEntity> {
    return this.db.forTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO emergency_alerts (tenant_id, id, conversation_id, inbound_message_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, inbound_message_id) DO NOTHING`,
        [tenantId, newId(), conversationId, inboundMessageId],
      );
      return m.findOneByOrFail(EmergencyAlertEntity, { tenantId, inboundMessageId });
    });
  }

  listByConversation(tenantId: TenantId, conversationId: ConversationId): Promise<EmergencyAlertEntity[]> {
    return this.db.forTenant(tenantId, (m) => m.find(EmergencyAlertEntity, { where: { tenantId, conversationId }, order: { createdAt: 'ASC' } }));
  }

  async record(
    tenantId: TenantId,
    id: string,
    patch: { whatsappOutboundId?: OutboundMessageId; whatsappError?: string | null; emailSentAt?: Date; emailError?: string | null },
  ): Promise<void> {
    await this.db.forTenant(tenantId, (m) => m.update(EmergencyAlertEntity, { tenantId, id }, patch));
  }
}
