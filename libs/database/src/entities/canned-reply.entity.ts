import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A reply an editor reuses ("Grazie, la segnalazione è stata inoltrata all’ufficio tecnico"). */
@Entity({ name: 'canned_replies' })
export class CannedReplyEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  title!: string;

  @Column('text')
  body!: string;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
