import { GraphApiError } from './graph.errors.js';
import { parseMessagesRequest } from './outbound-message.js';

const base = { messaging_product: 'whatsapp', to: '+39 333 123 4567' };

function errorOf(body: unknown): GraphApiError {
  try {
    parseMessagesRequest(body);
  } catch (err) {
    if (err instanceof GraphApiError) return err;
    throw err;
  }
  throw new Error('expected a GraphApiError');
}

describe('parseMessagesRequest', () => {
  it('reads a mark-as-read request', () => {
    expect(
      parseMessagesRequest({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X', typing_indicator: { type: 'text' } }),
    ).toEqual({
      kind: 'read',
      messageId: 'wamid.X',
      typingIndicator: true,
    });
  });

  it('defaults the type to text and keeps the digits of the recipient as wa_id', () => {
    expect(parseMessagesRequest({ ...base, text: { body: 'ciao' } })).toMatchObject({
      kind: 'message',
      type: 'text',
      recipient: { kind: 'phone', input: '+39 333 123 4567', waId: '393331234567' },
    });
  });

  it('counts template parameters by component and keeps parameter names', () => {
    const parsed = parseMessagesRequest({
      ...base,
      type: 'template',
      template: {
        name: 'allerta',
        language: { code: 'it' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Villetta' }] },
          {
            type: 'BODY',
            parameters: [
              { type: 'text', parameter_name: 'livello', text: 'ROSSO' },
              { type: 'text', text: 'oggi' },
            ],
          },
        ],
      },
    });
    expect(parsed).toMatchObject({
      template: { name: 'allerta', languageCode: 'it', headerTextParameters: 1, bodyParameters: [{ name: 'livello' }, {}] },
    });
  });

  it('accepts contacts and reactions, including a reaction removal', () => {
    expect(parseMessagesRequest({ ...base, type: 'contacts', contacts: [{ name: { formatted_name: 'URP' } }] })).toMatchObject({ type: 'contacts' });
    expect(parseMessagesRequest({ ...base, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '' } })).toMatchObject({ type: 'reaction' });
  });

  it.each<[string, unknown, number]>([
    ['a body that is not an object', [1, 2], 100],
    ['a group recipient', { ...base, recipient_type: 'group', text: { body: 'x' } }, 100],
    ['a recipient that is not a phone number', { ...base, to: 'mario', text: { body: 'x' } }, 100],
    ['a location out of range', { ...base, type: 'location', location: { latitude: 91, longitude: 0 } }, 100],
    ['a caption on audio', { ...base, type: 'audio', audio: { id: '1', caption: 'x' } }, 100],
    ['a media link that is not http(s)', { ...base, type: 'image', image: { link: 'ftp://x/y.jpg' } }, 100],
    [
      'list sections without titles',
      {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'x' },
          action: { button: 'b', sections: [{ rows: [{ id: '1', title: 'a' }] }, { rows: [{ id: '2', title: 'b' }] }] },
        },
      },
      100,
    ],
  ])('refuses %s', (_case, body, code) => {
    expect(errorOf(body).code).toBe(code);
  });
});
