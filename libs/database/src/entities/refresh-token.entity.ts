import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { UserId } from '#common';

/**
 * One refresh token, stored as a SHA-256 hash. Tokens of one sign-in form a family: each use
 * rotates to a new token, and presenting an already-rotated token revokes the whole family.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  userId!: UserId;

  @Column('uuid')
  familyId!: string;

  @Column('text')
  tokenHash!: string;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('timestamptz', { nullable: true })
  rotatedAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
