import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ProviderAppId } from '#common';

export const WEBHOOK_EVENT_STATUSES = ['pending', 'processed', 'malformed', 'failed'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * A signed webhook POST exactly as received. It belongs to the consortium, not to a comune: one
 * body may carry changes for several numbers, and routing happens in the worker.
 */
@Entity({ name: 'webhook_events' })
export class WebhookEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column('uuid')
  providerAppId!: ProviderAppId;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;

  @Column('bytea')
  body!: Buffer;

  @Column('text')
  status!: WebhookEventStatus;

  @Column('integer')
  attempts!: number;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column('jsonb', { nullable: true })
  problems!: string[] | null;

  @Column('text', { nullable: true })
  lastError!: string | null;
}
