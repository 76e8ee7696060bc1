import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { NumberId, TenantId } from '#common';

/**
 * Routes a webhook's `phone_number_id` to its comune. Kept apart from whatsapp_numbers so that
 * table's keys can all start with tenant_id while this one stays unique deployment-wide (on Citus
 * it becomes a reference table).
 */
@Entity({ name: 'phone_number_routes' })
export class PhoneNumberRouteEntity {
  @PrimaryColumn('text')
  phoneNumberId!: string;

  @Column('uuid')
  tenantId!: TenantId;

  @Column('uuid')
  numberId!: NumberId;
}
