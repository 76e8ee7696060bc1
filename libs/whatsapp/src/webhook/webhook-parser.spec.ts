import { readFileSync } from 'node:fs';
import { parseWebhookBody } from './webhook-parser.js';
import { type InboundMessageEvent, type StatusEvent, type WebhookEvent } from './webhook-event.types.js';

const FIXTURES = new URL('./__fixtures__/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const WABA = '104857600112233';
const PNID = '109988776655443';
const METADATA = { display_phone_number: '393339990001', phone_number_id: PNID };
const GIULIA = '393337654321';

const envelope = (...changes: { field: string; value: unknown }[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA, changes }],
});
const messagesChange = (value: Record<string, unknown>) => ({
  field: 'messages',
  value: { messaging_product: 'whatsapp', metadata: METADATA, ...value },
});
const inbound = (message: Record<string, unknown>, contacts: unknown[] = [{ profile: { name: 'Giulia' }, wa_id: GIULIA }]) =>
  envelope(messagesChange({ contacts, messages: [{ from: GIULIA, id: 'wamid.IN1', timestamp: '1773476102', ...message }] }));

const only = <K extends WebhookEvent['kind']>(body: unknown, kind: K): Extract<WebhookEvent, { kind: K }> => {
  const parsed = parseWebhookBody(body);
  expect(parsed.problems).toEqual([]);
  expect(parsed.events).toHaveLength(1);
  expect(parsed.events[0].kind).toBe(kind);
  return parsed.events[0] as Extract<WebhookEvent, { kind: K }>;
};
const contentOf = (message: Record<string, unknown>) => only(inbound(message), 'message').content;

describe('parseWebhookBody: the reference fixtures', () => {
  it('01: an inbound text', () => {
    const event = only(fixture('01-inbound-text-attiva.json'), 'message');
    expect(event).toEqual<InboundMessageEvent>({
      kind: 'message',
      wabaId: WABA,
      phoneNumberId: PNID,
      wamid: 'wamid.HBgMMzkzMzM3NjU0MzIxFQIAEhgUM0EwRjFDMkI5RTdENEExMTAwQUE=',
      waId: GIULIA,
      userId: null,
      profileName: 'Giulia Bianchi',
      timestamp: new Date(1773476102 * 1000),
      context: null,
      content: { type: 'text', body: 'ATTIVA' },
      raw: expect.objectContaining({ type: 'text', text: { body: 'ATTIVA' } }) as Record<string, unknown>,
    });
  });

  it('03: an image with caption, sha256 as Meta sends it', () => {
    const event = only(fixture('03-inbound-image-segnalazione-buca.json'), 'message');
    expect(event.waId).toBe('393331234567');
    expect(event.profileName).toBe('Mario Rossi');
    expect(event.content).toEqual({
      type: 'image',
      mediaId: '1480273645019283',
      mimeType: 'image/jpeg',
      sha256: 'A2kt2s0XrFSF27eBuFwIXxEUJLkBwfDKV2B+Pg7MAQU=',
      caption: 'Segnalazione: buca profonda in Via Roma davanti al civico 12, pericolosa per scooter e bici',
      filename: null,
      voice: null,
      animated: null,
    });
  });

  it('04: a location pin', () => {
    expect(only(fixture('04-inbound-location.json'), 'message').content).toEqual({
      type: 'location',
      latitude: 43.31882,
      longitude: 11.33079,
      name: 'Via Roma 12',
      address: 'Via Roma 12, 53100 Frazione Villetta SI',
      url: null,
    });
  });

  it.each([
    ['07-status-sent.json', 'sent', 1773642601],
    ['08-status-delivered.json', 'delivered', 1773642604],
  ])('%s: a status with PMP pricing and our correlation id', (name, status, ts) => {
    const event = only(fixture(name), 'status');
    expect(event).toEqual<StatusEvent>({
      kind: 'status',
      wabaId: WABA,
      phoneNumberId: PNID,
      providerMessageId: 'wamid.HBgMMzkzMzMxMjM0NTY3FQIAERgSQzRGMEExQjJDM0Q0RTVGNjA3MTg=',
      status: status as StatusEvent['status'],
      timestamp: new Date(ts * 1000),
      recipientId: '393331234567',
      recipientUserId: null,
      correlationId: 'tenant=comune-villetta;broadcast=bc-20260316-allerta-meteo;sub=sub_000123',
      pricing: { billable: true, model: 'PMP', type: 'regular', category: 'utility' },
      errors: [],
    });
  });

  it('09: a read status without pricing', () => {
    const event = only(fixture('09-status-read.json'), 'status');
    expect(event.status).toBe('read');
    expect(event.pricing).toBeNull();
    expect(event.timestamp).toEqual(new Date(1773643339 * 1000));
  });

  it('10: a failed status carries its errors', () => {
    const event = only(fixture('10-status-failed-131047-reengagement.json'), 'status');
    expect(event.status).toBe('failed');
    expect(event.correlationId).toBe('tenant=comune-villetta;report=rpt-20260312-0042');
    expect(event.errors).toEqual([
      {
        code: 131047,
        title: 'Re-engagement message',
        message: 'Re-engagement message',
        details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      },
    ]);
  });
});

