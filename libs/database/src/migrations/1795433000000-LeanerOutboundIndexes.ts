import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer B-tree entries per outbound message (docs/adr/0009, twelfth pass). Every status change of a
 * message is a non-HOT update (status is indexed), so each one inserts a new entry into every
 * index whose predicate the new row meets: a campaign message written, claimed and accepted made 15
 * B-tree insertions, 7 of them into three indexes that no frequent query needs in that form; it now
 * makes 10.
 *
 * - `(tenant_id, created_at)` served only the daily content purge (`created_at < $2`). Rows are
 *   mostly appended in creation order, so a BRIN index on `created_at` narrows that query to the
 *   old block ranges, at the cost of a summary check per row instead of a B-tree insertion (and a
 *   few pages instead of megabytes).
 * - `(tenant_id, campaign_id, status)` held every message of every campaign, whatever its state,
 *   and got a new entry at each of its state changes. What needs the status by campaign is the
 *   completion check and the cancel (messages still pending) and the stats (all of them, which read
 *   the rows anyway for the acceptance times). The pending messages get a partial index; the stats
 *   read the campaign's rows (by the `(campaign_id, subscriber_id)` index, or a scan of the
 *   partition when the campaign is most of it).
 * - The queue index `(tenant_id, number_id, priority, created_at) WHERE status = 'queued'` held
 *   every campaign message too, all under one key per campaign (the same number, priority and
 *   creation time): the costliest index of the snapshot's INSERT. Workers claim campaign messages
 *   by the ids their jobs carry; the sweeps that look for queued messages find a campaign's through
 *   the sending campaigns and the pending index. The queue index keeps the one-off messages.
 */
export class LeanerOutboundIndexes1795433000000 implements MigrationInterface {
  name = 'LeanerOutboundIndexes1795433000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbound_messages_created_idx`);
    await q.query(`CREATE INDEX outbound_messages_created_brin ON outbound_messages USING brin (created_at)`);
    await q.query(`DROP INDEX outbound_messages_campaign_status_idx`);
    await q.query(
      `CREATE INDEX outbound_messages_campaign_pending_idx ON outbound_messages (tenant_id, campaign_id)
        WHERE campaign_id IS NOT NULL AND status IN ('queued', 'sending', 'unknown')`,
    );
    await q.query(`DROP INDEX outbound_messages_queue_idx`);
    await q.query(
      `CREATE INDEX outbound_messages_queue_idx ON outbound_messages (tenant_id, number_id, priority DESC, created_at)
        WHERE status = 'queued' AND campaign_id IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbound_messages_queue_idx`);
    await q.query(
      `CREATE INDEX outbound_messages_queue_idx ON outbound_messages (tenant_id, number_id, priority DESC, created_at) WHERE status = 'queued'`,
    );
    await q.query(`DROP INDEX outbound_messages_campaign_pending_idx`);
    await q.query(
      `CREATE INDEX outbound_messages_campaign_status_idx ON outbound_messages (tenant_id, campaign_id, status) WHERE campaign_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX outbound_messages_created_brin`);
    await q.query(`CREATE INDEX outbound_messages_created_idx ON outbound_messages (tenant_id, created_at)`);
  }
}
