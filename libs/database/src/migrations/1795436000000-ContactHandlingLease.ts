import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who is handling a citizen's messages (to one number), and until when. Each message is handled
 * by its own job, and the worker runs several at once: an ATTIVA and a STOP sent a second apart
 * could be acted on together, or the STOP first, leaving the citizen subscribed against their
 * last word. A job now takes this lease and handles the contact's unhandled messages in the order
 * they were sent (KeywordService); a job that finds the lease taken leaves its message to the
 * holder, which looks again after giving the lease back. A holder that dies loses the lease when
 * it expires, and the sweep queues what it left (ADR 0007).
 */
export class ContactHandlingLease1795436000000 implements MigrationInterface {
  name = 'ContactHandlingLease1795436000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts ADD COLUMN handling_token uuid, ADD COLUMN handling_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contacts DROP COLUMN handling_token, DROP COLUMN handling_until`);
  }
}
