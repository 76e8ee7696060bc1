import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** One opening interval of a day, local time of the comune ("09:00" to "13:00", end excluded). */
export interface OfficeInterval {
  from: string;
  to: string;
}

/** ISO weekday ("1" = Monday … "7" = Sunday) → the day's intervals; a missing day is closed. */
export type WeeklySchedule = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', OfficeInterval[]>>;

/** How a two-way comune runs its inbox: office hours, what the platform answers, the on-duty contact. */
@Entity({ name: 'inbox_settings' })
export class InboxSettingsEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  /** IANA zone of the office hours; null: the comune's own timezone. */
  @Column('text', { nullable: true })
  timezone!: string | null;

  @Column('jsonb')
  weeklySchedule!: WeeklySchedule;

  /** Closed on Italian national holidays (Easter Monday included). */
  @Column('boolean')
  closedOnHolidays!: boolean;

  /** The patron saint's day, "MM-DD", closed every year; null: none. */
  @Column('text', { nullable: true })
  patronDay!: string | null;

  /** Other closing days, "YYYY-MM-DD". */
  @Column('text', { array: true })
  closedDates!: string[];

  /** The word that flags a message urgent at any hour (compared without case and accents). */
  @Column('text')
  emergencyKeyword!: string;

  /** The on-duty contact's WhatsApp number (E.164); null: no WhatsApp alert. */
  @Column('text', { nullable: true })
  onDutyPhone!: string | null;

  @Column('text', { nullable: true })
  onDutyEmail!: string | null;

  /** Approved template (one body parameter) for the on-duty alert when their window is closed. */
  @Column('text', { nullable: true })
  onDutyTemplateName!: string | null;

  /** Approved template (one body parameter) for notices to citizens whose window is closed. */
  @Column('text', { nullable: true })
  noticeTemplateName!: string | null;

  @Column('text')
  templateLanguage!: string;

  /** Offer the citizen the categories as an interactive list when a conversation opens. */
  @Column('boolean')
  offerCategories!: boolean;

  /** The offices a citizen may ask an appointment with; empty: appointments are not collected. */
  @Column('text', { array: true })
  appointmentOffices!: string[];

  /** The comune's own texts; null: the platform's (conversations/messages.it.ts). */
  @Column('text', { nullable: true })
  ackText!: string | null;

  @Column('text', { nullable: true })
  closedText!: string | null;

  @Column('text', { nullable: true })
  emergencyText!: string | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
