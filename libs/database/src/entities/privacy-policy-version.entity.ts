import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/**
 * One published version of a comune's privacy policy. The current one is also on the comune
 * (`tenants.privacy_policy_version` / `privacy_policy_url`), which every consent event quotes.
 */
@Entity({ name: 'privacy_policy_versions' })
export class PrivacyPolicyVersionEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  /** The comune's own label, e.g. '2027-01'; unique per comune. */
  @Column('text')
  version!: string;

  @Column('text', { nullable: true })
  url!: string | null;

  /** YYYY-MM-DD, in the comune's calendar. */
  @Column('date')
  publishedOn!: string;

  /** YYYY-MM-DD: after this day, subscribers who have not accepted get only emergencies; null for none. */
  @Column('date', { nullable: true })
  acceptanceDeadline!: string | null;

  @Column('uuid', { nullable: true })
  publishedBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
