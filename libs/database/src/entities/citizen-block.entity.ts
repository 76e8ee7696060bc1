import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContactId, TenantId, UserId } from '#common';

export const BLOCK_REASONS = ['offensive', 'threatening', 'abusive', 'spam', 'other'] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

/** A citizen whose messages the comune no longer reads: only their metadata is kept. */
@Entity({ name: 'citizen_blocks' })
export class CitizenBlockEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  contactId!: ContactId;

  @Column('text')
  reason!: BlockReason;

  @Column('text', { nullable: true })
  note!: string | null;

  @Column('uuid', { nullable: true })
  blockedBy!: UserId | null;

  @Column({ type: 'timestamptz' })
  blockedAt!: Date;

  /** When the citizen was told (once); null: not yet, they are told at their next message. */
  @Column({ type: 'timestamptz', nullable: true })
  notifiedAt!: Date | null;

  @Column('integer')
  droppedCount!: number;
}
