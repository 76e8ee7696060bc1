import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContactId, NumberId, OutboundMessageId, TenantId } from '#common';

export const OUTBOUND_STATUSES = ['queued', 'sending', 'unknown', 'accepted', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'skipped'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];
/**
 * A message in one of these states reached the citizen or is on its way (an unknown outcome may
 * have): the citizen counts as having been sent it. Failed, cancelled and skipped ones did not.
 */
export const REACHING_STATUSES: readonly OutboundStatus[] = ['queued', 'sending', 'unknown', 'accepted', 'sent', 'delivered', 'read'];

export const OUTBOUND_KINDS = ['keyword_reply', 'campaign', 'editor_reply', 'auto_reply', 'notification', 'test'] as const;
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

export const MESSAGE_CATEGORIES = ['utility', 'marketing', 'authentication', 'service'] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];

/** One message the platform sends. Written only by the sending service (OutboundService). */
@Entity({ name: 'outbound_messages' })
export class OutboundMessageEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  /** Also sent to Meta as biz_opaque_callback_data, so receipts find the row. */
  @PrimaryColumn('uuid')
  id!: OutboundMessageId;

  @Column('uuid')
  numberId!: NumberId;

  @Column('uuid', { nullable: true })
  contactId!: ContactId | null;

  /** E.164 with '+' or a business-scoped user id. */
  @Column('text')
  recipient!: string;

  @Column('text')
  recipientKind!: 'phone' | 'bsuid';

  @Column('text')
  kind!: OutboundKind;

  /** The pricing category it goes out as; 'service' for free-form inside the window. */
  @Column('text', { nullable: true })
  category!: MessageCategory | null;

  @Column('integer')
  priority!: number;

  @Column('uuid', { nullable: true })
  campaignId!: string | null;

  /** The campaign's recipient (one row per campaign and subscriber). */
  @Column('uuid', { nullable: true })
  subscriberId!: string | null;

  @Column('text', { nullable: true })
  replyToWamid!: string | null;

  /** The MessageContent (see #whatsapp); null once purged by retention. */
  @Column('jsonb', { nullable: true })
  content!: Record<string, unknown> | null;

  @Column('text')
  status!: OutboundStatus;

  @Column('text', { nullable: true })
  providerMessageId!: string | null;

  @Column('text', { nullable: true })
  providerWaId!: string | null;

  @Column('integer', { nullable: true })
  errorCode!: number | null;

  @Column('text', { nullable: true })
  errorReason!: string | null;

  @Column('text', { nullable: true })
  errorAction!: string | null;

  @Column('integer')
  attempts!: number;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column('jsonb', { nullable: true })
  pricing!: Record<string, unknown> | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  failedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  contentPurgedAt!: Date | null;
}