describe('parseWebhookBody: every inbound message type', () => {
  it('text', () => {
    expect(contentOf({ type: 'text', text: { body: 'DISATTIVA' } })).toEqual({ type: 'text', body: 'DISATTIVA' });
  });

  it('image, video and document, with the document filename', () => {
    const media = { id: 'M1', mime_type: 'x/y', sha256: 'abc', caption: 'cap' };
    expect(contentOf({ type: 'video', video: media })).toMatchObject({ type: 'video', mediaId: 'M1', caption: 'cap', voice: null, animated: null });
    expect(contentOf({ type: 'image', image: { id: 'M2' } })).toEqual({
      type: 'image',
      mediaId: 'M2',
      mimeType: null,
      sha256: null,
      caption: null,
      filename: null,
      voice: null,
      animated: null,
    });
    expect(contentOf({ type: 'document', document: { ...media, filename: 'ordinanza.pdf' } })).toMatchObject({
      type: 'document',
      filename: 'ordinanza.pdf',
      caption: 'cap',
    });
  });

  it('audio, telling a voice note from a file', () => {
    expect(contentOf({ type: 'audio', audio: { id: 'A1', mime_type: 'audio/ogg; codecs=opus', sha256: 's', voice: true } })).toMatchObject({
      type: 'audio',
      mimeType: 'audio/ogg; codecs=opus',
      voice: true,
      animated: null,
    });
    expect(contentOf({ type: 'audio', audio: { id: 'A2', mime_type: 'audio/mpeg' } })).toMatchObject({ voice: false });
  });

  it('sticker, static and animated', () => {
    expect(contentOf({ type: 'sticker', sticker: { id: 'S1', mime_type: 'image/webp', animated: true } })).toMatchObject({
      type: 'sticker',
      animated: true,
      voice: null,
    });
    expect(contentOf({ type: 'sticker', sticker: { id: 'S2', mime_type: 'image/webp' } })).toMatchObject({ animated: false });
  });

  it('location with only coordinates, numbers given as strings', () => {
    expect(contentOf({ type: 'location', location: { latitude: '43.5', longitude: -11.25 } })).toEqual({
      type: 'location',
      latitude: 43.5,
      longitude: -11.25,
      name: null,
      address: null,
      url: null,
    });
  });

  it('contacts, kept as sent', () => {
    const cards = [{ name: { formatted_name: 'Ufficio Tecnico' }, phones: [{ phone: '+39 0577 000000', type: 'WORK' }] }];
    expect(contentOf({ type: 'contacts', contacts: cards })).toEqual({ type: 'contacts', contacts: cards });
  });

  it('interactive button_reply, with the context of our message', () => {
    const event = only(
      inbound({
        type: 'interactive',
        context: { from: '393339990001', id: 'wamid.OUR1' },
        interactive: { type: 'button_reply', button_reply: { id: 'SUB_CONFIRM:YES', title: 'Sì, confermo' } },
      }),
      'message',
    );
    expect(event.content).toEqual({
      type: 'interactive_reply',
      replyKind: 'button_reply',
      id: 'SUB_CONFIRM:YES',
      title: 'Sì, confermo',
      description: null,
    });
    expect(event.context).toEqual({ messageId: 'wamid.OUR1', from: '393339990001', forwarded: false, frequentlyForwarded: false });
  });

  it('interactive list_reply with a description', () => {
    expect(
      contentOf({
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: { id: 'CH:EVENTI', title: 'Eventi', description: 'Manifestazioni e cultura' } },
      }),
    ).toEqual({ type: 'interactive_reply', replyKind: 'list_reply', id: 'CH:EVENTI', title: 'Eventi', description: 'Manifestazioni e cultura' });
  });

  it('interactive of a kind we do not handle (a Flow reply) is kept as other', () => {
    expect(contentOf({ type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } } })).toEqual({
      type: 'other',
      rawType: 'interactive.nfm_reply',
    });
  });

  it('button: a template quick reply, distinct from interactive', () => {
    expect(contentOf({ type: 'button', context: { id: 'wamid.T1' }, button: { payload: 'UNSUB:EMERGENZE', text: 'Disiscrivimi' } })).toEqual({
      type: 'button',
      payload: 'UNSUB:EMERGENZE',
      text: 'Disiscrivimi',
    });
  });

  it('reaction, and a removed reaction (emoji omitted)', () => {
    expect(contentOf({ type: 'reaction', reaction: { message_id: 'wamid.OUR2', emoji: '👍' } })).toEqual({
      type: 'reaction',
      messageId: 'wamid.OUR2',
      emoji: '👍',
    });
    expect(contentOf({ type: 'reaction', reaction: { message_id: 'wamid.OUR2' } })).toEqual({
      type: 'reaction',
      messageId: 'wamid.OUR2',
      emoji: null,
    });
  });

  it('unsupported, with its errors and the unsupported type', () => {
    expect(
      contentOf({
        type: 'unsupported',
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            error_data: { details: 'Message type is currently not supported.' },
          },
        ],
        unsupported: { type: 'poll' },
      }),
    ).toEqual({
      type: 'unsupported',
      unsupportedType: 'poll',
      errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.' }],
    });
  });

  it('the older "unknown" type reads as unsupported', () => {
    expect(contentOf({ type: 'unknown', errors: [{ code: '131060', title: 'x' }] })).toEqual({
      type: 'unsupported',
      unsupportedType: null,
      errors: [{ code: 131060, title: 'x', message: null, details: null }],
    });
  });

  it.each(['system', 'order', 'request_welcome', 'some_future_type'])('%s is kept as other', (type) => {
    expect(contentOf({ type, [type]: { body: 'x' } })).toEqual({ type: 'other', rawType: type });
  });

  it('forwarded context', () => {
    const event = only(inbound({ type: 'text', text: { body: 'inoltro' }, context: { forwarded: true, frequently_forwarded: true } }), 'message');
    expect(event.context).toEqual({ messageId: null, from: null, forwarded: true, frequentlyForwarded: true });
  });
});

