import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A recurring cadence (a digest every Tuesday and Friday at 10:00): each run creates and starts a campaign. */
@Entity({ name: 'campaign_schedules' })
export class CampaignScheduleEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** Five-field cron, read in the comune's timezone. */
  @Column('text')
  cron!: string;

  @Column('boolean')
  active!: boolean;

  /** The campaign each run creates (same fields as the create request). */
  @Column('jsonb')
  campaign!: Record<string, unknown>;

  @Column({ type: 'timestamptz', nullable: true })
  nextRunAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastRunAt!: Date | null;

  @Column('uuid', { nullable: true })
  lastCampaignId!: string | null;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  /**
   * Who last set `campaign` (at creation, or a change of it): each run acts as this user, so it
   * needs an admin's approval exactly when their own send would. Null for schedules written before
   * it was recorded: their runs are treated as an editor's.
   */
  @Column('uuid', { nullable: true })
  contentUpdatedBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
