import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

export const CONSENT_EVENT_TYPES = ['opt_in', 'opt_out', 'policy_accepted', 'profile_changed', 'erased'] as const;
export type ConsentEventType = (typeof CONSENT_EVENT_TYPES)[number];
export const CONSENT_CHANNELS = ['keyword', 'web_form', 'import', 'editor', 'whatsapp'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** One entry of the append-only consent ledger (the application role cannot update or delete it). */
@Entity({ name: 'consent_events' })
export class ConsentEventEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  subscriberId!: string;

  @Column('text')
  type!: ConsentEventType;

  @Column('uuid', { array: true })
  listIds!: string[];

  @Column('text', { nullable: true })
  policyVersion!: string | null;

  @Column('text')
  channel!: ConsentChannel;

  /** The inbound message id, or the form's time, IP and user agent, or who edited. */
  @Column('jsonb')
  evidence!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;
}
