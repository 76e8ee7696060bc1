import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Meta's business portfolio: its messaging tier (reported on each of its numbers) caps the distinct
 * users all its numbers reach per 24 h; operators keep part of it in reserve for emergencies.
 */
@Entity({ name: 'business_portfolios' })
export class BusinessPortfolioEntity {
  /** Meta's id of the portfolio (whatsapp_numbers.business_portfolio_id). */
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('integer')
  emergencyReserve!: number;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;
}
