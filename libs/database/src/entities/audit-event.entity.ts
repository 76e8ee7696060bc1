import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantId } from '#common';

/**
 * What an operator or a comune's user changed, per comune. Partitioned by HASH(tenant_id), the
 * pattern every high-volume tenant table follows (docs/adr/0002).
 */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryColumn('uuid')
  tenantId!: TenantId;

  @PrimaryColumn('uuid')
  id!: string;

  @Column('timestamptz')
  occurredAt!: Date;

  @Column('uuid', { nullable: true })
  actorUserId!: string | null;

  @Column('text', { nullable: true })
  actorRole!: string | null;

  @Column('text')
  action!: string;

  @Column('text')
  targetType!: string;

  @Column('text', { nullable: true })
  targetId!: string | null;

  @Column('jsonb', { default: () => "'{}'::jsonb" })
  details!: Record<string, unknown>;
}
