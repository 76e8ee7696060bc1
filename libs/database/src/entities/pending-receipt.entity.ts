import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A receipt for a message id we do not know yet (it can beat the send response); applied when the row appears. */
@Entity({ name: 'pending_receipts' })
export class PendingReceiptEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('text')
  providerMessageId!: string;

  @PrimaryColumn('text')
  status!: string;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column('jsonb')
  receipt!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
