import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ProviderAppId } from '#common';

export type DeadLetterResolution = 'replayed' | 'discarded';

/** A webhook change for a number (or WABA) no comune owns: kept for operators, not retried. */
@Entity({ name: 'webhook_dead_letters' })
export class WebhookDeadLetterEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column('bigint')
  webhookEventId!: string;

  @Column('uuid')
  providerAppId!: ProviderAppId;

  @Column('text', { nullable: true })
  phoneNumberId!: string | null;

  @Column('text', { nullable: true })
  wabaId!: string | null;

  @Column('text')
  field!: string;

  @Column('text')
  reason!: string;

  /** The change's `value`, as received. */
  @Column('jsonb')
  payload!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column('text', { nullable: true })
  resolution!: DeadLetterResolution | null;
}