describe('parseWebhookBody: senders and contacts', () => {
  it('a BSUID-only sender (username adopter, empty from) is matched to its contact by user_id', () => {
    const body = envelope(
      messagesChange({
        contacts: [
          { profile: { name: 'Altro' }, wa_id: '393330000000', user_id: 'IT.999' },
          { profile: { name: 'Anna', username: 'anna.v' }, wa_id: '', user_id: 'IT.13491208655302741918' },
        ],
        messages: [
          { from: '', from_user_id: 'IT.13491208655302741918', id: 'wamid.B1', timestamp: 1773476102, type: 'text', text: { body: 'ATTIVA' } },
        ],
      }),
    );
    const event = only(body, 'message');
    expect(event.waId).toBeNull();
    expect(event.userId).toBe('IT.13491208655302741918');
    expect(event.profileName).toBe('Anna');
    expect(event.timestamp).toEqual(new Date(1773476102 * 1000));
  });

  it('a sender with no from at all, only from_user_id', () => {
    const body = envelope(
      messagesChange({
        contacts: [{ profile: { name: 'Anna' }, user_id: 'IT.1' }],
        messages: [{ from_user_id: 'IT.1', id: 'wamid.B2', timestamp: '1773476102', type: 'text', text: { body: 'ciao' } }],
      }),
    );
    expect(only(body, 'message')).toMatchObject({ waId: null, userId: 'IT.1', profileName: 'Anna' });
  });

  it('takes the BSUID from the contact when the message has a phone number', () => {
    const event = only(inbound({ type: 'text', text: { body: 'x' } }, [{ profile: { name: 'Giulia' }, wa_id: GIULIA, user_id: 'IT.42' }]), 'message');
    expect(event).toMatchObject({ waId: GIULIA, userId: 'IT.42', profileName: 'Giulia' });
  });

  it('matches each message of a batch to its own contact', () => {
    const body = envelope(
      messagesChange({
        contacts: [
          { profile: { name: 'Uno' }, wa_id: '393330000001' },
          { profile: { name: 'Due' }, wa_id: '393330000002' },
        ],
        messages: [
          { from: '393330000002', id: 'wamid.2', timestamp: '1', type: 'text', text: { body: 'b' } },
          { from: '393330000001', id: 'wamid.1', timestamp: '1', type: 'text', text: { body: 'a' } },
          { from: '393330000003', id: 'wamid.3', timestamp: '1', type: 'text', text: { body: 'c' } },
        ],
      }),
    );
    const events = parseWebhookBody(body).events as InboundMessageEvent[];
    expect(events.map((e) => [e.wamid, e.profileName])).toEqual([
      ['wamid.2', 'Due'],
      ['wamid.1', 'Uno'],
      ['wamid.3', null],
    ]);
  });

  it('reports a message with no sender at all', () => {
    const parsed = parseWebhookBody(inbound({ from: '', type: 'text', text: { body: 'x' } }, []));
    expect(parsed.events).toEqual([]);
    expect(parsed.problems).toEqual(['entry[0].changes[0].value.messages[0]: no sender (neither from nor from_user_id)']);
  });
});

