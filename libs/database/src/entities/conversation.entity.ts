import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Brand, ContactId, NumberId, TenantId, UserId } from '#common';

export type ConversationId = Brand<string, 'ConversationId'>;
export const asConversationId = (id: string): ConversationId => id as ConversationId;

export const CONVERSATION_STATUSES = ['open', 'pending', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const CONVERSATION_CATEGORIES = ['segnalazione', 'appuntamento', 'informazioni', 'emergenza', 'altro'] as const;
export type ConversationCategory = (typeof CONVERSATION_CATEGORIES)[number];

export type CategorySource = 'citizen' | 'editor' | 'keyword';
export type AutoReplyKind = 'ack' | 'closed' | 'emergency';
export type IntakeStep = 'office' | 'days' | 'reason';

/** What the appointment dialogue has collected so far. */
export interface IntakeDraft {
  office?: string;
  preferredDays?: string;
}

/**
 * A citizen's exchange with a two-way comune, from their first message until an editor closes it.
 * At most one is not closed per citizen; a message after closing opens a new one.
 */
@Entity({ name: 'conversations' })
export class ConversationEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: ConversationId;

  @Column('uuid')
  numberId!: NumberId;

  @Column('uuid')
  contactId!: ContactId;

  @Column('text')
  status!: ConversationStatus;

  @Column('text', { nullable: true })
  category!: ConversationCategory | null;

  @Column('text', { nullable: true })
  categorySource!: CategorySource | null;

  @Column('boolean')
  urgent!: boolean;

  @Column('uuid', { nullable: true })
  assigneeId!: UserId | null;

  @Column('integer')
  unreadCount!: number;

  @Column({ type: 'timestamptz' })
  openedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastInboundAt!: Date | null;

  @Column({ type: 'timestamptz' })
  lastMessageAt!: Date;

  /** The first editor reply. */
  @Column({ type: 'timestamptz', nullable: true })
  firstResponseAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Column('uuid', { nullable: true })
  closedBy!: UserId | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastAutoReplyAt!: Date | null;

  @Column('text', { nullable: true })
  lastAutoReplyKind!: AutoReplyKind | null;

  /** The appointment question the citizen was asked last; null: none. */
  @Column('text', { nullable: true })
  intakeStep!: IntakeStep | null;

  @Column('jsonb')
  intakeDraft!: IntakeDraft;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
