import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboundMessageId, OutboundMessageId, TenantId } from '#common';
import type { ConversationId } from './conversation.entity.js';

/** The on-duty contact alerted about one emergency message, per channel. */
@Entity({ name: 'emergency_alerts' })
export class EmergencyAlertEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  conversationId!: ConversationId;

  @Column('uuid')
  inboundMessageId!: InboundMessageId;

  @Column('uuid', { nullable: true })
  whatsappOutboundId!: OutboundMessageId | null;

  @Column('text', { nullable: true })
  whatsappError!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  emailSentAt!: Date | null;

  @Column('text', { nullable: true })
  emailError!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
