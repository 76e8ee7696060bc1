import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

export const SUBSCRIBER_FIELDS = ['first_name', 'last_name', 'frazione'] as const;
export type SubscriberField = (typeof SUBSCRIBER_FIELDS)[number];

/** How a comune runs sign-ups: what it asks of citizens, what it answers, its launch threshold. */
@Entity({ name: 'subscription_settings' })
export class SubscriptionSettingsEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @Column('text', { array: true })
  requiredFields!: SubscriberField[];

  @Column('text', { array: true })
  frazioni!: string[];

  /** Sign-up needs the citizen to accept the privacy policy explicitly (San Romano). */
  @Column('boolean')
  policyRequired!: boolean;

  /** The welcome is followed by the comune's contact card, so the citizen saves the number with one tap. */
  @Column('boolean')
  contactCard!: boolean;

  @Column('text')
  welcomeText!: string;

  @Column('text')
  goodbyeText!: string;

  @Column('text')
  helpText!: string;

  /** One-way comuni: the answer to any message that is not a keyword; null for two-way comuni. */
  @Column('text', { nullable: true })
  autoReplyText!: string | null;

  @Column('text', { nullable: true })
  askFirstNameText!: string | null;

  @Column('text', { nullable: true })
  askFrazioneText!: string | null;

  /** The approved utility template (with a quick-reply button) that asks a web-form sign-up to confirm. */
  @Column('text', { nullable: true })
  confirmTemplateName!: string | null;

  @Column('text')
  confirmTemplateLanguage!: string;

  @Column('integer', { nullable: true })
  launchThreshold!: number | null;

  @Column('boolean')
  launchOverride!: boolean;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
