import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One alert an operator sends to several comuni; each comune's share is an emergency campaign. */
@Entity({ name: 'consortium_alerts' })
export class ConsortiumAlertEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  title!: string;

  @Column('text')
  body!: string;

  @Column('text', { nullable: true })
  whatsappTemplateName!: string | null;

  @Column('text', { nullable: true })
  whatsappTemplateLanguage!: string | null;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
