import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Agent, FormData, request } from 'undici';
import { createSimulatorApp } from '../../apps/simulator/src/simulator.factory.js';
import { SimulatorClient, SimulatorClientError } from '../../apps/simulator/src/simulator-client.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * The simulator over real HTTP, as the Cloud API adapter and the platform's webhook intake see it:
 * Meta's paths, bodies and error shapes, and signed webhooks to a local receiver.
 */

const PNID = '109988776655443';
const WABA = '104857600112233';
const TOKEN = 'EAAG-villetta-token';
const SECRET = 'villetta-app-secret';
const CITIZEN = '393331234567';
const WAMID = /^wamid\.[A-Za-z0-9+/=]+$/;

/** The union of the Graph API bodies the tests read (every field optional in practice). */
interface GraphBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data: { messaging_product: string; details: string };
    fbtrace_id: string;
  };
  messaging_product: string;
  contacts: { input: string; wa_id?: string; user_id?: string }[];
  messages: { id: string; message_status?: string }[];
  success: boolean;
  id: string;
  url: string;
  sha256: string;
  mime_type: string;
  file_size: number;
  data: { id: string; name: string; language: string; status: string; category: string; components: unknown[] }[];
  paging: { cursors: { before: string; after: string }; next?: string };
}

interface GraphResponse {
  status: number;
  body: GraphBody;
}

