import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';
import type { SubscriberField } from './subscription-settings.entity.js';

export const SUBSCRIBER_STATUSES = ['pending', 'active', 'unsubscribed', 'blocked'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];
export const SUBSCRIBER_SOURCES = ['keyword', 'web_form', 'import', 'editor'] as const;
export type SubscriberSource = (typeof SUBSCRIBER_SOURCES)[number];

/** A citizen subscribed to one comune (unique per comune and phone: Amaro and Cavazzo are independent). */
@Entity({ name: 'subscribers' })
export class SubscriberEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { nullable: true })
  phoneE164!: string | null;

  @Column('text', { nullable: true })
  waId!: string | null;

  @Column('text', { nullable: true })
  userId!: string | null;

  @Column('text', { nullable: true })
  firstName!: string | null;

  @Column('text', { nullable: true })
  lastName!: string | null;

  @Column('text', { nullable: true })
  frazione!: string | null;

  @Column('text', { array: true })
  tags!: string[];

  @Column('text')
  status!: SubscriberStatus;

  @Column('text')
  source!: SubscriberSource;

  /** The field the sign-up dialogue asked for last (null when not in a dialogue). */
  @Column('text', { nullable: true })
  awaitingField!: SubscriberField | 'policy' | null;

  /** Lists chosen while the sign-up is incomplete. */
  @Column('uuid', { array: true })
  pendingListIds!: string[];

  @Column('text', { nullable: true })
  policyVersionAccepted!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastInboundAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  unsubscribedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
