import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContactId, TenantId, UserId } from '#common';
import type { ConversationId } from './conversation.entity.js';

export const APPOINTMENT_STATUSES = ['requested', 'proposed', 'confirmed', 'declined'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** How the citizen was told of the last change: free text, an approved template, or not at all. */
export type NotificationOutcome = 'text' | 'template' | 'not_possible';

/** A citizen's request for an appointment with an office, collected in their conversation. */
@Entity({ name: 'appointment_requests' })
export class AppointmentRequestEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  conversationId!: ConversationId;

  @Column('uuid')
  contactId!: ContactId;

  @Column('text')
  office!: string;

  @Column('text')
  preferredDays!: string;

  @Column('text')
  reason!: string;

  @Column('text')
  status!: AppointmentStatus;

  /** What the office proposes ("martedì 12 maggio alle 10:30"). */
  @Column('text', { nullable: true })
  proposedSlot!: string | null;

  @Column('text', { nullable: true })
  editorNote!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastNotifiedAt!: Date | null;

  @Column('text', { nullable: true })
  lastNotification!: NotificationOutcome | null;

  @Column('uuid', { nullable: true })
  decidedBy!: UserId | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
