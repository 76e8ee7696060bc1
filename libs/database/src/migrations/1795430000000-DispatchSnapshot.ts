import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaign dispatch, second pass (docs/adr/0009):
 * - `campaigns.snapshot_done_at`: a large audience is materialised in growing chunks so the first
 *   messages go while the rest is still being inserted; a campaign is complete only once its whole
 *   snapshot is in. `snapshot_plan` keeps how (start, pace, capacity split) for the later chunks.
 * - The provider-id index no longer holds the NULLs of every message not yet accepted: a 100,000
 *   recipient snapshot inserted 100,000 entries that no look-up ever used (a receipt carries an id).
 */
export class DispatchSnapshot1795430000000 implements MigrationInterface {
  name = 'DispatchSnapshot1795430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns ADD COLUMN snapshot_plan jsonb, ADD COLUMN snapshot_done_at timestamptz`);
    await q.query(`UPDATE campaigns SET snapshot_done_at = coalesce(started_at, updated_at) WHERE started_at IS NOT NULL`);
    await q.query(`DROP INDEX outbound_messages_provider_id_key`);
    await q.query(
      `CREATE UNIQUE INDEX outbound_messages_provider_id_key ON outbound_messages (tenant_id, provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbound_messages_provider_id_key`);
    await q.query(`CREATE UNIQUE INDEX outbound_messages_provider_id_key ON outbound_messages (tenant_id, provider_message_id)`);
    await q.query(`ALTER TABLE campaigns DROP COLUMN snapshot_plan, DROP COLUMN snapshot_done_at`);
  }
}
