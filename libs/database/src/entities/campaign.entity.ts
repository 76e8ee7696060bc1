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
  /**
   * Only for a request to accept a privacy policy version (never from an editor's input): active
   * subscribers who have not accepted it, leaving out those an earlier request for it reached
   * unless includeAsked (a reminder).
   */
  policyPending?: { versionId: string; includeAsked: boolean };
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

/**
 * How a campaign's snapshot is materialised, fixed when it starts: planned times go on from `start`
 * at `intervalMs`, so a chunk inserted later (or after a worker died) continues the same schedule.
 */
export interface CampaignSnapshotPlan {
  numberId: NumberId;
  category: string | null;
  priority: number;
  /** ISO time of the first planned send. */
  start: string;
  intervalMs: number;
  /**
   * A portfolio capacity split: how many recipients outside the 24-hour window may go now (those
   * inside it always go now; the rest go the next day); null: no split, all go now. Snapshots
   * started before this meaning read their old figure (in-window recipients plus capacity) as it.
   */
  immediate: number | null;
  frequencyCap: { perWeek: number; campaignIds: string[] } | null;
  /** The privacy-policy version a normal broadcast's recipients must have accepted (docs/adr/0008); absent in plans made before. */
  policyGate?: { version: string; reason: string } | null;
  firstChunk: number;
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

  /** Set when the campaign asks subscribers to accept this privacy policy version. */
  @Column('uuid', { nullable: true })
  policyVersionId!: string | null;

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

  @Column('jsonb', { nullable: true })
  snapshotPlan!: CampaignSnapshotPlan | null;

  /** When the whole audience had been materialised (it goes in chunks); null while it still goes in. */
  @Column({ type: 'timestamptz', nullable: true })
  snapshotDoneAt!: Date | null;

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