describe('parseWebhookBody: statuses and change errors', () => {
  const status = (extra: Record<string, unknown>) => ({
    id: 'wamid.OUT1',
    status: 'delivered',
    timestamp: '1773642604',
    recipient_id: GIULIA,
    ...extra,
  });

  it.each(['sent', 'delivered', 'read', 'failed', 'played'])('reads status %s', (value) => {
    expect(only(envelope(messagesChange({ statuses: [status({ status: value })] })), 'status').status).toBe(value);
  });

  it('reports an unknown status value and keeps the others', () => {
    const parsed = parseWebhookBody(envelope(messagesChange({ statuses: [status({ status: 'deleted' }), status({ status: 'read' })] })));
    expect(parsed.events.map((e) => (e as StatusEvent).status)).toEqual(['read']);
    expect(parsed.problems).toEqual(['entry[0].changes[0].value.statuses[0]: unknown status "deleted"']);
  });

  it('reads a status sent to a BSUID, and one without correlation data or pricing', () => {
    const event = only(
      envelope(messagesChange({ statuses: [{ id: 'wamid.OUT2', status: 'sent', timestamp: 1, recipient_user_id: 'IT.7' }] })),
      'status',
    );
    expect(event).toMatchObject({ recipientId: null, recipientUserId: 'IT.7', correlationId: null, pricing: null, errors: [] });
  });

  it('turns value.errors into one change-error event', () => {
    const event = only(
      envelope(
        messagesChange({
          errors: [
            { code: 130429, title: 'Rate limit hit', message: '(#130429) Rate limit hit', error_data: { details: 'throughput reached' } },
            { code: 131000, title: 'Something went wrong' },
          ],
        }),
      ),
      'error',
    );
    expect(event).toEqual({
      kind: 'error',
      wabaId: WABA,
      phoneNumberId: PNID,
      errors: [
        { code: 130429, title: 'Rate limit hit', message: '(#130429) Rate limit hit', details: 'throughput reached' },
        { code: 131000, title: 'Something went wrong', message: null, details: null },
      ],
    });
  });
});

