import type { Client } from 'pg';
import { newId, type OutboundMessageId } from '#common';
import { ContactEntity, OutboundMessageRepository, TenantDb } from '#database';
import { columnsOf } from '../../libs/database/src/repositories/sql.js';
import { ownerClient } from '../support/database.js';
import { createComune, createProviderApp, type Comune } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * The claim of a send batch reads only the columns sending needs (columnsOf / fieldsOf): what it
 * returns must be those fields, with the values and types the row has once claimed.
 */
describe('OutboundMessageRepository.claimBatch', () => {
  let t: TestApp;
  let db: Client;
  let amaro: Comune;
  let repo: OutboundMessageRepository;

  beforeAll(async () => {
    t = await createTestApp();
    db = await ownerClient(t.config);
    amaro = await createComune(t, 'amaro', await createProviderApp(t));
    repo = t.app.get(OutboundMessageRepository);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const tenantId = () => amaro.tenant.id;

  it('claims queued rows once, with the message, contact and profile fields sending reads', async () => {
    const lastInbound = new Date(Date.now() - 3_600_000);
    const held = new Date(Date.now() - 60_000);
    const contactId = newId();
    const subscriberId = newId();
    const campaignId = newId();
    const [campaignRow, replyRow] = [newId<OutboundMessageId>(), newId<OutboundMessageId>()];
    await db.query(
      `INSERT INTO contacts (tenant_id, id, number_id, wa_id, profile_name, last_inbound_at, held_until, undeliverable_count)
       VALUES ($1, $2, $3, '393331230001', 'Giulia', $4, $5, 1)`,
      [tenantId(), contactId, amaro.number.id, lastInbound, held],
    );
    await db.query(
      `INSERT INTO subscribers (tenant_id, id, phone_e164, first_name, last_name, frazione, status, source)
       VALUES ($1, $2, '+393331230001', 'Giulia', 'D’Agostino', 'Vinaio', 'active', 'keyword')`,
      [tenantId(), subscriberId],
    );
    await db.query(
      `INSERT INTO campaigns (tenant_id, id, title, body, number_id, status) VALUES ($1, $2, 'Chiusura strada ❄️', 'Strada chiusa', $3, 'sending')`,
      [tenantId(), campaignId, amaro.number.id],
    );
    await db.query(
      `INSERT INTO outbound_messages (tenant_id, id, number_id, contact_id, subscriber_id, campaign_id, recipient, recipient_kind, kind, priority, status, attempts, error_action)
       VALUES ($1, $2, $3, $4, $5, $6, '+393331230001', 'phone', 'campaign', 10, 'queued', 1, 'template'),
              ($1, $7, $3, $4, NULL, NULL, '+393331230001', 'phone', 'editor_reply', 0, 'queued', 0, NULL)`,
      [tenantId(), campaignRow, amaro.number.id, contactId, subscriberId, campaignId, replyRow],
    );
    await db.query(`UPDATE outbound_messages SET content = '{"type":"text","body":"Buongiorno è 🌧️"}' WHERE tenant_id = $1 AND id = $2`, [
      tenantId(),
      replyRow,
    ]);

    const claimed = await repo.claimBatch(tenantId(), [replyRow, campaignRow, replyRow], 2_000);
    expect(claimed.rows.map((r) => r.id).sort()).toEqual([campaignRow, replyRow].sort());
    const campaign = claimed.rows.find((r) => r.id === campaignRow)!;
    expect(campaign).toEqual({
      tenantId: tenantId(),
      id: campaignRow,
      numberId: amaro.number.id,
      contactId,
      recipient: '+393331230001',
      recipientKind: 'phone',
      kind: 'campaign',
      category: null,
      priority: 10,
      campaignId,
      subscriberId,
      replyToWamid: null,
      content: null,
      status: 'sending',
      errorAction: 'template',
      attempts: 2,
      nextAttemptAt: null,
    });
    expect(claimed.rows.find((r) => r.id === replyRow)!.content).toEqual({ type: 'text', body: 'Buongiorno è 🌧️' });
    expect(claimed.contacts.get(contactId as never)).toEqual({
      id: contactId,
      lastInboundAt: lastInbound,
      marketingOptedOutAt: null,
      heldUntil: held,
    });
    expect(claimed.profiles.get(subscriberId)).toMatchObject({
      firstName: 'Giulia',
      lastName: 'D’Agostino',
      frazione: 'Vinaio',
      policyVersionAccepted: null,
    });
    // The reply is no campaign's: no profile for it.
    expect(claimed.profiles.size).toBe(1);

    // Claimed once: a second claim (a duplicate job) finds nothing.
    expect((await repo.claimBatch(tenantId(), [campaignRow, replyRow], 2_000)).rows).toEqual([]);
    const { rows } = await db.query(`SELECT id, status, attempts FROM outbound_messages WHERE tenant_id = $1 AND id = ANY($2) ORDER BY attempts`, [
      tenantId(),
      [campaignRow, replyRow],
    ]);
    expect(rows).toEqual([
      { id: replyRow, status: 'sending', attempts: 1 },
      { id: campaignRow, status: 'sending', attempts: 2 },
    ]);
  });

  it("names the campaign messages whose recipient has left the campaign's audience since its snapshot", async () => {
    const listA = newId();
    const listB = newId();
    for (const [id, slug] of [
      [listA, 'meteo'],
      [listB, 'eventi'],
    ]) {
      await db.query(`INSERT INTO subscriber_lists (tenant_id, id, slug, hashtag, hashtag_key, name) VALUES ($1, $2, $3, $4, lower($4), $3)`, [
        tenantId(),
        id,
        `${slug}-${id.slice(0, 8)}`,
        `#${slug.toUpperCase()}${id.slice(0, 4)}`,
      ]);
    }
    // Who each recipient has become since the snapshot, and on which lists they still are.
    const people: Record<string, { status: string; erased?: boolean; lists: string[] }> = {
      stays: { status: 'active', lists: [listA] },
      stop: { status: 'unsubscribed', lists: [] },
      erased: { status: 'unsubscribed', erased: true, lists: [] },
      otherList: { status: 'active', lists: [listB] },
    };
    const everyone = newId();
    const onListA = newId();
    for (const [id, audience] of [
      [everyone, {}],
      [onListA, { listIds: [listA] }],
    ] as const) {
      await db.query(
        `INSERT INTO campaigns (tenant_id, id, title, body, number_id, status, audience) VALUES ($1, $2, 'Avviso', 'Testo', $3, 'sending', $4)`,
        [tenantId(), id, amaro.number.id, JSON.stringify(audience)],
      );
    }
    const rows = new Map<string, OutboundMessageId>();
    let n = 0;
    for (const [who, p] of Object.entries(people)) {
      const subscriberId = newId();
      const phone = `+3933312${String(40 + ++n).padStart(5, '0')}`;
      await db.query(
        `INSERT INTO subscribers (tenant_id, id, phone_e164, status, source, erased_at) VALUES ($1, $2, $3, $4, 'keyword', CASE WHEN $5 THEN now() END)`,
        [tenantId(), subscriberId, p.erased ? null : phone, p.status, p.erased === true],
      );
      for (const list of p.lists) {
        await db.query(`INSERT INTO subscriptions (tenant_id, subscriber_id, list_id, status) VALUES ($1, $2, $3, 'active')`, [
          tenantId(),
          subscriberId,
          list,
        ]);
      }
      for (const [campaign, key] of [
        [everyone, `${who}/everyone`],
        [onListA, `${who}/listA`],
      ]) {
        const id = newId<OutboundMessageId>();
        await db.query(
          `INSERT INTO outbound_messages (tenant_id, id, number_id, subscriber_id, campaign_id, recipient, recipient_kind, kind, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'phone', 'campaign', 'queued')`,
          [tenantId(), id, amaro.number.id, subscriberId, campaign, phone],
        );
        rows.set(key, id);
      }
    }
    const claimed = await repo.claimBatch(tenantId(), [...rows.values()], 2_000);
    expect(claimed.rows).toHaveLength(rows.size);
    const departed = [...rows].filter(([, id]) => claimed.departed.has(id)).map(([key]) => key);
    expect(departed.sort()).toEqual(['erased/everyone', 'erased/listA', 'otherList/listA', 'stop/everyone', 'stop/listA']);
  });

  it('columnsOf refuses a property that is not a column', async () => {
    await t.app.get(TenantDb).withoutTenant((m) => {
      expect(columnsOf(m, ContactEntity, 'c', ['id', 'heldUntil'], 'contact.')).toBe('c.id AS "contact.id", c.held_until AS "contact.heldUntil"');
      expect(() => columnsOf(m, ContactEntity, 'c', ['id', 'nope' as never])).toThrow('ContactEntity has no column nope');
      return Promise.resolve();
    });
  });
});
