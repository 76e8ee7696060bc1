import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TenantId } from '#common';
import type { TenantMode, TenantStatus } from './enums.js';

/** A comune. Its id is the tenant id every tenant-owned row starts its keys with. */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn('uuid')
  id!: TenantId;

  @Column('text')
  slug!: string;

  @Column('text')
  displayName!: string;

  @Column('text', { nullable: true })
  istatCode!: string | null;

  @Column('text')
  timezone!: string;

  @Column('text')
  status!: TenantStatus;

  @Column('text')
  mode!: TenantMode;

  @Column('text', { nullable: true })
  privacyPolicyUrl!: string | null;

  @Column('text', { nullable: true })
  privacyPolicyVersion!: string | null;

  @Column('text', { nullable: true })
  officeEmail!: string | null;

  @Column('text', { nullable: true })
  officePhone!: string | null;

  @Column('text', { nullable: true })
  officeAddress!: string | null;

  @Column('text', { nullable: true })
  websiteUrl!: string | null;

  /** Days message contents and media are kept before the retention job purges them. */
  @Column('integer')
  messageRetentionDays!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
