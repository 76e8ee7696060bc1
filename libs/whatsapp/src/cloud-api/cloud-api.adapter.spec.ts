import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { classifyProviderError } from '../errors/error-actions.js';
import { InvalidMessageError } from '../errors/whatsapp.errors.js';
import { ProviderError } from '../errors/provider-error.js';
import { type MessageContent, type SendRequest } from '../provider/whatsapp-provider.types.js';
import { CloudApiAdapter, decodeSha256, type CloudApiAdapterOptions } from './cloud-api.adapter.js';

interface Captured {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (req: Captured, res: ServerResponse) => void;

/** A stand-in for graph.facebook.com on a local port: records every request, answers as told. */
class FakeGraph {
  readonly requests: Captured[] = [];
  handler: Handler = (_req, res) => json(res, 200, {});
  private server?: Server;
  origin = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const captured = {
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://graph.test'),
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        this.requests.push(captured);
        this.handler(captured, res);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  last(): Captured {
    return this.requests[this.requests.length - 1];
  }

  lastJson(): Record<string, unknown> {
    return JSON.parse(this.last().body.toString('utf8')) as Record<string, unknown>;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const TOKEN = 'EAAG-secret-token-of-number-1';
const FROM = { phoneNumberId: '109988776655443', accessToken: TOKEN };
const ACCEPTED = { messaging_product: 'whatsapp', contacts: [{ input: '+393331234567', wa_id: '393331234567' }], messages: [{ id: 'wamid.OUT1' }] };

const request = (content: MessageContent, extra: Partial<SendRequest> = {}): SendRequest => ({
  from: FROM,
  to: { kind: 'phone', e164: '+393331234567' },
  content,
  correlationId: 'om_0001',
  ...extra,
});

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

describe('CloudApiAdapter', () => {
  const graph = new FakeGraph();
  const logged: unknown[] = [];
  const logger = { debug: (...args: unknown[]) => logged.push(args), warn: (...args: unknown[]) => logged.push(args) };
  let adapter: CloudApiAdapter;
  const extraAdapters: CloudApiAdapter[] = [];
  const make = (options: Partial<CloudApiAdapterOptions> = {}) => {
    const a = new CloudApiAdapter({ baseUrl: graph.origin, apiVersion: 'v25.0', connectTimeoutMs: 1000, requestTimeoutMs: 2000, logger, ...options });
    extraAdapters.push(a);
    return a;
  };

  beforeAll(async () => {
    await graph.start();
    adapter = make();
  });
  afterAll(async () => {
    await Promise.all(extraAdapters.map((a) => a.close()));
    await graph.stop();
  });
  beforeEach(() => {
    graph.requests.length = 0;
    graph.handler = (_req, res) => json(res, 200, ACCEPTED);
  });

  describe('send: request bodies', () => {
    it('posts a text to /{version}/{phone-number-id}/messages with the number’s bearer token', async () => {
      const accepted = await adapter.send(request({ type: 'text', body: 'Avviso: strada chiusa https://comune.example.it/a/1', previewUrl: true }));
      expect(accepted).toEqual({ providerMessageId: 'wamid.OUT1', waId: '393331234567', input: '+393331234567', messageStatus: null });
      const sent = graph.last();
      expect(sent.method).toBe('POST');
      expect(sent.url.pathname).toBe('/v25.0/109988776655443/messages');
      expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(sent.headers['content-type']).toBe('application/json');
      expect(graph.lastJson()).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+393331234567',
        biz_opaque_callback_data: 'om_0001',
        type: 'text',
        text: { preview_url: true, body: 'Avviso: strada chiusa https://comune.example.it/a/1' },
      });
    });

    it('uses each number’s own token', async () => {
      await adapter.send(request({ type: 'text', body: 'a' }, { from: { phoneNumberId: '200', accessToken: 'token-two' } }));
      expect(graph.last().url.pathname).toBe('/v25.0/200/messages');
      expect(graph.last().headers.authorization).toBe('Bearer token-two');
    });

    it('quotes a citizen’s message with context.message_id', async () => {
      await adapter.send(request({ type: 'text', body: 'Grazie, presa in carico (n. 42).' }, { replyTo: 'wamid.HBgMIN' }));
      expect(graph.lastJson()).toMatchObject({ context: { message_id: 'wamid.HBgMIN' }, text: { body: 'Grazie, presa in carico (n. 42).' } });
    });

    it('addresses a BSUID through `recipient`, without `to`', async () => {
      graph.handler = (_req, res) => json(res, 200, { contacts: [{ input: 'IT.1349', user_id: 'IT.1349' }], messages: [{ id: 'wamid.B' }] });
      const accepted = await adapter.send(request({ type: 'text', body: 'x' }, { to: { kind: 'bsuid', userId: 'IT.1349' } }));
      const body = graph.lastJson();
      expect(body.recipient).toBe('IT.1349');
      expect(body).not.toHaveProperty('to');
      expect(accepted).toEqual({ providerMessageId: 'wamid.B', waId: null, input: 'IT.1349', messageStatus: null });
    });

    it.each<[string, MessageContent, Record<string, unknown>]>([
      [
        'image by id with caption',
        { type: 'image', mediaId: '1480273645019283', caption: 'Mappa chiusure' },
        { image: { id: '1480273645019283', caption: 'Mappa chiusure' } },
      ],
      [
        'document by link with filename',
        { type: 'document', link: 'https://comune.example.it/ordinanza.pdf', filename: 'ordinanza-12-2026.pdf', caption: 'Ordinanza' },
        { document: { link: 'https://comune.example.it/ordinanza.pdf', caption: 'Ordinanza', filename: 'ordinanza-12-2026.pdf' } },
      ],
      ['video by id', { type: 'video', mediaId: 'V1' }, { video: { id: 'V1' } }],
      ['audio by id', { type: 'audio', mediaId: 'A1' }, { audio: { id: 'A1' } }],
      ['sticker by link', { type: 'sticker', link: 'https://comune.example.it/s.webp' }, { sticker: { link: 'https://comune.example.it/s.webp' } }],
    ])('media: %s', async (_name, content, expected) => {
      await adapter.send(request(content));
      const body = graph.lastJson();
      expect(body.type).toBe(content.type);
      expect(body).toMatchObject(expected);
      expect(body[content.type]).toEqual(expected[content.type]);
    });

    it('template with media header, named body parameters and buttons (index as string)', async () => {
      graph.handler = (_req, res) => json(res, 200, { ...ACCEPTED, messages: [{ id: 'wamid.T', message_status: 'held_for_quality_assessment' }] });
      const accepted = await adapter.send(
        request({
          type: 'template',
          name: 'allerta_meteo_v2',
          languageCode: 'it',
          headerMedia: { kind: 'image', mediaId: '1480000000000777' },
          body: [
            { name: 'livello', text: 'ARANCIONE' },
            { name: 'dalle', text: '14:00 di oggi' },
          ],
          buttons: [
            { index: 0, subType: 'quick_reply', payload: 'UNSUB:EMERGENZE' },
            { index: 1, subType: 'url', text: 'allerta-2026-03-16' },
          ],
        }),
      );
      expect(accepted.messageStatus).toBe('held_for_quality_assessment');
      expect(graph.lastJson()).toMatchObject({
        type: 'template',
        template: {
          name: 'allerta_meteo_v2',
          language: { code: 'it' },
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { id: '1480000000000777' } }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', parameter_name: 'livello', text: 'ARANCIONE' },
                { type: 'text', parameter_name: 'dalle', text: '14:00 di oggi' },
              ],
            },
            { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'UNSUB:EMERGENZE' }] },
            { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'allerta-2026-03-16' }] },
          ],
        },
      });
    });

    it('template with a text header, positional parameters and a document header by link', async () => {
      await adapter.send(
        request({
          type: 'template',
          name: 'aggiornamento',
          languageCode: 'it',
          headerText: [{ text: 'Segnalazione 42' }],
          body: [{ text: 'chiusa' }],
        }),
      );
      expect((graph.lastJson().template as { components: unknown[] }).components).toEqual([
        { type: 'header', parameters: [{ type: 'text', text: 'Segnalazione 42' }] },
        { type: 'body', parameters: [{ type: 'text', text: 'chiusa' }] },
      ]);
      await adapter.send(
        request({
          type: 'template',
          name: 'ordinanza',
          languageCode: 'it',
          headerMedia: { kind: 'document', link: 'https://c.example/o.pdf', filename: 'o.pdf' },
        }),
      );
      expect((graph.lastJson().template as { components: unknown[] }).components).toEqual([
        { type: 'header', parameters: [{ type: 'document', document: { link: 'https://c.example/o.pdf', filename: 'o.pdf' } }] },
      ]);
    });

    it('interactive reply buttons with header and footer', async () => {
      await adapter.send(
        request({
          type: 'interactive',
          header: 'Comune di Villetta',
          body: "Confermi l'iscrizione al canale #EMERGENZE?",
          footer: 'Rispondi DISATTIVA per annullare',
          action: {
            kind: 'buttons',
            buttons: [
              { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' },
              { id: 'SUB_CONFIRM:NO', title: 'No' },
            ],
          },
        }),
      );
      expect(graph.lastJson()).toMatchObject({
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'text', text: 'Comune di Villetta' },
          body: { text: "Confermi l'iscrizione al canale #EMERGENZE?" },
          footer: { text: 'Rispondi DISATTIVA per annullare' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' } },
              { type: 'reply', reply: { id: 'SUB_CONFIRM:NO', title: 'No' } },
            ],
          },
        },
      });
    });

    it('interactive list', async () => {
      await adapter.send(
        request({
          type: 'interactive',
          body: 'Scegli i canali',
          action: {
            kind: 'list',
            button: 'Canali',
            sections: [
              {
                title: 'Disponibili',
                rows: [
                  { id: 'CH:EMERGENZE', title: 'Emergenze', description: 'Allerte meteo e protezione civile' },
                  { id: 'CH:EVENTI', title: 'Eventi' },
                ],
              },
            ],
          },
        }),
      );
      expect(graph.lastJson().interactive).toEqual({
        type: 'list',
        body: { text: 'Scegli i canali' },
        action: {
          button: 'Canali',
          sections: [
            {
              title: 'Disponibili',
              rows: [
                { id: 'CH:EMERGENZE', title: 'Emergenze', description: 'Allerte meteo e protezione civile' },
                { id: 'CH:EVENTI', title: 'Eventi' },
              ],
            },
          ],
        },
      });
    });

    it('refuses an invalid message locally: nothing reaches Meta', async () => {
      await expect(adapter.send(request({ type: 'text', body: 'x'.repeat(4097) }))).rejects.toThrow(InvalidMessageError);
      await expect(adapter.send(request({ type: 'image', mediaId: '1', link: 'https://x.example/i.jpg' }))).rejects.toThrow(InvalidMessageError);
      await expect(adapter.send(request({ type: 'text', body: 'x' }, { to: { kind: 'phone', e164: '393331234567' } }))).rejects.toThrow(/E\.164/);
      expect(graph.requests).toHaveLength(0);
    });

    it('honours a base URL with a path prefix and a trailing slash', async () => {
      const prefixed = make({ baseUrl: `${graph.origin}/graph/`, apiVersion: 'v24.0' });
      await prefixed.send(request({ type: 'text', body: 'x' }));
      expect(graph.last().url.pathname).toBe('/graph/v24.0/109988776655443/messages');
    });

    it('refuses a malformed version or base URL at construction', () => {
      expect(() => new CloudApiAdapter({ baseUrl: graph.origin, apiVersion: '25', connectTimeoutMs: 1, requestTimeoutMs: 1 })).toThrow(/apiVersion/);
      expect(() => new CloudApiAdapter({ baseUrl: 'graph.facebook.com', apiVersion: 'v25.0', connectTimeoutMs: 1, requestTimeoutMs: 1 })).toThrow(
        /baseUrl/,
      );
    });
  });

  describe('send: failures', () => {
    it('maps Meta’s error body to kind api with code, details and fbtrace_id', async () => {
      graph.handler = (_req, res) =>
        json(res, 400, {
          error: {
            message: '(#131047) Re-engagement message',
            type: 'OAuthException',
            code: 131047,
            error_data: { messaging_product: 'whatsapp', details: 'More than 24 hours have passed since the customer last replied.' },
            fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
          },
        });
      const err = await providerError(adapter.send(request({ type: 'text', body: 'x' })));
      expect(err).toMatchObject({
        kind: 'api',
        code: 131047,
        httpStatus: 400,
        details: 'More than 24 hours have passed since the customer last replied.',
        fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      });
      expect(err.message).toContain('(#131047) Re-engagement message');
    });

    it('maps a 5xx Meta error (131000) to api as well', async () => {
      graph.handler = (_req, res) => json(res, 500, { error: { message: 'Something went wrong', code: 131000, fbtrace_id: 'T' } });
      expect(await providerError(adapter.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'api', code: 131000, httpStatus: 500 });
    });

    it('maps a non-Meta error page to kind http', async () => {
      graph.handler = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
      expect(await providerError(adapter.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'http', httpStatus: 502, code: null });
      graph.handler = (_req, res) => json(res, 404, { message: 'not found' });
      expect(await providerError(adapter.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'http', httpStatus: 404 });
    });

    it('maps a 2xx without messages[0].id, or not JSON at all, to invalid_response', async () => {
      graph.handler = (_req, res) => json(res, 200, { messaging_product: 'whatsapp', messages: [] });
      expect(await providerError(adapter.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'invalid_response', httpStatus: 200 });
      graph.handler = (_req, res) => res.writeHead(200).end('OK');
      expect(await providerError(adapter.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'invalid_response' });
    });

    it('maps a response over maxBodyBytes to invalid_response without buffering it', async () => {
      const small = make({ maxBodyBytes: 256 });
      graph.handler = (_req, res) => json(res, 200, { ...ACCEPTED, padding: 'p'.repeat(10_000) });
      expect(await providerError(small.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'invalid_response' });
    });

    it('maps a refused connection (a closed port) to connect', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const closed = make({ baseUrl: `http://127.0.0.1:${port}` });
      const err = await providerError(closed.send(request({ type: 'text', body: 'x' })));
      expect(err.kind).toBe('connect');
      expect(err.message).toContain('ECONNREFUSED');
    });

    it('maps a server that never answers to unknown_outcome once requestTimeoutMs passes', async () => {
      graph.handler = () => undefined;
      const impatient = make({ requestTimeoutMs: 150 });
      const started = Date.now();
      const err = await providerError(impatient.send(request({ type: 'text', body: 'x' })));
      expect(err.kind).toBe('unknown_outcome');
      expect(Date.now() - started).toBeLessThan(1500);
      expect(graph.requests).toHaveLength(1);
    });

    it('maps a body that stops arriving to unknown_outcome', async () => {
      graph.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"messages":[');
      };
      const impatient = make({ requestTimeoutMs: 150 });
      expect((await providerError(impatient.send(request({ type: 'text', body: 'x' })))).kind).toBe('unknown_outcome');
    });

    it('maps a body shorter than its Content-Length to unknown_outcome, whether it stalls or the connection drops', async () => {
      // A declared length the answer never reaches: the request is not complete, whatever came.
      graph.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"messages":[');
      };
      const impatient = make({ requestTimeoutMs: 150 });
      expect((await providerError(impatient.send(request({ type: 'text', body: 'x' })))).kind).toBe('unknown_outcome');
      graph.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"messages":[', () => res.socket?.destroy());
      };
      expect((await providerError(adapter.send(request({ type: 'text', body: 'x' })))).kind).toBe('unknown_outcome');
    });

    it('reads a declared-length answer, and still refuses one declared over maxBodyBytes', async () => {
      const body = JSON.stringify({ ...ACCEPTED, note: 'è arrivato 🌧️' });
      graph.handler = (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
      expect((await adapter.send(request({ type: 'text', body: 'x' }))).providerMessageId).toBe(ACCEPTED.messages[0].id);
      const small = make({ maxBodyBytes: 64 });
      expect(await providerError(small.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'invalid_response' });
    });

    it('reads an answer that comes in many chunks, a character split between two of them', async () => {
      const body = Buffer.from(JSON.stringify({ ...ACCEPTED, note: 'è arrivato 🌧️ a Cavazzo' }));
      const cut = body.indexOf(Buffer.from('🌧️')) + 2;
      graph.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(body.subarray(0, cut));
        setTimeout(() => res.end(body.subarray(cut)), 20);
      };
      expect((await adapter.send(request({ type: 'text', body: 'x' }))).providerMessageId).toBe(ACCEPTED.messages[0].id);
    });

    it('after refusing an answer over maxBodyBytes, the next call on the same adapter goes through', async () => {
      const small = make({ maxBodyBytes: 256 });
      graph.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"padding":"${'p'.repeat(300)}`);
        setTimeout(() => res.end('"}'), 20);
      };
      expect(await providerError(small.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'invalid_response' });
      graph.handler = (_req, res) => json(res, 200, ACCEPTED);
      expect((await small.send(request({ type: 'text', body: 'x' }))).providerMessageId).toBe(ACCEPTED.messages[0].id);
    });

    it('maps an error answer over maxBodyBytes to its HTTP status, unread', async () => {
      const small = make({ maxBodyBytes: 64 });
      graph.handler = (_req, res) => json(res, 500, { error: { code: 131000, message: 'x'.repeat(500) } });
      expect(await providerError(small.send(request({ type: 'text', body: 'x' })))).toMatchObject({ kind: 'http', httpStatus: 500 });
    });

    it('maps a connection dropped after the request was read to unknown_outcome, and never re-sends', async () => {
      graph.handler = (req, res) => res.socket?.destroy();
      const err = await providerError(adapter.send(request({ type: 'text', body: 'x' })));
      expect(err.kind).toBe('unknown_outcome');
      expect(graph.requests).toHaveLength(1);
    });

    it('never logs the token or the message body', async () => {
      logged.length = 0;
      await adapter.send(request({ type: 'text', body: 'Testo riservato del cittadino' }));
      graph.handler = (_req, res) => json(res, 400, { error: { code: 100, message: 'Invalid parameter' } });
      await providerError(adapter.send(request({ type: 'text', body: 'Testo riservato del cittadino' })));
      const text = JSON.stringify(logged);
      expect(logged.length).toBeGreaterThan(0);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('riservato');
    });
  });

  describe('markRead', () => {
    it('posts status read, with the typing indicator when asked', async () => {
      graph.handler = (_req, res) => json(res, 200, { success: true });
      await adapter.markRead(FROM, 'wamid.IN1');
      expect(graph.last().url.pathname).toBe('/v25.0/109988776655443/messages');
      expect(graph.lastJson()).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN1' });
      await adapter.markRead(FROM, 'wamid.IN2', true);
      expect(graph.lastJson()).toEqual({
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.IN2',
        typing_indicator: { type: 'text' },
      });
    });

    it('treats a 2xx without success as invalid_response', async () => {
      graph.handler = (_req, res) => json(res, 200, { success: false });
      expect(await providerError(adapter.markRead(FROM, 'wamid.IN1'))).toMatchObject({ kind: 'invalid_response' });
    });
  });

  describe('uploadMedia', () => {
    it('posts multipart with messaging_product, type and the file', async () => {
      graph.handler = (_req, res) => json(res, 200, { id: '1480273645019283' });
      const bytes = Buffer.from('%PDF-1.7 ordinanza');
      const result = await adapter.uploadMedia(FROM, { bytes, mimeType: 'application/pdf', filename: 'ordinanza.pdf' });
      expect(result).toEqual({ mediaId: '1480273645019283' });
      const sent = graph.last();
      expect(sent.url.pathname).toBe('/v25.0/109988776655443/media');
      expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      const form = await new Response(sent.body, { headers: { 'content-type': sent.headers['content-type']! } }).formData();
      expect(form.get('messaging_product')).toBe('whatsapp');
      expect(form.get('type')).toBe('application/pdf');
      const file = form.get('file') as File;
      expect(file.name).toBe('ordinanza.pdf');
      expect(file.type).toBe('application/pdf');
      expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('sends the document’s name as given, non-ASCII included, and reads a numeric id', async () => {
      graph.handler = (_req, res) => json(res, 200, { id: 1480273645019283 });
      const result = await adapter.uploadMedia(FROM, {
        bytes: Buffer.from('%PDF-1.7'),
        mimeType: 'application/pdf',
        filename: 'Ordinanza n. 12 (viabilità).pdf',
      });
      expect(result).toEqual({ mediaId: '1480273645019283' });
      const sent = graph.last();
      const form = await new Response(sent.body, { headers: { 'content-type': sent.headers['content-type']! } }).formData();
      expect((form.get('file') as File).name).toBe('Ordinanza n. 12 (viabilità).pdf');
    });

    it('maps 131053 to an api error the error table reads as our bug (fix the file, no retry)', async () => {
      graph.handler = (_req, res) =>
        json(res, 400, {
          error: {
            message: '(#131053) Media upload error',
            type: 'OAuthException',
            code: 131053,
            error_data: { messaging_product: 'whatsapp', details: 'Param file must be a file with one of the supported media types' },
            fbtrace_id: 'AbCdEf',
          },
        });
      const err = await providerError(adapter.uploadMedia(FROM, { bytes: Buffer.from('x'), mimeType: 'image/png', filename: 'a.png' }));
      expect(err).toMatchObject({
        kind: 'api',
        code: 131053,
        httpStatus: 400,
        details: expect.stringContaining('supported media types'),
        fbtraceId: 'AbCdEf',
      });
      expect(err.message).toMatch(/^uploadMedia: /);
      expect(classifyProviderError(err)).toBe('bug');
    });

    it('maps an expired token to the number’s pause, and an answer without an id to invalid_response', async () => {
      graph.handler = (_req, res) => json(res, 401, { error: { code: 190, message: 'Error validating access token', type: 'OAuthException' } });
      const expired = await providerError(adapter.uploadMedia(FROM, { bytes: Buffer.from('x'), mimeType: 'image/png', filename: 'a.png' }));
      expect(classifyProviderError(expired)).toBe('pause_number');

      graph.handler = (_req, res) => json(res, 200, { success: true });
      const noId = await providerError(adapter.uploadMedia(FROM, { bytes: Buffer.from('x'), mimeType: 'image/png', filename: 'a.png' }));
      expect(noId).toMatchObject({ kind: 'invalid_response', message: expect.stringContaining('no id in the response') });
    });

    it('maps a server that never answers to unknown_outcome (the file may be stored: uploading again is harmless)', async () => {
      graph.handler = () => undefined;
      const impatient = make({ requestTimeoutMs: 150 });
      const err = await providerError(impatient.uploadMedia(FROM, { bytes: Buffer.from('x'), mimeType: 'image/png', filename: 'a.png' }));
      expect(err.kind).toBe('unknown_outcome');
      // Logs name the call, never the token.
      expect(JSON.stringify(logged)).not.toContain(TOKEN);
    });
  });

  describe('media info and download', () => {
    const file = Buffer.from('JPEG-bytes-of-a-pothole-photo'.repeat(20));
    const hex = createHash('sha256').update(file).digest('hex');
    const base64 = createHash('sha256').update(file).digest('base64');

    /** Meta's two-step download: GET /{media-id} for a short-lived URL, then GET that URL with the token. */
    const serveMedia = (info: Record<string, unknown>, serveFile: (res: ServerResponse) => void = (res) => res.writeHead(200).end(file)) => {
      graph.handler = (req, res) => {
        if (req.url.pathname === '/v25.0/MEDIA1')
          return json(res, 200, { messaging_product: 'whatsapp', id: 'MEDIA1', mime_type: 'image/jpeg', ...info });
        if (req.url.pathname === '/files/MEDIA1') {
          if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 404, { error: { code: 100, message: 'no token' } });
          return serveFile(res);
        }
        json(res, 404, {});
      };
    };

    it('getMediaInfo asks /{version}/{media-id} with phone_number_id', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: hex, file_size: '600' });
      expect(await adapter.getMediaInfo(FROM, 'MEDIA1')).toEqual({
        id: 'MEDIA1',
        url: `${graph.origin}/files/MEDIA1`,
        mimeType: 'image/jpeg',
        sha256: hex,
        fileSize: 600,
      });
      expect(graph.last().url.searchParams.get('phone_number_id')).toBe('109988776655443');
      expect(graph.last().headers.authorization).toBe(`Bearer ${TOKEN}`);
    });

    it.each([
      ['hex', hex],
      ['base64', base64],
    ])('downloads with the bearer token and checks a %s sha256', async (_enc, sha256) => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256, file_size: file.length });
      const media = await adapter.downloadMedia(FROM, 'MEDIA1', 1_000_000);
      expect(media.bytes.equals(file)).toBe(true);
      expect(media).toMatchObject({ mimeType: 'image/jpeg', sha256Hex: hex });
      expect(graph.requests.map((r) => r.url.pathname)).toEqual(['/v25.0/MEDIA1', '/files/MEDIA1']);
      expect(graph.last().headers.authorization).toBe(`Bearer ${TOKEN}`);
    });

    it('refuses a checksum mismatch', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: createHash('sha256').update('other').digest('hex'), file_size: file.length });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 1_000_000))).toMatchObject({ kind: 'media', message: 'checksum mismatch' });
    });

    it('refuses an unreadable checksum', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: 'not-a-digest', file_size: file.length });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 1_000_000))).toMatchObject({ kind: 'media', message: 'checksum unreadable' });
    });

    it('refuses a file whose declared size is over the cap without downloading it', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: hex, file_size: file.length });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 100))).toMatchObject({ kind: 'media' });
      expect(graph.requests.map((r) => r.url.pathname)).toEqual(['/v25.0/MEDIA1']);
    });

    it('stops a download that grows past the cap when Meta’s size was wrong (content-length or chunked)', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: hex, file_size: 10 });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 100))).toMatchObject({
        kind: 'media',
        message: expect.stringContaining('100-byte limit') as string,
      });
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: hex, file_size: 10 }, (res) => {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        for (let i = 0; i < 20; i += 1) res.write(file.subarray(i * 30, i * 30 + 30));
        res.end();
      });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 100))).toMatchObject({
        kind: 'media',
        message: 'file is over the 100-byte limit',
      });
    });

    it('maps a failed file request to api or http', async () => {
      serveMedia({ url: `${graph.origin}/files/MEDIA1`, sha256: hex, file_size: file.length }, (res) => res.writeHead(404).end());
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 1_000_000))).toMatchObject({ kind: 'http', httpStatus: 404 });
      graph.handler = (_req, res) => json(res, 400, { error: { code: 100, message: 'Unsupported get request', fbtrace_id: 'F' } });
      expect(await providerError(adapter.downloadMedia(FROM, 'MEDIA1', 1_000_000))).toMatchObject({ kind: 'api', code: 100, fbtraceId: 'F' });
    });
  });

  describe('listTemplates', () => {
    const template = (n: number) => ({
      id: `T${n}`,
      name: `tpl_${n}`,
      language: 'it',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: `t${n}` }],
    });

    it('follows the after cursor across pages, asking the fields it needs, only from baseUrl', async () => {
      graph.handler = (req, res) => {
        const after = req.url.searchParams.get('after');
        const next = (cursor: string) => ({
          cursors: { before: 'B', after: cursor },
          next: `https://graph.facebook.com/v25.0/WABA1/message_templates?limit=100&after=${cursor}`,
        });
        if (after === null) return json(res, 200, { data: [template(1), template(2)], paging: next('C1') });
        if (after === 'C1') return json(res, 200, { data: [template(3), { id: 'broken' }], paging: next('C2') });
        return json(res, 200, { data: [template(4)], paging: { cursors: { before: 'B', after: 'C3' } } });
      };
      const list = await adapter.listTemplates(FROM, 'WABA1');
      expect(list.map((t) => t.name)).toEqual(['tpl_1', 'tpl_2', 'tpl_3', 'tpl_4']);
      expect(list[0]).toEqual(template(1));
      expect(graph.requests).toHaveLength(3);
      for (const r of graph.requests) {
        expect(r.url.pathname).toBe('/v25.0/WABA1/message_templates');
        expect(r.url.searchParams.get('fields')).toBe('name,language,status,category,components,id');
        expect(r.url.searchParams.get('limit')).toBe('100');
        expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      }
      expect(graph.requests.map((r) => r.url.searchParams.get('after'))).toEqual([null, 'C1', 'C2']);
    });

    it('takes the cursor from paging.next when cursors are missing', async () => {
      graph.handler = (req, res) =>
        req.url.searchParams.get('after') === null
          ? json(res, 200, { data: [template(1)], paging: { next: 'https://graph.facebook.com/v25.0/WABA1/message_templates?after=N1' } })
          : json(res, 200, { data: [template(2)] });
      expect((await adapter.listTemplates(FROM, 'WABA1')).map((t) => t.id)).toEqual(['T1', 'T2']);
    });

    it('fails rather than return a partial list past the page cap or on a looping cursor', async () => {
      let n = 0;
      graph.handler = (_req, res) => json(res, 200, { data: [template(n)], paging: { cursors: { after: `C${++n}` }, next: 'x' } });
      const capped = make({ maxTemplatePages: 3 });
      expect(await providerError(capped.listTemplates(FROM, 'WABA1'))).toMatchObject({
        kind: 'invalid_response',
        message: expect.stringContaining('more than 3 pages') as string,
      });
      graph.handler = (_req, res) => json(res, 200, { data: [], paging: { cursors: { after: 'SAME' }, next: 'x' } });
      expect(await providerError(adapter.listTemplates(FROM, 'WABA1'))).toMatchObject({
        kind: 'invalid_response',
        message: expect.stringContaining('repeats') as string,
      });
    });
  });

  it('decodeSha256 reads hex and base64 (standard or url-safe) and nothing else', () => {
    const digest = createHash('sha256').update('x').digest();
    expect(decodeSha256(digest.toString('hex'))).toEqual(digest);
    expect(decodeSha256(digest.toString('hex').toUpperCase())).toEqual(digest);
    expect(decodeSha256(digest.toString('base64'))).toEqual(digest);
    expect(decodeSha256(digest.toString('base64url'))).toEqual(digest);
    expect(decodeSha256('abc')).toBeNull();
    expect(decodeSha256(createHash('sha1').update('x').digest('hex'))).toBeNull();
  });
});
