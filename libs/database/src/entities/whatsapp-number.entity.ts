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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
