import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each citizen's message was handled (its keyword acted on, its reply sent, or handed to the
 * inbox). The handle job is queued after the message is stored; should queueing fail, or Redis
 * lose the job, or the job use up its attempts, the message was kept but its STOP or ATTIVA never
 * acted on. The sweep now queues messages still unhandled after a while again. The messages
 * stored before this migration were handled (or given up on) under the old rules: they count as
 * handled when they arrived, so the sweep does not answer history.
 */
export class InboundHandled1795434000000 implements MigrationInterface {
  name = 'InboundHandled1795434000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbound_messages ADD COLUMN handled_at timestamptz`);
    await q.query(`UPDATE inbound_messages SET handled_at = received_at`);
    // Only the few messages waiting for their job: the sweep's look-up stays small.
    await q.query(`CREATE INDEX inbound_messages_unhandled_idx ON inbound_messages (received_at) WHERE handled_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inbound_messages_unhandled_idx`);
    await q.query(`ALTER TABLE inbound_messages DROP COLUMN handled_at`);
  }
}
