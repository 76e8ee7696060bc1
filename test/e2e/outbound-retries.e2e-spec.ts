import type { Client } from 'pg';
import { newId, type OutboundMessageId } from '#common';
import { OutboundService } from '#domain';
import { MAX_TRANSIENT_ATTEMPTS, TRANSIENT_RETRY_BUDGET_MS } from '#whatsapp';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import type { Comune } from '../support/factories.js';

/**
 * Transient failures (Meta's 5xx, codes 1, 2, 131000, the network) against the simulator over real
 * HTTP: an outage of a few minutes delays messages, it does not fail them. The test sends through
 * the worker's OutboundService itself, so each send is one call and what it left behind can be
 * read at once.
 */
describe('outbound retries of transient failures', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('ritenta');
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  /** A reply to `to` already tried `attempts` times, each answered by a transient error, due now. */
  async function retriedReply(to: string, attempts: number): Promise<OutboundMessageId> {
    const id = newId<OutboundMessageId>();
    await db.query(
      `INSERT INTO outbound_messages (tenant_id, id, number_id, recipient, recipient_kind, kind, category, status, content, attempts, error_code, error_action)
       VALUES ($1, $2, $3, $4, 'phone', 'editor_reply', 'service', 'queued', '{"type":"text","body":"Acqua di nuovo potabile"}', $5,
               CASE WHEN $5 > 0 THEN 131000 END, CASE WHEN $5 > 0 THEN 'retry' END)`,
      [amaro.tenant.id, id, amaro.number.id, to, attempts],
    );
    return id;
  }
  const row = async (id: string) =>
    (
      await db.query(
        `SELECT status, attempts, error_code, error_action, error_reason, next_attempt_at, provider_message_id FROM outbound_messages
          WHERE tenant_id = $1 AND id = $2`,
        [amaro.tenant.id, id],
      )
    ).rows[0] as {
      status: string;
      attempts: number;
      error_code: number | null;
      error_action: string | null;
      error_reason: string | null;
      next_attempt_at: Date | null;
      provider_message_id: string | null;
    };

  it('queues a message again after a fifth 5xx in a row, a few seconds to minutes later, and sends it once Meta is back', async () => {
    const outbound = ch.worker.get(OutboundService);
    // Four attempts took about 15-30 s: an outage of that length used to fail the message at the fifth.
    const to = '+393339876543';
    const id = await retriedReply(to, 4);
    await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, serverErrors: 1 });
    const before = Date.now();
    await outbound.dispatch(amaro.tenant.id, id);
    const retried = await row(id);
    expect(retried).toMatchObject({ status: 'queued', attempts: 5, error_code: 131000, error_action: 'retry', provider_message_id: null });
    // The fifth wait of the backoff: 16-32 s.
    const waitMs = retried.next_attempt_at!.getTime() - before;
    expect(waitMs).toBeGreaterThanOrEqual(15_000);
    expect(waitMs).toBeLessThanOrEqual(33_000);

    // Meta is back when it is due: it goes, once.
    await db.query(`UPDATE outbound_messages SET next_attempt_at = now() WHERE tenant_id = $1 AND id = $2`, [amaro.tenant.id, id]);
    await outbound.dispatch(amaro.tenant.id, id);
    expect(await row(id)).toMatchObject({
      attempts: 6,
      error_code: null,
      error_action: null,
      provider_message_id: expect.stringMatching(/^wamid\./),
    });
    expect(await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to })).toHaveLength(1);
  });

  it('fails a message still refused after the last of its transient attempts, half an hour on at least', async () => {
    expect(TRANSIENT_RETRY_BUDGET_MS).toBe(30 * 60_000);
    const to = '+393339876544';
    const id = await retriedReply(to, MAX_TRANSIENT_ATTEMPTS - 1);
    await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, serverErrors: 1, serverErrorCode: 131016 });
    await ch.worker.get(OutboundService).dispatch(amaro.tenant.id, id);
    expect(await row(id)).toMatchObject({
      status: 'failed',
      attempts: MAX_TRANSIENT_ATTEMPTS,
      error_code: 131016,
      error_action: 'retry',
      error_reason: expect.stringMatching(new RegExp(`^gave up after ${MAX_TRANSIENT_ATTEMPTS} attempts`)),
      next_attempt_at: null,
    });
    expect(await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to })).toHaveLength(0);
  });
});
