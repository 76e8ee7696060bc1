import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/** A comune's list (emergenze, pubblica utilità, ...): citizens choose it with its hashtag. */
@Entity({ name: 'subscriber_lists' })
export class SubscriberListEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  slug!: string;

  @Column('text')
  hashtag!: string;

  /** The hashtag folded as citizens may type it; unique per comune. */
  @Column('text')
  hashtagKey!: string;

  @Column('text')
  name!: string;

  @Column('text', { nullable: true })
  description!: string | null;

  /** Keyword sign-ups without a hashtag join the default lists. */
  @Column('boolean')
  isDefault!: boolean;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
