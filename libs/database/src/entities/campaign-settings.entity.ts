import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A comune's sending rules. No row means the defaults: no approval, no cap, no quiet hours. */
@Entity({ name: 'campaign_settings' })
export class CampaignSettingsEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @Column('boolean')
  requiresApproval!: boolean;

  @Column('boolean')
  emergencyRequiresApproval!: boolean;

  /** At most this many normal campaigns per subscriber in any 7 days; null for no cap. */
  @Column('integer', { nullable: true })
  frequencyCapPerWeek!: number | null;

  /** 'HH:MM' in the comune's timezone; both null for no quiet hours. */
  @Column('text', { nullable: true })
  quietHoursStart!: string | null;

  @Column('text', { nullable: true })
  quietHoursEnd!: string | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
