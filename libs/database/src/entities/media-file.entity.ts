import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboundMessageId, MediaFileId, NumberId, TenantId } from '#common';

export type MediaFileStatus = 'pending' | 'stored' | 'failed' | 'purged';

/** A citizen's photo, voice note or document, copied from Meta (which keeps it 7 days) to our storage. */
@Entity({ name: 'media_files' })
export class MediaFileEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: MediaFileId;

  @Column('uuid')
  numberId!: NumberId;

  @Column('uuid', { nullable: true })
  inboundMessageId!: InboundMessageId | null;

  @Column('text')
  providerMediaId!: string;

  @Column('text', { nullable: true })
  mimeType!: string | null;

  /** As announced in the webhook. */
  @Column('text', { nullable: true })
  expectedSha256!: string | null;

  /** Hex digest of what was stored. */
  @Column('text', { nullable: true })
  sha256!: string | null;

  @Column('bigint', { nullable: true })
  sizeBytes!: string | null;

  @Column('text', { nullable: true })
  storageKey!: string | null;

  @Column('text')
  status!: MediaFileStatus;

  @Column('text', { nullable: true })
  error!: string | null;

  @Column('integer')
  attempts!: number;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  storedAt!: Date | null;
}