describe('parseWebhookBody: account fields', () => {
  it('message_template_status_update', () => {
    const event = only(
      envelope({
        field: 'message_template_status_update',
        value: {
          event: 'APPROVED',
          message_template_id: 594425479261596,
          message_template_name: 'allerta_meteo_v2',
          message_template_language: 'it',
          reason: 'NONE',
        },
      }),
      'template_status',
    );
    expect(event).toEqual({
      kind: 'template_status',
      wabaId: WABA,
      templateId: '594425479261596',
      name: 'allerta_meteo_v2',
      language: 'it',
      event: 'APPROVED',
      reason: 'NONE',
    });
  });

  it('template_category_update', () => {
    const event = only(
      envelope({
        field: 'template_category_update',
        value: {
          message_template_id: '77',
          message_template_name: 'notizie',
          message_template_language: 'it',
          previous_category: 'UTILITY',
          new_category: 'MARKETING',
        },
      }),
      'template_category',
    );
    expect(event).toEqual({
      kind: 'template_category',
      wabaId: WABA,
      templateId: '77',
      name: 'notizie',
      language: 'it',
      previousCategory: 'UTILITY',
      newCategory: 'MARKETING',
    });
  });

  it('phone_number_quality_update', () => {
    const event = only(
      envelope({
        field: 'phone_number_quality_update',
        value: { display_phone_number: '393339990001', event: 'THROUGHPUT_UPGRADE', current_limit: 'TIER_10K' },
      }),
      'phone_quality',
    );
    expect(event).toEqual({
      kind: 'phone_quality',
      wabaId: WABA,
      displayPhoneNumber: '393339990001',
      event: 'THROUGHPUT_UPGRADE',
      currentLimit: 'TIER_10K',
    });
  });

  it('user_preferences: stop and resume, by phone and by BSUID', () => {
    const parsed = parseWebhookBody(
      envelope({
        field: 'user_preferences',
        value: {
          messaging_product: 'whatsapp',
          metadata: METADATA,
          contacts: [{ profile: { name: 'Giulia' }, wa_id: GIULIA }],
          user_preferences: [
            {
              wa_id: GIULIA,
              detail: 'User requested to stop marketing messages',
              category: 'marketing_messages',
              value: 'stop',
              timestamp: 1773476102,
            },
            { wa_id: '', user_id: 'IT.5', category: 'marketing_messages', value: 'resume', timestamp: '1773476200' },
            { wa_id: GIULIA, category: 'marketing_messages', value: 'maybe', timestamp: '1773476200' },
          ],
        },
      }),
    );
    expect(parsed.events).toEqual([
      {
        kind: 'user_preference',
        wabaId: WABA,
        phoneNumberId: PNID,
        waId: GIULIA,
        userId: null,
        category: 'marketing_messages',
        value: 'stop',
        timestamp: new Date(1773476102 * 1000),
      },
      {
        kind: 'user_preference',
        wabaId: WABA,
        phoneNumberId: PNID,
        waId: null,
        userId: 'IT.5',
        category: 'marketing_messages',
        value: 'resume',
        timestamp: new Date(1773476200 * 1000),
      },
    ]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatch(/^entry\[0\]\.changes\[0\]\.value\.user_preferences\[2\]: value: /);
  });

  it.each(['account_update', 'business_capability_update', 'account_alerts', 'message_template_quality_update'])(
    '%s is ignored, not dropped',
    (field) => {
      expect(only(envelope({ field, value: { anything: true } }), 'ignored')).toEqual({ kind: 'ignored', wabaId: WABA, field });
    },
  );
});

describe('parseWebhookBody: batches and tolerance', () => {
  it('walks several entries and several changes in order', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA,
          changes: [
            messagesChange({
              contacts: [{ wa_id: GIULIA }],
              messages: [{ from: GIULIA, id: 'wamid.A', timestamp: '1', type: 'text', text: { body: 'a' } }],
            }),
            messagesChange({ statuses: [{ id: 'wamid.S', status: 'sent', timestamp: '2', recipient_id: GIULIA }] }),
          ],
        },
        {
          id: '200000000000001',
          changes: [
            {
              field: 'message_template_status_update',
              value: { event: 'REJECTED', message_template_name: 't', message_template_language: 'it', reason: 'INVALID_FORMAT' },
            },
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: '300000000000001' },
                contacts: [{ wa_id: '393330000009' }],
                messages: [{ from: '393330000009', id: 'wamid.B', timestamp: '3', type: 'text', text: { body: 'b' } }],
                statuses: [{ id: 'wamid.T', status: 'read', timestamp: '4' }],
              },
            },
          ],
        },
      ],
    };
    const parsed = parseWebhookBody(body);
    expect(parsed.problems).toEqual([]);
    expect(parsed.events.map((e) => [e.kind, e.wabaId, 'phoneNumberId' in e ? e.phoneNumberId : null])).toEqual([
      ['message', WABA, PNID],
      ['status', WABA, PNID],
      ['template_status', '200000000000001', null],
      ['message', '200000000000001', '300000000000001'],
      ['status', '200000000000001', '300000000000001'],
    ]);
  });

  it('ignores fields it does not know, at every level', () => {
    const body = {
      object: 'whatsapp_business_account',
      brand_new_top_level: 1,
      entry: [
        {
          id: WABA,
          time: 1773476102,
          changes: [
            {
              field: 'messages',
              extra: 'x',
              value: {
                messaging_product: 'whatsapp',
                metadata: { ...METADATA, extra: true },
                contacts: [{ profile: { name: 'Giulia', username: 'giulia' }, wa_id: GIULIA, identity_key_hash: 'h', parent_user_id: 'IT.ENT.1' }],
                messages: [
                  {
                    from: GIULIA,
                    id: 'wamid.X',
                    timestamp: '1773476102',
                    type: 'text',
                    text: { body: 'ATTIVA', new_flag: true },
                    referral: { source_url: 'https://example.invalid' },
                    group_id: null,
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const event = only(body, 'message');
    expect(event.content).toEqual({ type: 'text', body: 'ATTIVA' });
    expect(event.raw).toMatchObject({ referral: { source_url: 'https://example.invalid' } });
  });

  it('keeps the good messages of a batch and reports the bad one with its place', () => {
    const body = envelope(
      messagesChange({
        contacts: [{ wa_id: GIULIA }],
        messages: [
          { from: GIULIA, id: 'wamid.OK1', timestamp: '1', type: 'text', text: { body: 'a' } },
          { from: GIULIA, timestamp: '1', type: 'text', text: { body: 'no id' } },
          { from: GIULIA, id: 'wamid.BAD2', timestamp: 'yesterday', type: 'image', image: {} },
          'not even an object',
          { from: GIULIA, id: 'wamid.OK2', timestamp: '2', type: 'reaction', reaction: { message_id: 'wamid.Z', emoji: '❤️' } },
        ],
        statuses: [{ status: 'sent' }, { id: 'wamid.S1', status: 'sent', timestamp: '3' }],
      }),
    );
    const parsed = parseWebhookBody(body);
    expect(parsed.events.map((e) => (e.kind === 'message' ? e.wamid : e.kind === 'status' ? e.providerMessageId : e.kind))).toEqual([
      'wamid.OK1',
      'wamid.OK2',
      'wamid.S1',
    ]);
    expect(parsed.problems).toHaveLength(4);
    expect(parsed.problems[0]).toMatch(/^entry\[0\]\.changes\[0\]\.value\.messages\[1\]: id: /);
    expect(parsed.problems[1]).toMatch(/^entry\[0\]\.changes\[0\]\.value\.messages\[2\]: timestamp: /);
    expect(parsed.problems[2]).toMatch(/^entry\[0\]\.changes\[0\]\.value\.messages\[3\]: /);
    expect(parsed.problems[3]).toMatch(/^entry\[0\]\.changes\[0\]\.value\.statuses\[0\]: /);
  });

  it('reports a message whose type-specific object is unreadable', () => {
    const parsed = parseWebhookBody(inbound({ type: 'image', image: { caption: 'no id' } }));
    expect(parsed.events).toEqual([]);
    expect(parsed.problems).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]\.value\.messages\[0\]: image\.id: /)]);
  });

  it('reports a change without metadata and still reads the next change', () => {
    const body = envelope(
      { field: 'messages', value: { messages: [{ from: GIULIA, id: 'wamid.L', timestamp: '1', type: 'text', text: { body: 'x' } }] } },
      messagesChange({ statuses: [{ id: 'wamid.S', status: 'read', timestamp: '1' }] }),
    );
    const parsed = parseWebhookBody(body);
    expect(parsed.events.map((e) => e.kind)).toEqual(['status']);
    expect(parsed.problems).toEqual([expect.stringMatching(/^entry\[0\]\.changes\[0\]\.value: metadata: /)]);
  });

  it('reports an entry without id and keeps the other entries', () => {
    const good = envelope({ field: 'account_update', value: {} }).entry[0];
    const parsed = parseWebhookBody({ object: 'whatsapp_business_account', entry: [{ changes: [] }, good] });
    expect(parsed.events).toEqual([{ kind: 'ignored', wabaId: WABA, field: 'account_update' }]);
    expect(parsed.problems).toEqual([expect.stringMatching(/^entry\[0\]: id: /)]);
  });

  it('refuses another object type with one problem and no events', () => {
    const parsed = parseWebhookBody({ ...(fixture('01-inbound-text-attiva.json') as object), object: 'page' });
    expect(parsed).toEqual({ events: [], problems: ['object: expected "whatsapp_business_account", got "page"'] });
  });

  it.each([null, 'text', 42, [], {}, { object: 'whatsapp_business_account' }])('reports a body that is not an envelope (%p)', (body) => {
    const parsed = parseWebhookBody(body);
    expect(parsed.events).toEqual([]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatch(/^body: /);
  });
});
