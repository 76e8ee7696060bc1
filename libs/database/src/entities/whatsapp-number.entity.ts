import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { NumberId, ProviderAppId, TenantId } from '#common';
import type { MessagingTier, NumberStatus } from './enums.js';

/** A WhatsApp Business phone number of a comune. */
@Entity({ name: 'whatsapp_numbers' })
export class WhatsappNumberEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: NumberId;

  @Column('uuid')
  providerAppId!: ProviderAppId;

  @Column('text', { nullable: true })
  label!: string | null;

  /** Meta's id of the number: routes webhooks, unique across the deployment (phone_number_routes). */
  @Column('text')
  phoneNumberId!: string;

  @Column('text')
  displayNumber!: string;

  @Column('text')
  wabaId!: string;

  @Column('text', { nullable: true })
  businessPortfolioId!: string | null;

  @Column('text')
  messagingTier!: MessagingTier;

  @Column('text')
  accessTokenEnc!: string;

  @Column('text')
  accessTokenLast4!: string;

  @Column('integer')
  mpsCap!: number;

  @Column('text')
  status!: NumberStatus;

  @Column('text', { nullable: true })
  pausedReason!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  /** Meta's error code that paused the number, when an error did. */
  @Column('integer', { nullable: true })
  pausedErrorCode!: number | null;

  /** GREEN | YELLOW | RED as last reported by phone_number_quality_update. */
  @Column('text', { nullable: true })
  qualityRating!: string | null;

  @Column('text', { nullable: true })
  lastQualityEvent!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastQualityEventAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
