import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProviderAppId } from '#common';
import type { ProviderKind } from './enums.js';

/**
 * A Meta app (or the built-in simulator) whose webhooks the consortium receives. Secrets are stored
 * encrypted (SecretBox); only their last four characters are kept in clear, for display.
 */
@Entity({ name: 'provider_apps' })
export class ProviderAppEntity {
  @PrimaryColumn('uuid')
  id!: ProviderAppId;

  @Column('text')
  name!: string;

  @Column('text')
  kind!: ProviderKind;

  @Column('text')
  appId!: string;

  @Column('text')
  appSecretEnc!: string;

  @Column('text')
  appSecretLast4!: string;

  /** The previous secret, still accepted while a rotation is in progress. */
  @Column('text', { nullable: true })
  previousAppSecretEnc!: string | null;

  @Column('text', { nullable: true })
  previousAppSecretLast4!: string | null;

  @Column('text')
  verifyTokenEnc!: string;

  @Column('text')
  verifyTokenLast4!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
