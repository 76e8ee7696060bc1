import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

export const SUBSCRIBER_IMPORT_STATUSES = ['running', 'completed', 'failed'] as const;
export type SubscriberImportStatus = (typeof SUBSCRIBER_IMPORT_STATUSES)[number];

/** A rejected row of an import: its line in the file and why it was not imported. */
export interface SubscriberImportError {
  row: number;
  reason: string;
}

/** One CSV import of a comune's subscribers, with its progress and outcome. */
@Entity({ name: 'subscriber_imports' })
export class SubscriberImportEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column('text')
  status!: SubscriberImportStatus;

  @Column('integer')
  totalRows!: number;

  @Column('integer')
  processedRows!: number;

  @Column('integer')
  accepted!: number;

  @Column('integer')
  rejected!: number;

  @Column('integer')
  duplicates!: number;

  @Column('uuid', { array: true })
  listIds!: string[];

  /** The admin's statement that every row consented, when the file has no evidence column. */
  @Column('text', { nullable: true })
  consentDeclaration!: string | null;

  /** The first rejected rows (at most 1,000). */
  @Column('jsonb')
  errors!: SubscriberImportError[];

  @Column('text', { nullable: true })
  failureReason!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
