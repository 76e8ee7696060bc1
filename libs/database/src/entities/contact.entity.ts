import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContactId, NumberId, TenantId } from '#common';

/**
 * A citizen as one business number sees them: WhatsApp's 24-hour window, the marketing preference
 * and delivery holds are per (number, user). Keyed by wa_id when Meta gives one, else by the
 * business-scoped user id.
 */
@Entity({ name: 'contacts' })
export class ContactEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: ContactId;

  @Column('uuid')
  numberId!: NumberId;

  @Column('text', { nullable: true })
  waId!: string | null;

  @Column('text', { nullable: true })
  userId!: string | null;

  @Column('text', { nullable: true })
  profileName!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastInboundAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  marketingOptedOutAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  heldUntil!: Date | null;

  @Column('integer')
  undeliverableCount!: number;

  @Column('integer', { nullable: true })
  lastErrorCode!: number | null;

  /** When a one-way comune last answered a non-keyword message with its auto-reply (once a day at most). */
  @Column({ type: 'timestamptz', nullable: true })
  autoRepliedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
