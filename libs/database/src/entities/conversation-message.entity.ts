import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboundMessageId, OutboundMessageId, TenantId, UserId } from '#common';
import type { ConversationId } from './conversation.entity.js';

/** One message of a conversation's thread: a link to the inbound or outbound row that holds it. */
@Entity({ name: 'conversation_messages' })
export class ConversationMessageEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  conversationId!: ConversationId;

  @Column('text')
  direction!: 'in' | 'out';

  @Column('uuid', { nullable: true })
  inboundMessageId!: InboundMessageId | null;

  @Column('uuid', { nullable: true })
  outboundMessageId!: OutboundMessageId | null;

  /** The editor who wrote it; null for the citizen's messages and the platform's automatic ones. */
  @Column('uuid', { nullable: true })
  authorUserId!: UserId | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
