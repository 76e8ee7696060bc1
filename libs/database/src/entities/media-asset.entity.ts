import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MediaAssetId, NumberId, TenantId } from '#common';

export type MediaAssetKind = 'image' | 'document';

/** A file in a comune's media library: an image or a document (an ordinance's PDF) campaigns attach. */
@Entity({ name: 'media_assets' })
export class MediaAssetEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: MediaAssetId;

  @Column('text')
  kind!: MediaAssetKind;

  /** Sniffed from the bytes, never the uploader's claim. */
  @Column('text')
  mimeType!: string;

  /** The uploader's file name, sanitised; documents reach citizens under it. */
  @Column('text')
  filename!: string;

  @Column('bigint')
  sizeBytes!: string;

  /** Hex digest of the stored bytes. */
  @Column('text')
  sha256!: string;

  @Column('text')
  storageKey!: string;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}

/** The id WhatsApp gave one library file uploaded for one sending number (Meta keeps it 30 days). */
@Entity({ name: 'provider_media_uploads' })
export class ProviderMediaUploadEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  numberId!: NumberId;

  @PrimaryColumn('uuid')
  mediaAssetId!: MediaAssetId;

  @Column('text')
  providerMediaId!: string;

  @Column({ type: 'timestamptz' })
  uploadedAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  rejectedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  replacedRejectedAt!: Date | null;
}
