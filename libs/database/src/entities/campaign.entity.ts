import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { NumberId, TenantId } from '#common';

export const CAMPAIGN_STATUSES = ['draft', 'awaiting_approval', 'scheduled', 'sending', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const CAMPAIGN_PRIORITIES = ['normal', 'emergency'] as const;
export type CampaignPriority = (typeof CAMPAIGN_PRIORITIES)[number];

/** Who gets a campaign: the union of lists (all active subscribers when empty), narrowed by filters. */
export interface CampaignAudience {
  listIds?: string[];
  frazioni?: string[];
  tags?: string[];
  subscribedAfter?: string;
  subscribedBefore?: string;
}

/**
 * An image or document sent with the message: exactly one of a public HTTPS link and a file of the
 * comune's media library (`mediaId`, uploaded to WhatsApp per sending number when the campaign starts).
 */
export interface CampaignMedia {
  kind: 'image' | 'document';
  link?: string;
  mediaId?: string;
  /** Documents: the name citizens see (a library file's own name when left out). */
  filename?: string;
}

@Entity({ name: 'campaigns' })
export class CampaignEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  title!: string;

  @Column('text')
  status!: CampaignStatus;

  @Column('text')
  priority!: CampaignPriority;

  @Column('uuid')
  numberId!: NumberId;

  @Column('uuid', { nullable: true })
  messageTemplateId!: string | null;

  /** Free text when no message template is used (then only in-window recipients can get it). */
  @Column('text', { nullable: true })
  body!: string | null;

  @Column('jsonb')
  variables!: Record<string, string>;

  @Column('jsonb', { nullable: true })
  media!: CampaignMedia | null;

  @Column('jsonb')
  audience!: CampaignAudience;

  @Column('text', { nullable: true })
  category!: 'utility' | 'marketing' | 'authentication' | null;

  @Column('text')
  capacityMode!: 'refuse' | 'split';

  @Column({ type: 'timestamptz', nullable: true })
  scheduledAt!: Date | null;

  @Column('text', { nullable: true })
  requestedAction!: 'send' | 'schedule' | null;

  @Column('uuid', { nullable: true })
  scheduleId!: string | null;

  @Column('uuid', { nullable: true })
  alertId!: string | null;

  /** Recipients materialised when sending started (queued + skipped + deferred). */
  @Column('integer')
  targeted!: number;

  @Column('integer')
  skipped!: number;

  /** Recipients held back to the next 24 hours by a split for the portfolio's capacity. */
  @Column('integer')
  deferred!: number;

  @Column('text', { nullable: true })
  failureReason!: string | null;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column('uuid', { nullable: true })
  approvedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  approvedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
