import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TenantId, UserId } from '#common';
import type { UserRole } from './enums.js';

/**
 * A person who signs in: a consortium operator (no tenant) or a comune's tenant_admin or editor.
 * Users are global rows (an email signs in without naming a comune), guarded by RLS on tenant_id.
 */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('uuid')
  id!: UserId;

  @Column('uuid', { nullable: true })
  tenantId!: TenantId | null;

  @Column('text')
  email!: string;

  @Column('text', { nullable: true })
  displayName!: string | null;

  @Column('text')
  passwordHash!: string;

  @Column('text')
  role!: UserRole;

  @Column('boolean', { default: false })
  disabled!: boolean;

  @Column('timestamptz', { nullable: true })
  lastLoginAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
