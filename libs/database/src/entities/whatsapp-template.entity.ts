import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A message template as Meta knows it for one of the comune's WABAs (approval status, category). */
@Entity({ name: 'whatsapp_templates' })
export class WhatsappTemplateEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  wabaId!: string;

  @Column('text', { nullable: true })
  providerTemplateId!: string | null;

  @Column('text')
  name!: string;

  @Column('text')
  language!: string;

  /** utility | marketing | authentication, as Meta currently classifies it. */
  @Column('text')
  category!: string;

  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ... as Meta reports it. */
  @Column('text')
  status!: string;

  @Column('text', { nullable: true })
  statusReason!: string | null;

  @Column('jsonb')
  components!: unknown[];

  @Column({ type: 'timestamptz', nullable: true })
  syncedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