describe('WhatsApp Cloud API simulator', () => {
  let app: NestFastifyApplication;
  let base: string;
  let sim: SimulatorClient;
  const receiver = new WebhookReceiver(SECRET);

  async function graph(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, token: string | null = TOKEN): Promise<GraphResponse> {
    const res = await request(`${base}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as GraphBody };
  }

  const send = (body: Record<string, unknown>, token: string | null = TOKEN, pnid = PNID): Promise<GraphResponse> =>
    graph('POST', `/v25.0/${pnid}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', ...body }, token);

  const text = (to: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    to,
    type: 'text',
    text: { body: 'Buongiorno' },
    ...extra,
  });

  const openWindow = (from = CITIZEN) => sim.sendInbound({ phoneNumberId: PNID, from, message: { type: 'text', text: 'ATTIVA' } });

  beforeAll(async () => {
    await receiver.start();
    app = await createSimulatorApp({ statusDelayMs: 5, webhookRetryDelaysMs: [30, 60], logLevel: process.env.SIM_LOG ?? 'silent' });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    sim = new SimulatorClient(base);
  });

  afterAll(async () => {
    await app.close();
    await receiver.stop();
  });

  beforeEach(async () => {
    await sim.reset();
    // A webhook of the previous test may have been on the wire when the reset came.
    await new Promise((resolve) => setTimeout(resolve, 20));
    receiver.clear();
    await sim.registerNumber({
      phoneNumberId: PNID,
      wabaId: WABA,
      displayPhoneNumber: '+39 333 999 0001',
      accessToken: TOKEN,
      appSecret: SECRET,
      webhookUrl: receiver.url,
    });
  });

  describe('authentication', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'not-the-token'],
    ])('answers %s with 401 and error 190, as Meta does', async (_case, token) => {
      const res = await send(text(CITIZEN), token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: {
          message: 'Invalid OAuth access token - Cannot parse access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: expect.any(String),
        },
      });
    });

    it('answers an unknown phone number id with error 100 when the token is valid', async () => {
      const res = await send(text(CITIZEN), TOKEN, '999999999999999');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(res.body.error.message).toContain("Unsupported post request. Object with ID '999999999999999' does not exist");
    });

    it('refuses a path without a Graph version', async () => {
      const res = await graph('POST', `/latest/${PNID}/messages`, { messaging_product: 'whatsapp', ...text(CITIZEN) });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(2500);
    });

    it('lists numbers without their tokens or app secrets', async () => {
      const numbers = await sim.listNumbers();
      expect(numbers).toEqual([{ phoneNumberId: PNID, wabaId: WABA, displayPhoneNumber: '+39 333 999 0001', webhookUrl: receiver.url, mps: 80 }]);
      expect(JSON.stringify(numbers)).not.toMatch(new RegExp(`${TOKEN}|${SECRET}`));
    });
  });

  describe('validation', () => {
    const buttons = (n: number, title = (i: number) => `Scelta ${i}`, id = (i: number) => `ID:${i}`) => ({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Confermi?' },
        action: { buttons: Array.from({ length: n }, (_, i) => ({ type: 'reply', reply: { id: id(i), title: title(i) } })) },
      },
    });
    const list = (rows: number, title = 'Emergenze') => ({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Scegli i canali' },
        action: { button: 'Canali', sections: [{ title: 'Disponibili', rows: Array.from({ length: rows }, (_, i) => ({ id: `CH:${i}`, title })) }] },
      },
    });

    it.each<[string, Record<string, unknown>, number, RegExp]>([
      ['a missing messaging_product', { messaging_product: undefined, ...text(CITIZEN) }, 100, /messaging_product is required/],
      ['a wrong messaging_product', { messaging_product: 'sms', ...text(CITIZEN) }, 100, /messaging_product must be one of/],
      ['a missing recipient', { type: 'text', text: { body: 'x' } }, 100, /parameter to is required/],
      ['an unknown type', { to: CITIZEN, type: 'poll', poll: {} }, 100, /Param type must be one of/],
      ['an empty text', { to: CITIZEN, type: 'text', text: { body: '' } }, 100, /text\['body'\] must be at least 1/],
      ['a text over 4096 characters', { to: CITIZEN, type: 'text', text: { body: 'a'.repeat(4097) } }, 100, /text\['body'\] must be at most 4096/],
      [
        'media with both id and link',
        { to: CITIZEN, type: 'image', image: { id: '1', link: 'https://x.it/a.jpg' } },
        131009,
        /Exactly one of image\['id'\] and image\['link'\]/,
      ],
      ['media with neither id nor link', { to: CITIZEN, type: 'document', document: { caption: 'x' } }, 131009, /Exactly one of/],
      ['four reply buttons', { to: CITIZEN, ...buttons(4) }, 131009, /Number of buttons must be between 1 and 3/],
      ['a button title over 20 characters', { to: CITIZEN, ...buttons(2, () => 'x'.repeat(21)) }, 100, /\['reply'\]\['title'\] must be at most 20/],
      [
        'duplicate button ids',
        {
          to: CITIZEN,
          ...buttons(
            2,
            (i) => `T${i}`,
            () => 'SAME',
          ),
        },
        131009,
        /Button ids must be unique/,
      ],
      ['eleven list rows', { to: CITIZEN, ...list(11) }, 131009, /Total row count must be between 1 and 10/],
      ['a row title over 24 characters', { to: CITIZEN, ...list(2, 'y'.repeat(25)) }, 100, /\['rows'\]\[0\]\['title'\] must be at most 24/],
      [
        'biz_opaque_callback_data over 512 characters',
        { ...text(CITIZEN), biz_opaque_callback_data: 'z'.repeat(513) },
        100,
        /biz_opaque_callback_data must be at most 512/,
      ],
    ])('refuses %s with error %s', async (_case, body, code, message) => {
      const res = await graph('POST', `/v25.0/${PNID}/messages`, { messaging_product: 'whatsapp', ...body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: {
          message: expect.stringMatching(new RegExp(`^\\(#${code}\\) `)),
          type: 'OAuthException',
          code,
          error_data: { messaging_product: 'whatsapp', details: expect.stringMatching(message) },
          fbtrace_id: expect.any(String),
        },
      });
      expect(await sim.listMessages()).toEqual([]);
    });

    it('answers malformed JSON in Meta’s shape', async () => {
      const res = await request(`${base}/v25.0/${PNID}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{"messaging_product":',
      });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as { error: { code: number } }).error.code).toBe(100);
    });
  });

  describe('accepted messages', () => {
    it('answers exactly like Meta and records the message as received', async () => {
      await openWindow();
      const body = { messaging_product: 'whatsapp', to: `+${CITIZEN}`, type: 'text', text: { body: 'Grazie!' }, biz_opaque_callback_data: 'out=1' };
      const res = await graph('POST', `/v25.0/${PNID}/messages`, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        messaging_product: 'whatsapp',
        contacts: [{ input: `+${CITIZEN}`, wa_id: CITIZEN }],
        messages: [{ id: expect.stringMatching(WAMID) }],
      });
      const [message] = await sim.listMessages({ phoneNumberId: PNID, to: CITIZEN });
      expect(message).toMatchObject({
        wamid: res.body.messages[0].id,
        to: `+${CITIZEN}`,
        waId: CITIZEN,
        type: 'text',
        body,
        bizOpaqueCallbackData: 'out=1',
      });
      expect(Date.parse(message.acceptedAt)).not.toBeNaN();
    });

    it('gives every message its own wamid', async () => {
      await openWindow();
      const ids = await Promise.all(Array.from({ length: 20 }, () => send(text(CITIZEN)).then((r) => r.body.messages[0].id)));
      expect(new Set(ids).size).toBe(20);
    });

    it('marks a citizen’s message as read', async () => {
      const { wamid } = await openWindow();
      const res = await send({ status: 'read', message_id: wamid, to: undefined });
      expect(res).toEqual({ status: 200, body: { success: true } });
      const conversation = await sim.getConversation(PNID, CITIZEN);
      expect(conversation.messages[0]).toMatchObject({ direction: 'inbound', wamid, readAt: expect.any(String) });
    });

    it('accepts a business-scoped user id as recipient', async () => {
      await sim.sendInbound({ phoneNumberId: PNID, from: CITIZEN, userId: 'IT.1234567890', message: { type: 'text', text: 'ciao' } });
      const res = await send({ recipient: 'IT.1234567890', type: 'text', text: { body: 'ciao' } });
      expect(res.body.contacts).toEqual([{ input: 'IT.1234567890', user_id: 'IT.1234567890' }]);
      await receiver.waitUntil(() => receiver.statuses(res.body.messages[0].id).length === 3);
      expect(receiver.statuses(res.body.messages[0].id)[0].recipient_id).toBe(CITIZEN);
    });
  });

  describe('limits', () => {
    /** The test number again, at `mps` messages per second. */
    const registerAtMps = (mps: number) =>
      sim.registerNumber({
        phoneNumberId: PNID,
        wabaId: WABA,
        displayPhoneNumber: '393339990001',
        accessToken: TOKEN,
        appSecret: SECRET,
        webhookUrl: receiver.url,
        mps,
      });

    it('enforces the number’s messages per second with 130429', async () => {
      await registerAtMps(5);
      const results = await Promise.all(Array.from({ length: 7 }, (_, i) => send(text(`39333000000${i}`))));
      expect(results.filter((r) => r.status === 200)).toHaveLength(5);
      const refused = results.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(2);
      expect(refused[0].body.error).toMatchObject({
        code: 130429,
        message: '(#130429) Rate limit hit',
        error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
      });
      await new Promise((resolve) => setTimeout(resolve, 1_050));
      expect((await send(text('393330000009'))).status).toBe(200);
    });

    it('counts the citizens’ messages to the number in its messages per second, as Meta does', async () => {
      await registerAtMps(5);
      // Three citizens write: never refused, but they take three of the second's five.
      for (let i = 0; i < 3; i += 1) expect((await openWindow(`39333111000${i}`)).webhookStatus).toBe(200);
      const results = await Promise.all(Array.from({ length: 3 }, (_, i) => send(text(`39333000000${i}`))));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 400]);
      expect(results.find((r) => r.status === 400)?.body.error).toMatchObject({ code: 130429 });
    });

    it('enforces the pair rate limit with 131056 after a burst of 45 to one citizen', async () => {
      await openWindow();
      for (let i = 0; i < 45; i += 1) expect((await send(text(CITIZEN))).status).toBe(200);
      const res = await send(text(CITIZEN));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 131056, message: '(#131056) (Business Account, Consumer Account) pair rate limit hit' });
      expect((await send(text('393339876543'))).status).toBe(200);
    });
  });

  describe('the 24-hour window', () => {
    it('accepts free-form outside the window, then fails it with 131047 and nothing else', async () => {
      const res = await send(text(CITIZEN, { biz_opaque_callback_data: 'report=42' }));
      expect(res.status).toBe(200);
      const wamid = res.body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(receiver.statuses(wamid)).toEqual([
        {
          id: wamid,
          status: 'failed',
          timestamp: expect.stringMatching(/^\d{10}$/),
          recipient_id: CITIZEN,
          biz_opaque_callback_data: 'report=42',
          errors: [
            {
              code: 131047,
              title: 'Re-engagement message',
              message: 'Re-engagement message',
              error_data: {
                details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
              },
              href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
            },
          ],
        },
      ]);
      expect((await sim.listMessages())[0]).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
    });

    it('closes once the citizen’s last message is more than 24 hours old', async () => {
      await openWindow();
      await sim.setWindow({ phoneNumberId: PNID, waId: CITIZEN, lastInboundAt: new Date(Date.now() - 25 * 3_600_000).toISOString() });
      const wamid = (await send(text(CITIZEN))).body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length === 1);
      expect(receiver.statuses(wamid)[0]).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
    });
  });

  describe('templates', () => {
    const template = (name: string, language: string, parameters: Record<string, unknown>[]) => ({
      to: CITIZEN,
      type: 'template',
      template: { name, language: { code: language }, components: [{ type: 'body', parameters }] },
    });

    beforeEach(async () => {
      await sim.createTemplate({
        wabaId: WABA,
        name: 'allerta_meteo',
        language: 'it',
        category: 'utility',
        status: 'APPROVED',
        body: 'Allerta {{1}} dalle {{2}}.',
      });
      await sim.createTemplate({
        wabaId: WABA,
        name: 'evento',
        language: 'it',
        category: 'MARKETING',
        status: 'APPROVED',
        body: 'Evento: {{titolo}}',
      });
      await sim.createTemplate({ wabaId: WABA, name: 'in_revisione', language: 'it', category: 'UTILITY', status: 'PENDING', body: 'Testo' });
      await sim.createTemplate({ wabaId: '999000111222333', name: 'altrui', language: 'it', body: 'Altro comune' });
    });

    const two = [
      { type: 'text', text: 'ARANCIONE' },
      { type: 'text', text: '14:00' },
    ];

    it.each([
      ['an unknown template', template('non_esiste', 'it', two)],
      ['a template in another language', template('allerta_meteo', 'en_US', two)],
      ['a template that is not approved', template('in_revisione', 'it', [])],
      ['another WABA’s template', template('altrui', 'it', [])],
    ])('refuses %s with 132001', async (_case, body) => {
      const res = await send(body);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 132001, message: '(#132001) Template name does not exist in the translation' });
      expect(res.body.error.error_data.details).toMatch(/^template name \(\w+\) does not exist in \w+$/);
    });

    it('refuses a body parameter count that does not match with 132000', async () => {
      const res = await send(template('allerta_meteo', 'it', [{ type: 'text', text: 'ARANCIONE' }]));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 132000,
        error_data: { details: 'body: number of localizable_params (1) does not match the expected number of params (2)' },
      });
    });

    it('accepts an approved template outside the window, with message_status accepted and utility pricing', async () => {
      const res = await send({ ...template('allerta_meteo', 'it', two), biz_opaque_callback_data: 'bc=1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        messaging_product: 'whatsapp',
        contacts: [{ input: CITIZEN, wa_id: CITIZEN }],
        messages: [{ id: expect.stringMatching(WAMID), message_status: 'accepted' }],
      });
      const wamid = res.body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length === 3);
      expect(receiver.statuses(wamid)[0].pricing).toEqual({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' });
    });

    it('accepts named parameters and fails marketing to an opted-out citizen with 131050', async () => {
      await sim.setFaults({ phoneNumberId: PNID, marketingOptOut: [`+${CITIZEN}`] });
      const res = await send(template('evento', 'it', [{ type: 'text', parameter_name: 'titolo', text: 'Sagra' }]));
      expect(res.status).toBe(200);
      const wamid = res.body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length === 1);
      expect(receiver.statuses(wamid)[0]).toMatchObject({ status: 'failed', errors: [{ code: 131050 }] });
    });

    it('lists a WABA’s templates with cursor paging to any of its numbers', async () => {
      await sim.createTemplate({ wabaId: WABA, name: 'terzo', language: 'it', body: 'Ciao {{1}}', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] });
      const first = await graph('GET', `/v25.0/${WABA}/message_templates?limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.data[0]).toEqual({
        id: expect.stringMatching(/^\d+$/),
        name: 'allerta_meteo',
        language: 'it',
        status: 'APPROVED',
        category: 'UTILITY',
        parameter_format: 'POSITIONAL',
        components: [{ type: 'BODY', text: 'Allerta {{1}} dalle {{2}}.' }],
      });
      expect(first.body.paging.next).toContain(`/v25.0/${WABA}/message_templates`);
      const second = await graph('GET', `/v25.0/${WABA}/message_templates?limit=2&after=${encodeURIComponent(first.body.paging.cursors.after)}`);
      expect(second.body.data.map((t) => t.name)).toEqual(['in_revisione', 'terzo']);
      expect(second.body.paging.next).toBeUndefined();
      expect((await graph('GET', `/v25.0/999000111222333/message_templates`)).body.error.code).toBe(100);
      expect((await graph('GET', `/v25.0/${WABA}/message_templates`, undefined, 'nope')).status).toBe(401);
    });

    it('changes a template’s status through the control API', async () => {
      const [pending] = (await sim.listTemplates(WABA)).filter((t) => t.name === 'in_revisione');
      await sim.setTemplateStatus(pending.id, 'APPROVED');
      expect((await send(template('in_revisione', 'it', []))).status).toBe(200);
    });
  });

  describe('status webhooks', () => {
    async function sendAndCollect(count: number, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await send(text(CITIZEN, { biz_opaque_callback_data: 'tenant=villetta;msg=7', ...extra }));
      expect(res.status).toBe(200);
      const wamid = res.body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length >= count);
      await new Promise((resolve) => setTimeout(resolve, 40));
      return wamid;
    }

    it('posts sent, delivered and read, signed, echoing the correlation data, priced on sent and delivered', async () => {
      await openWindow();
      receiver.clear();
      const wamid = await sendAndCollect(3);
      expect(receiver.received).toHaveLength(3);
      for (const webhook of receiver.received) {
        expect(webhook.validSignature).toBe(true);
        expect(webhook.contentType).toBe('application/json');
        expect(webhook.json.object).toBe('whatsapp_business_account');
        expect(webhook.json.entry[0].id).toBe(WABA);
        expect(webhook.json.entry[0].changes[0].field).toBe('messages');
        expect(webhook.json.entry[0].changes[0].value.metadata).toEqual({ display_phone_number: '393339990001', phone_number_id: PNID });
      }
      const statuses = receiver.statuses(wamid);
      expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
      expect(statuses.every((s) => s.biz_opaque_callback_data === 'tenant=villetta;msg=7' && s.recipient_id === CITIZEN)).toBe(true);
      const free = { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
      expect(statuses.map((s) => s.pricing)).toEqual([free, free, undefined]);
      expect((await sim.listMessages())[0]).toMatchObject({
        status: 'read',
        statuses: [{ status: 'sent' }, { status: 'delivered' }, { status: 'read' }],
      });
    });

    it('sends each status twice when duplicate is set', async () => {
      await openWindow();
      await sim.setStatusBehaviour({ phoneNumberId: PNID, duplicate: true });
      const wamid = await sendAndCollect(6);
      expect(receiver.statuses(wamid).map((s) => s.status)).toEqual(['sent', 'sent', 'delivered', 'delivered', 'read', 'read']);
    });

    it('sends statuses in reverse order when reorder is set, with lifecycle timestamps', async () => {
      await openWindow();
      await sim.setStatusBehaviour({ phoneNumberId: PNID, reorder: 'reverse', delayMs: 500 });
      const wamid = await sendAndCollect(3);
      const statuses = receiver.statuses(wamid);
      expect(statuses.map((s) => s.status)).toEqual(['read', 'delivered', 'sent']);
      expect(Number(statuses[0].timestamp)).toBeGreaterThanOrEqual(Number(statuses[2].timestamp));
    });

    it('stops at the configured status', async () => {
      await openWindow();
      await sim.setStatusBehaviour({ phoneNumberId: PNID, stopAt: 'delivered' });
      const wamid = await sendAndCollect(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(receiver.statuses(wamid).map((s) => s.status)).toEqual(['sent', 'delivered']);
    });

    it('posts no status for a message left at accepted, and still the failure of an undeliverable one', async () => {
      await openWindow();
      receiver.clear();
      await sim.setStatusBehaviour({ phoneNumberId: PNID, stopAt: 'accepted' });
      const ok = await send(text(CITIZEN));
      expect(ok.status).toBe(200);
      await sim.setFaults({ phoneNumberId: PNID, undeliverable: [CITIZEN] });
      const failed = await send(text(CITIZEN));
      const failedId = failed.body.messages[0].id;
      // The failure is posted one delay after its send: the accepted message's statuses, had any
      // been planned, would have come by then.
      await receiver.waitUntil(() => receiver.statuses(failedId).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(receiver.statuses(ok.body.messages[0].id)).toEqual([]);
      expect(receiver.statuses(failedId)[0]).toMatchObject({ status: 'failed', errors: [{ code: 131026 }] });
      expect((await sim.listMessages()).find((m) => m.wamid === ok.body.messages[0].id)).toMatchObject({ status: 'accepted', statuses: [] });
    });

    it('retries a failed delivery with backoff and records every attempt', async () => {
      await openWindow();
      receiver.clear();
      receiver.answers.push(500, 503);
      await sim.setStatusBehaviour({ phoneNumberId: PNID, stopAt: 'sent' });
      const wamid = await sendAndCollect(3);
      const attempts = await sim.waitFor(async () => {
        const list = await sim.listWebhookDeliveries({ wamid });
        return list.length === 3 && list;
      });
      expect(attempts.map((a) => [a.attempt, a.httpStatus])).toEqual([
        [1, 500],
        [2, 503],
        [3, 200],
      ]);
      expect(new Set(attempts.map((a) => a.deliveryId)).size).toBe(1);
    });
  });

  describe('media', () => {
    const bytes = Buffer.from('%PDF-1.4 ordinanza di chiusura della strada');

    async function upload(token = TOKEN): Promise<GraphResponse> {
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('type', 'application/pdf');
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'ordinanza.pdf');
      const res = await request(`${base}/v25.0/${PNID}/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      return { status: res.statusCode, body: (await res.body.json()) as GraphBody };
    }

    it('uploads, describes, downloads with the token only, and deletes media', async () => {
      const uploaded = await upload();
      expect(uploaded).toEqual({ status: 200, body: { id: expect.stringMatching(/^\d{16}$/) } });
      const id = uploaded.body.id;

      const info = await graph('GET', `/v25.0/${id}?phone_number_id=${PNID}`);
      expect(info.body).toEqual({
        messaging_product: 'whatsapp',
        url: expect.stringMatching(new RegExp(`^${base}/media-download/${id}\\?token=[\\w-]+$`)),
        mime_type: 'application/pdf',
        sha256: createHash('sha256').update(bytes).digest('base64'),
        file_size: bytes.length,
        id,
      });

      const withToken = await request(info.body.url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(withToken.statusCode).toBe(200);
      expect(withToken.headers['content-type']).toBe('application/pdf');
      expect(Buffer.from(await withToken.body.arrayBuffer())).toEqual(bytes);
      const withoutToken = await request(info.body.url);
      expect(withoutToken.statusCode).toBe(401);
      await withoutToken.body.dump();

      expect(await graph('DELETE', `/v25.0/${id}`)).toEqual({ status: 200, body: { success: true } });
      expect((await graph('GET', `/v25.0/${id}`)).body.error).toMatchObject({ code: 100, error_subcode: 33 });
    });

    it('refuses uploads with a wrong token or an unsupported type', async () => {
      expect((await upload('wrong')).body.error.code).toBe(190);
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('file', new Blob([Buffer.from('MZ')], { type: 'application/x-msdownload' }), 'virus.exe');
      const res = await request(`${base}/v25.0/${PNID}/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as { error: { code: number } }).error.code).toBe(131053);
    });

    it('sends an uploaded image by id and refuses an unknown media id', async () => {
      await openWindow();
      const id = (await upload()).body.id;
      expect((await send({ to: CITIZEN, type: 'document', document: { id, filename: 'ordinanza.pdf' } })).status).toBe(200);
      expect((await send({ to: CITIZEN, type: 'image', image: { id: '1480273645019283' } })).body.error.code).toBe(131009);
    });

    it('records each upload for the control API, and forgets an expired id so sends with it fail', async () => {
      await openWindow();
      const id = (await upload()).body.id;
      expect(await sim.listMediaUploads(PNID)).toEqual([
        {
          id,
          phoneNumberId: PNID,
          mimeType: 'application/pdf',
          sha256: createHash('sha256').update(bytes).digest('base64'),
          fileSize: bytes.length,
          filename: 'ordinanza.pdf',
          uploadedAt: expect.any(String),
          available: true,
        },
      ]);
      expect(await sim.listMediaUploads('100000000000999')).toEqual([]);
      await sim.expireMedia(id);
      expect((await sim.listMediaUploads(PNID))[0].available).toBe(false);
      const refused = await send({ to: CITIZEN, type: 'document', document: { id } });
      expect(refused.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining(id) } });
    });

    it('fails an upload whose content is not the declared type, or on the mediaUploadErrors fault, with 131053', async () => {
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('file', new Blob([Buffer.from('GIF89a')], { type: 'image/png' }), 'finto.png');
      const mismatch = await request(`${base}/v25.0/${PNID}/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
      expect(((await mismatch.body.json()) as GraphBody).error).toMatchObject({ code: 131053, message: '(#131053) Media upload error' });

      await sim.setFaults({ phoneNumberId: PNID, mediaUploadErrors: 1 });
      expect((await upload()).body.error.code).toBe(131053);
      expect((await upload()).status).toBe(200);
      expect(await sim.listMediaUploads(PNID)).toHaveLength(1);
    });

    it('checks a template’s media header: filled with an uploaded file of its format, or 132012 / 132000', async () => {
      await sim.createTemplate({
        wabaId: WABA,
        name: 'ordinanza',
        language: 'it',
        body: 'Nuova ordinanza del Comune.',
        header: { format: 'DOCUMENT' },
      });
      const id = (await upload()).body.id;
      const template = (header?: Record<string, unknown>) => ({
        to: CITIZEN,
        type: 'template',
        template: {
          name: 'ordinanza',
          language: { code: 'it' },
          ...(header ? { components: [{ type: 'header', parameters: [header] }] } : {}),
        },
      });
      expect((await send(template({ type: 'document', document: { id, filename: 'ordinanza.pdf' } }))).status).toBe(200);
      expect((await send(template())).body.error).toMatchObject({
        code: 132012,
        error_data: { details: 'header: Format mismatch, expected DOCUMENT, received UNKNOWN' },
      });
      expect((await send(template({ type: 'image', image: { id } }))).body.error.code).toBe(132012);
      expect((await send(template({ type: 'document', document: { id: '1480273645019283' } }))).body.error.code).toBe(131009);
      await sim.createTemplate({ wabaId: WABA, name: 'senza_intestazione', language: 'it', body: 'Avviso.' });
      const extra = await send({
        ...template({ type: 'document', document: { id } }),
        template: {
          name: 'senza_intestazione',
          language: { code: 'it' },
          components: [{ type: 'header', parameters: [{ type: 'document', document: { id } }] }],
        },
      });
      expect(extra.body.error.code).toBe(132000);
    });
  });

  describe('faults', () => {
    it('answers the next sends with 500 / 131000, or 503 / 131016, then recovers', async () => {
      await sim.setFaults({ phoneNumberId: PNID, serverErrors: 2 });
      const first = await send(text(CITIZEN));
      expect(first.status).toBe(500);
      expect(first.body.error).toMatchObject({ code: 131000, message: '(#131000) Something went wrong' });
      expect((await send(text(CITIZEN))).status).toBe(500);
      expect((await send(text(CITIZEN))).status).toBe(200);
      await sim.setFaults({ phoneNumberId: PNID, serverErrors: 1, serverErrorCode: 131016 });
      const unavailable = await send(text(CITIZEN));
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.error.code).toBe(131016);
      expect(await sim.listMessages()).toHaveLength(1);
    });

    it('answers every call with an expired-session 190 while expiredToken is set', async () => {
      await sim.setFaults({ phoneNumberId: PNID, expiredToken: true });
      const res = await send(text(CITIZEN));
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
      expect(res.body.error.message).toMatch(/^Error validating access token: Session has expired on .+\. The current time is .+\.$/);
      await sim.clearFaults(PNID);
      expect((await send(text(CITIZEN))).status).toBe(200);
    });

    it('accepts messages to undeliverable recipients, then fails them with 131026', async () => {
      await openWindow();
      await sim.setFaults({ phoneNumberId: PNID, undeliverable: [CITIZEN] });
      const res = await send(text(CITIZEN));
      expect(res.status).toBe(200);
      const wamid = res.body.messages[0].id;
      await receiver.waitUntil(() => receiver.statuses(wamid).length === 1);
      expect(receiver.statuses(wamid)[0]).toMatchObject({ status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] });
    });

    it('accepts the message but holds the answer past the client’s timeout (acceptThenTimeout)', async () => {
      await openWindow();
      await sim.setFaults({ phoneNumberId: PNID, acceptThenTimeout: 1 });
      const agent = new Agent({ headersTimeout: 300 });
      try {
        await expect(
          request(`${base}/v25.0/${PNID}/messages`, {
            method: 'POST',
            dispatcher: agent,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ messaging_product: 'whatsapp', ...text(CITIZEN, { biz_opaque_callback_data: 'unknown-outcome' }) }),
          }),
        ).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      } finally {
        await agent.destroy();
      }
      const [message] = await sim.listMessages({ to: CITIZEN });
      expect(message).toMatchObject({ bizOpaqueCallbackData: 'unknown-outcome' });
      await receiver.waitUntil(() => receiver.statuses(message.wamid).length === 3);
      expect((await send(text(CITIZEN))).status).toBe(200);
    });

    it('answers a share of sends with 5xx or 130429 and holds a share of acceptances (rates), recording which were held', async () => {
      await sim.registerNumber({
        phoneNumberId: PNID,
        wabaId: WABA,
        displayPhoneNumber: '393339990001',
        accessToken: TOKEN,
        appSecret: SECRET,
        webhookUrl: receiver.url,
        mps: 1000,
      });
      await openWindow();
      await sim.setFaults({ phoneNumberId: PNID, serverErrorRate: 1, serverErrorCode: 131016 });
      expect((await send(text(CITIZEN))).body.error.code).toBe(131016);
      await sim.setFaults({ phoneNumberId: PNID, serverErrorRate: 0, throughputErrorRate: 1 });
      const throttled = await send(text(CITIZEN));
      expect(throttled.status).toBe(400);
      expect(throttled.body.error.code).toBe(130429);
      expect(await sim.listMessages()).toHaveLength(0);

      // Independent draws per send: about half of 200 (the bounds are over 8 standard deviations wide).
      await sim.setFaults({ phoneNumberId: PNID, throughputErrorRate: 0, serverErrorRate: 0.5, serverErrorCode: 131000 });
      const results = [];
      for (let i = 0; i < 200; i += 1) results.push((await send(text(`39333100${String(i).padStart(4, '0')}`))).status);
      const failed = results.filter((s) => s === 500).length;
      expect(failed).toBeGreaterThan(40);
      expect(failed).toBeLessThan(160);
      expect(results.filter((s) => s === 200)).toHaveLength(200 - failed);

      await sim.setFaults({ phoneNumberId: PNID, serverErrorRate: 0, acceptThenTimeoutRate: 1, holdMs: 60_000 });
      const agent = new Agent({ headersTimeout: 300 });
      try {
        await expect(
          request(`${base}/v25.0/${PNID}/messages`, {
            method: 'POST',
            dispatcher: agent,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ messaging_product: 'whatsapp', ...text(CITIZEN, { biz_opaque_callback_data: 'held' }) }),
          }),
        ).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      } finally {
        await agent.destroy();
      }
      await sim.setFaults({ phoneNumberId: PNID, acceptThenTimeoutRate: 0 });
      expect((await send(text(CITIZEN, { biz_opaque_callback_data: 'answered' }))).status).toBe(200);
      const log = await sim.listMessages({ to: CITIZEN });
      expect(log.map((m) => [m.bizOpaqueCallbackData, m.responseHeldMs])).toEqual([
        ['held', 60_000],
        ['answered', null],
      ]);
    });

    it('adds latency to the number’s calls', async () => {
      await sim.setFaults({ phoneNumberId: PNID, latencyMs: 150 });
      const started = Date.now();
      await send(text(CITIZEN));
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  describe('inbound citizen messages', () => {
    it('posts a text webhook shaped like fixture 01, signed over Meta’s escaped bytes', async () => {
      const result = await sim.sendInbound({
        phoneNumberId: PNID,
        from: `+${CITIZEN}`,
        profileName: 'Giulia Bianchi',
        message: { type: 'text', text: 'Città 👍' },
      });
      expect(result).toEqual({ wamid: expect.stringMatching(WAMID), webhookStatus: 200, deliveryId: expect.any(String), error: null });
      const [webhook] = receiver.received;
      expect(webhook.validSignature).toBe(true);
      expect(webhook.raw).toContain('"body":"Citt\\u00e0 \\ud83d\\udc4d"');
      expect(webhook.raw).not.toMatch(/[^\u0020-\u007e]/);
      expect(webhook.raw).not.toContain('\n');
      expect(webhook.json).toEqual({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA,
            changes: [
              {
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '393339990001', phone_number_id: PNID },
                  contacts: [{ profile: { name: 'Giulia Bianchi' }, wa_id: CITIZEN }],
                  messages: [
                    { from: CITIZEN, id: result.wamid, timestamp: expect.stringMatching(/^\d{10}$/), type: 'text', text: { body: 'Città 👍' } },
                  ],
                },
                field: 'messages',
              },
            ],
          },
        ],
      });
      const conversation = await sim.getConversation(PNID, CITIZEN);
      expect(Date.parse(conversation.windowOpenUntil!)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    });

    it('posts a photo whose media the platform can download and check', async () => {
      await sim.sendInbound({ phoneNumberId: PNID, from: CITIZEN, message: { type: 'image', caption: 'Buca in Via Roma' } });
      const image = receiver.received[0].json.entry[0].changes[0].value.messages![0].image as Record<string, string>;
      expect(image).toEqual({
        caption: 'Buca in Via Roma',
        mime_type: 'image/jpeg',
        sha256: expect.any(String),
        id: expect.any(String),
        url: expect.any(String),
      });
      const info = await graph('GET', `/v25.0/${image.id}`);
      const download = await request(info.body.url, { headers: { authorization: `Bearer ${TOKEN}` } });
      const photo = Buffer.from(await download.body.arrayBuffer());
      expect(photo.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(createHash('sha256').update(photo).digest('base64')).toBe(image.sha256);
      expect(info.body.sha256).toBe(image.sha256);
    });

    it('posts locations, interactive replies to our buttons, template button taps and reactions', async () => {
      await openWindow();
      const interactive = await send({
        to: CITIZEN,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Confermi?' },
          action: { buttons: [{ type: 'reply', reply: { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' } }] },
        },
      });
      receiver.clear();
      await sim.sendInbound({
        phoneNumberId: PNID,
        from: CITIZEN,
        message: { type: 'location', latitude: 43.31882, longitude: 11.33079, name: 'Via Roma 12' },
      });
      await sim.sendInbound({ phoneNumberId: PNID, from: CITIZEN, userId: 'IT.99', message: { type: 'interactive_reply', id: 'SUB_CONFIRM:YES' } });
      await sim.sendInbound({ phoneNumberId: PNID, from: CITIZEN, message: { type: 'button', payload: 'UNSUB:EVENTI', text: 'Stop' } });
      await sim.sendInbound({
        phoneNumberId: PNID,
        from: CITIZEN,
        message: { type: 'reaction', messageId: interactive.body.messages[0].id, emoji: '👍' },
      });
      const [location, reply, button, reaction] = receiver.received.map((w) => w.json.entry[0].changes[0].value).filter((v) => v.messages);
      expect(location.messages![0]).toMatchObject({ type: 'location', location: { latitude: 43.31882, longitude: 11.33079, name: 'Via Roma 12' } });
      expect(reply.contacts).toEqual([{ profile: { name: 'Cittadino' }, wa_id: CITIZEN, user_id: 'IT.99' }]);
      expect(reply.messages![0]).toMatchObject({
        context: { from: '393339990001', id: interactive.body.messages[0].id },
        from_user_id: 'IT.99',
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' } },
      });
      expect(button.messages![0]).toMatchObject({ type: 'button', button: { payload: 'UNSUB:EVENTI', text: 'Stop' } });
      expect(reaction.messages![0]).toMatchObject({ type: 'reaction', reaction: { message_id: interactive.body.messages[0].id, emoji: '👍' } });
      expect(receiver.received.every((w) => w.validSignature)).toBe(true);
    });

    it('reports the webhook’s answer and retries until it gets a 200', async () => {
      receiver.answers.push(500);
      const result = await openWindow();
      expect(result.webhookStatus).toBe(500);
      const attempts = await sim.waitFor(async () => {
        const list = await sim.listWebhookDeliveries({ kind: 'inbound' });
        return list.length === 2 && list;
      });
      expect(attempts.map((a) => [a.attempt, a.httpStatus])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(receiver.received[1].raw).toBe(receiver.received[0].raw);
    });

    it('refuses an inbound message for an unknown number with 404', async () => {
      await expect(sim.sendInbound({ phoneNumberId: '1', from: CITIZEN, message: { type: 'text', text: 'x' } })).rejects.toMatchObject({
        status: 404,
      });
    });
  });

  describe('raw webhooks', () => {
    it.each([
      ['valid', true, true],
      ['invalid', true, false],
      ['none', false, false],
    ] as const)('posts arbitrary bytes with a %s signature', async (signature, hasHeader, valid) => {
      const attempt = await sim.postRawWebhook({ phoneNumberId: PNID, body: '{"object":"whatsapp_business_account","entry":[]}', signature });
      expect(attempt).toMatchObject({ kind: 'raw', httpStatus: 200, signature });
      expect(receiver.received[0]).toMatchObject({ raw: '{"object":"whatsapp_business_account","entry":[]}', validSignature: valid });
      expect(receiver.received[0].signature !== undefined).toBe(hasHeader);
    });
  });

  describe('control API', () => {
    it('validates its bodies and answers in the control error shape', async () => {
      const error = await sim
        .registerNumber({ phoneNumberId: '', wabaId: WABA, displayPhoneNumber: 'x', accessToken: 't', appSecret: 's', webhookUrl: 'ftp://x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SimulatorClientError);
      expect((error as SimulatorClientError).status).toBe(400);
      expect((error as SimulatorClientError).body).toMatchObject({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('phoneNumberId'),
      });
    });

    it('lists conversations in both directions for the phone page', async () => {
      await openWindow();
      await send(text(CITIZEN));
      const conversation = await sim.getConversation(PNID, CITIZEN);
      expect(conversation.messages.map((m) => m.direction)).toEqual(['inbound', 'outbound']);
      expect(await sim.listConversations(PNID)).toEqual([expect.objectContaining({ waId: CITIZEN, profileName: 'Cittadino', messages: 2 })]);
    });

    it('serves the citizen-phone page', async () => {
      const res = await request(`${base}/`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      const html = await res.body.text();
      expect(html).toContain('Telefono del cittadino');
      expect(html).toContain('/_sim/conversations');
    });

    it('forgets everything on reset', async () => {
      await openWindow();
      await sim.reset();
      expect(await sim.listNumbers()).toEqual([]);
      expect(await sim.listMessages()).toEqual([]);
      expect(await sim.listWebhookDeliveries()).toEqual([]);
    });
  });
});
