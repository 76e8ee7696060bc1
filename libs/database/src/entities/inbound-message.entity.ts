import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContactId, InboundMessageId, NumberId, TenantId } from '#common';

/** A message a citizen sent to a comune's number, stored once per wamid. */
@Entity({ name: 'inbound_messages' })
export class InboundMessageEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: InboundMessageId;

  @Column('uuid')
  numberId!: NumberId;

  @Column('uuid')
  contactId!: ContactId;

  @Column('text')
  wamid!: string;

  @Column('text')
  type!: string;

  /** Text body or media caption; null once purged by retention. */
  @Column('text', { nullable: true })
  body!: string | null;

  /** The normalised content (see InboundContent in #whatsapp). */
  @Column('jsonb')
  content!: Record<string, unknown>;

  @Column('text', { nullable: true })
  contextMessageId!: string | null;

  @Column({ type: 'timestamptz' })
  sentAt!: Date;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;

  @Column('bigint', { nullable: true })
  webhookEventId!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  contentPurgedAt!: Date | null;

  /** When it was handled (keyword, reply, inbox); null while its handle job has yet to finish. */
  @Column({ type: 'timestamptz', nullable: true })
  handledAt!: Date | null;
}
