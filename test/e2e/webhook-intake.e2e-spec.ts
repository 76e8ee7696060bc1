import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { signMetaPayload } from '#whatsapp';
import { ownerClient } from '../support/database.js';
import { bearer, createOperator, createProviderApp, uniq, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { envelope, fixture, inboundText, metaJson, postWebhook } from '../support/webhooks.js';

describe('WhatsApp webhook intake (signature, durable store, acknowledgement)', () => {
  let t: TestApp;
  let db: Client;
  let app: Awaited<ReturnType<typeof createProviderApp>>;
  let operator: Session;

  beforeAll(async () => {
    t = await createTestApp({ REDIS_KEY_PREFIX: `{araldo-test-intake-${uniq()}}` });
    db = await ownerClient(t.config);
    app = await createProviderApp(t);
    operator = await createOperator(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const storedWith = async (body: Buffer): Promise<{ status: string; body: Buffer }[]> =>
    (await db.query(`SELECT status, body FROM webhook_events WHERE body = $1`, [body])).rows as { status: string; body: Buffer }[];

  describe('GET verification handshake', () => {
    const verify = (appId: string, q: Record<string, string>) => t.http().get(`/webhooks/whatsapp/${appId}`).query(q);

    it('echoes hub.challenge as plain text for subscribe and the right verify token', async () => {
      const res = await verify(app.appId, { 'hub.mode': 'subscribe', 'hub.verify_token': app.plainVerifyToken, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe('1158201444');
    });

    it.each([
      ['a wrong verify token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token-000000', 'hub.challenge': '1' }],
      ['a token differing only in length', { 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': '1' }],
      ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': '__TOKEN__', 'hub.challenge': '1' }],
      ['no challenge', { 'hub.mode': 'subscribe', 'hub.verify_token': '__TOKEN__' }],
      ['no parameters', {}],
    ])('answers 403 for %s', async (_name, q: Record<string, string>) => {
      const query = Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v === '__TOKEN__' ? app.plainVerifyToken : v]));
      const res = await verify(app.appId, query);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('1158201444');
    });

    it('answers 403 for an app id nobody registered', async () => {
      const res = await verify(`nobody-${uniq()}`, { 'hub.mode': 'subscribe', 'hub.verify_token': app.plainVerifyToken, 'hub.challenge': '5' });
      expect(res.status).toBe(403);
    });
  });

  describe('POST', () => {
    it('stores a correctly signed body byte for byte, then answers 200', async () => {
      const body = fixture('01-inbound-text-attiva.json', `1${Date.now()}`);
      const res = await postWebhook(t, app.appId, body, app.plainSecret);
      expect(res.status).toBe(200);
      const rows = await storedWith(body);
      expect(rows).toHaveLength(1);
      expect(rows[0].status).toBe('pending');
      expect(createHash('sha256').update(rows[0].body).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    });

    it('verifies Meta’s escaped-unicode serialisation on the raw bytes (accents, emoji)', async () => {
      const body = metaJson(envelope('1', [inboundText(`2${Date.now()}`, '393331112222', `Buca in via Roma, è pericolosa 🚧 ${uniq()}`)]));
      expect(body.toString()).toContain('\\u00e8');
      const res = await postWebhook(t, app.appId, body, app.plainSecret);
      expect(res.status).toBe(200);
      expect(await storedWith(body)).toHaveLength(1);
    });

    it.each([
      ['a wrong secret', (b: Buffer) => signMetaPayload(b, 'not-the-app-secret-0000')],
      ['no signature header', () => undefined],
      ['a header without sha256=', (b: Buffer) => signMetaPayload(b, 'x').slice(7)],
      ['a truncated digest', (b: Buffer) => signMetaPayload(b, app.plainSecret).slice(0, 40)],
      ['the signature of other bytes', () => signMetaPayload(Buffer.from('{}'), app.plainSecret)],
    ])('answers 401 and stores nothing for %s', async (_name, sign: (b: Buffer) => string | undefined) => {
      const body = metaJson(envelope('1', [inboundText('3', '393331112222', `firma ${uniq()}`)]));
      const header = sign(body);
      const req = t.http().post(`/webhooks/whatsapp/${app.appId}`).set('content-type', 'application/json');
      if (header !== undefined) void req.set('x-hub-signature-256', header);
      const res = await req.send(body.toString('utf8'));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(await storedWith(body)).toHaveLength(0);
    });

    it('counts rejected signatures in the metrics', async () => {
      const body = metaJson(envelope('1', [inboundText('3', '393331112222', `metrica ${uniq()}`)]));
      await postWebhook(t, app.appId, body, 'wrong-secret-wrong-secret');
      const metrics = await t.http().get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/araldo_webhook_requests_total\{outcome="signature_invalid"\} [1-9]/);
      expect(metrics.text).not.toContain('393331112222');
    });

    it('accepts both the new and the previous secret during a rotation, and only the new one after it', async () => {
      const rotating = await createProviderApp(t);
      const newSecret = `rotated-secret-${uniq()}${uniq()}`;
      const patch = await t
        .http()
        .patch(`/api/v1/provider-apps/${rotating.id}`)
        .set(...bearer(operator))
        .send({ appSecret: newSecret });
      expect(patch.status).toBe(200);
      for (const secret of [newSecret, rotating.plainSecret]) {
        const body = metaJson(envelope('1', [inboundText('4', '393331112222', `rotazione ${uniq()}`)]));
        expect((await postWebhook(t, rotating.appId, body, secret)).status).toBe(200);
        expect(await storedWith(body)).toHaveLength(1);
      }
      const retire = await t
        .http()
        .patch(`/api/v1/provider-apps/${rotating.id}`)
        .set(...bearer(operator))
        .send({ retirePreviousSecret: true });
      expect(retire.status).toBe(200);
      // The retired secret stops working once the cached keys expire; a fresh app shows the rule at once.
      const fresh = await createProviderApp(t);
      const body = metaJson(envelope('1', [inboundText('4', '393331112222', `vecchio ${uniq()}`)]));
      expect((await postWebhook(t, fresh.appId, body, rotating.plainSecret)).status).toBe(401);
    });

    it('stores a signed body that is not JSON for inspection and answers 400', async () => {
      const body = Buffer.from(`{"object":"whatsapp_business_account","entry":[ ${uniq()}`);
      const res = await postWebhook(t, app.appId, body, app.plainSecret);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'WEBHOOK_MALFORMED' });
      const rows = await storedWith(body);
      expect(rows).toHaveLength(1);
      expect(rows[0].status).toBe('malformed');
    });

    it('stores signed bytes that are not even UTF-8 exactly as received, several in one batch', async () => {
      const fastify = t.app.getHttpAdapter().getInstance();
      const bodies = [0, 1, 2].map((i) => Buffer.concat([Buffer.from([0xff, 0x00, 0xfe, i]), Buffer.from(uniq())]));
      const answers = await Promise.all(
        bodies.map((body) =>
          fastify.inject({
            method: 'POST',
            url: `/webhooks/whatsapp/${app.appId}`,
            headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaPayload(body, app.plainSecret) },
            payload: body,
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual([400, 400, 400]);
      for (const body of bodies) {
        const rows = await storedWith(body);
        expect(rows).toHaveLength(1);
        expect(rows[0].status).toBe('malformed');
        expect(Buffer.compare(rows[0].body, body)).toBe(0);
      }
    });

    it('refuses bodies above 3 MB with 413 and stores nothing', async () => {
      const big = Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(3 * 1024 * 1024, 'a'), Buffer.from('"}')]);
      const res = await postWebhook(t, app.appId, big, app.plainSecret);
      expect(res.status).toBe(413);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM webhook_events WHERE length(body) > 3145728`);
      expect(rows[0]).toEqual({ n: 0 });
    });

    it('answers 404 for an app id nobody registered, storing nothing', async () => {
      const body = metaJson(envelope('1', [inboundText('5', '393331112222', `sconosciuto ${uniq()}`)]));
      const res = await postWebhook(t, `nobody-${uniq()}`, body, app.plainSecret);
      expect(res.status).toBe(404);
      expect(await storedWith(body)).toHaveLength(0);
    });

    it('never logs the body, the phone number or the signature', async () => {
      const marker = `segreto-${uniq()}`;
      const body = metaJson(envelope('1', [inboundText('6', '393339876543', marker)]));
      await postWebhook(t, app.appId, body, app.plainSecret);
      const logs = JSON.stringify(t.logs());
      expect(logs).not.toContain(marker);
      expect(logs).not.toContain('393339876543');
      expect(logs).not.toContain(signMetaPayload(body, app.plainSecret).slice(7));
    });
  });
});
