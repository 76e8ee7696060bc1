import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/**
 * A comune's message with named variables ({{nome}}, {{comune}}, {{frazione}}, free ones filled per
 * campaign). Inside a citizen's 24-hour window it goes as this text; outside, as the linked
 * WhatsApp-approved template, whose parameters are filled from the variables in the order given.
 */
@Entity({ name: 'message_templates' })
export class MessageTemplateEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  body!: string;

  @Column('text', { nullable: true })
  whatsappTemplateName!: string | null;

  @Column('text', { nullable: true })
  whatsappTemplateLanguage!: string | null;

  @Column('text', { array: true })
  bodyParameters!: string[];

  @Column('text', { array: true })
  headerParameters!: string[];

  @Column('text', { array: true })
  buttonParameters!: string[];

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
