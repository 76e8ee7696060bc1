import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

export const KEYWORD_RULE_ACTIONS = ['subscribe', 'unsubscribe', 'accept_policy', 'help', 'status'] as const;
export type KeywordRuleAction = (typeof KEYWORD_RULE_ACTIONS)[number];

@Entity({ name: 'keyword_rules' })
export class KeywordRuleEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  action!: KeywordRuleAction;

  @Column('text', { array: true })
  phrases!: string[];

  @Column('uuid', { array: true })
  listIds!: string[];

  /** Overrides the comune's welcome / goodbye / help text for this rule. */
  @Column('text', { nullable: true })
  replyText!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
