import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MessagingTier } from './enums.js';

/** Meta's business portfolio: its messaging tier caps the distinct users all its numbers reach per 24 h. */
@Entity({ name: 'business_portfolios' })
export class BusinessPortfolioEntity {
  /** Meta's id of the portfolio (whatsapp_numbers.business_portfolio_id). */
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('text')
  messagingTier!: MessagingTier;

  @Column('integer')
  emergencyReserve!: number;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
